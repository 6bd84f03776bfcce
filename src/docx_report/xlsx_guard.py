"""Refuse what is not a sane .xlsx before openpyxl sees it, with a message a clerk understands.

Workbooks come from outside. Before any of them is parsed (report workbooks and generic ones
alike) ``check_xlsx`` refuses, each with its own Chinese message naming the file: an empty or
oversized file, an old .xls or a password-protected workbook (both OLE files), text such as
.csv, a Word document, a damaged or truncated zip, a zip bomb, XML with a DOCTYPE (entity
attacks), a compression method zipfile lacks, and merged ranges so large that openpyxl would
spend hours and all memory creating their cells.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
import zlib
from pathlib import Path

from openpyxl.utils import range_boundaries

from docx_report.errors import InputError

# Bounds that keep a hostile or damaged file from costing unbounded time or memory.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 200
MAX_MERGED_CELLS = 100_000  # cells in merged ranges: a whole merged column is 1 048 576


def check_xlsx(path: Path) -> None:
    """Refuse what is not a sane .xlsx before openpyxl sees it, with a message a clerk gets."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(f"无法读取文件（{exc.strerror or exc}）", file=path) from None
    if size == 0:
        raise InputError("文件是空的（0 字节）", file=path)
    if size > MAX_FILE_BYTES:
        raise InputError(f"文件过大（{size // 1024 // 1024} MB），不像报告工作簿", file=path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        data = path.read_bytes()
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise InputError("工作簿设置了打开密码；请在 Excel/WPS 中取消密码后另存再试", file=path)
        raise InputError("这是旧版 Excel 97-2003 文件（.xls）；请在 Excel/WPS 中"
                         "“另存为” Excel 工作簿（.xlsx）后再试", file=path)
    if not head.startswith(b"PK"):
        raise InputError("不是 Excel 工作簿（.xlsx）：文件内容是文本或其他格式"
                         "（如 .csv）；请在 Excel/WPS 中另存为 .xlsx", file=path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(_DAMAGED, file=path) from None
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise InputError("这是 Word 文档，不是 Excel 工作簿；请指定填好的 .xlsx 工作簿",
                             file=path)
        raise InputError("不是 Excel 工作簿（.xlsx）", file=path)
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED or (total / packed > MAX_RATIO and total > 10 * 1024 * 1024):
        raise InputError("文件解压后异常巨大（疑似压缩炸弹），已拒绝读取", file=path)
    if _declares_doctype(path, infos):
        raise InputError(UNSAFE_XML, file=path)
    huge = _huge_merge(path, infos)
    if huge:
        sheet, ref = huge
        raise InputError(f"工作表「{sheet}」合并了异常巨大的区域（{ref}），读取会耗尽时间和内存；"
                         "请在 Excel/WPS 中取消这个合并后另存再试", file=path)


UNSAFE_XML = "工作簿含有不安全的 XML 内容（实体或外部引用），已拒绝读取"
_DAMAGED = "文件已损坏或不完整（可能没有复制或下载完整）；请重新保存后再试"
_PACKED = ("文件的压缩方式不受支持（可能被压缩软件重新打包过）；"
           "请用 Excel/WPS 打开并另存为 .xlsx 后再试")
_DOCTYPE = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


def _declares_doctype(path: Path, infos: list[zipfile.ZipInfo]) -> bool:
    """Does an XML part declare a DTD? Excel never writes one; entity attacks need one.

    Only the prolog (the first 4 KB) is read, so this costs little on any file.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with zf.open(info) as member:
                        head = member.read(4096)
                    if any(marker in head for marker in _DOCTYPE):
                        return True
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        raise InputError(_DAMAGED, file=path) from None
    except NotImplementedError:  # a compression method zipfile lacks (Deflate64 …)
        raise InputError(_PACKED, file=path) from None
    return False


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z0-9:$]+)"')
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')


def _huge_merge(path: Path, infos: list[zipfile.ZipInfo]) -> tuple[str, str] | None:
    """(sheet, range) of merged cells too large to read, if any.

    openpyxl makes one object for every cell of a merged range when it loads a workbook:
    A1:XFD1048576 (select all, merge) would take hours and all memory.
    """
    total = 0
    try:
        with zipfile.ZipFile(path) as zf:
            for info in infos:
                if not info.filename.startswith("xl/worksheets/") or \
                        not info.filename.endswith(".xml"):
                    continue
                for ref in _MERGE.findall(zf.read(info)):
                    try:
                        low_col, low_row, high_col, high_row = range_boundaries(ref.decode())
                    except (ValueError, TypeError):
                        continue  # openpyxl refuses it when it loads
                    rows = abs((high_row or low_row or 1) - (low_row or 1)) + 1
                    total += rows * (abs((high_col or low_col or 1) - (low_col or 1)) + 1)
                    if total > MAX_MERGED_CELLS:
                        return _sheet_name(zf, info.filename), ref.decode()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        raise InputError(_DAMAGED, file=path) from None
    except NotImplementedError:  # a compression method zipfile lacks (Deflate64 …)
        raise InputError(_PACKED, file=path) from None
    return None


def _sheet_name(zf: zipfile.ZipFile, member: str) -> str:
    """The name a sheet shows in Excel, from its zip member (the member itself if unknown)."""
    def attributes(tag: bytes) -> dict[str, str]:
        return {k.decode().rsplit(":", 1)[-1]: html.unescape(v.decode("utf-8", "replace"))
                for k, v in _ATTRIBUTE.findall(tag)}

    try:
        rels = [attributes(t) for t in _RELATION.findall(zf.read("xl/_rels/workbook.xml.rels"))]
        sheets = [attributes(t) for t in _SHEET.findall(zf.read("xl/workbook.xml"))]
    except KeyError:
        return member
    target = {r.get("Id"): posixpath.normpath(posixpath.join("xl", r.get("Target", "")))
              if not r.get("Target", "").startswith("/") else r.get("Target", "").lstrip("/")
              for r in rels}
    return next((s.get("name", member) for s in sheets if target.get(s.get("id")) == member),
                member)
