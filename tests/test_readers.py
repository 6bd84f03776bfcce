"""The workbook readers give identical parsed data on the same files.

Pack workbooks are read from what the guard's pass took of them (``xlsx_direct``), else by
python-calamine; openpyxl reads what neither can read exactly. Every example and every bad,
warned and accepted workbook of ``test_bad_inputs`` is read by all three, and what the reader
makes of it (facts, values, narrative, notes, problems) must be the same, down to the Python
type of each value (a count typed as 3 is ``int`` 3 from all).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from docx_report import xlsx_fast
from docx_report.errors import InputError
from docx_report.reader import ReportData, read_report
from docx_report.workbook import Workbook
from docx_report.xlsx_cells import iso_readable
from docx_report.xlsx_direct import DirectBook
from docx_report.xlsx_fast import CalamineBook, calamine_reads_exactly, open_book
from docx_report.xlsx_guard import check_xlsx
from tests.helpers import EXAMPLE_2019, EXAMPLE_2021, EXAMPLE_2021_PREVIOUS, T3, copy_example
from tests.test_bad_inputs import BAD, FINE, WARN, sheet_member
from tests.test_hostile import before_end, rezip

EXAMPLES = [EXAMPLE_2021, EXAMPLE_2021_PREVIOUS, EXAMPLE_2019]


def parsed(path: Path, reader: str) -> Any:
    """What a reader makes of a workbook, with the type of every value, or its refusal."""
    try:
        open_book(path, reader=reader)
    except InputError as exc:
        return "refused", str(exc)
    xlsx_fast_default = xlsx_fast.DEFAULT_READER
    xlsx_fast.DEFAULT_READER = reader
    try:
        data: ReportData = read_report(path)
    except InputError as exc:
        return "refused", str(exc)
    finally:
        xlsx_fast.DEFAULT_READER = xlsx_fast_default
    typed = {k: (type(v).__name__, v) for k, v in data.values.items()}
    facts = {k: (type(v).__name__, v) for k, v in data.facts.items()}
    return (data.pack.name, facts, typed, data.narratives, data.notes, data.problems,
            data.unread_tables)


CASES = [pytest.param(lambda tmp, p=p: (copy_example(tmp, p), []), id=p.stem) for p in EXAMPLES]
CASES += [pytest.param(case.make, id=f"{kind}-{case}")
          for kind, cases in (("bad", BAD), ("warn", WARN), ("fine", FINE)) for case in cases]


@pytest.mark.parametrize("make", CASES)
def test_every_reader_parses_the_same(make: Any, tmp_path: Path) -> None:
    path, _ = make(tmp_path)
    slow = parsed(path, "openpyxl")
    assert parsed(path, "direct") == slow
    assert parsed(path, "calamine") == slow


def test_pack_workbooks_are_read_from_the_guards_pass() -> None:
    for example in EXAMPLES:
        book = open_book(example)
        assert isinstance(book, DirectBook), example
        assert book.pack_name in ("gov-disclosure-2021", "gov-disclosure-2019")
        assert "_docx_report" not in book.sheetnames
        assert isinstance(open_book(example, reader="calamine"), CalamineBook)
        assert isinstance(open_book(example, reader="openpyxl"), Workbook)


def _workbook(tmp_path: Path, edit: Any) -> Path:
    path = copy_example(tmp_path)
    book = openpyxl.load_workbook(path)
    edit(book)
    book.save(path)
    return path


def test_types_match_openpyxl_cell_by_cell(tmp_path: Path) -> None:
    def edit(book: Any) -> None:
        ws = book["基本信息"]
        ws["D4"], ws["D5"], ws["D6"], ws["D7"] = 3, 3.5, -0.0, True
        ws["D8"], ws["D9"] = dt.datetime(2025, 1, 20), dt.datetime(2025, 1, 20, 13, 30)
        ws["D10"], ws["D11"], ws["D12"] = "文本", "  ", "第一段\n第二段"
        ws["D13"] = "=1+2"  # openpyxl writes no cached result: a blank for both readers
        ws["D14"] = 123456789

    path = _workbook(tmp_path, edit)
    for reader, kind in (("direct", DirectBook), ("calamine", CalamineBook)):
        fast, slow = open_book(path, reader=reader), open_book(path, reader="openpyxl")
        assert isinstance(fast, kind) and isinstance(slow, Workbook)
        assert_same_cells(fast, slow)
        assert fast.value("基本信息", 4, 4) == 3 and type(fast.value("基本信息", 4, 4)) is int
        assert fast.formula("基本信息", 13, 4) == "=1+2"


def assert_same_cells(fast: Any, slow: Any, rows: int = 60, cols: int = 20) -> None:
    """Every value (with its type), every text, the sheets and the pack: as openpyxl; the last
    row too, but from calamine (which ends a sheet at its last value; the reader only scans
    up to it)."""
    assert fast.sheetnames == slow.sheetnames
    for sheet in slow.sheetnames:  # first: openpyxl creates every cell it is asked for
        if not isinstance(fast, CalamineBook):
            assert fast.max_row(sheet) == slow.max_row(sheet), sheet
        assert list(fast.texts(sheet)) == list(slow.texts(sheet)), sheet
    assert fast.pack_name == slow.pack_name
    for sheet in slow.sheetnames:
        for row in range(1, rows):
            for col in range(1, cols):
                a, b = fast.value(sheet, row, col), slow.value(sheet, row, col)
                assert (type(a), a) == (type(b), b), (sheet, row, col)


@pytest.mark.parametrize(("what", "edit"), [
    ("error cell", lambda ws: (setattr(ws["B9"], "value", "#REF!"),
                               setattr(ws["B9"], "data_type", "e"))),
    ("escape", lambda ws: setattr(ws["B9"], "value", "_x005F_x0041_")),
    ("huge area", lambda ws: setattr(ws["ZZ9000"], "value", 1)),
])
def test_what_calamine_cannot_read_exactly_goes_to_openpyxl(
        what: str, edit: Any, tmp_path: Path) -> None:
    path = _workbook(tmp_path, lambda book: edit(book["基本信息"]))
    assert isinstance(open_book(path), Workbook), what
    assert parsed(path, "direct") == parsed(path, "calamine") == parsed(path, "openpyxl")


def test_the_guard_runs_before_either_reader(tmp_path: Path) -> None:
    """A DOCTYPE (entity attack) is refused by the guard, whichever reader was chosen."""
    source = copy_example(tmp_path)
    hostile = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(hostile, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                head, _, rest = data.rpartition(b"?>") if data.startswith(b"<?") else (
                    b"", b"", data)
                data = head + (b"?>" if head else b"") + b'<!DOCTYPE x [<!ENTITY a "b">]>' + rest
            zout.writestr(info, data)
    for reader in xlsx_fast.READERS:
        with pytest.raises(InputError, match="不安全的 XML"):
            open_book(hostile, reader=reader)


# ---------------------------------------------------------------------------------------------
# The decision, from what the guard's one pass saw (namespace-aware, nothing inflated again)

_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _rezipped(tmp_path: Path, changes: dict[str, Any], name: str = "改.xlsx",
              extra: dict[str, bytes] | None = None) -> Path:
    path = tmp_path / name
    path.write_bytes(rezip(EXAMPLE_2021, changes, extra=extra))
    return path


def _in_sheet(xml: bytes) -> Any:
    return {sheet_member(T3): before_end(b"</sheetData>", xml)}


@pytest.mark.parametrize(("what", "changes"), [
    ("far cell, dash prefix", _in_sheet(
        b'<row r="3000"><x-y:c xmlns:x-y="%s" r="ZZ3000"><x-y:v>1</x-y:v></x-y:c></row>'
        % _MAIN)),
    ("far cell, other namespace", _in_sheet(
        b'<row r="3000"><o:c xmlns:o="urn:o" r="ZZ3000"><o:v>1</o:v></o:c></row>')),
    ("cell without a reference", _in_sheet(b'<row r="40"><c t="n"><v>5</v></c></row>')),
    ("reference not as Excel writes it", _in_sheet(b'<row r="40"><c r="b40"><v>5</v></c></row>')),
    ("error cell under a prefix", _in_sheet(
        b'<row r="40"><e.f:c xmlns:e.f="%s" r="B40" t="e"><e.f:v>#REF!</e.f:v></e.f:c></row>'
        % _MAIN)),
    ("escape written as character references", _in_sheet(
        b'<row r="40"><c r="B40" t="inlineStr"><is><t>&#95;x0041&#95;</t></is></c></row>')),
    ("escape cut between two text pieces", _in_sheet(
        b'<row r="40"><c r="B40" t="inlineStr"><is><t>_x00<![CDATA[41_]]></t></is></c></row>')),
    ("names that differ only in case", {}),
])
def test_what_calamine_may_read_otherwise_goes_to_openpyxl(what: str, changes: Any,
                                                           tmp_path: Path) -> None:
    extra = {"XL/Worksheets/Sheet3.xml": b"<x/>"} if "case" in what else None
    path = _rezipped(tmp_path, changes, extra=extra)
    assert isinstance(open_book(path), Workbook), what
    assert parsed(path, "direct") == parsed(path, "calamine") == parsed(path, "openpyxl")


def test_the_survey_sees_cells_as_a_namespace_aware_parser(tmp_path: Path) -> None:
    member = sheet_member(T3)
    plain = check_xlsx(EXAMPLE_2021)
    assert calamine_reads_exactly(plain)
    assert plain.areas[member].plain and plain.areas[member].rows < 100
    survey = check_xlsx(_rezipped(tmp_path, _in_sheet(
        b'<row r="777"><p-q:c xmlns:p-q="%s" r="AB777"><p-q:v>2</p-q:v></p-q:c></row>'
        % _MAIN)))
    assert (survey.areas[member].rows, survey.areas[member].cols) == (777, 28)
    assert calamine_reads_exactly(survey)  # 777 x 28 cells: calamine still reads it
    assert isinstance(open_book(_rezipped(tmp_path, {}, "同.xlsx")), DirectBook)


def test_an_absolute_worksheet_target_is_still_read_by_calamine(tmp_path: Path) -> None:
    member = sheet_member(T3)
    path = _rezipped(tmp_path, {"xl/_rels/workbook.xml.rels": lambda d: d.replace(
        f'"{member[3:]}"'.encode(), f'"/{member}"'.encode())})
    assert f'"/{member}"'.encode() in zipfile.ZipFile(path).read("xl/_rels/workbook.xml.rels")
    assert isinstance(open_book(path), DirectBook)
    assert isinstance(open_book(path, reader="calamine"), CalamineBook)
    assert parsed(path, "direct") == parsed(path, "calamine") == parsed(path, "openpyxl")


def test_a_worksheet_outside_its_folder_goes_to_openpyxl(tmp_path: Path) -> None:
    member = sheet_member(T3)
    moved = "xl/other/sheet.xml"
    path = tmp_path / "移.xlsx"
    path.write_bytes(rezip(EXAMPLE_2021, {
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(member[3:].encode(), b"other/sheet.xml"),
        "[Content_Types].xml": lambda d: d.replace(member.encode(), moved.encode())},
        renames={member: moved}))
    assert isinstance(open_book(path), Workbook)
    assert parsed(path, "direct") == parsed(path, "calamine") == parsed(path, "openpyxl")


@pytest.mark.parametrize("value", [
    "2024-01-20", "2024-01-20T13:30:00", "2024-01-20T13:30:00.5Z", "13:30", "T13:30:59",
    "PT1H2M3S", "PT3.5S", "2024-13-01", "2024-02-30T00:00", "25:00", "abc", "2024-01-20x",
    "PT", "PT99999999999999999999H", "１２:３０", "2024-1-2",
])
def test_date_cells_read_as_openpyxl_reads_them(value: str) -> None:
    """The guard's reading of a date cell's text (the standard library, no openpyxl) refuses
    exactly what openpyxl cannot read."""
    from openpyxl.utils.datetime import from_ISO8601

    try:
        from_ISO8601(value)
        readable = True
    except (ValueError, OverflowError):
        readable = False
    assert iso_readable(value) == readable, value


def test_shared_strings_read_by_calamine_only_as_declared(tmp_path: Path) -> None:
    strings = b'<sst xmlns="%s" count="2" uniqueCount="%s"><si><t>a</t></si><si><t>b</t></si></sst>'
    honest = _rezipped(tmp_path, {}, "实.xlsx", extra={"xl/sharedStrings.xml": strings % (
        _MAIN, b"2")})
    assert check_xlsx(honest).shared_strings == (2, 2)
    assert isinstance(open_book(honest), DirectBook)
    assert isinstance(open_book(honest, reader="calamine"), CalamineBook)
    lying = _rezipped(tmp_path, {}, "虚.xlsx", extra={"xl/sharedStrings.xml": strings % (
        _MAIN, b"1&#48;000000")})  # 10,000,000, written so no byte pattern reads it
    assert check_xlsx(lying).shared_strings == (10_000_000, 2)
    assert isinstance(open_book(lying), Workbook)
    assert parsed(lying, "direct") == parsed(lying, "calamine") == parsed(lying, "openpyxl")


def test_values_under_a_merge_are_blank_but_its_first(tmp_path: Path) -> None:
    """A value left in a cell a merge covers (rows inserted by another program) is not read,
    by either reader; the merge's first cell keeps its value, cells beside it keep theirs, and
    a merge reaching past the sheet's last row or column is cut where the sheet ends."""
    def edit(book: Any) -> None:
        ws = book["基本信息"]
        for row in range(20, 24):
            for col in range(4, 9):
                ws.cell(row, col, row * 100 + col)

    path = _workbook(tmp_path, edit)
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as zin:
        members = {name: zin.read(name) for name in zin.namelist()}
    members[member] = re.sub(
        rb'<mergeCells count="(\d+)">',
        lambda m: b'<mergeCells count="%d"><mergeCell ref="E20:G22"/><mergeCell ref="H23:K30"/>'
        % (int(m.group(1)) + 2), members[member], count=1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    slow = open_book(path, reader="openpyxl")
    assert isinstance(slow, Workbook)
    for reader, kind in (("direct", DirectBook), ("calamine", CalamineBook)):
        fast = open_book(path, reader=reader)
        assert isinstance(fast, kind)
        for row in range(19, 32):
            for col in range(3, 13):
                a, b = fast.value("基本信息", row, col), slow.value("基本信息", row, col)
                assert (type(a), a) == (type(b), b), (row, col)
        assert fast.value("基本信息", 20, 5) == 2005 and fast.value("基本信息", 20, 6) is None
        assert fast.value("基本信息", 21, 5) is None and fast.value("基本信息", 22, 7) is None
        assert fast.value("基本信息", 21, 4) == 2104 and fast.value("基本信息", 21, 8) == 2108
        assert fast.value("基本信息", 23, 8) == 2308 and fast.value("基本信息", 24, 8) is None


def test_the_pack_record_is_read_once_and_as_openpyxl_reads_it() -> None:
    slow = open_book(EXAMPLE_2021, reader="openpyxl")
    for reader, kind in (("direct", DirectBook), ("calamine", CalamineBook)):
        fast = open_book(EXAMPLE_2021, reader=reader)
        assert isinstance(fast, kind)
        record = fast.pack_record
        assert record is not None and record == slow.pack_record
        assert fast.pack_record is record and fast.pack_name == record.name
