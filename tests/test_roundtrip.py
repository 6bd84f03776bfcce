"""A clerk's round trip: ``init`` a workbook, fill every number by reading its labels, ``build``,
and find each number in the report at the row and column its labels name.

Nothing here asks the pack where cells are: the workbook is read as a clerk reads it (labels
and merged cells) and the report as a reader does (the Word tables), so a pack, layout or
template mistake that puts a number under the wrong label fails the test.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from docx_report.report import build_report, init_workbook
from tests.helpers import T2, T3, T4

TABLE_SHEETS = {T2: "二、主动公开政府信息情况", T3: "三、收到和处理政府信息公开申请情况",
                T4: "四、政府信息公开行政复议、行政诉讼情况"}
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _norm(text: Any) -> str:
    return re.sub(r"\s+", "", str(text or "")).replace("（单位：万元）", "")


def sheet_grid(ws: Any, first_row: int) -> list[list[Any]]:
    """The sheet's cells from ``first_row``, each merged range's value spread over its area."""
    spread: dict[tuple[int, int], Any] = {}
    for rng in ws.merged_cells.ranges:
        top = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                spread[(r, c)] = top
    return [[spread.get((r, c), ws.cell(r, c).value) for c in range(1, ws.max_column + 1)]
            for r in range(first_row, ws.max_row + 1)]


def docx_grid(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def _is_formula(v: Any) -> bool:
    return isinstance(v, str) and v.startswith("=")


def label_map(grid: list[list[Any]],
              is_value: Callable[[Any], bool]) -> dict[tuple[Any, ...], Any]:
    """(row labels, column labels) → value, for every value cell of a grid (formulas skipped).

    Row labels: the texts left of the row's first value. Column labels: the texts in that column
    of the run of header rows (rows without values) nearest above.
    """
    result: dict[tuple[Any, ...], Any] = {}
    def slot(v: Any) -> bool:
        return is_value(v) or _is_formula(v)

    value_rows = [any(slot(v) for v in row) for row in grid]
    for r, row in enumerate(grid):
        if not value_rows[r]:
            continue
        first = next(c for c, v in enumerate(row) if slot(v))
        row_path = tuple(dict.fromkeys(_norm(v) for v in row[:first]))
        header_rows: list[int] = []
        h = r - 1
        while h >= 0 and value_rows[h]:
            h -= 1
        while h >= 0 and not value_rows[h]:
            header_rows.insert(0, h)
            h -= 1
        for c in range(first, len(row)):
            if not is_value(row[c]):
                continue
            col_path = tuple(dict.fromkeys(_norm(grid[hr][c]) for hr in header_rows))
            result[(row_path, col_path)] = row[c]
    return result


def fill_by_labels(path: Path) -> dict[str, dict[tuple[Any, ...], Any]]:
    """Fill every yellow input cell with a distinct number; keep table 三 consistent (R1)."""
    book = openpyxl.load_workbook(path)
    counter = iter(range(11, 10_000))
    facts = book["基本信息"]
    for row in facts.iter_rows(min_row=4):
        label = row[0].value
        if label == "机关名称":
            row[1].value = "往返测试局"
        elif label == "发布日期":
            row[1].value = dt.datetime(2025, 1, 20)
    for sheet in ("一、总体情况", "五、问题及改进", "六、其他事项"):
        ws = book[sheet]
        for r in range(4, ws.max_row + 1):
            ws.cell(r, 2).value = f"{sheet}第{r}行第一段。\n第二段，含信息处理费。"
    expected: dict[str, dict[tuple[Any, ...], Any]] = {}
    for sheet in TABLE_SHEETS:
        ws = book[sheet]
        first = next(r for r in range(1, 20) if ws.cell(r, 1).border.top.style
                     and r > 3)
        cells = {}
        for r in range(first, ws.max_row + 1):
            for c in range(1, ws.max_column + 1):
                cell = ws.cell(r, c)
                if cell.value == 0 and cell.protection.locked is False:
                    cells[(r, c)] = cell
        for cell in cells.values():
            cell.value = next(counter)
        if sheet == T3:  # 一 = （七）总计 + 四 − 二, column by column
            grid = sheet_grid(ws, first)
            labels = [[_norm(v) for v in row] for row in grid]

            def row_of(label: str, labels: list[list[str]] = labels) -> int:
                return next(i for i, row in enumerate(labels) if label in row)

            new_row = row_of("一、本年新收政府信息公开申请数量")
            carried = row_of("二、上年结转政府信息公开申请数量")
            nxt = row_of("四、结转下年度继续办理")
            outcomes = [i for i, row in enumerate(labels) if "三、本年度办理结果" in row
                        and "（七）总计" not in row]
            for (r, c), cell in cells.items():
                if r - first == new_row:
                    cell.value = (sum(ws.cell(first + o, c).value for o in outcomes)
                                  + ws.cell(first + nxt, c).value
                                  - ws.cell(first + carried, c).value)
        grid = sheet_grid(ws, first)
        expected[sheet] = label_map(grid, lambda v: isinstance(v, int) and not isinstance(v, bool))
    if "二、主动公开" in book.sheetnames:
        ws = book[T2]
        for r in range(1, ws.max_row + 1):
            for c in range(1, ws.max_column + 1):
                label = _norm(ws.cell(r, c).value)
                if label.startswith(("本年收费金额", "采购总金额")):
                    target = ws.cell(r + 1, c)
                    target.value = 24252.311082  # an amount keeps every typed decimal
    book.save(path)
    expected[T2] = label_map(sheet_grid(book[T2], 5),
                             lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    return expected


@pytest.mark.parametrize("pack", ["gov-disclosure-2021", "gov-disclosure-2019"])
def test_every_number_lands_where_its_labels_say(tmp_path: Path, pack: str) -> None:
    workbook = tmp_path / "填报.xlsx"
    init_workbook(workbook, pack=pack, year=2024 if pack.endswith("2021") else 2020)
    expected = fill_by_labels(workbook)
    built = build_report(workbook, out=tmp_path / "报告.docx")
    document = docx.Document(str(built.docx))
    tables = document.tables
    assert len(tables) == 3
    for table, sheet in zip(tables, TABLE_SHEETS, strict=True):
        found = label_map(docx_grid(table), lambda v: bool(NUMBER.match(str(v))))
        want = expected[sheet]
        assert want, sheet
        for place, value in want.items():
            text = found.get(place)
            assert text is not None, (sheet, place)
            assert text == (format(value, "f") if isinstance(value, float) and value % 1 else
                            str(int(value)) if isinstance(value, float) else str(value)), place
        for text in found.values():
            assert "." not in text or text == "24252.311082"
    texts = [p.text for p in document.paragraphs]
    assert "往返测试局" in texts
    assert any(t.endswith("年政府信息公开工作年度报告") for t in texts)


def test_totals_in_the_report_are_sums_of_their_parts(tmp_path: Path) -> None:
    workbook = tmp_path / "填报.xlsx"
    init_workbook(workbook, year=2024)
    fill_by_labels(workbook)  # totals stay uncalculated formulas: openpyxl does not compute
    built = build_report(workbook, out=tmp_path / "报告.docx")
    three = docx_grid(docx.Document(str(built.docx)).tables[1])
    value_rows = [row for row in three if NUMBER.match(row[-1])]
    for row in value_rows:
        assert int(row[-1]) == sum(int(v) for v in row[3:9]), row[:3]
    outcome_rows = [row for row in value_rows if row[0].startswith("三、")
                    and row[1] != "（七）总计"]
    total_row = next(row for row in value_rows if row[1] == "（七）总计")
    for c in range(3, 10):
        assert int(total_row[c]) == sum(int(row[c]) for row in outcome_rows)
    four = docx_grid(docx.Document(str(built.docx)).tables[2])[-1]
    for group in range(3):
        parts = [int(v) for v in four[group * 5: group * 5 + 4]]
        assert int(four[group * 5 + 4]) == sum(parts)
