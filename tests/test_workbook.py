"""The blank workbook written by ``init``: sheets, labels where the official form puts them,
input cells distinct from labels, validation, protection, live totals, the pack recorded."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from docx_report.cli import main
from docx_report.pack import load_pack
from docx_report.report import check_workbook, init_workbook
from tests.helpers import T2, T3, T4, find_label

SHEETS = ["基本信息", "一、总体情况", T2, T3, T4, "五、问题及改进", "六、其他事项"]


@pytest.fixture(scope="module", params=["gov-disclosure-2021", "gov-disclosure-2019"])
def blank(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("init") / "blank.xlsx"
    init_workbook(out, pack=request.param, agency="测试局", year=2024)
    return out


def test_init_writes_one_sheet_per_section_and_records_the_pack(blank: Path) -> None:
    book = openpyxl.load_workbook(blank)
    visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
    assert visible == SHEETS
    hidden = [ws for ws in book.worksheets if ws.sheet_state != "visible"]
    assert [ws["B1"].value for ws in hidden] in (["gov-disclosure-2021"], ["gov-disclosure-2019"])
    facts = book["基本信息"]
    assert facts["B4"].value == "测试局" and facts["B6"].value == 2024


def test_table_three_inputs_sit_under_official_labels(blank: Path) -> None:
    ws = openpyxl.load_workbook(blank)[T3]
    for row_label in ("一、本年新收政府信息公开申请数量", "1.属于国家秘密",
                      "3.补正后申请内容仍不明确", "四、结转下年度继续办理"):
        for col_label in ("自然人", "商业企业", "法律服务机构", "其他"):
            row, _ = find_label(ws, row_label)
            _, col = find_label(ws, col_label)
            cell = ws.cell(row, col)
            assert cell.value == 0, (row_label, col_label)
            assert cell.protection.locked is False
            assert cell.fill.fgColor.rgb.endswith("FFF2CC")  # inputs stand out from labels
    row, _ = find_label(ws, "（七）总计")
    _, col = find_label(ws, "总计")
    total = ws.cell(row, col)
    assert str(total.value).startswith("=SUM(") and total.protection.locked is True
    assert ws.protection.sheet is True
    assert find_label(ws, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A5:C7" in merged  # the note spans 3 rows x 3 columns, as in the official table
    assert ws.freeze_panes is not None


def test_counts_are_guarded_by_data_validation(blank: Path) -> None:
    ws = openpyxl.load_workbook(blank)[T3]
    row, _ = find_label(ws, "一、本年新收政府信息公开申请数量")
    _, col = find_label(ws, "自然人")
    ref = ws.cell(row, col).coordinate
    rules = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
    assert rules and rules[0].type == "whole" and rules[0].operator == "greaterThanOrEqual"


def test_table_four_has_fifteen_inputs_under_three_groups(blank: Path) -> None:
    ws = openpyxl.load_workbook(blank)[T4]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A5:E5", "F5:O5", "F6:J6", "K6:O6", "A6:A7"} <= merged
    values = [ws.cell(8, c).value for c in range(1, 16)]
    inputs = [v for v in values if v == 0]
    formulas = [v for v in values if isinstance(v, str) and v.startswith("=SUM(")]
    assert len(inputs) == 12 and len(formulas) == 3


def test_blank_workbook_checks_with_only_unfilled_text_problems(blank: Path) -> None:
    checked = check_workbook(blank)
    sheets = {p.sheet for p in checked.errors}
    assert sheets <= {"基本信息", "一、总体情况", "五、问题及改进"}
    assert not any(p.sheet in (T2, T3, T4) for p in checked.errors)  # zeros are valid numbers


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "a.xlsx"
    out.write_bytes(b"precious")
    result = CliRunner().invoke(main, ["init", str(out)])
    assert result.exit_code == 1
    assert "已存在" in result.output and "--force" in result.output
    assert out.read_bytes() == b"precious"
    result = CliRunner().invoke(main, ["init", str(out), "--force",
                                       "--pack", "gov-disclosure-2019"])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out)["二、主动公开"]["A6"].value == "信息内容"


def test_init_unknown_pack_is_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "a.xlsx"), "--pack", "nope"])
    assert result.exit_code == 1
    assert "nope" in result.output and "gov-disclosure-2021" in result.output
    assert not (tmp_path / "a.xlsx").exists()


def test_every_value_cell_of_the_pack_is_an_input_or_a_total(blank: Path) -> None:
    book = openpyxl.load_workbook(blank)
    pack = load_pack(book[next(s for s in book.sheetnames if s.startswith("_"))]["B1"].value)
    from docx_report.workbook import locate

    totals = pack.total_of()
    for key, (sheet, ref) in locate(pack).items():
        value = book[sheet][ref].value
        if key in totals:
            assert str(value).startswith("=SUM("), key
        else:
            assert value == 0, key


def test_the_help_line_speaks_of_computed_cells_only_where_a_table_has_them(
        blank: Path) -> None:
    """Table 二 has no totals: its help line does not point to blue cells that are not there;
    the help line does not name the official word 总计 (a pack's totals may be 合计, 小计)."""
    book = openpyxl.load_workbook(blank)
    pack = load_pack(book["_docx_report"]["B1"].value)
    totals = pack.total_of()
    for table in pack.tables():
        help_line = str(book[table.sheet]["A2"].value)
        has_totals = any(cell.key in totals for cell in table.value_cells())
        assert ("蓝色" in help_line) == has_totals, (table.sheet, help_line)
        assert "“总计”" not in help_line
    assert "蓝色" not in str(book[T2]["A2"].value)


# ---------------------------------------------------------------------------------------------
# openpyxl stays in workbook.py

SRC = Path(__file__).resolve().parent.parent / "src" / "docx_report"
OPENPYXL_ALLOWED = {"workbook.py", "workbook_styles.py"}  # (the latter: its style parts)


def _modules() -> list[tuple[str, ast.Module]]:
    found = [(str(p.relative_to(SRC)), ast.parse(p.read_text(encoding="utf-8"), str(p)))
             for p in sorted(SRC.rglob("*.py"))]
    assert len(found) > 40  # the walk found the package
    return found


def _imports_openpyxl(node: ast.AST) -> bool:
    def named(module: str | None) -> bool:
        return module is not None and (module == "openpyxl" or module.startswith("openpyxl."))

    if isinstance(node, ast.Import):
        return any(named(alias.name) for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and named(node.module)
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in ("import_module", "__import__") and named(str(node.args[0].value))
    return False


def test_openpyxl_is_imported_by_workbook_py_only() -> None:
    """Top-level, lazy (inside a function) and importlib imports alike."""
    importers = {f"{name}:{node.lineno}" for name, tree in _modules() for node in ast.walk(tree)
                 if _imports_openpyxl(node) and name not in OPENPYXL_ALLOWED}
    assert not importers
    assert any(_imports_openpyxl(n) for n in ast.walk(ast.parse(
        (SRC / "workbook.py").read_text(encoding="utf-8"))))  # the check sees real imports


def test_no_module_reads_openpyxl_private_attributes() -> None:
    """``_cells`` nowhere; and workbook.py, where openpyxl's objects are, reads no private
    attribute of anything but itself (``self._book`` is its own)."""
    uses = {f"{name}:{node.lineno}" for name, tree in _modules() for node in ast.walk(tree)
            if (isinstance(node, ast.Attribute) and node.attr == "_cells")
            or (isinstance(node, ast.Constant) and node.value == "_cells")}
    assert not uses
    tree = ast.parse((SRC / "workbook.py").read_text(encoding="utf-8"))
    private = {f"{ast.unparse(node)}:{node.lineno}" for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr.startswith("_")
               and not node.attr.startswith("__")
               and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))}
    assert not private


def _date_fstring(node: ast.AST) -> bool:
    """An f-string that writes a date as 2024年3月1日 from .year, .month and .day."""
    if not isinstance(node, ast.JoinedStr):
        return False
    parts = {v.value.attr for v in node.values if isinstance(v, ast.FormattedValue)
             and isinstance(v.value, ast.Attribute)}
    text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return {"year", "month", "day"} <= parts and all(ch in text for ch in "年月日")


def test_file_kind_error_value_and_date_helpers_are_written_once() -> None:
    """Old .xls/.doc detection, the Excel error values and the 年月日 date: one place each."""
    found: dict[str, set[str]] = {"ole": set(), "errors": set(), "date": set()}
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, bytes) \
                    and node.value.startswith(b"\xd0\xcf\x11\xe0"):
                found["ole"].add(name)
            if isinstance(node, ast.Constant) and node.value in ("#DIV/0!", "#REF!", "#N/A"):
                found["errors"].add(f"{name}:{node.lineno}:{node.col_offset}")
            if _date_fstring(node):
                found["date"].add(f"{name}:{node.lineno}")
    assert found["ole"] == {"files.py"}
    assert len(found["errors"]) == 3 and {p.split(":")[0] for p in found["errors"]} == {
        "values.py"}  # the one set of them
    assert len(found["date"]) == 1 and next(iter(found["date"])).startswith("values.py:")


SUMMARY_VALUES = [
    [1, "临江市财政局", " 前后空格 ", "x\r\ny\tz", "a&b<c>d\"e'f", "=SUM(A1:A2)", "#REF!", "",
     "   ", "😀𠀀", 2024, True, False, None, 0.1, 1 / 3, 1e20, -7, 12345678901234567890,
     Decimal("24252.311082"), Decimal("1.10"), float("nan"), float("inf")],
    [None, None, "只有第三列"],
    [],
    ["控制字符\x01\x1f去掉", "docx-report:rows:0:end"],
]


def _openpyxl_cells(path: Path, sheet: str) -> list[list[tuple[str, str | None, str]]]:
    """Each row's cells as written: (reference, type, canonical XML of the value)."""
    import xml.etree.ElementTree as ET
    import zipfile

    book = openpyxl.load_workbook(path, read_only=True)
    index = book.sheetnames.index(sheet) + 1
    book.close()
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read(f"xl/worksheets/sheet{index}.xml"))
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    return [[(c.get("r", ""), c.get("t"), "".join(ET.canonicalize(ET.tostring(child))
                                                      for child in c))
             for c in row.iter(f"{ns}c")] for row in root.iter(f"{ns}row")]


def _parts(path: Path) -> dict[str, bytes]:
    """A package's parts but its timestamps (docProps/core.xml)."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist() if name != "docProps/core.xml"}


def test_style_parts_made_once_write_what_openpyxl_s_own_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``workbook`` makes each font, fill, alignment, protection and border once, its hash
    worked out once: the workbooks written so, the first and again, are byte for byte those
    written with parts made by openpyxl's own classes for every cell."""
    import openpyxl.styles as styles

    from docx_report import workbook

    pack = load_pack("gov-disclosure-2021")
    values = dict.fromkeys(pack.value_cells(), 7)
    for name in ("first", "again", "theirs"):
        (tmp_path / name).mkdir()
    for name in ("first", "again"):
        workbook.write_workbook(pack, tmp_path / name / "w.xlsx", facts={"agency": "某局"},
                                values=values)
    for cache in ("_FILLS", "_ALIGNMENTS", "_FONTS"):
        monkeypatch.setattr(workbook, cache, {})
    for ours, theirs in (("Fill_", styles.PatternFill), ("Alignment_", styles.Alignment),
                         ("Font_", styles.Font)):
        monkeypatch.setattr(workbook, ours, theirs)
    monkeypatch.setattr(workbook, "_PROTECTIONS", {False: styles.Protection(locked=False),
                                                   True: styles.Protection(locked=True)})
    thin = styles.Side(style="thin", color="808080")
    monkeypatch.setattr(workbook, "_BORDER", styles.Border(left=thin, right=thin, top=thin,
                                                           bottom=thin))
    workbook.write_workbook(pack, tmp_path / "theirs" / "w.xlsx", facts={"agency": "某局"},
                            values=values)
    theirs = _parts(tmp_path / "theirs" / "w.xlsx")
    assert theirs["xl/styles.xml"].count(b"<font>") > 3  # the plan's fonts are there
    assert _parts(tmp_path / "first" / "w.xlsx") == theirs
    assert _parts(tmp_path / "again" / "w.xlsx") == theirs


def test_summary_rows_are_the_cells_openpyxl_writes(tmp_path: Path) -> None:
    """The streamed rows of summary.xlsx (``xlsx_rows``) against openpyxl writing the same
    values cell by cell (text always data): the same cells, element for element, and read back
    the same; the header, widths, frozen panes and autofilter are openpyxl's own."""
    from openpyxl.cell import WriteOnlyCell

    from docx_report.workbook import write_tables
    from docx_report.xlsx_rows import cell_text

    ours = tmp_path / "ours.xlsx"
    write_tables(ours, [("各机关情况", ["序号", "名称", "备注"], SUMMARY_VALUES, [6, 30]),
                        ("空表", ["甲"], [], [10])])
    theirs = tmp_path / "theirs.xlsx"
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("各机关情况")
    ws.append(["序号", "名称", "备注"])
    for values in SUMMARY_VALUES:
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, cell_text(value) if isinstance(value, str) else value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        ws.append(cells)
    book.create_sheet("空表").append(["甲"])
    book.save(theirs)
    assert _openpyxl_cells(ours, "各机关情况")[1:] == _openpyxl_cells(theirs, "各机关情况")[1:]
    assert len(_openpyxl_cells(ours, "各机关情况")) == len(SUMMARY_VALUES) + 1
    assert _openpyxl_cells(ours, "空表") == _openpyxl_cells(theirs, "空表")  # no rows, no marker
    read = openpyxl.load_workbook(ours)
    sheet = read["各机关情况"]
    assert [c.value for c in sheet[1]][:4] == ["序号", "名称", "备注", None] and sheet["A1"].font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C5"
    assert sheet.column_dimensions["B"].width == 30
    assert [c.value for c in sheet[2]][:8] == [1, "临江市财政局", " 前后空格 ", "x\r\ny\tz",
                                              "a&b<c>d\"e'f", "=SUM(A1:A2)", "#REF!", None]
    assert sheet["F2"].data_type == "s" and sheet["A5"].value == "控制字符去掉"


def test_repeated_values_are_written_as_each_alone(tmp_path: Path) -> None:
    """``xlsx_rows`` makes a repeated text's or whole number's cell once: rows made as they are
    written (``Rows``), with values repeating past what it keeps, True beside 1 (equal as dict
    keys), texts a ``show`` changes and paths it turns into repeated texts, are the cells
    openpyxl writes for each value shown alone."""
    from openpyxl.cell import WriteOnlyCell

    from docx_report import xlsx_rows
    from docx_report.workbook import write_tables

    def show(value: object) -> object:
        if isinstance(value, Path):
            return f"<{value.name}>"
        if value == "nothing":
            return None
        return value.upper() if isinstance(value, str) else value

    raw = [[i % 2 == 0, i % 2, i, f"t{i % 7}", f"&{i}", "nothing", Path(f"/o/{i % 3}.docx"),
            Decimal("1.10") if i % 3 else 1.0, None, "a b " if i % 4 else ""]
           for i in range(xlsx_rows._KEPT + 300)]
    ours = tmp_path / "ours.xlsx"
    write_tables(ours, [("表", ["甲"], xlsx_rows.Rows(len(raw), lambda: iter(raw), show), [9])])
    theirs = tmp_path / "theirs.xlsx"
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("表")
    ws.append(["甲"])
    for values in raw:
        cells = []
        for value in map(show, values):
            cell = WriteOnlyCell(ws, value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        ws.append(cells)
    book.save(theirs)
    assert _openpyxl_cells(ours, "表")[1:] == _openpyxl_cells(theirs, "表")[1:]
    assert openpyxl.load_workbook(ours)["表"]["A3"].value is False


def test_a_file_name_that_is_not_utf8_is_shown_not_a_crash(tmp_path: Path) -> None:
    """A file name Linux holds as bytes that are not UTF-8 (a GBK zip unpacked as is) reaches
    Python as lone surrogates: the summary shows U+FFFD for them (it crashed the batch)."""
    from docx_report.workbook import write_tables

    out = tmp_path / "s.xlsx"
    write_tables(out, [("表", ["文件"], [["收到/a\udcff\udcfe.xlsx"]], [40])])
    assert openpyxl.load_workbook(out)["表"]["A2"].value == "收到/a\ufffd\ufffd.xlsx"
