"""The real thing end to end: ``docx-report build EXAMPLE --pdf`` for both bundled examples, and
the PDF/A filing copy read back: A4, fonts embedded in the right styles, PDF/A identification,
every official label and every number of the example, the text block inside the margins."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from docx_report.cli import main
from docx_report.pack import load_pack
from docx_report.report import check_workbook
from tests.helpers import EXAMPLE_2019, EXAMPLE_2021, copy_example
from tests.test_pdf import MM, pdffonts, pdftotext, words, xmp

pytestmark = pytest.mark.pdf


@pytest.fixture(scope="module", params=[EXAMPLE_2021, EXAMPLE_2019], ids=["2021", "2019"])
def built(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the example workbook, the PDF that ``build --pdf`` wrote for it)."""
    workbook = copy_example(tmp_path_factory.mktemp("example"), request.param)
    result = CliRunner().invoke(main, ["build", str(workbook), "--pdf", "-o",
                                       str(workbook.with_name("报告.docx"))])
    assert result.exit_code == 0, result.output
    pdf = workbook.with_name("报告.pdf")
    assert pdf.is_file()
    return workbook, pdf


def test_pages_are_a4_and_pdfa_2b(built: tuple[Path, Path]) -> None:
    _, pdf = built
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 3
    for page in reader.pages:
        assert abs(float(page.mediabox.width) - 595.3) < 1
        assert abs(float(page.mediabox.height) - 841.9) < 1
    meta = xmp(pdf)
    assert re.search(r"pdfaid:part[=>\"]+2", meta) and re.search(r"pdfaid:conformance[=>\"]+B",
                                                                   meta)


def test_every_font_embedded_in_free_faces_of_the_official_styles(built: tuple[Path, Path]) -> None:
    _, pdf = built
    fonts = pdffonts(pdf)
    assert fonts and all(embedded for _, embedded in fonts)
    names = " ".join(name for name, _ in fonts)
    for face in ("FandolFang", "LXGWWenKai", "NotoSansCJK", "NotoSerifCJK"):
        assert face in names  # 仿宋 body, 楷体 subheadings, 黑体 headings, 小标宋 title
    assert "DejaVu" not in names and "WenQuanYi" not in names


def test_text_has_every_official_label_and_every_number(built: tuple[Path, Path]) -> None:
    workbook, pdf = built
    raw = pdftotext(pdf)
    text = re.sub(r"\s+", "", raw)
    book = openpyxl.load_workbook(workbook)
    pack = load_pack(book["_docx_report"]["B1"].value)
    for table in pack.tables():
        assert table.heading in text
        for cell in table.label_cells():
            # A label wrapped inside its cell may have its neighbours' text between its lines.
            spread = ".{0,40}?".join(re.escape(ch) for ch in re.sub(r"\s+", "", cell.text))
            assert re.search(spread, text), cell.text
    agency = book["基本信息"]["B4"].value
    assert agency in text and "政府信息公开工作年度报告" in text
    tokens = set(raw.split())
    for table in pack.tables():
        sheet = book[table.sheet]
        for row in sheet.iter_rows(min_row=5):
            for cell in row:
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    number = repr(cell.value) if isinstance(cell.value, float) else str(cell.value)
                    assert number in tokens, (table.sheet, cell.coordinate, number)


def test_numbers_are_never_broken_across_lines(built: tuple[Path, Path]) -> None:
    """Every number of three or more digits in the narrative prints whole on one line."""
    workbook, pdf = built
    book = openpyxl.load_workbook(workbook)
    numbers = {n for ws in book.worksheets if ws.title[0] in "一五六"
               for row in ws.iter_rows(min_row=4, max_col=2) for cell in row
               for n in re.findall(r"\d{3,}", str(cell.value or ""))}
    assert numbers
    tokens = pdftotext(pdf).split()
    for number in numbers:
        assert any(number in token for token in tokens), f"{number} split over two lines"


def ink(pdf: Path, tmp: Path) -> list[tuple[int, int, int, int, int]]:
    """(page, left, top, right, bottom) of the ink on each page, in points (rendered at 72 dpi).

    Measured on the rendered page, not on pdftotext's word boxes: those take a justified CJK
    line's nominal glyph widths and overshoot the real right edge by several points.
    """
    subprocess.run(["pdftoppm", "-r", "72", "-gray", str(pdf), str(tmp / "p")], check=True)
    found = []
    for page, image in enumerate(sorted(tmp.glob("p-*.pgm")), start=1):
        magic, size, _, pixels = image.read_bytes().split(b"\n", 3)
        assert magic == b"P5"
        width, height = (int(v) for v in size.split())
        dark = [(x, y) for y in range(height) for x in range(width)
                if pixels[y * width + x] < 128]
        xs, ys = [x for x, _ in dark], [y for _, y in dark]
        found.append((page, min(xs), min(ys), max(xs), max(ys)))
    return found


def test_text_block_inside_gb9704_margins(built: tuple[Path, Path], tmp_path: Path) -> None:
    _, pdf = built
    left, right, top = 28 * MM, (210 - 26) * MM, 37 * MM
    footer_bottom = 297 * MM - 7 * MM  # the page number sits below the text block
    # No punctuation hangs into the margin (the template turns 标点溢出边界 off): the ink and
    # every word box end at the text block's right edge.
    for page, x0, y0, x1, y1 in ink(pdf, tmp_path):
        assert x0 >= left - 2 and x1 <= right + 1, (page, x0, x1)
        assert y0 >= top - 2 and y1 <= footer_bottom, (page, y0, y1)
    for page, _, _, x1, _, text in words(pdf):
        assert x1 <= right + 0.5, (page, x1, text)
    body_bottom = (297 - 35) * MM
    text_words = [w for w in words(pdf) if w[2] > body_bottom]
    pages = {w[0] for w in words(pdf)}
    assert {(w[0], w[5]) for w in text_words if w[5] != "—"} == {(p, str(p)) for p in pages}


def test_document_properties_in_the_pdf_are_the_reports(built: tuple[Path, Path]) -> None:
    workbook, pdf = built
    facts = openpyxl.load_workbook(workbook)["基本信息"]
    agency, date = facts["B4"].value, facts["B7"].value
    info = PdfReader(pdf).metadata
    assert info is not None
    assert info.author == agency and agency in str(info.title)
    assert info.subject and "政府信息公开工作年度报告" in info.subject
    assert "政府信息公开" in str(info.get("/Keywords"))
    # LibreOffice writes D:YYYYMMDDHHmmSSZ' (a form pypdf's parser refuses): compare the text.
    assert str(info["/CreationDate"]).startswith(f"D:{date:%Y%m%d}000000Z")
    assert f"<xmp:CreateDate>{date.date().isoformat()}T00:00:00Z<" in xmp(pdf)


def test_table_three_starts_where_it_is_and_repeats_its_header(built: tuple[Path, Path]) -> None:
    """Table 三 is not pushed to a new page: it starts on the page where table 二 ends; where it
    runs onto another page, its header rows (申请人情况…) are there again."""
    workbook, pdf = built
    found = words(pdf)
    pack = load_pack(openpyxl.load_workbook(workbook)["_docx_report"]["B1"].value)
    tables = {t.key: t for t in pack.tables()}
    active, requests = tables["active"], tables["requests"]
    last_of_two = next(c.text for c in reversed(active.cells) if not c.is_value)
    two_ends = max(p for p, *_, t in found if t == last_of_two)
    heading = re.sub(r"\s+", "", requests.heading)
    three_starts = min(p for p, *_, t in found if t == heading)
    assert three_starts == two_ends
    row_labels = {c.text for c in requests.label_cells() if c.row >= requests.header_rows}
    three_pages = {p for p, *_, t in found if t in row_labels and p >= three_starts}
    for page in three_pages:
        assert any(p == page and t == "申请人情况" for p, *_, t in found), page


def test_signature_never_stands_alone_on_its_page(built: tuple[Path, Path]) -> None:
    """GB/T 9704 7.3.5: the signature shares its page with the end of the text."""
    workbook, pdf = built
    agency = str(check_workbook(workbook).data.facts["agency"])
    pages = PdfReader(pdf).pages
    last = [line.strip() for line in (pages[-1].extract_text() or "").splitlines()
            if line.strip() and not re.fullmatch(r"[—\-\s\d]+", line.strip())]
    assert agency and agency in "".join(last)
    body = [line for line in last if agency not in line and not re.search(r"\d+\s*年.*日", line)]
    assert body, f"the last page holds only the signature: {last}"
