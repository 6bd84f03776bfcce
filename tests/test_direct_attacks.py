"""Hostile or merely odd workbooks against the values read from the guard's pass (``xlsx_direct``).

Each workbook is an example with a member rewritten. Whatever reader ``open_book`` picks, it
must give what openpyxl gives: the same sheets, pack, texts, last row (not asked of calamine,
which ends a sheet at its last value) and every value with its type, or the same refusal.

openpyxl reads the package parts (content types, workbook, relationships, styles, comments)
with lxml and by local name, in any namespace (``Serialisable.from_tree``), a repeated child
replacing the one before; the shared strings and worksheets with ElementTree by full name.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from docx_report.errors import InputError
from docx_report.xlsx_direct import DirectBook
from docx_report.xlsx_fast import CalamineBook, open_book
from tests.helpers import EXAMPLE_2021
from tests.test_hostile import before_end, rezip

_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
BASIC = "xl/worksheets/sheet1.xml"  # 基本信息
_STRINGS = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_WORKBOOK = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_STRINGS_TYPE = b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/>' % _STRINGS


def _row(cells: bytes, number: int = 30) -> Callable[[bytes], bytes]:
    """A row of cells added to a sheet."""
    return before_end(b"</sheetData>", b'<row r="%d">%s</row>' % (number, cells))


def _both(*changes: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        for one in changes:
            data = one(data)
        return data
    return change


def _sst(*texts: bytes) -> bytes:
    return b'<sst xmlns="%s">%s</sst>' % (_MAIN, b"".join(b"<si><t>%s</t></si>" % t
                                                        for t in texts))


def _snapshot(path: Path, reader: str | None) -> Any:
    """What a reader makes of the workbook (types included), or its refusal."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns of what it drops
        try:
            book = open_book(path, reader=reader)
        except InputError as exc:
            return "refused", str(exc)
        seen: dict[Any, Any] = {"sheetnames": list(book.sheetnames), "pack": book.pack_name}
        for sheet in book.sheetnames:  # first: openpyxl creates the cells it is asked for
            if not isinstance(book, CalamineBook):
                seen["max_row", sheet] = book.max_row(sheet)
            seen["texts", sheet] = list(book.texts(sheet))
        for sheet in book.sheetnames:
            for row in range(1, 61):
                for col in range(1, 31):
                    value = book.value(sheet, row, col)
                    if value is not None:
                        seen[sheet, row, col] = (type(value).__name__, value)
        seen["reader"] = type(book).__name__
        return seen


def _differences(path: Path, reader: str | None = None) -> dict[Any, tuple[Any, Any]]:
    """Where the direct reader's reading differs from openpyxl's (empty: none, or declined:
    then another reader reads the file, see ``test_what_calamine_reads_otherwise``); with
    ``reader``, where that reader's does."""
    if reader is None and not _read_directly(path):
        return {}
    fast, slow = _snapshot(path, reader), _snapshot(path, "openpyxl")
    if isinstance(fast, tuple) or isinstance(slow, tuple):
        return {} if fast == slow else {"all": (str(fast)[:200], str(slow)[:200])}
    if fast["reader"] == "CalamineBook":
        slow = {k: v for k, v in slow.items() if not (isinstance(k, tuple) and k[0] == "max_row")}
    fast.pop("reader")
    slow.pop("reader")
    return {k: (fast.get(k), slow.get(k)) for k in set(fast) | set(slow)
            if fast.get(k) != slow.get(k)}


def _path(tmp_path: Path, changes: dict[str, Any], extra: dict[str, bytes] | None = None
          ) -> Path:
    path = tmp_path / "改.xlsx"
    path.write_bytes(rezip(EXAMPLE_2021, changes, extra=extra))
    return path


def _read_directly(path: Path) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return isinstance(open_book(path), DirectBook)
        except InputError:  # refused, as openpyxl refuses it
            return False


# ---------------------------------------------------------------------------------------------
# Found: the direct reader gives other values than openpyxl (these fail until fixed)


def test_a_shared_strings_override_in_another_namespace(tmp_path: Path) -> None:
    """openpyxl takes the first Override of the shared strings' type, in any namespace: here
    /xl/s2.xml ("two"); the direct reader skips it and reads /xl/sharedStrings.xml ("one")."""
    types = (b'<Override xmlns="urn:o" PartName="/xl/s2.xml" ContentType="%s"/>' % _STRINGS
             + _STRINGS_TYPE)
    path = _path(tmp_path, {"[Content_Types].xml": before_end(b"</Types>", types),
                            BASIC: _row(b'<c r="D30" t="s"><v>0</v></c>')},
                 {"xl/sharedStrings.xml": _sst(b"one"), "xl/s2.xml": _sst(b"two")})
    assert _differences(path) == {}


def test_a_workbook_override_in_another_namespace(tmp_path: Path) -> None:
    """openpyxl reads the workbook an Override in any namespace names (here /xl/wb2.xml, whose
    first sheet is called "Other"); the direct reader reads /xl/workbook.xml."""
    example = zipfile.ZipFile(EXAMPLE_2021)
    workbook = example.read("xl/workbook.xml")
    other = workbook.replace("基本信息".encode(), b"Other")
    types = b'<Override xmlns="urn:o" PartName="/xl/wb2.xml" ContentType="%s"/>' % _WORKBOOK
    path = _path(tmp_path, {"[Content_Types].xml": lambda d: d.replace(b"<Override", types
                                                                        + b"<Override", 1)},
                 {"xl/wb2.xml": other,
                  "xl/_rels/wb2.xml.rels": example.read("xl/_rels/workbook.xml.rels")})
    assert _differences(path) == {}


def test_the_1904_calendar_in_another_namespace(tmp_path: Path) -> None:
    """openpyxl reads workbookPr by its local name: its dates are four years later."""
    path = _path(tmp_path, {"xl/workbook.xml": lambda d: d.replace(
        b"<workbookPr/>", b'<workbookPr/><o:workbookPr xmlns:o="urn:o" date1904="1"/>'),
        BASIC: _row(b'<c r="D30" s="6"><v>45000</v></c>')})
    assert _differences(path) == {}


@pytest.mark.parametrize(("what", "styles"), [
    # openpyxl keeps the last cellXfs; the direct reader appends the second to the first
    ("two cellXfs", lambda d: d.replace(
        b"</cellXfs>", b'</cellXfs><cellXfs count="14">' + b'<xf numFmtId="14"/>' * 14
        + b"</cellXfs>")),
    # the same, the last in another namespace (openpyxl reads it by local name)
    ("cellXfs in another namespace", lambda d: d.replace(
        b"</cellXfs>", b'</cellXfs><o:cellXfs xmlns:o="urn:o">' + b'<o:xf numFmtId="14"/>' * 14
        + b"</o:cellXfs>")),
    # openpyxl keeps the last numFmts (no 170 in it: a number); the direct reader merges both
    ("two numFmts", lambda d: d.replace(
        b'<numFmts count="2">',
        b'<numFmts><numFmt numFmtId="170" formatCode="yyyy-mm-dd"/></numFmts><numFmts count="2">'
    ).replace(b"</cellXfs>", b'<xf numFmtId="170" fontId="0" fillId="0" borderId="0"/>'
              b"</cellXfs>")),
])
def test_styles_listed_twice_are_read_as_openpyxl(what: str, styles: Any,
                                                  tmp_path: Path) -> None:
    path = _path(tmp_path, {"xl/styles.xml": styles,
                            BASIC: _row(b'<c r="D30" s="0"><v>45000</v></c>'
                                        b'<c r="E30" s="13"><v>45000</v></c>')})
    assert _differences(path) == {}, what


def test_comments_in_another_namespace_create_their_cells(tmp_path: Path) -> None:
    """openpyxl reads a sheet's comments part by local names and creates the cell of each
    comment (here E50: the sheet's last row is 50); the guard counts comments only in
    SpreadsheetML's namespace, so the direct reader ends the sheet at row 7."""
    rels = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="c1" Type="%s/comments" Target="../c.xml"/></Relationships>' % _REL)
    comments = (b'<comments xmlns="urn:o"><authors><author>a</author></authors><commentList>'
                b'<comment ref="E50" authorId="0"><text><t>hi</t></text></comment>'
                b"</commentList></comments>")
    path = _path(tmp_path, {}, {"xl/worksheets/_rels/sheet1.xml.rels": rels,
                                "xl/c.xml": comments})
    assert _differences(path) == {}


@pytest.mark.parametrize(("what", "sheet"), [
    ("after an element that follows the sheetData", lambda d: d.replace(
        b"</sheetData>",
        b'</sheetData><foo/><row r="50"><x r="E50" t="str"><v>hi</v></x></row>', 1)),
    ("in an extension list", before_end(
        b"</worksheet>", b'<extLst><ext uri="x"><row r="50"><x r="E50" t="str"><v>hi</v></x></row>'
        b"</ext></extLst>")),
    ("with an empty child", before_end(b"</worksheet>",
                                       b'<extLst><row r="50"><x/></row></extLst>')),
])
def test_a_row_outside_the_sheet_data(what: str, sheet: Any, tmp_path: Path) -> None:
    """openpyxl reads every ``row`` of SpreadsheetML's namespace wherever it is, and each child
    of it, whatever its name, as a cell (its ``r``, its ``v``): here E50 holds "hi" (or is
    an empty cell) and the sheet's last row is 50. The direct reader sees no cell there."""
    path = _path(tmp_path, {BASIC: sheet})
    assert _differences(path) == {}, what


@pytest.mark.parametrize("code", ['"total "[h]:mm', "0 [mm]:ss", "d [h]"])
def test_a_duration_after_other_text_is_a_duration(code: str, tmp_path: Path) -> None:
    """openpyxl's ``is_timedelta_format`` searches the whole first section for ``[h]``,
    ``[mm]``, ``[ss]`` (``TIMEDELTA_RE.search``); ``is_duration_format`` matches only at its
    start. So openpyxl gives a timedelta, the direct reader a datetime."""
    from openpyxl.styles.numbers import is_timedelta_format

    from docx_report.xlsx_direct import is_duration_format

    assert is_duration_format(code) == is_timedelta_format(code), code
    escaped = code.replace('"', "&quot;").encode()
    styles = _both(
        lambda d: d.replace(b'<numFmts count="2">', b'<numFmts count="3"><numFmt numFmtId="170" '
                            b'formatCode="%s"/>' % escaped),
        before_end(b"</cellXfs>", b'<xf numFmtId="170" fontId="0" fillId="0" borderId="0"/>'))
    path = _path(tmp_path, {"xl/styles.xml": styles,
                            BASIC: _row(b'<c r="D30" s="13"><v>1.5</v></c>')})
    assert _differences(path) == {}, code


@pytest.mark.parametrize("serial", ["1.003070607638889", "1.0031107118055556"])
def test_the_milliseconds_of_a_date_are_rounded_as_openpyxl(serial: str,
                                                            tmp_path: Path) -> None:
    """openpyxl rounds ``fraction * 86400 * 1000``; ``fraction * 86_400_000`` (another float)
    rounds to 1 ms less here (1900-01-01 00:04:25.300 instead of .301)."""
    path = _path(tmp_path, {BASIC: _row(b'<c r="D30" s="6"><v>%s</v></c>' % serial.encode())})
    assert _differences(path) == {}


@pytest.mark.parametrize("ref", ["@@D30", "$D$30", "[AD30"])
def test_a_reference_openpyxl_refuses_is_not_read(ref: str, tmp_path: Path) -> None:
    """``cell_position`` takes any three ASCII characters whose letters are capitals as a
    column ("@@D" is column 4, "$D$" column -18852); openpyxl refuses the workbook."""
    path = _path(tmp_path, {BASIC: _row(b'<c r="%s" t="inlineStr"><is><t>x</t></is></c>'
                                        % ref.encode())})
    assert _differences(path) == {}


def test_an_empty_style_is_not_read(tmp_path: Path) -> None:
    """openpyxl looks the style "" up as a list index and refuses the workbook."""
    path = _path(tmp_path, {BASIC: _row(b'<c r="D30" s=""><v>5</v></c>')})
    assert _differences(path) == {}


@pytest.mark.parametrize(("what", "workbook"), [
    ("a comment in the sheets", lambda d: d.replace(b"<sheets>", b"<sheets><!--x-->")),
    ("an instruction in the sheets", lambda d: d.replace(b"<sheets>", b"<sheets><?x y?>")),
    # lxml refuses more than 256 levels
    ("deep elements", lambda d: d.replace(b"</workbook>", b"<extLst>" + b"<a>" * 300
                                          + b"</a>" * 300 + b"</extLst></workbook>")),
])
def test_what_lxml_refuses_in_the_workbook_is_not_read(what: str, workbook: Any,
                                                       tmp_path: Path) -> None:
    """openpyxl parses workbook.xml with lxml, which keeps comments and instructions as
    children (a ChildSheet without a name) and limits the depth: it refuses these."""
    path = _path(tmp_path, {"xl/workbook.xml": workbook})
    assert _differences(path) == {}, what


@pytest.mark.parametrize("rels", [
    lambda d: d.replace(b' Id="rId1"', b""), lambda d: d.replace(b' Id="rId2"', b' Id=""'),
])
def test_a_relationship_without_an_id_is_not_read(rels: Any, tmp_path: Path) -> None:
    """openpyxl refuses a workbook relationship without an Id; the direct reader names it
    ``rId<n>`` (its place) and reads the sheet."""
    path = _path(tmp_path, {"xl/_rels/workbook.xml.rels": rels})
    assert _differences(path) == {}


# ---------------------------------------------------------------------------------------------
# Found: the calamine path (not the direct reader, which declines these) differs from openpyxl


@pytest.mark.parametrize(("what", "changes"), [
    # calamine takes the first workbookPr (1904), openpyxl the last
    ("workbookPr twice", {"xl/workbook.xml": lambda d: d.replace(
        b"<workbookPr/>", b'<workbookPr date1904="1"/><workbookPr/>'),
        BASIC: _row(b'<c r="D30" s="6"><v>45000</v></c>')}),
    # openpyxl reads int(" 6"): a date; calamine no style
    ("a style with a space", {BASIC: _row(b'<c r="D30" s=" 6"><v>45000</v></c>')}),
    # openpyxl reads the CDATA's text; calamine nothing
    ("CDATA in a value", {BASIC: _row(b'<c r="D30" t="str"><v><![CDATA[x<y]]></v></c>')}),
    # openpyxl creates an empty cell (no value in its namespace); calamine reads 7
    ("a cell in no namespace", {BASIC: _row(b'<c xmlns="" r="D30"><v>7</v></c>')}),
    # openpyxl gives #VALUE! (a date beyond 9999); calamine the number
    ("a date beyond 9999", {BASIC: _row(b'<c r="D30" s="6"><v>2958466</v></c>')}),
    # openpyxl keeps the last sheets list, by local name (one sheet, Q); calamine the first
    ("a second sheets list", {"xl/workbook.xml": lambda d: d.replace(
        b"</sheets>", b'</sheets><o:sheets xmlns:o="urn:o"><o:sheet name="Q" sheetId="30" '
        b'xmlns:r="%s" r:id="rId1"/></o:sheets>' % _REL)}),
    # openpyxl finds no values in a sheet whose relationship is External; calamine reads it
    ("an External worksheet relationship", {"xl/_rels/workbook.xml.rels": lambda d: d.replace(
        b' Id="rId7"', b' Id="rId7" TargetMode="External"')}),
    # openpyxl's Bool takes any text but "0"/"false" as true (1904); calamine 1900
    ("date1904 written ' 0'", {"xl/workbook.xml": lambda d: d.replace(
        b"<workbookPr/>", b'<workbookPr date1904=" 0"/>')}),
    # openpyxl finds no id in the transitional namespace (the sheet is left empty); calamine
    # reads the sheet
    ("a strict r:id", {"xl/workbook.xml": lambda d: d.replace(
        b'<sheet xmlns:r="%s" name="\xe5\x85\xad' % _REL,
        b'<sheet xmlns:r="http://purl.oclc.org/ooxml/officeDocument/relationships" '
        b'name="\xe5\x85\xad')}),
    # openpyxl reads no value from an inline string in a numeric cell; calamine reads "x"
    # (a comment in a row makes the direct reader decline)
    ("an inline string in a numeric cell", {BASIC: _both(
        lambda d: d.replace(b"</row>", b"<!--x--></row>", 1),
        _row(b'<c r="D30"><is><t>x</t></is></c>'))}),
    # openpyxl reads the cells of a row after the sheetData; calamine ends at the sheetData
    ("a row after the sheetData", {BASIC: lambda d: d.replace(
        b"</sheetData>", b'</sheetData><foo/><row r="50"><c r="E50"><v>1</v></c></row>', 1)}),
    # (each with an attribute holding '>', which makes the direct reader decline)
    # openpyxl gives 1000.0 for "1E3"; calamine (float) made int: 1000
    ("a whole number written 1E3", {BASIC: _row(b'<c r="D30" x="a>b"><v>1E3</v></c>')}),
    # openpyxl gives 1899-12-29 for -1 under a date format; calamine a time 00:00
    ("a negative date", {BASIC: _row(b'<c r="D30" s="6" x="a>b"><v>-1</v></c>')}),
    # openpyxl gives "" for an empty inline string; calamine None
    ("an empty inline string", {BASIC: _row(b'<c r="D30" t="inlineStr" x="a>b"><is/></c>')}),
    # openpyxl reads no value from an inline string in a str cell; calamine its text
    ("an inline string in a str cell", {BASIC: _row(
        b'<c r="D30" t="str" x="a>b"><is><t>-1</t></is></c>')}),
    # openpyxl reads strings[-1] (the last); calamine (the direct reader declines an
    # attribute on t) gives the first
    ("a negative shared string index", {
        "[Content_Types].xml": before_end(b"</Types>", _STRINGS_TYPE),
        BASIC: _row(b'<c r="D30" t="s"><v>-1</v></c>'),
        "xl/sharedStrings.xml": b'<sst xmlns="%s"><si><t foo="1">a</t></si><si><t>b</t></si>'
                                b"</sst>" % _MAIN}),
])
@pytest.mark.xfail(strict=True, reason="python-calamine reads these otherwise than openpyxl "
                   "(before the direct reader, which declines them); left to calamine's path")
def test_what_calamine_reads_otherwise(what: str, changes: Any, tmp_path: Path) -> None:
    changes = dict(changes)
    extra = {name: changes.pop(name) for name in list(changes) if name.endswith("Strings.xml")}
    path = _path(tmp_path, changes, extra)
    assert not _read_directly(path), what
    assert _differences(path, "calamine") == {}, what


# ---------------------------------------------------------------------------------------------
# Held: read alike (kept as regression tests)


_HELD_CELLS = {
    "reference with a leading zero": b'<c r="D030"><v>1</v></c>',
    "entities in a value": b'<c r="D30" t="str"><v>a&amp;b&#x41;&#13;&#10;c</v></c>',
    "line ends in a value": b'<c r="D30" t="str"><v>a\r\nb\rc</v></c>',
    "spaces around a number": b'<c r="D30"><v> 12 </v></c>',
    "digits Python reads": b'<c r="D30"><v>1_000</v></c><c r="E30"><v>+5</v></c>'
                           b'<c r="F30"><v>\xd9\xa1\xd9\xa2</v></c>'
                           b'<c r="G30"><v>\xef\xbc\x91</v></c>',
    "an overflowing float": b'<c r="D30"><v>1e999</v></c>',
    "booleans other than 0 and 1": b'<c r="D30" t="b"><v>2</v></c><c r="E30" t="b"><v>-1</v></c>',
    "a str cell with a formula": b'<c r="D30" t="str"><f>A1&amp;"x"</f><v>val</v></c>'
                                 b'<c r="E30" t="str"><f>A1</f><v/></c>'
                                 b'<c r="F30" t="str"><f>A1</f></c>',
    "xml:space": b'<c r="D30" t="inlineStr"><is><t xml:space="preserve">  a  </t></is></c>',
    "t redeclaring the namespace": b'<c r="D30" t="inlineStr"><is><t xmlns="%s">x</t></is></c>'
                                   % _MAIN,
    "an inline string with a formula": b'<c r="D30" t="inlineStr"><f>1</f><is><t>x</t></is></c>',
    "values of another type": b'<c r="D30" t="inlineStr"><v>5</v></c><c r="E30" t="s"><is>'
                              b'<t>x</t></is></c><c r="F30"><is><t>x</t></is></c>',
    "a cell twice": b'<c r="D30"><v>1</v></c><c r="D30"><v>2</v></c>',
    "namespaced attributes": b'<c r="D30" xmlns:o="urn:o" o:t="s" o:r="E31"><v>7</v></c>',
    "a cell in no namespace, inline": b'<c r="D30" t="inlineStr"><is><t xmlns="">x</t></is></c>',
    "a formula in another namespace": b'<c r="D30"><f xmlns="urn:o">1</f><v>7</v></c>',
    "cells out of order": b'<c r="E30"><v>2</v></c><c r="D30"><v>1</v></c>',
    "attributes with '>' and tabs": b'<c r="D30" foo="a>b"><v>7</v></c><c\tr="E30"\n t="str">'
                                    b"<v>7</v></c>",
    "character references in attributes": b'<c r="&#68;30" t="&#115;tr" s="&#54;"><v>7</v></c>'
                                          b'<c r="E30" s="06"><v>45000</v></c>',
    "dates at the edges": b"".join(b'<c r="%s30" s="6"><v>%s</v></c>' % (col, v) for col, v in (
        (b"D", b"60"), (b"E", b"60.5"), (b"F", b"59.99999999"), (b"G", b"61"), (b"H", b"-1"),
        (b"I", b"-0.5"), (b"J", b"1"), (b"K", b"0.9999999999"), (b"L", b"2958465.9999999"),
        (b"M", b"45000.003070607638"))),
}


@pytest.mark.parametrize("what", list(_HELD_CELLS))
def test_odd_cells_read_as_openpyxl(what: str, tmp_path: Path) -> None:
    path = _path(tmp_path, {BASIC: _row(_HELD_CELLS[what])})
    assert _differences(path) == {}, what


@pytest.mark.parametrize(("what", "strings"), [
    ("plain strings", b"<si><t>a</t></si><si><t>b</t></si>"),
    ("a comment in a text", b"<si><t>a<!--x-->b</t></si><si><t>b</t></si>"),
    ("CDATA", b"<si><t><![CDATA[a<b]]></t></si><si><t>b</t></si>"),
    ("an instruction in an si", b"<si><?x?><t>a</t></si><si><t>b</t></si>"),
    ("an si inside another element", b"<si><t>a</t></si><foo><si><t>b</t></si></foo>"),
    ("an attribute on t", b'<si><t foo="1">a</t></si><si><t>b</t></si>'),
    ("phonetic text only", b'<si><rPh sb="0" eb="1"><t>x</t></rPh></si><si><t>b</t></si>'),
    ("a run without text", b"<si><r><rPr/></r><t>z</t></si><si><t>b</t></si>"),
    ("plain text after a run", b"<si><r><t>a</t></r><t>z</t></si><si><t>b</t></si>"),
    ("an empty si", b"<si/><si/>"),
])
def test_odd_shared_strings_read_as_openpyxl(what: str, strings: bytes,
                                             tmp_path: Path) -> None:
    sst = b'<sst xmlns="%s">%s</sst>' % (_MAIN, strings)
    path = _path(tmp_path, {"[Content_Types].xml": before_end(b"</Types>", _STRINGS_TYPE),
                            BASIC: _row(b'<c r="D30" t="s"><v>1</v></c>'
                                        b'<c r="E30" t="s"><v> 0 </v></c>')},
                 {"xl/sharedStrings.xml": sst})
    assert _differences(path) == {}, what


_ROWS = before_end(b"</sheetData>", b'<row r="30"><c r="D30" t="inlineStr"><is><t>a</t></is></c>'
                   b'</row><row r="31"><c r="E31" t="inlineStr"><is><t>b</t></is></c></row>'
                   b'<row r="32"><c r="F32" t="inlineStr"><is><t>c</t></is></c></row>')


@pytest.mark.parametrize("refs", [
    [b"D30:E31", b"E31:F32"], [b"E31:F32", b"D30:E31"], [b"D30:F32", b"D30:F32"], [b"E31"],
    [b"$D$30:$E$31"], [b"d30:e31"], [b"D30:E55"], [b"E31:F32", b"D30:F32"], [b"A1:D31"],
])
def test_overlapping_merges_read_as_openpyxl(refs: list[bytes], tmp_path: Path) -> None:
    merges = b"".join(b'<mergeCell ref="%s"/>' % ref for ref in refs)
    path = _path(tmp_path, {BASIC: _both(_ROWS, before_end(b"</mergeCells>", merges))})
    assert _read_directly(path)
    assert _differences(path) == {}


@pytest.mark.parametrize(("what", "changes"), [
    ("a sheet listed twice", {"xl/workbook.xml": before_end(
        b"</sheets>", b'<sheet xmlns:r="%s" name="X" sheetId="9" r:id="rId1"/>' % _REL)}),
    ("a relationship Id twice", {"xl/_rels/workbook.xml.rels": before_end(
        b"</Relationships>", b'<Relationship Type="%s/worksheet" Target="/xl/worksheets/'
        b'sheet2.xml" Id="rId1"/>' % _REL)}),
    ("a sheet in another namespace", {"xl/workbook.xml": before_end(
        b"</sheets>", b'<o:sheet xmlns:o="urn:o" xmlns:r="%s" name="X" sheetId="9" r:id="rId2"/>'
        % _REL)}),
    ("odd sheet names", {"xl/workbook.xml": lambda d: d.replace(
        "六、其他事项".encode(), b" A&amp;B &#x1F600;'q'\t" + b"x" * 30)}),
    ("a byte order mark", {"xl/workbook.xml": lambda d: b"\xef\xbb\xbf" + d}),
    ("UTF-16 styles", {"xl/styles.xml": lambda d: (
        '<?xml version="1.0" encoding="UTF-16"?>' + d.decode()).encode("utf-16")}),
    ("an empty sheetData", {BASIC: lambda d: d[:d.index(b"<sheetData>")] + b"<sheetData/>"
                            + d[d.index(b"</sheetData>") + 12:]}),
])
def test_odd_packages_read_as_openpyxl(what: str, changes: Any, tmp_path: Path) -> None:
    path = _path(tmp_path, changes)
    assert _differences(path) == {}, what


def test_members_named_twice_are_not_read_directly(tmp_path: Path) -> None:
    sheet = zipfile.ZipFile(EXAMPLE_2021).read(BASIC).replace(b"2024", b"2023")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        twice = _path(tmp_path, {}, {BASIC: sheet})
    assert not _read_directly(twice)
    assert _differences(twice) == {}
    cased = _path(tmp_path, {}, {"xl/worksheets/Sheet1.xml": sheet})
    assert not _read_directly(cased)
    assert _differences(cased) == {}
