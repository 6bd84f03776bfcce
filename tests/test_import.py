"""Published reports the tool did not make: the example reports converted by LibreOffice to
HTML and PDF, Word reports laid out an agency's own way, Word-pasted web pages, a scan, a
report without tables. Every number is compared with the example workbook it came from."""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from docx_report import workbook as wb
from docx_report.checks import compute
from docx_report.cli import main
from docx_report.context import number_title
from docx_report.errors import ConversionError, InputError
from docx_report.importers import read_document, read_published
from docx_report.pack import load_pack
from docx_report.reader import read_report
from tests.helpers import EXAMPLE_2019, EXAMPLE_2021, EXAMPLE_2021_PREVIOUS, EXAMPLES
from tests.published import example_values, write_report

REPORTS = {EXAMPLE_2021: EXAMPLES / "临江市市场监督管理局2024年政府信息公开工作年度报告.docx",
           EXAMPLE_2019: EXAMPLES / "前进区人力资源和社会保障局2022年政府信息公开工作年度报告.docx"}
PARTIAL = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def soffice_html(docx: Path, outdir: Path) -> Path:
    """LibreOffice's own "save as web page" of a report."""
    from docx_report.pdf import find_soffice

    soffice = find_soffice()
    assert soffice is not None
    subprocess.run([str(soffice), f"-env:UserInstallation={(outdir / 'profile').as_uri()}",
                    "--headless", "--convert-to", "html", "--outdir", str(outdir), str(docx)],
                   check=True, capture_output=True, timeout=180)
    return outdir / f"{docx.stem}.html"


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[Path, str], Path]:
    """Each example report as .docx, as LibreOffice HTML and as a LibreOffice PDF."""
    from docx_report.pdf import convert

    out = tmp_path_factory.mktemp("converted")
    result: dict[tuple[Path, str], Path] = {}
    for workbook, report in REPORTS.items():
        docx = Path(shutil.copy(report, out / report.name))
        result[(workbook, "docx")] = docx
        result[(workbook, "html")] = soffice_html(docx, out)
        [pdf] = convert([docx], pdfa=False)
        assert pdf.pdf is not None, pdf.error
        result[(workbook, "pdf")] = pdf.pdf
    return result


def _paragraphs(story: Any) -> list[str]:
    return [*story.intro, *(p for _, body in story.subsections for p in body)]


@pytest.mark.pdf
@pytest.mark.parametrize("kind", ["docx", "html", "pdf"])
@pytest.mark.parametrize("example", [EXAMPLE_2021, EXAMPLE_2019], ids=["2021", "2019"])
def test_every_number_of_the_example_reports_round_trips(
        converted: dict[tuple[Path, str], Path], example: Path, kind: str) -> None:
    source = converted[(example, kind)]
    expected, values = example_values(example)
    data = read_published(source)
    assert data.pack.name == expected.pack.name  # 2019 or 2021 format, recognised by labels
    assert data.problems == []
    assert set(data.values) == set(values)
    wrong = {k: (data.values[k], v) for k, v in values.items() if data.values[k] != v}
    assert wrong == {}
    assert all(type(data.values[k]) is type(v) for k, v in values.items())  # 12.5 stays Decimal
    assert {k: data.facts[k] for k in ("agency", "year", "date")} == \
        {k: expected.facts[k] for k in ("agency", "year", "date")}
    for key, story in expected.narratives.items():
        got = data.narratives[key]
        assert [number_title(t, i) for i, (t, _) in enumerate(got.subsections, 1)] == \
            [number_title(t, i) for i, (t, _) in enumerate(story.subsections, 1)]
        if kind == "pdf":  # lines joined back into paragraphs: the words, not every comma
            ratio = difflib.SequenceMatcher(None, "".join(_paragraphs(got)),
                                            "".join(_paragraphs(story))).ratio()
            assert ratio > 0.99, key
        else:
            assert _paragraphs(got) == _paragraphs(story)


@pytest.mark.pdf
def test_a_pdf_table_split_across_pages_is_stitched(
        converted: dict[tuple[Path, str], Path]) -> None:
    doc = read_document(converted[(EXAMPLE_2021, "pdf")])
    tables = doc.tables()
    assert len(tables) == 3  # 二 runs from one page onto the next: one table again
    first = tables[0]
    assert len({p for p in first.row_pages if p}) == 2
    data = read_published(doc.path)
    assert data.values["active.fees.amount"] is not None  # on the second page of table 二


@pytest.mark.pdf
def test_import_writes_a_workbook_that_check_and_build_accept(
        converted: dict[tuple[Path, str], Path], tmp_path: Path) -> None:
    out = tmp_path / "导入.xlsx"
    result = run("import", converted[(EXAMPLE_2021, "html")], "-o", out)
    assert result.exit_code == 0, result.output
    assert "政府信息公开工作年度报告（2021年格式）" in result.output
    _, values = example_values(EXAMPLE_2021)
    back = read_report(out)
    assert back.problems == []
    assert compute(back.pack, back.values) == values
    assert back.narratives["overview"].subsections[0][0] == "（一）主动公开"
    assert run("check", out).exit_code == 0
    built = run("build", out, "-o", tmp_path / "重建.docx")
    assert built.exit_code == 0, built.output
    again = read_published(tmp_path / "重建.docx")
    assert again.values == read_published(converted[(EXAMPLE_2021, "docx")]).values
    # an existing workbook is not overwritten without --force
    refused = run("import", converted[(EXAMPLE_2021, "html")], "-o", out)
    assert refused.exit_code == 1 and "已存在" in refused.stderr


@pytest.mark.pdf
def test_a_published_pdf_imported_and_built_again_reads_the_same(
        converted: dict[tuple[Path, str], Path], tmp_path: Path) -> None:
    """PDF → import → build --pdf: the same words and numbers, page for page."""
    from tests.test_pdf import pdftotext

    source = converted[(EXAMPLE_2019, "pdf")]
    out = tmp_path / "导入.xlsx"
    assert run("import", source, "-o", out).exit_code == 0
    built = run("build", out, "--plain-pdf", "-o", tmp_path / "重建.docx")
    assert built.exit_code == 0, built.output
    again, original = (pdftotext(p).split("\f") for p in (tmp_path / "重建.pdf", source))
    assert ["".join(page.split()) for page in again] == \
        ["".join(page.split()) for page in original]


def test_a_word_report_laid_out_its_own_way(tmp_path: Path) -> None:
    """Other widths and fonts, 1、 headings, (一) titles, an extra empty row in two tables,
    label typos, numbers with spaces, thousands groups and full-width digits."""
    for example in (EXAMPLE_2021, EXAMPLE_2019):
        data, values = example_values(example)
        values = {**values, "requests.new.natural": 1268, "requests.new.total": 1268 - 48 + 63}
        path = write_report(
            tmp_path / f"自制{example.stem}.docx", data.pack, data.facts, values,
            labels={PARTIAL: PARTIAL.replace("只计", "只记"),
                    "3.危及“三安全一稳定”": "3、危及三安全一稳定",
                    "信息内容": "信 息 内 容",
                    "四、结转下年度继续办理": "四、结转下年度继续办理的"},
            empty_row_after={"requests": 4, "review": 2},
            show=lambda k, v: "１，２６８" if k == "requests.new.natural" else
            f"  {v:,}  ".replace(",", " ") if isinstance(v, int) else f" {v}")
        got = read_published(path)
        assert got.pack.name == data.pack.name
        assert got.problems == []
        assert {k: got.values[k] for k in values} == values
        assert got.facts["agency"] == data.facts["agency"]
        assert got.facts["date"] == data.facts["date"]
        titles = [t for t, _ in got.narratives["overview"].subsections]
        assert titles == ["(一)主动公开", "(二)依申请公开", "(三)政府信息管理",
                          "(四)政府信息公开平台建设", "(五)监督保障"]
        assert got.narratives["overview"].intro[0].startswith("根据《中华人民共和国")


def test_tables_under_headings_of_their_own_are_found_by_their_labels(tmp_path: Path) -> None:
    data, values = example_values(EXAMPLE_2021)
    path = write_report(tmp_path / "附表.docx", data.pack, data.facts, values,
                        headings={"active": "附表1 主动公开", "requests": "附表2 依申请",
                                  "review": "附表3 复议诉讼"})
    got = read_published(path)
    assert got.problems == []
    assert {k: got.values[k] for k in values} == values
    last_title, last_body = got.narratives["overview"].subsections[-1]
    assert last_title == "(五)监督保障" and last_body == ["监督保障方面的工作情况。"]


def test_a_table_split_into_several_is_read_as_one(tmp_path: Path) -> None:
    """Table 二 as four tables, one per 第二十条 item, as many agencies publish it."""
    for example in (EXAMPLE_2021, EXAMPLE_2019):
        data, values = example_values(example)
        active = next(t for t in data.pack.tables() if t.key == "active")
        starts = tuple(c.row for c in active.cells if c.text.startswith("第二十条") and c.row)
        path = write_report(tmp_path / f"{example.stem}.docx", data.pack, data.facts, values,
                            split={"active": starts})
        assert len(read_document(path).tables()) == len(starts) + 1 + 2
        got = read_published(path)
        assert got.problems == []
        assert {k: got.values[k] for k in values} == values


def test_a_word_report_inside_a_layout_table(tmp_path: Path) -> None:
    """Everything in the cell of a one-cell frame table, as some offices lay out a page."""
    import docx

    data, values = example_values(EXAMPLE_2021)
    path = write_report(tmp_path / "框.docx", data.pack, data.facts, values)
    document = docx.Document(str(path))
    body = document.element.body
    content = [el for el in body.iterchildren() if not el.tag.endswith("}sectPr")]
    frame = document.add_table(rows=1, cols=1)
    cell = frame.cell(0, 0)._tc
    for element in content:
        cell.append(element)
    cell.append(cell.makeelement(cell[0].tag.replace("tcPr", "p"), {}))
    document.save(str(path))
    assert len(docx.Document(str(path)).tables) == 1
    got = read_published(path)
    assert got.problems == []
    assert {k: got.values[k] for k in values} == values


def test_unreadable_values_are_located_and_left_for_the_clerk(tmp_path: Path) -> None:
    data, values = example_values(EXAMPLE_2021)
    bad = {"requests.new.natural": "—", "requests.deny_secret.business": "/",
           "requests.public.other": "无", "review.direct.pending": "", "active.rules.made": "2\n1",
           "requests.carried.legal": "见附件"}
    path = write_report(tmp_path / "有空白.docx", data.pack, data.facts, values,
                        show=lambda k, v: bad.get(k, str(v)))
    out = tmp_path / "有空白.xlsx"
    result = run("import", path, "-o", out)
    assert result.exit_code == 1
    t3 = "表格“三、收到和处理政府信息公开申请情况”"
    for expected in (
            "表格“二、主动公开政府信息情况”  规章/本年制发件数：一个单元格里有两个数字（「2 / 1」",
            f"{t3}  一、本年新收政府信息公开申请数量/自然人：没有数字，写的是「—」",
            f"{t3}  （三）不予公开·1.属于国家秘密/商业企业：没有数字，写的是「/」",
            f"{t3}  （一）予以公开/其他：没有数字，写的是「无」",
            f"{t3}  二、上年结转政府信息公开申请数量/法律服务机构：此处应填非负整数，"
            "实为「见附件」",
            "表格“四、政府信息公开行政复议、行政诉讼情况”  未经复议直接起诉·尚未审结：空白"):
        assert expected in result.stderr
    assert "6 处无法读取" in result.stderr
    assert "总计与各项之和不符" not in result.stderr  # a total over an unreadable part: formula
    # the workbook is written all the same, those cells empty, the others filled
    book = openpyxl.load_workbook(out)
    where = wb.locate(data.pack)
    for key in bad:
        sheet, ref = where[key]
        assert book[sheet][ref].value is None, key
    sheet, ref = where["requests.new.business"]
    assert book[sheet][ref].value == values["requests.new.business"]
    checked = run("check", out)
    assert checked.exit_code == 1
    assert f"{where['requests.new.natural'][0]}!{where['requests.new.natural'][1]}" in \
        checked.stderr


@pytest.mark.pdf
def test_an_unreadable_value_in_a_pdf_is_located_on_its_page(tmp_path: Path) -> None:
    from docx_report.pdf import convert

    data, values = example_values(EXAMPLE_2021)
    bad = {"review.after.pending": "—", "requests.carry_next.welfare": "3\n5"}
    docx = write_report(tmp_path / "有横线.docx", data.pack, data.facts, values,
                        show=lambda k, v: bad.get(k, str(v)))
    [pdf] = convert([docx], pdfa=False)
    assert pdf.pdf is not None
    got = read_published(pdf.pdf)
    located = {p.sheet: p.message for p in got.problems}
    assert len(got.problems) == 2, located
    pages = {p.sheet for p in got.problems}
    assert all("（第" in page and "页）" in page for page in pages), pages
    review = next(p for p in got.problems if "行政诉讼" in p.sheet)
    assert review.message.startswith("复议后起诉·尚未审结：没有数字，写的是「—」")
    carry = next(p for p in got.problems if "三、" in p.sheet)
    assert "四、结转下年度继续办理/社会公益组织：一个单元格里有两个数字" in carry.message
    assert got.values["review.after.pending"] is None
    assert got.values["review.after.upheld"] == values["review.after.upheld"]


def test_wrong_totals_are_kept_by_import_and_reported_by_check(tmp_path: Path) -> None:
    data, values = example_values(EXAMPLE_2021)
    values["requests.new.total"] += 5  # the published report added wrong
    values["review.review.total"] -= 1
    path = write_report(tmp_path / "总计有误.docx", data.pack, data.facts, values)
    out = tmp_path / "总计有误.xlsx"
    result = run("import", path, "-o", out)
    assert result.exit_code == 0, result.output
    assert "2 个总计与各项之和不符，已按原数保留" in result.stderr
    sheet, ref = wb.locate(data.pack)["requests.new.total"]
    assert openpyxl.load_workbook(out)[sheet][ref].value == values["requests.new.total"]
    from_workbook = run("check", out)
    from_report = run("check", path)
    for checked in (from_workbook, from_report):
        assert checked.exit_code == 1
        assert "一、本年新收政府信息公开申请数量/总计：应为 63（各项之和），实为 68" in \
            checked.stderr
        assert "行政复议·总计：应为 6（各项之和），实为 5" in checked.stderr
    assert f"{sheet}!{ref}" in from_workbook.stderr
    assert "表格“三、收到和处理政府信息公开申请情况”" in from_report.stderr


def test_a_scanned_pdf_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    from PIL import Image

    scan = tmp_path / "扫描件.pdf"
    Image.new("RGB", (595, 842), "white").save(scan)
    for command in (("import", scan, "-o", tmp_path / "x.xlsx"), ("check", scan)):
        result = run(*command)
        assert result.exit_code == 1
        assert "扫描件" in result.stderr and "文字版" in result.stderr
        assert result.stderr.startswith(str(scan))
    assert not (tmp_path / "x.xlsx").exists()


def test_an_old_doc_is_refused_with_what_to_do(tmp_path: Path) -> None:
    old = tmp_path / "年报.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    result = run("check", old)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{old}：这是旧版 Word 文档（.doc）")


def test_a_docx_without_tables_is_refused(tmp_path: Path) -> None:
    data, values = example_values(EXAMPLE_2021)
    path = write_report(tmp_path / "无表格.docx", data.pack, data.facts, values, tables=False)
    result = run("import", path, "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 1
    assert "没有表格" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "x.xlsx").exists()
    with pytest.raises(InputError, match="没有表格"):
        read_published(path)


def test_word_pasted_html_in_gbk_inside_a_layout_table(tmp_path: Path) -> None:
    """A portal page: GB2312 declared, the article inside a layout table, <o:p>, &nbsp;,
    mso styles, colspan/rowspan."""
    data, values = example_values(EXAMPLE_2021)
    docx = write_report(tmp_path / "r.docx", data.pack, data.facts, values)
    from docx_report.importers.docx_source import read_docx

    doc = read_docx(docx)
    parts = ["<html><head><meta http-equiv=Content-Type content='text/html; charset=gb2312'>"
             "<title>政务公开</title></head><body><table width=100%><tr><td>导航</td><td>"]
    for block in doc.blocks:
        if hasattr(block, "cells"):
            parts.append("<table class=MsoTableGrid border=1 style='border-collapse:collapse'>")
            for r in range(block.height):
                parts.append("<tr style='mso-yfti-irow:0'>")
                for cell in (c for c in block.cells if c.row == r):
                    text = cell.text.replace("\n", "<o:p></o:p><br>")
                    parts.append(f"<td rowspan={cell.rows} colspan={cell.cols} "
                                 f"style='mso-border-alt:solid windowtext .5pt'><p class=MsoNormal>"
                                 f"<span style='font-family:宋体;mso-ascii-font-family:\"Times New "
                                 f"Roman\"'>&nbsp;{text}<o:p></o:p></span></p></td>")
                parts.append("</tr>")
            parts.append("</table>")
        else:
            parts.append(f"<p class=MsoNormal style='text-indent:32.0pt'><span lang=EN-US>"
                         f"{block.text}</span><o:p></o:p></p>")
    parts.append("</td></tr></table><script>var x='一、总体情况';</script></body></html>")
    page = tmp_path / "网页.htm"
    page.write_bytes("".join(parts).encode("gb18030"))
    got = read_published(page)
    assert got.problems == []
    assert {k: got.values[k] for k in values} == values
    assert got.facts["agency"] == data.facts["agency"]


def test_check_and_init_take_a_published_report_as_last_year(tmp_path: Path) -> None:
    last_year = tmp_path / "2023年报.docx"
    assert run("build", EXAMPLE_2021_PREVIOUS, "-o", last_year).exit_code == 0
    checked = run("check", EXAMPLE_2021, "--previous", last_year)
    assert checked.exit_code == 0, checked.output
    # R6 compares with the published report: a changed carry-over is caught
    prev = read_published(last_year)
    assert prev.facts["year"] == 2023
    from_book = tmp_path / "按工作簿.xlsx"
    from_report = tmp_path / "按报告.xlsx"
    assert run("init", from_book, "--previous", EXAMPLE_2021_PREVIOUS).exit_code == 0
    result = run("init", from_report, "--previous", last_year)
    assert result.exit_code == 0, result.output
    assert "预填" in result.output
    a, b = read_report(from_book), read_report(from_report)
    last = compute(prev.pack, prev.values)
    assert a.values == b.values
    for col in ("natural", "business", "research", "welfare", "legal", "other"):
        assert b.values[f"requests.carried.{col}"] == last[f"requests.carry_next.{col}"]
    assert b.values["active.rules.valid"] == last["active.rules.valid"]
    assert b.values["requests.new.natural"] == 0
    assert b.facts["agency"] == "临江市市场监督管理局" and b.facts["year"] == 2024
    assert [t for t, _ in b.narratives["overview"].subsections] == \
        [t for t, _ in prev.narratives["overview"].subsections]
    assert b.narratives["overview"].subsections[0][1] == []  # titles only, not last year's text


def test_init_previous_carries_the_2019_project_counts(tmp_path: Path) -> None:
    pack = load_pack("gov-disclosure-2019")
    data, values = example_values(EXAMPLE_2019)
    values.update({"active.permit.last": 40, "active.permit.change": -3,
                   "active.fees.last": 5, "active.fees.change": 2})
    facts = {**data.facts, "year": 2019, "date": dt.date(2020, 1, 20)}
    last = write_report(tmp_path / "2019年报.docx", pack, facts, values)
    out = tmp_path / "2020.xlsx"
    assert run("init", out, "--pack", pack.name, "--previous", last).exit_code == 0
    got = read_report(out)
    assert got.values["active.permit.last"] == 37
    assert got.values["active.fees.last"] == 7
    assert got.values["requests.carried.total"] is None  # a total: a formula, not a value
    assert got.facts["year"] == 2020


def test_batch_over_published_reports_of_every_kind(tmp_path: Path) -> None:
    inbox = tmp_path / "收到的报告"
    inbox.mkdir()
    shutil.copy(REPORTS[EXAMPLE_2021], inbox / "a.docx")
    data, values = example_values(EXAMPLE_2019)
    write_report(inbox / "b.docx", data.pack, {**data.facts, "agency": "前进区教育局"}, values)
    shutil.copy(EXAMPLE_2021_PREVIOUS, inbox / "c.xlsx")
    (inbox / "d.html").write_text("<html><body><p>没有表格</p></body></html>", encoding="utf-8")
    shutil.copy(REPORTS[EXAMPLE_2019].with_suffix(".pdf"), inbox / "e.pdf")
    out = tmp_path / "审核"
    result = run("batch", inbox, "-o", out, "--jobs", "1")
    assert result.exit_code == 1  # d.html cannot be read
    book = openpyxl.load_workbook(out / "summary.xlsx")
    rows = list(book["各机关情况"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    by_file = {Path(str(r[header.index("文件")])).name: dict(zip(header, r, strict=True))
               for r in body}
    assert set(by_file) == {"a.docx", "b.docx", "c.xlsx", "d.html", "e.pdf"}
    assert by_file["e.pdf"]["机关名称"] == "前进区人力资源和社会保障局"
    assert by_file["e.pdf"]["报告格式"] == "gov-disclosure-2019"
    assert by_file["a.docx"]["机关名称"] == "临江市市场监督管理局"
    assert by_file["a.docx"]["新收申请"] == 63
    assert by_file["b.docx"]["机关名称"] == "前进区教育局"
    assert "没有表格" in str(by_file["d.html"]["状态"]) + str(
        [r for r in book["问题清单"].iter_rows(values_only=True) if "d.html" in str(r[0])])
    assert (out / "临江市市场监督管理局2024年政府信息公开工作年度报告.docx").is_file()


def test_pdf_without_pdfplumber_says_how_to_install(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pdfplumber", None)  # as on a base install
    with pytest.raises(ConversionError, match=r'pip install "docx-report\[import\]"'):
        read_published(EXAMPLES / "临江市市场监督管理局2024年政府信息公开工作年度报告.pdf")


@pytest.mark.parametrize("heading", ["一、总体情况", "1、 总体情况", "1.总体情况", "一．总体情况",
                                     "第一部分 总体情况", "一、政府信息公开总体情况", "总体情况"])
def test_section_headings_in_the_forms_reports_use(heading: str) -> None:
    from docx_report.importers.model import Document, Paragraph
    from docx_report.importers.text import find_sections

    pack = load_pack("gov-disclosure-2021")
    blocks = [Paragraph(text) for text in ("某局2024年政府信息公开工作年度报告", heading,
                                           "（一）主动公开", "正文。", "2、主动公开政府信息情况")]
    found = find_sections(pack, Document(Path("r.docx"), list(blocks)).blocks)
    assert found.starts.get("overview") == 1
    assert found.starts.get("active") == 4


@pytest.mark.parametrize(("paragraphs", "agency", "year", "date"), [
    (["临江市教育局2024年政府信息公开工作年度报告", "…", "临江市教育局", "2025年1月20日"],
     "临江市教育局", 2024, dt.date(2025, 1, 20)),
    (["临江市教育局", "2024年度政府信息公开工作年度报告", "…", "二〇二五年一月二十日"],
     "临江市教育局", 2024, dt.date(2025, 1, 20)),
    (["2024年度临江市人民政府政府信息公开工作年度报告", "…", "2025 年 3 月 31 日"],
     "临江市人民政府", 2024, dt.date(2025, 3, 31)),
    (["临江市教育局关于2024年政府信息公开工作年度报告", "…", "2025年1月9日"],
     "临江市教育局", 2024, dt.date(2025, 1, 9)),
])
def test_facts_from_the_title_and_the_signature(paragraphs: list[str], agency: str, year: int,
                                                date: dt.date) -> None:
    from docx_report.importers.model import Document, Paragraph
    from docx_report.importers.text import Sections, find_facts

    titles = [load_pack(name).title for name in ("gov-disclosure-2019", "gov-disclosure-2021")]
    doc = Document(Path("报告.docx"), [Paragraph(p) for p in paragraphs])
    facts = find_facts(doc, Sections(), titles)
    assert (facts.get("agency"), facts.get("year"), facts.get("date")) == (agency, year, date)
    if not paragraphs[0].startswith("2024"):  # without the packs' titles: agency before year
        facts = find_facts(doc, Sections())
        assert (facts.get("agency"), facts.get("year")) == (agency, year)


def test_the_kind_of_agency_is_the_choice_its_name_names(tmp_path: Path) -> None:
    data, values = example_values(EXAMPLE_2021)
    for agency, kind in (("临江市人民政府办公室", "人民政府"), ("临江市教育局", "政府部门")):
        path = write_report(tmp_path / f"{agency}.docx", data.pack,
                            {**data.facts, "agency": agency}, values)
        assert read_published(path).facts["agency_kind"] == kind


def test_subsection_titles_alone_or_run_in_and_numbered_either_way() -> None:
    from docx_report.importers.text import split_subsections

    assert split_subsections(["导语。", "(一）主动公开情况", "正文。",
                              "（二）依申请公开情况。全年收到申请3件。", "1、其中2件已办结。"]) == (
        ["导语。"], [("(一）主动公开情况", ["正文。"]),
                   ("（二）依申请公开情况", ["全年收到申请3件。", "1、其中2件已办结。"])])
    digits = ["1、主动公开", "正文。", "2.依申请公开", "3、全年共12件，均已办结。"]
    assert split_subsections(digits) == (
        [], [("1、主动公开", ["正文。"]), ("2.依申请公开", ["3、全年共12件，均已办结。"])])


def test_the_narrative_of_a_published_report_is_checked_against_its_tables(
        tmp_path: Path) -> None:
    """The narrative checks run on a published report too, each problem at its section."""
    data, values = example_values(EXAMPLE_2021)
    path = write_report(tmp_path / "叙述.docx", data.pack, data.facts, values,
                        bodies={"（二）依申请公开": "全年新收政府信息公开申请60件，均按时答复。"})
    result = run("check", path)
    line = next(x for x in result.stderr.splitlines() if "新收政府信息公开申请60件" in x)
    assert line.startswith("警告  “一、总体情况”  ")
    assert "（63）不一致" in line
