"""Checks that work inside Excel, WPS and LibreOffice Calc, without the tool.

Derived from the pack, never written per format: every total (``[[totals]]``) and every
equation rule (``[[rules]]`` with ``check = "…"``) that needs no last-year workbook becomes a
condition written with plain functions (SUM, ROUND, IF, AND and ``&``) that all three programs
calculate. Conditional formatting marks the cell a broken condition is about (a total, or the
rule's ``at`` cell) in red the moment a number is typed, and one check line under each table
reads 勾稽关系正确 or names what does not add up, with the rule's own message.

The check line sits below the table's grid, where the reader never looks, so it is never read as
data; the tool still recomputes every total and rule itself when it builds a report.

Nothing here touches a workbook: ``plan`` says what to write (formulas, cells, styles by name)
and ``workbook.py`` writes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from docx_report import expr
from docx_report.errors import Level
from docx_report.layout import column_index, column_letter
from docx_report.pack import Cell, Pack, TableSection

OK = "勾稽关系正确"
WRONG = "勾稽关系有误："
MAX_FORMULA = 8000  # Excel's limit is 8,192 characters
MAX_ARGS = 250  # Excel: 255 arguments to a function

CHECK_LINE_HEIGHT = 64.0  # points: room for several messages (merged: no autofit)
_A1 = re.compile(r"([A-Z]+)([0-9]+)")

#: How a conditional format shows a cell: "wrong" (red) or "right" (green).
Look = Literal["wrong", "right"]


@dataclass(frozen=True)
class Condition:
    """One check: ``formula`` is TRUE when it holds; ``message`` (an Excel text expression)
    says what is wrong; ``marks`` are the cells (sheet, A1) shown in red when it fails."""

    formula: str
    message: str
    marks: tuple[tuple[str, str], ...]
    rule: str = ""


@dataclass(frozen=True)
class Mark:
    """A conditional format: ``cell`` (A1) of ``sheet`` shown as ``look`` while ``formula``
    is TRUE; ``stop`` is the rule's stopIfTrue (None: not written)."""

    sheet: str
    cell: str
    formula: str
    look: Look
    stop: bool | None = None


@dataclass(frozen=True)
class CheckLine:
    """A table's check line: ``formula`` in column A of ``row``, merged across ``width``
    columns, bold and bordered, ``height`` points tall; ``marks`` colour it (in this order)."""

    sheet: str
    row: int
    width: int
    formula: str
    height: float = CHECK_LINE_HEIGHT
    marks: tuple[Mark, ...] = ()


@dataclass(frozen=True)
class TableChecks:
    """What one table gets: its check line, then the red marks on the cells its checks are
    about (written in this order)."""

    line: CheckLine
    marks: list[Mark] = field(default_factory=list)


def check_row(table: TableSection, grid_top: int) -> int:
    """The worksheet row of a table's check line: one empty row below the grid."""
    return grid_top + table.height + 1


def _text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


class _Refs:
    def __init__(self, pack: Pack, where: Mapping[str, tuple[str, str]]) -> None:
        self.where = where
        self.cells: Mapping[str, tuple[TableSection, Cell]] = pack.value_cells()

    def ref(self, key: str, sheet: str) -> str:
        return self._prefix(key, sheet) + "$" + "$".join(self._col_row(key))

    def _col_row(self, key: str) -> tuple[str, str]:
        found = _A1.fullmatch(self.where[key][1])
        assert found is not None, self.where[key]  # ``layout.locate`` writes plain A1
        return found.group(1), found.group(2)

    def _prefix(self, key: str, sheet: str) -> str:
        home = self.where[key][0]
        return "" if home == sheet else "'" + home.replace("'", "''") + "'!"

    def sum(self, keys: Sequence[str], sheet: str, consts: int = 0) -> str:
        """SUM of the cells (runs of neighbouring cells as ranges, absolute: $B$7, so a
        conditional format means the same on whichever cell it is) and a constant."""
        args = self._ranges(keys, sheet) + ([str(consts)] if consts else [])
        if not args:
            return "0"
        chunks = [args[i:i + MAX_ARGS] for i in range(0, len(args), MAX_ARGS)]
        return "+".join("SUM(" + ",".join(chunk) + ")" for chunk in chunks)

    def _ranges(self, keys: Sequence[str], sheet: str) -> list[str]:
        cells = sorted({(self._prefix(k, sheet), column_index(c), int(r))
                        for k in keys for c, r in [self._col_row(k)]})
        out: list[str] = []
        for axis in (0, 1):  # runs down a column, then runs along a row
            rest: list[tuple[str, int, int]] = []
            run: list[tuple[str, int, int]] = []
            order = sorted(cells, key=lambda x: (x[0], x[1], x[2]) if axis == 0
                           else (x[0], x[2], x[1]))
            for cell in [*order, ("", -9, -9)]:
                if run and cell[0] == run[-1][0] and (
                        (axis == 0 and cell[1] == run[-1][1] and cell[2] == run[-1][2] + 1)
                        or (axis == 1 and cell[2] == run[-1][2] and cell[1] == run[-1][1] + 1)):
                    run.append(cell)
                    continue
                if len(run) > 1 or (axis == 1 and run):
                    out.append(_a1_range(run[0], run[-1]))
                elif run:
                    rest.append(run[0])
                run = [cell]
            cells = rest
        return out

    def side(self, terms: Sequence[expr.Term], wild: str, sheet: str) -> str:
        plus = [expr.substitute(t.ref, wild) for t in terms if t.ref and t.sign > 0]
        minus = [expr.substitute(t.ref, wild) for t in terms if t.ref and t.sign < 0]
        const = sum(t.sign * t.const for t in terms if not t.ref)
        text = self.sum(plus, sheet, max(const, 0))
        if minus or const < 0:
            text += "-(" + self.sum(minus, sheet, max(-const, 0)) + ")"
        return f"({text})"


def _a1_range(first: tuple[str, int, int], last: tuple[str, int, int]) -> str:
    start = f"${column_letter(first[1])}${first[2]}"
    if first == last:
        return first[0] + start
    return f"{first[0]}{start}:${column_letter(last[1])}${last[2]}"


def conditions(pack: Pack, where: Mapping[str, tuple[str, str]]) -> dict[str, list[Condition]]:
    """The live checks of each table (by table key), in the pack's order."""
    refs = _Refs(pack, where)
    result: dict[str, list[Condition]] = {t.key: [] for t in pack.tables()}
    for total in pack.totals_by_cell().values():
        table, cell = refs.cells[total.cell]
        sheet = table.sheet
        own, parts = refs.ref(total.cell, sheet), refs.sum(total.parts, sheet)
        message = (f'{_text(cell.label + "：应为 ")}&{parts}&{_text("（各项之和），实为 ")}'
                   f'&{own}&{_text("；")}')
        result[table.key].append(Condition(f"ROUND({own}-{parts},6)=0", message,
                                           ((sheet, where[total.cell][1]),), total.rule))
    keys = list(refs.cells)
    for rule in pack.rules:
        equation = rule.equation
        if (rule.kind != "equation" or equation is None or equation.uses_previous
                or rule.level is not Level.ERROR):
            continue
        for wild in expr.expand([t.key for t in equation.terms if t.ref], keys):
            at = expr.substitute(rule.at or equation.left[0].key, wild)
            table, cell = refs.cells[at]
            sheet = table.sheet
            left = refs.side(equation.left, wild, sheet)
            right = refs.side(equation.right, wild, sheet)
            op = "=" if equation.op == "==" else ">="
            message = _text(cell.label + "：" + rule.message)
            message = message.replace("{left}", f'"&{left}&"').replace("{right}", f'"&{right}&"')
            result[table.key].append(Condition(
                f"ROUND({left}-{right},6){op}0", f"{message}&{_text('；')}",
                ((sheet, where[at][1]),), rule.id))
    return result


def check_formula(conds: Sequence[Condition]) -> str:
    """The check line: 勾稽关系正确, or 勾稽关系有误： and what is wrong. Where that formula
    would be too long for Excel, the messages name the rules instead; longer still, the line
    only says that something is wrong (``check`` says what); a table with checks too many for
    one formula gets as many of them as fit."""
    everything = _and([c.formula for c in conds])
    detail = "&".join(f'IF({c.formula},"",{c.message})' for c in conds)
    formula = f"=IF({everything},{_text(OK)},{_text(WRONG)}&{detail})"
    if len(formula) <= MAX_FORMULA:
        return formula
    by_rule: dict[str, list[Condition]] = {}
    for c in conds:
        by_rule.setdefault(c.rule, []).append(c)
    detail = "&".join(
        f'IF({_and([c.formula for c in group])},"",{_text((rule or "合计") + " 不成立；")})'
        for rule, group in by_rule.items())
    formula = f"=IF({everything},{_text(OK)},{_text(WRONG)}&{detail})"
    if len(formula) <= MAX_FORMULA:
        return formula
    generic = _text(WRONG + "请上传到主管部门的报告网页，或运行 docx-report check 查看")
    while len(formula := f"=IF({everything},{_text(OK)},{generic})") > MAX_FORMULA:
        conds = conds[:-1]
        everything = _and([c.formula for c in conds])
    return formula


def _and(formulas: Sequence[str]) -> str:
    if len(formulas) <= MAX_ARGS:
        return "AND(" + ",".join(formulas) + ")"
    return _and([_and(formulas[i:i + MAX_ARGS]) for i in range(0, len(formulas), MAX_ARGS)])


def plan(pack: Pack, where: Mapping[str, tuple[str, str]], grid_top: int,
         sheets: Sequence[str]) -> list[TableChecks]:
    """The check lines and red marks of a workbook written from ``pack`` (its tables on
    ``sheets``), in the order they are written."""
    found = conditions(pack, where)
    planned: list[TableChecks] = []
    for table in pack.tables():
        conds = found[table.key]
        if not conds or table.sheet not in sheets:
            continue
        row = check_row(table, grid_top)
        ok = f'$A${row}={_text(OK)}'
        line = CheckLine(table.sheet, row, table.width, check_formula(conds), marks=(
            Mark(table.sheet, f"A{row}", ok, "right"),
            Mark(table.sheet, f"A{row}", f"NOT({ok})", "wrong")))
        planned.append(TableChecks(line, [
            Mark(sheet, a1, f"NOT({cond.formula})", "wrong", stop=False)
            for cond in conds for sheet, a1 in cond.marks]))
    return planned
