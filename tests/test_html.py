"""The report as HTML (build --html, the web preview): checked against the .docx docxtpl wrote
from the Word template, not against the HTML code's own idea of the tables."""

from __future__ import annotations

from pathlib import Path

import docx
import lxml.html
import pytest
from click.testing import CliRunner

from docx_report import html, report
from docx_report.cli import main
from docx_report.errors import Problem
from tests.helpers import EXAMPLE_2019, EXAMPLE_2021, T3, T4, copy_example, set_cells


def html_grid(table: lxml.html.HtmlElement) -> list[list[str]]:
    """The table's text, one entry per grid position (spanned cells repeated), as a reader sees
    it when colspan and rowspan are honoured."""
    grid: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.iter("tr")):
        c = 0
        for cell in tr:
            while (r, c) in grid:
                c += 1
            text = " ".join(cell.text_content().split())
            for dr in range(int(cell.get("rowspan", 1))):
                for dc in range(int(cell.get("colspan", 1))):
                    grid[(r + dr, c + dc)] = text
            c += int(cell.get("colspan", 1))
    rows = 1 + max(r for r, _ in grid)
    cols = 1 + max(c for _, c in grid)
    return [[grid.get((r, c), "?") for c in range(cols)] for r in range(rows)]


def docx_grid(table: docx.table.Table) -> list[list[str]]:
    """python-docx repeats a merged cell at each grid position it covers (gridSpan, vMerge)."""
    return [[" ".join(cell.text.split()) for cell in row.cells] for row in table.rows]


@pytest.mark.parametrize("example", [EXAMPLE_2021, EXAMPLE_2019], ids=["2021", "2019"])
def test_html_tables_read_like_the_word_reports(tmp_path: Path, example: Path) -> None:
    out = tmp_path / "r.docx"
    result = CliRunner().invoke(main, ["build", str(example), "-o", str(out), "--html",
                                       "--html-fragment"])
    assert result.exit_code == 0, result.output
    page = lxml.html.fromstring((tmp_path / "r.html").read_bytes())
    fragment = lxml.html.fragment_fromstring((tmp_path / "r.fragment.html").read_text("utf-8"))
    word = docx.Document(str(out)).tables
    for tree in (page, fragment):
        tables = tree.xpath("//table[contains(@class, 'official')]")
        assert len(tables) == len(word) >= 3
        for mine, theirs in zip(tables, word, strict=True):
            assert html_grid(mine) == docx_grid(theirs)
    # Headings and paragraphs in the Word report's order.
    word_text = [p.text.strip() for p in docx.Document(str(out)).paragraphs if p.text.strip()]
    headings = [h.text_content() for h in page.xpath("//h2")]
    assert headings and all(h in word_text for h in headings)
    assert [word_text.index(h) for h in headings] == sorted(word_text.index(h) for h in headings)
    paragraphs = [p.text_content() for p in page.xpath("//article//p")]
    assert paragraphs and set(paragraphs) <= set(word_text)


def test_page_is_standalone_and_printable_fragment_is_pasteable(tmp_path: Path) -> None:
    checked = report.check_workbook(EXAMPLE_2021)
    page = html.checked_html(checked, form="page")
    assert page.startswith("<!DOCTYPE html>") and "@page" in page and "size: A4" in page
    assert "<script" not in page and "mso-" not in page  # no script, no Word CSS
    tree = lxml.html.fromstring(page.encode())
    assert tree.xpath("//title")[0].text == checked.output_name()
    assert tree.xpath("//table[@class='official w10 whole']/thead")  # header rows repeat
    assert len(tree.xpath("//table[@class='official w4 blocks']/tbody")) == 4  # 二: 4 blocks
    assert not tree.xpath("//table[@class='official w4 blocks']/thead")
    fragment = html.checked_html(checked, form="fragment")
    assert "<style" not in fragment and "<html" not in fragment and "<script" not in fragment
    frag = lxml.html.fragment_fromstring(fragment)
    for cell in frag.xpath("//td | //th"):
        assert "border:1px solid #000" in cell.get("style", "")
    assert all(t.get("border") == "1" for t in frag.xpath("//table"))


def test_build_html_with_errors_writes_nothing(tmp_path: Path) -> None:
    bad = set_cells(copy_example(tmp_path), {(T3, "D31"): 75})
    result = CliRunner().invoke(main, ["build", str(bad), "-o", str(tmp_path / "o" / "r.docx"),
                                       "--html"])
    assert result.exit_code == 1
    assert "D31" in result.output
    assert not (tmp_path / "o").exists()


def test_values_are_escaped(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {("基本信息", "B4"): "<script>alert(1)</script>局"})
    checked = report.check_workbook(path)
    for form in ("page", "fragment", "body"):
        text = html.checked_html(checked, form=form)  # type: ignore[arg-type]
        assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;局" in text


def test_problems_are_placed_on_their_cells(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(T3, "E12"): "无", (T3, "D31"): 75,
                                              (T4, "E8"): 0, ("基本信息", "B7"): "明天"})
    checked = report.check_workbook(path)
    pack = checked.data.pack
    cells = {c.key: (t, c) for t in pack.tables() for c in t.value_cells()}
    placed = {(p.sheet, p.cell): html.anchor_of(pack, p) for p in checked.problems}
    _, secret = cells["requests.deny_secret.business"]
    assert placed[(T3, "E12")] == f"t-requests-{secret.row}-{secret.col}"
    _, total = cells["requests.done_total.natural"]
    assert placed[(T3, "D31")] == f"t-requests-{total.row}-{total.col}"
    assert placed[(T4, "E8")].startswith("t-review-")
    assert placed[("基本信息", "B7")] == "f-date"
    # A problem on a sheet only, and one nowhere, still get a place or none.
    assert html.anchor_of(pack, Problem(checked.errors[0].level, "x", sheet=T3)) == "s-requests"
    assert html.anchor_of(pack, Problem(checked.errors[0].level, "x")) == ""
    body = lxml.html.fragment_fromstring(
        html.checked_html(checked, form="body", with_problems=True), create_parent="div")
    for anchor in (a for a in placed.values() if a):
        element = body.get_element_by_id(anchor)
        assert "problem" in element.get("class", ""), anchor
        assert element.xpath(".//span[contains(@class, 'msg')]")
    marked = body.xpath("//*[contains(@class, 'problem')]")
    assert len(marked) == len({a for a in placed.values() if a})


def test_html_needs_a_pack_workbook(tmp_path: Path) -> None:
    generic = EXAMPLE_2021.parent / "generic"
    template, workbook = generic / "采购清单模板.docx", generic / "采购清单.xlsx"
    result = CliRunner().invoke(main, ["build", str(workbook), "--template", str(template),
                                       "-o", str(tmp_path / "o.docx"), "--html"])
    assert result.exit_code == 1
    assert "网页版只能由报告格式（pack）的工作簿生成" in result.output
    assert not (tmp_path / "o.docx").exists()


def test_the_preview_shows_what_was_typed_and_the_report_what_adds_up(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(T3, "D31"): 75})
    checked = report.check_workbook(path)
    _, total = checked.data.pack.value_cells()["requests.done_total.natural"]
    anchor = f"t-requests-{total.row}-{total.col}"

    def cell_text(text: str) -> str:
        [cell] = lxml.html.fromstring(text).xpath(f'//*[@id="{anchor}"]')
        return " ".join(cell.text_content().split())

    assert cell_text(html.checked_html(checked, form="body", with_problems=True)).startswith("75")
    assert cell_text(html.checked_html(checked, form="body")).startswith("49")
