"""Where things sit on a report workbook's sheets, defined once for writing and reading.

* facts sheet: a header on row 3, then one field a row: label in A, value in B, help in C;
* narrative sheet: the intro (导语) on row 4, then one subsection a row: title in A, body in B;
* table sheet: an optional note (表前说明) in B3, the official grid from row 5, column A.

Nothing here imports openpyxl, so reading and checking a workbook does not pay for it.
``Book`` is what the reader needs of an opened workbook; ``xlsx_fast.open_book`` gives one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from docx_report.pack import Cell, Pack

META_SHEET = "_docx_report"
TITLE_ROW, HELP_ROW, HEADER_ROW = 1, 2, 3
FIRST_FIELD_ROW = 4
INTRO_ROW = 4
NOTE_ROW = 3
GRID_TOP = 5

SCAN_ROWS, SCAN_COLS = 300, 40  # how far label searches look (bounded work)


def column_letter(col: int) -> str:
    """1 → A, 27 → AA (1-based, as in Excel)."""
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """A → 1, AA → 27 (upper-case letters, as in an A1 reference)."""
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col


def coordinate(row: int, col: int) -> str:
    """1-based row and column to an A1 reference."""
    return f"{column_letter(col)}{row}"


def grid_position(cell: Cell) -> tuple[int, int]:
    """Worksheet row and column (1-based) of a table grid cell."""
    return GRID_TOP + cell.row, 1 + cell.col


def locate(pack: Pack) -> Mapping[str, tuple[str, str]]:
    """Every value key of the pack → (sheet, A1 reference) (computed once per pack object)."""
    known = _LOCATED.get(id(pack))
    if known is None or known[0] is not pack:
        if len(_LOCATED) >= 32:
            _LOCATED.clear()
        known = _LOCATED[id(pack)] = (pack, {
            key: (table.sheet, coordinate(*grid_position(cell)))
            for key, (table, cell) in pack.value_cells().items()})
    return MappingProxyType(known[1])


_LOCATED: dict[int, tuple[Pack, dict[str, tuple[str, str]]]] = {}


def field_row(pack: Pack, key: str) -> int:
    return FIRST_FIELD_ROW + [f.key for f in pack.fields].index(key)


class PackRecord(NamedTuple):
    name: str
    version: str
    fingerprint: str
    source: str  # the pack's folder ('' for a built-in pack)
    relative: str = ""  # the same, relative to the workbook's folder when it was written

    @classmethod
    def from_rows(cls, values: Mapping[str, Any]) -> PackRecord:
        """The record from the hidden sheet's label → value rows (as ``init`` writes them)."""
        return cls(*(str(values.get(k) or "") for k in (
            "pack", "version", "fingerprint", "source", "relative")))

    @classmethod
    def from_sheet(cls, value: Callable[[int, int], Any]) -> PackRecord | None:
        """The record from the hidden sheet's cells (``value(row, column)``), if it holds one:
        a label in column A and its value in B, from row 1 (the pack's name) to row 6."""
        if not value(1, 2):
            return None
        return cls.from_rows({str(value(row, 1)): value(row, 2) for row in range(1, 7)})

    def folders(self, workbook: Path) -> list[Path]:
        """Where the pack's folder may be: beside the workbook as it was, then where it was."""
        found = [workbook.parent / self.relative] if self.relative else []
        return found + ([Path(self.source)] if self.source else [])



class Book(Protocol):
    """A workbook opened for reading: values by sheet and 1-based position."""

    path: Path
    sheetnames: list[str]  # worksheets in order, without the hidden record

    @property
    def pack_name(self) -> str | None: ...  # the pack recorded by ``init``, if any

    @property
    def pack_record(self) -> PackRecord | None: ...  # all ``init`` recorded of the pack

    def has_sheet(self, sheet: str) -> bool: ...

    def value(self, sheet: str, row: int, col: int) -> Any: ...  # errors as ``CellError``

    def formula(self, sheet: str, row: int, col: int) -> str | None: ...

    def texts(self, sheet: str) -> Iterator[tuple[int, int, str]]: ...  # bounded by SCAN_*

    def max_row(self, sheet: str) -> int: ...


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
    """A worksheet as the generic reader sees it (``workbook.Workbook.visible_sheets``)."""

    title: str
    cells: list[CellRecord]  # row by row, left to right
