"""Values read from the guard's own pass (``xlsx_direct``): openpyxl's, or declined.

Each workbook here is an example changed the way Excel, WPS or LibreOffice write (shared
strings, rich and phonetic text, dates, booleans) or the way no writer does (text between the
tags, elements inside values, a cell where openpyxl does not look). The first are read from the
pass and must equal openpyxl's reading cell by cell; the second must be declined (calamine or
openpyxl reads them), and still read the same.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from docx_report import xlsx_part, xlsx_survey
from docx_report.workbook import Workbook
from docx_report.xlsx_direct import DirectBook, is_date_format, is_duration_format
from docx_report.xlsx_fast import open_book
from tests.helpers import EXAMPLE_2021, T3, copy_example
from tests.test_bad_inputs import sheet_member
from tests.test_hostile import before_end, rezip
from tests.test_readers import assert_same_cells, parsed

_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
BASIC = "xl/worksheets/sheet1.xml"  # 基本信息
_STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                 b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')


def _path(tmp_path: Path, changes: dict[str, Any], extra: dict[str, bytes] | None = None,
          name: str = "改.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(rezip(EXAMPLE_2021, changes, extra=extra))
    return path


def _with_strings(strings: bytes, cells: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Changes adding shared strings and a row of cells to 基本信息."""
    sst = b'<sst xmlns="%s" count="9" uniqueCount="9">%s</sst>' % (_MAIN, strings)
    return ({BASIC: before_end(b"</sheetData>", b'<row r="30">' + cells + b"</row>"),
             "[Content_Types].xml": before_end(b"</Types>", _STRINGS_TYPE)},
            {"xl/sharedStrings.xml": sst})


def test_what_excel_writes_is_read_as_openpyxl_reads_it(tmp_path: Path) -> None:
    strings = (b"<si><t>plain</t></si>"
               b'<si><t xml:space="preserve">  spaced  </t></si>'
               b"<si><r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r></si>"
               b'<si><t>\xe4\xb8\xad\xe6\x96\x87</t><rPh sb="0" eb="2"><t>zhongwen</t></rPh>'
               b'<phoneticPr fontId="1" type="noConversion"/></si>'
               b"<si><t/></si>"
               b"<si><t>a&#13;\nb x005F_c \xf0\x9f\x98\x80</t></si>")
    cells = (b'<c r="D30" t="s"><v>0</v></c><c r="E30" t="s"><v>1</v></c>'
             b'<c r="F30" t="s"><v>2</v></c><c r="G30" t="s"><v>3</v></c>'
             b'<c r="H30" t="s"><v>4</v></c><c r="I30" t="s"><v>5</v></c>'
             b'<c r="J30" t="b"><v>1</v></c><c r="K30" t="b"><v>0</v></c>'
             b'<c r="L30" t="str"><v>formula text</v></c><c r="M30" t="str"><v></v></c>'
             b'<c r="N30"><v>3.0</v></c><c r="O30"><v>1E3</v></c><c r="P30"><v>007</v></c>'
             b'<c r="Q30" s="6"><v>45677.75</v></c><c r="R30" s="6"><v>59</v></c>'
             b'<c r="S30" s="6"><v>61</v></c><c r="T30"><v>12345678901234567890</v></c>'
             b'<c r="U30" t="inlineStr"><is/></c><c r="V30" t="inlineStr"></c>'
             b'<c r="W30" t="inlineStr"><is><t/></is></c><c r="X30" s="6"/>')
    changes, extra = _with_strings(strings, cells)
    path = _path(tmp_path, changes, extra)
    direct, slow = open_book(path), open_book(path, reader="openpyxl")
    assert isinstance(direct, DirectBook) and isinstance(slow, Workbook)
    assert_same_cells(direct, slow, rows=40, cols=30)
    assert direct.value("基本信息", 30, 6) == "rich text"
    assert direct.value("基本信息", 30, 7) == "中文"
    assert direct.value("基本信息", 30, 17) == dt.datetime(2025, 1, 20, 18, 0)


def test_a_resaved_workbook_is_read_from_the_pass(tmp_path: Path) -> None:
    """openpyxl writing the example again (dates, floats, booleans, text) changes nothing."""
    path = copy_example(tmp_path)
    book = openpyxl.load_workbook(path)
    ws = book["基本信息"]
    ws["D4"], ws["D5"], ws["D6"] = dt.datetime(2024, 2, 29), 2.5, False
    ws["D4"].number_format, ws["D7"] = "mm-dd-yy", dt.datetime(2024, 3, 1, 8, 30)
    ws["D7"].number_format = "yyyy-mm-dd h:mm"
    book.save(path)
    direct = open_book(path)
    assert isinstance(direct, DirectBook)
    assert_same_cells(direct, open_book(path, reader="openpyxl"))


@pytest.mark.parametrize(("what", "changes"), [
    ("whitespace between tags", {BASIC: lambda d: d.replace(b"</c>", b"</c>\n  ")}),
    ("text after a value", {sheet_member(T3): before_end(
        b"</sheetData>", b'<row r="40"><c r="B40" t="inlineStr"><is><t>a</t>b</is></c></row>')}),
    ("an element inside a value", {sheet_member(T3): before_end(
        b"</sheetData>", b'<row r="40"><c r="B40" t="str"><v>a<x/>b</v></c></row>')}),
    ("a comment in the rows", {BASIC: lambda d: d.replace(b"</row>", b"<!--x--></row>", 1)}),
    ("a second value", {sheet_member(T3): before_end(
        b"</sheetData>", b'<row r="40"><c r="B40"><v>1</v><v>2</v></c></row>')}),
    ("a run in an inline string", {sheet_member(T3): before_end(
        b"</sheetData>",
        b'<row r="40"><c r="B40" t="inlineStr"><is><t>a</t><r><t>b</t></r></is></c></row>')}),
    ("a row in another namespace", {sheet_member(T3): before_end(
        b"</sheetData>", b'<row xmlns="urn:o" r="40"><c r="B40"><v>7</v></c></row>')}),
    ("a cell outside the rows", {sheet_member(T3): before_end(
        b"</worksheet>", b'<extLst><c r="B40"><v>7</v></c></extLst>')}),
    ("a value after the rows", {sheet_member(T3): lambda d: d.replace(
        b"</sheetData>", b"</sheetData><v>7</v>")}),
    ("a merge outside the merges", {sheet_member(T3): before_end(
        b"</worksheet>", b'<extLst><mergeCell ref="A1:B2"/></extLst>')}),
    ("a time under a date format", {BASIC: before_end(
        b"</sheetData>", b'<row r="40"><c r="B40" s="6"><v>0.5</v></c></row>')}),
    ("the 1904 calendar", {"xl/workbook.xml": lambda d: d.replace(
        b"<workbookPr/>", b'<workbookPr date1904="1"/>')}),
    ("a style that is not there", {BASIC: before_end(
        b"</sheetData>", b'<row r="40"><c r="B40" s="99"><v>1</v></c></row>')}),
])
def test_what_the_pass_cannot_prove_is_left_to_the_other_readers(
        what: str, changes: Any, tmp_path: Path) -> None:
    path = _path(tmp_path, changes)
    assert not isinstance(open_book(path), DirectBook), what
    assert parsed(path, "direct") == parsed(path, "calamine")
    if "style" not in what:  # calamine reads a cell whose style is not there; openpyxl refuses
        assert parsed(path, "direct") == parsed(path, "openpyxl")


def test_whitespace_between_tags_would_be_read_into_values(tmp_path: Path) -> None:
    """Why the layout is proved: text after an inline string's end reaches its text."""
    path = _path(tmp_path, {BASIC: lambda d: re.sub(rb"(</t>)(</is>)", rb"\1\n\2", d)})
    assert not xlsx_part.laid_out([zipfile.ZipFile(path).read(BASIC)])
    assert parsed(path, "direct") == parsed(path, "openpyxl")


def test_a_part_seen_before_gives_the_same_cells(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts parsed before in the process are not parsed again: their cells come back."""
    monkeypatch.setattr(xlsx_survey, "_SEEN", {})
    monkeypatch.setattr(xlsx_survey, "_MISSES", {})
    first = copy_example(tmp_path)
    fresh = open_book(first)
    assert xlsx_survey._SEEN
    again = open_book(first)
    assert isinstance(fresh, DirectBook) and isinstance(again, DirectBook)
    assert_same_cells(again, fresh)
    assert_same_cells(again, open_book(first, reader="openpyxl"))


@pytest.mark.parametrize("code", [
    "General", "0.00", "@", "yyyy-mm-dd", 'yyyy"年"m"月"d"日"', "[h]:mm:ss", "mm:ss", "[mm]:ss",
    "[ss]", '"day" 0', "[Red]0.00", "[$-804]yyyy/m/d", "_-* #,##0_-", "h:mm AM/PM", "0;[Red]-0",
    "d-mmm-yy;@", "\\d0", "# ?/?", "[HH]:MM", "*-0",
])
def test_date_and_duration_formats_as_openpyxl(code: str) -> None:
    from openpyxl.styles.numbers import is_date_format as date
    from openpyxl.styles.numbers import is_timedelta_format as duration

    assert is_date_format(code) == date(code), code
    assert is_duration_format(code) == duration(code), code


@pytest.mark.parametrize("first", [
    b'<c t="n"><v>5</v></c>', b'<c t="inlineStr"><is><t>a</t></is></c>', b"<c><v>5</v></c>"])
def test_a_first_cell_without_a_reference_is_read_by_openpyxl(first: bytes,
                                                               tmp_path: Path) -> None:
    """No cell read yet when one comes without a reference: declined, not a crash."""
    path = _path(tmp_path, {BASIC: lambda d: d.replace(b"<sheetData>",
                                                       b'<sheetData><row r="1">' + first
                                                       + b"</row>", 1)})
    assert isinstance(open_book(path), Workbook)
    assert parsed(path, "direct") == parsed(path, "calamine") == parsed(path, "openpyxl")
