"""Open a report workbook for reading: python-calamine where it gives openpyxl's values exactly.

openpyxl spends ~100 ms building a styled object per cell of a pack workbook; python-calamine
(Rust) reads the same values in a few milliseconds. The reader only needs values, so a pack
workbook is read with calamine, and its values are made exactly what openpyxl gives:

* an empty cell (and a formula without a calculated result) is ``None``, not ``""``;
* a whole number stored as ``3`` is ``int`` 3 (calamine gives 3.0 for every number);
* a date is a ``datetime`` at midnight (openpyxl never gives a ``date``);
* a cell covered by a merge, but not its first, is empty (a value left there after rows were
  inserted is not read).

Where calamine cannot give the same values, or could build more than it should, the workbook
is read by openpyxl instead (``workbook.Workbook``), decided from what the guard's one pass saw
(``xlsx_survey.Survey``, as a namespace-aware parser sees the parts, whatever their prefixes):
error cells (``#REF!``, which calamine turns into blanks) or cell types it does not know,
Excel's ``_xHHHH_`` escapes (which calamine undoes and the text parsers undo again), worksheets
outside ``xl/worksheets/`` or named in an unusual way, a cell without a reference as Excel writes
it (calamine would place it after the one before), and sheets whose cells span an area over
``MAX_CELLS`` (calamine builds a dense grid of it, openpyxl only the cells that exist; calamine
reads every element named ``c``, in any namespace, and so does the survey).
openpyxl also reads formulas when the reader asks for one, writes every workbook (``init``,
the 汇总) and reads generic workbooks (it knows number formats).

``xlsx_guard.check_xlsx`` runs first, before either reader sees the file, and nothing is
inflated twice to decide.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docx_report import xlsx_direct
from docx_report.errors import InputError
from docx_report.layout import SCAN_COLS, SCAN_ROWS, Book
from docx_report.xlsx_direct import ValuesBook
from docx_report.xlsx_guard import Survey, check_xlsx
from docx_report.xlsx_survey import RELATIONSHIPS

READERS = ("direct", "calamine", "openpyxl")
#: The reader ``open_book`` uses by default: "direct" takes the values the guard's pass read
#: (``xlsx_direct``), else calamine reads them; "calamine" skips the first, "openpyxl" reads
#: every workbook the slow way.
DEFAULT_READER = "direct"

MAX_CELLS = 250_000  # rows x columns of a sheet's area beyond which openpyxl reads it (sparse)
_EXACT = 2**53  # floats below this are whole numbers exactly
_PLAIN_SHEET = re.compile(r"xl/worksheets/[A-Za-z0-9_.-]+\.xml")
_WORKBOOK = ("xl/workbook.xml", "/xl/workbook.xml")
_SLACK = 1000  # shared strings declared beyond those present (a sloppy writer's count)


def open_book(path: Path, *, reader: str | None = None) -> Book:
    """The workbook at ``path``, checked by the guard, read by calamine when it reads it exactly.

    Raises ``InputError`` (from the guard or openpyxl) for a file that is no sane workbook.
    """
    survey = check_xlsx(path)
    reader = reader or DEFAULT_READER
    if reader != "openpyxl" and calamine_reads_exactly(survey):
        if reader == "direct" and (direct := xlsx_direct.read(path, survey)) is not None:
            return direct
        book = CalamineBook.open(path, survey)
        if book is not None:
            return book
    from docx_report import workbook

    return workbook.open_workbook(path)


def _openpyxl_value(raw: Any) -> Any:
    """A calamine value as openpyxl gives it."""
    if raw == "" and isinstance(raw, str):
        return None
    if type(raw) is float and raw.is_integer() and -_EXACT < raw < _EXACT:
        return int(raw)
    if type(raw) is dt.date:
        return dt.datetime(raw.year, raw.month, raw.day)
    return raw


def calamine_reads_exactly(survey: Survey) -> bool:
    """Does calamine read this workbook as openpyxl does, building no more than its cells?

    calamine finds its parts through the relationships and looks names up in any case and
    with either slash; it reads attributes as written (a character reference in a name or a
    reference is not decoded, so it finds no such part or refuses the cell). So: names that
    differ only so, or hold an '&', leave the workbook to openpyxl; the workbook is where
    everything looks for it; every worksheet is a part under ``xl/worksheets/`` that the guard
    looked at, with plain references and an area within ``MAX_CELLS``; the shared strings
    declare no more strings than they hold (calamine trusts the count to reserve memory).
    """
    if survey.differ:
        return False
    names = survey.members
    normal = {name.replace("\\", "/").lower() for name in names}
    if len(normal) != len(names) or any("&" in name for name in names):
        return False
    strings = survey.shared_strings
    if strings is None and "xl/sharedstrings.xml" in normal:
        return False  # not parsed as XML: calamine may still find elements in it
    if strings is not None and strings[0] > strings[1] + _SLACK:
        return False  # calamine would reserve room for the declared count before reading
    relationships = survey.relationships
    if any(rels not in relationships for rels in RELATIONSHIPS):
        return False  # not parsed as XML: calamine may still find elements in it
    if any(target not in _WORKBOOK for kind, target in relationships["_rels/.rels"]
           if kind.endswith("/officeDocument")):
        return False
    for kind, target in relationships["xl/_rels/workbook.xml.rels"]:
        if "sheet" not in kind.lower():
            continue
        part = target[1:] if target.startswith("/") else f"xl/{target}"
        area = survey.areas.get(part)
        if (area is None or not _PLAIN_SHEET.fullmatch(part) or not area.plain
                or area.rows * area.cols > MAX_CELLS):
            return False
    return True


def _grid(sheet: Any) -> list[list[Any]]:
    """A sheet's cells from A1; as openpyxl does, only the first cell of a merge keeps a value."""
    rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or ():
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            cells = rows[r]
            start = left + 1 if r == top else left  # the merge's first cell keeps its value
            end = min(right, len(cells) - 1) + 1
            if start < end:
                cells[start:end] = [""] * (end - start)
    return rows


class CalamineBook(ValuesBook):
    """A workbook read by python-calamine, with openpyxl's values (see the module's docstring)."""

    def __init__(self, path: Path, sheets: dict[str, list[list[Any]]]) -> None:
        super().__init__(path, sheets)
        self._sheets = sheets

    @classmethod
    def open(cls, path: Path, survey: Survey | None = None) -> CalamineBook | None:
        """The workbook, or None where openpyxl must read it (or explain why it cannot).

        ``survey`` is what ``check_xlsx`` returned for the file (the guard runs when none is
        given)."""
        try:
            import python_calamine as pc
        except ImportError:  # no wheel for this platform: openpyxl reads everything
            return None
        if survey is None:
            try:
                survey = check_xlsx(path)
            except InputError:
                return None
        if not calamine_reads_exactly(survey):
            return None
        try:
            book = pc.CalamineWorkbook.from_path(str(path))
            try:
                names = [m.name for m in book.sheets_metadata
                         if m.typ == pc.SheetTypeEnum.WorkSheet]
                sheets = {name: _grid(book.get_sheet_by_name(name)) for name in names}
            finally:
                book.close()
        except Exception:  # a damaged file: openpyxl reads it again and says what is wrong
            return None
        return cls(path, sheets)

    def value(self, sheet: str, row: int, col: int) -> Any:
        rows = self._sheets[sheet]
        if row < 1 or col < 1 or row > len(rows):
            return None
        cells = rows[row - 1]
        if col > len(cells):
            return None
        raw = cells[col - 1]
        kind = type(raw)  # the usual kinds first, as _openpyxl_value makes them (a hot path)
        if kind is str:
            return raw or None
        if kind is float and raw.is_integer() and -_EXACT < raw < _EXACT:
            return int(raw)
        return _openpyxl_value(raw)

    def texts(self, sheet: str) -> Iterator[tuple[int, int, str]]:
        """Every non-empty text cell of the sheet's first rows and columns (bounded)."""
        for r, cells in enumerate(self._sheets[sheet][:SCAN_ROWS], 1):
            for c, value in enumerate(cells[:SCAN_COLS], 1):
                if isinstance(value, str) and value.strip():
                    yield r, c, value

    def max_row(self, sheet: str) -> int:
        return min(len(self._sheets[sheet]), SCAN_ROWS)
