"""Bad workbooks as clerks really make them, through the command line.

Each bad input is refused (or warned about) with a Chinese message that names the sheet and cell,
never a traceback or the last-resort "内部错误"; ``build`` then writes nothing and leaves an
existing output byte-identical. Values clerks type in harmless variants are accepted, and print
normalised. Workbooks are built from the examples in each test; the few hostile files (zip
bomb, entity attack, fake .xls) are generated here too.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from openpyxl.chart import BarChart, Reference

from docx_report.cli import main
from tests.helpers import (
    EXAMPLE_2019,
    EXAMPLE_2021,
    EXAMPLE_2021_PREVIOUS,
    T2,
    T3,
    T4,
    copy_example,
    find_label,
    set_cells,
)

FACTS, ONE, SIX = "基本信息", "一、总体情况", "六、其他事项"
META = "_docx_report"
THIS_YEAR = dt.date.today().year
CHINESE = re.compile("[\u4e00-\u9fff]")

Made = tuple[Path, list[str]]  # the workbook, and extra command-line arguments
Maker = Callable[[Path], Made]


# ---------------------------------------------------------------------------------------------
# Running the command line


def run(*args: str | Path) -> Result:
    """Invoke ``docx-report``; whatever the input, the clerk never sees a traceback."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    assert "内部错误" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception), result.output)
    return result


def line_at(result: Result, level: str, where: str) -> str:
    """The printed problem at ``where`` (``sheet!cell``, or a sheet alone) of ``level``."""
    prefix = f"{level}  {where}  "
    lines = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
    assert lines, f"no {level} at {where!r} in:\n{result.output}"
    return lines[0].removeprefix(prefix)


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# ---------------------------------------------------------------------------------------------
# Making bad workbooks


def cells(values: Mapping[tuple[str, str], Any], *, example: Path = EXAMPLE_2021,
          previous: Path | None = None,
          previous_cells: Mapping[tuple[str, str], Any] | None = None,
          args: tuple[str, ...] = ()) -> Maker:
    """An example with some cells changed (and last year's workbook, maybe changed too)."""

    def make(tmp: Path) -> Made:
        path = set_cells(copy_example(tmp, example), values)
        extra = list(args)
        if previous is not None:
            prev_dir = tmp / "previous"
            prev_dir.mkdir()
            prev = set_cells(copy_example(prev_dir, previous), previous_cells or {})
            extra += ["--previous", str(prev)]
        return path, extra

    return make


def error_cell(sheet: str, ref: str, code: str) -> Maker:
    """A cell holding an Excel error value (data type 'e'), as a broken formula leaves it."""

    def make(tmp: Path) -> Made:
        path = copy_example(tmp)
        book = openpyxl.load_workbook(path)
        cell = book[sheet][ref]
        cell.value = code
        cell.data_type = "e"
        book.save(path)
        return path, []

    return make


def edit_book(edit: Callable[[Any], None], example: Path = EXAMPLE_2021) -> Maker:
    """An example changed with openpyxl as a whole (sheets moved, rows inserted …)."""

    def make(tmp: Path) -> Made:
        path = copy_example(tmp, example)
        book = openpyxl.load_workbook(path)
        edit(book)
        book.save(path)
        return path, []

    return make


def raw_file(name: str, content: Callable[[], bytes]) -> Maker:
    def make(tmp: Path) -> Made:
        path = tmp / name
        path.write_bytes(content())
        return path, []

    return make


def zip_member(member: str, change: Callable[[bytes], bytes],
               example: Path = EXAMPLE_2021) -> Callable[[], bytes]:
    """The example's zip bytes with one member's XML changed."""

    def content() -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(example) as zin, zipfile.ZipFile(out, "w",
                                                              zipfile.ZIP_DEFLATED) as zout:
            for name in zin.namelist():
                data = zin.read(name)
                zout.writestr(name, change(data) if name == member else data)
        return out.getvalue()

    return content


def sheet_member(sheet: str, example: Path = EXAMPLE_2021) -> str:
    """The zip member of a sheet (openpyxl writes sheets in order as sheetN.xml)."""
    names = openpyxl.load_workbook(example, read_only=True).sheetnames
    return f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"


_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
           + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10)
                      for i in range(1, 10)) + b"]>")


def billion_laughs(root: bytes, old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    """Prefix the XML with the classic exponential entity DTD and use the entity once."""

    def change(data: bytes) -> bytes:
        body = data[data.index(root):]
        assert old in body
        return _LAUGHS + body.replace(old, new, 1)

    return change


def zip_bomb() -> bytes:
    """xl/workbook.xml plus a member of 101 MB of zeros (about 100 KB compressed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = bytes(1 << 20)
            for _ in range(101):
                fh.write(chunk)
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ole(*payload: bytes) -> Callable[[], bytes]:
    return lambda: OLE + bytes(504) + b"".join(payload) + bytes(1024)


def half_of(example: Path) -> Callable[[], bytes]:
    return lambda: example.read_bytes()[: example.stat().st_size // 2]


def a_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def not_ours(tmp: Path) -> Made:
    book = openpyxl.Workbook()
    book.active["A1"] = "姓名"  # type: ignore[index]
    path = tmp / "通讯录.xlsx"
    book.save(path)
    return path, []


def insert_row(book: Any) -> None:
    book[T3].insert_rows(12)  # above 1.属于国家秘密 (C12)


def delete_row(book: Any) -> None:
    book[T3].delete_rows(12)  # 1.属于国家秘密 is gone


def delete_sheet(book: Any) -> None:
    del book[T4]


def rename_sheet(book: Any) -> None:
    book[T4].title = "四、行政复议和诉讼"


def reorder_sheets(book: Any) -> None:
    book.move_sheet(T4, offset=-3)
    book.move_sheet(FACTS, offset=5)


def drop_record(book: Any) -> None:
    del book[META]  # sheets copied into a new workbook lose the hidden pack record


def foreign_pack(book: Any) -> None:
    book[META]["B1"] = "gov-disclosure-2030"


def chart_record(book: Any) -> None:
    """The hidden record deleted, and a chart sheet given its name: no cells to read."""
    del book[META]
    chart = BarChart()
    chart.add_data(Reference(book[FACTS], min_col=1, min_row=4, max_row=7))
    book.create_chartsheet(META).add_chart(chart)


def compressed_by(method: int, example: Path = EXAMPLE_2021) -> Callable[[], bytes]:
    """The example with every member marked as packed by ``method`` (9: Deflate64, which
    Windows' own zip tool uses for large files; zipfile cannot read it)."""

    def content() -> bytes:
        data = bytearray(example.read_bytes())
        at = data.find(b"PK\x01\x02")  # each central directory entry
        while at != -1:
            data[at + 10:at + 12] = method.to_bytes(2, "little")
            at = data.find(b"PK\x01\x02", at + 4)
        return bytes(data)

    return content


def merged(ref: str) -> Callable[[bytes], bytes]:
    """The sheet XML with its first merged range replaced by ``ref``."""
    return lambda data: re.sub(rb'<mergeCell ref="[^"]+"/>',
                               b'<mergeCell ref="%s"/>' % ref.encode(), data, count=1)


# ---------------------------------------------------------------------------------------------
# The table of bad inputs

# Cells of the 2021 example (tests/test_bad_inputs.py::test_cell_map_matches checks them).
NEW_NATURAL = (T3, "D8")  # 一、本年新收 / 自然人 = 48 (row total J8 = 63)
OVERVIEW_TEXT = ["B4", *(f"{c}{r}" for c in "AB" for r in range(5, 10))]  # 导语, 5 subsections


@dataclass(frozen=True)
class Bad:
    id: str
    make: Maker
    where: str  # "sheet!cell", a sheet alone, or "" when the file as a whole is refused
    says: str  # a fragment of the Chinese message
    level: str = "错误"

    def __str__(self) -> str:
        return self.id


BAD: list[Bad] = [
    # R5: what clerks type where a count belongs
    Bad("blank", cells({NEW_NATURAL: None}), f"{T3}!D8", "未填写（没有请填 0）"),
    Bad("slash", cells({NEW_NATURAL: "/"}), f"{T3}!D8", "没有请填 0），实为「/」"),
    Bad("em-dash", cells({NEW_NATURAL: "—"}), f"{T3}!D8", "实为「—」"),
    Bad("wu", cells({NEW_NATURAL: "无"}), f"{T3}!D8", "实为「无」"),
    Bad("words", cells({NEW_NATURAL: "见附件"}), f"{T3}!D8", "此处应填非负整数，实为「见附件」"),
    Bad("negative", cells({NEW_NATURAL: -3}), f"{T3}!D8", "不能为负数，实为 -3"),
    Bad("fraction", cells({NEW_NATURAL: 2.5}), f"{T3}!D8", "应为整数（不能有小数），实为 2.5"),
    Bad("fraction-text", cells({(T3, "E8"): "9.5"}), f"{T3}!E8", "应为整数"),
    Bad("date", cells({NEW_NATURAL: dt.datetime(2024, 3, 1)}), f"{T3}!D8", "日期"),
    Bad("boolean", cells({NEW_NATURAL: True}), f"{T3}!D8", "逻辑值 TRUE"),
    Bad("ref-error", error_cell(T3, "D8", "#REF!"), f"{T3}!D8", "错误值 #REF!"),
    Bad("div0-error", error_cell(T4, "A8", "#DIV/0!"), f"{T4}!A8", "错误值 #DIV/0!"),
    Bad("formula-no-value", cells({NEW_NATURAL: "=E8*5+3"}), f"{T3}!D8",
        "用 Excel 或 WPS 打开后保存"),
    Bad("label-names-the-cell", cells({NEW_NATURAL: "/"}), f"{T3}!D8",
        "一、本年新收政府信息公开申请数量/自然人"),
    Bad("table2-wu", cells({(T2, "B11"): "无"}), f"{T2}!B11", "行政许可/"),
    Bad("table4-slash", cells({(T4, "C8"): "/"}), f"{T4}!C8", "行政复议·其他结果"),
    Bad("amount-negative", cells({(T2, "B18"): -1.5}), f"{T2}!B18", "不能为负数"),
    Bad("amount-words", cells({(T2, "B18"): "约两万"}), f"{T2}!B18", "此处应填金额数字"),
    Bad("count-below-zero-2019", cells({(T2, "B11"): 15, (T2, "C11"): -20},
                                       example=EXAMPLE_2019), f"{T2}!C11",
        "上一年项目数量加本年增/减为 -5，本年项目数量不能为负数"),
    Bad("signed-fraction-2019", cells({(T2, "C11"): 1.5}, example=EXAMPLE_2019), f"{T2}!C11",
        "应为整数"),
    Bad("amount-slash-2019", cells({(T2, "C22"): "/"}, example=EXAMPLE_2019), f"{T2}!C22",
        "政府集中采购"),
    # R2, R3, R4: typed totals that disagree with their parts, at the total
    Bad("R3-row-total", cells({(T3, "J8"): 60}), f"{T3}!J8", "应为 63（各项之和），实为 60"),
    Bad("R2-column-total", cells({(T3, "D31"): 50}), f"{T3}!D31", "应为 49（各项之和），实为 50"),
    Bad("R4-review-total", cells({(T4, "E8"): 0}), f"{T4}!E8", "应为 6（各项之和），实为 0"),
    Bad("R4-lawsuit-total", cells({(T4, "J8"): 5}), f"{T4}!J8", "应为 4（各项之和），实为 5"),
    Bad("R1", cells({(T3, "D32"): 5}), f"{T3}!D32",
        "（51）应等于第三项（七）总计加第四项之和（54）"),
    # R6: last year's 结转 (2023 natural: 3) and the wrong year as last year
    Bad("R6", cells({(T3, "D9"): 4, (T3, "D32"): 3}, previous=EXAMPLE_2021_PREVIOUS),
        f"{T3}!D9", "应等于上年报告的“四、结转下年度继续办理”（3），实为 4"),
    Bad("R6-wrong-year", cells({}, previous=EXAMPLE_2021), f"{FACTS}!B6",
        "--previous 指定的是2024年度的报告，应为上一年（2023年度）的报告"),
    # facts
    Bad("agency-missing", cells({(FACTS, "B4"): None}), f"{FACTS}!B4", "机关名称：必须填写"),
    Bad("agency-blank-spaces", cells({(FACTS, "B4"): "  \u3000 "}), f"{FACTS}!B4", "必须填写"),
    Bad("agency-error", error_cell(FACTS, "B4", "#N/A"), f"{FACTS}!B4", "错误值 #N/A"),
    Bad("agency-kind", cells({(FACTS, "B5"): "局"}), f"{FACTS}!B5", "应为政府部门或人民政府之一"),
    Bad("year-future", cells({(FACTS, "B6"): THIS_YEAR + 1}), f"{FACTS}!B6", "在未来"),
    Bad("year-words", cells({(FACTS, "B6"): "去年"}), f"{FACTS}!B6", "年度应为四位数年份"),
    Bad("year-date", cells({(FACTS, "B6"): dt.datetime(2024, 1, 1)}), f"{FACTS}!B6",
        "年度应为四位数年份"),
    Bad("date-before-year-end", cells({(FACTS, "B7"): dt.datetime(2024, 12, 1)}), f"{FACTS}!B7",
        "发布日期（2024年12月1日）应在2024年结束之后"),
    Bad("date-words", cells({(FACTS, "B7"): "下个月"}), f"{FACTS}!B7", "应为日期"),
    Bad("date-impossible", cells({(FACTS, "B7"): "2025年2月30日"}), f"{FACTS}!B7", "不存在"),
    Bad("date-formula", cells({(FACTS, "B7"): "=TODAY()"}), f"{FACTS}!B7", "Excel 或 WPS"),
    Bad("overview-empty", cells({(ONE, ref): None for ref in OVERVIEW_TEXT}),
        f"{ONE}!B4", "没有填写内容"),
    Bad("subsection-without-body", cells({(ONE, "B6"): None}), f"{ONE}!B6", "下没有正文"),
    # sheets and structure
    Bad("missing-sheet", edit_book(delete_sheet), T4, "缺少工作表「四、复议诉讼」"),
    Bad("renamed-sheet", edit_book(rename_sheet), T4, "是否被改名为「四、行政复议和诉讼」"),
    Bad("inserted-row", edit_book(insert_row), f"{T3}!C12",
        "标签「1.属于国家秘密」应在 C12，却在 C13"),
    Bad("deleted-row", edit_book(delete_row), f"{T3}!C13",
        "标签「2.其他法律行政法规禁止公开」应在 C13，却在 C12"),
    Bad("deleted-row-gone", edit_book(delete_row), f"{T3}!C12", "1.属于国家秘密"),
    Bad("changed-label", cells({(T3, "C12"): "1.国家秘密"}), f"{T3}!C12",
        "应为标签「1.属于国家秘密」，实为「1.国家秘密」"),
    Bad("wrong-pack", cells({}, args=("--pack", "gov-disclosure-2019")), FACTS,
        "不能按「gov-disclosure-2019」格式读取"),
    # files that are not a workbook of ours at all
    Bad("foreign-pack-record", edit_book(foreign_pack), "", "gov-disclosure-2030"),
    Bad("not-a-report-workbook", not_ours, "", "不是 docx-report 的报告工作簿"),
    Bad("xls", raw_file("年报.xls", ole(b"Workbook".ljust(64, b"\0"))), "", "Excel 97-2003"),
    Bad("xls-named-xlsx", raw_file("年报.xlsx", ole()), "", "另存为"),
    Bad("csv", raw_file("年报.csv", lambda: "机关名称,年度\n某局,2024\n".encode("gbk")), "",
        "不是 Excel 工作簿"),
    Bad("docx", raw_file("年报.docx", a_docx), "", "Word 文档"),
    Bad("empty", raw_file("年报.xlsx", lambda: b""), "", "空的"),
    Bad("truncated", raw_file("年报.xlsx", half_of(EXAMPLE_2021)), "", "损坏或不完整"),
    Bad("password", raw_file("年报.xlsx", ole("EncryptedPackage".encode("utf-16-le"))), "",
        "密码"),
    Bad("zip-bomb", raw_file("年报.xlsx", zip_bomb), "", "压缩炸弹"),
    Bad("laughs-workbook", raw_file("年报.xlsx", zip_member(
        "xl/workbook.xml", billion_laughs(b"<workbook", b'name="', b'name="&lol9;'))), "",
        "不安全的 XML"),
    Bad("laughs-sheet", raw_file("年报.xlsx", zip_member(
        sheet_member(T3), billion_laughs(b"<worksheet", b"<v>48</v>", b"<v>&lol9;</v>"))), "",
        "不安全的 XML"),
    Bad("member-corrupt", raw_file("年报.xlsx", zip_member(
        sheet_member(T3), lambda d: d[: len(d) // 2])), "", "损坏"),
    Bad("deflate64", raw_file("年报.xlsx", compressed_by(9)), "", "压缩方式不受支持"),
    Bad("huge-merge", raw_file("年报.xlsx", zip_member(sheet_member(T3), merged("A40:B100040"))),
        "", "工作表「三、依申请公开」合并了异常巨大的区域（A40:B100040）"),
]

WARN: list[Bad] = [
    Bad("R7", cells({(T2, "D8"): 90}, previous=EXAMPLE_2021_PREVIOUS), f"{T2}!D8",
        "现行有效件数（90）不等于上年现行有效件数加本年制发件数减本年废止件数（86）", "警告"),
    Bad("R8", cells({(FACTS, "B6"): 2020, (FACTS, "B7"): dt.datetime(2021, 1, 20),
                     (T2, "B11"): 13},
                    example=EXAMPLE_2019, previous=EXAMPLE_2019,
                    previous_cells={(FACTS, "B6"): 2019, (FACTS, "B7"): dt.datetime(2020, 1, 20),
                                    (T2, "B11"): 10, (T2, "C11"): 2}),
        f"{T2}!B11", "上一年项目数量（13）不等于上年报告的上一年项目数量加本年增/减（12）", "警告"),
    Bad("R9", cells({(FACTS, "B6"): 2021, (FACTS, "B7"): dt.datetime(2022, 1, 20)},
                    example=EXAMPLE_2019),
        f"{FACTS}!B6", "2021年度的报告应使用政府信息公开工作年度报告（2021年格式）", "警告"),
    Bad("R10", cells({(SIX, "B4"): "本年度无其他需要报告的事项。"}), f"{SIX}!B4", "信息处理费",
        "警告"),
    Bad("deadline-department", cells({(FACTS, "B7"): dt.datetime(2025, 2, 15)}), f"{FACTS}!B7",
        "晚于法定期限（2025年1月31日，政府部门）", "警告"),
    Bad("deadline-government", cells({(FACTS, "B5"): "人民政府",
                                      (FACTS, "B7"): dt.datetime(2025, 4, 2)}), f"{FACTS}!B7",
        "晚于法定期限（2025年3月31日，人民政府）", "警告"),
    Bad("previous-other-agency",
        cells({}, previous=EXAMPLE_2021_PREVIOUS, previous_cells={(FACTS, "B4"): "临江市教育局"}),
        f"{FACTS}!B4",
        "上年报告的机关名称「临江市教育局」", "警告"),
]


@pytest.mark.parametrize("bad", BAD, ids=str)
@pytest.mark.usefixtures("reader")
def test_bad_input_is_refused_at_its_cell(bad: Bad, tmp_path: Path) -> None:
    path, extra = bad.make(tmp_path)
    checked = run("check", path, *extra)
    assert checked.exit_code == 1, checked.output
    if bad.where:
        message = line_at(checked, bad.level, bad.where)
    else:  # the whole file is refused: one message naming the file
        message = checked.stderr.strip()
        assert message.startswith(str(path)), message
    assert bad.says in message, checked.output
    assert CHINESE.search(message)

    # build refuses the same way and writes nothing; an existing output stays as it was
    existing = tmp_path / "已有报告.docx"
    existing.write_bytes(b"an earlier report")
    before = listing(tmp_path)
    built = run("build", path, "-o", existing, *extra)
    assert built.exit_code == 1, built.output
    assert bad.says in built.stderr
    assert "已生成" not in built.output
    assert listing(tmp_path) == before


@pytest.mark.parametrize("bad", WARN, ids=str)
@pytest.mark.usefixtures("reader")
def test_warning_is_located_and_does_not_stop_the_build(bad: Bad, tmp_path: Path) -> None:
    path, extra = bad.make(tmp_path)
    checked = run("check", path, *extra)
    assert checked.exit_code == 0, checked.output
    assert bad.says in line_at(checked, "警告", bad.where)
    assert "错误  " not in checked.stderr
    out = tmp_path / "报告.docx"
    built = run("build", path, "-o", out, *extra)
    assert built.exit_code == 0, built.output
    assert bad.says in line_at(built, "警告", bad.where)
    assert out.stat().st_size > 0


def test_bad_input_table_is_large_enough() -> None:
    assert len(BAD) + len(WARN) >= 40
    assert len({b.id for b in BAD + WARN}) == len(BAD + WARN)


def test_cell_map_matches_the_workbook() -> None:
    """The cell references written in the table above are where the labels say."""
    book = openpyxl.load_workbook(EXAMPLE_2021)
    t3 = book[T3]
    assert find_label(t3, "一、本年新收政府信息公开申请数量")[0] == 8
    assert find_label(t3, "二、上年结转政府信息公开申请数量")[0] == 9
    assert find_label(t3, "1.属于国家秘密") == (12, 3)
    assert find_label(t3, "（七）总计")[0] == 31
    assert find_label(t3, "四、结转下年度继续办理")[0] == 32
    assert find_label(t3, "自然人")[1] == 4 and find_label(t3, "总计")[1] == 10
    assert t3["D8"].value == 48 and t3["D9"].value == 3 and t3["D32"].value == 2
    t2 = book[T2]
    assert find_label(t2, "行政许可")[0] == 11 and find_label(t2, "行政事业性收费")[0] == 18
    assert find_label(t2, "行政规范性文件")[0] == 8 and find_label(t2, "现行有效件数")[1] == 4
    facts = book[FACTS]
    labels = ["机关名称", "机关类型", "年度", "发布日期"]
    assert [facts[f"A{r}"].value for r in range(4, 8)] == labels
    old = openpyxl.load_workbook(EXAMPLE_2019)[T2]
    assert find_label(old, "行政许可")[0] == 11 and find_label(old, "本年增/减")[1] == 3
    assert find_label(old, "政府集中采购") == (22, 1)


# ---------------------------------------------------------------------------------------------
# Accepted as typed, and printed normalised


@dataclass(frozen=True)
class Fine:
    id: str
    make: Maker
    key: str  # a dotted path into the template data
    shows: Any

    def __str__(self) -> str:
        return self.id


def dig(data: Any, key: str) -> Any:
    for part in key.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


CONTROL = "临江市_x0007_市场监督_x000B_管理局"  # Excel's escapes of BEL and VT


def control_chars(tmp: Path) -> Made:
    """Control characters reach a workbook as Excel's _xHHHH_ escapes (raw ones are not XML)."""
    def change(data: bytes) -> bytes:
        old = "".join(f"&#{ord(c)};" for c in "临江市市场监督管理局").encode()
        assert old in data
        data = data.replace(old, CONTROL.encode(), 1)
        return data.replace(old[:9], b"_x001B_" + old[:9], 1)  # ESC before a narrative 临

    path = tmp / "控制字符.xlsx"
    path.write_bytes(zip_member(sheet_member(FACTS), change)())
    return path, []


FINE: list[Fine] = [
    Fine("text-number", cells({NEW_NATURAL: "48"}), "requests.new.natural", "48"),
    Fine("full-width", cells({NEW_NATURAL: "４８"}), "requests.new.natural", "48"),
    Fine("spaces", cells({NEW_NATURAL: " 48 "}), "requests.new.natural", "48"),
    Fine("float-whole", cells({NEW_NATURAL: 48.0}), "requests.new.natural", "48"),
    Fine("thousands", cells({(T2, "B11"): "1,268"}), "active.permit.decisions", "1268"),
    Fine("full-width-thousands", cells({(T2, "B11"): "１，２６８"}), "active.permit.decisions",
         "1268"),
    Fine("amount-decimals", cells({}), "active.fees.amount", "24252.311082"),
    Fine("amount-text", cells({(T2, "B18"): "24,252.311082"}), "active.fees.amount",
         "24252.311082"),
    Fine("amount-one-decimal", cells({(T2, "B18"): 96171.6}), "active.fees.amount", "96171.6"),
    Fine("amount-two-decimals", cells({(T2, "B18"): 7730.28}), "active.fees.amount", "7730.28"),
    Fine("amount-whole", cells({(T2, "B18"): 5000}), "active.fees.amount", "5000"),
    Fine("signed-2019", cells({(T2, "B11"): 5, (T2, "C11"): -3}, example=EXAMPLE_2019),
         "active.permit.change", "-3"),
    Fine("signed-2019-text", cells({(T2, "B11"): 5, (T2, "C11"): "－3"}, example=EXAMPLE_2019),
         "active.permit.change", "-3"),
    Fine("signed-2019-math-minus", cells({(T2, "B11"): 5, (T2, "C11"): "\u22123"},
                                         example=EXAMPLE_2019), "active.permit.change", "-3"),
    Fine("blank-total-computed", cells({(T3, "J8"): None, (T4, "E8"): None}),
         "requests.new.total", "63"),
    Fine("typed-total-agrees", cells({(T3, "J8"): 63, (T4, "E8"): "6"}), "review.review.total",
         "6"),
    Fine("year-text", cells({(FACTS, "B6"): "2024年"}), "year", "2024"),
    Fine("date-text", cells({(FACTS, "B7"): "2025.1.20"}), "date", "2025年1月20日"),
    Fine("government-in-time", cells({(FACTS, "B5"): "人民政府",
                                      (FACTS, "B7"): dt.datetime(2025, 3, 31)}),
         "date", "2025年3月31日"),
    Fine("reordered-sheets", edit_book(reorder_sheets), "requests.new.natural", "48"),
    Fine("record-lost-2021", edit_book(drop_record), "active.rules.valid", "15"),
    Fine("record-lost-2019", edit_book(drop_record, EXAMPLE_2019), "active.rules.total", "0"),
    Fine("record-name-on-a-chart-sheet", edit_book(chart_record), "active.rules.valid", "15"),
    Fine("control-characters", control_chars, "agency", "临江市市场监督管理局"),
    Fine("template-syntax-literal", cells({(ONE, "B5"): "{{ 7*7 }} 与 {% raw %}"}),
         "overview.subsections.0.paragraphs.0", "{{ 7*7 }} 与 {% raw %}"),
]


@pytest.mark.parametrize("fine", FINE, ids=str)
@pytest.mark.usefixtures("reader")
def test_accepted_input_builds_and_prints_normalised(fine: Fine, tmp_path: Path) -> None:
    path, extra = fine.make(tmp_path)
    checked = run("check", path, *extra)
    assert checked.exit_code == 0, checked.output
    assert "错误  " not in checked.stderr, checked.output
    context = json.loads(run("context", "--json", path).stdout)
    assert dig(context, fine.key) == fine.shows
    out = tmp_path / "报告.docx"
    assert run("build", path, "-o", out, *extra).exit_code == 0
    assert fine.shows in document_text(out)


def document_text(docx: Path) -> str:
    """The text of the body, paragraph by paragraph (runs joined)."""
    with zipfile.ZipFile(docx) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S)
    texts = ["".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", p)) for p in paragraphs]
    return "\n".join(html.unescape(t) for t in texts)


def test_narrative_with_template_syntax_prints_literally(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(ONE, "B5"): "全年公开{{ 7*7 }}条{% for x in y %}"})
    out = tmp_path / "报告.docx"
    assert run("build", path, "-o", out).exit_code == 0
    text = document_text(out)
    assert "全年公开{{ 7*7 }}条{% for x in y %}" in text
    assert "全年公开49条" not in text


def test_control_characters_are_cleaned_from_text(tmp_path: Path) -> None:
    path, _ = control_chars(tmp_path)
    out = tmp_path / "报告.docx"
    assert run("build", path, "-o", out).exit_code == 0
    text = document_text(out)
    assert "临江市市场监督管理局" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]|_x00", text)


# ---------------------------------------------------------------------------------------------
# Files and names


@pytest.mark.parametrize("name", ["临江 市 年报 (最终版).xlsx", "-2024年报.xlsx", "年报.v2.XLSX"])
def test_odd_file_names_work(name: str, tmp_path: Path) -> None:
    path = copy_example(tmp_path, name=name)
    assert run("check", "--", path).exit_code == 0
    result = run("build", "--", path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "临江市市场监督管理局2024年政府信息公开工作年度报告.docx").is_file()


def test_leading_dash_name_without_separator_is_a_usage_error(tmp_path: Path) -> None:
    copy_example(tmp_path, name="-x.xlsx")
    result = run("check", "-x.xlsx")
    assert result.exit_code == 2


def test_default_output_is_not_written_when_there_are_errors(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {NEW_NATURAL: "/"})
    before = listing(tmp_path)
    result = run("build", path)
    assert result.exit_code == 1
    assert listing(tmp_path) == before


def test_existing_default_output_stays_identical_when_there_are_errors(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(T4, "E8"): 0})
    existing = tmp_path / "临江市市场监督管理局2024年政府信息公开工作年度报告.docx"
    existing.write_bytes(b"last week's report")
    assert run("build", path).exit_code == 1
    assert existing.read_bytes() == b"last week's report"


def test_hostile_xml_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "炸弹.xlsx"
    path.write_bytes(zip_member(sheet_member(T3), billion_laughs(
        b"<worksheet", b"<v>48</v>", b"<v>&lol9;</v>"))())
    start = time.monotonic()
    result = run("check", path)
    assert time.monotonic() - start < 5
    assert result.exit_code == 1 and "不安全的 XML" in result.stderr


def test_zip_bomb_is_small_on_disk_and_refused_quickly(tmp_path: Path) -> None:
    path, _ = raw_file("炸弹.xlsx", zip_bomb)(tmp_path)
    assert path.stat().st_size < 1024 * 1024
    start = time.monotonic()
    result = run("build", path)
    assert time.monotonic() - start < 5
    assert result.exit_code == 1 and "压缩炸弹" in result.stderr


def test_select_all_and_merge_is_refused_quickly(tmp_path: Path) -> None:
    """openpyxl makes an object for every merged cell: A1:XFD1048576 would never load."""
    path, _ = raw_file("合并.xlsx", zip_member(sheet_member(T4), merged("A1:XFD1048576")))(
        tmp_path)
    start = time.monotonic()
    result = run("build", path)
    assert time.monotonic() - start < 5
    assert result.exit_code == 1 and "「四、复议诉讼」合并了异常巨大的区域" in result.stderr
    assert listing(tmp_path) == {path.name: path.read_bytes()}


def test_previous_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    path = copy_example(tmp_path)
    previous = tmp_path / "2023.xlsx"
    previous.write_bytes(b"")
    result = run("check", path, "--previous", previous)
    assert result.exit_code == 1
    assert "上年工作簿（--previous）无法读取" in result.stderr and "空的" in result.stderr
