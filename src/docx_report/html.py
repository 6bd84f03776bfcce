"""The report as HTML: headings, paragraphs and the official tables as semantic ``<table>``.

Three forms of one rendering, all drawn from the pack (the tables' cells with their colspan and
rowspan) and the data a template sees (``Checked.context()``):

* ``page``: a standalone page with A4 print CSS (``build --html``), for publishing or printing;
* ``fragment``: the report's body with inline styles only, for pasting into a portal's editor
  (editors drop ``<style>`` elements; they keep ``style`` and ``border`` attributes);
* ``body``: the body with classes, and the problems placed on it: each problem's cell (or
  section, or fact) is highlighted with its message beside it and an anchor the problem list
  links to. The web page draws its preview with it.

No Word CSS, no script. Jinja2 (docxtpl's own) renders it with autoescaping on.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jinja2
from markupsafe import Markup

from docx_report import layout as wb
from docx_report.context import build_context
from docx_report.errors import InputError, Level, Problem, ProblemsFound
from docx_report.files import write_bytes_atomically
from docx_report.pack import NarrativeSection, Pack, TableSection

if TYPE_CHECKING:
    from docx_report.report import Checked

Form = Literal["page", "fragment", "body"]
_A1 = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")


@dataclass(frozen=True)
class Mark:
    """A problem placed on the form: its number in the problem list and where it sits."""

    number: int
    problem: Problem
    anchor: str  # the id of the element it is placed on ('' when it has no place on the form)

    @property
    def level(self) -> str:
        return self.problem.level.value

    @property
    def is_error(self) -> bool:
        return self.problem.level is Level.ERROR


@dataclass
class Placed:
    """Every problem numbered, and the marks by the id of the element they sit on."""

    marks: list[Mark] = field(default_factory=list)
    by_anchor: dict[str, list[Mark]] = field(default_factory=dict)

    def at(self, anchor: str) -> list[Mark]:
        return self.by_anchor.get(anchor, [])


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _table_anchor(table: TableSection, row: int, col: int) -> str:
    return f"t-{table.key}-{row}-{col}"


def anchor_of(pack: Pack, problem: Problem) -> str:
    """The id of the element of the form where a problem sits, from its sheet and cell."""
    if not problem.sheet:
        return ""
    match = _A1.match(problem.cell or "")
    if problem.sheet == pack.facts_sheet:
        if match and _column(match.group(1)) <= 3:
            row = int(match.group(2))
            for f in pack.fields:
                if wb.field_row(pack, f.key) == row:
                    return f"f-{f.key}"
        return "facts"
    for section in pack.sections:
        if section.sheet != problem.sheet:
            continue
        if isinstance(section, TableSection) and match:
            row, col = int(match.group(2)), _column(match.group(1))
            if row == wb.NOTE_ROW:
                return f"n-{section.key}"
            for cell in section.cells:  # the workbook's own layout, merges included
                top, left = wb.grid_position(cell)
                if top <= row < top + cell.rows and left <= col < left + cell.cols:
                    return _table_anchor(section, cell.row, cell.col)
        return f"s-{section.key}"
    return ""


def place(pack: Pack, problems: Sequence[Problem]) -> Placed:
    """Number the problems (in the order given: errors first) and place each on the form."""
    placed = Placed()
    for number, problem in enumerate(problems, start=1):
        mark = Mark(number, problem, anchor_of(pack, problem))
        placed.marks.append(mark)
        placed.by_anchor.setdefault(mark.anchor, []).append(mark)
    return placed


# ---------------------------------------------------------------------------------------------
# The document model the Jinja templates draw


def _title(context: dict[str, Any], name: str) -> list[str]:
    agency = str(context.get("agency") or "")
    if agency and name.startswith(agency) and len(name) > len(agency):
        return [agency, name[len(agency):]]
    return [name]


def _table_rows(table: TableSection, values: dict[str, Any]) -> list[list[dict[str, Any]]]:
    rows: list[list[dict[str, Any]]] = [[] for _ in range(table.height)]
    # Row labels of long text sit flush left (as in the Word template's table 三); labels that
    # span several rows, headers and short labels are centred.
    value_rows = {c.row for c in table.value_cells()}
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        if cell.is_value:
            _, row, col = cell.key.split(".")
            text = str(values.get(row, {}).get(col, ""))
        else:
            text = cell.text
        rows[cell.row].append({
            "header": not cell.is_value, "text": text, "cols": cell.cols, "rows": cell.rows,
            "id": _table_anchor(table, cell.row, cell.col), "key": cell.key,
            "label": cell.label, "left": not cell.is_value and cell.row in value_rows
            and cell.rows == 1 and len(cell.text) > 8,
        })
    return rows


def _groups(table: TableSection, rows: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The rows as ``<thead>``/``<tbody>`` groups, as the Word template breaks them.

    A table of blocks (table 二: a label across the whole width starts each block, with its
    own header rows) gets one ``<tbody>`` per block, each kept on one page, and no repeated
    header (the first block's would mislabel the others). Any other table repeats its header
    rows on each printed page and is kept whole where it fits.
    """
    starts = sorted({c.row for c in table.cells
                     if c.cols == table.width and c.rows == 1 and c.row})
    if starts:
        bounds = [0, *starts, table.height]
        return [{"tag": "tbody", "rows": rows[a:b]} for a, b in itertools.pairwise(bounds)]
    groups = [{"tag": "tbody", "rows": rows[table.header_rows:]}]
    if table.header_rows:
        groups.insert(0, {"tag": "thead", "rows": rows[:table.header_rows]})
    return groups


def document(pack: Pack, context: dict[str, Any], name: str) -> dict[str, Any]:
    """The report as plain data: title lines, sections in order, closing lines."""
    sections: list[dict[str, Any]] = []
    for section in pack.sections:
        data = context.get(section.key, {})
        if isinstance(section, NarrativeSection):
            sections.append({
                "kind": "narrative", "key": section.key, "heading": section.heading,
                "intro": data.get("intro", []), "subsections": data.get("subsections", []),
                "empty": data.get("empty", True)})
        else:
            groups = _groups(section, _table_rows(section, data))
            sections.append({
                "kind": "table", "key": section.key, "heading": section.heading,
                "note": data.get("note", []), "groups": groups, "width": section.width,
                "blocks": len(groups) > 1 and groups[0]["tag"] == "tbody",
                "widths": list(section.widths)})
    closing = [str(context[k]) for k in ("agency", "date") if context.get(k)]
    facts = [{"key": f.key, "label": f.label, "value": str(context.get(f.key, ""))}
             for f in pack.fields]
    return {"title": _title(context, name), "name": name, "sections": sections,
            "closing": closing, "facts": facts}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("docx_report", "html_templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)


@cache
def stylesheet() -> str:
    """The report's CSS (screen and A4 print); the web page serves the same file."""
    return (resources.files("docx_report") / "html_templates" / "report.css").read_text(
        encoding="utf-8")


def render_html(pack: Pack, context: dict[str, Any], name: str, *, form: Form = "page",
                problems: Sequence[Problem] = ()) -> str:
    """The report in one of the three forms (see the module's docstring)."""
    doc = document(pack, context, name)
    placed = place(pack, problems) if form == "body" else Placed()
    template = _environment().get_template(f"{form}.html.j2")
    return template.render(doc=doc, placed=placed, css=Markup(stylesheet()))


def checked_html(checked: Checked, *, form: Form = "page", with_problems: bool = False) -> str:
    """``render_html`` for a ``report.Checked`` (its pack, data, name and problems).

    With the problems placed (the preview of a workbook being checked), each cell shows what
    the clerk typed, so a wrong total reads as typed beside its message; the report itself
    shows the recomputed totals."""
    if not with_problems:
        return render_html(checked.data.pack, checked.context(), checked.output_name(),
                           form=form)
    d = checked.data
    shown = {**checked.computed, **{k: v for k, v in d.values.items() if v is not None}}
    typed = build_context(d.pack, d.facts, shown, d.narratives, d.notes)
    return render_html(d.pack, typed, checked.output_name(), form=form,
                       problems=checked.problems)


SUFFIXES = {"page": ".html", "fragment": ".fragment.html"}


def workbook_html(workbook: Path, *, previous: Path | None = None, pack: str | None = None,
                  page: bool = True, fragment: bool = False) -> dict[str, str]:
    """Check a workbook (the one path ``build`` takes) and give its HTML forms, by form name.

    Raises ``ProblemsFound`` when it has errors, as ``build_report`` does.
    """
    from docx_report import report

    if pack is None and report._is_generic(workbook):
        raise InputError("网页版只能由报告格式（pack）的工作簿生成；按自选 Word 模板填写的"
                         "通用工作簿请只生成 .docx", file=workbook)
    checked = report.check_workbook(workbook, previous=previous, pack=pack)
    if checked.errors:
        raise ProblemsFound(checked.problems, file=str(workbook))
    forms: list[tuple[Form, bool]] = [("page", page), ("fragment", fragment)]
    return {form: checked_html(checked, form=form) for form, on in forms if on}


def write_pages(pages: dict[str, str], docx: Path) -> list[Path]:
    """Write the HTML forms beside the report (``X.docx`` → ``X.html``, ``X.fragment.html``)."""
    written = []
    for form, text in pages.items():
        target = docx.with_name(docx.stem + SUFFIXES[form])
        write_bytes_atomically(target, text.encode("utf-8"))
        written.append(target)
    return written
