"""Workbooks for the differential test of the readers (``test_reader_equivalence``) that real
writers made: the bundled examples edited with openpyxl (what a clerk's edit or openpyxl
itself writes), small workbooks openpyxl writes, and files LibreOffice saved (its own shared
strings, styles and date formats), all of them in one soffice run."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from tests.helpers import EXAMPLE_2019, EXAMPLE_2021, EXAMPLES

# ---------------------------------------------------------------------------------------------
# The examples edited with openpyxl, and small workbooks openpyxl writes


def _edit(source: Path, edit: Callable[[Any], None]) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        book = openpyxl.load_workbook(source)
        edit(book)
        book.save(path)
        return path

    return make


def _fresh(edit: Callable[[Any], None]) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        book = openpyxl.Workbook()
        edit(book)
        book.save(path)
        return path

    return make


def _typed_cells(book: Any) -> None:
    ws = book["基本信息"]
    values: list[Any] = [3, 3.0, 3.5, -0.0, 0, True, False, 2**53 + 1, 1e20, 1e-7,
                         dt.datetime(2025, 1, 20), dt.datetime(2025, 1, 20, 13, 30),
                         dt.date(2024, 2, 29), dt.time(13, 30), dt.timedelta(hours=30),
                         "文本", "  ", " 两端 ", "第一段\n第二段", "a\r\nb", "_x000D_", "x005F_",
                         "𠀀😀", "=1+2", "'007", "007", "TRUE"]
    for i, value in enumerate(values, 4):
        if not (isinstance(value, str) and "_" in value):  # escapes: see _escaped_cells
            ws.cell(i, 4, value)


def _escaped_cells(book: Any) -> None:
    ws = book["基本信息"]
    for i, value in enumerate(["_x000D_", "x005F_", "a_x0041_b", "_x005F_x0041_"], 4):
        ws.cell(i, 4, value)


def _formats(book: Any) -> None:
    ws = book["基本信息"]
    for i, (value, fmt) in enumerate([
            (45311, "yyyy-mm-dd"), (45311, 'yyyy"年"m"月"d"日"'), (1.25, "[h]:mm:ss"),
            (45311, "0.00"), (45311, "@"), (45311.5, "m/d/yy h:mm"), (0.5, "mm:ss"),
            (12, "General"), (3.0, "0"), (dt.datetime(2024, 1, 2), "General"),
            (dt.datetime(2024, 1, 2, 3, 4), "0.00")], 4):
        cell = ws.cell(i, 5, value)
        cell.number_format = fmt


def _merge_with_values(book: Any) -> None:
    ws = book["基本信息"]
    for r in range(20, 24):
        for col in range(4, 9):
            ws.cell(r, col, r * 100 + col)
    ws.merge_cells("E20:G22")


def _hidden_and_chart(book: Any) -> None:
    from openpyxl.chart import BarChart, Reference

    ws = book.active
    ws.title = "数据"
    for i in range(1, 5):
        ws.append([f"项{i}", i * 10])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=4))
    sheet = book.create_chartsheet("图表")
    sheet.add_chart(chart)
    book.create_sheet("隐藏").sheet_state = "hidden"
    book["隐藏"]["A1"] = "隐"
    book.create_sheet("深藏").sheet_state = "veryHidden"
    book.move_sheet("图表", offset=-1)


def _comments_links(book: Any) -> None:
    from openpyxl.comments import Comment

    ws = book.active
    ws.title = "批注"
    ws["A1"] = 1
    ws["C9"].comment = Comment("批注", "作者")
    ws["D12"].hyperlink = "https://example.org/"
    ws["B3"] = "有链接"
    ws["B3"].hyperlink = "#批注!A1"


def _rich(book: Any) -> None:
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    ws = book.active
    ws["A1"] = CellRichText("前", TextBlock(InlineFont(b=True), "粗"), " 后 ")
    ws["A2"] = CellRichText(TextBlock(InlineFont(i=True), " "))
    ws["A3"] = "普通"


def _odd_names(book: Any) -> None:
    book.active.title = "a&b'c"
    book.active["A1"] = 1
    for name in ("表 一", "表1-2", "数据（2024）", "😀"):
        book.create_sheet(name)["B2"] = name


def _errors(book: Any) -> None:
    ws = book.active
    ws["A1"] = "#REF!"
    ws["A1"].data_type = "e"
    ws["A2"] = "#DIV/0!"
    ws["A2"].data_type = "e"
    ws["A3"] = 5


def _far(book: Any) -> None:
    ws = book.active
    ws["A1"] = 1
    ws["AN300"] = "远"
    ws["B310"] = "更远"
    ws["AO5"] = "第 41 列"
    ws["AN5"] = "第 40 列"


def _date_1904(book: Any) -> None:
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = book.active
    ws["A1"] = dt.datetime(2024, 1, 20)
    ws["A2"] = dt.datetime(1904, 1, 1)
    ws["A3"] = 43849
    ws["A3"].number_format = "yyyy-mm-dd"


EDITED: dict[str, Callable[[Path], Path]] = {
    "example-2021": lambda p: Path(shutil.copyfile(EXAMPLE_2021, p)),
    "example-2019": lambda p: Path(shutil.copyfile(EXAMPLE_2019, p)),
    "example-street": lambda p: Path(shutil.copyfile(
        EXAMPLES / "street-monthly" / "河西街道-2024-09.xlsx", p)),
    "example-generic": lambda p: Path(shutil.copyfile(EXAMPLES / "generic" / "采购清单.xlsx", p)),
    "edit-typed-cells": _edit(EXAMPLE_2021, _typed_cells),
    "edit-escaped-cells": _edit(EXAMPLE_2021, _escaped_cells),
    "edit-number-formats": _edit(EXAMPLE_2021, _formats),
    "edit-merge-values": _edit(EXAMPLE_2021, _merge_with_values),
    "edit-meta-removed": _edit(EXAMPLE_2021, lambda b: b.remove(b["_docx_report"])),
    "edit-meta-visible": _edit(EXAMPLE_2021, lambda b: setattr(
        b["_docx_report"], "sheet_state", "visible")),
    "edit-sheet-renamed": _edit(EXAMPLE_2019, lambda b: setattr(b.worksheets[0], "title",
                                                                "改名&<>")),
    "openpyxl-chart-hidden": _fresh(_hidden_and_chart),
    "openpyxl-comments-links": _fresh(_comments_links),
    "openpyxl-rich-text": _fresh(_rich),
    "openpyxl-odd-names": _fresh(_odd_names),
    "openpyxl-errors": _fresh(_errors),
    "openpyxl-far": _fresh(_far),
    "openpyxl-1904": _fresh(_date_1904),
}

# ---------------------------------------------------------------------------------------------
# Files LibreOffice saved: some of the cases above, and a CSV it types itself

#: case whose file LibreOffice resaves -> name of the resaved case
RESAVED = ["sst-rich-runs", "sst-whitespace", "sst-newlines", "sst-escapes", "inline-rich",
           "num-forms", "num-big", "bool", "str-formula", "error-cells", "styled-dates",
           "styled-small-serials", "date1904", "merged", "hidden-sheets", "odd-sheet-names",
           "empty-sheets", "d-iso", "example-2021", "edit-typed-cells", "edit-number-formats",
           "openpyxl-chart-hidden", "openpyxl-comments-links", "openpyxl-rich-text",
           "meta-record"]

CSV = ("文本,数,日期,时间,布尔,前导零,大数,百分比\n"
       '" 两端 ",3,2024-01-20,13:30,TRUE,007,90071992547409930,50%\n'
       '"一\n二",3.0,2024/1/20,1:02:03,FALSE,0.10,1E3,-0\n'
       "_x000D_,-2.5,1900-02-29,,true,1_000,2024-01-20 13:30,x005F_\n")


def soffice_resave(sources: list[Path], outdir: Path) -> dict[str, Path]:
    """Each source (an .xlsx, or .csv) saved again by LibreOffice as .xlsx, in one run."""
    from docx_report.pdf import find_soffice

    soffice = find_soffice()
    assert soffice is not None, "LibreOffice is needed"
    inputs = outdir / "in"
    inputs.mkdir()
    copies = []
    for source in sources:
        copy = inputs / source.name
        shutil.copyfile(source, copy)
        copies.append(copy)
    out = outdir / "out"
    csvs = [p for p in copies if p.suffix == ".csv"]
    xlsxs = [p for p in copies if p.suffix != ".csv"]
    profile = f"-env:UserInstallation={(outdir / 'profile').as_uri()}"
    for group, extra in ((xlsxs, []), (csvs, ["--infilter=CSV:44,34,76,1"])):
        if group:
            subprocess.run([str(soffice), profile, "--headless", *extra, "--convert-to", "xlsx",
                            "--outdir", str(out), *map(str, group)],
                           check=True, capture_output=True, timeout=240)
    return {p.stem: out / f"{p.stem}.xlsx" for p in copies}
