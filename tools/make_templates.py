"""Generate the built-in packs' Word templates (template.docx) from their pack.toml.

    python tools/make_templates.py                      # every built-in pack
    python tools/make_templates.py gov-disclosure-2021  # one pack
    python tools/make_templates.py --check              # exit 1 if a template is out of date

A maintainer script: agencies restyle the generated templates in Word; the program never runs
this. The template is a docxtpl (Jinja2-in-Word) document laid out after GB/T 9704-2012
《党政机关公文格式》: A4, text block 156 x 225 mm, 3号仿宋_GB2312 body on a fixed 28.95 pt line,
2号方正小标宋简体 title, 黑体 and 楷体_GB2312 headings, page numbers "— 1 —" in 4号宋体 outside the
text block (odd pages right, even pages left). Every look is a named style (正文 = Normal,
标题 = Title, 一级标题, 二级标题, 表格文字, 表格文字（小五）, 落款, 页脚 = footer), so an agency can
restyle a template in Word without touching its tags.

What the template sees (every leaf a formatted string):

    agency, agency_kind, year, date    (the agency through the balanced_lines filter)
    <narrative>.intro / .subsections[{title, paragraphs}] / .empty
    <table>.note (paragraphs before the table) and <table>.<row>.<col> (each value cell)

The tables are drawn from the pack's grid: labels word for word, gridSpan for column spans,
vMerge for row spans, one ``{{ key }}`` run in each value cell.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm
from lxml import etree

# The checkout's package, not an installed copy: the templates come from this tree's packs.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from docx_report.pack import (
    Cell,
    NarrativeSection,
    Pack,
    TableSection,
    builtin_packs,
    load_pack,
)

W = nsdecls("w")

# --------------------------------------------------------------------------------------------
# Typography (GB/T 9704-2012; see shared/spec/official-format.md, "Typography")

FANGSONG = "仿宋_GB2312"
KAITI = "楷体_GB2312"
HEITI = "黑体"
SONGTI = "宋体"
XIAOBIAOSONG = "方正小标宋简体"
LATIN = "Times New Roman"

BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
PAGE_NUMBER_PT = 14  # 4号
LINE = 579  # fixed line pitch in twips: 28.95 pt, 22 lines in the 225 mm text block
TITLE_LINE = 700  # 35 pt: a 2号 title on the 28.95 pt pitch looks cramped
INDENT_CHARS = 200  # first-line indent, in hundredths of a character
INDENT = 2 * BODY_PT * 20  # the same in twips, for readers that ignore *Chars attributes
# Character spacing of the body, in twentieths of a point: 16 pt characters fill the 156 mm
# line 27.6 times; GB/T 9704 asks for 28, so the body is condensed by 0.25 pt (15.75 x 28 = 441
# pt, under the 442.2 pt line).
BODY_TRACKING = -5

TEXT_WIDTH = 8844  # 156 mm in twips
TITLE_CHARS = 20  # 2号 characters on a title line
CLOSING_CHARS = 22  # 3号 characters on a signature line, 4 characters in from the right
PAGE = {"width": Mm(210), "height": Mm(297), "top": Mm(37), "bottom": Mm(35),
        "left": Mm(28), "right": Mm(26), "header": Mm(15), "footer": Mm(25)}



@dataclass(frozen=True)
class Layout:
    """How one table is drawn."""

    mm: tuple[float, ...] = ()  # column widths, scaled to exactly 156 mm; () = pack.toml widths
    style: str = "TableText"  # styleId of the cell paragraphs
    margin: int = 57  # left and right cell margins, twips
    height: int = 397  # minimum row height, twips
    labels_left: bool = False  # row labels flush left (except labels spanning several rows)


TABLES = {
    "active": Layout(mm=(48, 36, 36, 36), margin=85, height=454),
    # Data columns wide enough for their headers at 9 pt: 自然人, 商业企业 and 科研机构 on one
    # line, 社会公益组织 and 法律服务机构 on two lines of three characters; the sub-item column
    # holds most sub-items on one line. The whole table fits one page.
    "requests": Layout(mm=(11, 15, 46.6, 11, 14.2, 14.2, 11, 11, 11, 11),
                       style="TableTextSmall", margin=28, height=340, labels_left=True),
    "review": Layout(mm=(10.4,) * 15, style="TableTextSmall", margin=28, height=454),
}

# --------------------------------------------------------------------------------------------
# Styles


def _fonts(east_asia: str, latin: str = LATIN) -> str:
    return (f'<w:rFonts w:ascii="{latin}" w:eastAsia="{east_asia}" w:hAnsi="{latin}"'
            f' w:cs="{LATIN}"/>')


def _size(pt: float) -> str:
    return f'<w:sz w:val="{round(pt * 2)}"/><w:szCs w:val="{round(pt * 2)}"/>'


NO_INDENT = '<w:ind w:firstLineChars="0" w:firstLine="0"/>'
# No punctuation past the right margin: Word and LibreOffice let a full stop or comma at the end
# of a line hang into the margin (w:overflowPunct, on by default for Chinese); off, the line is
# laid out again within the text block (LibreOffice: ParaIsHangingPunctuation = false).
NO_HANGING = '<w:overflowPunct w:val="0"/>'
# (styleId, name, XML inside w:style). Built-in styles keep their English names, which Word
# shows as 正文, 标题 and 页脚.
STYLES = [
    ("Normal", "Normal", f"""
        <w:qFormat/>
        <w:pPr><w:widowControl/>{NO_HANGING}<w:spacing w:before="0" w:after="0" w:line="{LINE}"
          w:lineRule="exact"/><w:ind w:firstLineChars="{INDENT_CHARS}" w:firstLine="{INDENT}"/>
          <w:jc w:val="both"/></w:pPr>
        <w:rPr>{_fonts(FANGSONG)}<w:spacing w:val="{BODY_TRACKING}"/><w:kern w:val="2"/>
          {_size(BODY_PT)}</w:rPr>"""),
    ("Title", "Title", f"""
        <w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="10"/><w:qFormat/>
        <w:pPr><w:keepNext/><w:keepLines/><w:snapToGrid w:val="0"/>
          <w:spacing w:line="{TITLE_LINE}" w:lineRule="exact"/>
          {NO_INDENT}<w:jc w:val="center"/></w:pPr>
        <w:rPr>{_fonts(XIAOBIAOSONG, XIAOBIAOSONG)}<w:b w:val="0"/><w:bCs w:val="0"/>
          <w:spacing w:val="0"/>{_size(TITLE_PT)}</w:rPr>"""),
    ("SectionHeading", "一级标题", f"""
        <w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/>
        <w:pPr><w:keepNext/><w:outlineLvl w:val="0"/></w:pPr>
        <w:rPr>{_fonts(HEITI, HEITI)}<w:b w:val="0"/><w:bCs w:val="0"/></w:rPr>"""),
    ("SubsectionHeading", "二级标题", f"""
        <w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/>
        <w:pPr><w:keepNext/><w:outlineLvl w:val="1"/></w:pPr>
        <w:rPr>{_fonts(KAITI)}<w:b w:val="0"/><w:bCs w:val="0"/></w:rPr>"""),
    ("TableText", "表格文字", f"""
        <w:basedOn w:val="Normal"/><w:uiPriority w:val="11"/><w:qFormat/>
        <w:pPr><w:snapToGrid w:val="0"/><w:spacing w:line="240" w:lineRule="auto"/>{NO_INDENT}
          <w:jc w:val="center"/></w:pPr>
        <w:rPr>{_fonts(SONGTI)}<w:spacing w:val="0"/>{_size(10.5)}</w:rPr>"""),
    ("TableTextSmall", "表格文字（小五）", f"""
        <w:basedOn w:val="TableText"/><w:uiPriority w:val="11"/><w:qFormat/>
        <w:rPr>{_size(9)}</w:rPr>"""),
    ("Closing", "落款", f"""
        <w:basedOn w:val="Normal"/><w:uiPriority w:val="12"/><w:qFormat/>
        <w:pPr><w:keepNext/><w:keepLines/><w:ind w:rightChars="{2 * INDENT_CHARS}"
          w:right="{2 * INDENT}" w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="right"/></w:pPr>
        """),
    ("Footer", "footer", f"""
        <w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>
        <w:pPr><w:snapToGrid w:val="0"/><w:spacing w:line="240" w:lineRule="auto"/>{NO_INDENT}
          </w:pPr>
        <w:rPr>{_fonts(SONGTI, SONGTI)}<w:spacing w:val="0"/>{_size(PAGE_NUMBER_PT)}</w:rPr>"""),
]
DEFAULT_STYLES = f"""
<w:style {W} w:type="character" w:default="1" w:styleId="DefaultParagraphFont">
  <w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>
  <w:unhideWhenUsed/></w:style>
<w:style {W} w:type="table" w:default="1" w:styleId="TableNormal">
  <w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>
  <w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>
    <w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>
    <w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>
<w:style {W} w:type="numbering" w:default="1" w:styleId="NoList">
  <w:name w:val="No List"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>
</w:style>"""
DOC_DEFAULTS = f"""
<w:docDefaults {W}>
  <w:rPrDefault><w:rPr>{_fonts(FANGSONG)}<w:kern w:val="2"/>{_size(BODY_PT)}
    <w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>
  <w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>
  </w:pPrDefault>
</w:docDefaults>"""

# The faces the template names, for Word's font substitution on machines that lack one
# (altName: the face Windows 10 and later ship under another name; charset 86 = GB2312).
FONT_TABLE = [
    (LATIN, "", "00", "roman", "variable", "02020603050405020304"),
    (SONGTI, "SimSun", "86", "auto", "variable", "02010600030101010101"),
    (HEITI, "SimHei", "86", "modern", "fixed", "02010609060101010101"),
    (FANGSONG, "仿宋", "86", "modern", "fixed", "02010609030101010101"),
    (KAITI, "楷体", "86", "modern", "fixed", "02010609030101010101"),
    (XIAOBIAOSONG, "", "86", "auto", "variable", "02000000000000000000"),
]

CORE_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)  # fixed, so regenerating changes nothing
APP_XML = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Template>Normal.dotm</Template><Application>docx-report</Application>"
    "<DocSecurity>0</DocSecurity></Properties>"
)


# --------------------------------------------------------------------------------------------
# Small XML helpers


def _el(xml: str) -> etree._Element:
    """An element from XML written across lines (whitespace between tags dropped)."""
    return parse_xml(re.sub(r">\s+<", "><", xml.strip()))


def _ppr(style: str, extra: str = "") -> str:
    return f'<w:pPr><w:pStyle w:val="{style}"/>{extra}</w:pPr>'


def _run(text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<w:r><w:t{space}>{escape(text)}</w:t></w:r>"


def _p(text: str, style: str = "Normal", extra_ppr: str = "") -> str:
    return f"<w:p {W}>{_ppr(style, extra_ppr)}{_run(text) if text else ''}</w:p>"


def _tag(statement: str) -> str:
    """A docxtpl paragraph tag, alone in its paragraph (docxtpl removes the paragraph)."""
    return _p(f"{{%p {statement} %}}")


# --------------------------------------------------------------------------------------------
# The body


def _narrative(section: NarrativeSection, after_table: bool,
               with_closing: bool = False) -> Iterable[str]:
    """A narrative section. The last one keeps its text on the page of the signature, so the
    signature never stands alone on a page (GB/T 9704 7.3.5)."""
    key = section.key
    keep = "<w:keepNext/>" if with_closing else ""
    yield _heading(section.heading, after_table)
    yield _tag(f"for para in {key}.intro")
    yield _p("{{ para }}", extra_ppr=keep)
    yield _tag("endfor")
    yield _tag(f"for sub in {key}.subsections")
    yield _p("{{ sub.title }}", "SubsectionHeading")
    yield _tag("for para in sub.paragraphs")
    yield _p("{{ para }}", extra_ppr=keep)
    yield _tag("endfor")
    yield _tag("endfor")
    yield _tag(f"if {key}.empty")
    yield _p("无。", extra_ppr=keep)
    yield _tag("endif")


def _twips(widths_mm: Sequence[float]) -> list[int]:
    """Column widths in twips adding up to exactly the text width (largest remainders)."""
    total = sum(widths_mm)
    exact = [w * TEXT_WIDTH / total for w in widths_mm]
    result = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: result[i] - exact[i])
    for i in by_remainder[: TEXT_WIDTH - sum(result)]:
        result[i] += 1
    return result


def _layout(table: TableSection) -> tuple[Layout, list[int]]:
    """The table's layout and its column widths in twips."""
    layout = TABLES.get(table.key, Layout())
    mm = layout.mm or table.widths or (1,) * table.width
    if len(mm) != table.width:
        raise SystemExit(f"{table.key}: {len(mm)} column widths for {table.width} columns")
    return layout, _twips(mm)


def _block_starts(table: TableSection) -> set[int]:
    """Rows after the first that start a block with a label across the whole width (table 二:
    第二十条第（五）项 …). Each block brings its own header rows."""
    return {c.row for c in table.cells if c.cols == table.width and c.rows == 1 and c.row}


KEEP_LIMIT = 12  # rows under a label spanning more rows than this may be split by a page


def _kept_rows(table: TableSection) -> set[int]:
    """Rows that stay on the page of the row after them (keepNext in their paragraphs).

    A table of blocks (table 二) breaks only between blocks. Any other table starts where it
    is, once its header rows and first row fit, and breaks between rows: never inside the rows
    of a label spanning a few rows (（三）不予公开 and its sub-items), and its header rows repeat
    on the next page (w:tblHeader).
    """
    starts = _block_starts(table)
    if starts:
        return {r for r in range(table.height - 1) if r + 1 not in starts}
    kept = set(range(min(table.header_rows, table.height - 1)))
    for cell in table.cells:
        if not cell.is_value and cell.row >= table.header_rows and 1 < cell.rows <= KEEP_LIMIT:
            kept.update(range(cell.row, cell.row + cell.rows - 1))
    return kept


def _repeated_rows(table: TableSection) -> int:
    """How many rows at the top repeat on each page (w:tblHeader): the header rows, except in a
    table of blocks, where the first block's header would mislabel the blocks after it."""
    return 0 if _block_starts(table) else table.header_rows


def _cell_xml(table: TableSection, cell: Cell, layout: Layout, twips: list[int], text: str,
              merge: str, keep: bool) -> str:
    width = sum(twips[cell.col: cell.col + cell.cols])
    span = f'<w:gridSpan w:val="{cell.cols}"/>' if cell.cols > 1 else ""
    vmerge = {"": "", "restart": '<w:vMerge w:val="restart"/>', "continue": "<w:vMerge/>"}[merge]
    extra = "<w:keepNext/>" if keep else ""
    if (layout.labels_left and not cell.is_value and cell.row >= table.header_rows
            and cell.rows == 1):
        extra += '<w:jc w:val="left"/>'
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{span}{vmerge}'
            f'<w:vAlign w:val="center"/></w:tcPr>'
            f"<w:p>{_ppr(layout.style, extra)}{_run(text) if text else ''}</w:p></w:tc>")


def _table(table: TableSection) -> str:
    layout, twips = _layout(table)
    kept, repeated = _kept_rows(table), _repeated_rows(table)
    grid = {(r, c): cell for cell in table.cells
            for r in range(cell.row, cell.row + cell.rows)
            for c in range(cell.col, cell.col + cell.cols)}
    rows = []
    for r in range(table.height):
        header = "<w:tblHeader/>" if r < repeated else ""
        tcs = []
        c = 0
        while c < table.width:
            cell = grid[(r, c)]
            if cell.row == r:
                text = f"{{{{ {cell.key} }}}}" if cell.is_value else cell.text
                merge = "restart" if cell.rows > 1 else ""
            else:  # covered by a label spanning rows from above
                text, merge = "", "continue"
            tcs.append(_cell_xml(table, cell, layout, twips, text, merge, r in kept))
            c += cell.cols
        rows.append(f'<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="{layout.height}"'
                    f' w:hRule="atLeast"/>{header}</w:trPr>{"".join(tcs)}</w:tr>')
    border = '<w:{} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    borders = "".join(border.format(side)
                      for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    cols = "".join(f'<w:gridCol w:w="{w}"/>' for w in twips)
    return (f'<w:tbl {W}><w:tblPr><w:tblW w:w="{TEXT_WIDTH}" w:type="dxa"/>'
            f'<w:jc w:val="center"/><w:tblInd w:w="0" w:type="dxa"/>'
            f"<w:tblBorders>{borders}</w:tblBorders>"
            f'<w:tblLayout w:type="fixed"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>'
            f'<w:left w:w="{layout.margin}" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>'
            f'<w:right w:w="{layout.margin}" w:type="dxa"/></w:tblCellMar>'
            f'<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0"'
            f' w:lastColumn="0" w:noHBand="0" w:noVBand="0"/></w:tblPr>'
            f'<w:tblGrid>{cols}</w:tblGrid>{"".join(rows)}</w:tbl>')


def _table_section(table: TableSection, after_table: bool) -> Iterable[str]:
    yield _heading(table.heading, after_table)
    yield _tag(f"for para in {table.key}.note")
    yield _p("{{ para }}", extra_ppr="<w:keepNext/>")  # stays with the table
    yield _tag("endfor")
    yield _table(table)


def _heading(text: str, after_table: bool) -> str:
    # A heading right after a table gets half a line of air above it.
    return _p(text, "SectionHeading", f'<w:spacing w:before="{LINE // 2}"/>' if after_table
              else "")


def _body(pack: Pack) -> Iterable[str]:
    # A long name breaks between words, in balanced lines (GB/T 9704 7.3.3): 20 characters
    # of 2号 fill the 156 mm line.
    yield _p(f"{{{{ agency|balanced_lines({TITLE_CHARS}) }}}}", "Title")
    yield _p("{{ year }}年政府信息公开工作年度报告", "Title", f'<w:spacing w:after="{LINE}"/>')
    after_table = False
    for section in pack.sections:
        if isinstance(section, TableSection):
            yield from _table_section(section, after_table)
        else:
            yield from _narrative(section, after_table, section is pack.sections[-1])
        after_table = isinstance(section, TableSection)
    # The signature: one empty line's worth of space below the text, 4 characters in from
    # the right.
    yield _p(f"{{{{ agency|balanced_lines({CLOSING_CHARS}) }}}}", "Closing",
             f'<w:spacing w:before="{LINE}"/>')
    yield _p("{{ date }}", "Closing")


# --------------------------------------------------------------------------------------------
# Page numbers: "— 1 —", odd pages right, even pages left, one character in from the edge


def _page_number(odd: bool) -> str:
    one_char = PAGE_NUMBER_PT * 20
    ind = (f'<w:ind w:rightChars="100" w:right="{one_char}"/><w:jc w:val="right"/>' if odd
           else f'<w:ind w:leftChars="100" w:left="{one_char}"/><w:jc w:val="left"/>')
    field = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
             '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
             f"{_run('1')}"
             '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    return f"<w:p {W}>{_ppr('Footer', ind)}{_run('— ')}{field}{_run(' —')}</w:p>"


def _set_footer(footer: docx.section._Footer, odd: bool) -> None:
    element = footer._element
    footer.is_linked_to_previous = False
    for child in list(element):
        element.remove(child)
    element.append(_el(_page_number(odd)))


# --------------------------------------------------------------------------------------------
# The document


def build(pack: Pack) -> bytes:
    """The template.docx of ``pack``, as bytes."""
    document = docx.Document()
    _prune(document)
    _styles(document)
    _settings(document)
    _font_table(document)

    section = document.sections[0]
    section.page_width, section.page_height = PAGE["width"], PAGE["height"]
    section.top_margin, section.bottom_margin = PAGE["top"], PAGE["bottom"]
    section.left_margin, section.right_margin = PAGE["left"], PAGE["right"]
    section.header_distance, section.footer_distance = PAGE["header"], PAGE["footer"]
    section.gutter = 0
    sect_pr = section._sectPr
    for grid in sect_pr.findall(qn("w:docGrid")) + sect_pr.findall(qn("w:cols")):
        sect_pr.remove(grid)
    sect_pr.append(_el(f'<w:cols {W} w:space="425"/>'))
    # No document grid: LibreOffice lays a character grid out unlike Word (wide gaps between
    # characters); the fixed line spacing and the body style's character spacing give the
    # 22 lines of 28 characters without one.
    sect_pr.append(_el(f'<w:docGrid {W} w:linePitch="{LINE}"/>'))

    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    for xml in _body(pack):
        sect_pr.addprevious(_el(xml))

    document.settings.odd_and_even_pages_header_footer = True
    _set_footer(section.footer, odd=True)
    _set_footer(section.even_page_footer, odd=False)

    core = document.core_properties
    core.title = "政府信息公开工作年度报告"
    core.subject = pack.title
    core.author = core.last_modified_by = "docx-report"
    core.comments = f"docx-report 模板（{pack.name}），由 tools/make_templates.py 生成"
    core.keywords = core.category = ""
    core.language = "zh-CN"
    core.revision = 1
    core.created = core.modified = CORE_DATE.replace(tzinfo=None)
    app = document.part.package.part_related_by(RT.EXTENDED_PROPERTIES)
    app._blob = APP_XML.encode()

    out = io.BytesIO()
    document.save(out)
    return _stable_zip(out.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """The same package with fixed entry dates, so regenerating an unchanged template gives
    identical bytes (and no git diff)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=CORE_DATE.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def _prune(document: docx.document.Document) -> None:
    """Drop python-docx's sample parts that a template should not carry."""
    part = document.part
    for rid, rel in list(part.rels.items()):
        if rel.reltype in (STYLES_WITH_EFFECTS, RT.CUSTOM_XML):
            part.drop_rel(rid)
    package_rels = part.package.rels
    for rid, rel in list(package_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package_rels.pop(rid)


def _styles(document: docx.document.Document) -> None:
    styles = document.styles.element
    latent = styles.find(qn("w:latentStyles"))
    for child in list(styles):
        styles.remove(child)
    styles.append(_el(DOC_DEFAULTS))
    if latent is not None:
        styles.append(latent)
    for xml in DEFAULT_STYLES.split("</w:style>")[:-1]:
        styles.append(_el(xml + "</w:style>"))
    for style_id, name, inner in STYLES:
        kind = "paragraph"
        default = ' w:default="1"' if style_id == "Normal" else ""
        styles.append(_el(f'<w:style {W} w:type="{kind}"{default} w:styleId="{style_id}">'
                          f'<w:name w:val="{name}"/>{inner}</w:style>'))


def _settings(document: docx.document.Document) -> None:
    settings = document.settings.element
    for tag in ("w:rsids", "w:attachedTemplate", "w:proofState", "w:savePreviewPicture"):
        for el in settings.findall(qn(tag)):
            settings.remove(el)
    for el in settings.iter(qn("w:themeFontLang")):
        el.set(qn("w:val"), "en-US")  # digits and Latin: a Western language, or LibreOffice
        el.set(qn("w:eastAsia"), "zh-CN")  # breaks numbers like 2316 across lines
    for el in settings.iter(qn("w:compatSetting")):
        if el.get(qn("w:name")) == "compatibilityMode":
            el.set(qn("w:val"), "15")
    for el in settings.iter("{http://schemas.microsoft.com/office/word/2010/wordml}docId"):
        el.set("{http://schemas.microsoft.com/office/word/2010/wordml}val", "2021000A")


def _font_table(document: docx.document.Document) -> None:
    rel = next(r for r in document.part.rels.values() if r.reltype == RT.FONT_TABLE)
    fonts = etree.fromstring(rel.target_part.blob)
    for child in list(fonts):
        fonts.remove(child)
    for name, alt, charset, family, pitch, panose in FONT_TABLE:
        alt_xml = f'<w:altName w:val="{alt}"/>' if alt else ""
        fonts.append(_el(f'<w:font {W} w:name="{name}">{alt_xml}<w:panose1 w:val="{panose}"/>'
                         f'<w:charset w:val="{charset}"/><w:family w:val="{family}"/>'
                         f'<w:pitch w:val="{pitch}"/></w:font>'))
    rel.target_part._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8",
                                           standalone=True)


# --------------------------------------------------------------------------------------------
# Command line

XML_PARTS = ("word/document.xml", "word/styles.xml", "word/settings.xml", "word/footer1.xml",
             "word/footer2.xml", "word/fontTable.xml")


def parts(data: bytes) -> dict[str, bytes]:
    """The XML parts that define a template, canonicalised, for comparing two templates."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        return {name: etree.tostring(etree.fromstring(zf.read(name)), method="c14n")
                for name in XML_PARTS if name in names}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packs", nargs="*", help="built-in pack names (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a template differs from its pack.toml")
    args = parser.parse_args(argv)
    stale = []
    for name in args.packs or builtin_packs():
        pack = load_pack(name)
        data = build(pack)
        path = pack.template_path
        if args.check:
            if not path.is_file() or parts(path.read_bytes()) != parts(data):
                stale.append(str(path))
            continue
        path.write_bytes(data)
        print(f"wrote {path}")
    for path in stale:
        print(f"out of date: {path} (run python tools/make_templates.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
