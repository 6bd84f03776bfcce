"""A workbook's values from the guard's own pass: no second parse of its worksheets.

``xlsx_guard.check_xlsx`` parses every worksheet to check it; while it does, ``xlsx_survey``
also reads each cell (``Captured``: position, type, style, text) of a worksheet laid out as
openpyxl places cells, and keeps the bytes of the few small parts the values also depend on
(content types, workbook, its relationships, styles, shared strings). ``read`` makes of them
the values openpyxl's ``load_workbook(data_only=True)`` gives, to the Python type:

* a number is ``int`` unless its text has ``.``, ``E`` or ``e``; under a date format it is a
  ``datetime`` (as ``openpyxl.utils.datetime.from_excel`` makes it);
* a shared string is its plain text and its runs' texts joined (``x005F_`` removed), an inline
  string its ``t``'s text; a boolean is ``bool``; an empty value is None;
* a cell covered by a merge, but not its first, is None (and exists, for ``max_row``).

Where any of this could differ from openpyxl — another layout, a type or an attribute it reads
otherwise, a date it gives as a time or a duration, the 1904 calendar, hyperlinks or comments
(openpyxl creates their cells), a part too large to keep — ``read`` returns None and the file
is read by calamine or openpyxl as before (``xlsx_fast.open_book``). Nothing is parsed twice:
the small parts are parsed here once each (the same bytes, once per process).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from xml.etree import ElementTree

from docx_report.layout import META_SHEET, SCAN_COLS, SCAN_ROWS, PackRecord
from docx_report.xlsx_cells import range_boundaries
from docx_report.xlsx_survey import SHEET_RELS, Captured, Survey

T = TypeVar("T")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_WORKBOOK_TYPES = frozenset((
    _SPREADSHEET + "sheet.main+xml", _SPREADSHEET + "template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml"))
_STRINGS_TYPE = _SPREADSHEET + "sharedStrings+xml"
_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_BAD_TITLE = re.compile(r"[\\*?:/\[\]]")  # openpyxl refuses a sheet title with these
_PHONETIC_TYPES = frozenset(("halfwidthKatakana", "fullwidthKatakana", "Hiragana",
                             "noConversion"))
_PHONETIC_ALIGN = frozenset(("noControl", "left", "center", "distributed"))
_EPOCH = dt.datetime(1899, 12, 30)

# openpyxl's built-in number formats that are dates (``is_date_format``) and durations
_BUILTIN_DATES = frozenset((*range(14, 23), 45, 46, 47))
_BUILTIN_DURATIONS = frozenset((46,))
# openpyxl's ``is_date_format`` and ``is_timedelta_format``, as in openpyxl 3.1
_LITERAL = r'".*?"'
_LOCALE = r"\[(?!hh?\]|mm?\]|ss?\])[^]]*\]"
_STRIP = re.compile(f"{_LITERAL}|{_LOCALE}")
_DATE_CHAR = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_DURATION = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)


class _Declined(Exception):
    """openpyxl might read this otherwise: the workbook is left to the other readers."""


def is_date_format(code: str) -> bool:
    return _DATE_CHAR.search(_STRIP.sub("", code.split(";")[0])) is not None


def is_duration_format(code: str) -> bool:
    return _DURATION.search(code.split(";")[0]) is not None


def read(path: Path, survey: Survey) -> DirectBook | None:
    """The workbook's values as openpyxl gives them, from what the guard's pass read; None
    where they could differ (see the module's docstring). ``survey`` must be one
    ``xlsx_fast.calamine_reads_exactly`` accepts (plain parts, plain references)."""
    kept = survey.kept
    if survey.cell_makers or any(name not in kept for name in _NEEDED):
        return None
    for name in survey.members:  # a comment makes openpyxl create its cell (in any namespace)
        if name.startswith(SHEET_RELS) and (name not in kept or b"comments" in kept[name]
                                            or b"&" in kept[name]):
            return None
    try:
        strings_part = _parts(kept["[Content_Types].xml"])
        if strings_part is not None and strings_part not in kept:
            raise _Declined
        sheets = _sheets(kept["xl/workbook.xml"], kept["xl/_rels/workbook.xml.rels"])
        dates, styles = _styles(kept["xl/styles.xml"])
        strings = _strings(kept[strings_part]) if strings_part is not None else ()
        grids: dict[str, dict[tuple[int, int], Any]] = {}
        extents: dict[str, tuple[int, int]] = {}
        for name, target in sheets:
            captured = survey.captured.get(target)
            if captured is None:
                raise _Declined
            grids[name], extents[name] = _cells(captured, strings, dates, styles)
    except (_Declined, ElementTree.ParseError, ValueError, IndexError, KeyError,
            OverflowError):
        return None
    return DirectBook(path, grids, extents)


def _small_parts(parse: Callable[..., T]) -> Callable[..., T]:
    """``parse``, remembering what it made of the last few parts of the same bytes (a batch's
    workbooks share them) while they are small: a worker holds no large part once done."""
    made: dict[tuple[bytes, ...], T] = {}

    @functools.wraps(parse)
    def remembered(*parts: bytes) -> T:
        if parts in made:
            return made[parts]
        found = parse(*parts)
        if sum(map(len, parts)) <= _REMEMBERED:
            if len(made) >= 8:
                made.clear()
            made[parts] = found
        return found

    return remembered


_REMEMBERED = 256 * 1024  # bytes of a part (or parts) whose reading is remembered
_NEEDED = ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
           "xl/styles.xml")


@_small_parts
def _parts(data: bytes) -> str | None:
    """The shared strings part openpyxl reads (the first override of that type), or None;
    declined unless every workbook override names xl/workbook.xml."""
    root = _tree(data)
    if root.tag != f"{_TYPES}Types":
        raise _Declined
    strings: str | None = None
    workbook = False
    for el in root:
        if el.tag == f"{_TYPES}Default":
            continue
        if el.tag != f"{_TYPES}Override":
            raise _Declined  # openpyxl reads an override in any namespace
        kind, name = el.get("ContentType"), el.get("PartName")
        if kind in _WORKBOOK_TYPES:
            if name != "/xl/workbook.xml":
                raise _Declined
            workbook = True
        elif kind == _STRINGS_TYPE and strings is None:
            if name != "/xl/sharedStrings.xml":
                raise _Declined
            strings = name[1:]
    if not workbook:
        raise _Declined
    return strings


@_small_parts
def _sheets(workbook: bytes, rels: bytes) -> tuple[tuple[str, str], ...]:
    """(title, part) of each worksheet, in order, as openpyxl finds them."""
    targets: dict[str, tuple[str, str]] = {}  # by Id, the last of an Id (as openpyxl)
    root = _tree(rels)
    if root.tag != f"{_PKG_REL}Relationships":
        raise _Declined
    for el in root:
        kind, target = el.get("Type"), el.get("Target")
        if el.tag != f"{_PKG_REL}Relationship" or kind is None or target is None:
            raise _Declined
        part = target[1:] if target.startswith("/") else f"xl/{target}"
        if el.get("TargetMode") == "External":
            part = ""
        ident = el.get("Id")
        if not ident:
            raise _Declined  # openpyxl refuses it
        targets[ident] = (kind, part)
    root = _tree(workbook)
    if root.tag != f"{_MAIN}workbook":
        raise _Declined
    lists = _only(root, "sheets", required=True)
    for el in _only(root, "workbookPr"):
        if el.get("date1904", "0") not in ("0", "false"):
            raise _Declined  # the 1904 calendar
    found: list[tuple[str, str]] = []
    titles: set[str] = set()
    for el in lists[0]:
        title, rid = el.get("name") or "", el.get(f"{_REL}id")
        if (el.tag != f"{_MAIN}sheet" or not rid or not title or _BAD_TITLE.search(title)
                or title.lower() in titles or not (el.get("sheetId") or "").isdigit()
                or el.get("state", "visible") not in ("visible", "hidden", "veryHidden")):
            raise _Declined
        titles.add(title.lower())
        kind, part = targets[rid]  # KeyError: declined below
        if "chartsheet" in kind:
            continue
        if kind != _WORKSHEET or not part:
            raise _Declined
        found.append((title, part))
    return tuple(found)


@_small_parts
def _styles(data: bytes) -> tuple[frozenset[int], int]:
    """The cell styles whose number format is a date (a duration is declined), and how
    many cell styles there are."""
    root = _tree(data)
    if root.tag != f"{_MAIN}styleSheet":
        raise _Declined
    custom: dict[int, str] = {}
    xfs: list[int] = []
    _only(root, "numFmts")
    _only(root, "cellXfs")
    for el in root:
        if el.tag == f"{_MAIN}numFmts":
            for fmt in el:
                code, ident = fmt.get("formatCode"), fmt.get("numFmtId") or ""
                if fmt.tag != f"{_MAIN}numFmt" or code is None or not ident.isdigit():
                    raise _Declined
                custom[int(ident)] = code
        elif el.tag == f"{_MAIN}cellXfs":
            for xf in el:
                ident = xf.get("numFmtId", "0")
                if xf.tag != f"{_MAIN}xf" or not ident.isdigit():
                    raise _Declined
                xfs.append(int(ident))
    dates: set[int] = set()
    for index, number in enumerate(xfs):
        code = custom.get(number)
        if code is None:
            date, duration = number in _BUILTIN_DATES, number in _BUILTIN_DURATIONS
        else:
            date, duration = is_date_format(code), is_duration_format(code)
        if duration:
            raise _Declined  # openpyxl gives a timedelta
        if date:
            dates.add(index)
    return frozenset(dates), len(xfs)


@_small_parts
def _strings(data: bytes) -> tuple[str, ...]:
    """The shared strings as openpyxl reads them (``reader.strings.read_string_table``)."""
    root = _tree(data)
    if root.tag != f"{_MAIN}sst":
        raise _Declined
    strings: list[str] = []
    for si in root:
        if si.tag != f"{_MAIN}si" or si.attrib:
            raise _Declined
        plain: str | None = None
        runs: list[str] = []
        seen_plain = False
        for el in si:
            tag = el.tag
            if tag == f"{_MAIN}t":
                if seen_plain:
                    raise _Declined
                seen_plain, plain = True, _text(el)
            elif tag == f"{_MAIN}r":
                runs.append(_run(el))
            elif tag == f"{_MAIN}rPh":
                if set(el.attrib) - {"sb", "eb"} or not all(
                        el.get(key, "").isdigit() for key in ("sb", "eb")):
                    raise _Declined
                for t in el:
                    if t.tag != f"{_MAIN}t":
                        raise _Declined
                    _text(t)
            elif tag == f"{_MAIN}phoneticPr":
                if (len(el) or set(el.attrib) - {"fontId", "type", "alignment"}
                        or not el.get("fontId", "").isdigit()
                        or el.get("type", "noConversion") not in _PHONETIC_TYPES
                        or el.get("alignment", "left") not in _PHONETIC_ALIGN):
                    raise _Declined
            else:
                raise _Declined
        strings.append(((plain or "") + "".join(runs)).replace("x005F_", ""))
    if sum(1 for _ in root.iter(f"{_MAIN}si")) != len(strings):
        raise _Declined  # openpyxl reads an si wherever it is
    return tuple(strings)


def _tree(data: bytes) -> ElementTree.Element:
    """A small part parsed, declined where lxml (openpyxl's parser) would read it otherwise:
    a comment or a processing instruction (lxml keeps them as elements), nesting deeper
    than lxml allows."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if body.startswith(b"<?xml"):
        body = body[body.find(b"?>") + 2:]
    if b"<!--" in body or b"<?" in body:
        raise _Declined
    root = ElementTree.fromstring(data)
    level: list[tuple[ElementTree.Element, int]] = [(root, 1)]
    while level:
        el, depth = level.pop()
        if len(el):
            if depth >= _MAX_DEPTH:
                raise _Declined
            level.extend((child, depth + 1) for child in el)
    return root


_MAX_DEPTH = 255  # (lxml refuses a document nested deeper than 256 elements)


def _only(root: ElementTree.Element, local: str, *, required: bool = False,
          ) -> list[ElementTree.Element]:
    """The root's child of this local name, if any: openpyxl reads it in any namespace, and
    the last of several (declined)."""
    found = [el for el in root if el.tag.rpartition("}")[2] == local]
    if len(found) > 1 or (required and not found) or any(
            el.tag != f"{_MAIN}{local}" for el in found):
        raise _Declined
    return found


def _text(t: ElementTree.Element) -> str | None:
    if len(t) or set(t.attrib) - {"{http://www.w3.org/XML/1998/namespace}space"}:
        raise _Declined
    return t.text


def _run(r: ElementTree.Element) -> str:
    text: str | None = None
    seen = False
    if r.attrib:
        raise _Declined
    for el in r:
        if el.tag == f"{_MAIN}t":
            if seen:
                raise _Declined
            seen, text = True, _text(el)
        elif el.tag != f"{_MAIN}rPr":
            raise _Declined
    return text or ""


def _cells(captured: Captured, strings: tuple[str, ...], dates: frozenset[int],
           styles: int) -> tuple[dict[tuple[int, int], Any], tuple[int, int]]:
    """A worksheet's values by (row, column), and its extent (the highest row and column of
    a cell openpyxl creates)."""
    if not styles and captured.cells:
        raise _Declined  # openpyxl finds no style for them
    grid: dict[tuple[int, int], Any] = {}
    numbers: dict[str | None, int] = {None: 0}  # a style as written: openpyxl's index
    rows = cols = 0
    for row, col, kind, style, text in captured.cells:
        index = numbers.get(style)
        if index is None:
            index = numbers[style] = _style(style, styles)
        value: Any = None
        if kind == "inlineStr":
            value = text
        elif text:
            if kind == "n":
                value = float(text) if "." in text or "E" in text or "e" in text else int(text)
                if index in dates:
                    value = _date(value)
            elif kind == "s":
                value = strings[int(text)]
            elif kind == "b":
                value = bool(int(text))
            elif kind == "str":
                value = text
            else:
                raise _Declined  # an error, an ISO date, a type openpyxl refuses
        elif kind not in ("n", "s", "b", "str"):
            raise _Declined
        grid[row, col] = value
        if row > rows:
            rows = row
        if col > cols:
            cols = col
    for ref in captured.merges:
        low_col, low_row, high_col, high_row = _merge(ref)
        top = grid.get((low_row, low_col))
        for r in range(low_row, high_row + 1):
            for c in range(low_col, high_col + 1):
                grid[r, c] = None
        grid[low_row, low_col] = top
        rows, cols = max(rows, high_row), max(cols, high_col)
    return grid, (rows or 1, cols or 1)


@functools.lru_cache(maxsize=1024)  # the same merges in every workbook of a pack
def _merge(ref: str) -> tuple[int, int, int, int]:
    """The bounds of a merge as openpyxl reads them (declined where it would refuse them)."""
    low_col, low_row, high_col, high_row = range_boundaries(ref) or (None,) * 4
    if not (low_col and low_row and high_col and high_row) or low_col > high_col \
            or low_row > high_row:
        raise _Declined
    return low_col, low_row, high_col, high_row


def _style(style: str, styles: int) -> int:
    if not (style.isdigit() and style.isascii()) or int(style) >= styles:
        raise _Declined  # openpyxl fails on it
    return int(style)


def _date(serial: float) -> dt.datetime:
    """``openpyxl.utils.datetime.from_excel`` of a serial in the 1900 calendar."""
    day, fraction = divmod(serial, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86_400 * 1000))  # (as openpyxl rounds)
    if 0 <= serial < 1 and diff.days == 0:
        raise _Declined  # openpyxl gives a time
    if 0 < serial < 60:
        day += 1
    return _EPOCH + dt.timedelta(days=day) + diff


class ValuesBook:
    """What a book read for its values alone does as ``workbook.Workbook`` does (a
    ``layout.Book`` with ``value``, ``texts`` and ``max_row`` of its own): the pack ``init``
    recorded in the hidden sheet, read once (the book does not change), and formulas, which
    openpyxl reads, once, when first asked (a rare case)."""

    def __init__(self, path: Path, sheets: Iterable[str]) -> None:
        self.path = path
        names = list(sheets)
        self.sheetnames = [name for name in names if name != META_SHEET]
        self._recorded = META_SHEET in names
        self._formulas: Any = None
        self._record: PackRecord | bool | None = False  # not read yet

    def value(self, sheet: str, row: int, col: int) -> Any:
        raise NotImplementedError

    @property
    def pack_name(self) -> str | None:
        record = self.pack_record
        return record.name if record else None

    @property
    def pack_record(self) -> PackRecord | None:
        if self._record is False:
            self._record = None
            if self._recorded:
                self._record = PackRecord.from_sheet(
                    lambda row, col: self.value(META_SHEET, row, col))
        assert self._record is not True
        return self._record

    def has_sheet(self, sheet: str) -> bool:
        return sheet in self.sheetnames

    def formula(self, sheet: str, row: int, col: int) -> str | None:
        if self._formulas is None:
            from docx_report.workbook import Workbook

            self._formulas = Workbook(self.path)
        formula: str | None = self._formulas.formula(sheet, row, col)
        return formula


class DirectBook(ValuesBook):
    """A workbook's values read by the guard's pass (``layout.Book``)."""

    def __init__(self, path: Path, grids: dict[str, dict[tuple[int, int], Any]],
                 extents: dict[str, tuple[int, int]]) -> None:
        super().__init__(path, grids)
        self._grids = grids
        self._extents = extents

    def value(self, sheet: str, row: int, col: int) -> Any:
        return self._grids[sheet].get((row, col))

    def texts(self, sheet: str) -> Iterator[tuple[int, int, str]]:
        """Every non-empty text cell of the sheet's first rows and columns (bounded)."""
        rows = min(self._extents[sheet][0], SCAN_ROWS)
        found = sorted((r, c, v) for (r, c), v in self._grids[sheet].items()
                       if r <= rows and c <= SCAN_COLS and isinstance(v, str) and v.strip())
        yield from found

    def max_row(self, sheet: str) -> int:
        return min(self._extents[sheet][0], SCAN_ROWS)
