"""Read a filled workbook through its pack: values, facts and narrative, with located problems.

Every label the pack puts on a sheet is checked where the pack expects it, so a workbook whose
rows were inserted, deleted or moved is caught before its numbers are read from wrong cells.
Nothing here stops at the first mistake: each problem is recorded and reading goes on.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx_report import layout as wb
from docx_report.errors import InputError, PackError, Problem, error, warning
from docx_report.pack import (
    NarrativeSection,
    Pack,
    TableSection,
    builtin_packs,
    is_folder,
    load_pack,
)
from docx_report.values import TYPES, Number, ValueProblem
from docx_report.xlsx_fast import open_book
from docx_report.xlsx_guard import over_cell_limit


@dataclass
class Narrative:
    intro: list[str] = field(default_factory=list)
    subsections: list[tuple[str, list[str]]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # each subsection's workbook row, if known

    @property
    def empty(self) -> bool:
        return not self.intro and not any(t or p for t, p in self.subsections)

    @property
    def text(self) -> str:
        parts = [*self.intro]
        for title, paragraphs in self.subsections:
            parts += [title, *paragraphs]
        return "\n".join(parts)


@dataclass
class ReportData:
    """What a workbook says, as the pack understands it."""

    pack: Pack
    file: Path
    facts: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Number | None] = field(default_factory=dict)  # inputs and typed totals
    narratives: dict[str, Narrative] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unread_tables: set[str] = field(default_factory=set)  # labels out of place
    # Where a value key, fact or section sits when the source is not a pack workbook (a
    # published report): (place, detail) for messages, instead of the workbook's sheet and cell.
    locations: dict[str, tuple[str, str]] = field(default_factory=dict)


UNREAD: Any = object()  # a cell whose problem was recorded: no value


def _norm(text: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def choose_pack(book: wb.Book, pack: Pack | None) -> Pack:
    """The pack given, else the one the workbook records, else the built-in it fits best."""
    if pack is not None:
        return pack
    record = book.pack_record
    if record is not None:
        return _recorded(book, record)
    # A workbook whose hidden record was lost (copied sheets): recognise it by its sheets and,
    # as the formats share sheet names, by how many of each pack's labels sit where it puts them.
    present = set(book.sheetnames)
    scored = [(_fit(book, loaded), loaded) for loaded in map(load_pack, builtin_packs())
              if loaded.facts_sheet in present
              and 2 * len(present & set(loaded.sheets)) >= len(loaded.sheets)]
    if scored:
        return max(scored, key=lambda pair: pair[0])[1]
    raise InputError("这不是 docx-report 的报告工作簿（找不到“基本信息”等工作表）。请用 "
                     "docx-report init 生成工作簿后填写；如用自己的 Word 模板，请加 --template",
                     file=book.path)


def _recorded(book: wb.Book, record: wb.PackRecord) -> Pack:
    """The pack a workbook records: a built-in by name, any other by the folder recorded."""
    if record.source and is_folder(record.source):
        folder = next((f for f in record.folders(book.path) if (f / "pack.toml").is_file()),
                      None)
        if folder is None:
            raise InputError(f"工作簿是按报告格式「{record.name}」生成的，但它的文件夹 "
                             f"{record.source} 已找不到（移动或删除了？）；请用 --pack 文件夹 "
                             "指定这个报告格式", file=book.path)
        try:
            return load_pack(folder)
        except PackError as exc:
            raise InputError(f"工作簿是按报告格式「{record.name}」（{record.source}）生成的，"
                             f"这个 pack 现在有错误：\n{exc}", file=book.path) from None
    if record.name not in builtin_packs():
        known = "、".join(builtin_packs())
        raise InputError(f"工作簿记录的报告格式「{record.name}」不是内置格式（{known}），"
                         "也没有记录它的文件夹；如是自己的 pack，请用 --pack 文件夹 指定",
                         file=book.path)
    return load_pack(record.name)


def pack_changed(book: wb.Book, pack: Pack) -> Problem | None:
    """A warning when the pack changed since the workbook was made from it."""
    record = book.pack_record
    if record is None or record.name != pack.name or not record.fingerprint or \
            record.fingerprint == pack.fingerprint:
        return None
    versions = f"（版本 {record.version} → {pack.version}）" if record.version != str(
        pack.version) else ""
    return warning(f"生成这个工作簿之后，报告格式「{pack.name}」的工作表布局改动过{versions}；"
                   "如果下面有标签或结构不符的错误，请用 docx-report init 重新生成工作簿后把内容"
                   "抄过去",
                   sheet=pack.facts_sheet)


def _fit(book: wb.Book, pack: Pack) -> tuple[int, int]:
    """How well a workbook fits a pack: labels in place, then sheets present."""
    labels = 0
    for table in pack.tables():
        if book.has_sheet(table.sheet):
            for cell in table.label_cells():
                row, col = wb.grid_position(cell)
                labels += _norm(book.value(table.sheet, row, col)) == _norm(cell.text + cell.hint)
    return labels, sum(book.has_sheet(sheet) for sheet in pack.sheets)


class _Reader:
    def __init__(self, book: wb.Book, data: ReportData) -> None:
        self.book = book
        self.data = data

    def problem(self, message: str, sheet: str, row: int = 0, col: int = 0,
                rule: str = "") -> None:
        cell = wb.coordinate(row, col) if row else ""
        self.data.problems.append(error(message, sheet=sheet, cell=cell, rule=rule))

    def expect_label(self, sheet: str, row: int, col: int, expected: str) -> bool:
        """Is the label where the pack puts it? If not, say where it went or what is there."""
        found = self.book.value(sheet, row, col)
        if found == expected or _norm(found) == _norm(expected):
            return True
        here = wb.coordinate(row, col)
        # Where the label went: the nearest copy (信息内容, 总计… appear more than once).
        moved = sorted(((r, c) for r, c, t in self.book.texts(sheet)
                        if _norm(t) == _norm(expected)),
                       key=lambda rc: abs(rc[0] - row) + abs(rc[1] - col))
        if moved:
            r, c = moved[0]
            what = "行" if c == col else "列"
            self.problem(f"标签「{expected}」应在 {here}，却在 {wb.coordinate(r, c)}："
                         f"可能插入或删除了{what}，请撤销后再填写", sheet, row, col)
        else:
            shown = f"「{str(found).strip()}」" if str(found or "").strip() else "空白"
            edited = difflib.SequenceMatcher(None, _norm(found), _norm(expected)).ratio() >= 0.6
            hint = "（标签文字被改动，请改回原文）" if edited else ""
            self.problem(f"此处应为标签「{expected}」，实为{shown}{hint}；表格结构被改动，"
                         "请用 docx-report init 生成的工作簿填写", sheet, row, col)
        return False

    def read(self, type_name: str, sheet: str, row: int, col: int, what: str, *,
             formulas: bool = True) -> Any:
        """Parse one cell; a problem with it is recorded at the cell and gives ``UNREAD``.

        With ``formulas``, a blank cell is looked at again for a formula whose result was never
        calculated (a file saved by a program that does not calculate). This loads the formulas
        once per workbook, so it is asked only where a blank is wrong anyway.
        """
        raw = self.book.value(sheet, row, col)
        # text too long for a cell (written by another program: Excel cuts it)
        if isinstance(raw, str) and (too_long := over_cell_limit(raw)):
            self.problem(f"{what}：{too_long}", sheet, row, col, rule=self.data.pack.value_rule)
            return UNREAD
        if raw is None and formulas and (formula := self.book.formula(sheet, row, col)):
            self.problem(f"{what}：单元格是公式（{formula[:30]}），但文件里没有计算结果"
                         "（文件可能由不计算公式的程序保存）。请用 Excel 或 WPS 打开后保存，"
                         "或直接填写", sheet, row, col, rule=self.data.pack.value_rule)
            return UNREAD
        try:
            return TYPES[type_name].parse(raw)
        except ValueProblem as exc:
            self.problem(f"{what}：{exc}", sheet, row, col, rule=self.data.pack.value_rule)
            return UNREAD

    def facts(self, pack: Pack) -> None:
        sheet = pack.facts_sheet
        for f in pack.fields:
            row = wb.field_row(pack, f.key)
            if not self.expect_label(sheet, row, 1, f.label):
                continue
            value = self.read(f.type, sheet, row, 2, f.label, formulas=f.required)
            if value is UNREAD:
                continue
            low, high = f.min, f.max
            if isinstance(value, int) and low is not None and value < low:
                self.problem(f"{f.label}：{value} 不合理：应为 {low} 年以后的年份"
                             if f.type == "year" else f"{f.label}：应不小于 {low}，实为 {value}",
                             sheet, row, 2, rule=pack.value_rule)
                continue
            if isinstance(value, int) and high is not None and value > high:
                self.problem(f"{f.label}：应不大于 {high}，实为 {value}", sheet, row, 2,
                             rule=pack.value_rule)
                continue
            if f.required and value in (None, ""):
                self.problem(f"{f.label}：必须填写（{f.help}）", sheet, row, 2)
            elif f.choices and value not in f.choices:
                self.problem(f"{f.label}：应为{'或'.join(f.choices)}之一，实为「{value}」",
                             sheet, row, 2)
            self.data.facts[f.key] = value

    def narrative(self, section: NarrativeSection) -> None:
        sheet = section.sheet
        if not self.expect_label(sheet, wb.INTRO_ROW, 1, section.intro_label):
            return

        def text(type_name: str, row: int, col: int, what: str) -> Any:
            return self.read(type_name, sheet, row, col, what, formulas=False)

        intro = text("paragraphs", wb.INTRO_ROW, 2, section.intro_label)
        story = Narrative(intro=[] if intro is UNREAD else intro)
        for row in range(wb.INTRO_ROW + 1, self.book.max_row(sheet) + 1):
            title, body = text("text", row, 1, "小标题"), text("paragraphs", row, 2, "正文")
            if title is UNREAD or body is UNREAD:
                continue
            if title and not body:
                self.problem(f"小标题「{title}」下没有正文；不需要这一小节就把小标题也清空",
                             sheet, row, 2)
            previous = next((t for t, _ in reversed(story.subsections) if t), "")
            if body and not title and previous:
                self.data.problems.append(warning(
                    f"这一行没有小标题，B{row} 的正文将接在上一小节「{previous}」之后；"
                    "如果是新的一小节，请填写小标题", sheet=sheet, cell=wb.coordinate(row, 1)))
            if title or body:
                story.subsections.append((title, body))
                story.rows.append(row)
        self.data.narratives[section.key] = story

    def table(self, pack: Pack, table: TableSection) -> None:
        sheet = table.sheet
        labels, values = _layout(pack, table)
        misplaced = 0
        value = self.book.value
        for row, col, expected in labels:
            if value(sheet, row, col) != expected and not self.expect_label(
                    sheet, row, col, expected):  # (equal: in place, as expect_label says)
                misplaced += 1
                if misplaced >= 3:
                    break
        if misplaced:
            self.data.unread_tables.add(table.key)
            self.problem(f"表格“{table.heading}”的结构与 {pack.name} 格式不符，本表数字未读取"
                         "（修正上面指出的标签后再检查）", sheet)
            return
        note = self.read("paragraphs", sheet, wb.NOTE_ROW, 2, "表前说明", formulas=False)
        self.data.notes[table.key] = [] if note is UNREAD else note
        found = self.data.values
        for key, type_name, row, col, label, total in values:
            if total and value(sheet, row, col) is None:
                found[key] = None  # a blank total, or an uncalculated formula
                continue
            parsed = self.read(type_name, sheet, row, col, label)
            found[key] = None if parsed is UNREAD else parsed


_Layout = tuple[list[tuple[int, int, str]], list[tuple[str, str, int, int, str, bool]]]
_LAYOUTS: dict[int, tuple[Pack, dict[int, _Layout]]] = {}


def _layout(pack: Pack, table: TableSection) -> _Layout:
    """A table's labels (row, column, text) and value cells (key, type, row, column, label,
    whether a total), worked out once per pack object (packs are frozen)."""
    known = _LAYOUTS.get(id(pack))
    if known is None or known[0] is not pack:
        if len(_LAYOUTS) >= 32:
            _LAYOUTS.clear()
        known = _LAYOUTS[id(pack)] = (pack, {})
    layout = known[1].get(id(table))
    if layout is None:
        totals = pack.total_of()
        layout = known[1][id(table)] = (
            [(*wb.grid_position(c), c.text + c.hint) for c in table.label_cells()],
            [(c.key, c.type, *wb.grid_position(c), c.label, c.key in totals)
             for c in table.value_cells()])
    return layout


def read_report(path: Path, pack: Pack | None = None) -> ReportData:
    """Read a workbook; raise InputError only when it cannot be read as a workbook at all."""
    book = open_book(path)
    return read_book(book, choose_pack(book, pack))


def read_book(book: wb.Book, chosen: Pack) -> ReportData:
    """Read a workbook already open, through the pack chosen for it."""
    path = book.path
    data = ReportData(pack=chosen, file=path)
    reader = _Reader(book, data)
    if (changed := pack_changed(book, chosen)) is not None:
        data.problems.append(changed)
    if book.pack_name and book.pack_name != chosen.name:
        reader.problem(f"这个工作簿是按「{book.pack_name}」格式生成的，不能按「{chosen.name}」"
                       "格式读取", chosen.facts_sheet)
        return data
    present = set(book.sheetnames)
    for sheet in chosen.sheets:
        if sheet not in present:
            extra = sorted(present - set(chosen.sheets))
            close = difflib.get_close_matches(sheet, extra, n=1, cutoff=0.3)
            hint = f"；是否被改名为「{close[0]}」？请改回原名" if close else ""
            reader.problem(f"缺少工作表「{sheet}」{hint}", sheet)
    if chosen.facts_sheet in present:
        reader.facts(chosen)
    for section in chosen.sections:
        if section.sheet not in present:
            if isinstance(section, TableSection):
                data.unread_tables.add(section.key)
            continue
        if isinstance(section, TableSection):
            reader.table(chosen, section)
        else:
            reader.narrative(section)
    return data
