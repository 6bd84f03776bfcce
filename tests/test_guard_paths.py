"""The workbook guard's short cuts see what a full look would see.

The guard (``xlsx_survey``) lets texts through Python only where they are read, watches parts
that are no worksheet only from the bytes that may hold what it looks at, parses a member's
last chunk as final, and does not parse again a part it parsed before in the process. Each case
here is built so that a short cut that missed something would give another survey or verdict.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from docx_report import xlsx_bytes, xlsx_survey
from docx_report.errors import InputError
from docx_report.xlsx_guard import Survey, check_xlsx
from tests.helpers import EXAMPLE_2021
from tests.test_hostile import Change, before_end, rezip

META = "xl/worksheets/sheet8.xml"  # holds no "_" and no character reference
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CHUNK = 64 * 1024  # the guard inflates and parses members in chunks of this size


@pytest.fixture(autouse=True)
def nothing_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with no part parsed before (the guard remembers parts it parsed)."""
    monkeypatch.setattr(xlsx_survey, "_SEEN", {})
    monkeypatch.setattr(xlsx_survey, "_MISSES", {})


def _book(tmp_path: Path, changes: dict[str, Change], name: str = "改.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(rezip(EXAMPLE_2021, changes))
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        check_xlsx(path)
    return str(caught.value)


def test_the_meta_sheet_holds_no_escape_nor_reference() -> None:
    data = zipfile.ZipFile(EXAMPLE_2021).read(META)
    assert b"_" not in data and b"&#" not in data and b"</sheetData>" in data
    assert META not in check_xlsx(EXAMPLE_2021).differ


@pytest.mark.parametrize("text", [b"&#95;x0041&#95;", b"&#x5F;x0041&#x5f;", b"&#0095;x0041_",
                                  b"_x0041&#95;"])
def test_an_escape_spelled_by_references_is_seen(text: bytes, tmp_path: Path) -> None:
    """The only "_" of the part comes from character references: still an escape."""
    cell = b'<row r="9"><c r="A9" t="inlineStr"><is><t>%s</t></is></c></row>' % text
    survey = check_xlsx(_book(tmp_path, {META: before_end(b"</sheetData>", cell)}))
    assert META in survey.differ


def test_references_that_spell_no_escape_change_nothing(tmp_path: Path) -> None:
    cell = b'<row r="9"><c r="A9" t="inlineStr"><is><t>&#95;x00&#19977;1&#95;</t></is></c></row>'
    survey = check_xlsx(_book(tmp_path, {META: before_end(b"</sheetData>", cell)}))
    assert META not in survey.differ


def _padded_sheet(before: bytes, after: bytes, row: bytes = b"") -> bytes:
    """A worksheet whose first chunk ends exactly between ``before`` and ``after``."""
    head = b'<worksheet xmlns="%s" xmlns:p="urn:p" p:pad="' % MAIN
    tail = b'"><sheetData><row r="1">%s' % row
    pad = CHUNK - len(head) - len(tail) - len(before)
    data = head + b"a" * pad + tail + before + after + b"</row></sheetData></worksheet>"
    assert data[:CHUNK].endswith(before)
    return data


@pytest.mark.parametrize(("value", "refused"), [
    ((b"Na", b"N"), True), ((b"1", b"NF"), True), ((b"12", b"34"), False),
    ((b"1e", b"5"), False), ((b"-", b"7"), False), ((b"7", b"x"), True)])
def test_a_number_cut_by_the_chunks_is_read_whole(value: tuple[bytes, bytes], refused: bool,
                                                  tmp_path: Path) -> None:
    sheet = _padded_sheet(b'<c r="B1"><v>' + value[0], value[1] + b"</v></c>")
    path = _book(tmp_path, {META: sheet})
    with zipfile.ZipFile(path) as zf:
        first = next(xlsx_bytes.inflate_member(zf, zf.getinfo(META)))
        assert first.endswith(value[0]) and len(first) == CHUNK
    whole = (value[0] + value[1]).decode()
    if refused:
        assert f"单元格 B1 的值「{whole}」不是有效的数值" in _refusal(path)
    else:
        check_xlsx(path)


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_an_escape_cut_by_the_chunks_is_seen(cut: int, tmp_path: Path) -> None:
    """The reference that spells "_" begins in one chunk and ends in the next."""
    escape = b"&#95;x0041&#95;"
    cell = b'<c r="B1" t="inlineStr"><is><t>'
    sheet = _padded_sheet(cell + escape[:cut], escape[cut:] + b"</t></is></c>")
    assert META in check_xlsx(_book(tmp_path, {META: sheet})).differ


def _padded_styles(xml: bytes, cut: int) -> bytes:
    """The example's styles with ``xml`` inserted so that its first ``cut`` bytes end the
    first chunk (styles declare SpreadsheetML's namespace: openpyxl may read them as a sheet)."""
    styles = zipfile.ZipFile(EXAMPLE_2021).read("xl/styles.xml")
    end = styles.index(b"</styleSheet>")
    filler = b"<!--" + b"x" * (CHUNK - end - 7 - cut) + b"-->"
    data = styles[:end] + filler + xml + styles[end:]
    assert data[:CHUNK].endswith(xml[:cut])
    return data


@pytest.mark.parametrize("cut", [0, 3, 7])
@pytest.mark.parametrize(("xml", "message"), [
    (b'<mergeCell ref="A1:XFD1048576"/>', "合并了异常巨大的区域"),
    (b'<sheetData><row r="2"><c r="B2"><v>NaN</v></c></row></sheetData>',
     "单元格 B2 的值「NaN」不是有效的数值"),
    (b'<x:c xmlns:x="%s" r="B2"><x:v>INF</x:v></x:c>' % MAIN, "单元格 B2 的值「INF」"),
])
def test_a_part_that_is_no_sheet_is_watched_from_the_chunk_that_needs_it(
        xml: bytes, message: str, cut: int, tmp_path: Path) -> None:
    path = _book(tmp_path, {"xl/styles.xml": _padded_styles(xml, cut)})
    assert message in _refusal(path)


def _fields(survey: Survey) -> tuple[object, ...]:
    return (survey.members, {k: (a.rows, a.cols, a.plain) for k, a in survey.areas.items()},
            survey.differ, survey.relationships, survey.shared_strings)


def test_a_part_seen_before_gives_the_same_survey(tmp_path: Path) -> None:
    error = b'<row r="9"><c r="A9" t="e"><v>#REF!</v></c></row>'
    path = _book(tmp_path, {META: before_end(b"</sheetData>", error)})
    first = check_xlsx(path)
    assert xlsx_survey._SEEN, "the parts were remembered"
    again = check_xlsx(path)
    assert META in again.differ and again.relationships and again.areas[META].rows == 9
    assert _fields(again) == _fields(first)


@pytest.mark.parametrize("limit", ["MAX_CELLS", "MAX_MERGED_CELLS", "MAX_RANGES"])
def test_a_part_seen_before_still_counts_towards_the_limits(
        limit: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts remembered from an earlier workbook are counted again: a workbook over a limit
    is refused as it is when nothing was seen before."""
    scan = xlsx_survey.Scan()
    with zipfile.ZipFile(EXAMPLE_2021) as zf:
        scan.all(zf)
    total = {"MAX_CELLS": scan.cells, "MAX_MERGED_CELLS": scan.covered,
             "MAX_RANGES": scan.ranges}[limit]
    assert total > 1 and xlsx_survey._SEEN
    monkeypatch.setattr(xlsx_survey, limit, total - 1)
    remembered = _refusal(EXAMPLE_2021)
    monkeypatch.setattr(xlsx_survey, "_SEEN", {})
    assert remembered == _refusal(EXAMPLE_2021)


def test_a_part_that_differs_every_time_is_hashed_now_and_then(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts whose bytes differ in every workbook are not hashed for nothing each time, and
    are found again once they repeat."""
    hashed: list[bytes] = []

    def sha256(data: bytes) -> Any:
        hashed.append(data)
        return hashlib.sha256(data)

    monkeypatch.setattr(xlsx_survey, "hashlib", SimpleNamespace(sha256=sha256))
    paths = [_book(tmp_path, {META: before_end(b"</sheetData>", b'<row r="%d"/>' % (9 + i))},
                  f"{i}.xlsx") for i in range(24)]
    for path in paths:
        assert check_xlsx(path).areas[META].rows == 5
    assert xlsx_survey._MISSES[META] == 24
    assert len([data for data in hashed if b"fingerprint" in data]) == 5  # 4 in a row, 16th
    remembered = len(xlsx_survey._SEEN)
    for _ in range(9):  # the first workbook's part is looked up again at the next 16th
        check_xlsx(paths[0])
    assert xlsx_survey._MISSES[META] == 0 and len(xlsx_survey._SEEN) == remembered
