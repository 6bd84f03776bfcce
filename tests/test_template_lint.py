"""Template lint: each kind of defect reported at the right place; the CLI commands."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from docx_report.cli import main
from docx_report.context import example_context
from docx_report.errors import Level, Problem
from docx_report.pack import builtin_packs, load_pack
from docx_report.render import CompiledTemplate
from docx_report.template_lint import lint_template
from tests.test_render import make_template

KNOWN: dict[str, Any] = {
    "agency": "某某局",
    "year": 2024,
    "zero": 0,
    "show": True,
    "contact": {"name": "张三", "phone": "0571-1234"},
    "rows": [{"name": "纸", "qty": 1}, {"name": "笔", "qty": 2}],
}
CLEAN = [
    "{{ agency }}{{ year }}年度报告",
    "{% if show %}联系人：{{ contact.name }}（{{ contact.phone }}）{% endif %}",
    "{%p for r in rows %}",
    "{{ r.name }}：{{ r.qty }}",
    "{%p endfor %}",
    "{{ zero }}",
]


def lint(tmp_path: Path, paragraphs: list[Any], **kw: Any) -> list[Problem]:
    return lint_template(make_template(tmp_path / "t.docx", paragraphs, **kw), KNOWN)


def messages(problems: list[Problem], level: Level | None = None) -> list[str]:
    return [p.message for p in problems if level is None or p.level is level]


def test_a_clean_template_has_no_problem(tmp_path: Path) -> None:
    assert lint(tmp_path, CLEAN) == []


def test_unknown_field_with_did_you_mean(tmp_path: Path) -> None:
    problems = lint(tmp_path, ["标题", "{{ agncy }}", *CLEAN])
    assert messages(problems) == ["第 2 段「{{ agncy }}」：未知字段 agncy，是否应为 agency？"]
    assert problems[0].level is Level.ERROR
    assert problems[0].sheet == "" and problems[0].rule == "template.unknown-field"
    assert problems[0].file.endswith("t.docx")


def test_unknown_attribute_of_a_group(tmp_path: Path) -> None:
    problems = lint(tmp_path, [*CLEAN, "{{ contact.nmae }}"])
    assert messages(problems) == [
        "第 7 段「{{ contact.nmae }}」：未知字段 nmae（contact 中没有），是否应为 name？"]


def test_unknown_field_of_a_loop_in_a_table_cell(tmp_path: Path) -> None:
    problems = lint(tmp_path, CLEAN, table=[
        ["{%tr for r in rows %}", ""], ["{{ r.name }}", "{{ r.qyt }}"], ["{%tr endfor %}", ""]])
    assert messages(problems) == [
        "第 1 个表格第 2 行第 2 列「{{ r.qyt }}」：未知字段 qyt（rows[] 中没有），是否应为 qty？"]


def test_field_without_any_close_match(tmp_path: Path) -> None:
    assert messages(lint(tmp_path, [*CLEAN, "{{ 完全不同 }}"])) == [
        "第 7 段「{{ 完全不同 }}」：未知字段 完全不同"]


def test_unused_fields_are_warnings(tmp_path: Path) -> None:
    problems = lint(tmp_path, ["{{ agency }}{{ year }}{{ zero }}{{ show }}",
                               "{% for r in rows %}{{ r.name }}{% endfor %}"])
    assert [(p.level, p.message) for p in problems] == [
        (Level.WARNING, "数据中的字段 contact 模板中没有使用"),
        (Level.WARNING, "数据中的字段 rows[].qty 模板中没有使用"),
    ]


def test_fields_in_headers_and_footers(tmp_path: Path) -> None:
    problems = lint(tmp_path, CLEAN, header="{{ agencyy }}", footer="第 {{ yaer }} 年")
    assert messages(problems) == [
        "页眉第 1 段「{{ agencyy }}」：未知字段 agencyy，是否应为 agency？",
        "页脚第 1 段「第 {{ yaer }} 年」：未知字段 yaer，是否应为 year？",
    ]


def test_a_field_used_only_in_the_header_is_used(tmp_path: Path) -> None:
    problems = lint(tmp_path, [p for p in CLEAN if "agency" not in p] + ["{{ year }}"],
                    header="{{ agency }}")
    assert problems == []


@pytest.mark.parametrize(
    ("paragraphs", "extra", "rule", "level", "expected"),
    [
        (["{{ a b }}"], {}, "template.syntax", Level.ERROR,
         "第 7 段「{{ a b }}」：模板语法错误"),
        ([["前文", "{{ agen", "cy }}"]], {}, "template.split-format", Level.WARNING,
         "第 7 段「前文{{ agency }}」：标签「{{ agency }}」的各部分格式不同"),
        (["｛｛ agency ｝｝"], {}, "template.fullwidth", Level.ERROR,
         "第 7 段「｛｛ agency ｝｝」：「｛｛」含有全角括号"),
        (["{%p if show %}这段文字会被删除", "x", "{%p endif %}"], {}, "template.p-tag-text",
         Level.WARNING, "第 7 段「{%p if show %}这段文字会被删除」："
         "「{%p if show %}」会替换整个段，同一段中的其他文字「这段文字会被删除」会被删除"),
        (["{%tr for r in rows %}", "{%tr endfor %}"], {}, "template.outside-table", Level.ERROR,
         "第 7 段「{%tr for r in rows %}」：「{%tr for r in rows %}」不在表格中"),
        (["{% tr for r in rows %}"], {}, "template.prefix-space", Level.ERROR,
         "第 7 段「{% tr for r in rows %}」：「{% tr for…」中 {% 与 tr 之间不能有空格"),
        (["{{ agency", "}}"], {}, "template.unclosed-tag", Level.ERROR,
         "第 7 段「{{ agency」：标签「{{ agency」没有在本段内结束"),
        (["{%p for r in rows %}", "{{ r.name }}"], {}, "template.unbalanced", Level.ERROR,
         "第 7 段「{%p for r in rows %}」：「{%p for r in rows %}」没有对应的结束标签 "
         "{%p endfor %}"),
        (["{% endif %}"], {}, "template.unbalanced", Level.ERROR,
         "第 7 段「{% endif %}」：多余的「{% endif %}」，前面没有对应的 {% if %}"),
        (["{%p if show %}", "x", "{% endif %}"], {}, "template.unbalanced", Level.ERROR,
         "第 9 段「{% endif %}」：开始标签「{%p if show %}」（第 7 段「{%p if show %}」）"
         "与结束标签「{% endif %}」写法不一致，应都用 {%p … %}"),
        (["甲{% if show %}乙", "丙{% endif %}丁"], {}, "template.cross-paragraph", Level.WARNING,
         "第 7 段「甲{% if show %}乙」：「{% if show %}」与「{% endif %}」"
         "（第 8 段「丙{% endif %}丁」）不在同一段"),
        (["x"], {"table": [["{%tr for r in rows %}", "多余文字"], ["{{ r.name }}", ""],
                           ["{%tr endfor %}", ""]]},
         "template.p-tag-text", Level.WARNING,
         "第 1 个表格第 1 行第 1 列「{%tr for r in rows %}」："
         "「{%tr for r in rows %}」会替换整个行，同一行中的其他文字「多余文字」会被删除"),
        (["x"], {"footer": "{% if show %}页脚"}, "template.unbalanced", Level.ERROR,
         "页脚第 1 段「{% if show %}页脚」：「{% if show %}」没有对应的结束标签 {% endif %}"),
        (["x"], {"header": "{{ agency | }}"}, "template.syntax", Level.ERROR,
         "页眉第 1 段「{{ agency | }}」：模板语法错误"),
        (["{{ 1 // zero }}"], {}, "template.render", Level.ERROR,
         "试渲染失败：第 7 段「{{ 1 // zero }}」：模板运行出错（ZeroDivisionError"),
        (["{{ ''.__class__.__mro__ }}"], {}, "template.syntax", Level.ERROR,
         "第 7 段「{{ ''.__class__.__mro__ }}」：模板试图访问不安全的属性 __mro__"),
    ],
    ids=["syntax", "split-format", "fullwidth", "p-tag-text", "tr-outside-table",
         "prefix-space", "unclosed", "unclosed-for", "extra-end", "prefix-mismatch",
         "cross-paragraph", "tr-row-text", "footer", "header-syntax", "trial-render", "unsafe"],
)
def test_each_defect_is_reported_where_it_sits(
    tmp_path: Path, paragraphs: list[Any], extra: dict[str, Any], rule: str, level: Level,
    expected: str,
) -> None:
    problems = lint(tmp_path, [*CLEAN, *paragraphs], **extra)
    found = [p for p in problems if p.rule == rule]
    assert found, messages(problems)
    assert found[0].level is level
    assert found[0].message.startswith(expected), found[0].message


def test_a_tag_split_with_the_same_formatting_is_fine(tmp_path: Path) -> None:
    """docxtpl joins the runs of a tag Word split; only different formatting is a problem."""
    assert lint(tmp_path, [*CLEAN, ["前文", "粗体", "{{ agen", "cy }}"]]) == []


def test_word_splitting_chinese_and_latin_text_is_not_a_formatting_problem(
        tmp_path: Path) -> None:
    """Word splits runs where the script changes and marks the Chinese one with a font hint
    (and a language); that is not a formatting difference."""
    template = make_template(tmp_path / "t.docx", CLEAN)
    document = docx.Document(template)
    p = document.add_paragraph()
    p.add_run("{{ ")
    chinese = p.add_run("机关名称")
    chinese.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:hint"), "eastAsia")
    lang = OxmlElement("w:lang")
    lang.set(qn("w:eastAsia"), "zh-CN")
    chinese.element.get_or_add_rPr().append(lang)
    p.add_run(" }}")
    document.save(template)
    assert lint_template(template, {**KNOWN, "机关名称": "某局"}) == []


def test_a_block_spanning_table_cells_breaks_the_document(tmp_path: Path) -> None:
    """{% if %} in one table cell, {% endif %} in the next: when the condition is false a
    cell silently disappears (the XML stays valid, so only lint can tell)."""
    template = make_template(tmp_path / "t.docx", CLEAN,
                             table=[["{% if zero %}甲", "乙{% endif %}", "丙"]])
    problems = lint_template(template, KNOWN)
    assert [p.rule for p in problems] == ["template.cross-cell"]
    assert problems[0].message.startswith(
        "第 1 个表格第 1 行第 1 列「{% if zero %}甲」：「{% if zero %}」与「{% endif %}」"
        "（第 1 个表格第 1 行第 2 列「乙{% endif %}」）不在同一个表格单元格中")
    rendered = docx.Document(io.BytesIO(CompiledTemplate.load(template).render(KNOWN)))
    assert len(rendered.tables[0].rows[0].cells) == 2  # one of three cells is gone


def test_lint_runs_nothing_from_a_hostile_template(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    tag = "{{ cycler.__init__.__globals__.os.popen('touch TARGET').read() }}"
    tag = tag.replace("TARGET", str(target))
    problems = lint(tmp_path, [*CLEAN, tag])
    assert any("不安全" in m for m in messages(problems, Level.ERROR))
    assert not target.exists()


def test_lint_stops_a_runaway_template(tmp_path: Path) -> None:
    problems = lint(tmp_path, [*CLEAN, "{% for a in range(100000) %}{% for b in range(100000) %}"
                               "{% endfor %}{% endfor %}"])
    assert any("超过" in m for m in messages(problems, Level.ERROR))


def test_several_problems_at_once(tmp_path: Path) -> None:
    problems = lint(tmp_path, [*CLEAN, "{{ agncy }}", ["a", "{{ ye", "ar }}"], "｛｛ x ｝｝"],
                    header="{{ contact.nam }}")
    assert {p.rule for p in problems} >= {"template.unknown-field", "template.split-format",
                                          "template.fullwidth"}
    assert any(m.startswith("页眉第 1 段") for m in messages(problems))


@pytest.mark.parametrize("name", builtin_packs())
def test_the_shipped_templates_have_no_error(name: str) -> None:
    pack = load_pack(name)
    problems = lint_template(pack.template_path, example_context(pack))
    assert messages(problems, Level.ERROR) == []


def test_a_restyled_shipped_template_still_lints_clean(tmp_path: Path) -> None:
    pack = load_pack(builtin_packs()[-1])
    document = docx.Document(pack.template_path)
    document.paragraphs[0].insert_paragraph_before("某某市人民政府办公室").runs[0].bold = True
    document.sections[0].header.paragraphs[0].add_run("（修改后的页眉）")
    restyled = tmp_path / "restyled.docx"
    document.save(restyled)
    assert messages(lint_template(restyled, example_context(pack)), Level.ERROR) == []


# --- the commands -------------------------------------------------------------------------


def test_template_export(tmp_path: Path) -> None:
    out = tmp_path / "我的模板.docx"
    result = CliRunner().invoke(main, ["template", "export", str(out)])
    assert result.exit_code == 0, result.output
    name = builtin_packs()[-1]
    assert out.read_bytes() == load_pack(name).template_path.read_bytes()
    again = CliRunner().invoke(main, ["template", "export", str(out)])
    assert again.exit_code == 1 and "已存在" in again.output
    forced = CliRunner().invoke(main, ["template", "export", str(out), "--force",
                                       "--pack", builtin_packs()[0]])
    assert forced.exit_code == 0
    assert out.read_bytes() == load_pack(builtin_packs()[0]).template_path.read_bytes()


def test_template_export_unknown_pack(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["template", "export", str(tmp_path / "a.docx"),
                                       "--pack", "nope"])
    assert result.exit_code == 1 and "nope" in result.output
    assert not (tmp_path / "a.docx").exists()


def test_template_check_exit_codes(tmp_path: Path) -> None:
    exported = tmp_path / "t.docx"
    assert CliRunner().invoke(main, ["template", "export", str(exported)]).exit_code == 0
    ok = CliRunner().invoke(main, ["template", "check", str(exported)])
    assert ok.exit_code == 0, ok.output
    document = docx.Document(exported)
    document.add_paragraph("{{ agncy_name }}")
    document.save(exported)
    bad = CliRunner().invoke(main, ["template", "check", str(exported)])
    assert bad.exit_code == 1
    assert "未知字段 agncy_name" in bad.output and "处错误" in bad.output


def test_template_check_fails_on_warnings_too(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.docx", ["{{ 项目名称 }}"])
    book = tmp_path / "w.xlsx"
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["字段", "值"])
    wb.active.append(["项目名称", "x"])
    wb.active.append(["没用到", "y"])
    wb.save(book)
    args = ["template", "check", str(template), "--workbook", str(book)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "没用到" in result.output
    assert "0 处错误、1 处警告" in result.output


def test_template_check_of_something_that_is_not_a_template(tmp_path: Path) -> None:
    bad = tmp_path / "x.docx"
    bad.write_text("not a zip")
    result = CliRunner().invoke(main, ["template", "check", str(bad)])
    assert result.exit_code == 1
    assert "不是有效的 Word 文件" in result.output and "Traceback" not in result.output


def test_the_shipped_template_passes_against_a_real_workbook_of_its_pack(tmp_path: Path) -> None:
    from tests.helpers import EXAMPLE_2021

    exported = tmp_path / "t.docx"
    assert CliRunner().invoke(main, ["template", "export", str(exported)]).exit_code == 0
    result = CliRunner().invoke(main, ["template", "check", str(exported), "--workbook",
                                       str(EXAMPLE_2021)])
    assert result.exit_code == 0, result.output
    assert "agency_kind" not in result.output
