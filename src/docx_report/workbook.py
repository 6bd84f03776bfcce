"""The one module that touches openpyxl: open a workbook safely, write one from plans.

Reading goes through ``xlsx_fast.open_book``: python-calamine where it gives the same values,
this module's ``Workbook`` (openpyxl) otherwise; a generic workbook's cells come from
``Workbook.visible_sheets`` as plain records (``layout.CellRecord``), sparse. Writing applies
plain-data plans made elsewhere: the sheets (``workbook_plan``), the check lines
(``live_checks``) and the print layout (``workbook_print``). Only openpyxl's public API is used.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import operator
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook as _Book
from openpyxl import load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from docx_report import live_checks, xlsx_rows
from docx_report import workbook_plan as plans
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
    CellRecord,
    PackRecord,
    SheetCells,
    coordinate,
    field_row,
    grid_position,
    locate,
)
from docx_report.pack import Pack, TableSection
from docx_report.values import CellError
from docx_report.workbook_styles import Alignment_, Border_, Fill_, Font_, Protection_
from docx_report.xlsx_guard import check_xlsx, load_failure, quiet_openpyxl

# The layout is re-exported: callers still find it here.
__all__ = ["FIRST_FIELD_ROW", "GRID_TOP", "HEADER_ROW", "HELP_ROW", "INTRO_ROW", "META_SHEET",
           "NOTE_ROW", "SCAN_COLS", "SCAN_ROWS", "TITLE_ROW", "PackRecord", "Workbook",
           "coordinate", "field_row", "grid_position", "locate", "open_workbook",
           "save_atomically", "write_workbook"]



_THIN = Side(style="thin", color="808080")
_BORDER = Border_(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
# the parts of the styles a plan names, made once per process
_FILLS: dict[str, PatternFill] = {}
_ALIGNMENTS: dict[plans.Align, Alignment] = {}
_FONTS: dict[plans.FontSpec, Font] = {}
_PROTECTIONS = {locked: Protection_(locked=locked) for locked in (False, True)}


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
        if meta is None:
            return None
        return PackRecord.from_sheet(lambda row, col: meta.cell(row, col).value)

    def visible_sheets(self) -> list[SheetCells]:
        """The visible worksheets with the cells that hold a value, for the generic reader:
        values as calculated, without the ones a merge covers. Sparse: a value typed far out
        costs its own cells, not the empty rectangle up to it (see ``_Sparse``)."""
        sparse = _Sparse(self.path)
        try:
            return [SheetCells(ws.title, sparse.cells(ws)) for ws in self._book.worksheets
                    if ws.sheet_state == "visible"]
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

    DENSE_AREA = 250_000  # cells of the used rectangles walked (2-7 µs each), all sheets
    STREAM_WORK = 50_000_000  # padded slots streamed (~50 ns each), all sheets together
    ROW_WORK = 2  # an empty row streamed (~0.1 µs) costs about as much as 2 slots

    def __init__(self, path: Path) -> None:
        self.path = path
        self.dense = self.DENSE_AREA
        self.work = self.STREAM_WORK  # less the slots streamed so far
        self.rows = 0  # rows streamed in the sheets done
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
        number = 0
        try:
            with quiet_openpyxl():
                for number, row in enumerate(ws.iter_rows(), start=1):  # every row, from 1
                    if row:  # most rows streamed may be the empty ones skipped: keep them cheap
                        self.work -= len(row)
                        self._within_budget(title, number)
                        for cell in itertools.filterfalse(empty, row):
                            yield cell.row, cell.column
        except InputError:
            raise
        except Exception as exc:
            raise load_failure(exc, self.path) from None
        self._within_budget(title, number)
        self.rows += number

    def _within_budget(self, title: str, number: int) -> None:
        if self.work < self.ROW_WORK * (self.rows + number):
            raise InputError(f"工作表「{title}」第 {number} 行一带：数据分散到很远的行列，读取的"
                             "工作量过大；请删除远处不需要的单元格（Ctrl+End 可跳到最远的单元格）"
                             "后再试", file=self.path)

    def close(self) -> None:
        self._stack.close()


def open_workbook(path: Path) -> Workbook:
    return Workbook(path)


# ---------------------------------------------------------------------------------------------
# Writing


def _protect(ws: Worksheet) -> None:
    """Lock labels and totals (no password: a clerk may still unprotect on purpose)."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False


def _style(cell: Any, style: plans.Style) -> None:
    if style.fill is not None:
        fill = _FILLS.get(style.fill)
        if fill is None:
            fill = _FILLS[style.fill] = Fill_("solid", fgColor=style.fill)
        cell.fill = fill
    if style.border:
        cell.border = _BORDER
    if style.align is not None:
        a = style.align
        alignment = _ALIGNMENTS.get(a)
        if alignment is None:
            alignment = _ALIGNMENTS[a] = Alignment_(horizontal=a.horizontal,
                                                    vertical=a.vertical, wrap_text=a.wrap)
        cell.alignment = alignment
    if style.font is not None:
        f = style.font
        font = _FONTS.get(f)
        if font is None:
            font = _FONTS[f] = Font_(name=f.name, size=f.size, bold=f.bold, color=f.color)
        cell.font = font
    if style.locked is not None:
        cell.protection = _PROTECTIONS[style.locked]
    if style.number_format is not None:
        cell.number_format = style.number_format


def _apply_sheet(ws: Worksheet, plan: plans.SheetPlan) -> None:
    """Write one sheet's plan (``workbook_plan``)."""
    ws.title = plan.title
    for first_row, first_col, last_row, last_col in plan.merges:
        ws.merge_cells(start_row=first_row, start_column=first_col, end_row=last_row,
                       end_column=last_col)
    for put in plan.cells:
        cell = ws.cell(put.row, put.col)
        if not put.keep:
            cell.value = put.value
        if put.style is not None:
            _style(cell, put.style)
        if put.text and isinstance(cell.value, str):
            cell.data_type = "s"  # data, not a formula: "=HYPERLINK(…)" stays text
    assert not plan.rows, "plain rows are written by the streamed writer (_streamed)"
    for check in plan.validations:
        dv = DataValidation(type=check.kind, operator=check.operator, formula1=check.formula1,
                            formula2=check.formula2, allow_blank=check.allow_blank,
                            showErrorMessage=check.show_error, errorTitle=check.error_title,
                            error=check.error)
        ws.add_data_validation(dv)
        for row, col in check.cells:
            dv.add(ws.cell(row, col))
    for col, width in plan.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, height in plan.heights.items():
        ws.row_dimensions[row].height = height
    ws.freeze_panes = plan.freeze
    if plan.autofilter:
        ws.auto_filter.ref = plan.autofilter


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
    for i, plan in enumerate(plans.sheets(pack, facts=facts or {}, values=values or {},
                                          narratives=narratives or {}, notes=notes or {},
                                          literal=literal)):
        _apply_sheet(first if i == 0 else book.create_sheet(plan.title), plan)
    _live_checks(book, live_checks.plan(pack, locate(pack), GRID_TOP, book.sheetnames))
    _print_layout(book, pack, str((facts or {}).get("agency") or ""))
    for ws in book.worksheets:
        _protect(ws)
    meta = book.create_sheet(META_SHEET)
    for row, (key, value) in enumerate(plans.record(pack, out), start=1):
        meta.cell(row, 1, key)
        meta.cell(row, 2, value)
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
# Plain tables (batch's summary.xlsx, a generic workbook to fill)

def write_tables(out: Path, tables: Sequence[plans.Table], *, plain: bool = False) -> None:
    """A workbook of one sheet per (title, headers, rows, column widths), saved atomically
    (see ``workbook_plan.tables``)."""
    planned = plans.tables(tables, plain=plain)
    if not plain:
        atomic_write(out, functools.partial(_streamed, planned), hint="文件是否正在 Excel 中打开？")
        return
    book = _Book()
    first = book.active
    assert first is not None
    for i, plan in enumerate(planned):
        _apply_sheet(first if i == 0 else book.create_sheet(plan.title), plan)
    save_atomically(book, out)


def _streamed(planned: Sequence[plans.SheetPlan], out: Path) -> None:
    """Sheets of a header row and plain rows: openpyxl writes the workbook with a marker row
    in each sheet, ``xlsx_rows`` the rows in its place, streamed (a summary of thousands of
    workbooks is neither built as cells nor held as XML)."""
    book = _Book(write_only=True)
    for n, plan in enumerate(planned):
        ws = book.create_sheet(plan.title)
        for col, width in plan.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.freeze_panes = plan.freeze
        if plan.autofilter:
            ws.auto_filter.ref = plan.autofilter
        header = []
        for put in sorted(plan.cells, key=lambda p: p.col):
            assert put.row == 1, "only a header row before the rows"
            cell = WriteOnlyCell(ws, put.value)
            if put.style is not None:
                _style(cell, put.style)
            header.append(cell)
        if header:
            ws.append(header)
        if plan.rows:
            ws.append([xlsx_rows.marker(n)])
    package = io.BytesIO()
    book.save(package)
    xlsx_rows.splice(package.getvalue(), {n: plan.rows for n, plan in enumerate(planned)
                                          if plan.rows}, out)
