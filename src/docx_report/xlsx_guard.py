"""Refuse what is not a sane .xlsx before openpyxl sees it, with a message a clerk understands.

Workbooks come from outside. Before any of them is parsed (report workbooks and generic ones
alike) ``check_xlsx`` refuses, each with its own Chinese message naming the file: what is not a
regular file (a FIFO would block forever), an empty or oversized file, an old .xls or a
password-protected workbook (both OLE files), text such as .csv, a Word document, a damaged or
truncated zip, encrypted zip members, a compression method other than Excel's.

Then ``xlsx_survey`` makes one pass over the members (bytes really inflated, every XML part
parsed by expat with DTDs refused, what openpyxl and calamine act on limited, in any part under
any name) and the ``Survey`` it returns tells ``xlsx_fast`` which reader reads the file, with
nothing inflated again.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

from docx_report.errors import InputError
from docx_report.files import is_ole, os_reason
from docx_report.xlsx_bytes import MAX_MEMBER, Refused, _chunks, inflate_member
from docx_report.xlsx_survey import (
    DAMAGED,
    MAX_CELLS,
    MAX_ELEMENTS,
    MAX_MERGED_CELLS,
    MAX_RANGES,
    MAX_UNCOMPRESSED,
    PACKED,
    UNSAFE_XML,
    Scan,
    Survey,
)

__all__ = ["MAX_CELLS", "MAX_ELEMENTS", "MAX_MEMBER", "MAX_MERGED_CELLS", "MAX_RANGES",
           "MAX_UNCOMPRESSED", "UNSAFE_XML", "Refused", "Survey", "check_xlsx",
           "inflate_member", "load_failure", "over_cell_limit", "quiet_openpyxl",
           "regular_file_problem"]

MAX_FILE_BYTES = 50 * 1024 * 1024
EXCEL_CELL_CHARS = 32_767  # the most a cell holds: Excel (and openpyxl, silently) cut the rest


def regular_file_problem(path: Path) -> str:
    """Why ``path`` cannot be read as an input file (a FIFO, a device, a folder…), or ''.

    Opened without blocking, so a FIFO named ``x.xlsx`` is refused instead of waiting forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return f"无法读取文件（{os_reason(exc)}）"
    try:
        mode = os.fstat(fd).st_mode
    finally:
        os.close(fd)
    if stat.S_ISDIR(mode):
        return "是文件夹，不是文件"
    if not stat.S_ISREG(mode):
        return "不是普通文件（可能是管道、设备或套接字），已拒绝读取"
    return ""


def check_xlsx(path: Path) -> Survey:
    """Refuse what is not a sane .xlsx before openpyxl sees it, with a message a clerk gets;
    what the one pass over the members learned, for the reader to decide by."""
    if problem := regular_file_problem(path):
        raise InputError(problem, file=path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(f"无法读取文件（{os_reason(exc)}）", file=path) from None
    if size == 0:
        raise InputError("文件是空的（0 字节）", file=path)
    if size > MAX_FILE_BYTES:
        raise InputError(f"文件过大（{size // 1024 // 1024} MB），不像报告工作簿", file=path)
    if is_ole(head):
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
            if "xl/workbook.xml" not in names:
                if "word/document.xml" in names:
                    raise InputError("这是 Word 文档，不是 Excel 工作簿；请指定填好的 .xlsx 工作簿",
                                     file=path)
                raise InputError("不是 Excel 工作簿（.xlsx）", file=path)
            try:
                return Scan().all(zf)
            except Refused as refused:
                raise InputError(_locate(zf, refused), file=path) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            zlib.error, KeyError):
        raise InputError(DAMAGED, file=path) from None
    except NotImplementedError:  # a compression method zipfile lacks (Deflate64 …)
        raise InputError(PACKED, file=path) from None


def _locate(zf: zipfile.ZipFile, refused: Refused) -> str:
    """The message, with the sheet the refused part holds when there is one."""
    if not refused.part:
        return refused.message
    sheet = _sheet_names(zf).get(refused.part)
    where = f"工作表「{sheet}」" if sheet else f"部件 {refused.part} "
    return f"{where}{refused.message}"


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Zip member of each worksheet -> the name Excel shows, through the workbook's rels."""
    sheets: dict[str, str] = {}  # r:id -> name
    targets: dict[str, str] = {}  # r:id -> member

    def on_sheet(name: str, attrs: dict[str, str]) -> None:
        if name.rpartition(" ")[2] == "sheet":
            rid = next((v for k, v in attrs.items() if k.rpartition(" ")[2] == "id"), "")
            sheets[rid] = attrs.get("name", "")

    def on_rel(name: str, attrs: dict[str, str]) -> None:
        target = attrs.get("Target", "")
        if name.rpartition(" ")[2] == "Relationship" and attrs.get("TargetMode") != "External":
            targets[attrs.get("Id", "")] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))

    for member, handler in (("xl/workbook.xml", on_sheet),
                            ("xl/_rels/workbook.xml.rels", on_rel)):
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = handler
        with contextlib.suppress(KeyError, expat.ExpatError, OSError, zipfile.BadZipFile,
                                 zlib.error, Refused), zf.open(member) as fh:
            for chunk in _chunks(fh):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    return {targets[rid]: name for rid, name in sheets.items() if rid in targets}


def over_cell_limit(value: object) -> str:
    """The message for text longer than a cell can hold ('' when it fits)."""
    if isinstance(value, str) and len(value) > EXCEL_CELL_CHARS:
        return (f"单元格文字有 {len(value):,} 个字符，超过 Excel 单元格的上限 "
                f"{EXCEL_CELL_CHARS:,}（Excel 会截断多出的部分）；请缩短，或分到下面几行的单元格")
    return ""


@contextlib.contextmanager
def quiet_openpyxl() -> Iterator[None]:
    """openpyxl's English UserWarnings (unknown extension, x14 data validation that every Excel
    writes, a long sheet title, …) are about what it drops, never about values: not the
    clerk's business, and never printed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def load_failure(exc: BaseException, path: Path) -> InputError:
    """The message for a workbook openpyxl could not load: unsafe (an entity attack found by
    defusedxml or libxml2) or damaged, in Chinese, without openpyxl's English."""
    causes: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    text = " ".join(f"{type(c).__name__} {c}" for c in causes).lower()
    if any(w in text for w in ("entit", "dtd", "external", "amplification")):
        return InputError(UNSAFE_XML, file=path)
    if isinstance(exc, MemoryError):
        return InputError("工作簿过大，读取时内存不足，已停止", file=path)
    return InputError("文件已损坏，无法作为 Excel 工作簿读取；请用 Excel/WPS 打开并另存为 "
                      ".xlsx 后再试", file=path)
