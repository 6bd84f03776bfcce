"""The data a template sees: every leaf a string, formatted as the report prints it.

::

    agency, agency_kind, year, date          basic facts (strings)
    <narrative>.intro                        list of paragraphs (【placeholders】 filled in)
    <narrative>.subsections                  list of {title, paragraphs}; titles numbered （一）…
    <narrative>.empty                        true when the section has no text
    <table>.note                             list of paragraphs before the table
    <table>.<row>.<col>                      the cell's value, totals recomputed

``example_context(pack)`` gives the same shape with sample values, for template authors and
the template lint.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from docx_report.narrative import fill
from docx_report.pack import Pack, TableSection
from docx_report.reader import Narrative
from docx_report.values import Number, value_type

_ORDINALS = "一二三四五六七八九十"
_LEADING_ORDINAL = re.compile(
    r"^\s*[（(]?\s*(?:[一二三四五六七八九十]+|\d+)\s*[）)、.．,，]\s*")


def ordinal(n: int) -> str:
    """1 → 一, 12 → 十二 (enough for subsection numbers)."""
    if n <= 10:
        return _ORDINALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _ORDINALS[tens - 1]) + "十" + (_ORDINALS[ones - 1] if ones else "")


def number_title(title: str, n: int) -> str:
    """Give a subsection title the official （n） number, whatever the clerk typed before it.

    "主动公开情况", "1、主动公开情况", "(一）主动公开情况" all become "（一）主动公开情况".
    """
    return f"（{ordinal(n)}）{_LEADING_ORDINAL.sub('', title, count=1).strip()}"


def narrative_context(story: Narrative) -> dict[str, Any]:
    intro = list(story.intro)
    subsections: list[dict[str, Any]] = []
    for title, paragraphs in story.subsections:
        if title:
            subsections.append({"title": number_title(title, len(subsections) + 1),
                                "paragraphs": list(paragraphs)})
        elif subsections:
            subsections[-1]["paragraphs"].extend(paragraphs)
        else:
            intro.extend(paragraphs)
    return {"intro": intro, "subsections": subsections, "empty": story.empty}


_Cells = list[tuple[str, str, str, Callable[[Any], str]]]
_TABLE_CELLS: dict[int, tuple[TableSection, _Cells]] = {}  # id -> (table, its value cells)


def _value_cells(table: TableSection) -> _Cells:
    """(key, row, column, formatter) of a table's value cells, worked out once per table (a
    batch builds the context of hundreds of workbooks of one pack)."""
    entry = _TABLE_CELLS.get(id(table))
    if entry is not None and entry[0] is table:
        return entry[1]
    cells: _Cells = []
    for cell in table.value_cells():
        _, row, col = cell.key.split(".")
        cells.append((cell.key, row, col, value_type(cell.type).format))
    if len(_TABLE_CELLS) >= 256:  # tables of packs no longer used
        _TABLE_CELLS.clear()
    _TABLE_CELLS[id(table)] = (table, cells)
    return cells


def table_context(table: TableSection, values: Mapping[str, Number | None],
                  note: list[str]) -> dict[str, Any]:
    rows: dict[str, Any] = {"note": list(note)}
    for key, row, col, formatted in _value_cells(table):
        value = values.get(key)
        rows.setdefault(row, {})[col] = "" if value is None else formatted(value)
    return rows


def build_context(pack: Pack, facts: Mapping[str, Any], values: Mapping[str, Number | None],
                  narratives: Mapping[str, Narrative],
                  notes: Mapping[str, list[str]]) -> dict[str, Any]:
    context: dict[str, Any] = {
        f.key: value_type(f.type).format(facts.get(f.key)) for f in pack.fields}
    for section in pack.sections:
        if isinstance(section, TableSection):
            context[section.key] = table_context(section, values, notes.get(section.key, []))
        else:
            story = narratives.get(section.key, Narrative())
            context[section.key] = narrative_context(fill(pack, story, values))
    return context


def example_context(pack: Pack) -> dict[str, Any]:
    """A context of the pack's shape with sample values (every cell a distinct number)."""
    facts: dict[str, Any] = {}
    for f in pack.fields:
        sample = {"text": f.label, "choice": f.choices[0] if f.choices else f.label,
                  "year": pack.years[0]}.get(f.type)
        facts[f.key] = sample
    for f in pack.fields:
        if f.type == "date":
            facts[f.key] = dt.date(pack.years[0] + 1, 1, 20)
    values = {key: i + 1 for i, key in enumerate(pack.value_cells())}
    narratives = {
        s.key: Narrative(intro=[f"{s.heading}导语。"],
                         subsections=[(t, [f"{t}正文。"]) for t in s.subsections])
        for s in pack.narratives()}
    notes = {t.key: [f"{t.heading}表前说明。"] for t in pack.tables()}
    return build_context(pack, facts, values, narratives, notes)
