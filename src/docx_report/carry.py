"""What a new year's workbook takes over from last year's report (``init --previous``).

The pack declares the carried values (``[[carry]]``: this year's 上年结转 from last year's
结转下年度, …); last year's totals are recomputed from their parts first, so a workbook saved
without calculated formulas carries the right numbers. Last year's subsection titles come
along for each narrative section both years' packs have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docx_report import checks, expr
from docx_report.pack import Pack
from docx_report.reader import ReportData
from docx_report.values import Number


@dataclass
class Prefill:
    facts: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Number] = field(default_factory=dict)
    narratives: dict[str, dict[str, Any]] = field(default_factory=dict)


def prefill(pack: Pack, previous: ReportData) -> Prefill:
    result = Prefill()
    agency, year = previous.facts.get("agency"), previous.facts.get("year")
    if agency:
        result.facts["agency"] = agency
    if isinstance(year, int):
        result.facts["year"] = year + 1
    if previous.facts.get("agency_kind"):
        result.facts["agency_kind"] = previous.facts["agency_kind"]
    last = checks.compute(previous.pack, previous.values)
    keys = list(pack.value_cells())
    for carry in pack.carries:
        for wild in expr.expand([carry.to], keys):
            total: Number = 0
            for term in carry.terms:
                value = last.get(expr.substitute(term.ref, wild))
                if value is None:
                    break
                total += term.sign * value
            else:
                result.values[expr.substitute(carry.to, wild)] = total
    for section in pack.narratives():
        story = previous.narratives.get(section.key)
        titles = [title for title, _ in story.subsections if title] if story else []
        if titles:
            result.narratives[section.key] = {
                "subsections": [{"title": t, "paragraphs": []} for t in titles]}
    return result
