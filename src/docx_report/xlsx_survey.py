"""One pass over the members of a workbook: what the guard limits, and what the reader learns.

Every member is inflated as a stream, counting the bytes that really come out (a member that
declares 8 KB may inflate to gigabytes: declared sizes are never trusted), and every XML part is
parsed, also as a stream, by expat with DTDs refused (entity attacks need one). Names are read
as a namespace-aware parser sees them (``"namespace local"``), whatever prefix a file chose.

Most parts are parsed in C only: their elements are bounded by the ``<`` bytes they hold (every
element starts with one, and expat reads no encoding where ``<`` is another byte: UTF-8, UTF-16
and the single-byte codes that agree with ASCII there). Python looks at the elements of the
parts where openpyxl or calamine act on them:

* every part that declares SpreadsheetML's namespace (a worksheet under any name, comments…):
  merged ranges, ranged hyperlinks and comments make openpyxl create one object per cell they
  cover, so the cells they cover are limited; so are real cells and ``sqref`` ranges; a numeric
  cell that openpyxl cannot read (``NaN``, ``INF``) is named by sheet and cell;
* every part under ``xl/worksheets/``, where calamine reads cells by their local name in any
  namespace: the area its cells span (calamine builds a dense grid of it), whether each has a
  reference as Excel writes it, and what calamine reads otherwise than openpyxl (error cells,
  unknown cell types, Excel's ``_xHHHH_`` escapes in text, also in the shared strings);
* the package's and the workbook's relationships: which parts are the worksheets.

Python sees no more than it must: texts only inside a numeric ``<v>`` and, where calamine reads
text, once the bytes may spell an ``_``; a part that is no worksheet from the first chunk whose
bytes may name what is looked at (``xlsx_bytes``: bytes only ever prove an absence). A part read
in one chunk and parsed before in this process under the same name, with the same bytes
(SHA-256: the parts a batch's workbooks share), is not parsed again: what parsing it did is
done again, counted against the limits (over one, it is parsed and refused as it would be).

What was learned is the ``Survey``; ``xlsx_fast`` decides from it which reader reads the file.
"""

from __future__ import annotations

import functools
import hashlib
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from docx_report.xlsx_bytes import (
    BOMB,
    MAX_MEMBER,
    OVERLAP,
    Refused,
    inflate_chunks,
    looks_like_xml,
    may_hold_sheet_names,
    may_spell_underscore,
)
from docx_report.xlsx_cells import cell_position, covered, readable, short_covered

# Bounds on what is real: bytes actually inflated, cells openpyxl would actually create.
MAX_UNCOMPRESSED = 100 * 1024 * 1024  # all members together, as inflated
MAX_MEMBERS = 10_000
MAX_MERGED_CELLS = 100_000  # cells covered by merges, ranged hyperlinks and comments
MAX_CELLS = 1_000_000  # cell elements in all sheets
MAX_ELEMENTS = 10_000_000  # XML elements in all parts (bounded by the '<' they hold)
MAX_RANGES = 100_000  # ranges in sqref lists (conditional formats, validations …)

UNSAFE_XML = "工作簿含有不安全的 XML 内容（DTD、实体或外部引用），已拒绝读取"
DAMAGED = "文件已损坏或不完整（可能没有复制或下载完整）；请重新保存后再试"
PACKED = ("文件的压缩方式不受支持（可能被压缩软件重新打包过）；"
          "请用 Excel/WPS 打开并另存为 .xlsx 后再试")
ENCRYPTED = ("工作簿中的内容被压缩软件加了密码，无法读取；"
             "请用 Excel/WPS 打开并另存为 .xlsx（不设密码）后再试")
_TOO_MANY = "文件包含的内容异常之多，读取会耗尽时间和内存，已拒绝读取"
_MAIN_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            "http://purl.oclc.org/ooxml/spreadsheetml/main")
_CREATES_CELLS = {"mergeCell": "合并了", "hyperlink": "给", "comment": "给"}
_WHAT = {"mergeCell": "", "hyperlink": "设置了超链接", "comment": "添加了批注"}
_NUMERIC = frozenset(("n", "s", "b", "d"))  # cell types whose <v> openpyxl converts
_SAME_TYPES = frozenset(("n", "s", "b", "d", "str", "inlineStr"))  # read alike by both
_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
RELATIONSHIPS = ("_rels/.rels", "xl/_rels/workbook.xml.rels")  # recorded for the reader
#: small parts whose bytes are kept for ``xlsx_direct`` (by name, as openpyxl looks them up)
KEPT = frozenset(("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                  "xl/styles.xml", "xl/sharedStrings.xml"))
MAX_KEPT = 8 * 1024 * 1024  # bytes kept of one such part; a larger one is not kept
_M = _MAIN_NS[0]  # the names of a worksheet's layout, as parsed (transitional namespace only)
_SHEET_DATA, _ROW, _C, _F, _IS, _T, _MERGE = (
    f"{_M} {local}" for local in ("sheetData", "row", "c", "f", "is", "t", "mergeCell"))
# The sheetData as Excel, LibreOffice, WPS and openpyxl write it (in the default namespace):
# rows of cells, each with a formula, a value or an inline string's one text, no text outside
# them and nothing else (attributes may hold '>' but never '<', so every '<' starts a tag as
# parsed); and no element that ``start`` would take for one of them right after it.
# (Possessive repetitions: a whole row or cell matched is never given back.)
_ATTRS = rb"(?:\s[^<>]*)?"  # (gives back the "/" of <c r="A1"/>)
_CELL_XML = (rb"<c" + _ATTRS + rb"(?:/>|>(?:<f" + _ATTRS + rb"(?:/>|>[^<]*+</f>))?+"
             rb"(?:<v>[^<]*+</v>|<v/>|<is>(?:<t" + _ATTRS + rb"(?:/>|>[^<]*+</t>))?+</is>"
             rb"|<is/>)?+</c>)")
_ROW_XML = rb"<row" + _ATTRS + rb"(?:/>|>(?:" + _CELL_XML + rb")*+</row>)"
_SHEET_DATA_XML = re.compile(rb"<sheetData(?:/>|>(?:" + _ROW_XML + rb")*+</sheetData>)"
                             rb"(?=<(?!(?:row|c|f|v|is|t)[\s/>]|[!?]))")
_MERGES_XML = re.compile(rb"<mergeCells" + _ATTRS + rb">(?:<mergeCell\s[^<>]*/>)*</mergeCells>")


@dataclass
class Area:
    """The cells of one part, as calamine places them (every element named ``c``)."""

    rows: int = 0  # the highest row (1-based) of a cell
    cols: int = 0  # the highest column
    plain: bool = True  # every cell has a reference as Excel writes it (A1 … XFD1048576)


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


@dataclass(frozen=True)
class Captured:
    """A worksheet's cells as its XML lays them out: every cell a ``c`` of a ``row`` of the
    ``sheetData``, each ``[row, column, type, style, text]`` (style and text as written, or
    None: the text of its ``v``, or of its inline string's ``t``, "" for an ``is`` without
    one), and the ``ref`` of each merge."""

    cells: tuple[list[Any], ...]
    merges: tuple[str, ...]


@dataclass
class Scan:
    """What the members of one workbook really hold, counted as they are inflated and parsed."""

    survey: Survey = field(default_factory=Survey)
    inflated: int = 0
    covered: int = 0
    cells: int = 0
    elements: int = 0
    ranges: int = 0

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
        part: _Part | None = None
        xml: bool | None = None
        inflated = 0
        kept: list[bytes] | None = [] if info.filename in KEPT else None
        for chunk, last in inflate_chunks(zf, info, MAX_MEMBER):
            inflated += len(chunk)
            self.inflated += len(chunk)
            if self.inflated > MAX_UNCOMPRESSED:
                raise Refused(BOMB)
            if kept is not None:
                if inflated <= MAX_KEPT:
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
                part = _Part(self, info.filename) if xml else None
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
            _Part(self, name).parse(data, True)
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
        part = _Part(self, name)
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
        if (self.cells + seen.cells > MAX_CELLS or self.covered + seen.covered > MAX_MERGED_CELLS
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
            survey.relationships[_normal(name)] = list(seen.rels)
        if seen.strings is not None:
            survey.shared_strings = seen.strings
        if seen.captured is not None:
            survey.captured[name] = seen.captured
        else:
            survey.captured.pop(name, None)  # as a part of the same name laid out otherwise
        survey.cell_makers = survey.cell_makers or seen.makers
        return True

    def too_many_cells(self) -> None:
        raise Refused(f"工作簿的单元格超过 {MAX_CELLS:,} 个，不像报告工作簿，已拒绝读取")

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


#: (row, column) of the references seen in cells, as ``cell_position`` reads them: the same few
#: hundred in every workbook of a batch. Bounded: a reference not kept is read again.
_POSITIONS: dict[str, tuple[int, int]] = {}
_MAX_POSITIONS = 10_000


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

# what an element is (else a handler); _LAYOUT: the other elements of a worksheet's cells
_CELL, _VALUE, _STRING, _LAYOUT = "cell", "value", "string", "layout"
Kind = str | Callable[[dict[str, str]], None]


class _Part:
    """The parse of one XML member. expat alone (in C) reads it until it is watched: from then
    on every element goes through ``start`` (the names, ``"namespace local"``, are looked up in
    ``kinds``); texts go through Python only where they are read (see ``watch``)."""

    def __init__(self, scan: Scan, name: str) -> None:
        self.scan, self.name = scan, name
        self.parser = parser = expat.ParserCreate(namespace_separator=" ")

        def refuse(*_: Any) -> Any:
            raise Refused(UNSAFE_XML)

        parser.StartDoctypeDeclHandler = refuse
        parser.EntityDeclHandler = refuse
        parser.ExternalEntityRefHandler = refuse
        parser.StartNamespaceDeclHandler = self.namespace
        parser.buffer_text = True
        self.kinds: dict[str, Kind] = {}
        self.local: dict[str, Kind] = {}  # kinds by local name, in any namespace
        self.start: Callable[[str, dict[str, str]], None] | None = None
        self.finish: Callable[[], None] = _nothing
        self.escaping: Callable[[], None] = _nothing
        self.last = b""  # the end of the bytes parsed before (a name may span chunks)
        self.chunk = b""  # the bytes being parsed, while the part is not watched
        self.main = False  # declares SpreadsheetML's namespace
        self.rels: list[tuple[str, str]] | None = None
        self.strings = [0, 0]  # declared, real (shared strings only)
        self.makers = False  # holds hyperlinks or comments (openpyxl creates their cells)
        self.captured: Captured | None = None  # its cells, read as openpyxl places them
        normal = _normal(name)
        self.escapes = normal.startswith("xl/worksheets/") or normal == "xl/sharedstrings.xml"
        self.capture = name.startswith("xl/worksheets/")  # as openpyxl names it (no other case)
        self.raw: list[bytes] | None = [] if self.capture else None  # its bytes, for laid_out
        self.kept = 0
        if normal.startswith("xl/worksheets/"):  # where calamine reads cells, in any namespace
            self.local = self.sheet_kinds()
            self.watch()
        elif normal in RELATIONSHIPS:
            self.rels = []
            self.local = {"Relationship": self.on_relationship}
            self.watch()
        elif normal == "xl/sharedstrings.xml":
            self.local = {"sst": self.on_strings, "si": _STRING}
            self.watch()
        self.kinds.update(self.local)  # elements in no namespace

    def parse(self, data: bytes, final: bool) -> None:
        # (a reference cut by the chunks spells its "_" in the next, which holds the escape's
        # other "_", written or spelled)
        if self.escapes and may_spell_underscore(data):
            self.escapes = False  # from here on every text is looked at
            self.escaping()
        if self.start is None:
            self.chunk = data
            if self.main and self.looked_for():
                self.watch()
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError:
            raise Refused(DAMAGED) from None
        self.last = data[-OVERLAP:]
        if self.raw is not None:
            self.raw.append(data)
            self.kept += len(data)
            if self.kept > MAX_KEPT:
                self.raw = None
        if final:
            self.finish()
            if self.captured is not None and (self.raw is None or not laid_out(self.raw)):
                self.captured = None
            survey = self.scan.survey
            survey.cell_makers = survey.cell_makers or self.makers
            if self.captured is not None:
                survey.captured[self.name] = self.captured
            if self.rels is not None:
                self.scan.survey.relationships[_normal(self.name)] = self.rels
            if "si" in self.local:
                self.scan.survey.shared_strings = (self.strings[0], self.strings[1])

    def sheet_kinds(self) -> dict[str, Kind]:
        """What is looked at in a sheet's elements, by local name."""
        covers: dict[str, Kind] = {local: functools.partial(self.count_cover, local)
                                   for local in _CREATES_CELLS}
        layout = dict.fromkeys(("sheetData", "row", "f", "is", "t"), _LAYOUT) if self.capture \
            else {}
        return {"c": _CELL, "v": _VALUE, **covers, **layout}

    def count_cover(self, local: str, attrs: dict[str, str]) -> None:
        if local != "mergeCell":
            self.makers = True  # openpyxl creates the cells of hyperlinks and comments
        self.scan.count_cover(local, attrs, self.name)

    def namespace(self, _prefix: str | None, uri: str) -> None:
        for local, kind in self.local.items():
            self.kinds[f"{uri} {local}"] = kind
        if uri in _MAIN_NS:  # openpyxl may read this part as a sheet, under any name
            for local, kind in self.sheet_kinds().items():
                self.kinds[f"{uri} {local}"] = kind
            if not self.main:
                self.main = True
                self.scan.survey.areas.setdefault(self.name, Area())
            if self.start is None and self.looked_for():  # else nothing ``start`` looks
                self.watch()  # at comes in these bytes: it is watched from the first that may

    def looked_for(self) -> bool:
        """May the bytes being parsed (with the end of those before) hold an element or an
        attribute that ``start`` looks at in a part that is no worksheet?"""
        return (may_hold_sheet_names(self.chunk)
                or may_hold_sheet_names(self.last + self.chunk[:OVERLAP]))

    def on_strings(self, attrs: dict[str, str]) -> None:
        # The digits of the count as a number, whatever else is written: never less than
        # what calamine may read from it.
        declared = "".join(ch for ch in attrs.get("uniqueCount", "")[:40] if "0" <= ch <= "9")
        self.strings[0] = max(self.strings[0], int(declared or 0))

    def on_relationship(self, attrs: dict[str, str]) -> None:
        if self.rels is not None and attrs.get("TargetMode") != "External":
            self.rels.append((attrs.get("Type", ""), attrs.get("Target", "")))

    def watch(self) -> None:
        """Look at every element of this part from here on, and at the texts that matter.

        The handlers are closures over the state of the cell being read: they run for every
        element of every sheet, so they look up nothing they need not. Texts come through
        Python only where they are read: inside a ``<v>`` (``collect`` is the text handler
        from its start to the next element's) and, in the parts calamine reads text from,
        once their bytes may spell an ``_`` (``escaping``).

        A worksheet under ``xl/worksheets/`` also has its cells read (``Captured``): each
        ``c`` of the ``sheetData``, its type, style and the text of its ``v`` or of its inline
        string's ``t``, taken up to the next element's start. That is the value's own text,
        and the cells are where openpyxl finds them, only where ``laid_out`` proves from the
        bytes that the sheetData holds nothing else (no text outside values, no other
        element); elsewhere the part is not captured and another reader reads the file.
        """
        if self.start is not None:
            return
        scan, part, kind_of, parser = self.scan, self.name, self.kinds.get, self.parser
        strings = self.strings
        area = scan.survey.areas.setdefault(part, Area())
        differ, numeric, same = scan.survey.differ, _NUMERIC, _SAME_TYPES
        positions = _POSITIONS
        position_of = positions.get
        cell, cell_type, tail, rows, cols = "", "n", "", area.rows, area.cols
        value: list[str] | None = None  # the text of the <v> being read, when it is a number
        escapes = False  # every text goes through ``text``
        # Reading the cells: whether they still are, whether in the sheetData, the cell being
        # read (row, column, type, style, text), the text being taken.
        capture, in_data = self.capture, False
        cells: list[list[Any]] = []
        merges: list[str] = []
        record: list[Any] = []
        took: list[str] | None = None

        def finish() -> None:
            # The <v> ends before the next element starts: its text (and any after it, which
            # Excel never writes) has come through the text handler by then, in one piece or
            # more (pyexpat hands its buffered text over before it calls ``start``).
            nonlocal value
            if value is None:
                return
            text = "".join(value)
            value = None
            if not escapes and not capture:
                parser.CharacterDataHandler = None
            if not (text.isdigit() and text.isascii()) and not readable(cell_type, text):
                shown = text.strip()[:20] or "空"
                raise Refused(f"单元格 {cell or '?'} 的值「{shown}」不是有效的数值"
                              "（文件可能由其他程序写出）；请在 Excel/WPS 中重新输入"
                              "该单元格后另存再试", part)

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal cell, cell_type, value, rows, cols, capture, in_data, record, took
            if value is not None:
                finish()
            if took is not None:
                record[4] = "".join(took)
                took = None
            kind = kind_of(name)
            if kind is None:
                in_data = False  # the sheetData has ended (no other element is in it)
                if "sqref" in attrs and name.rpartition(" ")[0] in _MAIN_NS:
                    scan.count_ranges(attrs["sqref"], part)
            elif kind is _CELL:
                scan.cells += 1
                if scan.cells > MAX_CELLS:
                    scan.too_many_cells()
                cell, cell_type = attrs.get("r", ""), attrs.get("t", "n")
                if cell_type not in same:  # an error cell: calamine makes it a blank
                    differ.add(part)
                at = position_of(cell)
                if at is None:
                    at = cell_position(cell)
                    if at is None:  # calamine would place it after the one before
                        area.plain = capture = False
                        return
                    if len(positions) < _MAX_POSITIONS:
                        positions[cell] = at
                row, col = at
                if row > rows:
                    rows = area.rows = row
                if col > cols:
                    cols = area.cols = col
                if capture:
                    if in_data and name == _C:
                        record = [row, col, cell_type, attrs.get("s"), None]
                        cells.append(record)
                    else:
                        capture = False  # a cell where openpyxl does not look
            elif kind is _VALUE:
                if cell_type in numeric:
                    value = []
                    if not escapes:
                        parser.CharacterDataHandler = collect
                if in_data and cell_type != "inlineStr":
                    took = []
            elif kind is _LAYOUT:
                if name == _IS:
                    if in_data and cell_type == "inlineStr":
                        record[4] = ""  # an inline string (without a <t>: "")
                elif name == _T:
                    if in_data and cell_type == "inlineStr":
                        took = []
                elif name == _SHEET_DATA:
                    in_data = True
                elif name != _ROW and name != _F:
                    capture = False  # in another namespace: openpyxl reads it otherwise
            elif kind is _STRING:
                strings[1] += 1
            elif not isinstance(kind, str):
                in_data = False
                if name == _MERGE:
                    merges.append(attrs.get("ref", ""))
                elif name.endswith("mergeCell"):
                    capture = False  # in another namespace
                kind(attrs)

        def collect(data: str) -> None:
            if value is not None and len(value) < 8:
                value.append(data)
            if took is not None:
                took.append(data)

        def text(data: str) -> None:
            nonlocal tail
            if value is not None and len(value) < 8:
                value.append(data)
            if took is not None:
                took.append(data)
            if "_" in data or "_" in tail:
                # Excel's escapes (calamine undoes them, openpyxl does not), even in pieces
                if _ESCAPE.search(tail + data):
                    differ.add(part)
                tail = (tail + data)[-6:]

        def escaping() -> None:
            nonlocal escapes
            escapes = True
            parser.CharacterDataHandler = text

        def done() -> None:
            finish()
            if took is not None:
                record[4] = "".join(took)
            if capture and not self.makers:
                self.captured = Captured(tuple(cells), tuple(merges))

        self.start, self.escaping = start, escaping
        self.finish = done if capture else finish
        parser.StartElementHandler = start
        if capture:
            parser.CharacterDataHandler = collect


def _nothing() -> None:
    pass


def laid_out(chunks: list[bytes]) -> bool:
    """Does this worksheet hold one sheetData laid out as ``_SHEET_DATA_XML`` says, and its
    merges only in one mergeCells (each an unprefixed child of it)? (Read from the bytes: a
    pattern only ever proves an absence here, of anything else in the sheetData.)"""
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if data.count(b"<sheetData") != 1 or _SHEET_DATA_XML.search(data) is None:
        return False
    named = data.count(b"mergeCell")
    if not named:
        return True
    merges = _MERGES_XML.search(data)
    return merges is not None and merges.group().count(b"mergeCell") == named


def _normal(name: str) -> str:
    """A member's name as calamine looks it up (in any case, either slash)."""
    return name.replace("\\", "/").lower()


