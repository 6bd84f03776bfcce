"""The tiny expression language of pack rules and totals.

An equation is two sums of cell keys and integer constants joined by ``==`` (or ``>=`` for a
bound, such as a count that cannot fall below zero)::

    requests.new.* + requests.carried.* == requests.done_total.* + requests.carry_next.*
    active.*.valid == prev.active.*.valid + active.*.made - active.*.repealed

A ``*`` segment is a wildcard: the rule is checked once for every value of it for which all
the keys exist. ``prev.`` refers to last year's workbook. Nothing is ever ``eval``-ed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\s*(?:(?P<ref>[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z0-9_]+|\*))*)"
                    r"|(?P<num>\d+)|(?P<op>==|>=|\+|-))")
PREV = "prev."


class ExprError(ValueError):
    """Raised for an expression that does not parse."""


@dataclass(frozen=True)
class Term:
    sign: int  # +1 or -1
    ref: str = ""  # a cell key, possibly with one '*' segment and a 'prev.' prefix
    const: int = 0

    @property
    def previous(self) -> bool:
        return self.ref.startswith(PREV)

    @property
    def key(self) -> str:
        """The key without the 'prev.' prefix."""
        return self.ref.removeprefix(PREV)


@dataclass(frozen=True)
class Equation:
    left: tuple[Term, ...]
    right: tuple[Term, ...]
    op: str = "=="  # or ">="

    def holds(self, left: Any, right: Any) -> bool:
        return bool(left == right if self.op == "==" else left >= right)

    @property
    def terms(self) -> tuple[Term, ...]:
        return self.left + self.right

    @property
    def uses_previous(self) -> bool:
        return any(t.previous for t in self.terms)


def _parse_sum(tokens: Sequence[tuple[str, str]], text: str) -> tuple[Term, ...]:
    terms: list[Term] = []
    sign = 1
    expect_operand = True
    for kind, value in tokens:
        if expect_operand:
            if kind == "op" and value in "+-" and not terms and sign == 1:
                sign = -1 if value == "-" else 1
                continue
            if kind == "ref":
                terms.append(Term(sign, ref=value))
            elif kind == "num":
                terms.append(Term(sign, const=int(value)))
            else:
                raise ExprError(f"表达式「{text}」在「{value}」处缺少单元格名")
            expect_operand = False
        else:
            if kind != "op" or value not in "+-":
                raise ExprError(f"表达式「{text}」在「{value}」处应为 + 或 -")
            sign = 1 if value == "+" else -1
            expect_operand = True
    if expect_operand:
        raise ExprError(f"表达式「{text}」不完整")
    return tuple(terms)


def parse_equation(text: str) -> Equation:
    """Parse ``sum == sum`` or ``sum >= sum``; raise ExprError with a Chinese message otherwise."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if not match or match.end() == pos:
            at = len(stripped) - len(stripped[pos:].lstrip())
            raise ExprError(f"表达式「{text}」在第 {at + 1} 个字符处无法识别")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    eq = [i for i, (kind, value) in enumerate(tokens) if value in ("==", ">=")]
    if len(eq) != 1:
        raise ExprError(f"表达式「{text}」应含且仅含一个 == 或 >=")
    return Equation(_parse_sum(tokens[: eq[0]], text), _parse_sum(tokens[eq[0] + 1:], text),
                    op=tokens[eq[0]][1])


def parse_sum(text: str) -> tuple[Term, ...]:
    """Parse a plain sum of keys (used for totals written as one string)."""
    return parse_equation(f"0 == {text}").right


def _pattern(key: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(key).replace(r"\*", "([A-Za-z0-9_]+)") + "$")


def expand(refs: Iterable[str], keys: Sequence[str]) -> list[str]:
    """The wildcard values for which every ref (with '*') names an existing key, in key order.

    A list with the single value '' is returned when no ref has a wildcard.
    """
    wild = [r for r in refs if "*" in r]
    if not wild:
        return [""]
    key_set = set(keys)
    candidates: dict[str, None] = {}
    for key in keys:
        value = _wildcard(wild[0], key)
        if value is not None:
            candidates[value] = None
    return [c for c in candidates if all(r.replace("*", c) in key_set for r in wild)]


def _wildcard(ref: str, key: str) -> str | None:
    """What the ref's first '*' stands for in ``key`` (letters, digits, '_'), else None."""
    head, _, tail = ref.partition("*")
    if "*" in tail:  # (each '*' stands for a name: a regular expression says which)
        match = _pattern(ref).match(key)
        return match.group(1) if match else None
    if len(key) <= len(head) + len(tail) or not key.startswith(head) or not key.endswith(tail):
        return None
    value = key[len(head):len(key) - len(tail)]
    return value if value.isascii() and value.replace("_", "a").isalnum() else None


def substitute(ref: str, value: str) -> str:
    return ref.replace("*", value) if value else ref
