"""CompiledTemplate: same output as plain docxtpl, safe with hostile templates, atomic files."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.shared import Pt, RGBColor
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from docx_report.errors import OutputError, TemplateError
from docx_report.render import CompiledTemplate, FieldUse, render_to_file

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def make_template(
    path: Path,
    paragraphs: Sequence[str | Sequence[str]] = (),
    *,
    table: Sequence[Sequence[str]] | None = None,
    merge_header: bool = False,
    header: str | None = None,
    footer: str | None = None,
) -> Path:
    """A .docx template: each paragraph a string, or a list of runs (as Word splits them)."""
    document = docx.Document()
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    if footer is not None:
        document.sections[0].footer.paragraphs[0].text = footer
    for paragraph in paragraphs:
        p = document.add_paragraph()
        for i, run in enumerate([paragraph] if isinstance(paragraph, str) else paragraph):
            p.add_run(run).bold = i == 1  # a middle run with other formatting
    if table is not None:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        t.style = "Table Grid"
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                t.cell(r, c).text = text
        if merge_header:
            t.cell(0, 0).merge(t.cell(0, 1))
    document.save(path)
    return path


def part(docx_bytes: bytes, name: str = "word/document.xml") -> bytes:
    return zipfile.ZipFile(io.BytesIO(docx_bytes)).read(name)


def canonical(xml: bytes) -> bytes:
    return bytes(etree.tostring(etree.fromstring(xml), method="c14n"))


def texts(docx_bytes: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(docx_bytes))
    return [p.text for p in document.paragraphs]


def docxtpl_render(template: Path, context: dict[str, Any]) -> bytes:
    tpl = DocxTemplate(template)
    env = SandboxedEnvironment(undefined=StrictUndefined)
    tpl.render(context, jinja_env=env, autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


CONTEXT: dict[str, Any] = {
    "agency": "某某市交通运输局 & <办公室>",
    "year": 2024,
    "show": True,
    "note": "第一行\n第二行\t制表",
    "rows": [
        {"name": "A4 纸", "unit": "包", "qty": 30},
        {"name": "签字笔", "unit": "支", "qty": 120},
        {"name": "文件夹 \"蓝色\"", "unit": "个", "qty": 15},
    ],
}


@pytest.fixture
def full_template(tmp_path: Path) -> Path:
    return make_template(
        tmp_path / "full.docx",
        [
            "{{ agency }}{{ year }}年度报告",
            ["本机关", "{{ agen", "cy }}", "于 {{ year }} 年发布。"],  # a tag Word split
            "{%p if show %}",
            "说明：{{ note }}",
            "{%p endif %}",
            "{%p for r in rows %}",
            "{{ loop.index }}. {{ r.name }}",
            "{%p endfor %}",
        ],
        table=[
            ["品名", "", "数量"],
            ["{%tr for r in rows %}", "", ""],
            ["{{ r.name }}", "{{ r.unit }}", "{{ r.qty }}"],
            ["{%tr endfor %}", "", ""],
        ],
        merge_header=True,
        header="{{ agency }}",
        footer="{{ year }} 年",
    )


@pytest.mark.parametrize("name", ["word/document.xml", "word/header1.xml", "word/footer1.xml"])
def test_output_equals_plain_docxtpl(full_template: Path, name: str) -> None:
    mine = CompiledTemplate.load(full_template).render(CONTEXT)
    reference = docxtpl_render(full_template, CONTEXT)
    assert canonical(part(mine, name)) == canonical(part(reference, name))


def test_column_loop_table_grid_is_fixed_like_docxtpl(tmp_path: Path) -> None:
    """{%tc for %} adds cells: the table grid must grow (docxtpl's fix_tables)."""
    template = make_template(
        tmp_path / "cols.docx", ["季度"],
        table=[["项目", "{%tc for q in quarters %}", "{{ q }}", "{%tc endfor %}"],
               ["收入", "{%tc for q in quarters %}", "{{ q }}万元", "{%tc endfor %}"]])
    context = {"quarters": ["一季度", "二季度", "三季度", "四季度"]}
    mine = CompiledTemplate.load(template).render(context)
    assert canonical(part(mine)) == canonical(part(docxtpl_render(template, context)))
    grid = etree.fromstring(part(mine)).find(f".//{W}tblGrid")
    assert len(grid) == 5


def test_one_compiled_template_renders_many_reports(full_template: Path) -> None:
    template = CompiledTemplate.load(full_template)
    first = template.render({**CONTEXT, "agency": "甲局"})
    second = template.render({**CONTEXT, "agency": "乙局", "rows": []})
    assert texts(first)[0] == "甲局2024年度报告"
    assert texts(second)[0] == "乙局2024年度报告"
    assert len(docx.Document(io.BytesIO(first)).tables[0].rows) == 4
    assert len(docx.Document(io.BytesIO(second)).tables[0].rows) == 1


def test_values_are_escaped_printed_literally_and_cleaned(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.docx", ["{{ a }}|{{ b }}|{{ c }}"])
    out = CompiledTemplate.load(template).render(
        {"a": "R&D <b>", "b": "{{ 7*7 }} {% if 1 %}x{% endif %}", "c": "响\x00应\x0b了\ufffe"}
    )
    assert texts(out) == ["R&D <b>|{{ 7*7 }} {% if 1 %}x{% endif %}|响应了"]


def test_tag_split_across_runs_is_repaired(full_template: Path) -> None:
    out = CompiledTemplate.load(full_template).render(CONTEXT)
    assert texts(out)[1] == "本机关某某市交通运输局 & <办公室>于 2024 年发布。"


def test_newlines_become_line_breaks(full_template: Path) -> None:
    xml = part(CompiledTemplate.load(full_template).render(CONTEXT))
    assert b"<w:br/>" in xml and b"<w:tab/>" in xml


def test_missing_variable_is_an_error_naming_it_and_the_place(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.docx", ["标题", "报送单位：{{ agncy }}"])
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate.load(template).render({"agency": "某局"})
    message = str(caught.value)
    assert "模板引用了不存在的字段 agncy" in message
    assert "第 2 段「报送单位：{{ agncy }}」" in message
    assert str(template) in message


def test_missing_attribute_in_a_table_loop(tmp_path: Path) -> None:
    template = make_template(
        tmp_path / "t.docx", ["表"],
        table=[["{%tr for r in rows %}"], ["{{ r.nam }}"], ["{%tr endfor %}"]])
    with pytest.raises(TemplateError, match="不存在的字段 nam"):
        CompiledTemplate.load(template).render({"rows": [{"name": "x"}]})


@pytest.mark.parametrize(
    ("paragraphs", "table", "where"),
    [
        (["正文", "{% if x %}没有结束"], None, "第 2 段"),
        (["{{ a b }}"], None, "第 1 段「{{ a b }}」"),
        (["表格前"], [["名称", "{{ x | }}"]], "第 1 个表格第 1 行第 2 列「{{ x | }}」"),
        (["x"], [["{%tr for r in rows %}"], ["{{ r }}"], ["{%tr endfro %}"]],
         "第 1 个表格第 3 行第 1 列"),
        (["a", "{{ x|nosuchfilter }}"], None, "第 2 段「{{ x|nosuchfilter }}」：模板语法错误，"
         "没有名为 nosuchfilter 的过滤器"),
        (["{{ x is nosuchtest }}"], None, "第 1 段「{{ x is nosuchtest }}」：模板语法错误，"
         "没有名为 nosuchtest 的测试"),
    ],
)
def test_syntax_errors_say_where(
    tmp_path: Path, paragraphs: list[str], table: list[list[str]] | None, where: str
) -> None:
    template = make_template(tmp_path / "t.docx", paragraphs, table=table)
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate.load(template)
    assert "模板语法错误" in str(caught.value)
    assert where in str(caught.value)


def test_syntax_error_in_a_header_says_header(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.docx", ["正文"], header="{{ agency ")
    with pytest.raises(TemplateError, match="页眉第 1 段"):
        CompiledTemplate.load(template)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"just text", "不是有效的 Word 文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧版 .doc"),
        (None, "不是有效的 Word 文件"),  # a truncated .docx
    ],
)
def test_files_that_are_not_templates(
    tmp_path: Path, full_template: Path, content: bytes | None, expected: str
) -> None:
    bad = tmp_path / "bad.docx"
    bad.write_bytes(content if content is not None else full_template.read_bytes()[:3000])
    with pytest.raises(TemplateError, match=expected) as caught:
        CompiledTemplate.load(bad)
    assert str(bad) in str(caught.value)


def test_missing_template_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="找不到模板文件"):
        CompiledTemplate.load(tmp_path / "none.docx")


def test_zip_without_word_document(tmp_path: Path) -> None:
    bad = tmp_path / "x.docx"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(TemplateError, match="找不到正文"):
        CompiledTemplate.load(bad)


# --- hostile templates -------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ ''|attr('__class__') }}",
        "{{ rows|map(attribute='__class__')|list }}",
        "{{ x['__class__'] }}",
        "{{ x.__init__.__globals__['os'] }}",
    ],
)
def test_unsafe_attributes_are_refused_before_running(tmp_path: Path, tag: str) -> None:
    template = make_template(tmp_path / "t.docx", [tag])
    with pytest.raises(TemplateError, match="模板试图访问不安全的属性"):
        CompiledTemplate.load(template)


@pytest.mark.parametrize(
    "tag",
    [
        "{{ lipsum.__globals__['os'].system('touch %s') }}",
        "{{ self.__init__.__globals__.__builtins__.open('%s', 'w').write('x') }}",
        "{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}",
        "{{ '{0.__init__.__globals__[os].system}'.format(x)('touch %s') }}",
        "{{ x.__class__.__base__.__subclasses__() }}{{ '%s' }}",
        "{% include '%s' %}",
    ],
)
def test_hostile_template_has_no_side_effect(tmp_path: Path, tag: str) -> None:
    target = tmp_path / "pwned"
    template = make_template(tmp_path / "t.docx", [tag.replace("%s", str(target))])
    with pytest.raises(TemplateError):
        CompiledTemplate.load(template).render({"x": "text"})
    assert not target.exists()


def test_format_string_attack_is_refused_when_run(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.docx", ["{{ '{0.__class__}'.format(x) }}"])
    with pytest.raises(TemplateError, match="不安全"):
        CompiledTemplate.load(template).render({"x": "text"})


RUNAWAY = [
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "{% set r = range(100000) %}{% for a in r %}{% for b in r %}{% endfor %}{% endfor %}",
    "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
]


@pytest.mark.parametrize("tag", RUNAWAY)
def test_runaway_loops_stop_within_the_time_limit(tmp_path: Path, tag: str) -> None:
    template = CompiledTemplate.load(make_template(tmp_path / "t.docx", [tag]), time_limit=0.5)
    started = time.monotonic()
    with pytest.raises(TemplateError, match=r"超过 0\.5 秒"):
        template.render({})
    assert time.monotonic() - started < 2.5


def test_runaway_loop_stops_off_the_main_thread(tmp_path: Path) -> None:
    template = CompiledTemplate.load(make_template(tmp_path / "t.docx", [RUNAWAY[1]]),
                                     time_limit=0.5)
    errors: list[str] = []

    def work() -> None:
        try:
            template.render({})
        except TemplateError as exc:
            errors.append(str(exc))

    started = time.monotonic()
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - started < 2.5
    assert errors and "超过 0.5 秒" in errors[0]


def test_time_limit_does_not_leak_into_later_work(full_template: Path) -> None:
    template = CompiledTemplate.load(full_template, time_limit=0.2)
    template.render(CONTEXT)
    time.sleep(0.5)  # an alarm left behind would interrupt this test
    template.render(CONTEXT)


@pytest.mark.parametrize("in_thread", [False, True], ids=["main-thread", "other-thread"])
def test_a_limit_hit_at_any_moment_leaves_nothing_behind(tmp_path: Path, in_thread: bool) -> None:
    """Limits of microseconds make the alarm fire at every possible moment, even before the
    render starts; no alarm, handler or watchdog thread may outlive its render."""
    template = CompiledTemplate.load(make_template(tmp_path / "t.docx", ["{{ a }}"]))
    errors: list[BaseException] = []
    threads_before = threading.active_count()

    def work() -> None:
        try:
            for i in range(300):
                template.time_limit = 1e-6 * (1 + i % 50)
                with contextlib.suppress(TemplateError):
                    template.render({"a": i})
            for _ in range(4):
                time.sleep(0.1)  # a leftover alarm or watchdog would fire into this
                sum(range(10000))
        except BaseException as exc:
            errors.append(exc)

    if in_thread:
        thread = threading.Thread(target=work)
        thread.start()
        thread.join(30)
    else:
        work()
    assert errors == []
    assert threading.active_count() == threads_before


@pytest.mark.parametrize(
    "tag",
    [
        "{{ 'x' * 10**10 }}",
        "{{ 9**(9**9) }}",
        "{{ [1] * 10**8 }}",
        "{{ 'x'|center(10**10) }}",
        "{{ 'x'.ljust(10000000000) }}",
        "{{ '%0*d' % (10**9, 1) }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{% set ns = namespace(s='xx') %}{% for i in range(64) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "{% set ns = namespace(s='xx') %}{% for i in range(64) %}"
        "{% set ns.s = ns.s + ns.s %}{% endfor %}",
        "{% set ns = namespace(s='xx') %}{% for i in range(64) %}"
        "{% set ns.s = ns.s|replace('x', 'xxxx') %}{% endfor %}",
        "{% set ns = namespace(s='xx') %}{% for i in range(64) %}"
        "{% set ns.s %}{{ ns.s }}{{ ns.s }}{% endset %}{% endfor %}",
    ],
)
def test_memory_bombs_are_stopped(tmp_path: Path, tag: str) -> None:
    template = CompiledTemplate.load(make_template(tmp_path / "t.docx", [tag]))
    started = time.monotonic()
    with pytest.raises(TemplateError, match=r"过大|超过"):
        template.render({})
    assert time.monotonic() - started < 6


def test_ordinary_arithmetic_and_formatting_still_work(tmp_path: Path) -> None:
    template = make_template(
        tmp_path / "t.docx",
        ["{{ '{:,}'.format(amount) }}|{{ '%.2f'|format(rate * 100) }}|{{ 2 ** 10 }}|"
         "{{ '-' * 3 }}|{{ rows|map(attribute='qty')|sum }}"])
    out = CompiledTemplate.load(template).render(
        {"amount": 12345678901, "rate": 0.125, "rows": CONTEXT["rows"]})
    assert texts(out) == ["12,345,678,901|12.50|1024|---|165"]


def test_recursion_is_stopped(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.docx",
                             ["{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"])
    with pytest.raises(TemplateError, match="递归"):
        CompiledTemplate.load(template).render({})


def test_raw_xml_through_safe_filter_is_caught(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.docx", ["{{ x|safe }}"])
    with pytest.raises(TemplateError, match="不是有效的 Word XML"):
        CompiledTemplate.load(template).render({"x": "</w:t></w:r></w:p><w:p>"})


# --- properties and files ----------------------------------------------------------------


def test_core_properties(full_template: Path) -> None:
    out = CompiledTemplate.load(full_template).render(
        CONTEXT,
        properties={"title": "2024年度报告", "author": "某某局 <办公室>", "subject": "政府信息公开",
                    "keywords": "年报", "created": "2025-01-15"},
    )
    props = docx.Document(io.BytesIO(out)).core_properties
    assert props.title == "2024年度报告"
    assert props.author == "某某局 <办公室>"
    assert props.last_modified_by == "某某局 <办公室>"
    assert props.subject == "政府信息公开"
    assert props.keywords == "年报"
    assert props.created.year == 2025 and props.created.month == 1 and props.created.day == 15


def test_empty_created_date_keeps_the_templates(full_template: Path) -> None:
    out = CompiledTemplate.load(full_template).render(CONTEXT, properties={"created": "",
                                                                          "title": "t"})
    props = docx.Document(io.BytesIO(out)).core_properties
    assert props.title == "t"
    assert props.created == docx.Document(full_template).core_properties.created


def test_bad_created_date(full_template: Path) -> None:
    with pytest.raises(TemplateError, match="created"):
        CompiledTemplate.load(full_template).render(CONTEXT, properties={"created": "去年"})


def test_template_without_core_properties_gets_them(tmp_path: Path, full_template: Path) -> None:
    stripped = tmp_path / "nocore.docx"
    with zipfile.ZipFile(full_template) as zin, zipfile.ZipFile(stripped, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "docProps/core.xml":
                continue
            if item.filename in ("_rels/.rels", "[Content_Types].xml"):
                root = etree.fromstring(data)
                for child in list(root):
                    if "core" in child.get("Type", "") + child.get("PartName", ""):
                        root.remove(child)
                data = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
            zout.writestr(item, data)
    out = CompiledTemplate.load(stripped).render(CONTEXT, properties={"title": "标题"})
    assert docx.Document(io.BytesIO(out)).core_properties.title == "标题"
    assert b"docProps/core.xml" in part(out, "[Content_Types].xml")


def test_every_part_is_kept(full_template: Path) -> None:
    out = CompiledTemplate.load(full_template).render(CONTEXT)
    before = sorted(zipfile.ZipFile(full_template).namelist())
    assert sorted(zipfile.ZipFile(io.BytesIO(out)).namelist()) == before
    for name in before:
        if name.endswith((".xml", ".rels")):
            etree.fromstring(part(out, name))  # every XML part is well-formed


def test_render_to_file_writes_atomically(tmp_path: Path, full_template: Path) -> None:
    template = CompiledTemplate.load(full_template)
    out = tmp_path / "out" / "报告.docx"
    out.parent.mkdir()
    render_to_file(template, CONTEXT, out, properties={"title": "t"})
    assert texts(out.read_bytes())[0].startswith("某某市交通运输局")
    first = out.read_bytes()
    with pytest.raises(TemplateError):
        render_to_file(template, {}, out)  # fails: the old file stays as it was
    assert out.read_bytes() == first
    assert [p.name for p in out.parent.iterdir()] == ["报告.docx"]  # no temp file left


def test_render_to_file_refuses_to_overwrite(tmp_path: Path, full_template: Path) -> None:
    out = tmp_path / "a.docx"
    out.write_bytes(b"keep")
    with pytest.raises(OutputError, match="已存在"):
        render_to_file(CompiledTemplate.load(full_template), CONTEXT, out, overwrite=False)
    assert out.read_bytes() == b"keep"


def test_render_to_file_missing_folder(tmp_path: Path, full_template: Path) -> None:
    with pytest.raises(OutputError, match="不存在"):
        render_to_file(CompiledTemplate.load(full_template), CONTEXT, tmp_path / "no" / "a.docx")


def test_failed_render_writes_nothing(tmp_path: Path) -> None:
    template = CompiledTemplate.load(make_template(tmp_path / "t.docx", ["{{ missing }}"]))
    out = tmp_path / "a.docx"
    with pytest.raises(TemplateError):
        render_to_file(template, {}, out)
    assert not out.exists()


# --- restyled templates and what a template refers to -------------------------------------


def test_restyled_template_renders(tmp_path: Path, full_template: Path) -> None:
    """An agency changes fonts, adds a red letterhead and header text: still renders."""
    document = docx.Document(full_template)
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            run.font.name = "仿宋_GB2312"
            run.font.size = Pt(16)
    letterhead = document.paragraphs[0].insert_paragraph_before("某某市人民政府办公室文件")
    letterhead.runs[0].font.color.rgb = RGBColor(0xC0, 0, 0)
    letterhead.runs[0].font.size = Pt(26)
    header = document.sections[0].header.paragraphs[0]
    header.add_run("  （内部资料）").italic = True
    restyled = tmp_path / "restyled.docx"
    document.save(restyled)
    out = CompiledTemplate.load(restyled).render(CONTEXT)
    rendered = docx.Document(io.BytesIO(out))
    assert rendered.paragraphs[0].text == "某某市人民政府办公室文件"
    assert rendered.paragraphs[1].text == "某某市交通运输局 & <办公室>2024年度报告"
    assert rendered.paragraphs[1].runs[0].font.name == "仿宋_GB2312"
    header_text = rendered.sections[0].header.paragraphs[0].text
    assert header_text == "某某市交通运输局 & <办公室>  （内部资料）"
    assert canonical(part(out)) == canonical(part(docxtpl_render(restyled, CONTEXT)))


def test_variables(full_template: Path) -> None:
    uses = CompiledTemplate.load(full_template).variables()
    paths = {u.path for u in uses}
    assert paths == {("agency",), ("year",), ("show",), ("note",),
                     ("rows", "*", "name"), ("rows", "*", "unit"), ("rows", "*", "qty")}
    assert FieldUse(("agency",), "页眉", "页眉第 1 段「{{ agency }}」") in uses
    assert any(u.path == ("year",) and u.part == "页脚" for u in uses)
    assert any(u.path == ("rows", "*", "qty") and "第 1 个表格第 3 行第 3 列" in u.place
               for u in uses)


@pytest.mark.pdf
@pytest.mark.slow
def test_libreoffice_opens_the_output(tmp_path: Path, full_template: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice is not None
    out = tmp_path / "out.docx"
    render_to_file(CompiledTemplate.load(full_template), CONTEXT, out)
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(out)], check=True, capture_output=True, timeout=180)
    assert (tmp_path / "out.pdf").stat().st_size > 1000


def _forced_fix(template: CompiledTemplate) -> CompiledTemplate:
    for compiled in template._parts:
        compiled.fix_tables = True
    return template


def test_table_fix_up_is_skipped_only_where_it_changes_nothing(
        tmp_path: Path, full_template: Path) -> None:
    """docxtpl's fix_tables runs only where a row can gain or lose cells; where it is skipped,
    running it anyway gives the same document (the built-in templates with their examples)."""
    from docx_report.pack import load_pack
    from docx_report.report import check_workbook, read_context
    from tests.helpers import EXAMPLE_2019, EXAMPLE_2021, EXAMPLES

    generic = EXAMPLES / "generic"
    cases = [(full_template, CONTEXT),
             (generic / "采购清单模板.docx", read_context(generic / "采购清单.xlsx"))]
    for example in (EXAMPLE_2021, EXAMPLE_2019):
        checked = check_workbook(example)
        cases.append((load_pack(checked.data.pack.name).template_path, checked.context()))
    for template, context in cases:
        skipping = CompiledTemplate.load(template)
        assert not any(p.fix_tables for p in skipping._parts), template
        fixed = _forced_fix(CompiledTemplate.load(template))
        assert part(skipping.render(context)) != b""
        assert canonical(part(skipping.render(context))) == canonical(part(fixed.render(context)))
    columns = make_template(tmp_path / "cols.docx", ["季度"],
                            table=[["项目", "{%tc for q in quarters %}", "{{ q }}",
                                    "{%tc endfor %}"]])
    assert CompiledTemplate.load(columns)._parts[0].fix_tables


@pytest.mark.parametrize(("source", "needed"), [
    ("<w:p/>", False),
    ("<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid>{% for r in x %}<w:tr><w:tc><w:p/></w:tc></w:tr>"
     "{% endfor %}</w:tbl>", False),
    ("<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid><w:tr>{% if x %}<w:tc><w:p/></w:tc>{% endif %}"
     "</w:tr></w:tbl>", True),  # a cell that may vanish
    ("<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid><w:tr><w:tc>{% if x %}<w:p/></w:tc><w:tc>"
     "{% endif %}<w:p/></w:tc></w:tr></w:tbl>", True),  # a block across two cells
    ("<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid><w:tr><w:tc><w:p/></w:tc></w:tr>"
     "</w:tbl>", True),  # the template's own grid is wrong: the fix-up repairs it
    ('<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid><w:tr><w:tc><w:tcPr><w:gridSpan w:val="{{ n }}"/>'
     "</w:tcPr><w:p/></w:tc></w:tr></w:tbl>", True),  # {% colspan %}
])
def test_when_the_table_fix_up_is_needed(source: str, needed: bool) -> None:
    from docx_report.table_grid import needs_fix

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    assert needs_fix(f"<w:body {ns}>{source}</w:body>") is needed


def test_compiled_parts_are_cached_on_disk_and_render_the_same(
        tmp_path: Path, full_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DOCX_REPORT_CACHE", str(cache))
    first = CompiledTemplate.load(full_template)
    entries = sorted(cache.iterdir())
    assert len(entries) == 3  # body, header, footer
    assert all(p.tree is not None for p in first._parts)
    second = CompiledTemplate.load(full_template)
    assert all(p.tree is None for p in second._parts)  # came from the cache
    assert part(second.render(CONTEXT)) == part(first.render(CONTEXT))
    assert second.variables() == first.variables()
    with pytest.raises(TemplateError, match="rows"):  # errors still name their place
        second.render({**CONTEXT, "rows": None})
    for entry in entries:  # a damaged entry is compiled again, and replaced
        entry.write_bytes(b"\x00garbage")
    third = CompiledTemplate.load(full_template)
    assert all(p.tree is not None for p in third._parts)
    assert part(third.render(CONTEXT)) == part(first.render(CONTEXT))
    monkeypatch.setenv("DOCX_REPORT_CACHE", "off")
    shutil.rmtree(cache)
    CompiledTemplate.load(full_template)
    assert not cache.exists()


def test_a_refused_template_is_never_cached(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DOCX_REPORT_CACHE", str(cache))
    hostile = make_template(tmp_path / "hostile.docx", ["{{ ''.__class__.__mro__ }}"])
    for _ in range(2):
        with pytest.raises(TemplateError):
            CompiledTemplate.load(hostile)
    assert not cache.exists() or not any(cache.iterdir())


def test_the_cache_keeps_its_newest_entries_only(
        tmp_path: Path, full_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from docx_report import template_cache

    cache = tmp_path / "cache"
    monkeypatch.setenv("DOCX_REPORT_CACHE", str(cache))
    monkeypatch.setattr(template_cache, "MAX_ENTRIES", 2)
    CompiledTemplate.load(full_template)  # three parts
    assert len(list(cache.glob("*.bin"))) == 2


def test_a_cache_folder_others_can_write_to_is_not_trusted(
        tmp_path: Path, full_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DOCX_REPORT_CACHE", str(cache))
    CompiledTemplate.load(full_template)
    assert len(list(cache.glob("*.bin"))) == 3
    cache.chmod(0o777)  # anyone could have planted compiled code there
    loaded = CompiledTemplate.load(full_template)
    assert all(p.tree is not None for p in loaded._parts)  # compiled again, nothing read
    shutil.rmtree(cache)
    cache.mkdir(mode=0o775)
    cache.chmod(0o775)
    CompiledTemplate.load(full_template)
    assert not any(cache.iterdir())  # nothing kept there either


def test_the_cache_folder_is_made_private(
        tmp_path: Path, full_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "new" / "cache"
    monkeypatch.setenv("DOCX_REPORT_CACHE", str(cache))
    old = os.umask(0o002)
    try:
        CompiledTemplate.load(full_template)
    finally:
        os.umask(old)
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
