"""The workbook a clerk prints and checks without the tool: A4 page setup read back from the
file, then the real thing: LibreOffice Calc prints the blank and the example workbooks (every
narrative text whole on paper, every sheet within the page width, 基本信息 on one page, header
rows and page numbers on every page), and recalculates a workbook with a planted wrong number
(the table's check line names it)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from docx_report import expr
from docx_report import workbook as wb
from docx_report import workbook_print as wp
from docx_report.cli import main
from docx_report.errors import Level
from docx_report.live_checks import OK, WRONG, check_formula, check_row, conditions
from docx_report.pack import TableSection, load_pack
from docx_report.pdf import find_soffice, fontconfig_file
from tests.helpers import EXAMPLE_2019, EXAMPLE_2021, T2, T3, copy_example, set_cells
from tests.test_pdf import words

AGENCY = "某某市人力资源和社会保障局"

# ---------------------------------------------------------------------------------------------
# Page setup, read back from the file


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blank") / "空白.xlsx"
    result = CliRunner().invoke(main, ["init", str(path), "--agency", AGENCY, "--year", "2024"])
    assert result.exit_code == 0, result.output
    return path


def test_every_sheet_is_a4_fitted_to_the_width(blank: Path) -> None:
    book = openpyxl.load_workbook(blank)
    pack = load_pack("gov-disclosure-2021")
    for name in pack.sheets:
        ws = book[name]
        assert int(ws.page_setup.paperSize) == 9, name  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.page_setup.fitToWidth == 1, name
        assert ws.page_setup.fitToHeight == (1 if name == pack.facts_sheet else 0), name
        assert ws.oddHeader.left.text == AGENCY and ws.oddHeader.right.text == "&A", name
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text, name


def test_table_sheets_repeat_their_header_rows(blank: Path) -> None:
    book = openpyxl.load_workbook(blank)
    pack = load_pack("gov-disclosure-2021")
    for table in pack.tables():
        titles = book[table.sheet].print_title_rows
        if wp.block_starts(table):  # 二: each block brings its own header
            assert not titles
        else:
            last = wb.GRID_TOP + table.header_rows - 1
            assert titles == f"${wb.GRID_TOP}:${last}", table.sheet
    for section in pack.narratives():
        assert book[section.sheet].print_title_rows == f"${wb.HEADER_ROW}:${wb.HEADER_ROW}"


def test_narrative_rows_grow_with_their_text(tmp_path: Path) -> None:
    pack = load_pack("gov-disclosure-2021")
    long_text = "这是一段很长的正文，用来检查行高是否随文字增加。" * 20
    out = tmp_path / "长文.xlsx"
    wb.write_workbook(pack, out, narratives={"overview": {"intro": ["短导语。"], "subsections": [
        {"title": "（一）主动公开", "paragraphs": [long_text, "第二段。"]},
        {"title": "（二）依申请公开", "paragraphs": ["一句话。"]}]}})
    ws = openpyxl.load_workbook(out)["一、总体情况"]
    long_row, short_row = wb.INTRO_ROW + 1, wb.INTRO_ROW + 2
    lines = wp.text_lines(long_text + "\n第二段。", wp.NARRATIVE_WIDTHS[1])
    assert lines >= 2 + len(long_text) * wp.CJK_UNITS // wp.NARRATIVE_WIDTHS[1]
    assert ws.row_dimensions[long_row].height == wp.row_height(lines)
    assert ws.row_dimensions[short_row].height < ws.row_dimensions[long_row].height
    # Written without Excel's custom-height mark: Excel and WPS regrow the row when edited.
    with __import__("zipfile").ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
    row_xml = re.search(rf'<row r="{long_row}"[^>]*>', sheet)
    assert row_xml and "customHeight" not in row_xml.group(0)


def test_page_breaks_keep_runs_of_rows_together() -> None:
    heights = [20.0] * 30
    # Page of 10 rows; rows 8-12 belong together: the first page ends after row 7.
    assert wp.page_breaks(heights, page=200, titles=[], kept=[(8, 12)]) == [7]
    # Nothing kept: the program breaks by itself, no manual break is written.
    assert wp.page_breaks(heights, page=200, titles=[], kept=[]) == []
    # A run longer than a page cannot be kept whole.
    assert wp.page_breaks(heights, page=200, titles=[], kept=[(3, 25)]) == []
    # Repeated header rows take room on every page after the first.
    assert wp.page_breaks(heights, page=200, titles=[40.0], kept=[(17, 19)]) == [16]


def test_blocks_of_table_two_are_kept_whole() -> None:
    pack = load_pack("gov-disclosure-2019")
    table = next(t for t in pack.tables() if t.key == "active")
    ranges = wp.kept_ranges(table)
    starts = wp.block_starts(table)
    assert starts == [4, 8, 12, 15]
    assert (0, 3) in ranges and (15, table.height - 1) in ranges


# ---------------------------------------------------------------------------------------------
# Live checks, as written


def test_live_checks_come_from_the_pack() -> None:
    for name in ("gov-disclosure-2021", "gov-disclosure-2019"):
        pack = load_pack(name)
        found = conditions(pack, wb.locate(pack))
        live = [r for r in pack.rules if r.kind == "equation" and r.equation is not None
                and not r.equation.uses_previous and r.level is Level.ERROR]
        instances = sum(len(expr.expand([t.key for t in r.equation.terms if t.ref],
                                        list(pack.value_cells())))
                        for r in live if r.equation is not None)
        assert sum(map(len, found.values())) == len(pack.totals_by_cell()) + instances
        rules = {c.rule for conds in found.values() for c in conds}
        assert rules == {t.rule for t in pack.totals} | {r.id for r in live}


def test_check_lines_use_plain_functions_only(blank: Path) -> None:
    book = openpyxl.load_workbook(blank)
    pack = load_pack("gov-disclosure-2021")
    for table in pack.tables():
        formula = book[table.sheet].cell(check_row(table, wb.GRID_TOP), 1).value
        if table.key == "active":  # 2021 二 has only a rule against last year: no line
            assert formula is None
            continue
        assert isinstance(formula, str) and formula.startswith("=IF(")
        assert len(formula) <= 8192
        assert set(re.findall(r"([A-Z]+)\(", formula)) <= {"IF", "AND", "SUM", "ROUND", "NOT"}
        marks = book[table.sheet].conditional_formatting
        assert len(list(marks)) > 1


# ---------------------------------------------------------------------------------------------
# LibreOffice: printing and recalculating


def soffice(files: list[Path], target: str, out: Path) -> None:
    """Convert with LibreOffice headless, on a profile of its own."""
    binary = find_soffice()
    assert binary is not None, "LibreOffice (soffice) is needed"
    profile = out / "profile"
    with fontconfig_file() as fonts:
        subprocess.run(
            [str(binary), f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", target, "--outdir", str(out), *map(str, files)],
            check=True, capture_output=True, timeout=180,
            env={**os.environ, "FONTCONFIG_FILE": str(fonts)})


@pytest.fixture(scope="module")
def printed(blank: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The blank workbook and both examples, printed to PDF by LibreOffice Calc."""
    tmp = tmp_path_factory.mktemp("printed")
    sources = {"blank": blank, "2021": copy_example(tmp, EXAMPLE_2021, "e2021.xlsx"),
               "2019": copy_example(tmp, EXAMPLE_2019, "e2019.xlsx")}
    out = tmp / "pdf"
    out.mkdir()
    soffice(list(sources.values()), "pdf", out)
    return {key: out / f"{path.stem}.pdf" for key, path in sources.items()}


Word = tuple[float, float, float, float, str]


def pages(pdf: Path) -> list[tuple[int, float, list[Word]]]:
    """(page number, page width, words (x0, y0, x1, y1, text)) of each page."""
    text = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    widths = [float(w) for w in re.findall(r'<page width="([\d.]+)"', text)]
    every = words(pdf)
    return [(n, width, [w[1:] for w in every if w[0] == n])
            for n, width in enumerate(widths, start=1)]


def sheet_pages(pdf: Path) -> dict[str, list[int]]:
    """The pages of each sheet, by the sheet name the page header prints (&A)."""
    result: dict[str, list[int]] = {}
    for n, _, found in pages(pdf):
        top = min(y0 for _, y0, _, _, _ in found)
        name = max((w for w in found if w[1] <= top + 2), key=lambda w: w[0])[4]  # &A
        result.setdefault(name, []).append(n)
    return result


def column_b(found: list[Word]) -> str:
    """The words of a narrative page's column B (正文), in reading order: the column split is
    found from the centres of the header cells 小标题 and 正文 and the columns' widths."""
    centre = {t: (x0 + x1) / 2 for x0, _, x1, _, t in sorted(found, key=lambda w: -w[1])
              if t in ("小标题", "正文")}  # the topmost: 正文 may also label the intro
    a, b = (w * 7 + 5 for w in wp.NARRATIVE_WIDTHS)
    a_width = 2 * (centre["正文"] - centre["小标题"]) * a / (a + b)
    split = centre["小标题"] + a_width / 2
    header_y = min(y0 for _, y0, _, _, t in found if t == "正文")
    return "".join(t for x0, y0, x1, _, t in found if (x0 + x1) / 2 > split and y0 > header_y)


@pytest.mark.pdf
@pytest.mark.parametrize("example", ["2021", "2019"])
def test_printed_narratives_keep_every_text_whole(printed: dict[str, Path], example: str) -> None:
    source = EXAMPLE_2021 if example == "2021" else EXAMPLE_2019
    pack = load_pack("gov-disclosure-2021" if example == "2021" else "gov-disclosure-2019")
    book = openpyxl.load_workbook(source)
    by_sheet = sheet_pages(printed[example])
    page_words = {n: found for n, _, found in pages(printed[example])}
    for section in pack.narratives():
        ws = book[section.sheet]
        printed_text = "".join(column_b(page_words[n]) for n in by_sheet[section.sheet])
        for row in range(wb.INTRO_ROW, ws.max_row + 1):
            body = re.sub(r"\s+", "", str(ws.cell(row, 2).value or ""))
            assert body in printed_text, (section.sheet, row, body[:20])


@pytest.mark.pdf
@pytest.mark.parametrize("which", ["blank", "2021", "2019"])
def test_printed_sheets_fit_the_page_width(printed: dict[str, Path], which: str) -> None:
    pack = load_pack("gov-disclosure-2019" if which == "2019" else "gov-disclosure-2021")
    by_sheet = sheet_pages(printed[which])
    assert list(by_sheet) == pack.sheets  # every sheet prints, in order
    assert len(by_sheet[pack.facts_sheet]) == 1  # 基本信息 on one page
    found_on = {}
    for n, width, found in pages(printed[which]):
        assert max(x1 for _, _, x1, _, _ in found) <= width - 20, n  # inside the margins
        text = "".join(t for *_, t in found)
        assert re.search(rf"第{n}页，共\d+页", text), n  # the footer
        assert AGENCY in text or which != "blank", n  # the header
        found_on[n] = {t for *_, t in found}
    for section in pack.narratives():  # both columns on every page: the header row repeats
        for n in by_sheet[section.sheet]:
            assert {"小标题", "正文"} <= found_on[n], (section.sheet, n)
    for table in pack.tables():
        if not wp.block_starts(table) and len(by_sheet[table.sheet]) > 1:
            first_header = next(c.text for c in table.label_cells())
            for n in by_sheet[table.sheet]:
                assert first_header in "".join(found_on[n]), (table.sheet, n)


@pytest.mark.pdf
def test_printed_instructions_are_whole(printed: dict[str, Path], blank: Path) -> None:
    book = openpyxl.load_workbook(blank)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(printed["blank"]), "-"],
                                             capture_output=True, text=True).stdout)
    for ws in book.worksheets:
        if ws.sheet_state == "visible":
            assert re.sub(r"\s+", "", str(ws.cell(wb.HELP_ROW, 1).value)) in text, ws.title


@pytest.mark.pdf
def test_recalculated_check_line_names_a_planted_wrong_number(tmp_path: Path) -> None:
    pack = load_pack("gov-disclosure-2021")
    where = wb.locate(pack)
    requests = next(t for t in pack.tables() if t.key == "requests")
    ok = copy_example(tmp_path, EXAMPLE_2021, "ok.xlsx")
    wrong = copy_example(tmp_path, EXAMPLE_2021, "wrong.xlsx")
    sheet, carry = where["requests.carry_next.natural"]
    assert sheet == T3
    _, total = where["requests.public.total"]
    set_cells(wrong, {(T3, carry): 99, (T3, total): 1})  # breaks R1 and a typed-over total
    out = tmp_path / "recalculated"
    out.mkdir()
    soffice([ok, wrong], "xlsx", out)  # loading calculates every formula; saving keeps results

    def line(path: Path, table: TableSection) -> str:
        ws = openpyxl.load_workbook(path, data_only=True)[table.sheet]
        return str(ws.cell(check_row(table, wb.GRID_TOP), 1).value)

    assert line(out / "ok.xlsx", requests) == OK
    failing = line(out / "wrong.xlsx", requests)
    assert failing.startswith(WRONG)
    assert "四、结转下年度继续办理/自然人：第一项加第二项之和（51）" in failing
    assert "（一）予以公开/总计：应为 28（各项之和），实为 1" in failing
    # The tool reads the grid, not the check line: the same wrong numbers, the same problems.
    result = CliRunner().invoke(main, ["check", str(out / "wrong.xlsx")])
    assert result.exit_code == 1
    assert "勾稽关系有误" not in result.output


@pytest.mark.pdf
def test_recalculated_2019_bound_fails_in_table_two(tmp_path: Path) -> None:
    pack = load_pack("gov-disclosure-2019")
    where = wb.locate(pack)
    active = next(t for t in pack.tables() if t.key == "active")
    wrong = copy_example(tmp_path, EXAMPLE_2019, "wrong.xlsx")
    _, change = where["active.permit.change"]
    set_cells(wrong, {(T2, change): -5})
    out = tmp_path / "recalculated"
    out.mkdir()
    soffice([wrong], "xlsx", out)
    ws = openpyxl.load_workbook(out / "wrong.xlsx", data_only=True)[T2]
    text = str(ws.cell(check_row(active, wb.GRID_TOP), 1).value)
    assert text.startswith(WRONG) and "本年项目数量不能为负数" in text and "-5" in text


def test_a_check_line_too_long_for_excel_names_the_rules_instead() -> None:
    pack = load_pack("gov-disclosure-2021")
    conds = conditions(pack, wb.locate(pack))["requests"] * 2  # a table twice as big
    formula = check_formula(conds)
    assert len(formula) <= 8192
    assert "R1 不成立；" in formula and "R3 不成立；" in formula
    assert len(check_formula(conds[:5])) < 8192 and "不成立" not in check_formula(conds[:5])
    formula = check_formula(conds * 2)  # grouped by rule, still too long: says where to look
    assert len(formula) <= 8192 and "docx-report check" in formula
    assert formula.count("ROUND(") == len(conds) * 2  # every condition still checked
