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

import functools
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from docx_report import expr
from docx_report.errors import Level, PackError
from docx_report.values import TYPES

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
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

    @property
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
class Rule:
    id: str
    level: Level
    kind: str  # equation | contains | pack_years | deadline | after_year_end
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

    def value_cells(self) -> dict[str, tuple[TableSection, Cell]]:
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
# Loading


def builtin_root() -> Path:
    """The built-in packs: ``docx_report/templates`` in a wheel, the repository's top-level
    ``templates/`` in a source checkout (pyproject maps the one onto the other)."""
    packaged = Path(str(resources.files("docx_report"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def builtin_packs() -> list[str]:
    root = builtin_root()
    return sorted(p.parent.name for p in root.glob("*/pack.toml"))


def load_pack(name_or_path: str | Path) -> Pack:
    """Load a built-in pack by name, or a pack folder (or its pack.toml) by path."""
    path = Path(name_or_path)
    if not path.exists():
        return _builtin_pack(str(name_or_path))
    return _load_path(path)


@functools.cache
def _builtin_pack(name: str) -> Pack:
    """A built-in pack, parsed once per process (packs are frozen; batch reads hundreds)."""
    candidate = builtin_root() / name
    if not (candidate / "pack.toml").is_file():
        known = "、".join(builtin_packs())
        raise PackError(f"没有名为「{name}」的报告格式（pack）；可用的有：{known}")
    return _load_path(candidate)


def _load_path(path: Path) -> Pack:
    if path.is_dir():
        path = path / "pack.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PackError(f"{path}：无法读取 pack 定义（{exc}）") from None
    try:
        return _build(data, path.parent)
    except (KeyError, TypeError, ValueError, expr.ExprError) as exc:
        raise PackError(f"{path}：pack 定义有误：{exc}") from None


def _build(data: dict[str, Any], root: Path) -> Pack:
    meta = data["pack"]
    facts = data["facts"]
    fields = tuple(
        Field(key=f["key"], label=f["label"], type=f.get("type", "text"),
              required=f.get("required", False), help=f.get("help", ""),
              choices=tuple(f.get("choices", ())), default=f.get("default"),
              in_report=f.get("in_report", True))
        for f in facts["fields"]
    )
    sections: list[Section] = []
    for raw in data["sections"]:
        if raw["kind"] == "table":
            sections.append(_table(raw))
        elif raw["kind"] == "narrative":
            sections.append(NarrativeSection(
                key=raw["key"], heading=raw["heading"], sheet=raw["sheet"],
                subsections=tuple(raw.get("subsections", ())),
                intro_label=raw.get("intro_label", "导语（可不填）"),
                required=raw.get("required", True), rows=raw.get("rows", 10),
                intro=raw.get("intro", "")))
        else:
            raise ValueError(f"未知的 section kind「{raw['kind']}」")
    years = meta.get("years", [2008, 9999])
    pack = Pack(
        name=meta["name"], title=meta["title"], basis=meta.get("basis", ""),
        version=int(meta.get("version", 1)), years=(int(years[0]), int(years[1])), root=root,
        template=meta.get("template", "template.docx"), output=meta["output"],
        facts_sheet=facts["sheet"], fields=fields, sections=tuple(sections),
        totals=(), rules=(), description=meta.get("description", ""),
    )
    keys = list(pack.value_cells())
    totals = tuple(_totals(data.get("totals", []), keys))
    rules = tuple(_rule(r, keys) for r in data.get("rules", []))
    figures = tuple(Figure(str(f["label"]), tuple(f["of"])) for f in data.get("figures", []))
    for figure in figures:
        if missing := [k for k in figure.of if k not in keys]:
            raise ValueError(f"关键数字「{figure.label}」引用了不存在的单元格 {missing[0]}")
    pack = Pack(**{**pack.__dict__, "totals": totals, "rules": rules, "figures": figures})
    _validate(pack)
    return pack


def _table(raw: dict[str, Any]) -> TableSection:
    key = raw["key"]
    width = int(raw["width"])
    columns = list(raw.get("columns", []))
    default_type = raw.get("type", "count")
    occupied: set[tuple[int, int]] = set()
    cells: list[Cell] = []
    for r, row in enumerate(raw["grid"]):
        c = 0
        for item in row:
            spec = [item] if not isinstance(item, dict) or "row" not in item else [
                {"value": f"{item['row']}.{col}", "type": item.get("type", default_type)}
                for col in columns]
            for one in spec:
                while (r, c) in occupied:
                    c += 1
                cell = _cell(key, r, c, one, default_type)
                for rr in range(r, r + cell.rows):
                    for cc in range(c, c + cell.cols):
                        if (rr, cc) in occupied:
                            raise ValueError(f"表 {key} 第 {r + 1} 行的单元格重叠")
                        occupied.add((rr, cc))
                cells.append(cell)
                c += cell.cols
        while (r, c) in occupied:
            c += 1
        if c != width:
            raise ValueError(f"表 {key} 第 {r + 1} 行宽 {c} 列，应为 {width} 列")
    header_rows = 0
    for r in range(max(cell.row + cell.rows for cell in cells)):
        if any(cell.is_value and cell.row == r for cell in cells):
            break
        header_rows = r + 1
    return TableSection(key=key, heading=raw["heading"], sheet=raw["sheet"], width=width,
                        cells=tuple(_with_labels(cells)), header_rows=header_rows,
                        widths=tuple(raw.get("widths", ())), intro=raw.get("intro", ""))


def _cell(table: str, r: int, c: int, item: Any, default_type: str) -> Cell:
    if isinstance(item, str):
        return Cell(r, c, 1, 1, text=item)
    rows, cols = int(item.get("rows", 1)), int(item.get("cols", 1))
    if "value" in item:
        rel = str(item["value"])
        if not all(_KEY.match(p) for p in rel.split(".")) or rel.count(".") != 1:
            raise ValueError(f"单元格名「{rel}」应为 行名.列名（英文字母、数字、下划线）")
        if rel.split(".")[0] in RESERVED_ROW_KEYS:
            raise ValueError(f"行名「{rel}」是保留字")
        return Cell(r, c, rows, cols, key=f"{table}.{rel}", type=item.get("type", default_type))
    return Cell(r, c, rows, cols, text=str(item["text"]), hint=str(item.get("hint", "")))


def _with_labels(cells: list[Cell]) -> Iterator[Cell]:
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
        yield Cell(**{**cell.__dict__, "row_label": row_label, "col_label": col_label})


def _totals(raw: list[dict[str, Any]], keys: list[str]) -> Iterator[Total]:
    for item in raw:
        target, parts = item["cell"], list(item["of"])
        values = expr.expand([target, *parts], keys)
        if not values:
            raise ValueError(f"合计「{target}」找不到对应的单元格")
        for value in values:
            concrete = [expr.substitute(p, value) for p in parts]
            cell = expr.substitute(target, value)
            missing = [k for k in [cell, *concrete] if k not in keys]
            if missing:
                raise ValueError(f"合计「{target}」引用了不存在的单元格 {missing[0]}")
            yield Total(cell, tuple(concrete), rule=str(item.get("id", "")))


def _rule(raw: dict[str, Any], keys: list[str]) -> Rule:
    kind = raw.get("kind", "equation")
    level = Level(raw.get("level", "error"))
    equation = expr.parse_equation(raw["check"]) if kind == "equation" else None
    if equation is not None:
        refs = [t.key for t in equation.terms if t.ref]
        if not expr.expand(refs, keys) or any(
                "*" not in r and r not in keys for r in refs):
            raise ValueError(f"规则 {raw['id']} 引用了不存在的单元格")
    options = {k: v for k, v in raw.items()
               if k not in {"id", "level", "kind", "message", "check", "at"}}
    return Rule(id=raw["id"], level=level, kind=kind, message=raw.get("message", ""),
                equation=equation, at=raw.get("at", ""), options=options)


def _validate(pack: Pack) -> None:
    names = [pack.facts_sheet, *(s.sheet for s in pack.sections)]
    if len(set(names)) != len(names):
        raise ValueError("工作表名称重复")
    for name in names:
        if len(name) > 31 or set(name) & set("[]:*?/\\"):
            raise ValueError(f"工作表名称「{name}」不能超过 31 个字符，也不能含 []:*?/\\")
    top = [f.key for f in pack.fields] + [s.key for s in pack.sections]
    if len(set(top)) != len(top) or not all(_KEY.match(k) for k in top):
        raise ValueError("字段和章节的 key 必须唯一，且只含英文字母、数字、下划线")
    for f in pack.fields:
        if f.type not in TYPES:
            raise ValueError(f"字段 {f.key} 的类型「{f.type}」未知")
    for t in pack.tables():
        for c in t.value_cells():
            if c.type not in TYPES or not TYPES[c.type].numeric:
                raise ValueError(f"单元格 {c.key} 的类型「{c.type}」不是数值类型")
    totals = pack.total_of()
    seen: set[str] = set()

    def visit(key: str, path: tuple[str, ...]) -> None:
        if key in path:
            raise ValueError(f"合计循环引用：{' → '.join((*path, key))}")
        if key in seen:
            return
        for part in totals.get(key, ()):
            visit(part, (*path, key))
        seen.add(key)

    for key in totals:
        visit(key, ())
