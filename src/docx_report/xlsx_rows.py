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
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from docx_report.layout import column_letter

# C0 controls but tab, newline and carriage return, as openpyxl refuses them; lone surrogates
# (a file name that is not UTF-8 reaches Python as them, and no workbook can store them)
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_BLOCK = 2000  # rows joined before they are written


def marker(n: int) -> str:
    """The text of the one cell of sheet ``n``'s marker row."""
    return f"docx-report:rows:{n}:end"


def cell_text(text: str) -> str:
    """Text a workbook can hold: control characters dropped, a lone surrogate (a file name's
    byte that was not UTF-8) shown as U+FFFD."""
    if ILLEGAL.search(text) is None:
        return text
    return ILLEGAL.sub(lambda m: "\ufffd" if m.group() >= "\ud800" else "", text)


def rows_xml(rows: Sequence[Sequence[Any]], first: int) -> Iterable[str]:
    """The ``<row>`` elements of ``rows``, numbered from ``first``, in blocks."""
    letters = [column_letter(col) for col in
               range(1, max((len(row) for row in rows), default=0) + 1)]
    block: list[str] = []
    for r, values in enumerate(rows, start=first):
        cells = [f'<row r="{r}">']
        for letter, value in zip(letters, values, strict=False):
            if value is None:
                continue
            cells.append(_cell(f"{letter}{r}", value))
        cells.append("</row>")
        block.append("".join(cells))
        if len(block) >= _BLOCK:
            yield "".join(block)
            block = []
    if block:
        yield "".join(block)


def _cell(ref: str, value: Any) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        number = float(value)  # as openpyxl writes it: "%.16g" of the float
        shown = "" if math.isnan(number) or math.isinf(number) else f"{number:.16g}"
        return f'<c r="{ref}" t="n"><v>{shown}</v></c>'
    if not isinstance(value, str):
        raise TypeError(f"a summary cell holds text, a number or a boolean, not {value!r}")
    text = cell_text(value)
    if not text:
        return f'<c r="{ref}" t="inlineStr"/>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text.translate(_ESCAPES)}</t></is></c>'


def splice(package: bytes, rows: Mapping[int, Sequence[Sequence[Any]]], out: Path) -> None:
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
                    member.write(block.encode("utf-8"))
                member.write(data[end:])


def _marked(data: bytes, rows: Mapping[int, Sequence[Sequence[Any]]]
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
