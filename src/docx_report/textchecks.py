"""Checks on the narrative's wording: years, required statements, and text copied from last year.

Each function takes the pack, the narratives and what it needs, and returns located problems;
``checks.py`` registers them as rule kinds (``period_years``, ``future_years``,
``opening_year``, ``contains``, ``copied_previous``), so a pack declares them in ``[[rules]]``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docx_report import layout as wb
from docx_report.errors import Level, Problem
from docx_report.narrative import paragraphs
from docx_report.narrative_parse import cn_number
from docx_report.pack import NarrativeSection, Pack
from docx_report.reader import Narrative

_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2}|[二][〇零][一二三四五六七八九〇零]{2})(?=\s*年)")
_SENTENCE = re.compile(r"[^。！？；;!?\n]+[。！？；;!?]?")
_TITLE = re.compile(r"《[^》]*》")
_IGNORED = re.compile(r"[\s\d０-９〇零一二三四五六七八九十百千万两"
                      r".,，。、；;：:！!？?“”\"'‘’（）()《》【】〔〕「」…—-]")


@dataclass(frozen=True)
class Year:
    value: int
    start: int
    end: int


def years(text: str) -> list[Year]:
    """Every year written before 年 (2024年, 二〇二四年), except inside 《titles》."""
    if "年" not in text:
        return []  # (most sentences: no year can be written without it)
    hidden = _TITLE.sub(lambda m: "《" + "_" * (len(m.group(0)) - 2) + "》", text) \
        if "《" in text else text
    found = []
    for m in _YEAR.finditer(hidden):
        raw = m.group(1)
        found.append(Year(int(raw) if raw.isdigit() else cn_number(raw), m.start(), m.end()))
    return found


def sentences(text: str) -> Iterator[str]:
    for m in _SENTENCE.finditer(text):
        yield m.group(0).strip()


def _short(sentence: str, limit: int = 80) -> str:
    return sentence if len(sentence) <= limit else sentence[:limit - 1] + "…"


def _sections(pack: Pack, options: Mapping[str, Any]) -> list[NarrativeSection]:
    wanted = list(options.get("sections", ())) or (
        [options["section"]] if options.get("section") else [])
    return [s for s in pack.narratives() if not wanted or s.key in wanted]


def _sentences(pack: Pack, narratives: Mapping[str, Narrative], options: Mapping[str, Any],
               having: Sequence[str] = ()) -> Iterator[tuple[NarrativeSection, str, str]]:
    """Every sentence of the sections a rule reads: (section, cell, sentence); with
    ``having``, only those of paragraphs that hold one of these words (the others are not
    split: no sentence of theirs can hold one)."""
    for section in _sections(pack, options):
        for cell, paragraph in paragraphs(section, narratives.get(section.key, Narrative())):
            if having and not any(w in paragraph for w in having):
                continue
            for sentence in sentences(paragraph):
                yield section, cell, sentence


def _context(text: str, year: Year, before: Sequence[str], after: Sequence[str]) -> bool:
    """Is this year written as a comparison, a date of something else or a target?"""
    head = text[max(0, year.start - 4):year.start]
    tail = text[year.end + 1:year.end + 7].removeprefix("度").lstrip("）)")
    return any(w in head for w in before) or any(tail.startswith(w) for w in after)


def period_years(pack: Pack, narratives: Mapping[str, Narrative], year: int,
                 options: Mapping[str, Any], level: Level, message: str,
                 rule: str) -> list[Problem]:
    """The 统计期限 sentence must name the report's year and no other."""
    words = [str(w) for w in options.get("any", ("统计期限",))]
    problems = []
    for section, cell, sentence in _sentences(pack, narratives, options, words):
        if not any(w in sentence for w in words):
            continue
        wrong = sorted({y.value for y in years(sentence) if y.value != year})
        if wrong:
            problems.append(Problem(level, message.format(
                year=year, found="、".join(f"{y}年" for y in wrong),
                sentence=_short(sentence)), sheet=section.sheet, cell=cell, rule=rule))
    return problems


def future_years(pack: Pack, narratives: Mapping[str, Narrative], published: int,
                 options: Mapping[str, Any], level: Level, message: str,
                 rule: str) -> list[Problem]:
    """A year after the publication year, unless written as a target ("到2027年")."""
    before = [str(w) for w in options.get("skip_before", ())]
    after = [str(w) for w in options.get("skip_after", ())]
    problems = []
    for section, cell, sentence in _sentences(pack, narratives, options, ("年",)):
        late = sorted({y.value for y in years(sentence) if y.value > published
                       and not _context(sentence, y, before, after)})
        if late:
            problems.append(Problem(level, message.format(
                published=published, found="、".join(f"{y}年" for y in late),
                sentence=_short(sentence)), sheet=section.sheet, cell=cell, rule=rule))
    return problems


def opening_year(pack: Pack, narratives: Mapping[str, Narrative], year: int,
                 options: Mapping[str, Any], level: Level, message: str,
                 rule: str) -> list[Problem]:
    """The first paragraph of the opening section speaks of the report's year."""
    before = [str(w) for w in options.get("skip_before", ())]
    after = [str(w) for w in options.get("skip_after", ())]
    skip = [str(w) for w in options.get("skip_sentences", ())]
    for section in _sections(pack, options)[:1]:
        first = next(paragraphs(section, narratives.get(section.key, Narrative())), None)
        if first is None:
            return []
        cell, paragraph = first
        # Sentences another rule reads (the 统计期限 one) are left to it: one cause, one message.
        kept = [s for s in sentences(paragraph) if not any(w in s for w in skip)]
        # the year after is when the report is compiled and published ("2025年1月编制")
        other = sorted({y.value for s in kept for y in years(s) if y.value not in (year, year + 1)
                        and not _context(s, y, before, after)})
        if other:
            sentence = next((s for s in kept if any(f"{y}" in s for y in other)), paragraph)
            return [Problem(level, message.format(
                year=year, found="、".join(f"{y}年" for y in other),
                sentence=_short(sentence)), sheet=section.sheet, cell=cell, rule=rule)]
    return []


def contains(pack: Pack, narratives: Mapping[str, Narrative], facts: Mapping[str, Any],
             options: Mapping[str, Any], level: Level, message: str,
             rule: str) -> list[Problem]:
    """The narrative (bodies, not titles) says something: ``any`` of some words, and for each
    group of ``all`` one of its words; ``when`` limits the rule to some facts."""
    when: Mapping[str, Any] = options.get("when", {})
    if any(str(facts.get(k)) != str(v) for k, v in when.items()):
        return []
    chosen = _sections(pack, options)
    stories = [narratives.get(s.key) for s in chosen]
    if not chosen or all(s is None for s in stories):
        return []
    text = "\n".join(p for s, story in zip(chosen, stories, strict=True) if story
                     for _, p in paragraphs(s, story))
    groups = [[str(w) for w in g] for g in options.get("all", ())]
    if options.get("any"):
        groups.append([str(w) for w in options["any"]])
    missing = [g for g in groups if not any(w in text for w in g)]
    if not missing:
        return []
    at = next((s for s in chosen if s.key == options.get("section")), chosen[0])
    said = "、".join(f"“{'/'.join(g)}”" for g in missing)
    return [Problem(level, message.format(missing=said), sheet=at.sheet,
                    cell=wb.coordinate(wb.INTRO_ROW, 2), rule=rule)]


# --- copied text ------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """What is left of a text when numbers, years, spaces and punctuation are taken out."""
    return _IGNORED.sub("", text)


def similarity(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < 0.5 or matcher.quick_ratio() < 0.5:
        return 0.0
    return matcher.ratio()


@dataclass(frozen=True)
class Part:
    """One subsection (or the intro) of a narrative: where it is and its normalised text."""

    section: NarrativeSection
    title: str
    cell: str
    text: str


def parts(pack: Pack, narratives: Mapping[str, Narrative]) -> Iterator[Part]:
    for section in pack.narratives():
        story = narratives.get(section.key)
        if story is None:
            continue
        if story.intro:
            yield Part(section, "导语", wb.coordinate(wb.INTRO_ROW, 2),
                       normalise("".join(story.intro)))
        for i, (title, body) in enumerate(story.subsections):
            row = story.rows[i] if i < len(story.rows) else wb.INTRO_ROW
            yield Part(section, title or section.heading, wb.coordinate(row, 2),
                       normalise("".join(body)))


def _key(part: Part) -> tuple[str, str]:
    return part.section.key, normalise(re.sub(r"^[（(][^）)]*[）)]", "", part.title))


def copied_previous(pack: Pack, narratives: Mapping[str, Narrative], previous_pack: Pack,
                    previous: Mapping[str, Narrative], previous_file: str,
                    options: Mapping[str, Any], level: Level, message: str,
                    rule: str) -> list[Problem]:
    """A subsection identical or nearly identical to last year's, numbers and years aside."""
    ratio = float(options.get("ratio", 0.9))
    shortest = int(options.get("min_chars", 40))
    old = {_key(p): p for p in parts(previous_pack, previous)}
    problems = []
    for part in parts(pack, narratives):
        before = old.get(_key(part))
        if before is None or len(part.text) < shortest:
            continue
        score = 1.0 if part.text == before.text else similarity(part.text, before.text)
        if score >= ratio:
            how = ("完全相同（仅数字或年份不同）" if score == 1.0
                   else f"几乎相同（相似度 {score:.0%}）")
            problems.append(Problem(level, message.format(
                title=f"{part.section.heading}·{part.title}", how=how, file=previous_file,
                where=f"{before.section.sheet}!{before.cell}"),
                sheet=part.section.sheet, cell=part.cell, rule=rule))
    return problems
