"""The 汇总 (aggregate) of a batch: for each pack and year, the sum of the agencies' tables.

The aggregate is a workbook in the pack's own layout, written by ``workbook.write_workbook``, so
it is checked and built like any agency's. Its tables are the sums of the included agencies'
tables (amounts summed as ``Decimal``, exactly); its narrative sections say how many and which
agencies it covers, in the words of the pack's ``[aggregate]`` table (``WORDING`` when a pack
says nothing).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx_report import engine
from docx_report.errors import WRITE_FAILED, Level, OutputError, Problem, ReportError
from docx_report.names import safe_filename
from docx_report.pack import Pack
from docx_report.pack_narrative import TEXT_KINDS
from docx_report.summary import Aggregate, Outcome
from docx_report.values import Number
from docx_report.workbook import locate, write_workbook
from docx_report.xlsx_guard import EXCEL_CELL_CHARS

# What an aggregate says when its pack has no [aggregate] wording of its own.
WORDING = {
    "agency": "{name}（汇总，共{count}份）",
    "agency_unnamed": "汇总（共{count}份）",
    "intro": "本报告汇总{count}份报告的数据，各表数字为这些报告数字之和。纳入汇总的：{names}。",
    "excluded": "另有{count}份工作簿有错误或重复，未纳入汇总：{names}。",
    "quotes": "各份报告中的有关情况如下：",
    "elsewhere": "本部分内容见纳入汇总的{count}份报告。",
}


def wording(pack: Pack, key: str, **values: Any) -> str:
    """One sentence of the aggregate, in the pack's words."""
    text = pack.aggregate.get(key, WORDING[key])
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return WORDING[key].format(**values)


def aggregate_agency(pack: Pack, name: str, count: int) -> str:
    """机关名称 of an aggregate: 某区（汇总，共12个机关）."""
    if name:
        return wording(pack, "agency", name=name, count=count)
    return wording(pack, "agency_unnamed", count=count)


@dataclass
class Gathered:
    """What the 汇总 of one pack and period takes of its members, gathered one member at a
    time, in their order (a batch reads its members back from disk: never all at once)."""

    names: list[str]  # each member's agency
    values: dict[str, Number]  # every value cell, summed
    facts: dict[str, Any]  # each basic fact: the latest date, else the most common value
    quotes: dict[str, list[str]]  # each section's quotes: "agency：paragraph"


_FOLD = 256  # members' values summed column by column this many at a time


def gather(pack: Pack, members: Iterable[Outcome]) -> Gathered:
    """The members' names, sums, facts and quotes (ints stay ints, amounts exact: each value
    cell summed in the members' order from 0, as cell by cell would be)."""
    keys = list(pack.value_cells())
    sums: list[Number] = [0] * len(keys)
    rows: list[tuple[Number | None, ...]] = []
    names: list[str] = []
    counts: dict[str, collections.Counter[Any]] = {
        f.key: collections.Counter() for f in pack.fields if f.type != "date"}
    latest: dict[str, Any] = {}
    dates = [f.key for f in pack.fields if f.type == "date"]
    sections = [s.key for s in pack.narratives()]
    quotes: dict[str, list[str]] = {key: [] for key in sections}

    def fold() -> None:
        columns = zip(*rows, strict=True)
        sums[:] = [sum((value for value in column if value is not None), start=total)
                   for total, column in zip(sums, columns, strict=True)]
        rows.clear()

    for member in members:
        names.append(member.agency)
        if member.values is not None:
            rows.append(member.values)
            if len(rows) >= _FOLD:
                fold()
        facts = member.facts
        for key, counter in counts.items():
            value = facts.get(key)
            if value not in (None, ""):
                counter[value] += 1
        for key in dates:
            value = facts.get(key)
            if value not in (None, "") and (key not in latest or value > latest[key]):
                latest[key] = value
        for key, quote in member.quotes.items():
            if key in quotes:
                quotes[key].append(f"{member.agency}：{quote}")
    if rows:
        fold()
    found: dict[str, Any] = {}
    for f in pack.fields:
        if f.type == "date":
            if f.key in latest:
                found[f.key] = latest[f.key]
        elif counts[f.key]:
            found[f.key] = counts[f.key].most_common(1)[0][0]
    return Gathered(names, dict(zip(keys, sums, strict=True)), found, quotes)


def aggregate_values(pack: Pack, members: Iterable[Outcome]) -> dict[str, Number]:
    """Every value cell of the pack, summed over the members (ints stay ints, amounts exact)."""
    return gather(pack, members).values


def aggregate_facts(pack: Pack, year: int, agency: str, members: Gathered) -> dict[str, Any]:
    """Basic facts: the given name and year, the latest date, else the most common value."""
    return {**members.facts, "agency": agency, "year": year}


def aggregate_narratives(pack: Pack, year: int, members: Gathered,
                         excluded: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A short factual text for each narrative section of the aggregate.

    The first section names the agencies included (and those left out for errors); a section a
    ``contains`` rule asks about quotes what each agency wrote there (the paragraph with one of
    the rule's words), so the aggregate states facts rather than filler; any other section
    refers to the agencies' own reports.
    """
    names = "、".join(members.names)
    count = len(members.names)
    result: dict[str, dict[str, Any]] = {}
    for i, section in enumerate(pack.narratives()):
        lines: list[str] = []
        if i == 0:
            lines.append(wording(pack, "intro", count=count, year=year, names=names))
            if excluded:
                lines.append(wording(pack, "excluded", count=len(excluded),
                                     names="、".join(excluded)))
        quotes = members.quotes.get(section.key, [])
        if quotes:
            lines += [wording(pack, "quotes"), *quotes]
        elif i > 0:
            lines.append(wording(pack, "elsewhere", count=count, year=year))
        # What one cell cannot hold goes on in the rows below (untitled subsections): a cell
        # is never cut. One empty subsection row at least: an empty list would make the
        # workbook show the pack's default subsection titles, each without a body.
        cells = fit_cells(lines)
        result[section.key] = {
            "intro": cells[0],
            "subsections": [{"title": "", "paragraphs": c} for c in cells[1:]]
            or [{"title": "", "paragraphs": []}]}
    return result


def fit_cells(lines: Sequence[str], limit: int = EXCEL_CELL_CHARS) -> list[list[str]]:
    """Paragraphs grouped into cells of at most ``limit`` characters (joined by line breaks);
    a paragraph longer than a cell is split after a 、 or ；, else at the limit. Never cut."""
    pieces: list[str] = []
    for line in lines:
        while len(line) > limit:
            cut = max(line.rfind("、", 0, limit), line.rfind("；", 0, limit)) + 1 or limit
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    cells: list[list[str]] = [[]]
    size = 0
    for piece in pieces:
        if cells[-1] and size + 1 + len(piece) > limit:
            cells.append([])
            size = -1
        cells[-1].append(piece)
        size += 1 + len(piece)
    return cells


def write_aggregate(pack: Pack, year: int, agency: str, members: Gathered,
                    excluded: Sequence[str], out: Path) -> None:
    """Write the aggregate workbook of one pack and year (replacing an earlier run's)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(pack, out, facts=aggregate_facts(pack, year, agency, members),
                   values=members.values,
                   narratives=aggregate_narratives(pack, year, members, excluded), force=True)


def aggregate_filename(pack: Pack, agency: str, year: int,
                       facts: Mapping[str, Any] | None = None) -> str:
    """The aggregate's file name (no extension), by the pack's output pattern (the other facts
    it names are the members' most common values)."""
    try:
        return safe_filename(pack.output.format(**{**(facts or {}), "agency": agency,
                                                   "year": year}))
    except (KeyError, IndexError, ValueError):
        return safe_filename(f"{agency}{year}年")


def build_aggregate(pack: Pack, year: int, agency: str, members: Gathered,
                    excluded: Sequence[str], out: Path) -> Aggregate:
    """Write the aggregate workbook, check it like any workbook and, without error, build it
    (through this process's engine, like any workbook). A sum that Excel cannot hold exactly
    (more than 15 significant digits) is a warning.
    """
    result = Aggregate(pack.name, year, agency, members.names)
    values = members.values
    try:
        write_aggregate(pack, year, agency, members, excluded, out)
        result.xlsx = out
        eng = engine.default()
        checked = eng.check(out, pack=pack)
        own_text = {r.id for r in pack.rules if r.kind in TEXT_KINDS}  # written by aggregate
        result.problems = [p for p in checked.problems if p.rule not in own_text]
        where = locate(pack)
        for key, value in values.items():
            if checked.computed.get(key) != value:
                sheet, cell = where[key]
                result.problems.append(Problem(
                    Level.WARNING, f"汇总值 {value} 超出 Excel 能保存的精度，工作簿中为 "
                    f"{checked.computed.get(key)}", file=str(out), sheet=sheet, cell=cell))
        if checked.ok:
            eng.render(checked, out.with_suffix(".docx"))
            result.docx = out.with_suffix(".docx")
    except ReportError as exc:
        result.problems.append(Problem(Level.ERROR, f"未能生成汇总：{exc}", file=str(out),
                                       rule=WRITE_FAILED if isinstance(exc, OutputError) else ""))
    return result
