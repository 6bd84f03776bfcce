"""Table sections of a pack: a grid written row by row like an HTML table, placed cell by cell.

A cell is a label (a string, or ``{text, cols, rows}``), a value (``{value = "row.col", cols,
type}``) or a whole row of values under the table's ``columns`` (``{row = "key"}``). Cells
covered by an earlier rowspan are skipped, as in HTML. Every row must come out ``width`` wide.
"""

from __future__ import annotations

import re
from typing import Any

from docx_report import pack_schema as schema
from docx_report.pack import RESERVED_ROW_KEYS, Cell, TableSection, with_labels
from docx_report.pack_schema import Path_
from docx_report.values import TYPES

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_WIDTH, MAX_ROWS = 64, 1000  # far beyond any report table; spans are bounded by them


class GridError(Exception):
    """A located mistake in a table's grid (the table is reported and skipped)."""

    def __init__(self, path: Path_, message: str) -> None:
        super().__init__(message)
        self.path = path


def build_table(i: int, raw: dict[str, Any]) -> TableSection:
    """A table section from its grid (HTML-like rows); GridError at the first mistake."""
    key, width = raw["key"], raw["width"]
    if not 1 <= width <= MAX_WIDTH:
        raise GridError(("sections", i, "width"), f"表 {key} 的 width 应在 1 到 {MAX_WIDTH} 之间")
    if len(raw["grid"]) > MAX_ROWS:
        raise GridError(("sections", i, "grid"), f"表 {key} 超过 {MAX_ROWS} 行")
    columns = list(raw.get("columns", []))
    default_type = raw.get("type", "count")
    occupied: set[tuple[int, int]] = set()
    cells: list[Cell] = []
    named: dict[str, int] = {}
    for r, row in enumerate(raw["grid"]):
        at: Path_ = ("sections", i, "grid", r)
        c = 0
        for item in row:
            if isinstance(item, dict) and "row" in item:
                if not columns:
                    raise GridError(at, f"表 {key} 第 {r + 1} 行用了 row，但表没有 columns")
                spec: list[Any] = [{"value": f"{item['row']}.{col}",
                                    "type": item.get("type", default_type)}
                                   for col in columns]
            else:
                spec = [item]
            for one in spec:
                while (r, c) in occupied:
                    c += 1
                cell = _cell(key, r, c, one, default_type, at)
                if c + cell.cols > width:  # checked before any cell is marked: spans stay small
                    raise GridError(at, f"表 {key} 第 {r + 1} 行超出了表格宽度 {width} 列"
                                        "（width）")
                if r + cell.rows > len(raw["grid"]):
                    raise GridError(at, f"表 {key} 第 {r + 1} 行有单元格跨行超出了表格末行")
                for rr in range(r, r + cell.rows):
                    for cc in range(c, c + cell.cols):
                        if (rr, cc) in occupied:
                            raise GridError(at, f"表 {key} 第 {r + 1} 行的单元格与上方跨行的"
                                                "单元格重叠")
                        occupied.add((rr, cc))
                if cell.key in named:
                    raise GridError(at, f"单元格 {cell.key} 重复（表格第 {named[cell.key]} 行"
                                        "已有）")
                if cell.key:
                    named[cell.key] = r + 1
                cells.append(cell)
                c += cell.cols
        while (r, c) in occupied:
            c += 1
        if c != width:
            raise GridError(at, f"表 {key} 第 {r + 1} 行宽 {c} 列，应为 {width} 列（width）")
    if not cells:
        raise GridError(("sections", i, "grid"), f"表 {key} 的 grid 是空的")
    depth = max(cell.row + cell.rows for cell in cells)
    header_rows = 0
    for r in range(depth):
        if any(cell.is_value and cell.row == r for cell in cells):
            break
        header_rows = r + 1
    widths = raw.get("widths", ())
    if widths and (len(widths) != width or not all(
            isinstance(w, int | float) and not isinstance(w, bool) for w in widths)):
        raise GridError(("sections", i, "widths"), f"表 {key} 的 widths 应为 {width} 个数字")
    return TableSection(key=key, heading=raw["heading"], sheet=raw["sheet"], width=width,
                        cells=tuple(with_labels(cells)), header_rows=header_rows,
                        widths=tuple(widths), intro=raw.get("intro", ""))


def _cell(table: str, r: int, c: int, item: Any, default_type: str, at: Path_) -> Cell:
    if isinstance(item, str):
        return Cell(r, c, 1, 1, text=item)
    if not isinstance(item, dict):
        raise GridError(at, f"表 {table} 第 {r + 1} 行有一格既不是文字也不是 {{…}}："
                            f"{str(item)[:30]}")
    allowed = {"rows", "cols", "value", "type", "text", "hint"}
    for name in item:
        if name not in allowed:
            raise GridError(at, f"表 {table} 第 {r + 1} 行的单元格有未知的键「{name}」"
                                f"{schema.did_you_mean(name, allowed)}")
    rows, cols = item.get("rows", 1), item.get("cols", 1)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
               for n in (rows, cols)):
        raise GridError(at, f"表 {table} 第 {r + 1} 行：rows 和 cols 应为正整数")
    if "value" in item:
        rel = str(item["value"])
        if not all(_KEY.match(p) for p in rel.split(".")) or rel.count(".") != 1:
            raise GridError(at, f"单元格名「{rel}」应为 行名.列名（英文字母、数字、下划线）")
        if rel.split(".")[0] in RESERVED_ROW_KEYS:
            raise GridError(at, f"行名「{rel.split('.')[0]}」是保留字")
        kind = item.get("type", default_type)
        if kind not in TYPES or not TYPES[kind].numeric:
            raise GridError(at, f"单元格 {table}.{rel} 的类型「{kind}」不是数值类型（count、"
                                "signed、amount）")
        return Cell(r, c, rows, cols, key=f"{table}.{rel}", type=kind)
    if "text" not in item:
        raise GridError(at, f"表 {table} 第 {r + 1} 行的单元格既没有 text 也没有 value")
    return Cell(r, c, rows, cols, text=str(item["text"]), hint=str(item.get("hint", "")))
