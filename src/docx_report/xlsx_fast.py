"""Open a report workbook for reading: python-calamine where it gives openpyxl's values exactly.

openpyxl spends ~100 ms building a styled object per cell of a pack workbook; python-calamine
(Rust) reads the same values in a few milliseconds. The reader only needs values, so a pack
workbook is read with calamine, and its values are made exactly what openpyxl gives:

* an empty cell (and a formula without a calculated result) is ``None``, not ``""``;
* a whole number stored as ``3`` is ``int`` 3 (calamine gives 3.0 for every number);
* a date is a ``datetime`` at midnight (openpyxl never gives a ``date``);
* a cell covered by a merge, but not its first, is empty (a value left there after rows were
  inserted is not read).

Where calamine cannot give the same values, the workbook is read by openpyxl instead
(``workbook.Workbook``), decided from the sheets' XML before calamine sees it: error cells
(``#REF!``, which calamine turns into blanks), Excel's ``_xHHHH_`` escapes (which calamine
undoes and the text parsers undo again), worksheets outside ``xl/worksheets/``, and sheets whose
cells may span a huge area (calamine makes a dense grid of it, openpyxl only the cells that
exist): a sheet with a reference beyond column Z or row 999 has every reference looked at, and
is left to openpyxl if one is not as Excel writes it or the area exceeds ``MAX_CELLS``.
openpyxl also reads formulas when the reader asks for one, writes every workbook (``init``,
the 汇总) and reads generic workbooks (it knows number formats).

``xlsx_guard.check_xlsx`` runs first, before either reader sees the file.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docx_report.layout import META_SHEET, SCAN_COLS, SCAN_ROWS, Book, PackRecord
from docx_report.xlsx_guard import check_xlsx

READERS = ("calamine", "openpyxl")
#: The reader ``open_book`` uses by default ("openpyxl" reads every workbook the slow way).
DEFAULT_READER = "calamine"

MAX_CELLS = 250_000  # rows x columns of a sheet's area beyond which openpyxl reads it (sparse)
_EXACT = 2**53  # floats below this are whole numbers exactly
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_REF = re.compile(rb"""<(?:\w+:)?c\s+r\s*=\s*["']([A-Z]{1,3})(\d{1,7})["']""")  # as Excel writes
# A reference beyond column Z or row 999 (a pack workbook has none): a closer look is needed.
# (Patterns that start with a literal: the regex engine then skips ahead fast.)
_FAR_REF = re.compile(rb""" r\s*=\s*["']\$?(?:[A-Za-z]{2}|[A-Za-z]?\$?\d{4})""")
_OTHER_SPACE = (b"\t", b"\n", b"\r")  # before an attribute, instead of a space: look closer
_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb"""([\w:]+)\s*=\s*["']([^"']*)["']""")


def open_book(path: Path, *, reader: str | None = None) -> Book:
    """The workbook at ``path``, checked by the guard, read by calamine when it reads it exactly.

    Raises ``InputError`` (from the guard or openpyxl) for a file that is no sane workbook.
    """
    check_xlsx(path)
    if (reader or DEFAULT_READER) == "calamine":
        book = CalamineBook.open(path)
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


def _column(letters: bytes) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ch - 64
    return col


def _calamine_reads_exactly(path: Path) -> bool:
    """Do the sheets' XML parts hold only what calamine reads as openpyxl does?"""
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names \
            else b""
        for tag in _RELATION.findall(rels):
            attributes = dict(_ATTRIBUTE.findall(tag))
            if attributes.get(b"Type", b"").endswith(b"/worksheet"):
                target = attributes.get(b"Target", b"")
                part = target.lstrip(b"/") if target.startswith(b"/") else b"xl/" + target
                if not part.startswith(b"xl/worksheets/") or b".." in part:
                    return False
        if "xl/sharedStrings.xml" in names and _ESCAPE.search(zf.read("xl/sharedStrings.xml")):
            return False
        for name in names:
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            data = zf.read(name)
            if _ESCAPE.search(data) or b't="e"' in data or b"t='e'" in data:  # as written
                return False
            if not _FAR_REF.search(data) and not any(ws + b"r" in data for ws in _OTHER_SPACE):
                continue  # columns A to Z, rows up to 999: no more than 25 974 cells
            refs = _REF.findall(data)
            if len(refs) != len(_CELL.findall(data)):
                return False  # a reference not as Excel writes it, or a row's: look no further
            if refs:
                letters = max({col for col, _ in refs}, key=lambda col: (len(col), col))
                if max(map(int, {row for _, row in refs})) * _column(letters) > MAX_CELLS:
                    return False
    return True


def _grid(sheet: Any) -> list[list[Any]]:
    """A sheet's cells from A1; as openpyxl does, only the first cell of a merge keeps a value."""
    rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or ():
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            cells = rows[r]
            for c in range(left, min(right, len(cells) - 1) + 1):
                if (r, c) != (top, left):
                    cells[c] = ""
    return rows


class CalamineBook:
    """A workbook read by python-calamine, with openpyxl's values (see the module's docstring)."""

    def __init__(self, path: Path, sheets: dict[str, list[list[Any]]],
                 sheetnames: list[str]) -> None:
        self.path = path
        self._sheets = sheets
        self.sheetnames = sheetnames
        self._formulas: Any = None

    @classmethod
    def open(cls, path: Path) -> CalamineBook | None:
        """The workbook, or None where openpyxl must read it (or explain why it cannot)."""
        try:
            import python_calamine as pc
        except ImportError:  # no wheel for this platform: openpyxl reads everything
            return None
        try:
            if not _calamine_reads_exactly(path):
                return None
            book = pc.CalamineWorkbook.from_path(str(path))
            try:
                names = [m.name for m in book.sheets_metadata
                         if m.typ == pc.SheetTypeEnum.WorkSheet]
                sheets = {name: _grid(book.get_sheet_by_name(name)) for name in names}
            finally:
                book.close()
        except Exception:  # a damaged file: openpyxl reads it again and says what is wrong
            return None
        return cls(path, sheets, [name for name in names if name != META_SHEET])

    @property
    def pack_name(self) -> str | None:
        """The pack recorded by ``init`` in the hidden sheet, if any."""
        record = self.pack_record
        return record.name if record else None

    @property
    def pack_record(self) -> PackRecord | None:
        """What ``init`` recorded of the pack in the hidden sheet (as ``workbook.Workbook``)."""
        if META_SHEET not in self._sheets or not self.value(META_SHEET, 1, 2):
            return None
        values = {str(self.value(META_SHEET, row, 1)): self.value(META_SHEET, row, 2)
                  for row in range(1, 7)}
        return PackRecord.from_rows(values)

    def has_sheet(self, sheet: str) -> bool:
        return sheet in self.sheetnames

    def value(self, sheet: str, row: int, col: int) -> Any:
        rows = self._sheets[sheet]
        if row < 1 or col < 1 or row > len(rows) or col > len(rows[row - 1]):
            return None
        return _openpyxl_value(rows[row - 1][col - 1])

    def formula(self, sheet: str, row: int, col: int) -> str | None:
        """The formula in a cell (openpyxl reads them, once, when first asked: a rare case)."""
        if self._formulas is None:
            from docx_report.workbook import Workbook

            self._formulas = Workbook(self.path)
        formula: str | None = self._formulas.formula(sheet, row, col)
        return formula

    def texts(self, sheet: str) -> Iterator[tuple[int, int, str]]:
        """Every non-empty text cell of the sheet's first rows and columns (bounded)."""
        for r, cells in enumerate(self._sheets[sheet][:SCAN_ROWS], 1):
            for c, value in enumerate(cells[:SCAN_COLS], 1):
                if isinstance(value, str) and value.strip():
                    yield r, c, value

    def max_row(self, sheet: str) -> int:
        return min(len(self._sheets[sheet]), SCAN_ROWS)
