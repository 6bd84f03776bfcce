"""Every workbook reader gives exactly what openpyxl gives, or declines: a differential test.

``xlsx_fast.open_book(path, reader=R)`` returns a ``layout.Book``; "openpyxl"
(``workbook.Workbook``) is the reference. For every other reader in ``xlsx_fast.READERS``
(picked up here as it is, whatever readers are added), on many small, varied, real .xlsx
files (``tests/reader_variants``: packages written member by member;
``reader_variants_edited``: the examples edited with openpyxl, files LibreOffice saved), the
Book must agree with openpyxl's on the sheet names, the pack recorded, and for each sheet its
``max_row``, its ``texts`` and ``value`` at every position of the area openpyxl sees (two rows
and columns beyond it too), down to the Python type. A file openpyxl's path refuses is
refused by every reader with the same message. Each aspect is its own test, so that a known
difference in one (``KNOWN``, strict xfails) leaves the others checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docx_report import xlsx_fast
from docx_report.errors import InputError
from docx_report.layout import META_SHEET
from docx_report.workbook import Workbook
from docx_report.xlsx_cells import MAX_COL, MAX_ROW
from tests import reader_variants as rv
from tests import reader_variants_edited as rve
from tests.helpers import EXAMPLE_2021
from tests.test_hostile import rezip

REFERENCE = "openpyxl"
BOX = (400, 60)  # rows and columns of a sheet's area compared everywhere
OTHERS = [r for r in xlsx_fast.READERS if r != REFERENCE]

#: Disagreements known today, by reader: case -> (the aspects that differ, why), the values
#: given as openpyxl's / the reader's. The reader is to be fixed (or made to decline): each is
#: a strict xfail, so a fix shows up as a failure (XPASS) until its entry is removed here. A
#: reader without a table here has every difference fail.
_MAX_ROW = "max_row: openpyxl counts rows of empty styled cells, merges, comments, hyperlinks"
_KNOWN_CALAMINE: dict[str, tuple[str, str]] = {
    # case: (aspects that differ, why); values are openpyxl's / calamine's
    "sst-empty": ("values", "empty shared string: '' / None"),
    "inline-empty": ("values", "empty inline string <is><t/></is>: '' / None"),
    "sst-whitespace": ("texts values", "<t> without xml:space: '   ' / None, '  两端  ' / '两端'"),
    "openpyxl-rich-text": ("values", "rich text of one space ' ' / None"),
    "sst-x005F": ("texts values", "openpyxl drops 'x005F_' from shared strings: '' / 'x005F_'"),
    "lo-inline-rich": ("texts values", "LibreOffice's shared string 'x005F_': '' / 'x005F_'"),
    "num-forms": ("values", "'3.0', '1E3', '-0.0', '1E0' as float 3.0, 1000.0, -0.0 / int"),
    "num-extremes": ("values", "'1e-400': float 0.0 / int 0"),
    "num-python-only": ("texts values", "'１２', '٣', '1_0.5' read by int()/float(): 12, 3, 10.5 "
                        "/ text; '1.', '1e5': float / int"),
    "num-spaces": ("texts values", "' 5 ', '5 ', '\\n5': int 5 / text"),
    "num-underscore": ("texts values", "'1_000': int 1000 / text '1_000'"),
    "num-big": ("values", "integers beyond 2**53: exact int / float"),
    "str-formula": ("texts values", "<v> before <f>: the value / None"),
    "d-iso": ("texts values", "t=\"d\": date(2024, 1, 20) / datetime; '...Z' datetime / text; "
              "'PT1H2M3S' timedelta / text"),
    "styled-dates": ("texts values", "serial -1 as a date: datetime(1899, 12, 29) / time(0, 0); "
                     "serial 2958466 (past 9999-12-31): CellError '#VALUE!' / int"),
    "lo-styled-dates": ("texts values", "as styled-dates"),
    "date1904": ("values", "serial -1 in a 1904 workbook: datetime(1903, 12, 31) / time(0, 0)"),
    "lo-date1904": ("values", "as date1904"),
    "styles-builtin-ids": ("values", "built-in formats 27-36, 50-58 (CJK dates, not defined in "
                           "styles.xml): float 45311.5 / datetime"),
    "styles-out-of-range": ("opens", "a cell's style index past cellXfs: refused / read"),
    "no-styles": ("opens", "s=\"1\" without styles.xml: refused / read"),
    "sst-no-content-type": ("opens", "shared strings not in [Content_Types].xml: refused / read"),
    "sst-ct-elsewhere": ("texts values", "openpyxl takes the shared strings [Content_Types].xml "
                         "names, calamine those the relationships name"),
    "sst-mixed": ("texts values", "<si><t>a</t><t>b</t></si>: 'b' / 'ab'; xml:space=\"default\" "
                  "'  c  ' / 'c'; runs ' ' and none: ' ', '' / None"),
    "duplicate-sheet-names": ("sheets max_row texts values", "two sheets named 表: openpyxl "
                              "renames the second 表1 / calamine keeps both names, one sheet"),
    "empty-sheet-name": ("sheets max_row texts values", "a sheet named '': 'Sheet' / ''"),
    "entities-in-text": ("texts values", "a character reference in <v>: <v>&#51;</v> 3 / None, "
                         "t=\"s\" <v>&#49;</v> '二' / None; inline '𠀀\\r\\n' / '𠀀'"),
    "cdata-comments-in-text": ("max_row values", "<v><![CDATA[4]]></v>: 4 / None"),
    "utf16-sheet": ("max_row texts values", "a worksheet in UTF-16: its cells / an empty sheet"),
    "meta-float-version": ("sheets", "the record's version <v>1.0</v> and fingerprint <v>1E3</v>:"
                           " '1.0', '1000.0' / '1', '1000'"),
    "sst-index-forms": ("texts values", "shared-string index ' 1 ', '+1', '１' (int() reads 1): "
                        "'一' / '零' (string 0)"),
    "d-iso-more": ("texts values", "t=\"d\" '+08:00', 'T13:30', '2024-01-20 13:30', "
                   "'2024-01-20T13:30', 'PT0S', 'PT36H': datetime, time, date, timedelta / text; "
                   "dates: date / datetime"),
    "edit-typed-cells": ("max_row values", "2**53 as openpyxl writes it (9007199254740992): int "
                         "/ float; and " + _MAX_ROW),
    "strict-workbook": ("sheets max_row texts values", "a Strict Open XML workbook: no sheets "
                        "/ its sheet and cells"),
    "cell-other-namespace": ("values", "a <c> in another namespace: None / its value"),
    "sheet-strict-namespace": ("values", "a worksheet in Strict OOXML's namespace: None / value"),
    "sheetdata-odd-children": ("values", "a <row> in another namespace: None / its cells"),
    "row-odd-children": ("values", "a <c> inside an unknown element of a row: None / value"),
    "duplicate-v": ("texts values", "two <v>: the first / the last"),
    "v-with-children": ("texts values", "<v>a<b>b</b>c</v>: 'a' / 'abc'"),
    "v-split-cdata": ("values", "<v>1<![CDATA[2]]>3</v>: 123 / 1"),
    "hyperlinks": ("max_row texts values", "openpyxl puts a hyperlink's target into the empty "
                   "cells it covers: '数据!A1', 'https://example.org/' / None"),
    **{case: ("opens", "openpyxl refuses the broken part (文件已损坏…) / calamine reads the "
                       "cells") for case in (
        "bad-no-workbook-content-type", "bad-macro-content-type", "bad-no-content-types",
        "bad-style-text", "bad-font-size", "bad-numfmt-id", "bad-no-cellxfs", "bad-sheet-format",
        "bad-core-props")},
    **{case: ("max_row", _MAX_ROW) for case in (
        "example-2021", "example-2019", "example-street", "edit-merge-values", "edit-meta-removed",
        "edit-meta-visible", "edit-number-formats", "edit-sheet-renamed", "lo-example-2021",
        "lo-edit-number-formats", "lo-edit-typed-cells", "merged", "merged-beyond", "lo-merged",
        "comments-xml",
        "empty-cells-only", "styled-empty-far", "inline-with-v", "bad-merge-overlap")},
    **{case: ("max_row", "an empty sheet: max_row 1 / 0") for case in (
        "empty-sheets", "lo-empty-sheets", "lo-openpyxl-chart-hidden", "sheetdata-self-closing")},
}
#: "direct" reads the values the guard's pass read; where it declines, calamine reads them
#: (so most of calamine's differences are direct's too, as calamine gives them).
_KNOWN_DIRECT: dict[str, tuple[str, str]] = {
    **{case: _KNOWN_CALAMINE[case] for case in (
        "bad-core-props", "bad-font-size", "bad-macro-content-type", "bad-no-cellxfs",
        "bad-no-content-types", "bad-no-workbook-content-type", "bad-numfmt-id",
        "bad-sheet-format", "bad-style-text", "cdata-comments-in-text", "cell-other-namespace",
        "comments-xml", "d-iso", "d-iso-more", "date1904", "duplicate-sheet-names",
        "duplicate-v", "edit-number-formats", "edit-typed-cells", "empty-sheet-name",
        "hyperlinks", "inline-with-v", "lo-date1904", "lo-edit-number-formats",
        "lo-edit-typed-cells", "lo-styled-dates", "no-styles", "openpyxl-rich-text",
        "row-odd-children", "sheet-strict-namespace", "sheetdata-odd-children",
        "sst-ct-elsewhere", "sst-mixed", "sst-no-content-type", "str-formula",
        "strict-workbook", "styled-dates", "styles-out-of-range", "utf16-sheet",
        "v-split-cdata", "v-with-children")},
    "bad-row-r-text": ("opens", "a row r=\"abc\": refused (文件已损坏…) / read"),
}
KNOWN_BY_READER: dict[str, dict[str, tuple[str, str]]] = {
    "calamine": _KNOWN_CALAMINE, "direct": _KNOWN_DIRECT}
KNOWN: dict[tuple[str, str, str], str] = {
    (reader, case, aspect): why for reader, known in KNOWN_BY_READER.items()
    for case, (aspects, why) in known.items() for aspect in aspects.split()}

LO = [f"lo-{case}" for case in rve.RESAVED] + ["lo-csv"]
CASES = [*rv.RAW, *rve.EDITED, *LO]


class Files:
    """The variants, each built once for the module (LibreOffice's in one run)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.built: dict[str, Path] = {}
        self.seen: dict[tuple[str, str], dict[str, Any]] = {}

    def path(self, case: str) -> Path:
        if case not in self.built:
            if case in rv.RAW:
                self.built[case] = rv.RAW[case]().write(self.folder / f"{case}.xlsx")
            elif case in rve.EDITED:
                self.built[case] = rve.EDITED[case](self.folder / f"{case}.xlsx")
            else:
                self._resave()
        return self.built[case]

    def _resave(self) -> None:
        csv = self.folder / "csv.csv"
        csv.write_text(rve.CSV, encoding="utf-8")
        sources = [self.path(case) for case in rve.RESAVED] + [csv]
        out = self.folder / "lo"
        out.mkdir()
        for stem, path in rve.soffice_resave(sources, out).items():
            assert path.is_file(), f"LibreOffice did not save {stem}"
            self.built[f"lo-{stem}"] = path

    def read(self, case: str, reader: str) -> dict[str, Any]:
        """What the reader makes of the case (once per module)."""
        key = (case, reader)
        if key not in self.seen:
            area = None if reader == REFERENCE else self.read(case, REFERENCE)["area"]
            self.seen[key] = snapshot(self.path(case), reader, area)
        return self.seen[key]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    return Files(tmp_path_factory.mktemp("variants"))


def typed(value: Any) -> tuple[str, str]:
    return type(value).__name__, repr(value)


#: What is compared, each in its own test: whether and how the file is refused; the sheet
#: names and the pack recorded; each sheet's max_row; its texts; its values.
ASPECTS = ("opens", "sheets", "max_row", "texts", "values")


def snapshot(path: Path, reader: str, area: dict[str, list[tuple[int, int]]] | None,
             ) -> dict[str, Any]:
    """What the reader's Book says of the workbook, by aspect (or its refusal), and the
    positions compared (``area``: from openpyxl's sheets when None, i.e. for the reference)."""
    try:
        book = xlsx_fast.open_book(path, reader=reader)
    except InputError as exc:
        return {"opens": f"refused: {exc}", "area": {}}
    names = list(book.sheetnames)
    seen: dict[str, Any] = {
        "opens": "opened", "read by": type(book).__name__,
        "sheets": {"sheetnames": names, "pack_name": book.pack_name,
                   "pack_record": book.pack_record,
                   "has_sheet": {name: book.has_sheet(name)
                                 for name in [*names, META_SHEET, "", "不存在", "sheet1"]}},
        # before any value is asked for: openpyxl creates the cells asked for
        "max_row": {sheet: book.max_row(sheet) for sheet in names},
        "texts": {sheet: [(r, col, typed(v)) for r, col, v in book.texts(sheet)]
                  for sheet in names}}
    if area is None:
        assert isinstance(book, Workbook)
        area = {s: positions(book._book[s]) for s in names}  # openpyxl's own worksheets
    seen["area"] = area
    seen["values"] = {sheet: {at: typed(book.value(sheet, *at)) for at in area.get(sheet, ())}
                      for sheet in names}
    return seen


def positions(ws: Any) -> list[tuple[int, int]]:
    """Where values are compared: the sheet's area as openpyxl sees it and two rows and columns
    beyond (its first ``BOX`` rows and columns where it is larger), every cell openpyxl holds
    and the cells around its last one; all within a sheet's bounds."""
    rows, cols = ws.max_row, ws.max_column
    seen = {(r, c) for r in range(1, min(rows, BOX[0]) + 3)
            for c in range(1, min(cols, BOX[1]) + 3)}
    seen.update(ws._cells)
    seen.update((r, c) for r in range(rows - 1, rows + 3) for c in range(cols - 1, cols + 3))
    return sorted((r, c) for r, c in seen if 1 <= r <= MAX_ROW and 1 <= c <= MAX_COL)


def differences(reference: Any, other: Any) -> Iterator[str]:
    """Where the reader's snapshot differs from openpyxl's, one line each."""
    if reference == other:
        return
    if isinstance(reference, dict) and isinstance(other, dict):
        for key in sorted(set(reference) | set(other), key=lambda k: (type(k).__name__, k)):
            yield from (f"{key}: {line}" for line in differences(
                reference.get(key, "<absent>"), other.get(key, "<absent>")))
    else:
        yield f"openpyxl {reference!r} / reader {other!r}"


def _params() -> list[Any]:
    params = []
    for reader in OTHERS:
        for case in CASES:
            for aspect in ASPECTS:
                marks: list[Any] = []
                if case.startswith("lo-"):
                    marks.append(pytest.mark.pdf)  # needs LibreOffice
                known = KNOWN.get((reader, case, aspect))
                if known:
                    marks.append(pytest.mark.xfail(strict=True, reason=known))
                params.append(pytest.param(reader, case, aspect, marks=marks,
                                           id=f"{reader}-{case}-{aspect}"))
    return params


@pytest.mark.parametrize(("reader", "case", "aspect"), _params())
def test_reader_gives_what_openpyxl_gives(files: Files, reader: str, case: str,
                                          aspect: str) -> None:
    reference, other = files.read(case, REFERENCE), files.read(case, reader)
    if aspect != "opens" and not reference["opens"] == other["opens"] == "opened":
        return  # refused by either: compared as "opens"
    found = list(differences(reference.get(aspect), other.get(aspect)))
    assert not found, f"{case}, {aspect}, read by {reader} ({other.get('read by')}):\n" + (
        "\n".join(found[:40]))


def test_the_reference_reads_what_it_should(files: Files) -> None:
    """The comparison is not empty: the cases hold what they were built to hold."""
    assert files.read("num-forms", REFERENCE)["values"]["数据"][(1, 1)] == ("int", "3")
    assert files.read("num-forms", REFERENCE)["values"]["数据"][(2, 1)] == ("float", "3.0")
    assert files.read("bad-doctype", REFERENCE)["opens"].startswith("refused: ")
    merged = files.read("edit-merge-values", REFERENCE)["values"]["基本信息"]
    assert merged[(20, 5)] == ("int", "2005") and merged[(21, 6)] == ("NoneType", "None")
    example = files.read("example-2021", REFERENCE)["sheets"]
    assert example["pack_name"] == "gov-disclosure-2021"


@pytest.mark.parametrize("reader", OTHERS)
def test_the_reader_reads_some_cases_itself(files: Files, reader: str) -> None:
    """Declining is always allowed, but a reader that declined everything would make the
    comparison above vacuous: the bundled examples at least it reads itself."""
    for case in ("example-2021", "example-2019", "sst-plain", "num-forms"):
        book = xlsx_fast.open_book(files.path(case), reader=reader)
        assert not isinstance(book, Workbook), (reader, case)



# ---------------------------------------------------------------------------------------------
# What the report reads: the example, its parts rewritten as other writers might write them

_SHEETS = [f"xl/worksheets/sheet{i}.xml" for i in range(1, 9)]
_NUMBER = rb'(t="n"><v>)(\d+)(</v>)'


def _numbers(new: bytes) -> dict[str, Any]:
    return {part: lambda d: re.sub(_NUMBER, new, d) for part in _SHEETS}


REWRITES: dict[str, dict[str, Any]] = {
    "numbers-as-floats": _numbers(rb"\g<1>\g<2>.0\g<3>"),
    "numbers-with-spaces": _numbers(rb"\g<1> \g<2> \g<3>"),
    "numbers-with-exponent": _numbers(rb"\g<1>\g<2>E0\g<3>"),
    "numbers-as-character-references": {part: lambda d: re.sub(_NUMBER, lambda m: (
        m.group(1) + b"&#%d;" % m.group(2)[0] + m.group(2)[1:] + m.group(3)), d)
        for part in _SHEETS},
    "texts-without-preserve": {part: lambda d: d.replace(b'<t xml:space="preserve">', b"<t>")
                               for part in _SHEETS},
}
KNOWN_REPORT = {("calamine", "numbers-as-character-references"):
                "<v>&#50;024</v> (2024): openpyxl reads the year, calamine a blank (必须填写)"}


def _report_params() -> list[Any]:
    return [pytest.param(reader, name, id=f"{reader}-{name}", marks=[pytest.mark.xfail(
        strict=True, reason=KNOWN_REPORT[(reader, name)])] if (reader, name) in KNOWN_REPORT
        else []) for reader in OTHERS for name in REWRITES]


def report_of(path: Path, reader: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """What ``read_report`` makes of the workbook with this reader, every value typed."""
    from docx_report.reader import read_report

    with monkeypatch.context() as patch:
        patch.setattr(xlsx_fast, "DEFAULT_READER", reader)
        try:
            data = read_report(path)
        except InputError as exc:
            return "refused", str(exc)
    return (data.pack.name, {k: typed(v) for k, v in data.facts.items()},
            {k: typed(v) for k, v in data.values.items()}, data.narratives, data.notes,
            data.problems, data.unread_tables)


@pytest.mark.parametrize(("reader", "name"), _report_params())
def test_the_report_reads_alike(reader: str, name: str, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The example with its numbers or texts written otherwise: what the reader makes of it
    (facts, values, narratives, notes, problems) is what it makes of it through openpyxl."""
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(rezip(EXAMPLE_2021, REWRITES[name]))
    assert report_of(path, reader, monkeypatch) == report_of(path, REFERENCE, monkeypatch)
