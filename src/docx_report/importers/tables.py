"""Find a pack's tables in a published report by their labels, and read every value cell.

Nothing is read by position or by counting numbers. The pack's grid says, for each value cell,
its row labels (left of it: 三、本年度办理结果 › （三）不予公开 › 1.属于国家秘密) and its column
labels (above it: 商业企业 › 法人或其他组织 › 申请人情况). The same paths are taken from each
source table's grid, labels compared after normalising (NFKC, no whitespace or punctuation) by
a similarity ratio, so 只记/只计, 1、/1. and a dropped word still match, and each pack row and
column is matched to the most similar source row and column. A pack table may be found in
more than one source table (a table the author split in two).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from docx_report.importers.model import SourceCell, SourceTable, lines_of, one_line
from docx_report.pack import Cell, Pack, TableSection
from docx_report.values import Number, ValueProblem, value_type

ROW_MATCH = 0.72  # row paths at least this similar are the same row
COL_MATCH = 0.6
TABLE_MATCH = 0.35  # share of a pack table's labels a source table must show
MAX_LABELS = 400  # distinct labels of one source table compared (bounded work)
MAX_TABLES = 60  # source tables looked at: a report has three or four
_PLACEHOLDERS = {"/", "／", "\\", "—", "——", "-", "--", "－", "–", "无", "空", "暂无", "null",
                 "none", "n/a", "na", "×", "x", "*", "…", "……"}
_NUMBER = re.compile(r"^[+\-\u2212]?\d+(?:[.,]\d+)*$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[ ,]\d{3})+(?:\.\d+)?$")
_SUBITEM = re.compile(r"^\d+[.、．]")


def norm(text: str) -> str:
    """A label as compared: NFKC, no whitespace, no punctuation or symbols."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZSC")


@functools.lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    """difflib's ratio (1.0 the same, 0.0 nothing in common); labels repeat, so cached."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _close(a: str, b: str, threshold: float) -> bool:
    """similarity(a, b) >= threshold, skipping the work where the lengths already say no."""
    if 2 * min(len(a), len(b)) < threshold * (len(a) + len(b)):
        return False
    return similarity(a, b) >= threshold


def _flat(text: str) -> str:
    """A cell's text in one piece for telling numbers from words: NFKC (１，２６８ → 1,268),
    no whitespace."""
    return unicodedata.normalize("NFKC", "".join(lines_of(text))).replace(" ", "")


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(_flat(text)))


def is_label(text: str) -> bool:
    """Text that names a row or column: not blank, not a number, not a placeholder."""
    flat = _flat(text)
    return bool(flat) and not _NUMBER.match(flat) and flat.lower() not in _PLACEHOLDERS \
        and bool(norm(flat))


# ---------------------------------------------------------------------------------------------
# Paths


@dataclass(frozen=True)
class _Slot:
    """A value cell as a source table shows it: where it sits and the labels that name it."""

    table: SourceTable
    cell: SourceCell
    row_path: tuple[str, ...]  # normalised, outermost first
    col_path: tuple[str, ...]  # normalised, nearest first
    row_text: tuple[str, ...]  # as written (cleaned), for messages
    col_text: tuple[str, ...]


def _col_path(grid: list[list[SourceCell | None]], row: int, col: int,
              labels: set[int]) -> list[SourceCell]:
    """Label cells above (row, col), nearest first, each once (value cells skipped)."""
    seen: list[SourceCell] = []
    for r in range(row - 1, -1, -1):
        cell = grid[r][col]
        if cell is not None and id(cell) in labels and cell not in seen:
            seen.append(cell)
    return seen[:3]


def _rows_of(table: SourceTable) -> list[list[_Slot]]:
    """Each source row's candidate value cells, with their paths (header rows left out).

    Row labels are the label cells left of the first column that holds a number anywhere in
    the table; a row with no cell there other than labels is a header row.
    """
    grid = table.grid()
    labels = {id(c) for c in table.cells if is_label(c.text)}
    numbers = [c.col for c in table.cells if _is_number(c.text)] or [
        c.col for c in table.cells if id(c) not in labels]  # no number at all: every value bad
    start = min(numbers) if numbers else table.width
    # Text where a number belongs ("见附件") names no column: only labels outside the data
    # rows' value cells are column headers.
    data_rows = {c.row for c in table.cells if _is_number(c.text) and c.col >= start}
    headers = {id(c) for c in table.cells
               if id(c) in labels and not (c.row in data_rows and c.col >= start)}
    result: list[list[_Slot]] = []
    for r, row in enumerate(grid):
        cells: list[SourceCell] = []
        for cell in row:
            if cell is not None and cell not in cells:
                cells.append(cell)
        row_labels = [c for c in cells if id(c) in labels and c.col + c.cols <= start]
        values = [c for c in cells if c.row == r and c.col >= start]
        if not values or all(id(c) in labels for c in values):
            continue
        result.append([_Slot(table, cell,
                             tuple(norm(c.text) for c in row_labels),
                             tuple(norm(c.text) for c in above),
                             tuple(one_line(c.text) for c in row_labels),
                             tuple(one_line(c.text) for c in above))
                       for cell in values
                       for above in [_col_path(grid, cell.row, cell.col, headers)]])
    return result


@dataclass(frozen=True)
class _PackRow:
    path: tuple[str, ...]
    cells: tuple[tuple[Cell, tuple[str, ...]], ...]  # value cell, its column path


def _pack_rows(table: TableSection) -> list[_PackRow]:
    grid: dict[tuple[int, int], Cell] = {}
    for cell in table.cells:
        for r in range(cell.row, cell.row + cell.rows):
            for c in range(cell.col, cell.col + cell.cols):
                grid[(r, c)] = cell
    rows: dict[int, list[Cell]] = {}
    for cell in table.value_cells():
        rows.setdefault(cell.row, []).append(cell)
    result = []
    for r, cells in sorted(rows.items()):
        first = min(c.col for c in cells)
        path: list[str] = []
        for c in range(first):
            left = grid.get((r, c))
            if left is not None and not left.is_value and norm(left.text) not in path:
                path.append(norm(left.text))
        columns = []
        for value in sorted(cells, key=lambda v: v.col):
            above: list[str] = []
            for rr in range(r - 1, -1, -1):
                up = grid.get((rr, value.col))
                if up is not None and not up.is_value and norm(up.text) not in above:
                    above.append(norm(up.text))
            columns.append((value, tuple(above[:3])))
        result.append(_PackRow(tuple(path), tuple(columns)))
    return result


def _path_score(pack: tuple[str, ...], source: tuple[str, ...], *, inner: int) -> float:
    """Similarity of two label paths: the innermost label weighs most."""
    if not pack or not source:
        return 0.0
    a, b = (pack[-1], source[-1]) if inner < 0 else (pack[0], source[0])
    return 0.6 * similarity(a, b) + 0.4 * similarity("|".join(pack), "|".join(source))


def _labels(table: TableSection) -> set[str]:
    return {norm(c.text + c.hint) for c in table.label_cells() if norm(c.text)}


def _overlap(table: TableSection, source: SourceTable) -> tuple[int, int, int]:
    """(pack labels the source shows, source labels the pack has, source labels) — each
    label closely matched."""
    wanted = _labels(table)
    have = sorted({norm(c.text) for c in source.cells if is_label(c.text)})[:MAX_LABELS]
    found = sum(1 for w in wanted if w in have or any(_close(w, h, 0.8) for h in have))
    known = sum(1 for h in have if h in wanted or any(_close(h, w, 0.8) for w in wanted))
    return found, known, len(have)


def table_score(table: TableSection, source: SourceTable) -> float:
    """The share of the pack table's labels the source table shows (each closely matched)."""
    wanted = len(_labels(table))
    return _overlap(table, source)[0] / wanted if wanted else 0.0


def _fit(table: TableSection, source: SourceTable) -> float:
    """How well a source table fits a pack table: the share of the pack's labels it shows, or,
    for a part of the table published on its own (one 第二十条 item of 二), the share of its
    own labels the pack has."""
    wanted = len(_labels(table))
    found, known, have = _overlap(table, source)
    part = known / have if have and known >= 3 else 0.0
    return max(found / wanted if wanted else 0.0, 0.9 * part)


# ---------------------------------------------------------------------------------------------
# Matching and reading


@dataclass
class Found:
    """One pack value cell found in the source, or why not."""

    key: str
    value: Number | None = None
    problem: str = ""
    where: str = ""  # the source table, as messages name it
    page: int = 0


@dataclass
class TableResult:
    table: TableSection
    sources: list[SourceTable] = field(default_factory=list)
    found: dict[str, Found] = field(default_factory=dict)


def _greedy(pairs: Iterable[tuple[float, int, int]], threshold: float) -> dict[int, int]:
    chosen: dict[int, int] = {}
    used: set[int] = set()
    for score, a, b in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if score < threshold or a in chosen or b in used:
            continue
        chosen[a] = b
        used.add(b)
    return chosen


def match_table(table: TableSection, sources: list[SourceTable], name: str) -> TableResult:
    """Read every value cell of ``table`` from the source tables found for it."""
    result = TableResult(table, sources)
    pack_rows = _pack_rows(table)
    source_rows = [slots for source in sources for slots in _rows_of(source)]
    pairs: list[tuple[float, int, int]] = []
    for i, prow in enumerate(pack_rows):
        for j, slots in enumerate(source_rows):
            if prow.path:
                score = _path_score(prow.path, slots[0].row_path, inner=-1)
            else:  # a row of values only (table 四): by its columns; a label there is extra
                score = _columns_score(prow, slots) * (0.95 if slots[0].row_path else 1.0)
            pairs.append((score, i, j))
    rows = _greedy(pairs, ROW_MATCH)
    for i, prow in enumerate(pack_rows):
        label = " › ".join(c.row_label for c, _ in prow.cells[:1]) or table.heading
        if i not in rows:
            for cell, _ in prow.cells:
                result.found[cell.key] = Found(cell.key, problem=f"找不到“{label}”这一行",
                                               where=name)
            continue
        slots = source_rows[rows[i]]
        cols = _greedy(((_path_score(path, slot.col_path, inner=0), k, n)
                        for k, (_, path) in enumerate(prow.cells)
                        for n, slot in enumerate(slots)), COL_MATCH)
        if len(prow.cells) == 1 and not cols and len(slots) == 1:
            cols = {0: 0}  # one value in the row, one cell in the source row: no doubt
        for k, (cell, _) in enumerate(prow.cells):
            if k not in cols:
                result.found[cell.key] = Found(
                    cell.key, problem=f"{cell.label}：在这一行找不到“{cell.col_label}”这一列",
                    where=name)
                continue
            slot = slots[cols[k]]
            result.found[cell.key] = _read(cell, slot, name)
    return result


def _columns_score(prow: _PackRow, slots: list[_Slot]) -> float:
    if not slots:
        return 0.0
    scores = [max((_path_score(path, s.col_path, inner=0) for s in slots), default=0.0)
              for _, path in prow.cells]
    coverage = min(1.0, len(slots) / len(prow.cells))
    numbers = any(_is_number(s.cell.text) for s in slots)  # an empty extra row ranks lower
    return sum(scores) / len(scores) * coverage * (1.0 if numbers else 0.9)


def _label(cell: Cell, slot: _Slot) -> str:
    """How the source names this cell: its own row and column labels."""
    rows = list(slot.row_text)
    row = rows[-1] if rows else ""
    if rows and len(rows) > 1 and _SUBITEM.match(row):
        row = f"{rows[-2]}·{row}"
    cols = list(slot.col_text)
    col = cols[0] if cols else ""
    if "·" in cell.col_label and len(cols) > 1:
        col = f"{cols[1]}·{col}"
    return "/".join(x for x in (row, col) if x) or cell.label


def _read(cell: Cell, slot: _Slot, name: str) -> Found:
    page = slot.table.page(slot.cell.row)
    found = Found(cell.key, where=name, page=page)
    lines = lines_of(slot.cell.text)
    label = _label(cell, slot)
    flat = " ".join(lines)
    if not flat:
        found.problem = f"{label}：空白，没有数字"
    elif len(lines) > 1 and all(_is_number(x) for x in lines):
        both = " / ".join(lines)
        found.problem = f"{label}：一个单元格里有两个数字（「{both}」，可能是合并单元格）"
    elif " " in flat and _is_number(flat.replace(" ", "")) and not _GROUPED.match(flat) \
            and all(_is_number(x) for x in flat.split(" ")):
        found.problem = f"{label}：一个单元格里有两个数字（「{flat}」，可能是合并单元格）"
    elif flat.replace(" ", "").lower() in _PLACEHOLDERS:
        found.problem = f"{label}：没有数字，写的是「{flat}」"
    else:
        try:
            found.value = value_type(cell.type).parse(flat.replace(" ", ""))
        except ValueProblem as exc:
            found.problem = f"{label}：{exc}"
    return found


def pack_score(pack: Pack, sources: list[SourceTable]) -> float:
    """How well a pack's tables fit the source tables: the sum of each one's best fit."""
    return sum(max((table_score(t, s) for s in sources[:MAX_TABLES]), default=0.0)
               for t in pack.tables())


def assign(pack: Pack, sources: list[SourceTable]) -> dict[str, list[SourceTable]]:
    """Each source table to the pack table it fits best (if it fits one at all)."""
    result: dict[str, list[SourceTable]] = {t.key: [] for t in pack.tables()}
    for source in sources[:MAX_TABLES]:
        scored = [(_fit(t, source), t.key) for t in pack.tables()]
        best = max(scored, default=(0.0, ""))
        if best[0] >= TABLE_MATCH:
            result[best[1]].append(source)
    return result
