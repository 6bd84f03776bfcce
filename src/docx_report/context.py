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

from docx_report.narrative import fill, placeholder_values
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


# A table's value cells by row, in the order each row first appears: (row, [(column, key,
# formatter)]); None when a row is called "note" (the rows then fill in as they come).
_Rows = list[tuple[str, list[tuple[str, str, Callable[[Any], str]]]]] | None
_TABLE_ROWS: dict[int, tuple[TableSection, _Rows]] = {}  # id -> (table, its value cells)


def _value_rows(table: TableSection) -> _Rows:
    """A table's value cells by row, worked out once per table (a batch builds the context of
    hundreds of workbooks of one pack)."""
    entry = _TABLE_ROWS.get(id(table))
    if entry is not None and entry[0] is table:
        return entry[1]
    by_row: dict[str, list[tuple[str, str, Callable[[Any], str]]]] = {}
    for cell in table.value_cells():
        _, row, col = cell.key.split(".")
        by_row.setdefault(row, []).append((col, cell.key, value_type(cell.type).format))
    rows = None if "note" in by_row else list(by_row.items())
    if len(_TABLE_ROWS) >= 256:  # tables of packs no longer used
        _TABLE_ROWS.clear()
    _TABLE_ROWS[id(table)] = (table, rows)
    return rows


def table_context(table: TableSection, values: Mapping[str, Number | None],
                  note: list[str]) -> dict[str, Any]:
    context: dict[str, Any] = {"note": list(note)}
    rows = _value_rows(table)
    get = values.get
    if rows is None:  # a row called "note": as it always did (no row dict replaces the note)
        for cell in table.value_cells():
            _, row, col = cell.key.split(".")
            value = get(cell.key)
            context.setdefault(row, {})[col] = "" if value is None else value_type(
                cell.type).format(value)
        return context
    for row, cells in rows:  # (the same dicts, in the same order, as one cell at a time)
        context[row] = {col: "" if (value := get(key)) is None else formatted(value)
                        for col, key, formatted in cells}
    return context


def build_context(pack: Pack, facts: Mapping[str, Any], values: Mapping[str, Number | None],
                  narratives: Mapping[str, Narrative],
                  notes: Mapping[str, list[str]]) -> dict[str, Any]:
    context: dict[str, Any] = {
        f.key: value_type(f.type).format(facts.get(f.key)) for f in pack.fields}
    known: dict[str, str] | None = None  # the placeholders' figures, once for every section
    for section in pack.sections:
        if isinstance(section, TableSection):
            context[section.key] = table_context(section, values, notes.get(section.key, []))
        else:
            story = narratives.get(section.key, Narrative())
            if known is None:
                known = placeholder_values(pack, values)
            context[section.key] = narrative_context(fill(pack, story, values, known))
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
