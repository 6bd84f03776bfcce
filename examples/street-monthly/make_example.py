"""Make the street-monthly example pack's Word template, two filled workbooks and a report.

    python examples/street-monthly/make_example.py

The pack itself is ``pack.toml`` next to this script (written by hand: see
docs/writing-a-pack.md). This script writes, next to it:

- ``template.docx`` — the pack's Word template, made with python-docx: a title, the narrative
  sections as ``{%p for %}`` loops, and the two tables with their merged header cells and one
  ``{{ table.row.col }}`` tag per value cell;
- ``青山街道-2024-09.xlsx`` and ``河西街道-2024-09.xlsx`` — workbooks written by the pack's own
  layout (what ``docx-report init --pack examples/street-monthly`` gives, filled in);
- ``青山街道办事处2024年9月工作统计报告.docx`` — the report ``docx-report build`` writes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from docx_report.pack import load_pack
from docx_report.report import build_report
from docx_report.workbook import write_workbook

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "template.docx"
WORKBOOKS = {"青山街道-2024-09.xlsx": "青山街道办事处", "河西街道-2024-09.xlsx": "河西街道办事处"}


def style(run: Any, *, font: str = "仿宋_GB2312", size: float = 16, bold: bool = False) -> None:
    run.font.name = font
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    run.font.size = Pt(size)
    run.bold = bold


def paragraph(document: Any, text: str, *, align: Any = None, indent: bool = False,
              **kw: Any) -> Any:
    p = document.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(32)
    p.paragraph_format.space_after = Pt(0)
    style(p.add_run(text), **kw)
    return p


def heading(document: Any, text: str) -> None:
    paragraph(document, text, font="黑体").paragraph_format.keep_with_next = True


def narrative(document: Any, key: str, title: str) -> None:
    heading(document, title)
    paragraph(document, f"{{%p for para in {key}.intro %}}")
    paragraph(document, "{{ para }}", indent=True)
    paragraph(document, "{%p endfor %}")
    paragraph(document, f"{{%p for sub in {key}.subsections %}}")
    paragraph(document, "{{ sub.title }}", font="楷体_GB2312", indent=True)
    paragraph(document, "{%p for para in sub.paragraphs %}")
    paragraph(document, "{{ para }}", indent=True)
    paragraph(document, "{%p endfor %}")
    paragraph(document, "{%p endfor %}")
    paragraph(document, f"{{%p if {key}.empty %}}")
    paragraph(document, "无。", indent=True)
    paragraph(document, "{%p endif %}")


def cell_text(cell: Any, text: str, *, bold: bool = False) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    style(p.add_run(text), size=12, bold=bold)


def table(document: Any, key: str, title: str, header: list[list[str]],
          rows: list[tuple[str, str]], columns: list[str]) -> Any:
    """A table: header rows (merged below by the caller), then a label and one tag a column."""
    heading(document, title)
    paragraph(document, f"{{%p for para in {key}.note %}}")
    paragraph(document, "{{ para }}", indent=True)
    paragraph(document, "{%p endfor %}")
    grid = document.add_table(rows=len(header) + len(rows), cols=len(columns) + 1)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, texts in enumerate(header):
        for c, text in enumerate(texts):
            if text:
                cell_text(grid.cell(r, c), text, bold=True)
    for r, (label, row) in enumerate(rows, start=len(header)):
        cell_text(grid.cell(r, 0), label, bold=row == "total")
        for c, col in enumerate(columns, start=1):
            cell_text(grid.cell(r, c), f"{{{{ {key}.{row}.{col} }}}}", bold=row == "total")
    return grid


def make_template() -> None:
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)  # A4, not python-docx's Letter
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    paragraph(document, "{{ agency }}", align=WD_ALIGN_PARAGRAPH.CENTER,
              font="方正小标宋简体", size=22)
    paragraph(document, "{{ year }}年{{ month }}月工作统计报告", align=WD_ALIGN_PARAGRAPH.CENTER,
              font="方正小标宋简体", size=22)
    paragraph(document, "")
    narrative(document, "overview", "一、本月工作概述")
    service = table(document, "service", "二、便民服务统计",
                    [["服务事项", "本月受理（件）", "", "", "本月办结（件）"],
                     ["", "窗口", "网上", "小计", ""]],
                    [("社会保障", "social"), ("民政救助", "welfare"), ("城市管理", "city"),
                     ("其他事项", "other"), ("合计", "total")],
                    ["window", "online", "received", "done"])
    cell_text(service.cell(0, 0).merge(service.cell(1, 0)), "服务事项", bold=True)
    cell_text(service.cell(0, 1).merge(service.cell(0, 3)), "本月受理（件）", bold=True)
    cell_text(service.cell(0, 4).merge(service.cell(1, 4)), "本月办结（件）", bold=True)
    table(document, "funds", "三、救助资金发放", [["项目", "本月（万元）", "本年累计（万元）"]],
          [("最低生活保障金", "dibao"), ("临时救助金", "temporary"), ("合计", "total")],
          ["month", "ytd"])
    narrative(document, "plan", "四、下月工作安排")
    paragraph(document, "")
    paragraph(document, "{{ agency }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    paragraph(document, "{{ date }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    document.core_properties.title = "街道办事处月度工作统计报告模板"
    document.core_properties.author = "docx-report 示例"
    buffer = io.BytesIO()
    document.save(buffer)
    TEMPLATE.write_bytes(stable_zip(buffer.getvalue()))


def stable_zip(data: bytes) -> bytes:
    """The same zip with fixed entry dates, so that an unchanged template is the same file."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)),
                            source.read(info), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def service(rows: dict[str, tuple[int, int, int]]) -> dict[str, int]:
    """窗口, 网上, 办结 of each service row (小计 and 合计 are left to the tool)."""
    values: dict[str, int] = {}
    for row, (window, online, done) in rows.items():
        values |= {f"service.{row}.window": window, f"service.{row}.online": online,
                   f"service.{row}.done": done}
    return values


def make_workbooks() -> None:
    pack = load_pack(HERE)
    figures: dict[str, dict[str, Any]] = {
        "青山街道-2024-09.xlsx": service({"social": (126, 48, 170), "welfare": (63, 12, 75),
                                         "city": (41, 88, 127), "other": (19, 7, 26)}) | {
            "funds.dibao.month": 38.42, "funds.dibao.ytd": 341.9,
            "funds.temporary.month": 4.6, "funds.temporary.ytd": 37.25},
        "河西街道-2024-09.xlsx": service({"social": (98, 61, 159), "welfare": (40, 9, 49),
                                         "city": (55, 102, 150), "other": (11, 4, 15)}) | {
            "funds.dibao.month": 29.8, "funds.dibao.ytd": 265.1,
            "funds.temporary.month": 2.15, "funds.temporary.ytd": 21.7},
    }
    for name, agency in WORKBOOKS.items():
        street = agency.removesuffix("办事处")
        write_workbook(
            pack, HERE / name, force=True,
            facts={"agency": agency, "year": 2024, "month": 9, "date": dt.date(2024, 10, 8),
                   "preparer": "王敏 0571-8765 4321"},
            values=figures[name],
            narratives={
                "overview": {"intro": [f"9月，{street}围绕“民生服务提质月”安排，"
                                       "各项工作平稳推进。"],
                             "subsections": [
                                 {"title": "（一）重点工作", "paragraphs": [
                                     "完成辖区老旧小区加装电梯意见征集，召开居民议事会6场。",
                                     "开展国庆节前安全生产大检查，排查沿街商铺和出租房屋。"]},
                                 {"title": "（二）为民服务", "paragraphs": [
                                     "便民服务中心延时服务每周两天，网上受理占比继续提高。"]}]},
                "plan": {"intro": ["下月将做好高龄津贴年度核查，推进垃圾分类示范小区创建，"
                                   "做好冬季供暖前的困难群众走访。"], "subsections": []},
            },
            notes={"funds": ["资金数字以区民政局拨付到账为准。"]})


def main() -> None:
    make_template()
    make_workbooks()
    first = HERE / next(iter(WORKBOOKS))
    built = build_report(first, pack=str(HERE))
    for path in (TEMPLATE, *(HERE / n for n in WORKBOOKS), built.docx):
        print(path.relative_to(HERE.parent.parent))


if __name__ == "__main__":
    main()
