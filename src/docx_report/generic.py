"""Any Word template with any workbook, no pack: the generic sheet conventions.

Sheet conventions
-----------------

A generic workbook gives a template its data by these rules:

- **Fields.** A sheet whose first row is ``字段 | 值`` (exactly these two header cells) gives
  single values: each row below has a field name in column A and its value in column B, used
  in the template as ``{{ 项目名称 }}``. A dot in a field name makes a group: the rows
  ``联系人.姓名`` and ``联系人.电话`` give ``{{ 联系人.姓名 }}`` and ``{{ 联系人.电话 }}``.
  Several such sheets may exist; their fields are merged.
- **Lists.** Any other sheet whose first row holds headers gives a list of records, one per
  non-empty row below, for table loops: sheet ``物资`` with headers ``名称 | 数量`` is used as
  ``{%tr for r in 物资 %}`` … ``{{ r.名称 }}`` ``{{ r.数量 }}`` … ``{%tr endfor %}``, and
  ``{{ 物资|length }}`` counts its rows. A sheet with the single header ``值`` gives a plain
  list of values (``{% for x in 要点 %}{{ x }}{% endfor %}``).
- **Ignored:** empty sheets, hidden sheets, fully empty rows, and columns with neither header
  nor data.
- **Names.** Sheet names, field names and header texts become variable names by one rule:
  Unicode NFKC (full-width letters, digits and brackets become half-width), then every run of
  characters that cannot be in a name (spaces, punctuation, brackets, ``-``, ``/``, ``%`` …)
  becomes one ``_``, and ``_`` at either end is dropped; a name that starts with a digit gets
  ``f_`` in front; a name that is a template keyword (``if``, ``for``, ``loop``, ``true`` …)
  gets ``_`` at the end. Chinese names stay as they are. Examples: ``数量`` → ``数量``,
  ``单价（元）`` → ``单价_元``, ``Item Name`` → ``Item_Name``, ``2024年`` → ``f_2024年``.
  Two names that end up the same in one sheet, or a list sheet named like a field, are errors.
- **Values** become text as Excel shows them: whole numbers without ``.0``; a number
  format's decimals, thousands separator and percent sign are kept (``0.00`` → ``12.50``,
  ``#,##0`` → ``1,234``, ``0%`` → ``25%``); dates ``2024年3月1日`` (with `` 14:30`` when there
  is a time of day); TRUE/FALSE ``是``/``否``; empty cells ``""``. Formulas give their last
  calculated value (as saved by Excel or WPS). An Excel error value (``#DIV/0!``) is an error.

``init_from_template`` writes the blank workbook a template needs by the same conventions.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from docx_report import workbook as wb
from docx_report.errors import InputError, OutputError, Problem, ProblemsFound, TemplateError
from docx_report.errors import error as problem
from docx_report.layout import CellRecord, SheetCells
from docx_report.values import EXCEL_ERRORS, clean_text, format_date
from docx_report.xlsx_guard import over_cell_limit

FIELD_HEADER = ("字段", "值")
VALUE_HEADER = "值"
_KEYWORDS = frozenset({
    "true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if",
    "else", "elif", "endif", "for", "endfor", "set", "endset", "with", "endwith", "macro",
    "endmacro", "call", "endcall", "filter", "endfilter", "block", "endblock", "extends",
    "include", "import", "from", "as", "raw", "endraw", "recursive", "loop", "self", "range",
    "dict", "namespace", "caller", "varargs", "kwargs"})


def variable_name(text: str) -> str:
    """The template variable a sheet name, field name or header text becomes (see the rule
    in the module docstring); '' when nothing usable is left."""
    name = unicodedata.normalize("NFKC", str(text)).strip()
    name = "".join(ch if ("_" + ch).isidentifier() else "_" for ch in name)
    name = re.sub("_+", "_", name).strip("_")
    if name and name[0].isdigit():
        name = "f_" + name
    return name + "_" if name in _KEYWORDS else name


# --- reading --------------------------------------------------------------------------------


def read_generic(workbook: Path, *, book: wb.Workbook | None = None) -> dict[str, Any]:
    """The template context a generic workbook gives: fields and lists of records, as text.

    Raises InputError when the file cannot be read, ProblemsFound with every located mistake.
    """
    workbook = Path(workbook)
    if book is None:  # the engine passes the workbook it has opened already
        book = _open(workbook)
    context: dict[str, Any] = {}
    where: dict[str, str] = {}  # top-level name -> where it came from, for clashes
    problems: list[Problem] = []
    for sheet in book.visible_sheets():
        header = _header(sheet)
        if not any(header):
            if sheet.cells:
                problems.append(problem("第 1 行应为表头（字段 | 值，或列表的各列标题）",
                                        sheet=sheet.title, cell="A1"))
            continue
        if [h for h in header if h] == list(FIELD_HEADER) and header[:2] == list(FIELD_HEADER):
            _read_fields(sheet, context, where, problems)
        else:
            name = variable_name(sheet.title)
            records = _read_records(sheet, header, problems)
            if not name:
                problems.append(problem("工作表名中没有可用作变量名的文字", sheet=sheet.title))
            elif name in where:
                problems.append(problem(f"工作表名对应的变量 {name} 与 {where[name]} 重复",
                                        sheet=sheet.title))
            else:
                context[name] = records
                where[name] = f"工作表「{sheet.title}」"
    if problems:
        raise ProblemsFound(problems, file=str(workbook))
    return context


def _open(path: Path) -> wb.Workbook:
    if not path.is_file():
        raise InputError("找不到工作簿文件" if not path.exists() else "不是文件", file=path)
    return wb.open_workbook(path)


def _rows(sheet: SheetCells, min_row: int,
          max_col: int | None = None) -> list[tuple[int, dict[int, CellRecord]]]:
    """The rows from ``min_row`` on that hold values: (row, column -> cell), in order (the
    workbook gives only the cells that hold a value, so a far-away one costs only itself)."""
    rows: dict[int, dict[int, CellRecord]] = {}
    for cell in sheet.cells:
        if cell.row >= min_row and (max_col is None or cell.col <= max_col):
            rows.setdefault(cell.row, {})[cell.col] = cell
    return [(row, dict(sorted(rows[row].items()))) for row in sorted(rows)]


def _header(sheet: SheetCells) -> list[str]:
    first = {cell.col: cell.value for cell in sheet.cells if cell.row == 1}
    return [str(first[col]).strip() if col in first else ""
            for col in range(1, max(first, default=0) + 1)]


def _read_fields(sheet: SheetCells, context: dict[str, Any], where: dict[str, str],
                 problems: list[Problem]) -> None:
    for row, cells in _rows(sheet, 2, max_col=2):
        key_cell, value_cell, key_ref = cells.get(1), cells.get(2), f"A{row}"
        key = key_cell.value if key_cell is not None else None
        label = str(key).strip() if key is not None else ""
        if not label:
            if value_cell is not None and value_cell.value not in (None, ""):
                problems.append(problem("有值但没有字段名", sheet=sheet.title, cell=key_ref))
            continue
        path = [variable_name(part) for part in label.split(".")]
        if not all(path):
            problems.append(problem(f"字段名「{label}」中没有可用作变量名的文字",
                                    sheet=sheet.title, cell=key_ref))
            continue
        value = _text(sheet.title, value_cell, problems) if value_cell is not None else ""
        dotted, earlier = ".".join(path), where.get(path[0], "")
        if earlier.startswith("工作表") or _put(context, path, value):
            earlier = where.get(dotted, earlier)
            problems.append(problem(f"字段 {dotted} 与 {earlier} 重复", sheet=sheet.title,
                                    cell=key_ref))
            continue
        here = f"「{sheet.title}」!{key_ref}"
        where.setdefault(path[0], here)
        where[dotted] = here


def _put(context: dict[str, Any], path: list[str], value: str) -> bool:
    """Set a dotted field; True if it clashes with one already there."""
    node = context
    for key in path[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            return True
        node = child
    if path[-1] in node:
        return True
    node[path[-1]] = value
    return False


def _read_records(sheet: SheetCells, header: list[str], problems: list[Problem]) -> list[Any]:
    keys: dict[int, str] = {}
    seen: dict[str, str] = {}
    for col, text in enumerate(header):
        if not text:
            continue
        key = variable_name(text)
        cell = wb.coordinate(1, col + 1)
        if not key:
            problems.append(problem(f"表头「{text}」中没有可用作变量名的文字", sheet=sheet.title,
                                    cell=cell))
        elif key in seen:
            problems.append(problem(f"表头「{text}」与 {seen[key]} 都对应变量 {key}",
                                    sheet=sheet.title, cell=cell))
        else:
            keys[col] = key
            seen[key] = cell
    plain = list(keys.values()) == [VALUE_HEADER]
    records: list[Any] = []
    for _, cells in _rows(sheet, 2):
        row = list(cells.values())
        if all(c.value in (None, "") for c in row):
            continue
        for c in row:
            if c.value not in (None, "") and not (c.col <= len(header) and header[c.col - 1]):
                problems.append(problem("这一列有数据但没有表头", sheet=sheet.title,
                                        cell=c.coordinate))
        values = {keys[c.col - 1]: _text(sheet.title, c, problems) for c in row
                  if c.col - 1 in keys}
        record = {key: values.get(key, "") for key in keys.values()}
        records.append(record[VALUE_HEADER] if plain else record)
    return records


def _text(sheet: str, cell: CellRecord, problems: list[Problem]) -> str:
    """A cell's value as the text Excel shows."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        day = format_date(value)
        return day if value.time() == time(0) else f"{day} {value.hour}:{value.minute:02d}"
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, time):
        return f"{value.hour}:{value.minute:02d}"
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, int | float):
        return _number(value, cell.number_format or "General")
    if too_long := over_cell_limit(value):
        problems.append(problem(too_long, sheet=sheet, cell=cell.coordinate))
    text = clean_text(str(value)).strip()  # Excel's _x000D_ escapes, as in pack workbooks
    if text in EXCEL_ERRORS:
        problems.append(problem(f"单元格是 Excel 错误值 {text}，请先修正公式",
                                sheet=sheet, cell=cell.coordinate))
    return text


def _number(value: float, number_format: str) -> str:
    fmt = re.sub(r'"[^"]*"|\[[^]]*]|\\.', "", number_format.split(";")[0])
    # Whole numbers as Decimal: float() of one with 400 digits (a damaged file) overflows.
    number: float | Decimal = Decimal(value) if isinstance(value, int) else value
    if fmt in ("General", "@", "") or "0" not in fmt:
        if isinstance(value, int) or value.is_integer():
            return str(int(value))
        text = format(value, ".15g")
        return format(value, "f").rstrip("0").rstrip(".") if "e" in text else text
    if "%" in fmt:
        number *= 100
    decimals = re.search(r"\.(0+)", fmt)
    digits = len(decimals.group(1)) if decimals else 0
    text = format(number, f"{',' if ',' in fmt else ''}.{digits}f")
    return text + ("%" if "%" in fmt else "")


# --- a blank workbook from a template ------------------------------------------------------


def init_from_template(template: Path, out: Path, *, force: bool = False) -> None:
    """Write a blank generic workbook with the fields and list sheets ``template`` uses.

    Scalar fields go to a ``字段 | 值`` sheet; each list a loop walks through
    (``{%tr for x in items %}`` with ``x.name``, ``x.qty``) becomes a sheet ``items`` with the
    headers ``name | qty``. Refuses to overwrite ``out`` unless ``force``.
    """
    from docx_report.render import CompiledTemplate

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise OutputError(f"{out}：工作簿文件名应以 .xlsx 结尾")
    if out.exists() and not force:
        raise OutputError(f"{out} 已存在；如要覆盖请使用 --force")
    fields, lists = _shape([use.path for use in CompiledTemplate.load(template).variables()])
    tables: list[tuple[str, list[str], list[list[Any]], tuple[int, ...]]] = [
        ("字段" if "字段" not in lists else "基本字段", list(FIELD_HEADER),
         [[name, None] for name in fields], (24, 40))]
    for name, columns in lists.items():
        if len(name) > 31:
            raise TemplateError(f"{template}：列表变量名 {name} 超过 31 个字符，不能作为工作表名")
        tables.append((name, columns or [VALUE_HEADER], [], (16,)))
    wb.write_tables(out, tables, plain=True)


def _shape(paths: list[tuple[str, ...]]) -> tuple[list[str], dict[str, list[str]]]:
    """Dotted scalar field names, and list name -> its record keys, in order of first use."""
    lists: dict[str, list[str]] = {}
    for path in paths:
        if len(path) >= 2 and path[1] == "*":
            columns = lists.setdefault(path[0], [])
            if len(path) >= 3 and path[2] != "*" and path[2] not in columns:
                columns.append(path[2])
    fields: list[str] = []
    for path in paths:
        if path[0] in lists or "*" in path:
            continue
        name = ".".join(path)
        deeper = any(other[:len(path)] == path and len(other) > len(path) for other in paths)
        if not deeper and name not in fields:
            fields.append(name)
    return fields, lists


