"""The cells of a generic workbook: ``workbook.Workbook.visible_sheets()`` (openpyxl's public
API only: the used rectangle where it is small, else the sheet's XML streamed once more in
read-only mode) beside the code before it (the same workbook loaded, then openpyxl's private
``_cells`` dict).

Workbooks, each opened and read N times:

* a list of 2,000 rows x 8 columns (what a generic workbook usually is);
* the same list and one value typed at XFD1048576 (the streamed path);
* the same list and a value at A1000000;
* 300 rows that each reach column XFD (the streamed path's worst case per cell);
* a list of 40,000 rows x 8 columns (320,000 cells: over ``DENSE_AREA``, so streamed too,
  the price of not counting the cells through openpyxl's private dict).

    python benchmarks/generic_cells.py          # 3 times each
    python benchmarks/generic_cells.py -n 10
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from docx_report import workbook as wb


def before(path: Path) -> list[tuple[int, int, Any]]:
    book = wb.open_workbook(path)._book
    return [(row, col, cell.value) for ws in book.worksheets if ws.sheet_state == "visible"
            for (row, col), cell in sorted(ws._cells.items()) if cell.value is not None]


def after(path: Path) -> list[tuple[int, int, Any]]:
    return [(c.row, c.col, c.value) for sheet in wb.open_workbook(path).visible_sheets()
            for c in sheet.cells]


def make(folder: Path) -> dict[str, Path]:
    def book(name: str, extra: Callable[[Any], None], rows: int = 2000) -> Path:
        out = openpyxl.Workbook()
        ws = out.active
        assert ws is not None
        ws.append([f"列{c}" for c in range(1, 9)])
        for r in range(rows):
            ws.append([r * 8 + c for c in range(8)])
        extra(ws)
        path = folder / f"{name}.xlsx"
        out.save(path)
        return path

    def far_rows(ws: Any) -> None:
        for r in range(2, 302):
            ws.cell(r, 16_384, "x")

    return {
        "list 2,000 x 8": book("list", lambda ws: None),
        "+ value at XFD1048576": book("xfd", lambda ws: ws.cell(1_048_576, 16_384, "x")),
        "+ value at A1000000": book("far-row", lambda ws: ws.cell(1_000_000, 1, "x")),
        "+ 300 rows reaching XFD": book("far-cols", far_rows),
        "list 40,000 x 8": book("big", lambda ws: None, rows=40_000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        books = make(Path(tmp))
        print(f"{'workbook':<26} {'before (_cells)':>16} {'after (public)':>16}")
        for label, path in books.items():
            assert before(path) == after(path), label  # the same cells, warmed up
            timings = []
            for run in (before, after):
                start = time.perf_counter()
                for _ in range(args.n):
                    run(path)
                timings.append((time.perf_counter() - start) / args.n)
            print(f"{label:<26} {timings[0] * 1000:13.0f} ms {timings[1] * 1000:13.0f} ms"
                  f"  ({timings[0] / timings[1]:4.2f}x)")


if __name__ == "__main__":
    main()
