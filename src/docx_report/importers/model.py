"""The neutral model every published report is read into: paragraphs and tables, in order.

A table is a list of placed cells, each with its row and column span resolved, so every grid
position is covered by exactly one cell (or none, where the source left a hole). Each source
format (.docx, HTML, PDF) only has to produce this; the matcher never sees the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_CELLS = 20_000  # grid positions in one table: no annual report comes near this
MAX_SPAN = 200  # rows or columns one cell may span (a hostile colspan="99999" is clipped)


@dataclass(frozen=True)
class Paragraph:
    text: str
    page: int = 0  # 1-based page of a PDF; 0 where the source has no pages


@dataclass(frozen=True)
class SourceCell:
    text: str
    row: int
    col: int
    rows: int = 1
    cols: int = 1


@dataclass
class SourceTable:
    cells: list[SourceCell]
    number: int  # 1-based, in document order: how messages name a table without a heading
    row_pages: list[int] = field(default_factory=list)  # page of each grid row (PDF)
    heading: str = ""  # the nearest heading-like paragraph before the table

    @property
    def height(self) -> int:
        return max((c.row + c.rows for c in self.cells), default=0)

    @property
    def width(self) -> int:
        return max((c.col + c.cols for c in self.cells), default=0)

    def grid(self) -> list[list[SourceCell | None]]:
        """Every grid position → the cell covering it (None for a hole)."""
        grid: list[list[SourceCell | None]] = [[None] * self.width for _ in range(self.height)]
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rows):
                for c in range(cell.col, cell.col + cell.cols):
                    grid[r][c] = cell
        return grid

    def page(self, row: int) -> int:
        return self.row_pages[row] if 0 <= row < len(self.row_pages) else 0


Block = Paragraph | SourceTable


@dataclass
class Document:
    """A published report as read: its blocks in order, and its title where the source has one
    besides the text (an HTML page's <title>)."""

    path: Path
    blocks: list[Block]
    title: str = ""
    pages: int = 0  # a PDF's page count; 0 for the others

    def tables(self) -> list[SourceTable]:
        return [b for b in self.blocks if isinstance(b, SourceTable)]

    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.blocks if isinstance(b, Paragraph)]


def place_rows(rows: list[list[tuple[str, int, int]]], number: int) -> SourceTable:
    """HTML-style rows of ``(text, rowspan, colspan)`` → a table of placed cells.

    As in HTML, a cell goes to the first column of its row not covered by an earlier rowspan.
    Spans are clipped to ``MAX_SPAN`` and the table to ``MAX_CELLS`` positions.
    """
    occupied: set[tuple[int, int]] = set()
    cells: list[SourceCell] = []
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in occupied:
                c += 1
            rowspan = max(1, min(rowspan, MAX_SPAN, len(rows) - r))
            colspan = max(1, min(colspan, MAX_SPAN))
            if len(occupied) + rowspan * colspan > MAX_CELLS:
                return SourceTable(cells, number)
            for rr in range(r, r + rowspan):
                for cc in range(c, c + colspan):
                    occupied.add((rr, cc))
            cells.append(SourceCell(text, r, c, rowspan, colspan))
            c += colspan
    return SourceTable(cells, number)


_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")


def clean(text: str) -> str:
    """Text as a reader sees it: every run of whitespace (full-width and non-breaking spaces
    too) one space, trimmed; characters kept as written (full-width punctuation stays)."""
    return _SPACES.sub(" ", text).strip()


PAGE_NUMBER = re.compile(
    r"^[-—–－\s]*(第\s*)?\d{1,4}(\s*页)?(\s*/\s*共?\s*\d+\s*页?)?[-—–－\s]*$")


def without_page_numbers(blocks: list[Block]) -> list[Block]:
    """Drop paragraphs that are only a page number (a footer: "— 5 —", "第 2 页")."""
    return [b for b in blocks if not (isinstance(b, Paragraph) and PAGE_NUMBER.match(b.text))]


def lines_of(text: str) -> list[str]:
    """The non-empty lines of a cell or paragraph, each cleaned."""
    return [line for line in (clean(x) for x in text.split("\n")) if line]


_CJK = re.compile("[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’]")


def one_line(text: str) -> str:
    """A cell's lines as one: wrapped CJK runs on ("尚未\n审结" → 尚未审结), Latin gets a space."""
    result = ""
    for line in lines_of(text):
        joint = "" if not result or _CJK.match(result[-1]) or _CJK.match(line[0]) else " "
        result += joint + line
    return result
