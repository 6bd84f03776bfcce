"""Cell references and values as openpyxl and calamine read them, without importing either.

The guard's pass (``xlsx_survey``) calls these for every cell, merge and number it looks at.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

MAX_ROW, MAX_COL = 1_048_576, 16_384


def _columns() -> dict[str, int]:
    letters = [chr(65 + i) for i in range(26)]
    columns = {a: i + 1 for i, a in enumerate(letters)}
    columns.update({a + b: 26 * (i + 1) + j + 1 for i, a in enumerate(letters)
                    for j, b in enumerate(letters)})
    return columns


COLUMNS = _columns()  # A … ZZ; three letters are computed


def cell_position(ref: str) -> tuple[int, int] | None:
    """(row, column) of a reference as Excel writes it (``B7``), else None."""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters):]
    col = COLUMNS.get(letters)
    if col is None:
        if len(letters) != 3 or not (letters.isascii() and letters.isalpha()
                                     and letters.isupper()):
            return None
        col = ((ord(letters[0]) - 64) * 26 + ord(letters[1]) - 64) * 26 + ord(letters[2]) - 64
    if not digits or len(digits) > 7:
        return None
    row = int(digits)
    if not 1 <= row <= MAX_ROW or col > MAX_COL:
        return None
    return row, col


def covered(ref: str) -> int:
    """Cells a range covers, as openpyxl reads it (whole rows or columns counted in full);
    a reference openpyxl cannot parse counts as one cell (it refuses it when it loads)."""
    bounds = range_boundaries(ref.strip())
    if bounds is None:
        return 1
    low_col, low_row, high_col, high_row = bounds
    rows = abs(int(high_row or MAX_ROW) - int(low_row or 1)) + 1
    cols = abs(int(high_col or MAX_COL) - int(low_col or 1)) + 1
    return rows * cols


short_covered = functools.lru_cache(maxsize=1024)(covered)  # the same merges in every workbook

_BOUND = re.compile(r"^\$?([A-Za-z]{1,3})?\$?(\d+)?$")


def range_boundaries(ref: str) -> tuple[int | None, int | None, int | None, int | None] | None:
    """Columns and rows (1-based) of A1:B2, A:B or 1:2 as openpyxl's ``range_boundaries``
    reads them, without importing openpyxl (``check`` does not need it); None where openpyxl
    raises."""
    if not ref:
        return None, None, None, None
    ends = ref.split(":")
    if len(ends) > 2:
        return None
    bounds: list[int | None] = []
    for end in ends:
        match = _BOUND.match(end)
        if match is None or not end.strip("$"):
            return None
        letters, digits = match.groups()
        col = 0
        for ch in (letters or "").upper():
            col = col * 26 + ord(ch) - 64
        bounds += [col or None, int(digits) if digits else None]
    if len(bounds) == 2:
        bounds += bounds
    elif [b is None for b in bounds[:2]] != [b is None for b in bounds[2:]]:
        return None  # A1:B, A:2 …: openpyxl refuses a range that mixes kinds
    return bounds[0], bounds[1], bounds[2], bounds[3]


def readable(cell_type: str, value: str) -> bool:
    """Can openpyxl read this ``<v>`` of a cell of this type? (It raises on the whole workbook
    when it cannot: ``NaN`` or ``INF`` in a numeric cell.)"""
    if not value:
        return True  # <v/>: openpyxl reads no value
    try:
        if cell_type == "n":
            if "." in value or "E" in value or "e" in value:
                float(value)
            else:
                int(value)
        elif cell_type in ("s", "b"):
            int(value)
        elif cell_type == "d":
            return iso_readable(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


# The ISO 8601 forms openpyxl reads in a cell of type "d" (``utils.datetime.from_ISO8601``):
# a date, a time or both, matched from the start of the text, or a duration (PT1H2M3S).
_ISO = re.compile(r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
                  r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})"
                  r"(:(?P<second>\d{2})(?P<microsecond>\.\d{1,3})?)?)?Z?")
_DURATION = re.compile(r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?")


def iso_readable(value: str) -> bool:
    """Does openpyxl read this text of a date cell (else it raises on the whole workbook)?"""
    match = _ISO.match(value)
    try:
        if match and any(match.groups()):
            n = {k: int(match[k] or 0) for k in ("year", "month", "day", "hour", "minute",
                                                 "second")}
            if not match["date"]:
                dt.time(n["hour"], n["minute"], n["second"])
            elif not match["time"]:
                dt.date(n["year"], n["month"], n["day"])
            else:
                dt.datetime(n["year"], n["month"], n["day"], n["hour"], n["minute"],
                            n["second"])
            return True
        match = _DURATION.match(value)
        if match and any(match.groups()):
            dt.timedelta(**{k: float(v) for k, v in match.groupdict(0).items()})
            return True
    except (ValueError, OverflowError):
        return False
    return False
