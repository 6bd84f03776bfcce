"""The words of a published report: its facts (机关, 年度, 落款日期) and its narrative sections.

Sections are found by their headings, whichever numbering the author used (一、 1、 1. 第一部分,
or none), compared with the pack's headings by similarity; subsections by （一）/(一)/(1)
titles, alone in their paragraph or run into its first sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from docx_report.importers.model import Block, Document, Paragraph, SourceTable, clean
from docx_report.importers.tables import norm, similarity
from docx_report.pack import NarrativeSection, Pack

HEADING_MATCH = 0.7
_MAX_HEADING = 40  # characters: a longer paragraph is text, not a heading
_TOP = re.compile(r"^\s*(?:第\s*[一二三四五六七八九十]+\s*部分"
                  r"|[一二三四五六七八九十]+\s*[、.．，,:：]"
                  r"|\d{1,2}\s*[、.．，,:：](?!\d)|\d{1,2}\s+)\s*")
_DIGIT_SUB = re.compile(r"^\s*\d{1,2}\s*[、.．](?!\d)\s*\S")
_SUB = re.compile(r"^\s*[（(]\s*(?:[一二三四五六七八九十]+|\d{1,2})\s*[）)]\s*")
_YEAR = r"(?P<year>(?:19|20)\d\d)\s*年\s*度?\s*(?:的)?\s*"


def _title_patterns(titles: Sequence[str]) -> list[re.Pattern[str]]:
    """The report's title, as 某某局2024年<title> or 2024年度某某局<title>, where <title> begins
    as one of the packs' report titles does (their first words, so 工作 may be left out)."""
    words = sorted({re.escape(t.split("（")[0][:6]) for t in titles if t})
    if not words:  # any title ending in 报告; the agency then only before the year
        return [re.compile(f"(?P<agency>.*?){_YEAR}[^，。]{{0,30}}?报告")]
    title = "(?:" + "|".join(words) + ")"
    return [re.compile(f"(?P<agency>.*?){_YEAR}{title}"),
            re.compile(f"^{_YEAR}(?P<agency>[^，。,]{{2,40}}?)\\s*{title}")]


_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "O": 0}
_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_DATE = re.compile(r"([〇零○O一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月"
                      r"\s*([一二三四五六七八九十]{1,3})\s*日")


def strip_number(text: str) -> str:
    return _TOP.sub("", clean(text), count=1)


@dataclass
class Sections:
    """Where each pack section starts among the blocks (its heading's index)."""

    starts: dict[str, int] = field(default_factory=dict)
    first: int = -1  # the first heading found: what comes before is title and preface


def find_sections(pack: Pack, blocks: list[Block]) -> Sections:
    found = Sections()
    position = 0
    for section in pack.sections:
        wanted = norm(strip_number(section.heading))
        for i in range(position, len(blocks)):
            block = blocks[i]
            if not isinstance(block, Paragraph):
                continue
            text = clean(block.text)
            if not text or len(text) > _MAX_HEADING:
                continue
            numbered = _TOP.match(text) is not None
            have = norm(strip_number(text))
            score = similarity(wanted, have)
            if wanted and (have.startswith(wanted) or wanted in have) and len(have) <= \
                    len(wanted) + 8:
                score = max(score, 0.95)
            if score >= (HEADING_MATCH if numbered else 0.9):
                found.starts[section.key] = i
                position = i + 1
                break
    if found.starts:
        found.first = min(found.starts.values())
    return found


def _number(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20 (month and day numbers)."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)
    return int("".join(str(_DIGITS.get(c, 0)) for c in text))


def find_date(texts: list[str]) -> dt.date | None:
    for text in reversed(texts):
        flat = clean(text).replace(" ", "")
        match = _DATE.search(flat)
        numbers = [int(g) for g in match.groups()] if match else None
        if numbers is None and (cn := _CN_DATE.search(flat)):
            numbers = [_number(g) for g in cn.groups()]
        if numbers:
            try:
                return dt.date(*numbers)
            except ValueError:
                continue
    return None


def find_facts(doc: Document, sections: Sections,
               titles: Sequence[str] = ()) -> dict[str, object]:
    """机关名称 and 年度 from the title (or the page title, or the file name), which reads like
    one of ``titles`` (the packs' report titles); the date from the 落款 (the last short
    paragraphs). Facts not found are left out."""
    patterns = _title_patterns(titles)
    head = [clean(b.text) for b in doc.blocks[: sections.first if sections.first >= 0 else 6]
            if isinstance(b, Paragraph) and clean(b.text)][:6]
    facts: dict[str, object] = {}
    # One paragraph first, then the agency on a line of its own above the title.
    candidates = [*head, *(" ".join(head[i - 1: i + 1]) for i in range(1, len(head))),
                  clean(doc.title), clean(doc.path.stem)]
    for text in candidates:
        flat = text.replace(" ", "")
        for match in (p.search(flat) if n == 0 else p.match(flat)
                      for n, p in enumerate(patterns)):
            if match:
                agency = match.group("agency").strip("：:，,《》“” ").removesuffix("关于")
                facts["year"] = int(match.group("year"))
                if agency:
                    facts["agency"] = agency
                    break
        if facts.get("agency"):
            break
    tail = [clean(b.text) for b in doc.blocks[-6:] if isinstance(b, Paragraph)]
    tail = [t for t in tail if t and len(t) <= 40]
    date = find_date(tail[-3:])
    if date is not None:
        facts["date"] = date
    agency = str(facts.get("agency", ""))
    if not agency and tail:
        for text in tail:
            if text.endswith(("局", "委员会", "政府", "办公室", "厅", "院", "中心", "委", "所")):
                facts["agency"] = text
    return facts


def _signature(paragraphs: list[str], agency: str) -> int:
    """How many trailing paragraphs are the 落款 (agency and date)."""
    n = 0
    for text in reversed(paragraphs):
        flat = text.replace(" ", "")
        if len(flat) <= 40 and (find_date([flat]) is not None or (agency and flat == agency)):
            n += 1
            continue
        break
    return n


def split_subsections(paragraphs: list[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Paragraphs → (intro, [(title, paragraphs)]) at （一）-style titles; in a section with
    none, at short 1、/1. titles on a paragraph of their own."""
    intro: list[str] = []
    subsections: list[tuple[str, list[str]]] = []
    numbered = any(_SUB.match(text) for text in paragraphs)

    def is_title(text: str) -> bool:
        if numbered:
            return _SUB.match(text) is not None
        return _DIGIT_SUB.match(text) is not None and len(text) <= _MAX_HEADING // 2 \
            and not re.search(r"[。；;，,]", text)

    for text in paragraphs:
        if is_title(text):
            title, body = _split_title(text)
            subsections.append((title, [body] if body else []))
        elif subsections:
            subsections[-1][1].append(text)
        else:
            intro.append(text)
    return intro, subsections


def _split_title(text: str) -> tuple[str, str]:
    if len(text) <= _MAX_HEADING and "。" not in text.rstrip("。"):
        return text.rstrip("。 "), ""
    match = re.search(r"[。：:]", text)
    if match and match.start() <= _MAX_HEADING:
        return text[: match.start()].strip(), text[match.end():].strip()
    prefix = _SUB.match(text)
    end = prefix.end() if prefix else 0
    return text[:end].strip(), text[end:].strip()


def narratives(pack: Pack, doc: Document, sections: Sections, agency: str,
               report_tables: Collection[int] = ()
               ) -> tuple[dict[str, tuple[list[str], list[tuple[str, list[str]]]]],
                          dict[str, list[str]]]:
    """Each narrative section's (intro, subsections) and each table's note (text before it).

    A narrative section ends at the next heading found, or at one of the report's tables
    (``report_tables``: their ids) when the heading of that table's section was not found.
    """
    blocks = doc.blocks
    order = sorted((i, key) for key, i in sections.starts.items())
    stories: dict[str, tuple[list[str], list[tuple[str, list[str]]]]] = {}
    notes: dict[str, list[str]] = {}
    kinds = {s.key: s for s in pack.sections}
    for n, (start, key) in enumerate(order):
        end = order[n + 1][0] if n + 1 < len(order) else len(blocks)
        texts: list[str] = []
        for block in blocks[start + 1: end]:
            if isinstance(block, SourceTable):
                if not isinstance(kinds[key], NarrativeSection):
                    break  # a table section's text after its table is not its note
                if id(block) in report_tables:  # its section's heading was not recognised:
                    while texts and len(texts[-1]) <= _MAX_HEADING and \
                            not texts[-1].endswith(("。", "；", ";")):
                        texts.pop()  # the table's own caption ("附表1 …") is not narrative
                    break
                continue
            text = clean(block.text)
            if text:
                texts.append(text)
        if n + 1 == len(order):
            texts = texts[: len(texts) - _signature(texts, agency)]
        if isinstance(kinds[key], NarrativeSection):
            stories[key] = split_subsections(texts)
        else:
            notes[key] = texts
    if order and sections.first > 0:  # a preface before 一、: the first section's intro
        preface = [clean(b.text) for b in blocks[: sections.first] if isinstance(b, Paragraph)]
        preface = [t for t in preface if t and t != agency
                   and not (len(t) <= 60 and t.endswith("报告"))]  # the title lines
        first = next((s.key for s in pack.narratives()), None)
        if preface and first in stories:
            intro, subs = stories[first]
            stories[first] = (preface + intro, subs)
    return stories, notes
