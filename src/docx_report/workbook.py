"""Report workbooks through openpyxl: open one safely, and write one from a pack.

Where things sit on each sheet (the layout) is defined once in ``layout.py`` and used both to
write the blank workbook here and to read a filled one. Reading goes through
``xlsx_fast.open_book``: python-calamine where it gives the same values, this module's
``Workbook`` (openpyxl) otherwise.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import operator
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook as _Book
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from docx_report import live_checks
from docx_report import workbook_print as wp
from docx_report.errors import InputError, OutputError
from docx_report.files import atomic_write
from docx_report.layout import (
    FIRST_FIELD_ROW,
    GRID_TOP,
    HEADER_ROW,
    HELP_ROW,
    INTRO_ROW,
    META_SHEET,
    NOTE_ROW,
    SCAN_COLS,
    SCAN_ROWS,
    TITLE_ROW,
    PackRecord,
    coordinate,
    field_row,
    grid_position,
    locate,
)
from docx_report.pack import NarrativeSection, Pack, TableSection
from docx_report.values import TYPES, CellError
from docx_report.xlsx_guard import check_xlsx, load_failure, quiet_openpyxl

# The layout is re-exported: callers still find it here.
__all__ = ["FIRST_FIELD_ROW", "GRID_TOP", "HEADER_ROW", "HELP_ROW", "INTRO_ROW", "META_SHEET",
           "NOTE_ROW", "SCAN_COLS", "SCAN_ROWS", "TITLE_ROW", "PackRecord", "Workbook",
           "coordinate", "field_row", "grid_position", "locate", "open_workbook",
           "save_atomically", "write_workbook"]

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_TOTAL_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
_TOP = Alignment(wrap_text=True, vertical="top")


# ---------------------------------------------------------------------------------------------
# Reading


class Workbook:
    """A workbook opened for reading: values by sheet and position, formulas on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        check_xlsx(path)
        self._book = self._load(data_only=True)
        self._formulas: Any = None
        self.sheetnames: list[str] = [
            ws.title for ws in self._book.worksheets if ws.title != META_SHEET]

    def _load(self, *, data_only: bool) -> Any:
        try:
            # Our own handle, closed however openpyxl ends (it leaves its zip open on errors).
            with self.path.open("rb") as fh, quiet_openpyxl():
                return load_workbook(fh, data_only=data_only, keep_links=False)
        except Exception as exc:  # openpyxl raises anything from KeyError to XML errors
            raise load_failure(exc, self.path) from None

    @property
    def pack_name(self) -> str | None:
        """The pack recorded by ``init`` in the hidden sheet, if any."""
        record = self.pack_record
        return record.name if record else None

    @property
    def pack_record(self) -> PackRecord | None:
        """What ``init`` recorded of the pack in the hidden sheet: name, version, fingerprint
        and, for a pack that is not built in, its folder."""
        # Only a worksheet holds the record: a chart sheet may take the name of a deleted one.
        meta = next((ws for ws in self._book.worksheets if ws.title == META_SHEET), None)
        if meta is None or not meta["B1"].value:
            return None
        values = {str(meta.cell(row, 1).value): meta.cell(row, 2).value for row in range(1, 7)}
        return PackRecord.from_rows(values)

    def sheets(self) -> list[SheetCells]:
        """Every worksheet with the cells that hold a value, for the generic reader: values
        as calculated, without the ones a merge covers. Sparse: a value typed far out costs its
        own cells, not the empty rectangle up to it (see ``_Sparse``)."""
        sparse = _Sparse(self.path)
        try:
            return [SheetCells(ws.title, ws.sheet_state == "visible", sparse.cells(ws))
                    for ws in self._book.worksheets]
        finally:
            sparse.close()

    def has_sheet(self, sheet: str) -> bool:
        return sheet in self.sheetnames

    def value(self, sheet: str, row: int, col: int) -> Any:
        """The cell's value; an Excel error value (#REF!…) comes as a ``CellError``."""
        cell = self._book[sheet].cell(row=row, column=col)
        if cell.data_type == "e" and isinstance(cell.value, str):
            return CellError(cell.value)
        return cell.value

    def formula(self, sheet: str, row: int, col: int) -> str | None:
        """The formula in a cell, if it holds one (loads the formulas on first use)."""
        if self._formulas is None:
            self._formulas = self._load(data_only=False)
        value = self._formulas[sheet].cell(row=row, column=col).value
        if isinstance(value, str) and value.startswith("="):
            return value
        return str(value) if type(value).__name__ == "ArrayFormula" else None

    def texts(self, sheet: str) -> Iterator[tuple[int, int, str]]:
        """Every non-empty text cell of the sheet's first rows and columns (bounded)."""
        ws = self._book[sheet]
        for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, SCAN_ROWS),
                                max_col=min(ws.max_column, SCAN_COLS)):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.strip():
                    yield cell.row, cell.column, cell.value

    def max_row(self, sheet: str) -> int:
        return min(int(self._book[sheet].max_row), SCAN_ROWS)


@dataclass(frozen=True, slots=True)
class CellRecord:
    """A cell that holds a value: position (1-based), value as openpyxl gives it (an Excel
    error value as its text, #DIV/0!), and the number format of a number."""

    row: int
    col: int
    value: Any
    number_format: str = "General"

    @property
    def coordinate(self) -> str:
        return coordinate(self.row, self.col)


@dataclass(frozen=True)
class SheetCells:
    title: str
    visible: bool
    cells: list[CellRecord]  # row by row, left to right


class _Sparse:
    """The cells a worksheet holds, through openpyxl's public API only.

    openpyxl's ``iter_rows`` walks (and creates) every cell of the used rectangle, so one
    value typed at XFD1048576 would cost billions of cells. A sheet whose rectangle is small
    (all of them together within ``DENSE_AREA``) is walked that way. Any other sheet's cells
    are found by streaming its XML once more in openpyxl's read-only mode, which yields only
    the rows the file has, each padded with empty slots up to its last cell, and an empty
    tuple for each row skipped: that work is counted (``STREAM_WORK``, a row counted as
    ``ROW_WORK`` slots) and a workbook that would need more is refused. The values are then
    taken from the workbook already loaded (so cells covered by a merge stay empty).
    """

    DENSE_AREA = 250_000  # cells of the used rectangles walked, all sheets together
    STREAM_WORK = 50_000_000  # padded slots streamed (~40 ns each), all sheets together
    ROW_WORK = 16  # an empty row streamed costs about as much as 16 slots

    def __init__(self, path: Path) -> None:
        self.path = path
        self.dense = self.DENSE_AREA
        self.work = self.STREAM_WORK
        self._stack = contextlib.ExitStack()
        self._stream: Any = None

    def cells(self, ws: Worksheet) -> list[CellRecord]:
        area = (ws.max_row - ws.min_row + 1) * (ws.max_column - ws.min_column + 1)
        if area <= self.dense:
            self.dense -= area
            found: Iterator[Any] = (cell for row in ws.iter_rows(
                min_row=ws.min_row, min_col=ws.min_column) for cell in row)
        else:
            found = (ws.cell(row, col) for row, col in self._positions(ws.title))
        return [CellRecord(c.row, c.column, c.value, c.number_format
                           if isinstance(c.value, int | float) else "General")
                for c in found if c.value is not None]

    def _positions(self, title: str) -> Iterator[tuple[int, int]]:
        if self._stream is None:
            try:
                fh = self._stack.enter_context(self.path.open("rb"))
                with quiet_openpyxl():
                    self._stream = load_workbook(fh, read_only=True, data_only=True,
                                                 keep_links=False)
                self._stack.callback(self._stream.close)
            except Exception as exc:  # openpyxl raises anything from KeyError to XML errors
                raise load_failure(exc, self.path) from None
        ws = self._stream[title]
        ws.reset_dimensions()  # pad rows to their own last cell, not to a declared size
        empty = functools.partial(operator.is_, EMPTY_CELL)
        try:
            with quiet_openpyxl():
                for number, row in enumerate(ws.iter_rows(), start=1):  # every row, from 1
                    self.work -= len(row) + self.ROW_WORK
                    if self.work < 0:
                        raise InputError(
                            f"工作表「{title}」第 {number} 行一带：数据分散到很远的行列，读取的"
                            "工作量过大；请删除远处不需要的单元格（Ctrl+End 可跳到最远的单元格）"
                            "后再试", file=self.path)
                    for cell in itertools.filterfalse(empty, row):
                        yield cell.row, cell.column
        except InputError:
            raise
        except Exception as exc:
            raise load_failure(exc, self.path) from None

    def close(self) -> None:
        self._stack.close()


def open_workbook(path: Path) -> Workbook:
    return Workbook(path)


# ---------------------------------------------------------------------------------------------
# Writing


def _style(cell: Any, *, fill: PatternFill, bold: bool = False, align: Alignment = _CENTER,
           locked: bool = True) -> None:
    cell.fill = fill
    cell.border = _BORDER
    cell.alignment = align
    cell.font = Font(name="宋体", size=11, bold=bold)
    cell.protection = Protection(locked=locked)
    if not locked and isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"  # an input cell holds data: "=HYPERLINK(…)" stays text


def _banner(ws: Worksheet, title: str, help_text: str, width: int) -> None:
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
    ws.merge_cells(start_row=HELP_ROW, start_column=1, end_row=HELP_ROW, end_column=width)
    ws.cell(TITLE_ROW, 1, title).font = Font(name="黑体", size=14, bold=True)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    note = ws.cell(HELP_ROW, 1, help_text)
    note.font = Font(name="宋体", size=10, color="595959")
    note.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[TITLE_ROW].height = 26
    ws.row_dimensions[HELP_ROW].height = 46


def _protect(ws: Worksheet) -> None:
    """Lock labels and totals (no password: a clerk may still unprotect on purpose)."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False


def _sum_formula(refs: Sequence[tuple[int, int]]) -> str:
    rows = {r for r, _ in refs}
    cols = sorted(c for _, c in refs)
    if len(rows) == 1 and cols == list(range(cols[0], cols[0] + len(cols))):
        row = rows.pop()
        return f"=SUM({coordinate(row, cols[0])}:{coordinate(row, cols[-1])})"
    return "=SUM(" + ",".join(coordinate(r, c) for r, c in refs) + ")"


def _write_facts(ws: Worksheet, pack: Pack, facts: Mapping[str, Any]) -> None:
    _banner(ws, f"{pack.title} — 基本信息",
            "黄色单元格为填写项。填好各工作表后，上传到主管部门提供的报告网页，"
            "即可看到全部问题并下载报告；或在装有 docx-report 的电脑上运行：docx-report build "
            "本文件.xlsx", 3)
    for col, text in enumerate(("项目", "填写内容", "说明"), start=1):
        _style(ws.cell(HEADER_ROW, col, text), fill=_LABEL_FILL, bold=True)
    for field in pack.fields:
        row = field_row(pack, field.key)
        _style(ws.cell(row, 1, field.label), fill=_LABEL_FILL, bold=field.required)
        value = facts.get(field.key, field.default)
        target = ws.cell(row, 2, value)
        _style(target, fill=_INPUT_FILL, align=_WRAP, locked=False)
        _style(ws.cell(row, 3, field.help), fill=_LABEL_FILL, align=_WRAP)
        if field.type == "choice":
            dv = DataValidation(type="list", formula1='"' + ",".join(field.choices) + '"',
                                allow_blank=False, showErrorMessage=True,
                                errorTitle="请从列表中选择", error="、".join(field.choices))
        elif field.type == "year":
            dv = DataValidation(type="whole", operator="between",
                                formula1=str(field.min or 1900), formula2=str(field.max or 2100),
                                errorTitle="年度", error="请填写四位数年份")
        elif field.type == "date":
            target.number_format = 'yyyy"年"m"月"d"日"'
            dv = DataValidation(type="date", operator="greaterThan", formula1="39448",
                                errorTitle="日期", error="请填写日期，如 2025-01-20")
        else:
            continue
        ws.add_data_validation(dv)
        dv.add(target)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 60
    ws.freeze_panes = f"A{FIRST_FIELD_ROW}"


def _write_narrative(ws: Worksheet, section: NarrativeSection, content: Mapping[str, Any]) -> None:
    _banner(ws, section.heading,
            "每个小标题占一行：A 列小标题（可修改，不需要的清空），B 列正文。正文可写多段，"
            "段与段之间在单元格内按 Alt+Enter 换行（WPS 相同）。段首不必空格，生成时自动缩进。", 2)
    _style(ws.cell(HEADER_ROW, 1, "小标题"), fill=_LABEL_FILL, bold=True)
    _style(ws.cell(HEADER_ROW, 2, "正文"), fill=_LABEL_FILL, bold=True)
    _style(ws.cell(INTRO_ROW, 1, section.intro_label), fill=_LABEL_FILL, align=_WRAP)
    _style(ws.cell(INTRO_ROW, 2, "\n".join(content.get("intro", []))), fill=_INPUT_FILL,
           align=_TOP, locked=False)
    subsections = list(content.get("subsections", []))
    titles = [s["title"] for s in subsections] or list(section.subsections)
    for i in range(max(section.rows, len(titles))):
        row = INTRO_ROW + 1 + i
        title = titles[i] if i < len(titles) else ""
        body = "\n".join(subsections[i]["paragraphs"]) if i < len(subsections) else ""
        _style(ws.cell(row, 1, title), fill=_INPUT_FILL, align=_WRAP, locked=False)
        _style(ws.cell(row, 2, body), fill=_INPUT_FILL, align=_TOP, locked=False)
    ws.freeze_panes = f"A{INTRO_ROW}"


def _write_table(ws: Worksheet, pack: Pack, table: TableSection,
                 values: Mapping[str, Any], note: Sequence[str],
                 literal: Collection[str] = ()) -> None:
    totals = pack.total_of()
    computed = "；蓝色单元格是合计，由公式自动计算，生成报告时工具也会按各项之和重新核算" if any(
        cell.key in totals for cell in table.value_cells()) else ""  # say so only where it is
    _banner(ws, table.heading,
            f"黄色单元格填数字，没有的填 0（不要填“/”“—”“无”或留空）{computed}。", table.width)
    _style(ws.cell(NOTE_ROW, 1, "表前说明（可不填）"), fill=_LABEL_FILL, align=_WRAP)
    ws.merge_cells(start_row=NOTE_ROW, start_column=2, end_row=NOTE_ROW, end_column=table.width)
    _style(ws.cell(NOTE_ROW, 2, "\n".join(note)), fill=_INPUT_FILL, align=_TOP, locked=False)
    position = {c.key: grid_position(c) for c in table.value_cells()}
    validations: dict[str, DataValidation] = {}
    for cell in table.cells:
        row, col = grid_position(cell)
        if cell.rows > 1 or cell.cols > 1:
            ws.merge_cells(start_row=row, start_column=col, end_row=row + cell.rows - 1,
                           end_column=col + cell.cols - 1)
        if not cell.is_value:
            _style(ws.cell(row, col, cell.text + cell.hint), fill=_LABEL_FILL)
            continue
        target = ws.cell(row, col)
        parts = totals.get(cell.key)
        if parts and all(p in position for p in parts) and cell.key not in literal:
            target.value = _sum_formula([position[p] for p in parts])
            _style(target, fill=_TOTAL_FILL, bold=True)
        else:
            target.value = values.get(cell.key, TYPES[cell.type].default)
            _style(target, fill=_INPUT_FILL, locked=False)
            rule = TYPES[cell.type].validation
            if rule:
                if cell.type not in validations:
                    kind, op, low = rule
                    dv = DataValidation(
                        type=kind, operator=op or "between", formula1=low or "-999999999",
                        formula2=None if op else "999999999", showErrorMessage=True,
                        errorTitle="请填写数字",
                        error="此处只能填写" + ("非负整数" if cell.type == "count" else
                                              "整数" if cell.type == "signed" else "非负数字"))
                    ws.add_data_validation(dv)
                    validations[cell.type] = dv
                validations[cell.type].add(target)
        # Borders on the covered cells of a merge, so the grid shows whole in Excel.
        for rr in range(row, row + cell.rows):
            for cc in range(col, col + cell.cols):
                ws.cell(rr, cc).border = _BORDER
    for i, width in enumerate(table.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for r in range(table.height):
        texts = [c for c in table.cells if c.row == r and not c.is_value and c.rows == 1]
        longest = max((len(c.text) / max(1.0, sum(table.widths[c.col:c.col + c.cols]) / 2.1)
                       for c in texts if table.widths), default=1.0)
        ws.row_dimensions[GRID_TOP + r].height = max(20, 15 * int(longest + 0.999))
    label_cols = min((c.col for c in table.value_cells()), default=0)
    ws.freeze_panes = coordinate(GRID_TOP + table.header_rows if table.header_rows > 1
                                 else GRID_TOP, 1 + label_cols)


def write_workbook(pack: Pack, out: Path, *, facts: Mapping[str, Any] | None = None,
                   values: Mapping[str, Any] | None = None,
                   narratives: Mapping[str, Mapping[str, Any]] | None = None,
                   notes: Mapping[str, Sequence[str]] | None = None,
                   literal: Collection[str] = (), force: bool = False) -> None:
    """Write a workbook in the pack's layout: blank (``init``), or filled (examples, 汇总).

    ``values`` maps value keys to numbers; ``narratives`` maps a narrative section's key to
    ``{"intro": [...], "subsections": [{"title", "paragraphs"}]}``. A value of None leaves
    its cell empty (for the clerk to fill). Totals are formulas, except those in ``literal``,
    written as the value given (an imported report's wrong total, kept for ``check``). The
    file is written to a temporary name and renamed, so a failure never leaves half a workbook.
    """
    if out.exists() and not force:
        raise OutputError(f"{out}：文件已存在；如要覆盖，请加 --force")
    if out.suffix.lower() != ".xlsx":
        raise OutputError(f"{out}：输出文件名应以 .xlsx 结尾")
    book = _Book()
    first = book.active
    assert first is not None
    first.title = pack.facts_sheet
    _write_facts(first, pack, facts or {})
    for section in pack.sections:
        ws = book.create_sheet(section.sheet)
        if isinstance(section, TableSection):
            _write_table(ws, pack, section, values or {}, (notes or {}).get(section.key, []),
                         literal)
        else:
            _write_narrative(ws, section, (narratives or {}).get(section.key, {}))
    _live_checks(book, live_checks.plan(pack, locate(pack), GRID_TOP, book.sheetnames))
    _print_layout(book, pack, str((facts or {}).get("agency") or ""))
    for ws in book.worksheets:
        _protect(ws)
    meta = book.create_sheet(META_SHEET)
    meta["A1"], meta["B1"] = "pack", pack.name
    meta["A2"], meta["B2"] = "version", pack.version
    meta["A3"], meta["B3"] = "written", dt.date.today().isoformat()
    meta["A4"], meta["B4"] = "fingerprint", pack.fingerprint
    meta["A5"], meta["B5"] = "source", "" if pack.builtin else pack.source
    if not pack.builtin:  # the folder as seen from the workbook: both may move together
        with contextlib.suppress(ValueError):  # another drive (Windows)
            meta["A6"], meta["B6"] = "relative", os.path.relpath(pack.root.resolve(),
                                                                 out.resolve().parent)
    meta.sheet_state = "veryHidden"
    save_atomically(book, out)


def _print_layout(book: Any, pack: Pack, agency: str) -> None:
    """A4 page setup, row heights from the text, print titles, page breaks, header/footer
    (planned by ``workbook_print``)."""
    facts = book[pack.facts_sheet]
    _apply_print(facts, wp.facts_layout(_View(facts), 3,
                                        [field_row(pack, f.key) for f in pack.fields]))
    for section in pack.sections:
        ws = book[section.sheet]
        if isinstance(section, TableSection):
            plan = wp.table_layout(_View(ws), section, GRID_TOP, ws.max_row, NOTE_ROW)
        else:
            plan = wp.narrative_layout(_View(ws), HEADER_ROW, INTRO_ROW, ws.max_row)
        _apply_print(ws, plan)
    page = wp.header_footer(agency)
    for ws in book.worksheets:
        merged = next((m for m in ws.merged_cells.ranges
                       if m.min_row == HELP_ROW and m.min_col == 1), None)
        if merged is not None:
            _set_height(ws, HELP_ROW, wp.merged_row_height(_View(ws), HELP_ROW, merged.max_col,
                                                           minimum=30))
        _header_footer(ws, page)


class _View:
    """A worksheet as ``workbook_print`` reads it (``wp.SheetView``)."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws

    def text(self, row: int, col: int) -> str:
        return str(self.ws.cell(row, col).value or "")

    def width(self, col: int) -> float:
        return float(self.ws.column_dimensions[get_column_letter(col)].width or 8.43)

    def height(self, row: int) -> float | None:
        dims = self.ws.row_dimensions
        height = dims[row].height if row in dims else None
        return float(height) if height else None


class _EstimatedRow(RowDimension):  # type: ignore[misc]
    """A row height without Excel's custom-height mark: Excel and WPS grow the row again when
    its text is edited."""

    @property
    def customHeight(self) -> bool:
        return False


def _set_height(ws: Worksheet, row: int, height: float) -> None:
    ws.row_dimensions[row] = _EstimatedRow(ws, index=row, ht=height)


def _apply_print(ws: Worksheet, plan: wp.PrintPlan) -> None:
    for col, width in plan.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, height in plan.heights.items():
        _set_height(ws, row, height)
    if plan.title_rows:
        ws.print_title_rows = f"{plan.title_rows[0]}:{plan.title_rows[1]}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if plan.landscape else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if plan.one_page else 0
    m = plan.margins
    ws.page_margins = PageMargins(left=m.left, right=m.right, top=m.top, bottom=m.bottom,
                                  header=m.header, footer=m.footer)
    ws.print_options.horizontalCentered = True
    ws.print_options.gridLines = False
    for row in plan.breaks:
        ws.row_breaks.append(Break(id=row))


def _header_footer(ws: Worksheet, page: wp.HeaderFooter) -> None:
    for header, footer in ((ws.oddHeader, ws.oddFooter), (ws.evenHeader, ws.evenFooter)):
        if page.left:
            header.left.text = page.left
            header.left.size = page.size
        header.right.text = page.right
        header.right.size = page.size
        footer.center.text = page.footer
        footer.center.size = page.size


_LOOKS = {"wrong": (PatternFill(start_color="FFC7CE", end_color="FFC7CE", fill_type="solid"),
                    Font(color="9C0006", bold=True)),
          "right": (PatternFill(start_color="C6EFCE", end_color="C6EFCE", fill_type="solid"),
                    Font(color="006100", bold=True))}


def _live_checks(book: Any, planned: Sequence[live_checks.TableChecks]) -> None:
    """Write the check lines and the red marks ``live_checks`` planned."""
    for table in planned:
        line = table.line
        ws = book[line.sheet]
        ws.merge_cells(start_row=line.row, start_column=1, end_row=line.row,
                       end_column=line.width)
        cell = ws.cell(line.row, 1, line.formula)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.font = Font(name="宋体", size=11, bold=True)
        for col in range(1, line.width + 1):
            ws.cell(line.row, col).border = _BORDER
        ws.row_dimensions[line.row].height = line.height
        for mark in (*line.marks, *table.marks):
            fill, font = _LOOKS[mark.look]
            extra = {} if mark.stop is None else {"stopIfTrue": mark.stop}
            book[mark.sheet].conditional_formatting.add(
                mark.cell, FormulaRule(formula=[mark.formula], fill=fill, font=font, **extra))


def save_atomically(book: Any, out: Path) -> None:
    """Save an openpyxl workbook through a temporary file in the same folder."""
    atomic_write(out, book.save, hint="文件是否正在 Excel 中打开？")


# ---------------------------------------------------------------------------------------------
# Plain tables (batch's summary.xlsx): a header row, rows, frozen header, an autofilter

_TABLE_FILL = PatternFill("solid", fgColor="DDEBF7")


def cell_text(text: str) -> str:
    """Text without the control characters a workbook cannot hold."""
    return str(ILLEGAL_CHARACTERS_RE.sub("", text))


def write_tables(out: Path, tables: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]],
                                                   Sequence[int]]], *, plain: bool = False) -> None:
    """A workbook of one sheet per (title, headers, rows, column widths), saved atomically:
    a bold, shaded header row, frozen. Not ``plain`` (batch's summary): headers centred, an
    autofilter, and text stored as text (one that starts with "=" never becomes a formula).
    ``plain`` (a workbook for a template to fill): every header column gets a width, the last
    one given repeating."""
    book = _Book()
    first = book.active
    assert first is not None
    for i, (title, headers, rows, widths) in enumerate(tables):
        ws = first if i == 0 else book.create_sheet(title)
        ws.title = title
        for col, header in enumerate(headers, start=1):
            cell = ws.cell(1, col, header)
            cell.font = Font(bold=True)
            cell.fill = _TABLE_FILL
            if not plain:
                cell.alignment = Alignment(horizontal="center", vertical="center",
                                           wrap_text=True)
        for r, row in enumerate(rows, start=2):
            for col, value in enumerate(row, start=1):
                cell = ws.cell(r, col, value)
                if isinstance(value, str) and not plain:
                    cell.data_type = "s"
        if plain:
            for col in range(1, len(headers) + 1):
                ws.column_dimensions[get_column_letter(col)].width = widths[
                    min(col, len(widths)) - 1]
        else:
            for col, width in enumerate(widths, start=1):
                ws.column_dimensions[get_column_letter(col)].width = width
        ws.freeze_panes = "A2"
        if not plain:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, len(rows)) + 1}"
    save_atomically(book, out)
