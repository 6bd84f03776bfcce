"""Refuse what is not a sane .xlsx before openpyxl sees it, with a message a clerk understands.

Workbooks come from outside. Before any of them is parsed (report workbooks and generic ones
alike) ``check_xlsx`` refuses, each with its own Chinese message naming the file: what is not a
regular file (a FIFO would block forever), an empty or oversized file, an old .xls or a
password-protected workbook (both OLE files), text such as .csv, a Word document, a damaged or
truncated zip, encrypted zip members, a compression method other than Excel's.

Then every member is inflated as a stream, counting the bytes that really come out (a member
that declares 8 KB may inflate to gigabytes: declared sizes are never trusted), and every XML
part is parsed, also as a stream, by expat with DTDs refused (entity attacks need one). The
parse looks at what openpyxl will act on, in any part under any name: merged ranges, ranged
hyperlinks and comments make openpyxl create one object per cell they cover, so the cells they
cover are limited; so are real cells (``<c>``), elements and ``sqref`` ranges; a numeric cell
that openpyxl cannot read (``NaN``, ``INF``) is named by sheet and cell.
"""

from __future__ import annotations

import contextlib
import functools
import os
import posixpath
import re
import stat
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from docx_report.errors import InputError
from docx_report.files import os_reason

# Bounds on what is real: bytes actually inflated, cells openpyxl would actually create.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED = 100 * 1024 * 1024  # all members together, as inflated
MAX_MEMBER = 60 * 1024 * 1024  # one member, as inflated
MAX_MEMBERS = 10_000
MAX_MERGED_CELLS = 100_000  # cells covered by merges, ranged hyperlinks and comments
MAX_CELLS = 1_000_000  # <c> elements in all sheets
MAX_ELEMENTS = 10_000_000  # XML elements in all parts
MAX_RANGES = 100_000  # ranges in sqref lists (conditional formats, validations …)
EXCEL_CELL_CHARS = 32_767  # the most a cell holds: Excel (and openpyxl, silently) cut the rest
_CHUNK = 64 * 1024
_MAX_ROW, _MAX_COL = 1_048_576, 16_384

UNSAFE_XML = "工作簿含有不安全的 XML 内容（DTD、实体或外部引用），已拒绝读取"
_DAMAGED = "文件已损坏或不完整（可能没有复制或下载完整）；请重新保存后再试"
_PACKED = ("文件的压缩方式不受支持（可能被压缩软件重新打包过）；"
           "请用 Excel/WPS 打开并另存为 .xlsx 后再试")
_BOMB = "文件解压后异常巨大（疑似压缩炸弹），已拒绝读取"
_ENCRYPTED = ("工作簿中的内容被压缩软件加了密码，无法读取；"
              "请用 Excel/WPS 打开并另存为 .xlsx（不设密码）后再试")
_MAIN_NS = {"", "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            "http://purl.oclc.org/ooxml/spreadsheetml/main"}
_CREATES_CELLS = {"mergeCell": "合并了", "hyperlink": "给", "comment": "给"}
_WHAT = {"mergeCell": "", "hyperlink": "设置了超链接", "comment": "添加了批注"}
# Element names as expat reports them ("namespace local", or "local" without a namespace).
_CELL = {f"{ns} c".lstrip() for ns in _MAIN_NS}
_VALUE = {f"{ns} v".lstrip() for ns in _MAIN_NS}
_COVERS = {f"{ns} {local}".lstrip(): local for ns in _MAIN_NS for local in _CREATES_CELLS}


class Refused(Exception):
    """Raised inside the scan: the workbook is refused with this message."""

    def __init__(self, message: str, part: str = "") -> None:
        super().__init__(message)
        self.message, self.part = message, part


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


def check_xlsx(path: Path) -> None:
    """Refuse what is not a sane .xlsx before openpyxl sees it, with a message a clerk gets."""
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
            if "xl/workbook.xml" not in names:
                if "word/document.xml" in names:
                    raise InputError("这是 Word 文档，不是 Excel 工作簿；请指定填好的 .xlsx 工作簿",
                                     file=path)
                raise InputError("不是 Excel 工作簿（.xlsx）", file=path)
            scan = _Scan()
            try:
                scan.all(zf)
            except Refused as refused:
                raise InputError(scan.locate(zf, refused), file=path) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            zlib.error, KeyError):
        raise InputError(_DAMAGED, file=path) from None
    except NotImplementedError:  # a compression method zipfile lacks (Deflate64 …)
        raise InputError(_PACKED, file=path) from None


@dataclass
class _Scan:
    """What the members of one workbook really hold, counted as they are inflated and parsed."""

    inflated: int = 0
    covered: int = 0
    cells: int = 0
    elements: int = 0
    ranges: int = 0
    part: str = ""
    cell: str = ""  # the <c r> being read, for a value problem
    cell_type: str = ""
    value: list[str] = field(default_factory=list)
    in_value: bool = False
    current: Any = None  # the expat parser of the part being read

    def all(self, zf: zipfile.ZipFile) -> None:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise Refused(f"文件包含 {len(infos)} 个部件，异常之多，已拒绝读取")
        for info in infos:
            self.member(zf, info)

    def member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        self.part = info.filename
        if info.flag_bits & 0x1:
            raise Refused(_ENCRYPTED)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused(_PACKED)
        if info.is_dir():
            return
        parser: Any = None
        inflated = 0
        for chunk in inflate_member(zf, info):
            inflated += len(chunk)
            self.inflated += len(chunk)
            if self.inflated > MAX_UNCOMPRESSED:
                raise Refused(_BOMB)
            if parser is None:
                parser = self.parser() if _looks_like_xml(chunk) else False
            if parser:
                try:
                    parser.Parse(chunk, False)
                except expat.ExpatError:
                    raise Refused(_DAMAGED) from None
        if inflated != info.file_size:  # zipfile would stop at the declared size; openpyxl
            raise Refused(_BOMB if inflated > info.file_size else _DAMAGED)  # not
        if parser:
            try:
                parser.Parse(b"", True)
            except expat.ExpatError:
                raise Refused(_DAMAGED) from None

    def parser(self) -> Any:
        parser = expat.ParserCreate(namespace_separator=" ")

        def refuse(*_: Any) -> Any:
            raise Refused(UNSAFE_XML)

        parser.StartDoctypeDeclHandler = refuse
        parser.EntityDeclHandler = refuse
        parser.ExternalEntityRefHandler = refuse
        parser.StartElementHandler = self.start
        parser.buffer_text = True
        self.current, self.in_value = parser, False
        return parser

    def start(self, name: str, attrs: dict[str, str]) -> None:
        # Called for every element: the common names are looked up in one set each (expat
        # gives "namespace local"), so a <c> or <row> costs a counter and a dict lookup.
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise Refused("文件包含的内容异常之多，读取会耗尽时间和内存，已拒绝读取")
        if name in _CELL:
            self.cells += 1
            if self.cells > MAX_CELLS:
                raise Refused(f"工作簿的单元格超过 {MAX_CELLS:,} 个，不像报告工作簿，"
                               "已拒绝读取")
            self.cell, self.cell_type = attrs.get("r", ""), attrs.get("t", "n")
        elif name in _VALUE:
            self.in_value, self.value = True, []
            # Text and ends matter only inside a <v>: expat calls no Python for them elsewhere.
            self.current.CharacterDataHandler = self.text
            self.current.EndElementHandler = self.end
        elif (local := _COVERS.get(name)) is not None and (ref := attrs.get("ref")) is not None:
            self.covered += _short_area(ref) if len(ref) <= 40 else _area(ref)
            if self.covered > MAX_MERGED_CELLS:
                raise Refused(f"{_CREATES_CELLS[local]}异常巨大的区域（{ref.strip()[:40]}）"
                               f"{_WHAT[local]}，读取会耗尽时间和内存；请在 Excel/WPS 中取消"
                               "后另存再试", self.part)
        if "sqref" in attrs and name.rpartition(" ")[0] in _MAIN_NS:
            self.ranges += len(attrs["sqref"].split())
            if self.ranges > MAX_RANGES:
                raise Refused("条件格式或数据验证的区域异常之多，读取会耗尽时间和内存，"
                               "已拒绝读取", self.part)

    def end(self, name: str) -> None:
        if self.in_value and name.rpartition(" ")[2] == "v":
            self.in_value = False
            self.current.CharacterDataHandler = None
            self.current.EndElementHandler = None
            value = "".join(self.value)
            if not _readable(self.cell_type, value):
                shown = value.strip()[:20] or "空"
                raise Refused(f"单元格 {self.cell or '?'} 的值「{shown}」不是有效的数值"
                               "（文件可能由其他程序写出）；请在 Excel/WPS 中重新输入"
                               "该单元格后另存再试", self.part)

    def text(self, data: str) -> None:
        if self.in_value and sum(map(len, self.value)) < 1000:
            self.value.append(data)

    def locate(self, zf: zipfile.ZipFile, refused: Refused) -> str:
        """The message, with the sheet the refused part holds when there is one."""
        if not refused.part:
            return refused.message
        sheet = _sheet_names(zf).get(refused.part)
        where = f"工作表「{sheet}」" if sheet else f"部件 {refused.part} "
        return f"{where}{refused.message}"


def _chunks(member: IO[bytes]) -> Iterator[bytes]:
    """A small member's bytes through zipfile, in chunks, stopping at the member limit."""
    total = 0
    while chunk := member.read(_CHUNK):
        total += len(chunk)
        if total > MAX_MEMBER:
            raise Refused(_BOMB)
        yield chunk


def inflate_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                   limit: int = MAX_MEMBER) -> Iterator[bytes]:
    """The member's bytes as they really inflate, in chunks: never more than one chunk in
    memory, and counted to the end of the compressed stream, whatever size is declared.

    zipfile stops at the declared size; openpyxl's ``read()`` inflates the whole stream in one
    call before cutting it there, so the real size is what costs memory.
    """
    fp = zf.fp
    assert fp is not None
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) != 30 or not header.startswith(b"PK\x03\x04"):
        raise zipfile.BadZipFile("bad local header")
    fp.seek(int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little"),
            os.SEEK_CUR)
    left = info.compress_size
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    total = 0
    while left > 0 or (inflate is not None and inflate.unconsumed_tail):
        if inflate is not None and inflate.unconsumed_tail:
            chunk = inflate.decompress(inflate.unconsumed_tail, _CHUNK)
        else:
            raw = fp.read(min(_CHUNK, left))
            if not raw:
                raise EOFError
            left -= len(raw)
            chunk = inflate.decompress(raw, _CHUNK) if inflate is not None else raw
        total += len(chunk)
        if total > limit:
            raise Refused(_BOMB)
        if chunk:
            yield chunk
        if inflate is not None and inflate.eof:
            return


def _looks_like_xml(head: bytes) -> bool:
    start = head[:64].lstrip(b" \t\r\n")
    return start.startswith((b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))


def _area(ref: str) -> int:
    """Cells a range covers, as openpyxl reads it (whole rows or columns counted in full);
    a reference openpyxl cannot parse counts as one cell (it refuses it when it loads)."""
    bounds = _range_boundaries(ref.strip())
    if bounds is None:
        return 1
    low_col, low_row, high_col, high_row = bounds
    rows = abs(int(high_row or _MAX_ROW) - int(low_row or 1)) + 1
    cols = abs(int(high_col or _MAX_COL) - int(low_col or 1)) + 1
    return rows * cols


_short_area = functools.lru_cache(maxsize=1024)(_area)  # the same merges in every workbook

_BOUND = re.compile(r"^\$?([A-Za-z]{1,3})?\$?(\d+)?$")


def _range_boundaries(ref: str) -> tuple[int | None, int | None, int | None, int | None] | None:
    """Columns and rows (1-based) of A1:B2, A:B or 1:2 as openpyxl's ``range_boundaries``
    reads them, without importing openpyxl (``check`` does not need it); None where openpyxl
    raises."""
    if not ref:
        return None, None, None, None
    ends = ref.split(":")
    if len(ends) > 2:
        return None
    bounds: list[int | None] = []
    for end in ends:
        match = _BOUND.match(end)
        if match is None or not end.strip("$"):
            return None
        letters, digits = match.groups()
        col = 0
        for ch in (letters or "").upper():
            col = col * 26 + ord(ch) - 64
        bounds += [col or None, int(digits) if digits else None]
    if len(bounds) == 2:
        bounds += bounds
    elif [b is None for b in bounds[:2]] != [b is None for b in bounds[2:]]:
        return None  # A1:B, A:2 …: openpyxl refuses a range that mixes kinds
    return bounds[0], bounds[1], bounds[2], bounds[3]


def _readable(cell_type: str, value: str) -> bool:
    """Can openpyxl read this ``<v>`` of a cell of this type? (It raises on the whole workbook
    when it cannot: ``NaN`` or ``INF`` in a numeric cell.)"""
    if not value:
        return True  # <v/>: openpyxl reads no value
    try:
        if cell_type == "n":
            if "." in value or "E" in value or "e" in value:
                float(value)
            else:
                int(value)
        elif cell_type in ("s", "b"):
            int(value)
        elif cell_type == "d":
            from openpyxl.utils.datetime import from_ISO8601  # rare: openpyxl loads only here

            from_ISO8601(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


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
