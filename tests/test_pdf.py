"""PDF filing copies (docx_report.pdf and the ``pdf`` and ``doctor`` commands).

Tests marked ``pdf`` run the real LibreOffice; each soffice start costs about a second, so the
conversions are module-scoped fixtures shared by many assertions. The watchdog and retry logic is
also tested against a fake soffice (a small Python script) that hangs or crashes on demand.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from pypdf import PdfReader

from docx_report import confine
from docx_report.cli import main
from docx_report.errors import ConversionError
from docx_report.pdf import SOFFICE_ENV, Conversion, convert
from docx_report.pdf_doctor import doctor

# ---- a report-like .docx (until the renderer's own examples exist) ---------------------------

TITLE = "某某市人民政府办公室2024年政府信息公开工作年度报告"
AGENCY = "某某市人民政府办公室"
HEADING_HEI = "一、总体情况"
HEADING_KAI = "（一）主动公开"
TABLE_LABELS = ["信息内容", "本年制发件数", "本年废止件数", "规章", "省级", "市级", "规范性文件"]
TABLE_NUMBERS = ["12", "3", "45", "6", "317", "28"]
BODY_COUNT = 16  # body paragraphs: enough to run onto a second page


def body_text(i: int) -> str:
    return (f"本年度共主动公开政府信息{1234 + i}条，其中规范性文件{56 + i}件，"
            f"依申请公开办理{789 + i}件，按时答复率百分之百。")


def _run(paragraph: Paragraph, text: str, east_asia: str, size: float = 16) -> Run:
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.name = "Times New Roman"  # digits and Latin text
    run._element.get_or_add_rPr().find(qn("w:rFonts")).set(qn("w:eastAsia"), east_asia)
    return run


def _page_number_footer(section: Section) -> None:
    """``— 1 —`` in 4号 宋体, centred below the text block."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, "— ", "宋体", 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    p._p.append(field)
    number = _run(p, "1", "宋体", 14)._element  # the field's result, in the footer's font
    field.append(number)
    _run(p, " —", "宋体", 14)


def build_sample_docx(path: Path) -> Path:
    """An official-format report in miniature: GB/T 9704 page, the official fonts, a table."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _page_number_footer(section)

    def paragraph(text: str, font: str, size: float = 16, *, indent: bool = False,
                  align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY) -> None:
        p = doc.add_paragraph()
        p.alignment = align
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        p.paragraph_format.line_spacing = Pt(28 if size <= 16 else 36)
        p.paragraph_format.space_after = Pt(0)
        if indent:
            p.paragraph_format.first_line_indent = Pt(32)
        _run(p, text, font, size)

    paragraph(TITLE, "方正小标宋简体", 22, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(HEADING_HEI, "黑体", indent=True)
    paragraph(HEADING_KAI, "楷体_GB2312", indent=True)
    for i in range(BODY_COUNT):
        paragraph(body_text(i), "仿宋_GB2312" if i % 2 == 0 else "仿宋", indent=True)

    table = doc.add_table(rows=4, cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    rows = [
        ["信息内容", None, "本年制发件数", "本年废止件数"],
        ["规章", "省级", "12", "3"],
        [None, "市级", "45", "6"],
        ["规范性文件", None, "317", "28"],
    ]
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(3, 0).merge(table.cell(3, 1))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text is not None:
                font = "楷体" if text == "省级" else "宋体"
                _run(table.cell(r, c).paragraphs[0], text, font, 12)

    props = doc.core_properties
    props.title, props.author = TITLE, AGENCY
    props.subject, props.keywords = "政府信息公开工作年度报告", "政府信息公开, 2024"
    props.created = datetime.datetime(2025, 1, 15, 9, 0, 0)
    doc.save(str(path))
    return path


# ---- helpers ----------------------------------------------------------------------------------

MM = 72 / 25.4


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def words(pdf: Path) -> list[tuple[int, float, float, float, float, str]]:
    """(page, xMin, yMin, xMax, yMax, text) of every word, in points from the top left."""
    found = []
    for page_no, page in enumerate(pdftotext(pdf, "-bbox").split("<page ")[1:], start=1):
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                             r'yMax="([\d.]+)">([^<]*)</word>', page):
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            found.append((page_no, x0, y0, x1, y1, m.group(5)))
    return found


def pdffonts(pdf: Path) -> list[tuple[str, bool]]:
    """(font name, embedded) for every font of the PDF."""
    rows = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                          check=True).stdout.splitlines()[2:]
    return [(row.split()[0], row.split()[-5] == "yes") for row in rows if row.strip()]


def fonts_by_text(pdf: Path) -> list[tuple[str, str]]:
    """(font name, text) for each run of text shown in the PDF."""
    shown: list[tuple[str, str]] = []
    for page in PdfReader(pdf).pages:
        def visit(text: str, cm: object, tm: object, font: dict[str, object] | None,
                  size: float) -> None:
            if text.strip() and font is not None:
                shown.append((str(font.get("/BaseFont", "")), text.strip()))
        page.extract_text(visitor_text=visit)
    return shown


def xmp(pdf: Path) -> str:
    meta = PdfReader(pdf).trailer["/Root"].get("/Metadata")
    return meta.get_object().get_data().decode("utf-8") if meta is not None else ""


def broken_docx(path: Path) -> Path:
    path.write_bytes(os.urandom(4096))
    return path


def bad_xml_docx(sample: Path, path: Path) -> Path:
    """A real .docx package whose document part is not XML: only LibreOffice can tell."""
    with zipfile.ZipFile(sample) as src, zipfile.ZipFile(path, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, b"<<< not xml" if name == "word/document.xml" else src.read(name))
    return path


PlainRun = tuple[Result, Path, Path]  # the CLI's result, the PDF it made, the broken input

# ---- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A Chinese name with a space: soffice only ever sees its own copy named d0000.docx.
    return build_sample_docx(tmp_path_factory.mktemp("src") / "2024年 报告.docx")


@pytest.fixture(scope="module")
def pdfa_run(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Conversion]:
    """One soffice run: the sample, a file of random bytes and a package with broken XML."""
    work = tmp_path_factory.mktemp("pdfa")
    inputs = [sample, broken_docx(work / "随机字节.docx"), bad_xml_docx(sample, work / "坏.docx")]
    return convert(inputs, work / "out")


@pytest.fixture(scope="module")
def pdfa(pdfa_run: list[Conversion]) -> Path:
    assert pdfa_run[0].error == ""
    assert pdfa_run[0].pdf is not None
    return pdfa_run[0].pdf


@pytest.fixture(scope="module")
def plain_cli(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> PlainRun:
    """``docx-report pdf --plain`` over the sample and a broken file (one soffice run)."""
    work = tmp_path_factory.mktemp("plain")
    broken = broken_docx(work / "坏文件.docx")
    result = CliRunner().invoke(main, ["pdf", "--plain", str(sample), str(broken),
                                       "-o", str(work / "out")])
    return result, work / "out" / f"{sample.stem}.pdf", broken


# ---- the PDF/A copy ---------------------------------------------------------------------------


@pytest.mark.pdf
def test_results_one_per_input_in_order(pdfa_run: list[Conversion], sample: Path) -> None:
    assert [c.source.name for c in pdfa_run] == [sample.name, "随机字节.docx", "坏.docx"]
    pdf = pdfa_run[0].pdf
    assert pdf is not None and pdf.name == "2024年 报告.pdf" and pdf.parent.name == "out"
    assert pdf.is_file()


@pytest.mark.pdf
def test_broken_files_reported_per_file_while_the_good_one_converts(
    pdfa_run: list[Conversion],
) -> None:
    good, random_bytes, bad_xml = pdfa_run
    assert good.ok
    assert random_bytes.pdf is None
    assert random_bytes.error == f"{random_bytes.source}：不是 Word 文档（.docx），或文件已损坏"
    assert bad_xml.pdf is None
    assert bad_xml.error == (f"{bad_xml.source}：LibreOffice 无法打开此文件"
                             "（文件已损坏，或不是 Word 文档）")
    out = good.pdf.parent if good.pdf else None
    assert out is not None and sorted(p.name for p in out.iterdir()) == ["2024年 报告.pdf"]


@pytest.mark.pdf
def test_pages_are_a4(pdfa: Path) -> None:
    pages = PdfReader(pdfa).pages
    assert len(pages) >= 2
    for page in pages:
        assert float(page.mediabox.width) == pytest.approx(595.3, abs=1)
        assert float(page.mediabox.height) == pytest.approx(841.9, abs=1)


@pytest.mark.pdf
def test_pdfa_2b_identification(pdfa: Path) -> None:
    meta = xmp(pdfa)
    assert re.search(r"<pdfaid:part>2</pdfaid:part>|pdfaid:part=\"2\"", meta)
    assert re.search(r"<pdfaid:conformance>B</pdfaid:conformance>|pdfaid:conformance=\"B\"", meta)


@pytest.mark.pdf
def test_every_font_embedded_in_the_right_style(pdfa: Path) -> None:
    fonts = pdffonts(pdfa)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert not [n for n, _ in fonts if "DejaVu" in n or "WenQuanYi" in n or "Droid" in n], fonts

    def font_of(snippet: str) -> set[str]:
        return {name for name, text in fonts_by_text(pdfa) if snippet in text}

    assert all("FandolFang" in f for f in font_of("本年度共主动公开政府信息"))  # 仿宋(_GB2312)
    assert font_of("本年度共主动公开政府信息")
    assert [f for f in font_of("总体情况") if "NotoSansCJK" in f]  # 黑体
    assert [f for f in font_of("主动公开") if "WenKai" in f or "UKai" in f]  # 楷体_GB2312
    assert [f for f in font_of("省级") if "WenKai" in f or "UKai" in f]  # 楷体
    assert [f for f in font_of("政府信息公开") if "NotoSerifCJK" in f and "Bold" in f]  # 小标宋
    assert [f for f in font_of("信息内容") if "NotoSerifCJK" in f]  # 宋体


@pytest.mark.pdf
def test_text_has_every_label_and_number(pdfa: Path) -> None:
    text = re.sub(r"\s+", "", pdftotext(pdfa))
    for label in [TITLE, HEADING_HEI, HEADING_KAI, *TABLE_LABELS]:
        assert label in text
    for i in range(BODY_COUNT):
        assert re.sub(r"\s+", "", body_text(i)) in text
    table_words = {w[5] for w in words(pdfa)}
    assert set(TABLE_NUMBERS) <= table_words


@pytest.mark.pdf
def test_text_block_inside_gb9704_margins(pdfa: Path) -> None:
    left, right, top, bottom = 28 * MM, (210 - 26) * MM, 37 * MM, (297 - 35) * MM
    tolerance = 1.0
    body, footer = [], []
    for w in words(pdfa):
        (footer if w[2] > bottom else body).append(w)
    assert len(body) > 50
    outside = [w for w in body if w[1] < left - tolerance or w[3] > right + tolerance
               or w[2] < top - tolerance or w[4] > bottom + tolerance]
    assert outside == []
    # Below the text block there is only the page number, "— n —", on every page.
    pages = {w[0] for w in body}
    assert {(w[0], w[5]) for w in footer if w[5] != "—"} == {(p, str(p)) for p in pages}


@pytest.mark.pdf
def test_document_properties_carried_into_info_and_xmp(pdfa: Path) -> None:
    info = PdfReader(pdfa).metadata
    assert info is not None
    assert (info.title, info.author, info.subject) == (TITLE, AGENCY, "政府信息公开工作年度报告")
    assert info.get("/Keywords") == "政府信息公开, 2024"
    meta = xmp(pdfa)
    assert TITLE in meta and AGENCY in meta


# ---- plain PDF, through the CLI ---------------------------------------------------------------


@pytest.mark.pdf
def test_cli_pdf_plain_converts_and_lists_failures(plain_cli: PlainRun) -> None:
    result, pdf, broken = plain_cli
    assert result.exit_code == 1
    assert result.stdout == f"{pdf}\n"
    assert result.stderr == (f"{broken}：不是 Word 文档（.docx），或文件已损坏\n"
                             "1 个文件转换失败（共 2 个）。\n")


@pytest.mark.pdf
def test_plain_pdf_has_no_pdfa_identification(plain_cli: PlainRun) -> None:
    _, pdf, _ = plain_cli
    assert pdf.is_file()
    assert "pdfaid" not in xmp(pdf)
    assert all(embedded for _, embedded in pdffonts(pdf))


# ---- hangs, crashes, concurrency -------------------------------------------------------------

FAKE_SOFFICE = """#!{python}
import os, sys, time, zipfile
from pathlib import Path

args = sys.argv[1:]
out = Path(args[args.index("--outdir") + 1])
log = Path(os.environ["FAKE_LOG"])
with log.open("a") as f:
    f.write(f"{{os.getpid()}}\\n")
runs = len(log.read_text().split())
mode = os.environ["FAKE_MODE"]
for doc in [a for a in args if a.endswith(".docx")]:
    pdf = out / (Path(doc).stem + ".pdf")
    print(f"convert {{doc}} -> {{pdf}} using filter : fake", flush=True)
    if mode == "hang" or (mode == "hang-once" and runs == 1):
        pdf.write_bytes(b"%PDF-1.7 half written")
        time.sleep(60)
    if "crash.txt" in zipfile.ZipFile(doc).namelist():
        os.abort()
    pdf.write_bytes(b"%PDF-1.4\\n%%EOF\\n")
"""


@pytest.fixture
def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A soffice stand-in; FAKE_MODE says what it does, FAKE_LOG gets one pid a run."""
    script = tmp_path / "soffice"
    script.write_text(FAKE_SOFFICE.format(python=sys.executable))
    script.chmod(0o755)
    log = tmp_path / "runs.log"
    monkeypatch.setenv(SOFFICE_ENV, str(script))
    monkeypatch.setenv("FAKE_LOG", str(log))
    # The stand-in runs on this test's Python (hidden by the confinement, which is tested in
    # test_hostile.py) and logs its pid as the killer sees it (not a pid namespace's).
    monkeypatch.setenv("DOCX_REPORT_NO_CONFINE", "1")
    confine._levels.cache_clear()
    yield log
    confine._levels.cache_clear()


def runs(log: Path) -> list[int]:
    return [int(pid) for pid in log.read_text().split()] if log.exists() else []


def test_hanging_conversion_killed_retried_once_and_nothing_left(
    fake_soffice: Path, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_MODE", "hang")
    out = tmp_path / "out"
    started = time.monotonic()
    [result] = convert([sample], out, timeout=0.5)
    assert time.monotonic() - started < 10
    assert result.pdf is None
    assert result.error == (f"{sample}：转换超时：LibreOffice 超过 0.5 秒没有进展，已被终止；"
                            "重试一次仍失败")
    assert len(runs(fake_soffice)) == 2
    for pid in runs(fake_soffice):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert list(out.iterdir()) == []  # neither the half-written PDF nor a .part file


def test_conversion_that_hangs_once_succeeds_on_retry(
    fake_soffice: Path, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_MODE", "hang-once")
    other = shutil.copy(sample, tmp_path / "另一份.docx")
    results = convert([sample, Path(other)], tmp_path / "out", timeout=0.5)
    assert [r.error for r in results] == ["", ""]
    assert [r.pdf.read_bytes() if r.pdf else b"" for r in results] == [b"%PDF-1.4\n%%EOF\n"] * 2
    assert len(runs(fake_soffice)) == 2


def test_crash_on_one_file_is_reported_and_the_others_convert(
    fake_soffice: Path, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_MODE", "normal")
    crash = tmp_path / "crash" / "崩溃.docx"
    crash.parent.mkdir()
    shutil.copy(sample, crash)
    with zipfile.ZipFile(crash, "a") as package:
        package.writestr("crash.txt", "")
    before = tmp_path / "before.docx"
    shutil.copy(sample, before)
    results = convert([before, crash, sample], tmp_path / "out", timeout=30)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error.startswith(f"{crash}：LibreOffice 意外退出（退出码 ")
    assert results[1].error.endswith("）；重试一次仍失败")
    assert len(runs(fake_soffice)) == 3  # crash, crash again, then the file after it
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["2024年 报告.pdf",
                                                                     "before.pdf"]


def test_same_pdf_name_twice_is_refused(
    fake_soffice: Path, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_MODE", "normal")
    twin = tmp_path / "twin" / sample.name
    twin.parent.mkdir()
    shutil.copy(sample, twin)
    first, second = convert([sample, twin], tmp_path / "out")
    target = tmp_path / "out" / f"{sample.stem}.pdf"
    assert first.pdf == target
    assert second.pdf is None
    assert second.error == f"{twin}：与 {sample} 的 PDF 同名（{target}），未转换"


def test_no_soffice_raises_with_install_hint(
    sample: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv(SOFFICE_ENV, str(tmp_path / "missing"))
    assert convert([]) == []
    with pytest.raises(ConversionError, match="apt-get install libreoffice-writer-nogui"):
        convert([sample])


@pytest.mark.pdf
def test_real_soffice_killed_after_tiny_timeout(sample: Path, tmp_path: Path) -> None:
    [result] = convert([sample], tmp_path / "out", timeout=0.05)
    assert result.pdf is None
    assert "转换超时" in result.error
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.pdf
def test_concurrent_conversions(sample: Path, tmp_path: Path) -> None:
    copies = [Path(shutil.copy(sample, tmp_path / f"报告{i}.docx")) for i in range(3)]
    results: dict[str, list[Conversion]] = {}

    def run(name: str, files: list[Path], jobs: int) -> None:
        results[name] = convert(files, tmp_path / name, jobs=jobs)

    threads = [threading.Thread(target=run, args=("a", copies[:2], 2)),
               threading.Thread(target=run, args=("b", copies[2:], 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.error for r in results["a"] + results["b"]] == ["", "", ""]
    for r in results["a"] + results["b"]:
        assert r.pdf is not None and r.pdf.read_bytes().startswith(b"%PDF")


# ---- the CLI without LibreOffice, and doctor -------------------------------------------------


def test_cli_pdf_without_soffice_says_how_to_install(
    sample: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv(SOFFICE_ENV, str(tmp_path / "missing"))
    result = CliRunner().invoke(main, ["pdf", str(sample)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"环境变量 {SOFFICE_ENV} 指向的 {tmp_path / 'missing'} 不是可执行的 LibreOffice 程序"
        "（如已安装 LibreOffice，取消这个环境变量即可）。"
        "请安装 LibreOffice 和字体：apt-get install libreoffice-writer-nogui fonts-noto-cjk "
        "fonts-lxgw-wenkai texlive-lang-chinese fonts-liberation2"
        "（或在项目目录运行 bash tools/setup.sh）\n"
    )


def test_cli_pdf_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["pdf", str(tmp_path / "无.docx")])
    assert result.exit_code == 2


@pytest.mark.pdf
def test_doctor_finds_soffice_and_a_face_of_each_style() -> None:
    lines = {line.what: line for line in doctor()}
    assert lines["LibreOffice"].ok and lines["LibreOffice"].detail.startswith("LibreOffice ")
    assert lines["仿宋_GB2312"].detail.startswith("FandolFang")
    assert lines["黑体"].detail.startswith("Noto Sans CJK SC")
    assert lines["方正小标宋简体"].detail.startswith("Noto Serif CJK SC Bold")
    assert all(line.ok for line in lines.values()), lines
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "正常  楷体_GB2312：" in result.stdout and result.stderr == ""


def test_cli_doctor_without_soffice_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv(SOFFICE_ENV, str(tmp_path / "missing"))
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 1
    assert result.stdout.startswith(
        f"缺失  LibreOffice：未找到 soffice。环境变量 {SOFFICE_ENV} 指向的程序不可用。请安装 ")
    assert result.stderr.startswith("缺少生成 PDF 所需的：LibreOffice")


def test_build_pdf_without_libreoffice_keeps_the_report(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import copy_example

    workbook = copy_example(tmp_path)
    monkeypatch.setenv(SOFFICE_ENV, str(tmp_path / "missing"))
    result = CliRunner().invoke(main, ["build", str(workbook), "--pdf", "-o",
                                       str(tmp_path / "r.docx")])
    assert result.exit_code == 1
    assert "报告已生成" in result.stderr
    assert "apt-get install libreoffice-writer-nogui" in result.stderr
    assert (tmp_path / "r.docx").stat().st_size > 10_000
    assert not (tmp_path / "r.pdf").exists()


def test_default_jobs_give_each_soffice_several_reports() -> None:
    from docx_report.pdf import DOCS_PER_PROCESS, auto_jobs

    cores = os.cpu_count() or 1
    assert auto_jobs(1) == 1 and auto_jobs(DOCS_PER_PROCESS - 1) == 1
    assert auto_jobs(12) == min(cores, 12 // DOCS_PER_PROCESS)
    assert auto_jobs(10_000) == cores
