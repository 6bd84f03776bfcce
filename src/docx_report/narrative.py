"""The narrative against the tables: figures stated in the text, and 【placeholders】 filled in.

Evaluators read the narrative beside the tables ("新收申请60件" beside a table that says 63).
The pack declares which wording states which table figure
(``[[narrative_figures]]``); this module finds those statements and compares them:

- the text is split into sentences (。！？；) and clauses (，：, and ASCII commas not between
  digits); a statement never reaches over a clause;
- a number is Arabic, full-width or Chinese (六十三, 一百零五, 两千, 1.2万), followed by a unit
  (件, 条, 件次 …; the pack's ``[narrative] units``, or the figure's own ``units``); approximate
  wording (约, 近, 余, 多, 以上, 不到 …) is compared as a range, vague wording (数十, 几百) never;
- a phrase pattern is literal pieces joined by ``…`` (a short gap); the number follows its last
  piece (or stands where ``{n}`` is) with at most a few characters between;
- a number binds to the nearest phrase; a phrase never reaches over another number, a word that
  makes the number a part or a change of the figure (``[narrative] parts``: 其中, 自然人, 同比 …)
  or another figure's phrase — so "收到行政复议申请2件" is not a statement about new requests.

``none`` patterns ("未收到…申请") state that a figure is zero. Numbers and phrase patterns
within a clause are read by ``narrative_parse``; this module binds them to the pack's figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from docx_report import layout as wb
from docx_report.errors import Level, Problem
from docx_report.narrative_parse import Phrase, Quantity, agrees, number_patterns, numbers_with
from docx_report.pack import NarrativeSection, Pack
from docx_report.pack_narrative import NarrativeFigure
from docx_report.reader import Narrative
from docx_report.values import Number, value_type

FILLER = 8  # characters allowed between a phrase and its number ("共计", "数量为" …)
_FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")
_WIDE = re.compile("[０-９．]")  # a paragraph without these is translated to itself
_SENTENCE = re.compile(r"[^。！？；;!?\n]+[。！？；;!?]?")
_CLAUSE = re.compile(r"[，：:]|,(?!\d{3})|(?<!\d),")
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?=\s*年)")
_PLACEHOLDER = re.compile(r"【([^【】\s，。、；：,.;:]{1,16})】")


@dataclass(frozen=True)
class _Figure:
    spec: NarrativeFigure
    phrases: tuple[Phrase, ...]
    none: tuple[Phrase, ...]
    units: tuple[str, ...]
    scale: Mapping[str, Decimal]


@dataclass(frozen=True)
class Statement:
    """A number in the text bound to a figure (or a 'none' wording, ``number`` None)."""

    figure: NarrativeFigure
    said: str
    sentence: str
    number: Quantity | None
    scale: Decimal


_READERS: dict[int, tuple[Pack, Reader]] = {}
# A live figure: the figure, its phrases that may match (phrase, number first, last piece or
# None, its length) and its 'none' wordings that may
_Live = tuple[_Figure, list[tuple[Phrase, bool, str | None, int]], list[Phrase]]


class Reader:
    """The pack's narrative figures, compiled once; ``statements`` reads one paragraph."""

    def __init__(self, pack: Pack) -> None:
        self.parts = pack.narrative.parts
        self.beyond = pack.narrative.beyond
        self.periods = pack.narrative.periods
        self.figures = [
            _Figure(f, tuple(map(Phrase.parse, f.phrases)), tuple(map(Phrase.parse, f.none)),
                    tuple(u for u, _ in f.units) or pack.narrative.units,
                    {u: Decimal(str(x)) for u, x in f.units} or
                    dict.fromkeys(pack.narrative.units, Decimal(1)))
            for f in pack.narrative_figures if f.phrases or f.none]
        self.units = tuple(sorted({u for f in self.figures for u in f.units}))
        self.number_patterns = number_patterns(self.units)
        self.pieces = tuple({w for f in self.figures for p in (*f.phrases, *f.none)
                             for w in p.pieces})
        # The pieces by their first character: only those whose first character is in a
        # paragraph are looked for in it (pieces are never empty).
        self.by_first: dict[str, list[str]] = {}
        for w in self.pieces:
            self.by_first.setdefault(w[0], []).append(w)
        self.firsts = frozenset(self.by_first)
        # Every figure's phrases, for "is another figure's phrase in this gap?": a phrase can
        # match only where all its pieces occur, so its regex runs only then (an alternation of
        # every phrase, compiled per figure, cost a quarter of a second per process).
        self.all_phrases = [(figure, p.pieces, p.regex) for figure in self.figures
                            for p in figure.phrases]
        # What may stand in a gap, by its first character: a gap (a few characters) is
        # looked for only the words and phrases that start with one of its characters.
        self.part_at: dict[str, list[str]] = {}
        for w in self.parts:
            self.part_at.setdefault(w[:1], []).append(w)
        self.phrase_at: dict[str, list[tuple[_Figure, str, re.Pattern[str]]]] = {}
        for figure, pieces, regex in self.all_phrases:
            first = pieces[0] if pieces else ""
            self.phrase_at.setdefault(first[:1], []).append((figure, first, regex))
        # Gaps: any part word at all (one search), an empty one (in every gap), and the
        # figures with a phrase of no pieces (found in an empty gap too).
        self.empty_part = "" in self.part_at
        self.parts_re = re.compile("|".join(map(re.escape, self.parts))) if self.parts else None
        self.no_piece_phrases = [other for other, _, _ in self.phrase_at.get("", ())]
        # Each figure's phrases as _bind reads them: (phrase, number first, last piece or None,
        # its length)
        self.infos = [[(p, p.number_first, p.pieces[-1] if p.pieces else None,
                        len(p.pieces[-1]) if p.pieces else 0) for p in figure.phrases]
                      for figure in self.figures]
        # For each piece, the figures with a phrase that has it: a paragraph's pieces name the
        # few figures worth looking at (most paragraphs state no figure).
        self.by_piece: dict[str, list[int]] = {}
        self.always = set()  # figures with a pattern of no pieces: live in any paragraph
        for i, figure in enumerate(self.figures):
            for p in (*figure.phrases, *figure.none):
                for w in p.pieces:
                    self.by_piece.setdefault(w, []).append(i)
                if not p.pieces:
                    self.always.add(i)

    @classmethod
    def of(cls, pack: Pack) -> Reader:
        """The pack's reader, compiled once per pack object (packs are immutable)."""
        cached = _READERS.get(id(pack))
        if cached is not None and cached[0] is pack:
            return cached[1]
        if len(_READERS) >= 32:
            _READERS.clear()
        reader = cls(pack)
        _READERS[id(pack)] = (pack, reader)
        return reader

    def _clean(self, figure: _Figure, tokens: Sequence[Quantity], lo: int, hi: int,
               clause: str, *, enumerations: bool = False) -> bool:
        """Is clause[lo:hi] free of numbers, part words and other figures' phrases?"""
        if lo > hi:
            return False
        for t in tokens:
            if lo < t.end and t.start < hi:
                return False
        if self.empty_part:
            return False  # an empty part word is in every gap
        if lo == hi:  # (most fillers) only another figure's phrase of no pieces is in it
            return not any(other is not figure for other in self.no_piece_phrases)
        gap = clause[lo:hi]
        if self.parts_re is not None and self.parts_re.search(gap):
            return False  # a part word
        starts = set(gap)
        if enumerations and re.search("[、和及与或]", gap):
            return True
        for c in (*starts, ""):
            for other, first, regex in self.phrase_at.get(c, ()):
                if first in gap and other is not figure and regex.search(gap):
                    return False
        return True

    def present(self, text: str) -> set[str]:
        """The phrase pieces that occur in the text."""
        by_first = self.by_first
        return {w for c in self.firsts.intersection(text) for w in by_first[c] if w in text}

    def _live(self, text: str) -> list[_Live]:
        """The figures with the phrases (and 'none' wordings) whose every piece occurs in the
        paragraph: only these can match in one of its clauses."""
        present = self.present(text)
        live = []
        superset = present.issuperset
        for i in sorted({i for w in present for i in self.by_piece[w]} | self.always):
            figure = self.figures[i]
            phrases = [info for info in self.infos[i] if superset(info[0].pieces)]
            none = [p for p in figure.none if superset(p.pieces)]
            if phrases or none:
                live.append((figure, phrases, none))
        return live

    def _bind(self, clause: str, token: Quantity, tokens: Sequence[Quantity],
              live: Sequence[_Live]) -> tuple[int, int, int, int, _Figure] | None:
        """The nearest phrase of any figure to this number: (distance, length, lo, hi, figure)
        where clause[lo:hi] is the whole statement."""
        best: tuple[int, int, int, int, _Figure] | None = None
        start = token.start
        for figure, phrases, _ in live:
            if token.unit not in figure.units:
                continue
            for phrase, number_first, last, size in phrases:
                found = None  # (distance, statement start, end, piece starts, filler)
                if number_first:
                    for begin in range(token.end, min(len(clause), token.end + FILLER) + 1):
                        starts = phrase.forwards(clause, begin)
                        if starts is not None:
                            found = (begin - token.end, token.start, phrase.end(starts), starts,
                                     (token.end, begin))
                            break
                else:  # the last piece's occurrences ending within reach, nearest first
                    if last is None:
                        last = phrase.pieces[-1]  # (no pieces: IndexError, as ever)
                    reach = start - FILLER - size
                    at = clause.rfind(last, reach if reach > 0 else 0, start)
                    if at < 0:
                        continue  # (most phrases: their last piece is not within reach)
                    while at >= 0:
                        stop = at + size
                        starts = phrase.backwards(clause, stop)
                        if starts is not None:
                            found = (start - stop, starts[0], token.end, starts, (stop, start))
                            break
                        at = clause.rfind(last, reach if reach > 0 else 0, stop - 1)
                if found is None:
                    continue
                distance, lo, hi, starts, (fs, fe) = found
                if _sum_of_several(clause, starts[0], clause[fs:fe]):
                    continue
                if not all(self._clean(figure, tokens, a, b, clause)
                           for a, b in [*phrase.gaps(starts), (fs, fe)]):
                    continue
                key = (distance, hi - lo, lo, hi, figure)
                if best is None or key[0] < best[0] or (key[0] == best[0] and key[1] > best[1]):
                    best = key  # the nearest phrase; of two as near, the fuller one
        return best

    def statements(self, paragraph: str, year: int | None = None) -> Iterator[Statement]:
        """``year``: the report's; a number after another year in its clause ("2023年新收申请
        51件，2024年新收63件") speaks of that year, not of the tables."""
        text = paragraph.translate(_FULLWIDTH) if _WIDE.search(paragraph) else paragraph
        live = self._live(text)
        if not live:
            return
        units = {u for figure, phrases, _ in live if phrases for u in figure.units}
        for sm in _SENTENCE.finditer(text):
            whole = sm.group(0)
            sentence = whole.strip()
            for at, clause in _clauses(whole):
                tokens = numbers_with(clause, self.number_patterns)
                for token in tokens:
                    if token.unit not in units:
                        continue  # no live figure is counted in it: none binds it
                    if self._counts_more(whole[at + token.end:]):
                        continue
                    before = clause[:token.start]
                    if year is not None and "年" in before and any(
                            int(y) != year for y in _YEAR.findall(before)):
                        continue
                    if any(w in before for w in self.periods):
                        continue  # "近三年共收到申请150件": a count over another period
                    bound = self._bind(clause, token, tokens, live)
                    if bound:
                        _, _, lo, hi, figure = bound
                        yield Statement(figure.spec, clause[lo:hi].strip(), sentence, token,
                                        figure.scale[token.unit])
                for figure, _, nones in live:
                    for phrase in nones:
                        if phrase.pieces and phrase.pieces[0] not in clause:
                            continue  # (a match holds every piece: the search would fail)
                        m = phrase.regex.search(clause)
                        if m and self._clean(figure, tokens, m.start(), m.end(), clause,
                                                    enumerations=True):
                            yield Statement(figure.spec, m.group(0), sentence, None, Decimal(1))
                            break


    def _counts_more(self, after: str) -> bool:
        """"67件（含上年结转4件）", "67件，其中上年结转4件": it counts more than a figure."""
        rest = after.lstrip().lstrip("（(，,").lstrip()
        return rest.startswith(self.beyond)


def _clauses(sentence: str) -> Iterator[tuple[int, str]]:
    """The clauses of a sentence with where each starts (as ``_CLAUSE.split``)."""
    start = 0
    for m in _CLAUSE.finditer(sentence):
        yield start, sentence[start:m.start()]
        start = m.end()
    yield start, sentence[start:]


def _sum_of_several(clause: str, start: int, filler: str) -> bool:
    """"新收、上年结转申请合计67件": the number is the sum of the items listed, not the last."""
    return start > 0 and clause[start - 1] in "、和及与" and any(
        w in filler for w in ("合计", "共计", "总计", "累计", "共"))


# --- figures from the tables ------------------------------------------------------------------


def figure_value(pack: Pack, figure: NarrativeFigure,
                 computed: Mapping[str, Number | None]) -> Number | None:
    values = [computed.get(k) for k in figure.of]
    if any(v is None for v in values):
        return None
    return sum(values, start=0)  # type: ignore[arg-type]


def format_figure(pack: Pack, figure: NarrativeFigure, value: Number) -> str:
    return value_type(_kinds(pack).get(figure.of[0], "count")).format(value)


_KINDS: dict[int, tuple[Pack, dict[str, str]]] = {}


def _kinds(pack: Pack) -> dict[str, str]:
    """Each value cell's type (packs are frozen: computed once per pack object)."""
    known = _KINDS.get(id(pack))
    if known is None or known[0] is not pack:
        known = _KINDS[id(pack)] = (pack, {k: c.type for k, (_, c) in pack.value_cells().items()})
    return known[1]


def paragraphs(section: NarrativeSection, story: Narrative) -> Iterator[tuple[str, str]]:
    """(cell, paragraph) of a narrative section, intro first (titles are not read)."""
    cell = wb.coordinate(wb.INTRO_ROW, 2)
    for p in story.intro:
        yield cell, p
    for i, (_, body) in enumerate(story.subsections):
        row = story.rows[i] if i < len(story.rows) else wb.INTRO_ROW
        cell = wb.coordinate(row, 2)
        for p in body:
            yield cell, p


def _short(sentence: str, limit: int = 80) -> str:
    return sentence if len(sentence) <= limit else sentence[:limit - 1] + "…"


def check_figures(pack: Pack, narratives: Mapping[str, Narrative],
                  computed: Mapping[str, Number | None], *, sections: Sequence[str] = (),
                  rule: str = "", level: Level | None = None,
                  message: str = "", year: int | None = None) -> list[Problem]:
    """Every statement in the narrative that disagrees with its table figure, located
    (``year``: the report's, so a figure of another year is not read against the tables)."""
    options = pack.narrative
    reader = Reader.of(pack)
    problems: list[Problem] = []
    for section in pack.narratives():
        if sections and section.key not in sections:
            continue
        story = narratives.get(section.key, Narrative())  # a 【placeholder】 is no number
        for cell, paragraph in paragraphs(section, story):
            for st in reader.statements(paragraph, year):
                value = figure_value(pack, st.figure, computed)
                if value is None:
                    continue
                figure = Decimal(str(value))
                if st.number is None:
                    if figure == 0:
                        continue
                elif agrees(figure, st.number, st.scale):
                    continue
                problems.append(Problem(
                    level or options.level,
                    (message or options.message).format(
                        sentence=_short(st.sentence), said=st.said, figure=st.figure.label,
                        value=format_figure(pack, st.figure, value)),
                    sheet=section.sheet, cell=cell, rule=rule or options.id))
    return problems


# --- placeholders -----------------------------------------------------------------------------


def placeholders(pack: Pack) -> dict[str, NarrativeFigure]:
    return {f.placeholder: f for f in pack.narrative_figures if f.placeholder}


def _fill_text(text: str, known: Mapping[str, str]) -> str:
    if "【" not in text:  # (most paragraphs)
        return text
    return _PLACEHOLDER.sub(lambda m: known.get(m.group(1), m.group(0)), text)


def placeholder_values(pack: Pack, computed: Mapping[str, Number | None]) -> dict[str, str]:
    """Each 【placeholder】's table figure, as printed (those whose figure is known)."""
    known: dict[str, str] = {}
    for name, figure in placeholders(pack).items():
        value = figure_value(pack, figure, computed)
        if value is not None:
            known[name] = format_figure(pack, figure, value)
    return known


def fill(pack: Pack, story: Narrative, computed: Mapping[str, Number | None],
         known: Mapping[str, str] | None = None) -> Narrative:
    """The narrative with every known 【placeholder】 replaced by its table figure (``known``:
    ``placeholder_values(pack, computed)``, when the caller has it already)."""
    if known is None:
        known = placeholder_values(pack, computed)
    if not known:
        return story
    return Narrative(intro=[_fill_text(p, known) for p in story.intro],
                     subsections=[(t, [_fill_text(p, known) for p in body])
                                  for t, body in story.subsections],
                     rows=list(story.rows))


def check_placeholders(pack: Pack, narratives: Mapping[str, Narrative], *, rule: str = "",
                       level: Level = Level.ERROR, message: str = "") -> list[Problem]:
    """A 【name】 the pack does not know is an error at its cell (it would print as typed)."""
    import difflib

    known = placeholders(pack)
    problems: list[Problem] = []
    for section in pack.narratives():
        story = narratives.get(section.key, Narrative())
        for cell, paragraph in paragraphs(section, story):
            for m in _PLACEHOLDER.finditer(paragraph) if "【" in paragraph else ():
                name = m.group(1)
                if name in known:
                    continue
                guess = difflib.get_close_matches(name, list(known), n=1, cutoff=0.4)
                hint = f"是否应为【{guess[0]}】？" if guess else ""
                names = "、".join(f"【{k}】" for k in known) or "（无）"
                text = message or ("未知的占位符【{name}】，{hint}可用的占位符：{names}；"
                                   "如是正文中的方括号文字，请改用〔〕或「」")
                problems.append(Problem(level, text.format(name=name, hint=hint, names=names),
                                        sheet=section.sheet, cell=cell, rule=rule))
    return problems
