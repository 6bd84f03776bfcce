"""Make the generic example: a 物资采购清单 template, a filled workbook, and the report.

    python examples/generic/make_example.py

writes, next to this script:

- ``采购清单模板.docx`` — a Word template (letterhead, header and footer, a table with merged
  header cells and a ``{%tr for %}`` row loop, an optional paragraph) made with python-docx;
- ``采购清单.xlsx`` — a workbook by the generic conventions (a ``字段 | 值`` sheet and a list
  sheet ``物资``);
- ``采购清单.docx`` — the report, as ``docx-report build 采购清单.xlsx --template
  采购清单模板.docx`` writes it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import docx
import openpyxl
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from openpyxl.styles import Font

from docx_report.generic import read_generic
from docx_report.render import CompiledTemplate, render_to_file

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "采购清单模板.docx"
WORKBOOK = HERE / "采购清单.xlsx"
REPORT = HERE / "采购清单.docx"

ITEMS = [  # 名称, 规格, 单位, 数量, 单价（元）
    ("A4 复印纸", "70g 500张/包", "包", 120, 23.5),
    ("签字笔", "0.5mm 黑色", "支", 300, 2.8),
    ("文件盒", "背宽 55mm", "个", 80, 9.9),
    ("硒鼓", "HP 88A 兼容", "个", 6, 168.0),
    ("订书钉", "24/6", "盒", 50, 1.5),
]


def style(run: Any, *, font: str = "仿宋", size: float = 14, bold: bool = False,
          color: RGBColor | None = None) -> None:
    run.font.name = font
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    run.font.size = Pt(size)
    run.bold = bold
    if color is not None:
        run.font.color.rgb = color


def paragraph(document: Any, text: str, *, align: Any = None, **kw: Any) -> Any:
    p = document.add_paragraph()
    if align is not None:
        p.alignment = align
    style(p.add_run(text), **kw)
    return p


def red_rule(p: Any) -> None:
    """A red line under a paragraph (the letterhead's 红线)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in {"val": "single", "sz": "18", "space": "4", "color": "C00000"}.items():
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    p._p.get_or_add_pPr().append(borders)


def cell_text(cell: Any, text: str, *, bold: bool = False) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    style(p.add_run(text), size=11, bold=bold)


def make_template() -> None:
    document = docx.Document()
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2.4)
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    style(header.add_run("{{ 单位名称 }}　物资采购清单"), size=9)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    style(footer.add_run("编号 {{ 编号 }}　　{{ 单位名称 }}办公室制"), size=9)

    letterhead = paragraph(document, "{{ 单位名称 }}", align=WD_ALIGN_PARAGRAPH.CENTER,
                           font="方正小标宋简体", size=26, color=RGBColor(0xC0, 0, 0))
    red_rule(letterhead)
    paragraph(document, "{{ 项目名称 }}物资采购清单", align=WD_ALIGN_PARAGRAPH.CENTER,
              font="黑体", size=18)
    paragraph(document, "编号：{{ 编号 }}　　　　日期：{{ 日期 }}", align=WD_ALIGN_PARAGRAPH.CENTER,
              size=12)

    headers = ["序号", "名称", "规格", "单位", "采购数量", "单价（元）", "金额（元）"]
    table = document.add_table(rows=6, cols=7)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for col, text in enumerate(headers):
        cell_text(table.cell(1, col), text, bold=True)
    # merged header cells: 序号, 采购数量 span two rows; 物资信息 and 价格 span columns
    for col in (0, 4):
        merged = table.cell(0, col).merge(table.cell(1, col))
        cell_text(merged, headers[col], bold=True)
    cell_text(table.cell(0, 1).merge(table.cell(0, 3)), "物资信息", bold=True)
    cell_text(table.cell(0, 5).merge(table.cell(0, 6)), "价格", bold=True)
    table.cell(2, 0).text = "{%tr for r in 物资 %}"
    loop_row = ["{{ loop.index }}", "{{ r.名称 }}", "{{ r.规格 }}", "{{ r.单位 }}",
                "{{ r.采购数量 }}", "{{ r.单价_元 }}", "{{ r.金额_元 }}"]
    for col, text in enumerate(loop_row):
        cell_text(table.cell(3, col), text)
    table.cell(4, 0).text = "{%tr endfor %}"
    total = table.cell(5, 0).merge(table.cell(5, 5))
    cell_text(total, "合计（共 {{ 物资|length }} 项）", bold=True)
    cell_text(table.cell(5, 6), "{{ 合计金额 }}", bold=True)

    paragraph(document, "{%p if 备注 %}")
    paragraph(document, "备注：{{ 备注 }}", size=12)
    paragraph(document, "{%p endif %}")
    paragraph(document, "经办人：{{ 经办人.姓名 }}（{{ 经办人.电话 }}）",
              align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    paragraph(document, "审批人：{{ 审批人 }}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    document.core_properties.title = "物资采购清单模板"
    document.save(TEMPLATE)


def make_workbook() -> None:
    book = openpyxl.Workbook()
    fields = book.active
    fields.title = "基本信息"
    total = sum(qty * price for *_, qty, price in ITEMS)
    rows: list[tuple[str, Any, str]] = [
        ("单位名称", "临江市机关事务服务中心", "General"),
        ("项目名称", "2025年第二季度办公用品", "General"),
        ("编号", "LJJG-CG-2025-017", "General"),
        ("日期", date(2025, 4, 8), "yyyy-mm-dd"),
        ("合计金额", total, "#,##0.00"),
        ("经办人.姓名", "陈晓雯", "General"),
        ("经办人.电话", "0571-8650 2231", "General"),
        ("审批人", "周建国", "General"),
        ("备注", "硒鼓为兼容型号，供应商承诺质保一年；含税价 & 免运费。", "General"),
    ]
    fields.append(["字段", "值"])
    for name, value, number_format in rows:
        fields.append([name, value])
        fields.cell(row=fields.max_row, column=2).number_format = number_format
    items = book.create_sheet("物资")
    items.append(["名称", "规格", "单位", "采购数量", "单价（元）", "金额（元）"])
    for name, spec, unit, qty, price in ITEMS:
        items.append([name, spec, unit, qty, price, qty * price])
        for col in (5, 6):
            items.cell(row=items.max_row, column=col).number_format = "#,##0.00"
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 16
        sheet.column_dimensions["B"].width = 40
    book.save(WORKBOOK)


def main() -> None:
    make_template()
    make_workbook()
    render_to_file(CompiledTemplate.load(TEMPLATE), read_generic(WORKBOOK), REPORT,
                   properties={"title": WORKBOOK.stem})
    for path in (TEMPLATE, WORKBOOK, REPORT):
        print(path.relative_to(HERE.parent.parent))


if __name__ == "__main__":
    main()
