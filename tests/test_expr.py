"""The expression language of pack rules: parsing, errors in Chinese, wildcard expansion."""

from __future__ import annotations

import pytest

from docx_report.expr import (
    Equation,
    ExprError,
    Term,
    _wildcard,
    expand,
    parse_equation,
    parse_sum,
    substitute,
)


def test_rule_one_parses_into_two_sums() -> None:
    eq = parse_equation(
        "requests.new.* + requests.carried.* == requests.done_total.* + requests.carry_next.*")
    assert eq == Equation(
        left=(Term(1, "requests.new.*"), Term(1, "requests.carried.*")),
        right=(Term(1, "requests.done_total.*"), Term(1, "requests.carry_next.*")))
    assert not eq.uses_previous


def test_signs_constants_and_last_year() -> None:
    eq = parse_equation("active.*.valid == prev.active.*.valid + active.*.made - active.*.repealed")
    assert [(t.sign, t.ref) for t in eq.right] == [
        (1, "prev.active.*.valid"), (1, "active.*.made"), (-1, "active.*.repealed")]
    assert eq.uses_previous
    prev = eq.right[0]
    assert prev.previous and prev.key == "active.*.valid"
    assert not eq.left[0].previous and eq.left[0].key == "active.*.valid"
    eq = parse_equation("  -a.b + 3 == 0  ")
    assert eq.left == (Term(-1, "a.b"), Term(1, const=3)) and eq.right == (Term(1, const=0),)
    assert len(eq.terms) == 3


def test_parse_sum() -> None:
    assert parse_sum("t.a.x + t.b.x - 2") == (Term(1, "t.a.x"), Term(1, "t.b.x"), Term(-1, const=2))


@pytest.mark.parametrize(("text", "says"), [
    ("", "应含且仅含一个 =="),
    ("a.b + c.d", "应含且仅含一个 =="),
    ("a == b == c", "应含且仅含一个 =="),
    ("a ==", "不完整"),
    ("== b", "不完整"),
    ("a + == b", "不完整"),
    ("a == b +", "不完整"),
    ("a == b c", "在「c」处应为 + 或 -"),
    ("a == - - b", "在「-」处缺少单元格名"),
    ("a == b $ c", "第 8 个字符处无法识别"),
    ("a == b * c", "无法识别"),
    ("a = b", "无法识别"),
    ("__import__('os') == 1", "无法识别"),
])
def test_malformed_expressions_are_refused_in_chinese(text: str, says: str) -> None:
    with pytest.raises(ExprError) as info:
        parse_equation(text)
    assert says in str(info.value)


KEYS = ["t.a.x", "t.a.y", "t.b.x", "t.c.x", "t.c.y", "u.total"]


def test_expand_gives_the_wildcards_for_which_every_key_exists() -> None:
    assert expand(["t.*.x", "t.*.y"], KEYS) == ["a", "c"]
    assert expand(["t.*.x"], KEYS) == ["a", "b", "c"]
    assert expand(["t.*.x", "u.total"], KEYS) == ["a", "b", "c"]
    assert expand(["t.*.z"], KEYS) == []
    assert expand(["u.total"], KEYS) == [""]
    assert expand([], KEYS) == [""]


def test_expand_does_not_let_a_wildcard_span_segments() -> None:
    assert expand(["t.*"], KEYS) == []
    assert expand(["t.a.*"], KEYS) == ["x", "y"]


def test_substitute() -> None:
    assert substitute("requests.*.total", "new") == "requests.new.total"
    assert substitute("review.review.total", "") == "review.review.total"


def test_a_bound_parses_and_holds_only_when_the_left_side_is_not_smaller() -> None:
    from docx_report.expr import parse_equation

    bound = parse_equation("a.b.* + a.c.* >= 0")
    assert bound.op == ">=" and [t.ref for t in bound.left] == ["a.b.*", "a.c.*"]
    assert bound.holds(0, 0) and bound.holds(3, 0) and not bound.holds(-1, 0)
    assert not parse_equation("a.b == 1").holds(2, 1)


@pytest.mark.parametrize("ref, key, value", [
    ("t.*.x", "t.a.x", "a"), ("t.*.x", "t.ab_1.x", "ab_1"), ("t.*.x", "t..x", None),
    ("t.*.x", "t.a.b.x", None), ("t.*.x", "t.a.xy", None), ("t.*.x", "u.a.x", None),
    ("t.*", "t.a", "a"), ("*.x", "a.x", "a"), ("t.*.x", "t.é.x", None), ("t.*.x", "t.a-b.x", None),
    ("t.*.*", "t.a.b", "a"), ("t.*.*", "t.a", None),
])
def test_a_wildcard_stands_for_one_name(ref: str, key: str, value: str | None) -> None:
    assert _wildcard(ref, key) == value
