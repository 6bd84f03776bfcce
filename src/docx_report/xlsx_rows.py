"""Plain rows of values as SpreadsheetML, spliced into a workbook openpyxl wrote around them.

batch's summary.xlsx holds a row per workbook and per problem: tens of thousands of cells for
an office's batch. openpyxl's write-only mode spends ~15 µs on each (a cell object, an lxml
element), more than the rest of the summary. ``workbook`` lets openpyxl write everything else
(styles, the styled header row, widths, frozen panes, the autofilter) with one marker row per
sheet, and ``splice`` puts the rows in the marker's place, streamed into the new package a
block at a time: the same cells openpyxl writes (inline strings, ``t="n"`` numbers formatted
as ``%.16g``, ``t="b"`` booleans, no element for an empty cell), at a few µs a row.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from docx_report.layout import column_letter

# C0 controls but tab, newline and carriage return, as openpyxl refuses them; lone surrogates
# (a file name that is not UTF-8 reaches Python as them, and no workbook can store them)
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_BLOCK = 500  # rows joined before they are written (a block of 2,000 held ~4 MB)
_KEPT = 4096  # cells of repeated texts and numbers kept, at most, while rows are made


def marker(n: int) -> str:
    """The text of the one cell of sheet ``n``'s marker row."""
    return f"docx-report:rows:{n}:end"


def cell_text(text: str) -> str:
    """Text a workbook can hold: control characters dropped, a lone surrogate (a file name's
    byte that was not UTF-8) shown as U+FFFD."""
    if ILLEGAL.search(text) is None:
        return text
    return ILLEGAL.sub(lambda m: "\ufffd" if m.group() >= "\ud800" else "", text)


class Rows(Collection[Sequence[Any]]):
    """Rows made as they are written, never held whole (a summary of thousands of workbooks):
    ``count`` of them, from ``make``; each value written as ``show`` shows it (a pure function
    of the value: a repeated text or whole number is shown once; None stays an empty cell)."""

    def __init__(self, count: int, make: Callable[[], Iterable[Sequence[Any]]],
                 show: Callable[[Any], Any] | None = None) -> None:
        self.count, self.make, self.show = count, make, show

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Sequence[Any]]:
        return iter(self.make())

    def __contains__(self, row: object) -> bool:
        return any(row == made for made in self.make())


def rows_xml(rows: Iterable[Sequence[Any]], first: int) -> Iterable[bytes]:
    """The ``<row>`` elements of ``rows``, numbered from ``first``, in blocks of UTF-8.

    A summary repeats most of its values (a status, a sheet, a rule, an agency on each of its
    problems): each text's and each whole number's cell is made (and encoded) once and kept,
    up to ``_KEPT`` of them (then they are made again), so a repeated value costs a lookup;
    a row is pieces of bytes joined once per block."""
    show = rows.show if isinstance(rows, Rows) else None
    heads: list[bytes] = []  # b'<c r="A' for each column
    # a text or an int (never a bool: True == 1) → its cell after the reference (b"": no
    # cell); a text and an int are never equal keys
    made: dict[str | int, bytes] = {}
    shown: dict[str, bytes] = {}  # a text ``show`` made of another value → the same
    parts: list[bytes] = []
    add = parts.append
    count = 0
    for r, values in enumerate(rows, start=first):
        if len(values) > len(heads):
            heads += [f'<c r="{column_letter(col)}'.encode()
                      for col in range(len(heads) + 1, len(values) + 1)]
        at = b"%d" % r
        end = at + b'"'  # the rest of the reference, then the body
        add(b'<row r="' + at + b'">')
        for head, value in zip(heads, values, strict=False):
            kind = type(value)
            if kind is str or kind is int:
                body = made.get(value)
                if body is None:
                    if len(made) >= _KEPT:
                        made.clear()
                    body = made[value] = _shown(value, show)
            elif value is None:
                continue
            elif show is None:
                body = _body(value).encode()
            else:  # a path…: its text may repeat
                value = show(value)
                if type(value) is not str:
                    body = b"" if value is None else _body(value).encode()
                else:
                    body = shown.get(value)
                    if body is None:
                        if len(shown) >= _KEPT:
                            shown.clear()
                        body = shown[value] = _body(value).encode()
            if body:
                add(head)
                add(end)
                add(body)
        add(b"</row>")
        count += 1
        if count >= _BLOCK:
            yield b"".join(parts)
            parts.clear()
            count = 0
    if parts:
        yield b"".join(parts)


def _shown(value: Any, show: Callable[[Any], Any] | None) -> bytes:
    """The cell of ``value`` as ``show`` shows it, after its reference (b"": no cell)."""
    if show is not None:
        value = show(value)
    return b"" if value is None else _body(value).encode()


def _body(value: Any) -> str:
    """A cell's XML after its reference: type, value and the closing tag."""
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        number = float(value)  # as openpyxl writes it: "%.16g" of the float
        shown = "" if math.isnan(number) or math.isinf(number) else f"{number:.16g}"
        return f' t="n"><v>{shown}</v></c>'
    if not isinstance(value, str):
        raise TypeError(f"a summary cell holds text, a number or a boolean, not {value!r}")
    text = cell_text(value)
    if not text:
        return ' t="inlineStr"/>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f' t="inlineStr"><is><t{space}>{_escaped(text)}</t></is></c>'


def _escaped(text: str) -> str:
    """``&``, ``<``, ``>`` and carriage returns as openpyxl escapes them (one scan of the text
    for each: ``str.translate`` looks up every character, ten times slower on Chinese text)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def splice(package: bytes, rows: Mapping[int, Iterable[Sequence[Any]]], out: Path) -> None:
    """Write ``package`` (a workbook) to ``out`` with the marker row of each sheet ``n`` in
    ``rows`` replaced by those rows, numbered from the marker's own row."""
    with zipfile.ZipFile(io.BytesIO(package)) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            found = _marked(data, rows) if info.filename.startswith("xl/worksheets/") else None
            if found is None:
                zout.writestr(info, data)
                continue
            n, start, end, first = found
            target = zipfile.ZipInfo(info.filename, info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            with zout.open(target, "w", force_zip64=True) as member:
                member.write(data[:start])
                for block in rows_xml(rows[n], first):
                    member.write(block)
                member.write(data[end:])


def _marked(data: bytes, rows: Mapping[int, Iterable[Sequence[Any]]]
            ) -> tuple[int, int, int, int] | None:
    """Which sheet's marker ``data`` holds: (n, where its row starts, where it ends, the
    row's number), or None."""
    for n in rows:
        at = data.find(marker(n).encode("utf-8"))
        if at < 0:
            continue
        start = data.rfind(b"<row ", 0, at)
        end = data.find(b"</row>", at) + len(b"</row>")
        number = re.match(rb'<row r="(\d+)"', data[start:start + 20])
        assert start >= 0 and end > at and number, "openpyxl wrote the marker row"
        return n, start, end, int(number.group(1))
    return None
