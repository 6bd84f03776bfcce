"""The two workbook readers give identical parsed data on the same files.

python-calamine reads pack workbooks; openpyxl reads what calamine cannot read exactly. Every
example and every bad, warned and accepted workbook of ``test_bad_inputs`` is read by both, and
what the reader makes of it (facts, values, narrative, notes, problems) must be the same, down
to the Python type of each value (a count typed as 3 is ``int`` 3 from both).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from docx_report import xlsx_fast
from docx_report.errors import InputError
from docx_report.reader import ReportData, read_report
from docx_report.workbook import Workbook
from docx_report.xlsx_fast import CalamineBook, open_book
from tests.helpers import EXAMPLE_2019, EXAMPLE_2021, EXAMPLE_2021_PREVIOUS, copy_example
from tests.test_bad_inputs import BAD, FINE, WARN

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
def test_both_readers_parse_the_same(make: Any, tmp_path: Path) -> None:
    path, _ = make(tmp_path)
    fast, slow = parsed(path, "calamine"), parsed(path, "openpyxl")
    assert fast == slow


def test_pack_workbooks_are_read_by_calamine() -> None:
    for example in EXAMPLES:
        book = open_book(example)
        assert isinstance(book, CalamineBook), example
        assert book.pack_name in ("gov-disclosure-2021", "gov-disclosure-2019")
        assert "_docx_report" not in book.sheetnames
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
    fast, slow = open_book(path), open_book(path, reader="openpyxl")
    assert isinstance(fast, CalamineBook) and isinstance(slow, Workbook)
    for sheet in slow.sheetnames:
        for row in range(1, 60):
            for col in range(1, 20):
                a, b = fast.value(sheet, row, col), slow.value(sheet, row, col)
                assert (type(a), a) == (type(b), b), (sheet, row, col)
        assert list(fast.texts(sheet)) == list(slow.texts(sheet))
    assert fast.value("基本信息", 4, 4) == 3 and type(fast.value("基本信息", 4, 4)) is int
    assert fast.formula("基本信息", 13, 4) == "=1+2"
    assert fast.pack_name == slow.pack_name
    assert fast.sheetnames == slow.sheetnames


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
    assert parsed(path, "calamine") == parsed(path, "openpyxl")


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
