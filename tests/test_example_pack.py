"""A pack outside the package, end to end: examples/street-monthly through init, check, build,
batch, template check and context; a workbook finds its pack folder, or says it is missing or
changed; and no report format's words are left in the engine's Python."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from docx_report import engine, report
from docx_report import workbook as wb
from docx_report.cli import main
from docx_report.pack import load_pack
from tests.helpers import ROOT

EXAMPLE = ROOT / "examples" / "street-monthly"
QINGSHAN = EXAMPLE / "青山街道-2024-09.xlsx"
HEXI = EXAMPLE / "河西街道-2024-09.xlsx"


def cli(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "内部错误" not in result.output, result.output
    return result.exit_code, result.output


def copy_pack(tmp_path: Path) -> Path:
    folder = tmp_path / "街道月报"
    folder.mkdir()
    for file in ("pack.toml", "template.docx"):
        shutil.copyfile(EXAMPLE / file, folder / file)
    return folder


def document_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_the_example_workbooks_check_clean() -> None:
    for workbook in (QINGSHAN, HEXI):
        checked = report.check_workbook(workbook)
        assert checked.problems == [], checked.problems
        assert checked.data.pack.name == "street-monthly" and not checked.data.pack.builtin


def test_build_without_pack_option_finds_the_recorded_folder(tmp_path: Path) -> None:
    code, output = cli("build", QINGSHAN, "-o", tmp_path / "r.docx")
    assert code == 0, output
    text = document_text(tmp_path / "r.docx")
    assert "青山街道办事处" in text and "2024年9月工作统计报告" in text
    book = openpyxl.load_workbook(QINGSHAN, data_only=True)
    # 合计 of 小计 recomputed by the tool: every window and online count of the workbook
    inputs = sum(book["二、便民服务"].cell(row, col).value for row in range(7, 11)
                 for col in (2, 3))
    assert str(inputs) in text
    props = docx.Document(str(tmp_path / "r.docx")).core_properties
    assert props.keywords == "街道,月度统计,2024"
    assert props.subject == "街道办事处月度工作统计报告"


def test_init_check_build_with_a_copied_pack_folder(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    workbook = tmp_path / "月报.xlsx"
    assert cli("init", workbook, "--pack", folder, "--agency", "东湖街道办事处",
               "--year", 2024)[0] == 0
    code, output = cli("check", workbook)
    assert code == 1
    assert "月份：未填写" in output and "报送日期：必须填写" in output  # the pack's own labels
    assert "不是内置格式" not in output
    book = openpyxl.load_workbook(workbook)
    book["基本信息"]["B6"] = 0  # 月份 0: below the field's min
    book.save(workbook)
    assert "月份：应不小于 1，实为 0" in cli("check", workbook)[1]


def test_a_moved_pack_folder_is_named_and_pack_option_finds_it(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    workbook = tmp_path / "wb" / "青山.xlsx"
    workbook.parent.mkdir()
    shutil.copyfile(QINGSHAN, workbook)
    # The copy records the example folder (absolute, and relative "."): point both elsewhere.
    book = openpyxl.load_workbook(workbook)
    meta = book["_docx_report"]
    meta["B5"], meta["B6"] = str(tmp_path / "gone"), "../gone"
    book.save(workbook)
    code, output = cli("check", workbook)
    assert code == 1
    assert "street-monthly" in output and "已找不到" in output and "--pack" in output
    assert cli("check", workbook, "--pack", folder)[0] == 0


def test_a_changed_pack_is_a_warning(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    workbook = tmp_path / "月报.xlsx"
    shutil.copyfile(QINGSHAN, workbook)
    assert cli("check", workbook, "--pack", folder)[0] == 0
    toml = folder / "pack.toml"
    text = toml.read_text(encoding="utf-8")
    # New wording or rules leave the workbook's layout as it was: no warning.
    toml.write_text(text.replace("version = 1", "version = 2").replace(
        "如“下月将……”", "如“下月将”"), encoding="utf-8")
    assert cli("check", workbook, "--pack", folder) == (0, f"{workbook}：没有错误\n")
    toml.write_text(text.replace("version = 1", "version = 2").replace(
        'help = "统计的月份，1 至 12"', 'help = "1 至 12"'), encoding="utf-8")
    code, output = cli("check", workbook, "--pack", folder)
    assert code == 0 and "工作表布局改动过（版本 1 → 2）" in output


def test_batch_with_the_example_pack(tmp_path: Path) -> None:
    code, output = cli("batch", QINGSHAN, HEXI, "-o", tmp_path / "out", "--name", "临江区",
                       "--jobs", 1)
    assert code == 0, output
    reports = sorted(p.name for p in (tmp_path / "out").glob("*.docx"))
    assert reports == ["河西街道办事处2024年9月工作统计报告.docx",
                       "青山街道办事处2024年9月工作统计报告.docx"]
    [aggregate] = (tmp_path / "out" / "汇总").glob("*.docx")
    assert aggregate.name == "临江区（汇总，共2个街道）2024年9月工作统计报告.docx"
    text = document_text(aggregate)
    assert "本报告汇总2个街道2024年的月度统计数据" in text  # the pack's wording
    summed = report.check_workbook(aggregate.with_suffix(".xlsx"))
    one, two = report.check_workbook(QINGSHAN), report.check_workbook(HEXI)
    for key in ("service.total.received", "funds.total.month"):
        assert summed.computed[key] == one.computed[key] + two.computed[key]
    summary = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")["各机关情况"]
    headers = [c.value for c in summary[1]]
    assert {"受理", "办结", "救助金（万元）"} <= set(headers)
    assert "街道办事处" in headers and "机关名称" not in headers  # the pack's label
    book = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")
    words = {str(c.value) for ws in book for c in ws[1]}
    assert {"街道办事处数", "纳入汇总的街道办事处"} <= words
    assert not {w for w in words if "机关" in w}


def test_batch_with_pack_option_reads_every_workbook_by_it(tmp_path: Path) -> None:
    code, output = cli("batch", QINGSHAN, "-o", tmp_path / "out", "--pack",
                       "gov-disclosure-2021", "--jobs", 1)
    assert code == 1 and "有错误 1 个" in output


def test_template_check_and_context_with_the_example_pack(tmp_path: Path) -> None:
    assert cli("template", "check", EXAMPLE / "template.docx", "--pack", EXAMPLE)[0] == 0
    assert cli("template", "check", EXAMPLE / "template.docx", "--workbook", QINGSHAN)[0] == 0
    code, output = cli("template", "check", EXAMPLE / "template.docx")  # the default pack
    assert code == 1 and "未知" in output
    code, output = cli("context", QINGSHAN, "--pack", EXAMPLE)
    assert code == 0 and 'service.total.received = "' in output
    assert cli("template", "export", tmp_path / "t.docx", "--pack", EXAMPLE)[0] == 0
    assert (tmp_path / "t.docx").read_bytes() == (EXAMPLE / "template.docx").read_bytes()


def test_one_engine_opens_each_workbook_once(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """build --template, context and template check --workbook open the workbook once; the
    generic reader gets the workbook already open; a template is compiled once."""
    from docx_report import generic as generic_lib
    from docx_report import workbook as wb

    opened: list[Path] = []
    real = wb.open_workbook

    def counting(path: Path) -> wb.Workbook:
        opened.append(path)
        return real(path)

    monkeypatch.setattr(wb, "open_workbook", counting)
    monkeypatch.setattr(generic_lib, "_open", lambda path: pytest.fail("opened twice"))
    eng = engine.Engine()
    eng.build(QINGSHAN, out=tmp_path / "a.docx", template=EXAMPLE / "template.docx")
    assert opened == [QINGSHAN]
    eng.template_data(QINGSHAN)
    assert opened == [QINGSHAN] * 2
    generic = ROOT / "examples" / "generic"
    for n in range(2):
        eng.build(generic / "采购清单.xlsx", out=tmp_path / f"g{n}.docx",
                  template=generic / "采购清单模板.docx")
    assert opened[2:] == [generic / "采购清单.xlsx"] * 2
    compiled = eng.template(generic / "采购清单模板.docx")
    assert eng.template(generic / "采购清单模板.docx") is compiled


def test_the_template_cache_is_bounded(tmp_path: Path) -> None:
    """A server rendering uploaded templates keeps only the most recently used compiled."""
    eng = engine.Engine()
    copies = []
    for n in range(engine.Engine.MAX_TEMPLATES + 3):
        copy = tmp_path / f"t{n}.docx"
        shutil.copyfile(EXAMPLE / "template.docx", copy)
        copies.append(copy)
        eng.template(copy)
    first_again = eng.template(copies[-1])
    assert eng.template(copies[-1]) is first_again
    assert len(eng._templates) == engine.Engine.MAX_TEMPLATES


FORMAT_WORDS = re.compile(r"政府信息公开|年度报告|信息处理费|依申请|国办|条例|2008|\bR[0-9]+\b")


def test_no_format_words_in_the_engine() -> None:
    """What is specific to a report format lives in its pack.toml, not in Python."""
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in sorted((ROOT / "src" / "docx_report").rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if FORMAT_WORDS.search(line)]
    assert found == []


def test_the_examples_pack_is_not_in_the_wheel_layout() -> None:
    pack = load_pack(EXAMPLE)
    assert pack.source == str(EXAMPLE.resolve())
    assert not (ROOT / "templates" / "street-monthly").exists()
    with zipfile.ZipFile(EXAMPLE / "template.docx") as z:
        assert "word/document.xml" in z.namelist()


def test_the_example_template_prints_on_a4() -> None:
    """python-docx starts from US Letter; a Chinese office prints A4 (210 × 297 mm)."""
    section = docx.Document(str(EXAMPLE / "template.docx")).sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def _month_copy(source: Path, target: Path, month: int, year: int = 2024) -> Path:
    """A copy of an example workbook, for another month (and year)."""
    pack = load_pack(EXAMPLE)
    book = openpyxl.load_workbook(source)
    book[pack.facts_sheet].cell(wb.field_row(pack, "month"), 2).value = month
    book[pack.facts_sheet].cell(wb.field_row(pack, "year"), 2).value = year
    book.save(target)
    return target


def test_batch_tells_months_apart_by_the_packs_period(tmp_path: Path) -> None:
    """[pack] period = ["year", "month"]: two months of one street are two reports and two
    汇总; the same month twice is 重复."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copyfile(QINGSHAN, inbox / "青山-09.xlsx")
    _month_copy(QINGSHAN, inbox / "青山-10.xlsx", 10)
    shutil.copyfile(HEXI, inbox / "河西-09.xlsx")
    code, output = cli("batch", inbox, "-o", tmp_path / "out", "--name", "临江区",
                       "--pack", EXAMPLE, "--jobs", 1)
    assert code == 0, output
    assert "重复 0 个" in output
    reports = sorted(p.name for p in (tmp_path / "out").glob("*.docx"))
    assert reports == ["河西街道办事处2024年9月工作统计报告.docx",
                       "青山街道办事处2024年10月工作统计报告.docx",
                       "青山街道办事处2024年9月工作统计报告.docx"]
    aggregates = sorted(p.name for p in (tmp_path / "out" / "汇总").glob("*.docx"))
    assert aggregates == ["临江区（汇总，共1个街道）2024年10月工作统计报告.docx",
                          "临江区（汇总，共2个街道）2024年9月工作统计报告.docx"]
    october = report.check_workbook(next((tmp_path / "out" / "汇总").glob("*10月*.xlsx")))
    one = report.check_workbook(QINGSHAN)
    assert october.computed["service.total.received"] == one.computed["service.total.received"]

    _month_copy(QINGSHAN, inbox / "青山-09-again.xlsx", 9)
    code, output = cli("batch", inbox, "-o", tmp_path / "again", "--pack", EXAMPLE,
                       "--jobs", 1)
    assert code == 1, output
    summary = openpyxl.load_workbook(tmp_path / "again" / "summary.xlsx")
    text = "\n".join(str(c.value) for ws in summary for row in ws.iter_rows() for c in row)
    assert "同一期间（年度 2024、月份 9）" in text
    reports = sorted(p.name for p in (tmp_path / "again").glob("*.docx"))
    assert reports == ["河西街道办事处2024年9月工作统计报告.docx",
                       "青山街道办事处2024年10月工作统计报告.docx"]


def test_a_pack_period_must_name_facts(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    toml = folder / "pack.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'period = ["year", "month"]', 'period = ["year", "mnth"]'), encoding="utf-8")
    code, output = cli("pack", "check", folder)
    assert code == 1
    assert "period 中的「mnth」不是字段" in output and "month" in output
    assert re.search(r"pack\.toml[:：第 ]*\D*1[0-9]", output), output  # located by line


def test_previous_matches_the_same_month_last_year(tmp_path: Path) -> None:
    last = tmp_path / "last"
    last.mkdir()
    september = _month_copy(QINGSHAN, last / "青山-2023-09.xlsx", 9, 2023)
    october = _month_copy(QINGSHAN, last / "青山-2023-10.xlsx", 10, 2023)
    code, output = cli("batch", QINGSHAN, "-o", tmp_path / "out", "--pack", EXAMPLE,
                       "--previous", last, "--jobs", 1)
    assert code in (0, 1), output
    sheet = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")["上年对照"]
    rows = [[str(c.value or "") for c in row] for row in sheet.iter_rows(min_row=2)]
    matched = [r for r in rows if str(QINGSHAN) in r]
    assert len(matched) == 1 and str(september) in matched[0], rows
    assert "已做跨年度核对" in matched[0]
    missing = [r for r in rows if str(october) in r]
    assert len(missing) == 1 and any("本年缺少" in v and "2023年度同期" in v
                                     for v in missing[0]), rows


def test_batch_reads_last_years_workbooks_once(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """--previous: last year's workbook is opened by the matching pass only; the check uses
    the data read then. Workers are forked: they append what they open to a file."""
    last = tmp_path / "last"
    last.mkdir()
    september = _month_copy(QINGSHAN, last / "青山-2023-09.xlsx", 9, 2023)
    log = tmp_path / "opened.txt"
    real = engine.Engine.open

    def counting(path: Path, *, reader: str | None = None) -> wb.Book:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{Path(path).name}\n")
        return real(path, reader=reader)

    monkeypatch.setattr(engine.Engine, "open", staticmethod(counting))
    code, output = cli("batch", QINGSHAN, "-o", tmp_path / "out", "--pack", EXAMPLE,
                       "--previous", last, "--jobs", 1)
    assert code in (0, 1), output
    opened = log.read_text(encoding="utf-8").splitlines()
    assert opened.count(september.name) == 1, opened
    assert opened.count(QINGSHAN.name) == 1, opened
    sheet = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")["上年对照"]
    assert any("已做跨年度核对" in str(c.value) for row in sheet.iter_rows() for c in row)
