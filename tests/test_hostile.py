"""Hostile inputs, as an attacker would make them: each class refused at its root, with a
located Chinese message, quickly and within bounded memory, never a traceback.

Every hostile file is built here, in the test (no binaries are committed). The suite grows
with each class of attack fixed; see issue 13.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import EXAMPLE_2021, T3, T4
from tests.test_bad_inputs import run, sheet_member

FACTS = "基本信息"
Change = bytes | Callable[[bytes], bytes] | None


def rezip(source: Path, changes: Mapping[str, Change] | None = None, *,
          renames: Mapping[str, str] | None = None, extra: Mapping[str, bytes] | None = None,
          ) -> bytes:
    """The zip's bytes with members changed (bytes, a function of the old bytes, or None to
    drop), renamed, or added."""
    changes, renames = changes or {}, renames or {}
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            change = changes.get(name, data)
            if change is None:
                continue
            zout.writestr(renames.get(name, name), change(data) if callable(change) else change)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return out.getvalue()


def write(tmp: Path, name: str, content: bytes) -> Path:
    path = tmp / name
    path.write_bytes(content)
    return path


def checked_quickly(path: Path, *args: str) -> str:
    """``check`` refuses the file within a few seconds; its stderr."""
    start = time.monotonic()
    result = run("check", path, *args)
    assert time.monotonic() - start < 30, "took too long"
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "内部错误" not in result.output
    assert re.search("[\u4e00-\u9fff]", result.stderr)
    return result.stderr


def sub_first(pattern: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        changed, n = re.subn(pattern, new, data, count=1)
        assert n == 1, pattern
        return changed

    return change


def before_end(tag: bytes, xml: bytes) -> Callable[[bytes], bytes]:
    """Insert ``xml`` before the closing ``tag`` of a part."""
    return lambda data: data.replace(tag, xml + tag, 1)


# ---------------------------------------------------------------------------------------------
# The workbook guard parses what openpyxl parses


@pytest.mark.parametrize("ref", [
    b"ref='A1:XFD1048576'",  # single quotes
    b'ref = "A1:XFD1048576"',  # spaces around =
    b'ref="A1:XFD1048576"  ',
    b'ref="$A$1:$XFD$1048576"',
])
def test_huge_merge_in_any_spelling_is_refused(ref: bytes, tmp_path: Path) -> None:
    member = sheet_member(T4)
    path = write(tmp_path, "合并.xlsx", rezip(EXAMPLE_2021, {
        member: sub_first(rb'<mergeCell ref="[^"]+"/>', b"<mergeCell " + ref + b"/>")}))
    assert "工作表「四、复议诉讼」合并了异常巨大的区域" in checked_quickly(path)


def test_worksheet_under_another_name_is_guarded_and_named(tmp_path: Path) -> None:
    member = sheet_member(T4)
    hidden = "xl/data/hidden.bin"
    path = write(tmp_path, "改名.xlsx", rezip(EXAMPLE_2021, {
        member: sub_first(rb'<mergeCell ref="[^"]+"/>', b'<mergeCell ref="A1:XFD1048576"/>'),
        "xl/_rels/workbook.xml.rels":
            lambda d: d.replace(f"/{member}".encode(), b"data/hidden.bin"),
        "[Content_Types].xml": lambda d: d.replace(f"/{member}".encode(), f"/{hidden}".encode()),
    }, renames={member: hidden}))
    assert "工作表「四、复议诉讼」合并了异常巨大的区域" in checked_quickly(path)


def test_huge_ranged_hyperlink_is_refused(tmp_path: Path) -> None:
    link = b'<hyperlinks><hyperlink ref="D10:XFD1048576" display="x"/></hyperlinks>'
    path = write(tmp_path, "链接.xlsx", rezip(EXAMPLE_2021, {
        sheet_member(T3): sub_first(rb"(</mergeCells>)", rb"\1" + link)}))
    assert ("工作表「三、依申请公开」给异常巨大的区域（D10:XFD1048576）设置了超链接"
            in checked_quickly(path))


def test_many_condition_ranges_are_refused(tmp_path: Path) -> None:
    sqref = b" ".join(b"A%d" % i for i in range(1, 100_002))
    rule = (b'<conditionalFormatting sqref="' + sqref + b'"><cfRule type="expression" '
            b'priority="1"><formula>TRUE</formula></cfRule></conditionalFormatting>')
    path = write(tmp_path, "条件格式.xlsx", rezip(EXAMPLE_2021, {
        sheet_member(T3): sub_first(rb"(</mergeCells>)", rb"\1" + rule)}))
    assert "条件格式或数据验证的区域异常之多" in checked_quickly(path)


_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.mark.parametrize("cell", [
    # the main namespace under a prefix that no \w pattern matches
    b'<x-y:c xmlns:x-y="%s" r="XFD1048576"><x-y:v>1</x-y:v></x-y:c>' % _MAIN,
    "<单:c xmlns:单='%s' r='XFD1048576'><单:v>1</单:v></单:c>".encode() % _MAIN,
    # another namespace: openpyxl ignores the cell, calamine reads every element named c
    b'<o.p:c xmlns:o.p="urn:other" r="XFD1048576"><o.p:v>1</o.p:v></o.p:c>',
    b'<c xmlns="" r="XFD1048576"><v>1</v></c>',
], ids=["dash-prefix", "chinese-prefix", "other-namespace", "no-namespace"])
def test_a_far_cell_under_any_prefix_never_builds_a_dense_grid(cell: bytes,
                                                               tmp_path: Path) -> None:
    """One cell at XFD1048576, written so no byte pattern sees it: python-calamine would build
    a grid of 17 billion cells and abort; the guard sees it as a namespace-aware parser does,
    and openpyxl (which keeps only real cells) reads the workbook, within a memory limit."""
    row = b'<row r="1048576">' + cell + b"</row>"
    path = write(tmp_path, "远格.xlsx", rezip(EXAMPLE_2021, {
        sheet_member(T3): before_end(b"</sheetData>", row)}))
    checked_within_memory(path)


def test_a_declared_count_of_shared_strings_is_never_trusted(tmp_path: Path) -> None:
    """Shared strings declaring 10^14 strings: python-calamine would reserve room for them
    all before reading one (and abort); openpyxl reads the workbook instead."""
    strings = b'<sst xmlns="%s" count="1" uniqueCount="99999999999999"><si><t>a</t></si></sst>'
    path = write(tmp_path, "共享.xlsx", rezip(EXAMPLE_2021, extra={
        "xl/sharedStrings.xml": strings % _MAIN}))
    checked_within_memory(path)


def checked_within_memory(path: Path, limit: int = 1500 * 2**20) -> None:
    """``check`` reads the workbook (exit 0) in a process whose address space is limited."""
    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run([sys.executable, "-m", "docx_report", "check", str(path)],
                          capture_output=True, text=True, preexec_fn=limited, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "panicked" not in done.stderr and "Traceback" not in done.stderr


def test_elements_are_bounded_in_any_part(tmp_path: Path) -> None:
    """Ten million elements in a part no reader looks into by name: refused (the '<' bytes
    bound the elements of the parts parsed in C only), quickly."""
    many = b"<x>" + b"<a/>" * 10_000_001 + b"</x>"
    path = write(tmp_path, "元素.xlsx", rezip(EXAMPLE_2021, extra={"xl/extra.xml": many}))
    assert "文件包含的内容异常之多" in checked_quickly(path)


@pytest.mark.parametrize("encoding", ["cp500", "cp037"])
def test_a_part_where_the_markup_is_other_bytes_is_refused(encoding: str,
                                                          tmp_path: Path) -> None:
    """expat reads no encoding where '<' is another byte (EBCDIC): such a part is damaged, so
    the '<' bytes always bound the elements."""
    declaration, root = f'<?xml version="1.0" encoding="{encoding}"?>', "<styleSheet/>"
    for data in ((declaration + root).encode(encoding),
                 declaration.encode() + root.encode(encoding)):
        path = write(tmp_path, "编码.xlsx", rezip(EXAMPLE_2021, {"xl/styles.xml": data}))
        assert "文件已损坏" in checked_quickly(path)


def test_member_that_lies_about_its_size_is_never_inflated_whole(tmp_path: Path) -> None:
    """A member declaring 8 KB that inflates to 1 GiB: refused in bounded memory (the check
    runs in a process whose address space is limited far below 1 GiB of extra memory)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    packed = b"".join(deflate.compress(chunk) for _ in range(1024)) + deflate.flush()
    declared = 8 * 1024
    crc = zlib.crc32(bytes(declared))
    # styles.xml: a part openpyxl reads with one read(), which inflates all before cutting
    content = rezip(EXAMPLE_2021, {"xl/styles.xml": bytes(64)})
    name = b"xl/styles.xml"
    # Replace the small member's data by the bomb, declaring 8 KB in both headers.
    data = bytearray(content)
    local = next(m.start() for m in re.finditer(rb"PK\x03\x04", data)
                 if data[m.start() + 30:m.start() + 30 + len(name)] == name)
    central = next(m.start() for m in re.finditer(rb"PK\x01\x02", data)
                   if data[m.start() + 46:m.start() + 46 + len(name)] == name)
    old_packed = int.from_bytes(data[local + 18:local + 22], "little")
    header_end = local + 30 + len(name) + int.from_bytes(data[local + 28:local + 30], "little")
    head = bytearray(data[local:header_end])
    head[8:10] = (8).to_bytes(2, "little")
    head[14:18] = crc.to_bytes(4, "little")
    head[18:22] = len(packed).to_bytes(4, "little")
    head[22:26] = declared.to_bytes(4, "little")
    cd_entry = bytearray(data[central:central + 46])
    cd_entry[10:12] = (8).to_bytes(2, "little")
    cd_entry[16:20] = crc.to_bytes(4, "little")
    cd_entry[20:24] = len(packed).to_bytes(4, "little")
    cd_entry[24:28] = declared.to_bytes(4, "little")
    shift = len(packed) - old_packed
    rebuilt = (data[:local] + head + packed + data[header_end + old_packed:central]
               + cd_entry + data[central + 46:])
    end = rebuilt.rfind(b"PK\x05\x06")
    cd_offset = int.from_bytes(rebuilt[end + 16:end + 20], "little") + shift
    rebuilt[end + 16:end + 20] = cd_offset.to_bytes(4, "little")
    # Later central entries point at local headers after the bomb: shift them too.
    at = rebuilt.find(b"PK\x01\x02", cd_offset)
    while at != -1:
        offset = int.from_bytes(rebuilt[at + 42:at + 46], "little")
        if offset > local:
            rebuilt[at + 42:at + 46] = (offset + shift).to_bytes(4, "little")
        at = rebuilt.find(b"PK\x01\x02", at + 4)
    path = write(tmp_path, "谎报.xlsx", bytes(rebuilt))
    assert path.stat().st_size < 5 * 2**20
    with zipfile.ZipFile(path) as zf:  # the lie is in place: declared 8 KB, real 1 GiB
        assert zf.getinfo(name.decode()).file_size == declared
        assert len(zlib.decompressobj(-15).decompress(packed[:200_000])) > declared
    limit = 600 * 2**20

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "docx_report", "check", str(path)],
                          capture_output=True, text=True, preexec_fn=limited, timeout=120)
    assert time.monotonic() - start < 30
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "内部错误" not in done.stderr
    assert "压缩炸弹" in done.stderr, done.stderr


def test_real_bytes_over_the_limit_are_refused_whatever_is_declared(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(EXAMPLE_2021) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in zin.namelist():
            z.writestr(name, zin.read(name))
        for i in range(3):  # three members of 40 MB of zeros: each under, together over
            with z.open(f"xl/media/pad{i}.bin", "w", force_zip64=True) as fh:
                for _ in range(40):
                    fh.write(bytes(1 << 20))
    path = write(tmp_path, "填充.xlsx", out.getvalue())
    assert "压缩炸弹" in checked_quickly(path)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "x.xlsx"
    os.mkfifo(fifo)
    outcome: list[str] = []
    thread = threading.Thread(target=lambda: outcome.append(checked_quickly(fifo)), daemon=True)
    thread.start()
    thread.join(20)
    assert outcome, "check blocked on a FIFO"
    assert "不是普通文件" in outcome[0]


def test_encrypted_zip_member_is_named_in_chinese(tmp_path: Path) -> None:
    data = bytearray(EXAMPLE_2021.read_bytes())
    name = sheet_member(T3).encode()
    for signature, flags, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        for m in re.finditer(re.escape(signature), data):
            if data[m.start() + name_at:m.start() + name_at + len(name)] == name:
                data[m.start() + flags] |= 1
    path = write(tmp_path, "加密.xlsx", bytes(data))
    assert "被压缩软件加了密码" in checked_quickly(path)


@pytest.mark.parametrize("value", [b"NaN", b"INF", b"-inf", b"1.5.2"])
def test_unreadable_number_is_located(value: bytes, tmp_path: Path) -> None:
    path = write(tmp_path, "数值.xlsx", rezip(EXAMPLE_2021, {
        sheet_member(T3): sub_first(rb"<v>48</v>", b"<v>" + value + b"</v>")}))
    stderr = checked_quickly(path)
    assert f"工作表「{T3}」单元格 D8 的值「{value.decode()}」不是有效的数值" in stderr


def test_openpyxl_warnings_never_reach_the_clerk(tmp_path: Path) -> None:
    """x14 data validations (every Excel writes them), unknown extensions and long sheet titles
    make openpyxl warn in English; the workbook is read as usual and nothing English is
    printed. (pytest turns warnings into errors: an escaped one fails the check.)"""
    ext = (b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
           b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
           b'<x14:dataValidations count="0"/></ext>'
           b'<ext uri="{00000000-1111-2222-3333-444444444444}"><foo/></ext></extLst>')
    path = write(tmp_path, "扩展.xlsx", rezip(EXAMPLE_2021, {
        sheet_member(T3): before_end(b"</worksheet>", ext)}))
    book = openpyxl.load_workbook(EXAMPLE_2021)
    assert book  # the example itself loads
    result = run("check", path)
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output and "extension" not in result.output


def test_entity_attack_is_unsafe_not_damaged(tmp_path: Path) -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
              + b"".join(b'<!ENTITY a%d "%s">' % (i, b"&a;" * 10 if i == 1 else
                                                     b"&a%d;" % (i - 1) * 10)
                         for i in range(1, 8)) + b"]>")
    path = write(tmp_path, "实体.xlsx", rezip(EXAMPLE_2021, {
        "xl/styles.xml": lambda d: laughs + d[d.index(b"<styleSheet"):]}))
    stderr = checked_quickly(path)
    assert "不安全的 XML" in stderr and "损坏" not in stderr


# ---------------------------------------------------------------------------------------------
# Template sandbox: sizes checked before a value is built


@pytest.mark.parametrize("tag", [
    "{{ '%(a)9999999999s' % {'a': 1} }}",
    "{{ '%(a)299999999s' % {'a': 1} }}",
    "{{ '%(a).999999999f' % {'a': 1} }}",
    "{{ '%-099999999d' % 1 }}",
    "{{ '%(a)s' * 200000 % {'a': 'x' * 900000} }}",
    "{{ '{0:0>99999999}'.format(1) }}",
    "{{ '{a:{w}}'.format(a=1, w=10**9) }}",
    "{{ '{0}{0}{0}{0}{0}{0}'.format('x' * 900000) }}",
    "{{ '%s'|format('x') ~ '%99999999s'|format('x') }}",
    "{{ ('x' * 900000).join(range(5000)) }}",
    "{{ range(5000)|join('x' * 900000) }}",
    "{{ [1]|batch(10**9, 'x') }}",
    "{{ 'aaaa'.translate({97: 'x' * 900000}) }}",
    # many values, each under the cap: 1 MB strings kept in a list
    "{% set keep = [] %}{% for i in range(2000) %}"
    "{{ keep.append('x' * 900000 ~ i) }}{% endfor %}",
])
def test_sandbox_refuses_before_building(tag: str, tmp_path: Path) -> None:
    from docx_report.errors import TemplateError
    from docx_report.render import CompiledTemplate
    from tests.test_render import make_template

    template = CompiledTemplate.load(make_template(tmp_path / "t.docx", [tag]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(TemplateError, match="过大"):
        template.render({})
    assert time.monotonic() - started < 30  # stopped, not finished
    # nothing near the size asked for was allocated (ru_maxrss is in KB)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 300 * 1024


# ---------------------------------------------------------------------------------------------
# Templates reach nothing outside them

GENERIC = EXAMPLE_2021.parent / "generic"
GENERIC_TEMPLATE = GENERIC / "采购清单模板.docx"
GENERIC_WORKBOOK = GENERIC / "采购清单.xlsx"
DOC_RELS = "word/_rels/document.xml.rels"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def with_relationship(kind: str, target: str, *,
                      external: bool = True) -> Callable[[bytes], bytes]:
    mode = b' TargetMode="External"' if external else b""
    rel = (b'<Relationship Id="rIdHostile" Type="' + (REL + kind).encode() + b'" Target="'
           + target.encode() + b'"' + mode + b"/>")
    return before_end(b"</Relationships>", rel)


def build_with_template(tmp: Path, template: Path) -> tuple[int, str, Path]:
    out = tmp / "out" / "清单.docx"
    out.parent.mkdir(exist_ok=True)
    result = run("build", GENERIC_WORKBOOK, "--template", template, "-o", out)
    return result.exit_code, result.stderr, out


@pytest.mark.parametrize(("kind", "target", "says"), [
    ("image", "http://127.0.0.1:9/spy.png", "图片（http://127.0.0.1:9/spy.png）"),
    ("image", "file:///etc/passwd", "图片（file:///etc/passwd）"),
    ("hyperlink", "file:///etc/passwd", "超链接（file:///etc/passwd）"),
    ("oleObject", "\\\\server\\share\\x.xls", "嵌入对象"),
    ("subDocument", "http://example.invalid/x.docx", "子文档"),
])
def test_external_relationship_in_template_is_refused(kind: str, target: str, says: str,
                                                      tmp_path: Path) -> None:
    template = write(tmp_path, "外链.docx", rezip(GENERIC_TEMPLATE, {
        DOC_RELS: with_relationship(kind, target)}))
    code, stderr, out = build_with_template(tmp_path, template)
    assert code == 1 and not out.exists()
    assert "正文（word/document.xml）含有指向模板以外的" in stderr and says in stderr
    assert "出于安全原因拒绝" in stderr


def test_web_hyperlink_in_template_is_kept(tmp_path: Path) -> None:
    template = write(tmp_path, "网址.docx", rezip(GENERIC_TEMPLATE, {
        DOC_RELS: with_relationship("hyperlink", "https://www.gov.cn/")}))
    code, stderr, out = build_with_template(tmp_path, template)
    assert code == 0, stderr
    with zipfile.ZipFile(out) as zf:
        assert b"https://www.gov.cn/" in zf.read(DOC_RELS)


def test_attached_template_path_is_dropped_from_the_report(tmp_path: Path) -> None:
    settings_rels = "word/_rels/settings.xml.rels"
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
    add_rel = with_relationship("attachedTemplate", "file:///C:/Users/x/Normal.dotm")
    assert callable(add_rel)
    template = write(tmp_path, "附加模板.docx", rezip(GENERIC_TEMPLATE, {
        "word/settings.xml": sub_first(rb"(<w:settings\b[^>]*>)",
                                       rb'\1<w:attachedTemplate r:id="rIdHostile"/>')},
        extra={settings_rels: add_rel(rels.encode())}))
    code, stderr, out = build_with_template(tmp_path, template)
    assert code == 0, stderr
    with zipfile.ZipFile(out) as zf:
        assert b"Normal.dotm" not in zf.read(settings_rels)
        assert b"attachedTemplate" not in zf.read("word/settings.xml")


@pytest.mark.parametrize("part", ["word/styles.xml", "word/settings.xml", "word/fontTable.xml"])
def test_doctype_in_a_part_the_tool_does_not_render_is_refused(part: str,
                                                                tmp_path: Path) -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
              + b"".join(b'<!ENTITY a%d "%s">' % (i, b"&a;" * 10 if i == 1 else
                                                     b"&a%d;" % (i - 1) * 10)
                         for i in range(1, 8)) + b"]>")
    template = write(tmp_path, "实体.docx", rezip(GENERIC_TEMPLATE, {
        part: lambda d: laughs + d[d.index(b"<w:"):]}))
    code, stderr, out = build_with_template(tmp_path, template)
    assert code == 1 and not out.exists()
    assert f"（{part}）含有 DOCTYPE 声明" in stderr
    assert "amplification" not in stderr and "entity" not in stderr.lower()


@pytest.mark.parametrize("code", ["INCLUDEPICTURE \"http://127.0.0.1:9/x.png\" \\d",
                                  "INCLUDETEXT \"/etc/passwd\"",
                                  "DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc\""])
def test_field_that_includes_files_is_refused(code: str, tmp_path: Path) -> None:
    field = (b'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> '
             + code.replace("&", "&amp;").replace('"', "&quot;").encode()
             + b'</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    template = write(tmp_path, "域.docx", rezip(GENERIC_TEMPLATE, {
        "word/document.xml": lambda d: d.replace(b"<w:body>", b"<w:body>" + field, 1)}))
    stderr = build_with_template(tmp_path, template)[1]
    assert "含有引用其他文件的域代码" in stderr


def test_workbook_given_as_template_says_so(tmp_path: Path) -> None:
    code, stderr, _ = build_with_template(tmp_path, GENERIC_WORKBOOK)
    assert code == 1
    assert "这是 Excel 工作簿，不是 Word 模板" in stderr and "w:body" not in stderr


def test_fifo_template_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "t.docx"
    os.mkfifo(fifo)
    outcome: list[tuple[int, str, Path]] = []
    thread = threading.Thread(target=lambda: outcome.append(build_with_template(tmp_path, fifo)),
                              daemon=True)
    thread.start()
    thread.join(20)
    assert outcome and outcome[0][0] == 1
    assert "不是普通文件" in outcome[0][1]


@pytest.mark.pdf
def test_pdf_of_a_document_that_reaches_outside_is_refused(tmp_path: Path) -> None:
    from docx_report import pdf

    docx_file = write(tmp_path, "外链.docx", rezip(GENERIC_TEMPLATE, {
        DOC_RELS: with_relationship("image", "file:///etc/passwd")}))
    [conversion] = pdf.convert([docx_file])
    assert conversion.pdf is None and not docx_file.with_suffix(".pdf").exists()
    assert "出于安全原因拒绝" in conversion.error


def test_libreoffice_runs_without_network(tmp_path: Path) -> None:
    """soffice is started through ``without_network``: a program started that way cannot
    reach even a server on this machine's loopback, which one started directly can."""
    import socket

    from docx_report import confine

    if not confine.confined():
        pytest.skip("unshare cannot make a network namespace on this system")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    probe = [sys.executable, "-c",
             f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)"]
    try:
        assert subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
        assert subprocess.run(confine.without_network(probe), capture_output=True,
                              timeout=30).returncode != 0
    finally:
        server.close()


# ---------------------------------------------------------------------------------------------
# A batch always finishes


def many_cells(rows: int, cols: int = 30, first: int = 200) -> Callable[[bytes], bytes]:
    """A sheet with ``rows`` x ``cols`` more cells: within the guard's limits, but slow and
    large for openpyxl to load (the poison a guard cannot refuse)."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c).encode() for c in range(1, cols + 1)]
    extra = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>1</v></c>' % (c, r)
                                                    for c in letters) + b"</row>"
                     for r in range(first, first + rows))
    return lambda data: data.replace(b"</sheetData>", extra + b"</sheetData>", 1)


def test_batch_finishes_with_a_poisoned_workbook_under_limits(tmp_path: Path) -> None:
    """One workbook that would take minutes and hundreds of MB among good ones: the batch,
    run under a memory limit per workbook (and a short time limit), builds the good ones and
    lists the poisoned one with the reason in summary.xlsx."""
    from tests.helpers import EXAMPLE_2019

    inbox = tmp_path / "收到"
    inbox.mkdir()
    write(inbox, "0-大.xlsx", rezip(EXAMPLE_2021, {sheet_member(T4): many_cells(10_000)}))
    for example in (EXAMPLE_2021, EXAMPLE_2019):
        (inbox / example.name).write_bytes(example.read_bytes())
    out = tmp_path / "out"
    env = {**os.environ, "DOCX_REPORT_WORKBOOK_MEMORY_MB": "400",
           "DOCX_REPORT_WORKBOOK_SECONDS": "3"}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "docx_report", "batch", str(inbox), "-o",
                           str(out), "--jobs", "2"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert time.monotonic() - start < 120
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "内部错误" not in done.stderr + done.stdout
    rows = {str(r[1].value): r for r in openpyxl.load_workbook(out / "summary.xlsx")["各机关情况"]
            .iter_rows(min_row=2)}
    statuses = {Path(k).name: r[5].value for k, r in rows.items()}
    assert statuses == {"0-大.xlsx": "无法读取", EXAMPLE_2021.name: "已生成",
                        EXAMPLE_2019.name: "已生成"}, done.stdout + done.stderr
    problems = [str(r[6].value) for r in openpyxl.load_workbook(out / "summary.xlsx")["问题清单"]
                .iter_rows(min_row=2) if "0-大" in str(r[0].value)]
    assert any("超过了限制（每个工作簿 3 秒、400 MB 内存）" in p for p in problems), problems
    assert len(list(out.glob("*.docx"))) == 2


def allocation_refused(limit_mb: str) -> bool:
    """In a process with a worker's memory limit (``DOCX_REPORT_WORKBOOK_MEMORY_MB``), does
    allocating 600 MB fail with MemoryError?"""
    script = (f"import os; os.environ['DOCX_REPORT_WORKBOOK_MEMORY_MB'] = '{limit_mb}'\n"
              "from docx_report import limits; limits.apply_memory_limit()\n"
              "try:\n    b = bytearray(600 * 2**20)\nexcept MemoryError:\n    print('refused')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    return done.stdout.strip() == "refused"


def test_worker_memory_limit_is_real(tmp_path: Path) -> None:
    """In a worker (a forked process with the limit applied) an allocation beyond the limit
    fails with MemoryError instead of growing until the kernel kills something."""
    assert allocation_refused("300")


def test_a_workbook_over_its_time_is_stopped_by_the_deadline() -> None:
    from docx_report import limits

    os.environ["DOCX_REPORT_WORKBOOK_SECONDS"] = "0.5"
    try:
        start = time.monotonic()
        with pytest.raises(limits.OverLimit), limits.deadline(in_worker=False):
            while True:
                sum(range(1000))
        assert time.monotonic() - start < 60  # 0.5 s of processor time: not a hang
    finally:
        del os.environ["DOCX_REPORT_WORKBOOK_SECONDS"]


def test_libreoffice_that_hangs_while_printing_is_killed(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A soffice that never finishes a document but keeps logging warnings: killed at the
    document's deadline (the watchdog no longer waits for silence)."""
    from docx_report import pdf

    script = tmp_path / "soffice"
    script.write_text(f"#!{sys.executable}\nimport sys, time\n"
                      "while True:\n    print('warn: still busy', flush=True)\n"
                      "    time.sleep(0.05)\n")
    script.chmod(0o755)
    monkeypatch.setenv(pdf.SOFFICE_ENV, str(script))
    sample = write(tmp_path, "报告.docx", GENERIC_TEMPLATE.read_bytes())
    start = time.monotonic()
    [conversion] = pdf.convert([sample], tmp_path / "out", timeout=1)
    assert time.monotonic() - start < 60  # killed, not waited for
    assert conversion.pdf is None and "转换超时" in conversion.error


def good_inbox(tmp: Path) -> Path:
    from tests.helpers import EXAMPLE_2019

    inbox = tmp / "收到"
    inbox.mkdir(exist_ok=True)
    for example in (EXAMPLE_2021, EXAMPLE_2019):
        (inbox / example.name).write_bytes(example.read_bytes())
    return inbox


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_second_batch_into_a_busy_outdir_says_so_and_touches_nothing(tmp_path: Path) -> None:
    from docx_report import outdir

    inbox, out = good_inbox(tmp_path), tmp_path / "out"
    assert run("batch", inbox, "-o", out, "--jobs", "1").exit_code == 0
    before = tree(out)
    with outdir.locked(out):  # the first batch, still running
        result = run("batch", inbox, "-o", out, "--jobs", "1")
    assert result.exit_code == 1
    assert "正被另一个 docx-report batch 使用" in result.stderr
    assert tree(out) == before


def batch_with_files_under(limit: int, inbox: Path, out: Path, *options: str
                           ) -> subprocess.CompletedProcess[str]:
    """``batch`` in a process that may write no file over ``limit`` bytes (as on a disk
    that fills up: a larger write fails with EFBIG)."""
    import signal

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "docx_report", "batch", str(inbox), "-o",
                           str(out), *options], capture_output=True, text=True,
                          preexec_fn=small_files, timeout=300)


def test_failed_run_keeps_the_last_runs_good_outputs(tmp_path: Path) -> None:
    """A rerun that cannot write its 汇总 (here: files over a size the system refuses, as on
    a full disk) deletes none of the last run's files, and says why in Chinese."""

    inbox, out = good_inbox(tmp_path), tmp_path / "out"
    assert run("batch", inbox, "-o", out, "--jobs", "1").exit_code == 0
    before = tree(out)
    small = [len(v) for k, v in before.items() if not k.startswith("汇总")]
    large = [len(v) for k, v in before.items() if k.startswith("汇总") and k.endswith(".xlsx")]
    limit = max(small) + 512
    if limit >= min(large):
        pytest.skip("the 汇总 workbook is not larger than the reports here")
    done = batch_with_files_under(limit, inbox, out, "--jobs", "1")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "内部错误" not in done.stderr
    after = tree(out)
    for name, content in before.items():
        if name != "summary.xlsx":  # the new summary says what failed
            assert after.get(name) == content, f"{name} was lost"
    problems = [str(r[6].value) for r in openpyxl.load_workbook(out / "summary.xlsx")[
        "问题清单"].iter_rows(min_row=2)]
    assert any("文件超过系统允许的大小" in p for p in problems), problems


def started_batch(inbox: Path, out: Path, jobs: int) -> subprocess.Popen[bytes]:
    """``batch`` in a process group of its own, returned once its staging folder exists."""
    proc = subprocess.Popen([sys.executable, "-m", "docx_report", "batch", str(inbox), "-o",
                             str(out), "--jobs", str(jobs)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(out.glob(".docx-report-batch-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not list(out.glob(".docx-report-batch-*")):
        os.killpg(proc.pid, 9)
        proc.wait()
        pytest.fail("the batch never started")
    return proc


def group_gone(pgid: int, seconds: float) -> bool:
    """Has every process of the group ended within ``seconds``?"""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_staging_folder_of_a_killed_run_is_removed_by_the_next(tmp_path: Path) -> None:
    inbox, out = good_inbox(tmp_path), tmp_path / "out"
    write(inbox, "0-大.xlsx", rezip(EXAMPLE_2021, {sheet_member(T4): many_cells(6_000)}))
    proc = started_batch(inbox, out, 1)
    os.killpg(proc.pid, 9)  # SIGKILL: no clean-up runs
    proc.wait()
    group_gone(proc.pid, 30)  # its workers are gone too
    assert list(out.glob(".docx-report-batch-*")), "a killed run leaves its staging folder"
    (inbox / "0-大.xlsx").unlink()
    result = run("batch", inbox, "-o", out, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert not list(out.glob(".docx-report-batch-*"))


def test_workers_of_a_batch_killed_outright_end_and_free_outdir(tmp_path: Path) -> None:
    """Only the parent is killed (SIGKILL, as the OOM killer does): its workers must not wait
    for work forever, holding OUTDIR's lock (inherited from the parent) against every later
    batch."""
    inbox, out = good_inbox(tmp_path), tmp_path / "out"
    big = rezip(EXAMPLE_2021, {sheet_member(T4): many_cells(6_000)})  # ~0.5 s each
    for i in range(12):
        write(inbox, f"{i}-大.xlsx", big)
    proc = started_batch(inbox, out, 2)
    try:
        time.sleep(0.5)  # the workers are started, the batch far from done
        assert proc.poll() is None, "the batch ended before it could be killed"
        os.kill(proc.pid, 9)  # the parent alone
        proc.wait()
        assert group_gone(proc.pid, 15), "the workers outlived their batch"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
    for i in range(12):
        (inbox / f"{i}-大.xlsx").unlink()
    result = run("batch", inbox, "-o", out, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert not list(out.glob(".docx-report-batch-*"))


def test_sigterm_cleans_up_like_ctrl_c(tmp_path: Path) -> None:
    inbox, out = good_inbox(tmp_path), tmp_path / "out"
    write(inbox, "0-大.xlsx", rezip(EXAMPLE_2021, {sheet_member(T4): many_cells(6_000)}))
    proc = subprocess.Popen([sys.executable, "-m", "docx_report", "batch", str(inbox), "-o",
                             str(out), "--jobs", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(out.glob(".docx-report-batch-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.terminate()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "已中断" in stderr, stderr
    assert not list(out.glob(".docx-report-batch-*"))
    assert not list(out.glob("*.docx"))


def test_libreoffice_profile_of_a_killed_run_is_removed(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from docx_report import outdir

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen(["true"])
    dead.wait()
    abandoned = tmp_path / "docx-report-pdf-abandoned"
    (abandoned / "w0" / "profile0").mkdir(parents=True)
    (abandoned / ".owner-pid").write_text(str(dead.pid))
    alive = tmp_path / "docx-report-pdf-running"
    alive.mkdir()
    (alive / ".owner-pid").write_text(str(os.getpid()))
    outdir.remove_abandoned("docx-report-pdf-")
    assert not abandoned.exists() and alive.exists()


def test_symlinked_aggregate_folder_is_not_followed(tmp_path: Path) -> None:
    inbox, out = good_inbox(tmp_path), tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "汇总").symlink_to(elsewhere, target_is_directory=True)
    result = run("batch", inbox, "-o", out, "--jobs", "1")
    assert result.exit_code == 1
    assert list(elsewhere.iterdir()) == []
    problems = [str(r[6].value) for r in openpyxl.load_workbook(out / "summary.xlsx")[
        "问题清单"].iter_rows(min_row=2)]
    assert any("是符号链接" in p for p in problems), problems


# ---------------------------------------------------------------------------------------------
# 32,767 characters: a cell is never cut without a word


def test_clerks_cell_over_the_limit_is_a_located_error(tmp_path: Path) -> None:
    long_text = "本机关" * 11_000  # 33,000 characters: more than a cell holds
    path = write(tmp_path, "长.xlsx", rezip(EXAMPLE_2021, {
        sheet_member("六、其他事项"): sub_first(
            rb'(?s)(<c r="B4"[^>]*t=")[a-zA-Z]+("[^>]*>).*?</c>',
            rb"\1inlineStr\2<is><t>" + long_text.encode() + b"</t></is></c>")}))
    result = run("check", path)
    assert result.exit_code == 1
    assert "六、其他事项!B4" in result.stderr
    assert "超过 Excel 单元格的上限 32,767" in result.stderr


def test_aggregate_of_a_thousand_agencies_keeps_every_statement(tmp_path: Path) -> None:
    """With 1,000 agencies, 六、其他事项 quotes each one's statement and section 一 names them
    all: far more than a cell holds. Every cell of the 汇总 workbook fits, and every
    agency's statement and name is there in full, in the workbook and in the report."""
    from docx_report import aggregate, report
    from docx_report.pack import load_pack
    from docx_report.summary import Outcome, Status

    pack = load_pack("gov-disclosure-2021")
    key = next(s.key for s in pack.narratives() if s.heading.startswith("六"))
    dated = {f.key: datetime.date(2025, 1, 20) for f in pack.fields if f.type == "date"}
    members = [Outcome(i, Path(f"{i}.xlsx"), Status.BUILT, pack=pack.name,
                       agency=f"临江市第{i:04d}号机关", year=2024, facts=dated,
                       values=tuple(0 for _ in pack.value_cells()),
                       quotes={key: f"第{i:04d}号机关本年度收取信息处理费 0 元。" + "说明" * 10})
               for i in range(1000)]
    out = tmp_path / "汇总.xlsx"
    aggregate.write_aggregate(pack, 2024, "临江市（汇总，共1000个机关）",
                              aggregate.gather(pack, members), [], out)
    book = openpyxl.load_workbook(out)
    longest = max(len(str(c.value)) for ws in book.worksheets for row in ws.iter_rows()
                  for c in row if isinstance(c.value, str))
    assert longest <= 32_767
    checked = report.check_workbook(out)
    assert checked.ok, [p.format() for p in checked.errors]
    story = checked.data.narratives[key].text
    first = checked.data.narratives[next(iter(pack.narratives())).key].text
    for i in (0, 905, 906, 999):
        assert f"第{i:04d}号机关本年度收取信息处理费 0 元。" + "说明" * 10 in story
    assert all(f"临江市第{i:04d}号机关" in first for i in range(1000))


# ---------------------------------------------------------------------------------------------
# Text that becomes something else


def test_agency_given_to_init_is_written_as_text_not_a_formula(tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://127.0.0.1:9/x","点此核对")'
    out = tmp_path / "空白.xlsx"
    assert run("init", out, "--agency", formula, "--year", "2024").exit_code == 0
    book = openpyxl.load_workbook(out)
    cells = [c for row in book[FACTS].iter_rows() for c in row if c.value == formula]
    assert cells and all(c.data_type == "s" for c in cells)
    with zipfile.ZipFile(out) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")


def test_batch_name_is_written_as_text_in_the_aggregate(tmp_path: Path) -> None:
    inbox, out = good_inbox(tmp_path), tmp_path / "out"
    result = run("batch", inbox, "-o", out, "--jobs", "1", "--name", "=1+1")
    assert result.exit_code == 0, result.output
    [aggregate_book, *_] = sorted((out / "汇总").glob("*.xlsx"))
    book = openpyxl.load_workbook(aggregate_book)
    cells = [c for row in book[FACTS].iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=1+1")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_safe_filename_drops_invisible_characters_and_is_linear() -> None:
    from docx_report.names import safe_filename

    assert safe_filename("临江市\u202egpj.exe") == "临江市gpj.exe"
    assert safe_filename("临江市\u200b财政局\ufeff") == "临江市财政局"
    start = time.monotonic()
    name = safe_filename("局" * 1_000_000)
    assert time.monotonic() - start < 20  # linear: quadratic took minutes
    assert len(name.encode()) <= 180 and name.startswith("局")
    start = time.monotonic()
    assert safe_filename("\u200b" * 1_000_000 + "临江市") == "临江市"
    assert time.monotonic() - start < 20


def test_names_that_look_the_same_are_duplicates_and_shown_apart(tmp_path: Path) -> None:
    from tests.test_bad_inputs import set_cells

    inbox, out = tmp_path / "收到", tmp_path / "out"
    inbox.mkdir()
    first = inbox / "a.xlsx"
    second = inbox / "b.xlsx"
    first.write_bytes(EXAMPLE_2021.read_bytes())
    second.write_bytes(EXAMPLE_2021.read_bytes())
    set_cells(second, {(FACTS, "B4"): "临江市市场\u200b监督管理局"})
    result = run("batch", inbox, "-o", out, "--jobs", "1")
    assert result.exit_code == 1
    problems = [str(r[6].value) for r in openpyxl.load_workbook(out / "summary.xlsx")[
        "问题清单"].iter_rows(min_row=2)]
    assert any("临江市市场<U+200B>监督管理局" in p and "同一机关" in p for p in problems), problems
    assert not list(out.glob("*.docx"))


def test_a_line_longer_than_a_cell_is_split_between_names_never_cut() -> None:
    from docx_report.aggregate import fit_cells

    names = "纳入汇总的机关：" + "、".join(f"临江市第{i:04d}号机关" for i in range(3000)) + "。"
    cells = fit_cells(["开头。", names, "结尾。"])
    assert all(len("\n".join(c)) <= 32_767 for c in cells) and len(cells) >= 2
    pieces = [p for c in cells for p in c]
    assert "".join(pieces[1:-1]) == names  # every character kept, in order
    assert all(p.endswith(("、", "。")) for p in pieces[1:-1])


def _linking_docx(path: Path, target: str) -> Path:
    """A .docx whose only picture is an SVG outside it, linked by an external relationship."""
    import docx

    document = docx.Document()
    document.add_paragraph("正文")
    document.save(str(path.with_suffix(".plain.docx")))
    pic = ('<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/'
           'drawingml/2006/wordprocessingDrawing"><wp:extent cx="3000000" cy="750000"/>'
           '<wp:docPr id="1" name="p"/><a:graphic xmlns:a="http://schemas.openxmlformats.org/'
           'drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/'
           'drawingml/2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/'
           'drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="1" name="p"/><pic:cNvPicPr/>'
           '</pic:nvPicPr><pic:blipFill><a:blip r:link="rIdOutside"/><a:stretch><a:fillRect/>'
           '</a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/>'
           '<a:ext cx="3000000" cy="750000"/></a:xfrm><a:prstGeom prst="rect"/></pic:spPr>'
           '</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>')
    link = (f'<Relationship Id="rIdOutside" Type="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships/image" Target="{target}" '
            f'TargetMode="External"/></Relationships>')
    return write(path.parent, path.name, rezip(path.with_suffix(".plain.docx"), {
        "word/document.xml": lambda xml: xml.replace(b"<w:sectPr", pic.encode() + b"<w:sectPr", 1),
        "word/_rels/document.xml.rels": lambda xml: xml.replace(b"</Relationships>",
                                                                link.encode()),
    }))


def test_libreoffice_cannot_read_files_outside_its_job(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A document linking a file elsewhere on the machine (here a picture whose text is a
    secret), let past the template check: LibreOffice shows the secret when it runs
    unconfined, and cannot read it when ``convert`` confines it."""
    import tempfile

    from docx_report import confine, pdf, pdf_files

    if not confine.files_hidden():
        if os.environ.get("CI"):
            pytest.fail("unshare cannot hide the machine's files on this CI machine")
        pytest.skip("unshare cannot make user and mount namespaces on this system")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    with tempfile.TemporaryDirectory(prefix="secret-xyz-") as secret_dir:
        secret = Path(secret_dir) / "secret.svg"
        secret.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100">'
                          '<text x="10" y="50" font-size="30">SECRET4711</text></svg>', "utf-8")
        source = _linking_docx(tmp_path / "linking.docx", secret.as_uri())
        monkeypatch.setattr(pdf_files, "external_problem", lambda _path: "")  # past the guard
        texts = {}
        for run_as, off in (("unconfined", "1"), ("confined", "")):
            monkeypatch.setenv("DOCX_REPORT_NO_CONFINE", off)
            confine._levels.cache_clear()
            try:
                [conversion] = pdf.convert([source], tmp_path / run_as, pdfa=False)
            finally:
                confine._levels.cache_clear()
            assert conversion.pdf is not None, conversion.error
            texts[run_as] = subprocess.run(["pdftotext", str(conversion.pdf), "-"],
                                           capture_output=True, text=True, check=True).stdout
    assert "正文" in texts["confined"]
    assert "SECRET4711" in texts["unconfined"]  # the link works: the test can fail
    assert "SECRET4711" not in texts["confined"]


def test_outcomes_that_do_not_fit_fail_in_chinese_and_change_nothing(tmp_path: Path) -> None:
    """The parent keeps each workbook's outcome in a file of the staging folder: when it cannot
    grow (over a size the system refuses, as on a full disk), the batch says why in Chinese
    and OUTDIR stays as it was."""

    inbox, out = tmp_path / "收到", tmp_path / "out"
    inbox.mkdir()
    for i in range(48):  # one agency 48 times: 重复, but each outcome is kept all the same
        (inbox / f"{i:02d}.xlsx").write_bytes(EXAMPLE_2021.read_bytes())
    out.mkdir()
    (out / "上次的.txt").write_text("上次的文件", "utf-8")
    before = tree(out)
    # more than a report, less than 48 outcomes
    done = batch_with_files_under(160 * 1024, inbox, out, "--jobs", "2")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "内部错误" not in done.stderr
    assert "文件超过系统允许的大小" in done.stderr, done.stderr
    assert tree(out) == before
    assert not list(out.glob(".docx-report-batch-*"))


def test_a_memory_limit_below_what_a_worker_needs_still_builds(tmp_path: Path) -> None:
    """DOCX_REPORT_WORKBOOK_MEMORY_MB under what a worker uses when it starts (30 MB) is raised
    to that plus some room: no worker fails to start (a traceback, then a batch that waits for
    it forever), and a workbook still gets a limit."""
    inbox, out = good_inbox(tmp_path), tmp_path / "out"
    env = {**os.environ, "DOCX_REPORT_WORKBOOK_MEMORY_MB": "30"}
    done = subprocess.run([sys.executable, "-m", "docx_report", "batch", str(inbox), "-o",
                           str(out), "--jobs", "2"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert len(list(out.glob("*.docx"))) == 2
    assert allocation_refused("30")
