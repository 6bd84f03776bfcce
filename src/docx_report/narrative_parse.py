"""Numbers and phrases in one clause of the narrative, before any pack is involved.

- a number is Arabic, full-width or Chinese (六十三, 一百零五, 两千, 1.2万), followed by a unit;
  approximate wording (约, 近, 余, 多, 以上, 不到 …) makes it a range (``agrees``), vague
  wording (数十, 几百) agrees with anything;
- a phrase pattern is literal pieces joined by ``…`` (a gap of at most ``GAP`` characters),
  optionally starting with ``{n}`` (the number stands before it).

``narrative`` binds the numbers to the pack's figures through these phrases.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

GAP = 20  # characters a "…" in a phrase may stand for
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN = "零〇一二两三四五六七八九十百千万亿"
_PRE = ("大约|大概|约|将近|接近|近|逾|超过|多于|超|不到|不足|少于|上|数|几")
_TAIL = "左右|上下|以上|以下|以内|之多"

_ABOUT = {"大约", "大概", "约", "左右", "上下"}
_NEAR = {"将近", "接近", "近"}
_OVER = {"逾", "超过", "多于", "超", "以上", "之多"}
_UNDER = {"不到", "不足", "少于", "以下", "以内"}
_SOME = {"余", "多"}
_VAGUE = {"数", "几"}


# --- numbers ----------------------------------------------------------------------------------


def cn_number(text: str) -> int:
    """六十三 → 63, 一百零五 → 105, 两千 → 2000, 三万五千 → 35000, 二〇二四 → 2024."""
    if all(ch in _CN_DIGITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total = section = number = 0
    for ch in text:
        if ch in _CN_DIGITS:
            number = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (number or 1) * _CN_UNITS[ch]
            number = 0
        else:  # 万, 亿
            total = (total + section + number or 1) * _CN_BIG[ch]
            section = number = 0
    return total + section + number


def _last_place(value: int) -> int:
    """The place value of the last non-zero digit: 200 → 100, 63 → 1, 0 → 1."""
    place = 1
    while value and value % (place * 10) == 0:
        place *= 10
    return place


@dataclass(frozen=True)
class Quantity:
    """A number + unit found in a clause, in the unit it was written in."""

    start: int
    end: int
    value: Decimal
    ulp: Decimal  # the unit in the last place written (1.2万 → 1000): exact means within it
    place: Decimal  # the place of the last non-zero digit (200 → 100), for approximations
    unit: str
    approx: frozenset[str]
    text: str


@functools.lru_cache(maxsize=64)
def _pattern(units: tuple[str, ...]) -> re.Pattern[str]:
    unit = "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))
    # (the lookahead only says what a match starts with: re skips other characters at once
    # instead of trying every approximate word at each)
    starts = "".join(sorted({w[0] for w in _PRE.split("|")}))
    return re.compile(
        rf"(?=[\d{_CN}{starts}])(?P<pre>{_PRE})?(?P<num>\d+(?:\.\d+)?[万亿]?|[{_CN}]+)(?P<post>余|多)?\s*"
        rf"(?P<unit>{unit})(?!工作日|个工作日|月|小时|百分点|性)(?P<tail>{_TAIL})?")


@functools.lru_cache(maxsize=64)
def _any_unit(units: tuple[str, ...]) -> re.Pattern[str] | None:
    """Any of the units (None when a unit is empty: then a number needs none)."""
    if not units or "" in units:
        return None
    return re.compile("|".join(re.escape(u) for u in units))


def numbers(clause: str, units: Sequence[str]) -> list[Quantity]:
    return numbers_with(clause, number_patterns(tuple(units)))


NumberPatterns = tuple[re.Pattern[str] | None, re.Pattern[str]]
_NO_APPROX: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=64)
def number_patterns(units: tuple[str, ...]) -> NumberPatterns:
    """What ``numbers_with`` needs for these units (a reader keeps it: one look-up a pack)."""
    return _any_unit(units), _pattern(units)


def numbers_with(clause: str, patterns: NumberPatterns) -> list[Quantity]:
    """The numbers of a clause (``numbers``), the patterns of its units given."""
    unit, pattern = patterns
    if unit is not None and not unit.search(clause):
        return []  # a number is found only before one of its units: most clauses have none
    found = []
    for m in pattern.finditer(clause):
        start, end = m.span()
        pre, num, post, unit_said, tail = m.group("pre", "num", "post", "unit", "tail")
        before = clause[start - 1] if start else ""
        if before.isdigit() or before in ".第":
            continue
        if pre == "上" and num[0] not in "百千万":  # 上百, 上千: "上" is not 上年
            continue
        if clause[end:end + 1] == "的":  # "收到1件以上的科室": it describes a noun
            continue
        mult = 1
        if num[-1] in _CN_BIG and num[0].isdigit():
            mult, num = _CN_BIG[num[-1]], num[:-1]
        if num[0].isdigit():
            value = Decimal(num)
            decimals = len(num.split(".")[1]) if "." in num else 0
            ulp = Decimal(1).scaleb(-decimals) * mult
            place = Decimal(_last_place(int(num))) * mult if not decimals else ulp
        else:
            try:
                whole = cn_number(num)
            except KeyError:
                continue
            value, ulp, place, mult = Decimal(whole), Decimal(1), Decimal(_last_place(whole)), 1
        approx = frozenset(x for x in (pre, post, tail) if x) if pre or post or tail \
            else _NO_APPROX
        found.append(Quantity(start, end, value * mult, ulp, place, unit_said, approx,
                              m.group(0)))
    return found


def agrees(figure: Decimal, said: Quantity, scale: Decimal) -> bool:
    """Does what the text says agree with the table's figure (in the table's unit)?"""
    v, ulp, place = said.value * scale, said.ulp * scale, said.place * scale
    kinds = said.approx
    if kinds & _VAGUE:
        return True
    if not kinds:
        return abs(figure - v) < ulp
    ok = True
    if kinds & _SOME:
        ok &= v <= figure <= v + place
    if kinds & _OVER:
        ok &= v <= figure <= max(2 * v, v + place)
    if kinds & _UNDER:
        ok &= figure <= v
    if kinds & _NEAR:
        ok &= Decimal("0.7") * v <= figure <= v
    if kinds & _ABOUT:
        ok &= abs(figure - v) <= max(Decimal("0.2") * v, place / 2)
    if "上" in kinds:
        ok &= v <= figure < 10 * v
    return ok


# --- phrases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    pieces: tuple[str, ...]
    number_first: bool
    regex: re.Pattern[str]

    @classmethod
    def parse(cls, text: str) -> Phrase:
        first = text.startswith("{n}")
        pieces = tuple(p for p in text.removeprefix("{n}").split("…") if p)
        regex = re.compile(f".{{0,{GAP}}}?".join(re.escape(p) for p in pieces))
        return cls(pieces, first, regex)

    def backwards(self, clause: str, end: int) -> list[int] | None:
        """The starts of the pieces of the tightest match ending exactly at ``end``."""
        start = end - len(self.pieces[-1])
        if start < 0 or clause[start:end] != self.pieces[-1]:
            return None
        starts = [start]
        for piece in reversed(self.pieces[:-1]):
            found = clause.rfind(piece, max(0, start - GAP - len(piece)), start)
            if found < 0:
                return None
            starts.insert(0, start := found)
        return starts

    def forwards(self, clause: str, start: int) -> list[int] | None:
        """The starts of the pieces of the tightest match starting exactly at ``start``."""
        if not clause.startswith(self.pieces[0], start):
            return None
        starts, end = [start], start + len(self.pieces[0])
        for piece in self.pieces[1:]:
            found = clause.find(piece, end, end + GAP + len(piece))
            if found < 0:
                return None
            starts.append(found)
            end = found + len(piece)
        return starts

    def gaps(self, starts: Sequence[int]) -> Iterator[tuple[int, int]]:
        """The stretches the ``…`` of a match covered."""
        for (a, piece), b in zip(zip(starts, self.pieces, strict=True), starts[1:],
                                 strict=False):
            yield a + len(piece), b

    def end(self, starts: Sequence[int]) -> int:
        return starts[-1] + len(self.pieces[-1])
