"""Load and validate a pack: a declarative schema (pack.toml) plus a docxtpl Word template.

A pack says everything about one kind of report: the basic facts, the sections in order
(narrative or table), each table's grid of labels and value cells with their merges, which
cells are totals of which, and the consistency rules. The workbook, the checks, the template's
data and the template lint are all driven by it; nothing about a particular report is written
in Python.

Table grids are written like HTML tables, row by row; a cell is a label (a string, or
``{text, cols, rows}``), a value (``{value = "row.col", cols, type}``) or a whole row of values
under the table's ``columns`` (``{row = "key"}``). Cells covered by an earlier rowspan are
skipped, as in HTML.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from docx_report import expr
from docx_report.errors import Level, PackError
from docx_report.pack_narrative import NarrativeFigure, NarrativeOptions

_SUBITEM = re.compile(r"^\d+[.、．]")
RESERVED_ROW_KEYS = {"note"}


@dataclass(frozen=True)
class Field:
    """A basic fact (机关名称, 年度…) on the facts sheet."""

    key: str
    label: str
    type: str = "text"
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    default: Any = None
    in_report: bool = True  # False: a fact for the checks that the report need not print
    min: int | None = None  # bounds of a year (or other whole number) the clerk types
    max: int | None = None


@dataclass(frozen=True)
class Cell:
    """A placed grid cell: a label, or a value cell whose key is ``section.row.col``."""

    row: int
    col: int
    rows: int
    cols: int
    text: str = ""
    key: str = ""
    type: str = ""
    hint: str = ""
    row_label: str = ""
    col_label: str = ""

    @property
    def is_value(self) -> bool:
        return bool(self.key)

    @functools.cached_property
    def label(self) -> str:
        """How messages name a value cell: row label / column label."""
        return "/".join(x for x in (self.row_label, self.col_label) if x)


@dataclass(frozen=True)
class TableSection:
    key: str
    heading: str
    sheet: str
    width: int
    cells: tuple[Cell, ...]
    header_rows: int
    widths: tuple[float, ...] = ()
    intro: str = ""

    @property
    def height(self) -> int:
        return max(c.row + c.rows for c in self.cells)

    def value_cells(self) -> Iterator[Cell]:
        return (c for c in self.cells if c.is_value)

    def label_cells(self) -> Iterator[Cell]:
        return (c for c in self.cells if not c.is_value)


@dataclass(frozen=True)
class NarrativeSection:
    key: str
    heading: str
    sheet: str
    subsections: tuple[str, ...] = ()
    intro_label: str = "导语（可不填）"
    required: bool = True
    rows: int = 10
    intro: str = ""


Section = TableSection | NarrativeSection


@dataclass(frozen=True)
class Total:
    """``cell`` is computed as the sum of ``parts`` (all concrete keys)."""

    cell: str
    parts: tuple[str, ...]
    rule: str = ""


@dataclass(frozen=True)
class Figure:
    """A key figure the batch summary shows for each agency: the sum of some value cells."""

    label: str
    of: tuple[str, ...]


@dataclass(frozen=True)
class Carry:
    """What ``init --previous`` pre-fills: ``to`` (this year's key, may hold one ``*``) from a
    sum of last year's keys (``from``, the same ``*``)."""

    to: str
    terms: tuple[expr.Term, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    kind: str  # one of RULE_KINDS
    message: str
    equation: expr.Equation | None = None
    at: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pack:
    name: str
    title: str
    basis: str
    version: int
    years: tuple[int, int]
    root: Path
    template: str
    output: str
    facts_sheet: str
    fields: tuple[Field, ...]
    sections: tuple[Section, ...]
    totals: tuple[Total, ...]
    rules: tuple[Rule, ...]
    description: str = ""
    figures: tuple[Figure, ...] = ()
    keywords: tuple[str, ...] = ()  # document keywords of the report (the year is added)
    # The facts that name a report's period: one agency sends one workbook per period (batch)
    period: tuple[str, ...] = ("year",)
    value_rule: str = ""  # the rule id given to problems with a single cell's value
    aggregate: Mapping[str, str] = field(default_factory=dict)  # the 汇总's wording
    fingerprint: str = ""  # of the workbook layout pack.toml declares: a workbook records it
    builtin: bool = False
    carries: tuple[Carry, ...] = ()  # what init --previous takes over from last year

    @functools.cached_property
    def source(self) -> str:
        """How a workbook names this pack: a built-in's name, else its folder."""
        return self.name if self.builtin else str(self.root.resolve())
    narrative_figures: tuple[NarrativeFigure, ...] = ()  # [[narrative_figures]] (narrative.py)
    narrative: NarrativeOptions = field(default_factory=NarrativeOptions)  # [narrative]
    verbatim_labels: bool = False  # official format: a template must print every label as is
    similar: Mapping[str, Any] = field(default_factory=dict)  # [similar]: batch copied text

    @property
    def template_path(self) -> Path:
        return self.root / self.template

    @property
    def sheets(self) -> list[str]:
        return [self.facts_sheet, *(s.sheet for s in self.sections)]

    def tables(self) -> Iterator[TableSection]:
        return (s for s in self.sections if isinstance(s, TableSection))

    def narratives(self) -> Iterator[NarrativeSection]:
        return (s for s in self.sections if isinstance(s, NarrativeSection))

    def value_cells(self) -> Mapping[str, tuple[TableSection, Cell]]:
        """Every value cell by key, in the tables' order (computed once: a pack is frozen)."""
        return MappingProxyType(self._value_cells)

    @functools.cached_property
    def _value_cells(self) -> dict[str, tuple[TableSection, Cell]]:
        return {c.key: (t, c) for t in self.tables() for c in t.value_cells()}

    def total_of(self) -> dict[str, tuple[str, ...]]:
        """Each total cell's parts; the first declaration wins where a cell has two."""
        result: dict[str, tuple[str, ...]] = {}
        for total in self.totals:
            result.setdefault(total.cell, total.parts)
        return result

    def totals_by_cell(self) -> dict[str, Total]:
        result: dict[str, Total] = {}
        for total in self.totals:
            result.setdefault(total.cell, total)
        return result


# ---------------------------------------------------------------------------------------------
# Loading: built-in packs by name, any other pack by its folder


def builtin_root() -> Path:
    """The built-in packs: ``docx_report/templates`` in a wheel, the repository's top-level
    ``templates/`` in a source checkout (pyproject maps the one onto the other)."""
    packaged = Path(str(resources.files("docx_report"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def builtin_packs() -> list[str]:
    return list(_builtin_names())


@functools.cache
def _builtin_names() -> tuple[str, ...]:
    """The built-in packs' names, found once per process (they ship with the package)."""
    return tuple(sorted(p.parent.name for p in builtin_root().glob("*/pack.toml")))


def is_folder(ref: str | Path) -> bool:
    """Does ``ref`` name a pack folder (or its pack.toml) rather than a built-in pack?
    A built-in pack's bare name is the built-in pack even when the current folder holds a
    folder of that name (write ``./name`` for that folder)."""
    text = str(ref)
    if "/" in text or "\\" in text or text.startswith("."):
        return True
    return text not in builtin_packs() and Path(text).exists()


def load_pack(name_or_path: str | Path) -> Pack:
    """Load a built-in pack by name, or a pack folder (or its pack.toml) by path."""
    if not is_folder(name_or_path):
        return _builtin_pack(str(name_or_path))
    path = Path(name_or_path)
    if not path.exists():
        raise PackError(f"找不到报告格式（pack）文件夹：{path}")
    return _load_folder(path.resolve())


@functools.cache
def _builtin_pack(name: str) -> Pack:
    """A built-in pack, parsed once per process (packs are frozen; batch reads hundreds)."""
    from docx_report import pack_build

    candidate = builtin_root() / name
    if not (candidate / "pack.toml").is_file():
        known = "、".join(builtin_packs())
        raise PackError(f"没有名为「{name}」的报告格式（pack）；可用的有：{known}；"
                        "自己的 pack 请写文件夹路径（如 ./我的格式）")
    return pack_build.build(candidate / "pack.toml", builtin=True)


def _load_folder(path: Path) -> Pack:
    from docx_report import pack_build

    toml = path if path.is_file() and path.suffix.lower() == ".toml" else path / "pack.toml"
    if not toml.is_file():
        return pack_build.build(toml)  # says what is missing
    stat = toml.stat()
    return _folder_pack(toml, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _folder_pack(toml: Path, mtime: int, size: int) -> Pack:
    """A folder pack, parsed once per process while its pack.toml is unchanged."""
    from docx_report import pack_build

    return pack_build.build(toml)


def with_labels(cells: list[Cell]) -> Iterator[Cell]:
    """Give each value cell the official row and column labels that name it in messages."""
    labels = [c for c in cells if not c.is_value]
    inner: dict[str, set[int]] = {}
    above: dict[int, list[Cell]] = {}
    for cell in cells:
        if cell.is_value:
            # Every label over this column, nearest first (value cells in between are skipped,
            # so a cell deep in a table still finds its column header).
            chain = sorted((lab for lab in labels if lab.col <= cell.col < lab.col + lab.cols
                            and lab.row + lab.rows <= cell.row), key=lambda lab: -lab.row)
            above[id(cell)] = chain
            if chain:
                inner.setdefault(chain[0].text, set()).add(id(chain[0]))
    for cell in cells:
        if not cell.is_value:
            yield cell
            continue
        left = sorted((lab for lab in labels if lab.row <= cell.row < lab.row + lab.rows
                       and lab.col < cell.col), key=lambda lab: lab.col)
        row_label = left[-1].text if left else ""
        if left and _SUBITEM.match(row_label) and len(left) > 1:
            row_label = f"{left[-2].text}·{row_label}"
        chain = above[id(cell)]
        col_label = chain[0].text if chain else ""
        if chain and len(inner[col_label]) > 1 and len(chain) > 1:
            col_label = f"{chain[1].text}·{col_label}"
        yield dataclasses.replace(cell, row_label=row_label, col_label=col_label)


