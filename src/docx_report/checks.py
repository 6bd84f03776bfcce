"""The pack's rules, applied to what a workbook says: every problem, located, in one run.

Totals are recomputed from their parts (a total typed over its formula that disagrees is an
error at its cell); equations (the pack's rules) are checked for every value of their wildcard; the
few rule kinds about facts and text are small functions registered in ``KINDS``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from docx_report import expr, narrative, textchecks
from docx_report import layout as wb
from docx_report.errors import Level, Problem
from docx_report.pack import Pack, Rule, builtin_packs, load_pack
from docx_report.reader import ReportData
from docx_report.values import Number, value_type


def compute(pack: Pack, values: Mapping[str, Number | None]) -> dict[str, Number | None]:
    """Every value key → its value, totals recomputed from their parts (None if unknown)."""
    plan = _plan(pack)
    result: dict[str, Number | None] = dict.fromkeys(plan.keys)  # in the plan's order
    result.update(zip(plan.inputs, map(values.get, plan.inputs), strict=True))
    for key, parts_of in plan.sum_getters:
        known = parts_of(result)
        # (``None in`` compares by identity first: no number equals None)
        result[key] = None if None in known else sum(known, start=0)
    return result


# One failed-or-held check of an equation: (cell the message goes to, this year's cells it
# reads, left side, right side); a term is (sign, last year's, key or None for a constant,
# constant).
_Term = tuple[int, bool, str | None, int]
_Instance = tuple[str, frozenset[str], tuple[_Term, ...], tuple[_Term, ...]]


class _Plan:
    """What checking any workbook of a pack repeats, worked out once per pack object (packs
    are frozen): the order totals are computed in, and each equation for every value of its
    wildcard."""

    def __init__(self, pack: Pack) -> None:
        self.total_of = totals = pack.total_of()
        # Each key after the parts it is the total of (depth first, as a recursive evaluation
        # would fill its memo): compute is then one loop.
        self.order: list[tuple[str, tuple[str, ...] | None]] = []
        done: set[str] = set()

        def visit(key: str) -> None:
            if key in done:
                return
            parts = totals.get(key)
            for part in parts or ():
                visit(part)
            done.add(key)
            self.order.append((key, parts))

        for key in pack.value_cells():
            visit(key)
        self.keys = [key for key, _ in self.order]
        self.inputs = [key for key, parts in self.order if parts is None]
        self.sums = [(key, parts) for key, parts in self.order if parts is not None]
        # each total with what reads its parts' values out of the results (in C), in order
        self.sum_getters = [(key, _values_of(parts)) for key, parts in self.sums]
        self.totals = pack.totals_by_cell()
        keys = list(pack.value_cells())
        self.equations: dict[int, list[_Instance]] = {}
        for rule in pack.rules:
            if rule.equation is not None:
                self.equations[id(rule)] = self._instances(rule, keys)

    @staticmethod
    def _instances(rule: Rule, keys: list[str]) -> list[_Instance]:
        equation = rule.equation
        assert equation is not None

        def side(terms: tuple[expr.Term, ...], wild: str) -> tuple[_Term, ...]:
            return tuple((t.sign, t.previous, expr.substitute(t.key, wild) if t.ref else None,
                          t.const) for t in terms)

        return [(expr.substitute(rule.at or equation.left[0].key, wild),
                 frozenset(expr.substitute(t.key, wild) for t in equation.terms
                           if t.ref and not t.previous),
                 side(equation.left, wild), side(equation.right, wild))
                for wild in expr.expand([t.key for t in equation.terms if t.ref], keys)]


def _values_of(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """What gives ``tuple(mapping[k] for k in keys)``."""
    if len(keys) >= 2:
        return operator.itemgetter(*keys)
    return lambda mapping: tuple(mapping[k] for k in keys)


_PLANS: dict[int, tuple[Pack, _Plan]] = {}


def _plan(pack: Pack) -> _Plan:
    known = _PLANS.get(id(pack))
    if known is None or known[0] is not pack:
        if len(_PLANS) >= 32:
            _PLANS.clear()
        known = _PLANS[id(pack)] = (pack, _Plan(pack))
    return known[1]


def _fmt(value: Number) -> str:
    return value_type("amount").format(value) if isinstance(value, Decimal) else str(value)


class _Checker:
    def __init__(self, data: ReportData, computed: Mapping[str, Number | None],
                 previous: ReportData | None, prev_computed: Mapping[str, Number | None]) -> None:
        self.data = data
        self.pack = data.pack
        self.computed = computed
        self.previous = previous
        self.prev_computed = prev_computed
        self.cells = self.pack.value_cells()
        self.plan = _plan(self.pack)
        self.where = wb.locate(self.pack)
        self.problems: list[Problem] = []
        # This year's cells each failed equation reads, by problem (see ``run``).
        self.reads: dict[int, tuple[bool, frozenset[str]]] = {}

    def add(self, level: Level, message: str, *, key: str = "", field: str = "",
            sheet: str = "", cell: str = "", rule: str = "") -> None:
        if key:
            sheet, cell = self.where[key]
            message = f"{self.cells[key][1].label}：{message}"
        elif field:
            sheet = self.pack.facts_sheet
            cell = wb.coordinate(wb.field_row(self.pack, field), 2)
        self.problems.append(Problem(level, message, sheet=sheet, cell=cell, rule=rule))

    def totals(self) -> None:
        for key, total in self.plan.totals.items():
            typed = self.data.values.get(key)
            right = self.computed.get(key)
            if typed is None or right is None or typed == right:
                continue
            self.add(Level.ERROR, f"应为 {_fmt(right)}（各项之和），实为 {_fmt(typed)}", key=key,
                     rule=total.rule)

    def equation(self, rule: Rule) -> None:
        assert rule.equation is not None
        if rule.equation.uses_previous and self.previous is None:
            return
        failed: dict[str, str] = {}  # cell → message, in order
        read: dict[str, frozenset[str]] = {}  # cell → this year's cells its equation reads
        computed, prev_computed = self.computed, self.prev_computed
        for at, reads, *both in self.plan.equations[id(rule)]:
            sides: list[Number] = []
            for terms in both:
                total: Number = 0
                for sign, previous, key, const in terms:
                    if key is not None:
                        value = (prev_computed if previous else computed).get(key)
                        if value is None:
                            break
                    else:
                        value = const
                    total += sign * value
                else:
                    sides.append(total)
                    continue
                break
            if len(sides) != 2 or rule.equation.holds(sides[0], sides[1]):
                continue
            failed[at] = rule.message.format(left=_fmt(sides[0]), right=_fmt(sides[1]))
            read[at] = reads
        # A total whose parts already fail this rule fails because of them: one cause, one
        # message (a wrong 上年结转·自然人 is not reported again at 上年结转·总计).
        parts = self.plan.total_of
        for at, message in failed.items():
            if not any(part in failed for part in _leaves(parts, at)):
                self.reads[len(self.problems)] = (rule.equation.uses_previous, read[at])
                self.add(rule.level, message, key=at, rule=rule.id)

    def run(self) -> list[Problem]:
        self.totals()
        for rule in self.pack.rules:
            if rule.kind == "equation":
                self.equation(rule)
            else:
                KINDS[rule.kind](self, rule)
        return self._one_cause()

    def _one_cause(self) -> list[Problem]:
        """A cell that contradicts last year's report is the cause of this year's equations
        that read it failing too: only the cross-year message is kept (a carried-over count
        that differs from last year's is reported once, by the cross-year rule, not again by
        this year's identity). Fixed, the next check shows whatever remains."""
        blamed = {(self.problems[i].sheet, self.problems[i].cell)
                  for i, (cross_year, _) in self.reads.items() if cross_year}
        if not blamed:
            return self.problems
        return [p for i, p in enumerate(self.problems)
                if not (i in self.reads and not self.reads[i][0]
                        and any(self.where[k] in blamed for k in self.reads[i][1]))]


def _leaves(totals: Mapping[str, tuple[str, ...]], key: str) -> set[str]:
    """Every cell a total is made of, through totals of totals (not the total itself)."""
    found: set[str] = set()
    stack = list(totals.get(key, ()))
    while stack:
        part = stack.pop()
        if part not in found:
            found.add(part)
            stack.extend(totals.get(part, ()))
    return found


# ---------------------------------------------------------------------------------------------
# Rule kinds other than equations: each takes the checker and the rule.


def _contains(ch: _Checker, rule: Rule) -> None:
    ch.problems += textchecks.contains(ch.pack, ch.data.narratives, ch.data.facts, rule.options,
                                       rule.level, rule.message, rule.id)


def _narrative_figures(ch: _Checker, rule: Rule) -> None:
    ch.problems += narrative.check_figures(
        ch.pack, ch.data.narratives, ch.computed, sections=rule.options.get("sections", ()),
        rule=rule.id, level=rule.level, message=rule.message,
        year=year if isinstance(year := ch.data.facts.get("year"), int) else None)


def _placeholders(ch: _Checker, rule: Rule) -> None:
    ch.problems += narrative.check_placeholders(ch.pack, ch.data.narratives, rule=rule.id,
                                                level=rule.level, message=rule.message)


def _year_rule(check: Callable[..., list[Problem]], fact: str) -> Callable[[_Checker, Rule],
                                                                           None]:
    def run(ch: _Checker, rule: Rule) -> None:
        value = ch.data.facts.get(fact)
        if isinstance(value, dt.date):
            value = value.year
        if isinstance(value, int):
            ch.problems += check(ch.pack, ch.data.narratives, value, rule.options, rule.level,
                                 rule.message, rule.id)
    return run


def _copied_previous(ch: _Checker, rule: Rule) -> None:
    if ch.previous is None:
        return
    ch.problems += textchecks.copied_previous(
        ch.pack, ch.data.narratives, ch.previous.pack, ch.previous.narratives,
        ch.previous.file.name, rule.options, rule.level, rule.message, rule.id)


def _pack_years(ch: _Checker, rule: Rule) -> None:
    year = ch.data.facts.get("year")
    low, high = ch.pack.years
    if not isinstance(year, int) or low <= year <= high:
        return
    # A built-in pack points to the built-in format for that year; any other pack cannot know.
    packs = (load_pack(n) for n in builtin_packs()) if ch.pack.builtin else iter(())
    fitting = [p for p in packs if p.years[0] <= year <= p.years[1]]
    expected = fitting[0].title if fitting else "适用于该年度的格式"
    ch.add(rule.level, rule.message.format(year=year, expected=expected, actual=ch.pack.title),
           field="year", rule=rule.id)


def _dates(ch: _Checker) -> tuple[int, dt.date] | None:
    year, date = ch.data.facts.get("year"), ch.data.facts.get("date")
    if isinstance(year, int) and isinstance(date, dt.date):
        return year, date
    return None


def _after_year_end(ch: _Checker, rule: Rule) -> None:
    known = _dates(ch)
    if known and known[1] <= dt.date(known[0], 12, 31):
        ch.add(rule.level, rule.message.format(date=value_type("date").format(known[1]),
                                               year=known[0]), field="date", rule=rule.id)


def _deadline(ch: _Checker, rule: Rule) -> None:
    known = _dates(ch)
    kind = str(ch.data.facts.get(str(rule.options["by"])))
    deadlines: Mapping[str, Any] = rule.options["deadlines"]
    if not known or kind not in deadlines:
        return
    month, day = (int(x) for x in str(deadlines[kind]).split("-"))
    limit = dt.date(known[0] + 1, month, day)
    if known[1] > limit:
        ch.add(rule.level, rule.message.format(
            date=value_type("date").format(known[1]), deadline=value_type("date").format(limit),
            kind=kind), field="date", rule=rule.id)


KINDS: dict[str, Callable[[_Checker, Rule], None]] = {
    "contains": _contains,
    "narrative_figures": _narrative_figures,
    "placeholders": _placeholders,
    "period_years": _year_rule(textchecks.period_years, "year"),
    "future_years": _year_rule(textchecks.future_years, "date"),
    "opening_year": _year_rule(textchecks.opening_year, "year"),
    "copied_previous": _copied_previous,
    "pack_years": _pack_years,
    "after_year_end": _after_year_end,
    "deadline": _deadline,
}


def _previous_matches(data: ReportData, previous: ReportData) -> list[Problem]:
    """Last year's workbook must be last year's, of the same agency."""
    problems: list[Problem] = []
    year, prev_year = data.facts.get("year"), previous.facts.get("year")
    facts = previous.pack.facts_sheet
    fields = [f.key for f in previous.pack.fields]

    def at(key: str) -> str:  # the fact's cell in last year's workbook
        return wb.coordinate(wb.field_row(previous.pack, key), 2) if key in fields else ""

    # Named after the pack's first cross-year rule: the rules it would have checked.
    rule = next((r.id for r in data.pack.rules
                 if r.equation is not None and r.equation.uses_previous), "")
    if isinstance(year, int) and isinstance(prev_year, int) and prev_year != year - 1:
        problems.append(Problem(Level.ERROR, f"--previous 指定的是{prev_year}年度的报告，"
                                f"应为上一年（{year - 1}年度）的报告", file=str(previous.file),
                                sheet=facts, cell=at("year"), rule=rule))
    if data.facts.get("agency") and previous.facts.get("agency") != data.facts.get("agency"):
        problems.append(Problem(Level.WARNING,
                                f"上年报告的机关名称「{previous.facts.get('agency')}」"
                                f"与本年「{data.facts.get('agency')}」不同",
                                file=str(previous.file), sheet=facts, cell=at("agency")))
    return problems


def check(data: ReportData, previous: ReportData | None = None, *,
          computed: Mapping[str, Number | None] | None = None) -> list[Problem]:
    """Apply every rule of the pack; return the new problems (data.problems is not changed).
    ``computed``: ``compute(data.pack, data.values)`` when the caller already has it."""
    if computed is None:
        computed = compute(data.pack, data.values)
    prev_computed = compute(previous.pack, previous.values) if previous else {}
    problems: list[Problem] = []
    if previous is not None:
        problems += _previous_matches(data, previous)
        if any(p.level is Level.ERROR for p in problems):
            previous = None
    for section in data.pack.narratives():
        story = data.narratives.get(section.key)
        if section.required and story is not None and story.empty:
            problems.append(Problem(Level.ERROR, f"“{section.heading}”没有填写内容",
                                    sheet=section.sheet, cell=wb.coordinate(wb.INTRO_ROW, 2)))
    problems += _Checker(data, computed, previous, prev_computed).run()
    return relocate(problems, data)


def relocate(problems: list[Problem], data: ReportData) -> list[Problem]:
    """A published report has no sheets or cells: its problems go where the report shows the
    value, fact or section (``data.locations``); problems of other files stay as they are."""
    if not data.locations:
        return problems
    pack = data.pack
    where = {place: data.locations[key] for key, place in wb.locate(pack).items()
             if key in data.locations}
    where |= {(pack.facts_sheet, wb.coordinate(wb.field_row(pack, f.key), 2)):
              data.locations[f.key] for f in pack.fields if f.key in data.locations}
    sections = {s.sheet: data.locations[s.key] for s in pack.sections
                if s.key in data.locations}
    moved = []
    for p in problems:
        place = None if p.file not in ("", str(data.file)) else (
            where.get((p.sheet, p.cell)) or sections.get(p.sheet))
        moved.append(dataclasses.replace(p, sheet=place[0], cell=place[1]) if place else p)
    return moved
