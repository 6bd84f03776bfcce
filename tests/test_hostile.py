"""Hostile inputs, as an attacker would make them: each class refused at its root, with a
located Chinese message, quickly and within bounded memory, never a traceback.

Every hostile file is built here, in the test (no binaries are committed). The suite grows
with each class of attack fixed; see issue 13.
"""

from __future__ import annotations

import io
import os
import re
import resource
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
    assert time.monotonic() - start < 10, "took too long"
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
    assert time.monotonic() - started < 6
    # nothing near the size asked for was allocated (ru_maxrss is in KB)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 300 * 1024
