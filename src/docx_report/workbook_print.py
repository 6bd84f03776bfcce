"""How a report workbook prints: A4, fitted to the width, rows as tall as their text.

Spreadsheet programs do not size rows to their text when they open a file (Excel and WPS do it
only when a cell is edited; LibreOffice Calc keeps the saved heights), and openpyxl cannot
measure text. So the heights are estimated here from the text's length and the column's width,
generously: a row a little too tall wastes paper, a row too short hides text on screen and on
paper. The rows are written without Excel's "custom height" mark, so Excel and WPS grow a row
again when its text is edited; in Calc, select the rows and use 格式 → 行 → 最佳行高.

Per sheet:

* 基本信息: landscape, on one page;
* narrative sheets: portrait, two columns that fit the width, the header row (小标题/正文)
  repeated on every page; each subsection is one row, so a title never leaves its text;
* table sheets: portrait when the table fits the width at a legible scale, else landscape; the
  table's header rows repeated on every page; a block of rows (table 二's 第二十条第（五）项 …,
  table 三's （三）不予公开 with its sub-items) is moved whole to the next page by a manual page
  break when it would be split;
* every page: the agency (when known) and the sheet name in the header, 第 n 页，共 m 页 in the
  footer.

Nothing here touches a workbook: each function reads the sheet as written through a
``SheetView`` (texts, column widths, row heights) and returns a plain plan (``PrintPlan``,
``HeaderFooter``) that ``workbook.py`` applies.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from docx_report.pack import TableSection

MAX_ROW_HEIGHT = 409.0  # points; Excel's limit
LINE_HEIGHT = 16.0  # points per line of 11 pt text (宋体 in Excel ~14.3; Noto CJK in Calc ~16)
ROW_PADDING = 5.0
DEFAULT_ROW_HEIGHT = 15.0
CJK_UNITS = 2.1  # column-width units taken by one CJK character at 11 pt
LATIN_UNITS = 1.1

NARRATIVE_WIDTHS = (18.0, 76.0)  # 小标题, 正文
BLANK_SUBSECTION_LINES = 6  # room left for the text under a preset title in a blank workbook
BLANK_ROW_LINES = 3



@dataclass(frozen=True)
class Margins:
    """Page margins in inches, as Excel stores them."""

    left: float
    right: float
    top: float
    bottom: float
    header: float
    footer: float


A4 = (595.3, 841.9)  # points
MARGINS = Margins(left=0.5, right=0.5, top=0.75, bottom=0.75, header=0.3, footer=0.3)
FOOTER = "第 &P 页，共 &N 页"  # Excel's codes: &P this page, &N the pages, &A the sheet
HEADER_FOOTER_SIZE = 9
LEGIBLE_SCALE = 0.75  # below this, a table prints landscape
KEEP_LIMIT = 12  # a label spanning more rows than this may be split by a page


# ---------------------------------------------------------------------------------------------
# Estimating


def text_units(text: str) -> float:
    """The width of a line of text in column-width units (CJK characters count double)."""
    return sum(CJK_UNITS if unicodedata.east_asian_width(ch) in "WF" else LATIN_UNITS
               for ch in text)


def text_lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide (every paragraph
    starts a new line)."""
    room = max(1.0, width - 1.0)
    return sum(max(1, math.ceil(text_units(line) / room)) for line in text.split("\n"))


def row_height(lines: int) -> float:
    return min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + ROW_PADDING)


class SheetView(Protocol):
    """A sheet as written so far, as the planners read it."""

    def text(self, row: int, col: int) -> str: ...  # the cell's value as text ("" if empty)

    def width(self, col: int) -> float: ...  # column width in units (Excel's default if unset)

    def height(self, row: int) -> float | None: ...  # row height in points, if set


@dataclass
class PrintPlan:
    """How one sheet prints, applied in this order: column ``widths`` (column → units), row
    ``heights`` (row → points, estimated: written without Excel's custom-height mark, so Excel
    and WPS grow the row again when its text is edited), the rows repeated on every page
    (first, last), A4 in the orientation fitted to one page wide (and ``one_page`` tall), the
    manual page ``breaks`` (rows after which one goes)."""

    landscape: bool
    one_page: bool = False
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    title_rows: tuple[int, int] | None = None
    breaks: list[int] = field(default_factory=list)
    margins: Margins = MARGINS


@dataclass(frozen=True)
class HeaderFooter:
    """The page header's left and right text, the footer's centre (odd and even pages); an
    empty ``left`` is not written."""

    left: str
    right: str = "&A"
    footer: str = FOOTER
    size: int = HEADER_FOOTER_SIZE


def _points(width: float) -> float:
    """A column width (units) in points: Excel draws a unit as 7 px plus 5 px of padding."""
    return (width * 7 + 5) * 0.75


def _printable(landscape: bool) -> tuple[float, float]:
    width, height = (A4[1], A4[0]) if landscape else A4
    return (width - 72 * (MARGINS.left + MARGINS.right),
            height - 72 * (MARGINS.top + MARGINS.bottom))


# ---------------------------------------------------------------------------------------------
# Page setup


def merged_row_height(view: SheetView, row: int, cols: int, *, minimum: float) -> float:
    """The height of a row whose first cell is merged across ``cols`` columns (a banner's
    instructions): as tall as its text wrapped over their width."""
    width = sum(view.width(c) for c in range(1, cols + 1))
    return max(minimum, row_height(text_lines(view.text(row, 1), width)))


def header_footer(agency: str) -> HeaderFooter:
    """The agency (one line) and the sheet name above, 第 n 页，共 m 页 below."""
    return HeaderFooter("".join(line.strip() for line in agency.splitlines()).replace("&", "&&"))


# ---------------------------------------------------------------------------------------------
# Sheets


def facts_layout(view: SheetView, cols: int, rows: Iterable[int]) -> PrintPlan:
    """基本信息: every field row as tall as its longest cell; landscape, one page."""
    widths = [view.width(col) for col in range(1, cols + 1)]
    plan = PrintPlan(landscape=True, one_page=True)
    for row in rows:
        lines = max(text_lines(view.text(row, col), width)
                    for col, width in enumerate(widths, start=1))
        plan.heights[row] = max(32.0, row_height(lines))
    return plan


def narrative_layout(view: SheetView, header_row: int, first_row: int,
                     last_row: int) -> PrintPlan:
    """A narrative sheet: two columns fitting a portrait page; rows sized to their text."""
    plan = PrintPlan(landscape=False, widths=dict(enumerate(NARRATIVE_WIDTHS, start=1)),
                     title_rows=(header_row, header_row))
    for row in range(first_row, last_row + 1):
        title, body = view.text(row, 1), view.text(row, 2)
        lines = max(text_lines(title, NARRATIVE_WIDTHS[0]), text_lines(body, NARRATIVE_WIDTHS[1]))
        if not body.strip():  # room to write in
            lines = max(lines, BLANK_SUBSECTION_LINES if title or row == first_row
                        else BLANK_ROW_LINES)
        plan.heights[row] = row_height(lines)
    return plan


def table_layout(view: SheetView, table: TableSection, grid_top: int, last_row: int,
                 note_row: int) -> PrintPlan:
    """A table sheet: orientation by width, header rows repeated, blocks kept whole."""
    widths = [view.width(c) for c in range(1, table.width + 1)]
    # The note row: its label in the first column, the note across the others.
    lines = max(text_lines(view.text(note_row, 1), widths[0]),
                text_lines(view.text(note_row, 2), sum(widths[1:]) or 8.43))
    heights = {note_row: max(40.0, row_height(lines))}
    width_pt = sum(_points(w) for w in widths)
    scale_portrait = min(1.0, _printable(False)[0] / width_pt)
    landscape = scale_portrait < LEGIBLE_SCALE
    blocks = block_starts(table)
    title_rows = ((grid_top, grid_top + table.header_rows - 1)
                  if table.header_rows and not blocks else None)
    printable_w, printable_h = _printable(landscape)
    scale = min(1.0, printable_w / width_pt)

    def height(row: int) -> float:
        return heights.get(row) or view.height(row) or DEFAULT_ROW_HEIGHT

    breaks = page_breaks(
        heights=[height(r) for r in range(1, last_row + 1)],
        page=printable_h / scale * 0.95,  # a margin for the programs' own rounding
        titles=[height(grid_top + r) for r in range(table.header_rows)] if not blocks else [],
        kept=[(grid_top + a, grid_top + b) for a, b in kept_ranges(table)],
    )
    return PrintPlan(landscape=landscape, heights=heights, title_rows=title_rows, breaks=breaks)


def block_starts(table: TableSection) -> list[int]:
    """Grid rows (after the first) that open a block with a label across the whole width."""
    return sorted({c.row for c in table.cells if c.cols == table.width and c.rows == 1 and c.row})


def kept_ranges(table: TableSection) -> list[tuple[int, int]]:
    """Runs of grid rows (first, last; 0-based) that a page break must not split: each block
    of a table of blocks, the header rows with the first body row, and the rows under a label
    that spans several rows (unless it spans most of the table)."""
    ranges: list[tuple[int, int]] = []
    starts = [0, *block_starts(table), table.height]
    if len(starts) > 2:
        ranges += [(a, b - 1) for a, b in itertools.pairwise(starts) if b > a]
    elif table.header_rows:
        ranges.append((0, min(table.height - 1, table.header_rows)))
    for cell in table.cells:
        if not cell.is_value and 1 < cell.rows <= KEEP_LIMIT and cell.row >= table.header_rows:
            ranges.append((cell.row, cell.row + cell.rows - 1))
    return ranges


def page_breaks(heights: Sequence[float], page: float, titles: Sequence[float],
                kept: Sequence[tuple[int, int]]) -> list[int]:
    """Rows (1-based) after which a manual page break goes, so that no kept run of rows is
    split. ``heights[i]`` is row i + 1's height; ``titles`` are rows repeated on every page
    after the first; ``kept`` holds runs of 1-based rows (first, last)."""
    repeated = sum(titles)
    inside: set[int] = set()  # rows after which no break may fall
    for first, last in kept:
        if sum(heights[first - 1:last]) <= page - repeated:  # a longer run cannot be kept
            inside.update(range(first, last))
    breaks: list[int] = []
    used = 0.0
    page_first = 1
    row = 1
    while row <= len(heights):
        height = heights[row - 1]
        if used + height <= page or row == page_first:
            used += height
            row += 1
            continue
        # Row `row` does not fit: break after the last allowed row of this page.
        after = row - 1
        while after >= page_first and after in inside:
            after -= 1
        if after < page_first or after == row - 1:  # the program breaks here by itself
            after = row - 1
        else:
            breaks.append(after)
        page_first = after + 1
        row = page_first
        used = repeated
    return breaks
