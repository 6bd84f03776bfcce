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
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Iterable, Sequence

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from docx_report.pack import NarrativeSection, TableSection

MAX_ROW_HEIGHT = 409.0  # points; Excel's limit
LINE_HEIGHT = 16.0  # points per line of 11 pt text (宋体 in Excel ~14.3; Noto CJK in Calc ~16)
ROW_PADDING = 5.0
DEFAULT_ROW_HEIGHT = 15.0
CJK_UNITS = 2.1  # column-width units taken by one CJK character at 11 pt
LATIN_UNITS = 1.1

NARRATIVE_WIDTHS = (18.0, 76.0)  # 小标题, 正文
BLANK_SUBSECTION_LINES = 6  # room left for the text under a preset title in a blank workbook
BLANK_ROW_LINES = 3

# A4 in points and the margins (inches, as Excel stores them).
A4 = (595.3, 841.9)
MARGINS = PageMargins(left=0.5, right=0.5, top=0.75, bottom=0.75, header=0.3, footer=0.3)
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


def set_row_height(ws: Worksheet, row: int, height: float) -> None:
    """A row height without Excel's custom-height mark, so Excel and WPS grow the row again
    when its text is edited."""
    ws.row_dimensions[row] = _EstimatedRow(ws, index=row, ht=height)


class _EstimatedRow(RowDimension):  # type: ignore[misc]
    @property
    def customHeight(self) -> bool:
        return False


def _points(width: float) -> float:
    """A column width (units) in points: Excel draws a unit as 7 px plus 5 px of padding."""
    return (width * 7 + 5) * 0.75


def _printable(landscape: bool) -> tuple[float, float]:
    width, height = (A4[1], A4[0]) if landscape else A4
    return (width - 72 * (MARGINS.left + MARGINS.right),
            height - 72 * (MARGINS.top + MARGINS.bottom))


# ---------------------------------------------------------------------------------------------
# Page setup


def _page_setup(ws: Worksheet, *, landscape: bool, one_page: bool = False) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.page_margins = PageMargins(left=MARGINS.left, right=MARGINS.right, top=MARGINS.top,
                                  bottom=MARGINS.bottom, header=MARGINS.header,
                                  footer=MARGINS.footer)
    ws.print_options.horizontalCentered = True
    ws.print_options.gridLines = False


def fit_merged_row(ws: Worksheet, row: int, cols: int, *, minimum: float) -> None:
    """A row whose first cell is merged across ``cols`` columns (a banner's instructions): as
    tall as its text wrapped over their width."""
    width = sum(ws.column_dimensions[get_column_letter(c)].width or 8.43
                for c in range(1, cols + 1))
    lines = text_lines(str(ws.cell(row, 1).value or ""), width)
    set_row_height(ws, row, max(minimum, row_height(lines)))


def header_footer(ws: Worksheet, agency: str) -> None:
    """The agency and the sheet name above, 第 n 页，共 m 页 below (Excel codes &A, &P, &N)."""
    name = "".join(line.strip() for line in agency.splitlines()).replace("&", "&&")
    for header, footer in ((ws.oddHeader, ws.oddFooter), (ws.evenHeader, ws.evenFooter)):
        if name:
            header.left.text = name
            header.left.size = 9
        header.right.text = "&A"
        header.right.size = 9
        footer.center.text = "第 &P 页，共 &N 页"
        footer.center.size = 9


# ---------------------------------------------------------------------------------------------
# Sheets


def facts_layout(ws: Worksheet, widths: Sequence[float], rows: Iterable[int]) -> None:
    """基本信息: every field row as tall as its longest cell; landscape, one page."""
    for row in rows:
        lines = max(text_lines(str(ws.cell(row, col).value or ""), width)
                    for col, width in enumerate(widths, start=1))
        set_row_height(ws, row, max(32.0, row_height(lines)))
    _page_setup(ws, landscape=True, one_page=True)


def narrative_layout(ws: Worksheet, section: NarrativeSection, header_row: int,
                     first_row: int, last_row: int) -> None:
    """A narrative sheet: two columns fitting a portrait page; rows sized to their text."""
    for col, width in enumerate(NARRATIVE_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    for row in range(first_row, last_row + 1):
        title = str(ws.cell(row, 1).value or "")
        body = str(ws.cell(row, 2).value or "")
        lines = max(text_lines(title, NARRATIVE_WIDTHS[0]), text_lines(body, NARRATIVE_WIDTHS[1]))
        if not body.strip():  # room to write in
            lines = max(lines, BLANK_SUBSECTION_LINES if title or row == first_row
                        else BLANK_ROW_LINES)
        set_row_height(ws, row, row_height(lines))
    ws.print_title_rows = f"{header_row}:{header_row}"
    _page_setup(ws, landscape=False)


def table_layout(ws: Worksheet, table: TableSection, grid_top: int, last_row: int,
                 note_row: int) -> None:
    """A table sheet: orientation by width, header rows repeated, blocks kept whole."""
    widths = [ws.column_dimensions[get_column_letter(c)].width or 8.43
              for c in range(1, table.width + 1)]
    # The note row: its label in the first column, the note across the others.
    lines = max(text_lines(str(ws.cell(note_row, 1).value or ""), widths[0]),
                text_lines(str(ws.cell(note_row, 2).value or ""), sum(widths[1:]) or 8.43))
    set_row_height(ws, note_row, max(40.0, row_height(lines)))
    width_pt = sum(_points(w) for w in widths)
    scale_portrait = min(1.0, _printable(False)[0] / width_pt)
    landscape = scale_portrait < LEGIBLE_SCALE
    _page_setup(ws, landscape=landscape)
    blocks = block_starts(table)
    if table.header_rows and not blocks:
        ws.print_title_rows = f"{grid_top}:{grid_top + table.header_rows - 1}"
    printable_w, printable_h = _printable(landscape)
    scale = min(1.0, printable_w / width_pt)
    breaks = page_breaks(
        heights=[_height(ws, r) for r in range(1, last_row + 1)],
        page=printable_h / scale * 0.95,  # a margin for the programs' own rounding
        titles=[_height(ws, grid_top + r) for r in range(table.header_rows)] if not blocks else [],
        kept=[(grid_top + a, grid_top + b) for a, b in kept_ranges(table)],
    )
    for row in breaks:
        ws.row_breaks.append(Break(id=row))


def _height(ws: Worksheet, row: int) -> float:
    height = ws.row_dimensions[row].height if row in ws.row_dimensions else None
    return float(height) if height else DEFAULT_ROW_HEIGHT


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
