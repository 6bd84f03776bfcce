"""Templates that lose data: a restyled official template that no longer prints what the pack
requires, or whose table labels differ from the format; a syntax error hiding nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from click.testing import CliRunner, Result

from docx_report.cli import main
from docx_report.pack import load_pack
from tests.helpers import EXAMPLE_2021

OFFICIAL = load_pack("gov-disclosure-2021").template_path


def cli(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "内部错误" not in result.output, result.output
    return result


def restyle(out: Path, *edits: tuple[str, str], drop_row_of: str = "") -> Path:
    """The official template with its body's XML edited as Word would save it."""
    with zipfile.ZipFile(OFFICIAL) as source:
        xml = source.read("word/document.xml").decode("utf-8")
        for old, new in edits:
            assert old in xml
            xml = xml.replace(old, new)
        if drop_row_of:
            at = xml.index(drop_row_of)
            start = max(xml.rfind("<w:tr ", 0, at), xml.rfind("<w:tr>", 0, at))
            xml = xml[:start] + xml[xml.index("</w:tr>", at) + len("</w:tr>"):]
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item.filename)
                target.writestr(item, xml if item.filename == "word/document.xml" else data)
    return out


def test_the_official_templates_fit_their_packs() -> None:
    for name in ("gov-disclosure-2019", "gov-disclosure-2021"):
        pack = load_pack(name)
        assert cli("template", "check", pack.template_path, "--pack", name).exit_code == 0


def test_a_template_that_lost_data_and_words_is_refused_everywhere(tmp_path: Path) -> None:
    template = restyle(tmp_path / "t.docx", ("只计", "只记"), ("科研机构", "科研院所"),
                       ("{{ agency|balanced_lines(20) }}", "某某局"),
                       ("{{ agency|balanced_lines(22) }}", "某某局"),
                       drop_row_of="requests.deny_secret.natural")
    checked = cli("template", "check", template)
    assert checked.exit_code == 1
    lines = checked.output.splitlines()
    assert "错误  模板没有显示基本信息“机关名称”（字段 agency）；报告会缺少这项内容" in lines
    assert any("“（三）不予公开·1.属于国家秘密/自然人”（requests.deny_secret.natural）" in line
               for line in lines)
    [only] = [line for line in lines if "只记" in line]
    assert only.startswith("错误  第 2 个表格第 7 行第 2 列「（二）部分公开（区分处理的，只记")
    assert "原文为「（二）部分公开（区分处理的，只计这一情形，不计其他情形）」" in only
    [institute] = [line for line in lines if "科研院所" in line]
    assert "模板为「科研院所」" in institute and "原文为「科研机构」" in institute
    out = tmp_path / "r.docx"
    built = cli("build", EXAMPLE_2021, "--template", template, "-o", out)
    assert built.exit_code == 1 and not out.exists()
    assert {line for line in lines if line.startswith("错误")} <= set(built.output.splitlines())
    as_json = cli("check", EXAMPLE_2021, "--json")  # the workbook itself is fine
    assert as_json.exit_code == 0


def test_a_restyled_template_that_keeps_everything_builds(tmp_path: Path) -> None:
    template = restyle(tmp_path / "t.docx", ("工作年度报告", "工作年度报告 "))
    out = tmp_path / "r.docx"
    assert cli("build", EXAMPLE_2021, "--template", template, "-o", out).exit_code == 0
    assert "临江市市场监督管理局" in "".join(p.text for p in docx.Document(str(out)).paragraphs)


def test_a_syntax_error_does_not_hide_the_unknown_fields(tmp_path: Path) -> None:
    template = tmp_path / "t.docx"
    document = docx.Document(str(OFFICIAL))
    document.add_paragraph("{{ agencyy }} 与 {{ requests.neww.total }}")
    document.add_paragraph("{% if year > %}坏{% endif %}")
    document.save(str(template))
    result = cli("template", "check", template)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("错误")]
    assert len(errors) == 3
    assert any("模板语法错误" in line for line in errors)
    assert any("未知字段 agencyy，是否应为 agency？" in line for line in errors)
    assert any("未知字段 neww（requests 中没有），是否应为 new？" in line for line in errors)
