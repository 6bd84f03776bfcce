"""One pass over the members of a workbook: what the guard limits, and what the reader learns.

Every member is inflated as a stream, counting the bytes that really come out (a member that
declares 8 KB may inflate to gigabytes: declared sizes are never trusted), and every XML part is
parsed, also as a stream, by expat with DTDs refused (entity attacks need one), as
``xlsx_part.Part`` says. Names are read as a namespace-aware parser sees them
(``"namespace local"``), whatever prefix a file chose.

A part read in one chunk and parsed before in this process under the same name, with the same
bytes (SHA-256: the parts a batch's workbooks share), is not parsed again: what parsing it did
is done again, counted against the limits (over one, it is parsed and refused as it would be).
The bytes of the few small parts ``xlsx_direct`` reads besides the worksheets are kept.

What was learned is the ``Survey``; ``xlsx_fast`` decides from it which reader reads the file.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field

from docx_report.xlsx_bytes import BOMB, MAX_MEMBER, Refused, inflate_chunks, looks_like_xml
from docx_report.xlsx_cells import covered, short_covered
from docx_report.xlsx_part import (
    DAMAGED,
    RELATIONSHIPS,
    UNSAFE_XML,
    Area,
    Captured,
    Part,
    normal,
)

__all__ = ["DAMAGED", "RELATIONSHIPS", "UNSAFE_XML", "Area", "Captured", "Scan", "Survey"]

# Bounds on what is real: bytes actually inflated, cells openpyxl would actually create.
MAX_UNCOMPRESSED = 100 * 1024 * 1024  # all members together, as inflated
MAX_MEMBERS = 10_000
MAX_CELLS = 1_000_000  # cell elements in all sheets
MAX_MERGED_CELLS = 100_000  # cells covered by merges, ranged hyperlinks and comments
MAX_ELEMENTS = 10_000_000  # XML elements in all parts (bounded by the '<' they hold)
MAX_RANGES = 100_000  # ranges in sqref lists (conditional formats, validations …)

PACKED = ("文件的压缩方式不受支持（可能被压缩软件重新打包过）；"
          "请用 Excel/WPS 打开并另存为 .xlsx 后再试")
ENCRYPTED = ("工作簿中的内容被压缩软件加了密码，无法读取；"
             "请用 Excel/WPS 打开并另存为 .xlsx（不设密码）后再试")
_TOO_MANY = "文件包含的内容异常之多，读取会耗尽时间和内存，已拒绝读取"
_CREATES_CELLS = {"mergeCell": "合并了", "hyperlink": "给", "comment": "给"}
_WHAT = {"mergeCell": "", "hyperlink": "设置了超链接", "comment": "添加了批注"}
#: small parts whose bytes are kept for ``xlsx_direct`` (by name, as openpyxl looks them up),
#: and the worksheets' relationships (a comment makes openpyxl create its cell)
KEPT = frozenset(("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                  "xl/styles.xml", "xl/sharedStrings.xml"))
SHEET_RELS = "xl/worksheets/_rels/"
MAX_KEPT_PART = 2 * 1024 * 1024  # bytes kept of one such part; a larger one is not kept
@dataclass
class Survey:
    """What the guard learned of a workbook while it checked it."""

    members: list[str] = field(default_factory=list)  # as the zip lists them
    areas: dict[str, Area] = field(default_factory=dict)  # part -> its cells (parts looked at)
    differ: set[str] = field(default_factory=set)  # parts calamine reads otherwise than openpyxl
    #: "_rels/.rels" and "xl/_rels/workbook.xml.rels" (by name in any case): (Type, Target) each
    relationships: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: the shared strings calamine reads (by name, in any case): the count their root declares
    #: (calamine reserves room for that many before reading one) and the real ``si`` elements
    shared_strings: tuple[int, int] | None = None
    #: worksheets (under ``xl/worksheets/``) whose cells the pass read as openpyxl places them
    #: (``Captured``); a worksheet laid out otherwise is not here (``xlsx_direct`` declines)
    captured: dict[str, Captured] = field(default_factory=dict)
    #: the bytes of the small parts ``xlsx_direct`` reads besides the worksheets (by name)
    kept: dict[str, bytes] = field(default_factory=dict)
    #: a part holds what makes openpyxl create cells of its own (hyperlinks, comments)
    cell_makers: bool = False


@dataclass
class Scan:
    """What the members of one workbook really hold, counted as they are inflated and parsed."""

    survey: Survey = field(default_factory=Survey)
    inflated: int = 0
    covered: int = 0
    cells: int = 0
    elements: int = 0
    ranges: int = 0
    max_cells: int = field(default_factory=lambda: MAX_CELLS)  # (the limit when it started)

    def all(self, zf: zipfile.ZipFile) -> Survey:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise Refused(f"文件包含 {len(infos)} 个部件，异常之多，已拒绝读取")
        self.survey.members = [info.filename for info in infos]
        for info in infos:
            self.member(zf, info)
        return self.survey

    def member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        if info.flag_bits & 0x1:
            raise Refused(ENCRYPTED)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused(PACKED)
        if info.is_dir():
            return
        part: Part | None = None
        xml: bool | None = None
        inflated = 0
        kept: list[bytes] | None = [] if info.filename in KEPT or info.filename.startswith(
            SHEET_RELS) else None
        for chunk, last in inflate_chunks(zf, info, MAX_MEMBER):
            inflated += len(chunk)
            self.inflated += len(chunk)
            if self.inflated > MAX_UNCOMPRESSED:
                raise Refused(BOMB)
            if kept is not None:
                if inflated <= MAX_KEPT_PART:
                    kept.append(chunk)
                else:
                    kept = None
            if xml is None:
                xml = looks_like_xml(chunk)
                if xml and last and inflated == info.file_size:  # the whole part
                    self.count_elements(chunk)
                    self.whole(info.filename, chunk)
                    if kept is not None:
                        self.survey.kept[info.filename] = chunk
                    return
                part = Part(self, info.filename) if xml else None
            if part is not None:
                self.count_elements(chunk)
                if last and inflated == info.file_size:  # parsed to the end at once: the
                    part.parse(chunk, True)  # same as this, then the size, then the end;
                    break  # expat counts lines and columns after a parse that is not final
                part.parse(chunk, False)
        else:
            if inflated != info.file_size:  # zipfile would stop at the declared size;
                raise Refused(BOMB if inflated > info.file_size else DAMAGED)  # openpyxl not
            if part is not None:
                part.parse(b"", True)
        if kept is not None:
            self.survey.kept[info.filename] = b"".join(kept)

    def count_elements(self, chunk: bytes) -> None:
        self.elements += chunk.count(b"<")  # in C: every element starts with one
        if self.elements > MAX_ELEMENTS:
            raise Refused(_TOO_MANY)

    def whole(self, name: str, data: bytes) -> None:
        """Parse a part read in one chunk, or do what parsing the same bytes under the same
        name did before (in this process: the parts a batch's workbooks share), where that
        was no refusal and the counts stay within their limits (else they are parsed)."""
        survey, misses = self.survey, _MISSES.get(name, 0)
        if misses >= 4 and misses % 16:  # its bytes differ every time: hashing them is waste
            _MISSES[name] = misses + 1
            Part(self, name).parse(data, True)
            return
        key = (name, hashlib.sha256(data).digest())
        seen = _SEEN.get(key)
        if len(_MISSES) >= _MAX_SEEN:
            _MISSES.clear()
        _MISSES[name] = 0 if seen is not None else misses + 1
        if seen is not None and self.replay(seen, name):
            return
        before = (self.cells, self.covered, self.ranges)
        fresh = name not in survey.areas and name not in survey.differ
        part = Part(self, name)
        part.parse(data, True)
        if not fresh or (part.rels is not None  # kept small: the cache holds a few KB each
                         and sum(len(k) + len(t) for k, t in part.rels) > _MAX_SEEN_CHARS):
            return
        area = survey.areas.get(name)
        if len(_SEEN) >= _MAX_SEEN:
            _SEEN.clear()
        _SEEN[key] = _Seen(
            self.cells - before[0], self.covered - before[1], self.ranges - before[2],
            None if area is None else (area.rows, area.cols, area.plain), name in survey.differ,
            None if part.rels is None else tuple(part.rels),
            (part.strings[0], part.strings[1]) if "si" in part.local else None,
            survey.captured.get(name), part.makers)

    def replay(self, seen: _Seen, name: str) -> bool:
        """What parsing the part did to the survey and the counts, unless a limit is passed."""
        if (self.cells + seen.cells > self.max_cells
                or self.covered + seen.covered > MAX_MERGED_CELLS
                or self.ranges + seen.ranges > MAX_RANGES):
            return False
        self.cells += seen.cells
        self.covered += seen.covered
        self.ranges += seen.ranges
        survey = self.survey
        if seen.area is not None:  # as a part of the same name before it leaves it
            area = survey.areas.setdefault(name, Area())
            area.rows, area.cols = max(area.rows, seen.area[0]), max(area.cols, seen.area[1])
            area.plain = area.plain and seen.area[2]
        if seen.differ:
            survey.differ.add(name)
        if seen.rels is not None:
            survey.relationships[normal(name)] = list(seen.rels)
        if seen.strings is not None:
            survey.shared_strings = seen.strings
        if seen.captured is not None:
            survey.captured[name] = seen.captured
        else:
            survey.captured.pop(name, None)  # as a part of the same name laid out otherwise
        survey.cell_makers = survey.cell_makers or seen.makers
        return True

    def too_many_cells(self) -> None:
        raise Refused(f"工作簿的单元格超过 {self.max_cells:,} 个，不像报告工作簿，已拒绝读取")

    def count_ranges(self, sqref: str, part: str) -> None:
        self.ranges += len(sqref.split())
        if self.ranges > MAX_RANGES:
            raise Refused("条件格式或数据验证的区域异常之多，读取会耗尽时间和内存，已拒绝读取",
                          part)

    def count_cover(self, local: str, attrs: dict[str, str], part: str) -> None:
        ref = attrs.get("ref")
        if ref is None:
            return
        self.covered += short_covered(ref) if len(ref) <= 40 else covered(ref)
        if self.covered > MAX_MERGED_CELLS:
            raise Refused(f"{_CREATES_CELLS[local]}异常巨大的区域（{ref.strip()[:40]}）"
                          f"{_WHAT[local]}，读取会耗尽时间和内存；请在 Excel/WPS 中取消"
                          "后另存再试", part)


@dataclass(frozen=True)
class _Seen:
    """What parsing a part did: counts added, its cells' area, whether calamine reads it
    otherwise, its relationships, its shared strings (declared, real), its cells as read,
    whether it makes openpyxl create cells."""

    cells: int
    covered: int
    ranges: int
    area: tuple[int, int, bool] | None
    differ: bool
    rels: tuple[tuple[str, str], ...] | None
    strings: tuple[int, int] | None
    captured: Captured | None
    makers: bool


#: Parts parsed before in this process, by name and SHA-256 of their bytes (bounded).
_SEEN: dict[tuple[str, bytes], _Seen] = {}
_MAX_SEEN, _MAX_SEEN_CHARS = 512, 8192
_MISSES: dict[str, int] = {}  # by name: parts looked up in a row and not found (bounded)

