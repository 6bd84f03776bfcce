"""Published reports the tool did not make, written in tests with python-docx: the official
tables laid out an agency's own way (other widths and fonts, headings numbered 1、, an extra
empty row, label typos, numbers with spaces), from a dict of values."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import docx
from docx.shared import Cm, Pt

from docx_report.checks import compute
from docx_report.pack import Pack, TableSection
from docx_report.reader import ReportData, read_report

Text = Callable[[str, Any], str]  # (value key, value) → what the cell shows


def example_values(workbook: Path) -> tuple[ReportData, dict[str, Any]]:
    data = read_report(workbook)
    return data, dict(compute(data.pack, data.values))


def _table(document: Any, table: TableSection, values: Mapping[str, Any], show: Text,
           labels: Mapping[str, str], empty_row_after: int | None,
           split: tuple[int, ...] = ()) -> None:
    """The pack's grid as a Word table (or as several, starting anew at the ``split`` rows)."""
    if split:
        bounds = [0, *split, table.height]
        for top, bottom in itertools.pairwise(bounds):
            part = [dataclasses.replace(c, row=c.row - top) for c in table.cells
                    if top <= c.row < bottom]
            _table(document, dataclasses.replace(table, cells=tuple(part)), values,
                   show, labels, None)
            document.add_paragraph("")
        return
    height = table.height + (1 if empty_row_after is not None else 0)
    grid = document.add_table(rows=height, cols=table.width)
    grid.style = "Table Grid"

    def row_of(r: int) -> int:
        return r + 1 if empty_row_after is not None and r > empty_row_after else r

    for cell in table.cells:
        top = row_of(cell.row)
        bottom = row_of(cell.row + cell.rows - 1)
        target = grid.cell(top, cell.col)
        if cell.rows > 1 or cell.cols > 1:
            target = target.merge(grid.cell(bottom, cell.col + cell.cols - 1))
        text = (labels.get(cell.text, cell.text) + cell.hint) if not cell.is_value else \
            show(cell.key, values.get(cell.key))
        target.text = text
        for paragraph in target.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(9)
                run.font.name = "Arial"
    for i, column in enumerate(grid.columns):
        for c in column.cells:
            c.width = Cm(1.6 if i else 3.5)


def write_report(path: Path, pack: Pack, facts: Mapping[str, Any], values: Mapping[str, Any],
                 *, show: Text | None = None, labels: Mapping[str, str] | None = None,
                 empty_row_after: Mapping[str, int] | None = None,
                 headings: Mapping[str, str] | None = None, tables: bool = True,
                 split: Mapping[str, tuple[int, ...]] | None = None,
                 bodies: Mapping[str, str] | None = None) -> Path:
    """A Word report of the pack's sections, in its own layout."""
    document = docx.Document()
    document.add_heading(f"{facts['agency']}{facts['year']}年度政府信息公开工作年度报告", 0)
    document.add_paragraph("根据《中华人民共和国政府信息公开条例》，现将本年度工作情况报告如下。")
    for n, section in enumerate(pack.sections, start=1):
        heading = (headings or {}).get(section.key) or f"{n}、{section.heading.split('、', 1)[1]}"
        document.add_heading(heading, 1)
        if isinstance(section, TableSection):
            if tables:
                _table(document, section, values, show or (lambda k, v: f" {v} "),
                       labels or {}, (empty_row_after or {}).get(section.key),
                       (split or {}).get(section.key, ()))
            else:
                document.add_paragraph("本年度数据见附件。")
        else:
            for i, title in enumerate(section.subsections, start=1):
                document.add_paragraph(f"({'一二三四五六七八九'[i - 1]}){title[3:]}")
                document.add_paragraph((bodies or {}).get(title, f"{title[3:]}方面的工作情况。"))
            if not section.subsections:
                document.add_paragraph("本年度未收取信息处理费。")
    document.add_paragraph(str(facts["agency"]))
    date = facts["date"]
    document.add_paragraph(f"{date.year}年{date.month}月{date.day}日")
    document.save(str(path))
    return path
