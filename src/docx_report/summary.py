"""What a batch leaves for the supervising office: its records and ``summary.xlsx``.

The records (``Outcome`` per input workbook, ``Aggregate``, ``PreviousMatch``, ``BatchResult``)
are what ``batch`` produces and what this module writes out (the 汇总 itself is built by
``aggregate``, the files are moved into OUTDIR by ``outdir``).

``summary.xlsx`` has one sheet with a row per input workbook (status, counts, key figures, the
files written), one with a row per problem (file, sheet, cell, level, message) under an
autofilter so the office can filter by file and send each agency its own list, one listing the
汇总 files, and with ``--previous`` one matching this year's agencies to last year's.

The workbook itself is written by ``workbook.write_tables`` (openpyxl stays there).
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx_report.errors import HasProblems, Level, Problem
from docx_report.names import strip_invisible
from docx_report.pack import Pack
from docx_report.values import Number
from docx_report.workbook import write_tables
from docx_report.xlsx_rows import Rows, cell_text

if TYPE_CHECKING:  # batch_store keeps these records on disk
    from docx_report.batch_store import Entry, Outcomes

REPORTS_SHEET = "各机关情况"
PROBLEMS_SHEET = "问题清单"
AGGREGATES_SHEET = "汇总文件"
PREVIOUS_SHEET = "上年对照"
SIMILAR_SHEET = "雷同文字"

_MAX_CELL = 32_000  # Excel refuses more than 32,767 characters in a cell


class Status(StrEnum):
    """What happened to one input workbook."""

    BUILT = "已生成"
    ERRORS = "有错误"
    UNREADABLE = "无法读取"
    DUPLICATE = "重复"


Period = tuple[tuple[str, Any], ...]


def shifted(period: Period, years: int) -> Period:
    """The same period ``years`` years later (earlier when negative): same month last year."""
    return tuple((k, v + years if k == "year" and isinstance(v, int) else v) for k, v in period)


def _same(period: Period) -> str:
    """同期 for a period finer than a year (a month…), nothing for a yearly report."""
    return "同期" if any(k != "year" for k, _ in period) else ""


def period_year(period: Period) -> int | None:
    year = dict(period).get("year")
    return year if isinstance(year, int) else None


@dataclass
class Outcome(HasProblems):
    """One input workbook's result: small enough to send between processes by the hundred."""

    index: int
    file: Path
    status: Status
    problems: list[Problem] = field(default_factory=list)
    pack: str = ""
    pack_source: str = ""  # a built-in pack's name, or the folder of any other
    agency: str = ""
    year: int | None = None
    # The pack's period facts, (key, value) pairs: (("year", 2024), ("month", 9)); empty when
    # one is missing. One agency sends one workbook a period.
    period: Period = ()
    facts: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Number | None] = field(default_factory=dict)
    # Only when the report was built: every value cell in the pack's order (a tuple, not a
    # dict, so that hundreds of outcomes do not each hold the pack's keys).
    values: tuple[Number | None, ...] | None = None
    quotes: dict[str, str] = field(default_factory=dict)
    # The narrative texts worth comparing with other agencies' (similar.texts).
    texts: tuple[tuple[str, str, str, bytes], ...] = ()
    name: str = ""  # safe file name (no extension) made from the data
    previous: Path | None = None
    staged: Path | None = None
    docx: Path | None = None
    pdf: Path | None = None



@dataclass
class BatchResult:
    outdir: Path
    # Every workbook's outcome, in order: kept on disk, each read back when asked for
    outcomes: Outcomes
    aggregates: list[Aggregate]
    previous: list[PreviousMatch] | None
    summary: Path
    stale: list[Path] = field(default_factory=list)  # the last run's files that could not go
    # Agencies whose narrative sections are (nearly) the same: (one, other, section, ratio).
    similar: Sequence[tuple[Entry, Entry, str, float]] = field(default_factory=list)
    # What the packs call the agency field (机关名称, 街道办事处…): the summary's headers
    agency_label: str = "单位名称"

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes.entries if o.status is status)

    @property
    def ok(self) -> bool:
        """Every workbook built, every PDF made, every 汇总 without error."""
        return all(o.status is Status.BUILT and not o.error_count
                   for o in self.outcomes.entries) and all(
            not any(p.level is Level.ERROR for p in a.problems) for a in self.aggregates)


@dataclass
class Aggregate:
    """The 汇总 of one pack and year: its workbook, report, PDF and problems."""

    pack: str
    year: int
    agency: str
    members: list[str]
    xlsx: Path | None = None
    docx: Path | None = None
    pdf: Path | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> str:
        if any(p.level is Level.ERROR for p in self.problems):
            return "有错误"
        return "已生成" if self.docx else "未生成报告"


@dataclass(frozen=True)
class PreviousMatch:
    """One row of the 上年对照 sheet."""

    agency: str
    year: int | None
    current: Path | None
    previous: Path | None
    note: str


def agency_key(agency: str) -> str:
    """机关名称 as matched across files: full-width folded, spaces and invisible characters
    (zero-width, bidi controls) removed, case folded."""
    return _agency_key(agency) if len(agency) <= 200 else _key(agency)


@functools.lru_cache(maxsize=20_000)  # a batch asks for each agency's key several times
def _agency_key(agency: str) -> str:
    return _key(agency)


def _key(agency: str) -> str:
    return re.sub(r"\s+", "", strip_invisible(unicodedata.normalize("NFKC", agency))).casefold()


def figures(pack: Pack, values: Mapping[str, Number | None]) -> dict[str, Number | None]:
    """The pack's key figures of one workbook (None where a value is missing or unreadable)."""
    result: dict[str, Number | None] = {}
    for figure in pack.figures:
        parts = [values.get(key) for key in figure.of]
        known = [part for part in parts if part is not None]
        result[figure.label] = sum(known, start=0) if len(known) == len(parts) else None
    return result


# ---------------------------------------------------------------------------------------------
# summary.xlsx


def _cell_value(value: Any, base: Path) -> Any:
    """A value as the summary shows it: output paths relative to OUTDIR, text made safe."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) or type(value).__name__ == "Decimal":
        return value
    text = str(value)
    if isinstance(value, Path):  # relative to OUTDIR (as Path.relative_to, without its cost)
        prefix = str(base).rstrip(os.sep) + os.sep
        if text.startswith(prefix) and value.is_absolute() == base.is_absolute():
            text = text[len(prefix):]
    text = cell_text(text)
    return text if len(text) <= _MAX_CELL else text[:_MAX_CELL] + "…"


_KEPT = 4096  # paths and file names kept as shown, at most, while a sheet is written


class _Shown:
    """``_cell_value`` for the values of one sheet, each path (a file on several rows) and each
    problem's file name worked out once."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.paths: dict[Path, Any] = {}
        self.files: dict[str, Any] = {}

    def value(self, value: Any) -> Any:
        if not isinstance(value, Path):
            return _cell_value(value, self.base)
        text = self.paths.get(value)
        if text is None:
            if len(self.paths) >= _KEPT:
                self.paths.clear()
            text = self.paths[value] = _cell_value(value, self.base)
        return text

    def output(self, name: str | None) -> Any:
        """A file this run read or wrote (its path as ``os.fspath`` gave it) as its Path is
        shown."""
        if name is None:
            return None
        prefix = str(self.base).rstrip(os.sep) + os.sep
        if name.startswith(prefix) and os.path.isabs(name) == self.base.is_absolute():
            name = name[len(prefix):]
        text = cell_text(name)
        return text if len(text) <= _MAX_CELL else text[:_MAX_CELL] + "…"

    def file(self, name: str) -> Any:
        """A problem's file (a path as text) as ``Path(name)`` is shown; "" for none."""
        if not name:
            return ""
        text = self.files.get(name)
        if text is None:
            if len(self.files) >= _KEPT:
                self.files.clear()
            text = self.files[name] = _cell_value(Path(name), self.base)
        return text


Table = tuple[str, Sequence[str], Collection[Sequence[Any]], Sequence[int]]


def _sheet(title: str, headers: Sequence[str], count: int,
           rows: Callable[[_Shown], Iterable[Sequence[Any]]], widths: Sequence[int],
           base: Path) -> Table:
    """One sheet: header, ``count`` rows (values as the summary shows them, made as the sheet
    is written: a summary's rows are never held whole) and column widths."""
    shown = _Shown(base)
    return title, headers, Rows(count, lambda: rows(shown), shown.value), widths


def _report_rows(result: BatchResult, labels: Sequence[str], shown: _Shown
                 ) -> Iterator[list[Any]]:
    return ([n, shown.output(o.file), o.agency, o.year, o.pack, o.status.value, o.error_count,
             o.warning_count, *(figures.get(label) for label in labels), shown.output(o.docx),
             shown.output(o.pdf), previous]
            for n, (o, figures, previous) in enumerate(result.outcomes.rows(), start=1))


_LABELS = {True: Level.ERROR.label, False: Level.WARNING.label}


def _problem_rows(result: BatchResult, shown: _Shown) -> Iterator[list[Any]]:
    for owner, problems in result.outcomes.flat_problems():
        for error, message, file, sheet, cell, rule in problems:
            yield [shown.file(file), owner.agency, sheet, cell, _LABELS[error], rule, message]
    for a in result.aggregates:
        for p in a.problems:
            yield [shown.file(p.file), a.agency, p.sheet, p.cell, p.level.label, p.rule,
                   p.message]


def write_summary(result: BatchResult, out: Path) -> None:
    """Write summary.xlsx (through a temporary file: never half a summary)."""
    base = out.parent
    name = result.agency_label
    noun = name.removesuffix("名称") or name  # 机关名称 → 机关数, 纳入汇总的机关
    labels = list(result.outcomes.labels)  # every label any workbook's pack declares
    problems = sum(o.problem_count for o in result.outcomes.entries) + sum(
        len(a.problems) for a in result.aggregates)
    tables = [
        _sheet(REPORTS_SHEET,
               ["序号", "文件", name, "年度", "报告格式", "状态", "错误数", "警告数",
                *labels, "报告文件", "PDF 文件", "上年工作簿"],
               len(result.outcomes), lambda shown: _report_rows(result, labels, shown),
               [6, 40, 30, 7, 20, 9, 7, 7, 9, 9, 9, 9, 9, 9, 40, 40, 40], base),
        _sheet(PROBLEMS_SHEET, ["文件", name, "工作表", "单元格", "级别", "规则", "问题"],
               problems, lambda shown: _problem_rows(result, shown), [40, 30, 16, 8, 6, 6, 90],
               base),
        _sheet(AGGREGATES_SHEET,
               ["报告格式", "年度", f"{noun}数", name, "状态", "汇总工作簿", "汇总报告",
                "PDF 文件", f"纳入汇总的{noun}"], len(result.aggregates),
               lambda _: ([a.pack, a.year, len(a.members), a.agency, a.status, a.xlsx, a.docx,
                           a.pdf, "、".join(a.members)] for a in result.aggregates),
               [20, 7, 7, 30, 9, 40, 40, 40, 80], base),
        _sheet(SIMILAR_SHEET, [name, "文件", f"雷同的{noun}", "其文件", "章节", "相似度"],
               len(result.similar),
               lambda shown: ([a.agency, shown.output(a.file), b.agency, shown.output(b.file),
                               place, f"{ratio:.0%}"] for a, b, place, ratio in result.similar),
               [30, 40, 30, 40, 40, 8], base)]
    if result.previous is not None:
        matches = result.previous
        tables.append(_sheet(PREVIOUS_SHEET, [name, "年度", "本年工作簿", "上年工作簿", "情况"],
                             len(matches),
                             lambda _: ([m.agency, m.year, m.current, m.previous, m.note]
                                        for m in matches),
                             [30, 7, 40, 40, 60], base))
    write_tables(out, tables)


# ---------------------------------------------------------------------------------------------
# 上年对照: this year's agencies against last year's


def previous_rows(outcomes: Sequence[Entry], index: Mapping[tuple[str, Period], list[Path]],
                  unusable: Sequence[PreviousMatch]) -> list[PreviousMatch]:
    """Each agency matched (or not) to last year's workbook of the same period (a monthly
    pack: the same month), then last year's agencies that sent nothing for the matching
    period this year, then last year's workbooks that could not be used."""
    rows: list[PreviousMatch] = []
    current: set[tuple[str, Period]] = set()
    for o in outcomes:
        if not o.agency or o.year is None or not o.period:
            continue
        current.add((agency_key(o.agency), o.period))
        found = index.get((agency_key(o.agency), shifted(o.period, -1)), [])
        if not found:
            note = (f"上年缺少：--previous 中没有该机关{o.year - 1}年度{_same(o.period)}的工作簿，"
                    "未做跨年度核对")
        elif len(found) > 1:
            note = f"上年有 {len(found)} 份工作簿，使用了 {found[0]}"
        else:
            note = "已做跨年度核对"
        rows.append(PreviousMatch(o.agency, o.year, Path(o.file), found[0] if found else None,
                                  note))
    for (key, period), paths in sorted(index.items(), key=lambda item: str(item[1][0])):
        year = period_year(period)
        if year is not None and (key, shifted(period, 1)) not in current:
            rows.append(PreviousMatch(key, year + 1, None, paths[0],
                                      f"本年缺少：该机关有{year}年度{_same(period)}的工作簿，"
                                      f"没有收到{year + 1}年度{_same(period)}的工作簿"
                                      "（或它无法读取）"))
    return rows + list(unusable)
