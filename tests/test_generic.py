"""Generic workbooks: the sheet conventions, the blank workbook from a template, the example."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from time import monotonic
from typing import Any

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree

from docx_report.cli import main
from docx_report.errors import InputError, OutputError, ProblemsFound
from docx_report.generic import init_from_template, read_generic, variable_name
from docx_report.render import CompiledTemplate
from tests.helpers import EXAMPLES
from tests.test_render import make_template

EXAMPLE = EXAMPLES / "generic"
EXAMPLE_TEMPLATE = EXAMPLE / "采购清单模板.docx"
EXAMPLE_WORKBOOK = EXAMPLE / "采购清单.xlsx"
EXAMPLE_REPORT = EXAMPLE / "采购清单.docx"

Cell = Any  # a value, or (value, number_format)


def workbook(path: Path, sheets: dict[str, list[list[Cell]]], *,
             hidden: tuple[str, ...] = ()) -> Path:
    """A workbook with these sheets and rows; a cell may be (value, number_format)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, 1):
            for c, cell in enumerate(row, 1):
                value, fmt = cell if isinstance(cell, tuple) else (cell, None)
                target = sheet.cell(row=r, column=c, value=value)
                if fmt:
                    target.number_format = fmt
        if title in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ProblemsFound) as caught:
        read_generic(path)
    assert str(path) in str(caught.value)
    return [p.format() for p in caught.value.problems]


@pytest.mark.parametrize(
    ("text", "name"),
    [("数量", "数量"), ("单价（元）", "单价_元"), ("Item Name", "Item_Name"),
     ("2024年", "f_2024年"), ("if", "if_"), ("loop", "loop_"), (" _x_ ", "x"),
     ("增长率%", "增长率"), ("Ａ１", "A1"), ("a-b/c", "a_b_c"), ("——", ""),
     ("机关名称", "机关名称")],
)
def test_variable_name_rule(text: str, name: str) -> None:
    assert variable_name(text) == name


def test_fields_lists_and_values(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx", {
        "基本信息": [
            ["字段", "值"],
            ["项目名称", "  办公用品采购  "],
            ["日期", date(2025, 4, 8)],
            ["时间", datetime(2025, 4, 8, 14, 30)],
            ["整数", 120],
            ["整数的浮点", 120.0],
            ["小数", 0.1 + 0.2],
            ["金额", (1234.5, "#,##0.00")],
            ["比例", (0.256, "0.0%")],
            ["整百分比", (0.25, "0%")],
            ["是否", True],
            ["空", None],
            ["联系人.姓名", "陈晓雯"],
            ["联系人.电话", "0571-8650 2231"],
            ["多行", "第一行\n第二行"],
            [None, None],
        ],
        "物资": [["名称", "单价（元）", "采购数量"], ["纸", (23.5, "0.00"), 3], [None, None, None],
                 ["笔", 2.8, None]],
        "要点": [["值"], ["一"], ["二"]],
        "空表": [],
    })
    assert read_generic(path) == {
        "项目名称": "办公用品采购", "日期": "2025年4月8日", "时间": "2025年4月8日 14:30",
        "整数": "120", "整数的浮点": "120", "小数": "0.3", "金额": "1,234.50", "比例": "25.6%",
        "整百分比": "25%", "是否": "是", "空": "",
        "联系人": {"姓名": "陈晓雯", "电话": "0571-8650 2231"},
        "多行": "第一行\n第二行",
        "物资": [{"名称": "纸", "单价_元": "23.50", "采购数量": "3"},
                 {"名称": "笔", "单价_元": "2.8", "采购数量": ""}],
        "要点": ["一", "二"],
    }


def test_hidden_sheets_are_ignored(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx", {"字段": [["字段", "值"], ["a", 1]],
                                          "辅助": [["x"], [1]]}, hidden=("辅助",))
    assert read_generic(path) == {"a": "1"}


def test_time_values(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx", {"字段": [["字段", "值"], ["t", time(9, 5)]]})
    assert read_generic(path) == {"t": "9:05"}


def test_every_mistake_at_once_with_sheet_and_cell(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx", {
        "字段": [["字段", "值"], ["名称", "a"], ["名称", "b"], [None, "没有名字"],
                 ["联系人", "x"], ["联系人.姓名", "y"], ["错", "#DIV/0!"], ["——", "z"]],
        "名称": [["a"], [1]],
        "清单": [["单价（元）", "单价(元)", None], [1, 2, 3]],
        "无表头": [[None, None], [None, "x"]],
    })
    assert problems_of(path) == [
        "错误  字段!A3  字段 名称 与 「字段」!A2 重复",
        "错误  字段!A4  有值但没有字段名",
        "错误  字段!A6  字段 联系人.姓名 与 「字段」!A5 重复",
        "错误  字段!B7  单元格是 Excel 错误值 #DIV/0!，请先修正公式",
        "错误  字段!A8  字段名「——」中没有可用作变量名的文字",
        "错误  名称  工作表名对应的变量 名称 与 「字段」!A2 重复",
        "错误  清单!B1  表头「单价(元)」与 A1 都对应变量 单价_元",
        "错误  清单!C2  这一列有数据但没有表头",
        "错误  无表头!A1  第 1 行应为表头（字段 | 值，或列表的各列标题）",
    ]


def test_a_value_far_out_costs_only_its_cells(tmp_path: Path) -> None:
    """One value typed at row 1 000 000 (or column XFD) is read without walking the empty
    rectangle up to it (which took 16 s and 1.5 GB, and billions of cells for XFD)."""
    path = workbook(tmp_path / "w.xlsx", {"字段": [["字段", "值"], ["a", 1]],
                                          "清单": [["名称"], ["纸"]]})
    book = openpyxl.load_workbook(path)
    book["清单"]["A1000000"] = "笔"
    book["字段"]["A900000"] = "b"
    book.save(path)
    start = monotonic()
    assert read_generic(path) == {"a": "1", "b": "", "清单": [{"名称": "纸"}, {"名称": "笔"}]}
    assert monotonic() - start < 5
    book["清单"]["XFD1048576"] = "x"
    book.save(path)
    start = monotonic()
    assert problems_of(path) == ["错误  清单!XFD1048576  这一列有数据但没有表头"]
    assert monotonic() - start < 5


def test_excel_escapes_in_text_are_undone(tmp_path: Path) -> None:
    """Excel stores a pasted CR as _x000D_ (and a literal "_x" as _x005F_x): the report shows
    the text, not the escapes, as for pack workbooks."""
    path = workbook(tmp_path / "w.xlsx", {"字段": [["字段", "值"], ["a", "第一行_x000D_\n第二行"],
                                                   ["b", "_x005F_x0041_"], ["c", "响铃_x0007_"]]})
    assert read_generic(path) == {"a": "第一行\n第二行", "b": "_x0041_", "c": "响铃"}


def test_a_whole_number_too_large_for_a_float(tmp_path: Path) -> None:
    """A damaged file's <v> with 400 digits is an int openpyxl keeps: no float overflow."""
    path = workbook(tmp_path / "w.xlsx", {"字段": [["字段", "值"], ["a", 7], ["b", (8, "#,##0")]]})
    data = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(data, "w") as zout:
        for name in zin.namelist():
            member = zin.read(name)
            if name == "xl/worksheets/sheet1.xml":
                member = member.replace(b"<v>7</v>", b"<v>" + b"9" * 400 + b"</v>")
                member = member.replace(b"<v>8</v>", b"<v>1" + b"0" * 30 + b"</v>")
            zout.writestr(name, member)
    path.write_bytes(data.getvalue())
    assert read_generic(path) == {"a": "9" * 400, "b": "1" + ",000" * 10}


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"not a workbook", "不是 Excel 工作簿"),
     (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, r"旧版 Excel 97-2003 文件（\.xls）")],
)
def test_files_that_are_not_workbooks(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match=expected) as caught:
        read_generic(path)
    assert str(path) in str(caught.value)


def test_missing_workbook(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="找不到工作簿文件"):
        read_generic(tmp_path / "none.xlsx")


# --- a blank workbook from a template ------------------------------------------------------


def sheets_of(path: Path) -> dict[str, list[list[Any]]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def test_init_from_template(tmp_path: Path) -> None:
    template = make_template(
        tmp_path / "t.docx",
        ["{{ 标题 }}", "{{ 联系人.姓名 }}{{ 联系人.电话 }}", "共 {{ items|length }} 项",
         "{% for x in 要点 %}{{ x }}{% endfor %}", "{% for i in range(3) %}{{ i }}{% endfor %}"],
        table=[["{%tr for r in items %}", ""], ["{{ r.name }}", "{{ r.qty }}"],
               ["{%tr endfor %}", ""]],
        header="{{ 单位 }}", footer="{{ 标题 }}")
    out = tmp_path / "blank.xlsx"
    init_from_template(template, out)
    assert sheets_of(out) == {
        "字段": [["字段", "值"], ["标题", None], ["联系人.姓名", None], ["联系人.电话", None],
                 ["单位", None]],
        "要点": [["值"]],
        "items": [["name", "qty"]],
    }
    assert read_generic(out) == {"标题": "", "联系人": {"姓名": "", "电话": ""}, "单位": "",
                                 "要点": [], "items": []}


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.docx", ["{{ a }}"])
    out = tmp_path / "blank.xlsx"
    out.write_bytes(b"keep")
    with pytest.raises(OutputError, match="已存在"):
        init_from_template(template, out)
    assert out.read_bytes() == b"keep"
    init_from_template(template, out, force=True)
    assert sheets_of(out) == {"字段": [["字段", "值"], ["a", None]]}


def test_init_wants_an_xlsx_name(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"\.xlsx"):
        init_from_template(make_template(tmp_path / "t.docx", ["{{ a }}"]), tmp_path / "x.xls")


def test_init_from_a_broken_template(tmp_path: Path) -> None:
    from docx_report.errors import TemplateError

    with pytest.raises(TemplateError, match="模板语法错误"):
        init_from_template(make_template(tmp_path / "t.docx", ["{{ a b }}"]), tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_init_fill_render_round_trip(tmp_path: Path) -> None:
    """init from the example template, fill the sheets, render: the values land in place."""
    blank = tmp_path / "blank.xlsx"
    init_from_template(EXAMPLE_TEMPLATE, blank)
    book = openpyxl.load_workbook(blank)
    fields = book["字段"]
    for row in fields.iter_rows(min_row=2):
        row[1].value = f"值-{row[0].value}"
    items = book["物资"]
    items.append([f"{h}-1" for h in next(items.iter_rows(values_only=True))])
    book.save(blank)
    out = CompiledTemplate.load(EXAMPLE_TEMPLATE).render(read_generic(blank))
    document = docx.Document(io.BytesIO(out))
    assert document.paragraphs[0].text == "值-单位名称"
    assert [c.text for c in document.tables[0].rows[2].cells] == [
        "1", "名称-1", "规格-1", "单位-1", "采购数量-1", "单价_元-1", "金额_元-1"]


# --- the example ---------------------------------------------------------------------------


def test_the_example_round_trips() -> None:
    """Every workbook value is in the right place of the committed report."""
    data = read_generic(EXAMPLE_WORKBOOK)
    document = docx.Document(EXAMPLE_REPORT)
    table = document.tables[0]
    items = data["物资"]
    assert len(table.rows) == 2 + len(items) + 1  # two header rows, the items, the total
    for i, item in enumerate(items):
        cells = [c.text for c in table.rows[2 + i].cells]
        assert cells == [str(i + 1), item["名称"], item["规格"], item["单位"], item["采购数量"],
                         item["单价_元"], item["金额_元"]]
    assert table.rows[-1].cells[-1].text == data["合计金额"] == "5,535.00"
    assert table.rows[-1].cells[0].text == f"合计（共 {len(items)} 项）"
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == data["单位名称"]
    assert f"{data['项目名称']}物资采购清单" in texts
    assert f"备注：{data['备注']}" in texts
    assert f"经办人：{data['经办人']['姓名']}（{data['经办人']['电话']}）" in texts
    assert document.sections[0].header.paragraphs[0].text.startswith(data["单位名称"])
    assert data["编号"] in document.sections[0].footer.paragraphs[0].text
    assert document.core_properties.title == "采购清单"


def test_the_committed_example_report_is_up_to_date() -> None:
    fresh = CompiledTemplate.load(EXAMPLE_TEMPLATE).render(read_generic(EXAMPLE_WORKBOOK))

    def body(source: bytes | Path) -> bytes:
        data = source if isinstance(source, bytes) else source.read_bytes()
        xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
        return bytes(etree.tostring(etree.fromstring(xml), method="c14n"))

    assert body(fresh) == body(EXAMPLE_REPORT), "run python examples/generic/make_example.py"


def test_build_a_generic_workbook_with_a_template(tmp_path: Path) -> None:
    out = tmp_path / "清单.docx"
    result = CliRunner().invoke(main, ["build", str(EXAMPLE_WORKBOOK), "--template",
                                       str(EXAMPLE_TEMPLATE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert docx.Document(out).paragraphs[0].text == "临江市机关事务服务中心"


def test_init_with_a_template_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "空白.xlsx"
    result = CliRunner().invoke(main, ["init", str(out), "--template", str(EXAMPLE_TEMPLATE)])
    assert result.exit_code == 0, result.output
    assert set(sheets_of(out)) == {"字段", "物资"}


def test_a_generic_workbook_gets_the_same_safety_checks(tmp_path: Path) -> None:
    """Untrusted like any workbook: a zip bomb is refused before openpyxl reads it."""
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (120 * 1024 * 1024))
    with pytest.raises(InputError, match="压缩炸弹"):
        read_generic(bomb)


def _merge_in_file(path: Path, sheet_index: int, ref: str) -> None:
    """Merge ``ref`` in the file itself, keeping the values of the cells it covers (as a
    program other than openpyxl may leave them)."""
    member = f"xl/worksheets/sheet{sheet_index}.xml"
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts[member] = parts[member].replace(
        b"</sheetData>", f'</sheetData><mergeCells count="1"><mergeCell ref="{ref}"/>'
                         "</mergeCells>".encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("far", [False, True])
def test_a_value_covered_by_a_merge_is_not_read(far: bool, tmp_path: Path) -> None:
    """A merge shows only its first cell: a value left under it is not data, whether the
    sheet is small or reaches far (read the other way)."""
    rows: list[list[Cell]] = [["名称"], ["纸", "藏在合并区域下"], ["笔"]]
    path = workbook(tmp_path / "w.xlsx", {"清单": rows})
    if far:
        book = openpyxl.load_workbook(path)
        book["清单"]["A900000"] = "墨"
        book.save(path)
    _merge_in_file(path, 1, "A2:B2")
    assert read_generic(path) == {"清单": [{"名称": v} for v in
                                           ["纸", "笔", *(["墨"] if far else [])]]}


def test_cells_scattered_far_out_are_refused_by_the_work_they_take(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows that each reach column XFD cost 16,384 slots apiece when streamed: beyond the
    budget, a located Chinese message (the budget made small here to keep the test quick)."""
    from docx_report import workbook as wb

    path = workbook(tmp_path / "w.xlsx", {"字段": [["字段", "值"], ["a", 1]],
                                          "清单": [["名称"], ["纸"]]})
    book = openpyxl.load_workbook(path)
    for row in range(2, 80):
        book["清单"].cell(row, 16_384, "x")
    book.save(path)
    monkeypatch.setattr(wb._Sparse, "STREAM_WORK", 1_000_000)
    with pytest.raises(InputError) as caught:
        read_generic(path)
    message = str(caught.value)
    assert str(path) in message, message
    found = re.search(r"工作表「清单」第 (\d+) 行一带", message)
    assert found and 1_000_000 // 16_384 <= int(found.group(1)) < 80, message
    monkeypatch.setattr(wb._Sparse, "STREAM_WORK", 2_000_000)
    assert problems_of(path)[0] == "错误  清单!XFD2  这一列有数据但没有表头"


def test_a_hidden_sheet_is_not_read_at_all(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Hidden sheets are ignored: not even their cells are looked at (so a hidden sheet that
    reaches far costs nothing and refuses nothing)."""
    from docx_report import workbook as wb

    path = workbook(tmp_path / "w.xlsx", {"清单": [["名称"], ["纸"]], "草稿": [["x"]]},
                    hidden=("草稿",))
    book = openpyxl.load_workbook(path)
    for row in range(2, 80):
        book["草稿"].cell(row, 16_384, "x")
    book.save(path)
    monkeypatch.setattr(wb._Sparse, "STREAM_WORK", 1_000_000)
    assert read_generic(path) == {"清单": [{"名称": "纸"}]}
    book["草稿"].sheet_state = "visible"
    book.save(path)
    with pytest.raises(InputError, match="工作表「草稿」"):
        read_generic(path)
