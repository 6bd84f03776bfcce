"""Small builders for test workbooks: start from a real example or a blank ``init`` workbook,
then change cells with openpyxl exactly as a clerk would in Excel."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE_2021 = EXAMPLES / "临江市市场监督管理局-2024.xlsx"
EXAMPLE_2021_PREVIOUS = EXAMPLES / "临江市市场监督管理局-2023.xlsx"
EXAMPLE_2019 = EXAMPLES / "前进区人力资源和社会保障局-2022.xlsx"

T2, T3, T4 = "二、主动公开", "三、依申请公开", "四、复议诉讼"


def copy_example(tmp_path: Path, example: Path = EXAMPLE_2021, name: str = "") -> Path:
    target = tmp_path / (name or example.name)
    shutil.copyfile(example, target)
    return target


def set_cells(path: Path, cells: Mapping[tuple[str, str], Any]) -> Path:
    """Write values into (sheet, A1) cells, unprotecting nothing: openpyxl ignores protection."""
    book = openpyxl.load_workbook(path)
    for (sheet, ref), value in cells.items():
        book[sheet][ref].value = value
    book.save(path)
    return path


def find_label(ws: Any, text: str, *, after_row: int = 0) -> tuple[int, int]:
    """Row and column of the first cell whose text is ``text`` (below ``after_row``)."""
    for row in ws.iter_rows(min_row=after_row + 1):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip() == text:
                return cell.row, cell.column
    raise AssertionError(f"label {text!r} not found on {ws.title}")


def value_at(ws: Any, row_label: str, col_label: str, *, after_row: int = 0) -> Any:
    """The workbook cell in the row of ``row_label`` and the column of ``col_label``."""
    row, _ = find_label(ws, row_label, after_row=after_row)
    _, col = find_label(ws, col_label)
    return ws.cell(row, col)
