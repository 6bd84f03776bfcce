"""What a report workbook holds, sheet by sheet, as plain data: cells with their values and
styles, merges, input checks (data validation), column widths, row heights, frozen panes.

``sheets`` plans the workbook ``init`` writes from a pack (blank, or filled for the examples
and the 汇总); ``workbook.write_workbook`` applies the plans with openpyxl, then the check lines
(``live_checks``) and the print layout (``workbook_print``). Nothing here imports openpyxl.
Where things sit on each sheet is ``layout.py``'s; what each sheet says is here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx_report.layout import (
    FIRST_FIELD_ROW,
    GRID_TOP,
    HEADER_ROW,
    HELP_ROW,
    INTRO_ROW,
    NOTE_ROW,
    TITLE_ROW,
    column_letter,
    coordinate,
    field_row,
    grid_position,
)
from docx_report.pack import NarrativeSection, Pack, TableSection
from docx_report.values import TYPES

DATE_FORMAT = 'yyyy"年"m"月"d"日"'  # a date field as the report writes dates


@dataclass(frozen=True)
class Align:
    horizontal: str | None = None
    vertical: str | None = None
    wrap: bool | None = None


@dataclass(frozen=True)
class FontSpec:
    name: str | None = None
    size: float | None = None
    bold: bool | None = None
    color: str | None = None


@dataclass(frozen=True)
class Style:
    """What to set on a cell; None (False for ``border``) leaves that part as it is."""

    fill: str | None = None  # a solid fill's colour (RGB)
    border: bool = False  # a thin grey line on every side
    align: Align | None = None
    font: FontSpec | None = None
    locked: bool | None = None  # protection (None: not set)
    number_format: str | None = None


LABEL_FILL, INPUT_FILL, TOTAL_FILL = "F2F2F2", "FFF2CC", "DDEBF7"
WRAP = Align(vertical="center", wrap=True)
CENTER = Align(horizontal="center", vertical="center", wrap=True)
TOP = Align(vertical="top", wrap=True)
BORDER_ONLY = Style(border=True)
_TITLE = Style(font=FontSpec("黑体", 14, bold=True), align=Align("center", "center"))
_HELP = Style(font=FontSpec("宋体", 10, color="595959"), align=WRAP)


def cell_style(fill: str, *, bold: bool = False, align: Align = CENTER,
               locked: bool = True) -> Style:
    """A grid cell: filled, bordered, 宋体 11 (bold or not), locked or open for input."""
    return Style(fill=fill, border=True, align=align, font=FontSpec("宋体", 11, bold=bold),
                 locked=locked)


@dataclass(frozen=True)
class Put:
    """Write ``value`` (unless ``keep``: the cell's value is left) and ``style`` at a cell;
    ``text``: a text value is data, never a formula (even one that starts with "=")."""

    row: int
    col: int
    value: Any = None
    style: Style | None = None
    keep: bool = False
    text: bool = False


@dataclass
class Validation:
    """An input check (Excel's data validation) on ``cells`` (row, column)."""

    kind: str
    operator: str | None = None
    formula1: str | None = None
    formula2: str | None = None
    allow_blank: bool = False
    show_error: bool = False
    error_title: str | None = None
    error: str | None = None
    cells: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class SheetPlan:
    """One sheet, applied in this order: merges, cells, validations, widths, heights (set by
    hand: Excel's custom height), frozen panes (the first cell not frozen), an autofilter."""

    title: str
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first/last row/col
    cells: list[Put] = field(default_factory=list)
    # rows after a header row of cells, unstyled, a text value always data: batch's summary,
    # many thousands of cells, streamed to disk a row at a time (``workbook._streamed``)
    rows: Collection[Sequence[Any]] = field(default_factory=list)  # made as written
    validations: list[Validation] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    freeze: str | None = None
    autofilter: str | None = None

    def put(self, row: int, col: int, value: Any, style: Style | None = None) -> None:
        """A cell; an input cell's (unlocked) text is data, never a formula."""
        self.cells.append(Put(row, col, value, style,
                              text=style is not None and style.locked is False))


def sheets(pack: Pack, *, facts: Mapping[str, Any], values: Mapping[str, Any],
           narratives: Mapping[str, Mapping[str, Any]], notes: Mapping[str, Sequence[str]],
           literal: Collection[str] = ()) -> list[SheetPlan]:
    """The sheets of a workbook in ``pack``'s layout, in order (see ``write_workbook``)."""
    planned = [_facts(pack, facts)]
    for section in pack.sections:
        if isinstance(section, TableSection):
            planned.append(_table(pack, section, values, notes.get(section.key, []), literal))
        else:
            planned.append(_narrative(section, narratives.get(section.key, {})))
    return planned


def record(pack: Pack, out: Path) -> list[tuple[str, Any]]:
    """What the hidden sheet records of the pack (``layout.PackRecord`` reads it back)."""
    rows: list[tuple[str, Any]] = [
        ("pack", pack.name), ("version", pack.version), ("written", dt.date.today().isoformat()),
        ("fingerprint", pack.fingerprint), ("source", "" if pack.builtin else pack.source)]
    if not pack.builtin:  # the folder as seen from the workbook: both may move together
        with contextlib.suppress(ValueError):  # another drive (Windows)
            rows.append(("relative", os.path.relpath(pack.root.resolve(), out.resolve().parent)))
    return rows


def _banner(plan: SheetPlan, title: str, help_text: str, width: int) -> None:
    plan.merges += [(TITLE_ROW, 1, TITLE_ROW, width), (HELP_ROW, 1, HELP_ROW, width)]
    plan.put(TITLE_ROW, 1, title, _TITLE)
    plan.put(HELP_ROW, 1, help_text, _HELP)
    plan.heights[TITLE_ROW] = 26
    plan.heights[HELP_ROW] = 46


def _facts(pack: Pack, facts: Mapping[str, Any]) -> SheetPlan:
    plan = SheetPlan(pack.facts_sheet)
    _banner(plan, f"{pack.title} — 基本信息",
            "黄色单元格为填写项。填好各工作表后，上传到主管部门提供的报告网页，"
            "即可看到全部问题并下载报告；或在装有 docx-report 的电脑上运行：docx-report build "
            "本文件.xlsx", 3)
    for col, text in enumerate(("项目", "填写内容", "说明"), start=1):
        plan.put(HEADER_ROW, col, text, cell_style(LABEL_FILL, bold=True))
    for spec in pack.fields:
        row = field_row(pack, spec.key)
        plan.put(row, 1, spec.label, cell_style(LABEL_FILL, bold=spec.required))
        value = facts.get(spec.key, spec.default)
        style = cell_style(INPUT_FILL, align=WRAP, locked=False)
        if spec.type == "date":
            style = dataclasses.replace(style, number_format=DATE_FORMAT)
        plan.put(row, 2, value, style)
        plan.put(row, 3, spec.help, cell_style(LABEL_FILL, align=WRAP))
        if spec.type == "choice":
            check = Validation("list", formula1='"' + ",".join(spec.choices) + '"',
                               show_error=True, error_title="请从列表中选择",
                               error="、".join(spec.choices))
        elif spec.type == "year":
            check = Validation("whole", "between", str(spec.min or 1900), str(spec.max or 2100),
                               error_title="年度", error="请填写四位数年份")
        elif spec.type == "date":
            check = Validation("date", "greaterThan", "39448", error_title="日期",
                               error="请填写日期，如 2025-01-20")
        else:
            continue
        check.cells.append((row, 2))
        plan.validations.append(check)
    plan.widths.update({1: 14, 2: 40, 3: 60})
    plan.freeze = f"A{FIRST_FIELD_ROW}"
    return plan


def _narrative(section: NarrativeSection, content: Mapping[str, Any]) -> SheetPlan:
    plan = SheetPlan(section.sheet)
    _banner(plan, section.heading,
            "每个小标题占一行：A 列小标题（可修改，不需要的清空），B 列正文。正文可写多段，"
            "段与段之间在单元格内按 Alt+Enter 换行（WPS 相同）。段首不必空格，生成时自动缩进。", 2)
    plan.put(HEADER_ROW, 1, "小标题", cell_style(LABEL_FILL, bold=True))
    plan.put(HEADER_ROW, 2, "正文", cell_style(LABEL_FILL, bold=True))
    plan.put(INTRO_ROW, 1, section.intro_label, cell_style(LABEL_FILL, align=WRAP))
    plan.put(INTRO_ROW, 2, "\n".join(content.get("intro", [])),
             cell_style(INPUT_FILL, align=TOP, locked=False))
    subsections = list(content.get("subsections", []))
    titles = [s["title"] for s in subsections] or list(section.subsections)
    for i in range(max(section.rows, len(titles))):
        row = INTRO_ROW + 1 + i
        title = titles[i] if i < len(titles) else ""
        body = "\n".join(subsections[i]["paragraphs"]) if i < len(subsections) else ""
        plan.put(row, 1, title, cell_style(INPUT_FILL, align=WRAP, locked=False))
        plan.put(row, 2, body, cell_style(INPUT_FILL, align=TOP, locked=False))
    plan.freeze = f"A{INTRO_ROW}"
    return plan


def sum_formula(refs: Sequence[tuple[int, int]]) -> str:
    """=SUM of the cells (row, column): one range where they run along a row."""
    rows = {r for r, _ in refs}
    cols = sorted(c for _, c in refs)
    if len(rows) == 1 and cols == list(range(cols[0], cols[0] + len(cols))):
        row = rows.pop()
        return f"=SUM({coordinate(row, cols[0])}:{coordinate(row, cols[-1])})"
    return "=SUM(" + ",".join(coordinate(r, c) for r, c in refs) + ")"


def _number_check(kind: str) -> Validation:
    rule = TYPES[kind].validation
    assert rule is not None
    check, op, low = rule
    what = "非负整数" if kind == "count" else "整数" if kind == "signed" else "非负数字"
    return Validation(check, op or "between", low or "-999999999",
                      None if op else "999999999", show_error=True, error_title="请填写数字",
                      error="此处只能填写" + what)


def _table(pack: Pack, table: TableSection, values: Mapping[str, Any], note: Sequence[str],
           literal: Collection[str]) -> SheetPlan:
    plan = SheetPlan(table.sheet)
    totals = pack.total_of()
    computed = "；蓝色单元格是合计，由公式自动计算，生成报告时工具也会按各项之和重新核算" if any(
        cell.key in totals for cell in table.value_cells()) else ""  # say so only where it is
    _banner(plan, table.heading,
            f"黄色单元格填数字，没有的填 0（不要填“/”“—”“无”或留空）{computed}。", table.width)
    plan.put(NOTE_ROW, 1, "表前说明（可不填）", cell_style(LABEL_FILL, align=WRAP))
    plan.merges.append((NOTE_ROW, 2, NOTE_ROW, table.width))
    plan.put(NOTE_ROW, 2, "\n".join(note), cell_style(INPUT_FILL, align=TOP, locked=False))
    position = {c.key: grid_position(c) for c in table.value_cells()}
    checks: dict[str, Validation] = {}
    for cell in table.cells:
        row, col = grid_position(cell)
        if cell.rows > 1 or cell.cols > 1:
            plan.merges.append((row, col, row + cell.rows - 1, col + cell.cols - 1))
        if not cell.is_value:
            plan.put(row, col, cell.text + cell.hint, cell_style(LABEL_FILL))
            continue
        parts = totals.get(cell.key)
        if parts and all(p in position for p in parts) and cell.key not in literal:
            plan.put(row, col, sum_formula([position[p] for p in parts]),
                     cell_style(TOTAL_FILL, bold=True))
        else:
            plan.put(row, col, values.get(cell.key, TYPES[cell.type].default),
                     cell_style(INPUT_FILL, locked=False))
            if TYPES[cell.type].validation:
                if cell.type not in checks:
                    checks[cell.type] = _number_check(cell.type)
                    plan.validations.append(checks[cell.type])
                checks[cell.type].cells.append((row, col))
        # Borders on the covered cells of a merge, so the grid shows whole in Excel.
        plan.cells += [Put(rr, cc, style=BORDER_ONLY, keep=True)
                       for rr in range(row, row + cell.rows) for cc in range(col, col + cell.cols)]
    plan.widths.update(enumerate(table.widths, start=1))
    for r in range(table.height):
        texts = [c for c in table.cells if c.row == r and not c.is_value and c.rows == 1]
        longest = max((len(c.text) / max(1.0, sum(table.widths[c.col:c.col + c.cols]) / 2.1)
                       for c in texts if table.widths), default=1.0)
        plan.heights[GRID_TOP + r] = max(20, 15 * int(longest + 0.999))
    label_cols = min((c.col for c in table.value_cells()), default=0)
    plan.freeze = coordinate(GRID_TOP + table.header_rows if table.header_rows > 1
                             else GRID_TOP, 1 + label_cols)
    return plan


#: (sheet title, header texts, rows of values, column widths)
Table = tuple[str, Sequence[str], Collection[Sequence[Any]], Sequence[int]]


def tables(tables: Sequence[Table], *, plain: bool = False) -> list[SheetPlan]:
    """One sheet per table: a bold, shaded header row, frozen. Not ``plain`` (batch's
    summary): headers centred, an autofilter, and text stored as text (one that starts with
    "=" never becomes a formula). ``plain`` (a workbook for a template to fill): every header
    column gets a width, the last one given repeating."""
    planned = []
    for title, headers, rows, widths in tables:
        plan = SheetPlan(title, freeze="A2")
        header = Style(fill=TOTAL_FILL, font=FontSpec(bold=True),
                       align=None if plain else Align("center", "center", wrap=True))
        plan.cells += [Put(1, col, text, header) for col, text in enumerate(headers, start=1)]
        if plain:
            plan.cells += [Put(r, col, value) for r, row in enumerate(rows, start=2)
                           for col, value in enumerate(row, start=1)]
        else:
            plan.rows = rows  # iterated once, when the sheet is written
        if plain:
            plan.widths = {col: widths[min(col, len(widths)) - 1]
                           for col in range(1, len(headers) + 1)}
        else:
            plan.widths = dict(enumerate(widths, start=1))
            plan.autofilter = f"A1:{column_letter(len(headers))}{max(1, len(rows)) + 1}"
        planned.append(plan)
    return planned


__all__ = ["Align", "FontSpec", "Put", "SheetPlan", "Style", "Table", "Validation", "record",
           "sheets", "sum_formula", "tables"]
