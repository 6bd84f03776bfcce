"""The parse of one XML member of a workbook, for the guard's one pass (``xlsx_survey``).

Most parts are parsed in C only: their elements are bounded by the ``<`` bytes they hold (every
element starts with one, and expat reads no encoding where ``<`` is another byte: UTF-8, UTF-16
and the single-byte codes that agree with ASCII there). Python looks at the elements of the
parts where openpyxl or calamine act on them (``Part.watch``):

* every part that declares SpreadsheetML's namespace (a worksheet under any name, comments…):
  merged ranges, ranged hyperlinks and comments make openpyxl create one object per cell they
  cover, so the cells they cover are limited; so are real cells and ``sqref`` ranges; a numeric
  cell that openpyxl cannot read (``NaN``, ``INF``) is named by sheet and cell;
* every part under ``xl/worksheets/``, where calamine reads cells by their local name in any
  namespace: the area its cells span (calamine builds a dense grid of it), whether each has a
  reference as Excel writes it, and what calamine reads otherwise than openpyxl (error cells,
  unknown cell types, Excel's ``_xHHHH_`` escapes in text, also in the shared strings); and
  each cell's type, style and value text (``Captured``, for ``xlsx_direct``), where the bytes
  prove the layout (``laid_out``);
* the package's and the workbook's relationships: which parts are the worksheets.

Python sees no more than it must: texts only inside a ``<v>`` or an inline string's ``<t>``
and, where calamine reads text, once the bytes may spell an ``_``; a part that is no worksheet
from the first chunk whose bytes may name what is looked at (``xlsx_bytes``: bytes only ever
prove an absence).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from docx_report.xlsx_bytes import OVERLAP, Refused, may_hold_sheet_names, may_spell_underscore
from docx_report.xlsx_cells import cell_position, readable

if TYPE_CHECKING:
    from docx_report.xlsx_survey import Scan

MAX_KEPT = 8 * 1024 * 1024  # bytes kept of one part for ``xlsx_direct``; a larger one is not
UNSAFE_XML = "工作簿含有不安全的 XML 内容（DTD、实体或外部引用），已拒绝读取"
DAMAGED = "文件已损坏或不完整（可能没有复制或下载完整）；请重新保存后再试"
MAIN_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
           "http://purl.oclc.org/ooxml/spreadsheetml/main")
CREATES_CELLS = ("mergeCell", "hyperlink", "comment")  # openpyxl creates the cells they cover
RELATIONSHIPS = ("_rels/.rels", "xl/_rels/workbook.xml.rels")  # recorded for the reader
_NUMERIC = frozenset(("n", "s", "b", "d"))  # cell types whose <v> openpyxl converts
_SAME_TYPES = frozenset(("n", "s", "b", "d", "str", "inlineStr"))  # read alike by both
_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
_M = MAIN_NS[0]  # the names of a worksheet's layout, as parsed (transitional namespace only)
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
                             rb"(?=<(?!(?:[^\s/>:]*:)?(?:row|c|f|v|is|t)[\s/>]|[!?]))")
_MERGES_XML = re.compile(rb"<mergeCells" + _ATTRS + rb">(?:<mergeCell\s[^<>]*/>)*+</mergeCells>")


@dataclass
class Area:
    """The cells of one part, as calamine places them (every element named ``c``)."""

    rows: int = 0  # the highest row (1-based) of a cell
    cols: int = 0  # the highest column
    plain: bool = True  # every cell has a reference as Excel writes it (A1 … XFD1048576)


@dataclass(frozen=True)
class Captured:
    """A worksheet's cells as its XML lays them out: every cell a ``c`` of a ``row`` of the
    ``sheetData``, each ``[row, column, type, style, text]`` (style and text as written, or
    None: the text of its ``v``, or of its inline string's ``t``, "" for an ``is`` without
    one), and the ``ref`` of each merge."""

    cells: tuple[list[Any], ...]
    merges: tuple[str, ...]


#: (row, column) of the references seen in cells, as ``cell_position`` reads them: the same few
#: hundred in every workbook of a batch. Bounded: a reference not kept is read again.
_POSITIONS: dict[str, tuple[int, int]] = {}
_MAX_POSITIONS = 10_000


# what an element is (else a handler); _LAYOUT: the other elements of a worksheet's cells
_CELL, _VALUE, _STRING, _LAYOUT = "cell", "value", "string", "layout"
Kind = str | Callable[[dict[str, str]], None]


class Part:
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
        lower = normal(name)
        self.escapes = lower.startswith("xl/worksheets/") or lower == "xl/sharedstrings.xml"
        self.capture = name.startswith("xl/worksheets/")  # as openpyxl names it (no other case)
        self.raw: list[bytes] | None = [] if self.capture else None  # its bytes, for laid_out
        self.kept = 0
        if lower.startswith("xl/worksheets/"):  # where calamine reads cells, in any namespace
            self.local = self.sheet_kinds()
            self.watch()
        elif lower in RELATIONSHIPS:
            self.rels = []
            self.local = {"Relationship": self.on_relationship}
            self.watch()
        elif lower == "xl/sharedstrings.xml":
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
                self.scan.survey.relationships[normal(self.name)] = self.rels
            if "si" in self.local:
                self.scan.survey.shared_strings = (self.strings[0], self.strings[1])

    def sheet_kinds(self) -> dict[str, Kind]:
        """What is looked at in a sheet's elements, by local name."""
        covers: dict[str, Kind] = {local: functools.partial(self.count_cover, local)
                                   for local in CREATES_CELLS}
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
        if uri in MAIN_NS:  # openpyxl may read this part as a sheet, under any name
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
        strings, max_cells = self.strings, scan.max_cells
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
                if capture:
                    record[4] = "".join(took)
                took = None
            kind = kind_of(name)
            if kind is None:
                in_data = False  # the sheetData has ended (no other element is in it)
                if "sqref" in attrs and name.rpartition(" ")[0] in MAIN_NS:
                    scan.count_ranges(attrs["sqref"], part)
            elif kind is _CELL:
                scan.cells += 1
                if scan.cells > max_cells:
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
                if capture and in_data and cell_type != "inlineStr":
                    took = []
            elif kind is _LAYOUT:
                if name == _IS:
                    if capture and in_data and cell_type == "inlineStr":
                        record[4] = ""  # an inline string (without a <t>: "")
                elif name == _T:
                    if capture and in_data and cell_type == "inlineStr":
                        took = []
                elif name == _SHEET_DATA:
                    in_data = True
                elif name == _ROW:
                    capture = capture and in_data  # openpyxl reads a row wherever it is
                elif name != _F:
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
            if capture and took is not None:
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


def normal(name: str) -> str:
    """A member's name as calamine looks it up (in any case, either slash)."""
    return name.replace("\\", "/").lower()


