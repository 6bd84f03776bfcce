"""The built-in packs' Word templates, rendered with docxtpl and read back.

The official structure of the three tables (labels word for word, grid size, merged cells) is
written out here from shared/spec/official-format.md, independently of pack.toml, so a wrong
label or merge in a pack or in tools/make_templates.py fails here.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import jinja2
import pytest
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from lxml import etree

from docx_report.linebreak import balanced_lines
from docx_report.pack import Pack, TableSection, load_pack

ROOT = Path(__file__).resolve().parents[1]
PACKS = ["gov-disclosure-2021", "gov-disclosure-2019"]

HEADINGS = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
]
AGENCY = "某某市人力资源和社会保障局"


# ---------------------------------------------------------------------------------------------
# The official tables


@dataclass(frozen=True)
class Official:
    rows: int
    cols: int
    repeated_rows: int  # header rows that repeat on a new page (w:tblHeader)
    labels: list[str]  # in reading order (by row, then column)
    merges: set[tuple[int, int, int, int]]  # (row, col, rowspan, colspan) of every merged cell
    values: int  # number of value cells


ACTIVE_2021 = Official(
    rows=14, cols=4, repeated_rows=0,  # blocks with their own headers: nothing repeats
    labels=["第二十条第（一）项",
            "信息内容", "本年制发件数", "本年废止件数", "现行有效件数", "规章", "行政规范性文件",
            "第二十条第（五）项", "信息内容", "本年处理决定数量", "行政许可",
            "第二十条第（六）项", "信息内容", "本年处理决定数量", "行政处罚", "行政强制",
            "第二十条第（八）项", "信息内容", "本年收费金额（单位：万元）", "行政事业性收费"],
    merges={(0, 0, 1, 4), (4, 0, 1, 4), (5, 1, 1, 3), (6, 1, 1, 3), (7, 0, 1, 4),
            (8, 1, 1, 3), (9, 1, 1, 3), (10, 1, 1, 3), (11, 0, 1, 4), (12, 1, 1, 3),
            (13, 1, 1, 3)},
    values=10,
)

# The spec's heading says "17 rows", but its five blocks (a block row, a column-header row and
# 2+2+2+1+1 data rows) make 18, as in the real 2019-format report in shared/seed.
ACTIVE_2019 = Official(
    rows=18, cols=4, repeated_rows=0,
    labels=["第二十条第（一）项",
            "信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量", "规章", "规范性文件",
            "第二十条第（五）项",
            "信息内容", "上一年项目数量", "本年增/减", "处理决定数量",
            "行政许可", "其他对外管理服务事项",
            "第二十条第（六）项",
            "信息内容", "上一年项目数量", "本年增/减", "处理决定数量", "行政处罚", "行政强制",
            "第二十条第（八）项", "信息内容", "上一年项目数量", "本年增/减", "行政事业性收费",
            "第二十条第（九）项", "信息内容", "采购项目数量", "采购总金额", "政府集中采购"],
    merges={(0, 0, 1, 4), (4, 0, 1, 4), (8, 0, 1, 4), (12, 0, 1, 4), (13, 2, 1, 2),
            (14, 2, 1, 2), (15, 0, 1, 4), (16, 2, 1, 2), (17, 2, 1, 2)},
    values=6 + 6 + 6 + 2 + 2,
)

_REQUESTS_HEAD = [
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况",
    "自然人", "法人或其他组织", "总计",
    "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他",
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量",
    "三、本年度办理结果", "（一）予以公开",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "（三）不予公开", "1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”",
    "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
    "7.属于行政执法案卷", "8.属于行政查询事项",
    "（四）无法提供", "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确",
    "（五）不予处理", "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物",
    "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息",
]
_REQUESTS_MERGES = {(0, 0, 3, 3), (0, 3, 1, 7), (1, 3, 2, 1), (1, 4, 1, 5), (1, 9, 2, 1),
                    (3, 0, 1, 3), (4, 0, 1, 3), (5, 1, 1, 2), (6, 1, 1, 2), (7, 1, 8, 1),
                    (15, 1, 3, 1), (18, 1, 5, 1)}
REQUESTS_2021 = Official(
    rows=28, cols=10, repeated_rows=3,
    labels=[*_REQUESTS_HEAD,
            "（六）其他处理",
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            "3.其他",
            "（七）总计", "四、结转下年度继续办理"],
    merges=_REQUESTS_MERGES | {(5, 0, 22, 1), (23, 1, 3, 1), (26, 1, 1, 2), (27, 0, 1, 3)},
    values=25 * 7,
)
REQUESTS_2019 = Official(
    rows=26, cols=10, repeated_rows=3,
    labels=[*_REQUESTS_HEAD, "（六）其他处理", "（七）总计", "四、结转下年度继续办理"],
    merges=_REQUESTS_MERGES | {(5, 0, 20, 1), (23, 1, 1, 2), (24, 1, 1, 2), (25, 0, 1, 3)},
    values=23 * 7,
)

_OUTCOMES = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
REVIEW = Official(
    rows=4, cols=15, repeated_rows=3,
    labels=["行政复议", "行政诉讼", *_OUTCOMES, "未经复议直接起诉", "复议后起诉",
            *_OUTCOMES, *_OUTCOMES],
    merges={(0, 0, 1, 5), (0, 5, 1, 10), *((1, c, 2, 1) for c in range(5)), (1, 5, 1, 5),
            (1, 10, 1, 5)},
    values=15,
)

OFFICIAL = {
    "gov-disclosure-2021": {"active": ACTIVE_2021, "requests": REQUESTS_2021, "review": REVIEW},
    "gov-disclosure-2019": {"active": ACTIVE_2019, "requests": REQUESTS_2019, "review": REVIEW},
}


# ---------------------------------------------------------------------------------------------
# Rendering


def make_context(pack: Pack, *, empty: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Data for the template: a distinct number in every value cell, text in every section
    except those named in ``empty``."""
    ctx: dict[str, Any] = {"agency": AGENCY, "agency_kind": "政府部门", "year": "2024",
                           "date": "2025年1月20日"}
    number = 1000
    for section in pack.sections:
        if isinstance(section, TableSection):
            table: dict[str, Any] = {"note": [f"{section.key}表前说明。"]}
            for cell in section.value_cells():
                _, row, col = cell.key.split(".")
                number += 1
                table.setdefault(row, {})[col] = str(number)
            ctx[section.key] = table
        elif section.key in empty:
            ctx[section.key] = {"intro": [], "subsections": [], "empty": True}
        else:
            ctx[section.key] = {
                "intro": [f"{section.key}导语。"],
                "subsections": [{"title": title, "paragraphs": [f"{section.key}{title}正文。"]}
                                for title in section.subsections],
                "empty": False,
            }
    return ctx


def render(path: Path, context: dict[str, Any]) -> docx.document.Document:
    template = DocxTemplate(path)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    env.filters["balanced_lines"] = balanced_lines  # docx-report's own filter
    template.render(context, jinja_env=env)
    out = io.BytesIO()
    template.save(out)
    out.seek(0)
    return docx.Document(out)


@pytest.fixture(scope="module", params=PACKS)
def case(request: pytest.FixtureRequest) -> tuple[Pack, dict[str, Any], docx.document.Document]:
    pack = load_pack(request.param)
    context = make_context(pack)
    return pack, context, render(pack.template_path, context)


# ---------------------------------------------------------------------------------------------
# Reading a rendered table back: cells as (row, col, rowspan, colspan) with their text


@dataclass
class Placed:
    row: int
    col: int
    rows: int
    cols: int
    text: str
    restart: bool = False  # w:vMerge w:val="restart": cells below may continue it


def read_table(tbl: etree._Element) -> list[Placed]:
    cells: list[Placed] = []
    origin: dict[tuple[int, int], Placed] = {}  # (row, col) covered -> the cell covering it
    for r, tr in enumerate(tbl.iterchildren(qn("w:tr"))):
        c = 0
        for tc in tr.iterchildren(qn("w:tc")):
            span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
            cols = int(span.get(qn("w:val"))) if span is not None else 1
            vmerge = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
            merge = None if vmerge is None else vmerge.get(qn("w:val"), "continue")
            text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
            if merge == "continue":
                above = origin[(r - 1, c)]
                assert above.restart, f"vMerge at {r},{c} continues no restarted cell"
                assert (above.col, above.cols) == (c, cols), f"vMerge misaligned at {r},{c}"
                assert text == "", f"merged-away cell at {r},{c} holds {text!r}"
                above.rows += 1
                cell = above
            else:
                cell = Placed(r, c, 1, cols, text, restart=merge == "restart")
                cells.append(cell)
            for cc in range(c, c + cols):
                origin[(r, cc)] = cell
            c += cols
    return cells


def body_tables(document: docx.document.Document) -> list[etree._Element]:
    return list(document.element.body.iterchildren(qn("w:tbl")))


def is_number(text: str) -> bool:
    return re.fullmatch(r"\d+", text) is not None


# ---------------------------------------------------------------------------------------------
# Tables


def test_tables_have_the_official_structure(case: tuple[Pack, dict[str, Any], Any]) -> None:
    pack, _, document = case
    tables = body_tables(document)
    assert len(tables) == 3
    for key, tbl in zip(["active", "requests", "review"], tables, strict=True):
        official = OFFICIAL[pack.name][key]
        grid = tbl.find(qn("w:tblGrid"))
        assert len(grid) == official.cols, key
        rows = tbl.findall(qn("w:tr"))
        assert len(rows) == official.rows, key
        cells = read_table(tbl)
        labels = [c for c in cells if not is_number(c.text)]
        assert [c.text for c in labels] == official.labels, key
        merges = {(c.row, c.col, c.rows, c.cols) for c in cells if c.rows > 1 or c.cols > 1}
        assert merges == official.merges, key
        assert sum(1 for c in cells if is_number(c.text)) == official.values, key
        # The cells tile the grid: every row is exactly as wide as the table.
        for r in range(official.rows):
            width = sum(c.cols for c in cells if c.row <= r < c.row + c.rows)
            assert width == official.cols, f"{key} row {r}"


def test_each_number_sits_at_its_cell(case: tuple[Pack, dict[str, Any], Any]) -> None:
    pack, context, document = case
    tables = dict(zip(["active", "requests", "review"], body_tables(document), strict=True))
    for key, tbl in tables.items():
        at = {(c.row, c.col): c.text for c in read_table(tbl)}
        section = next(t for t in pack.tables() if t.key == key)
        for cell in section.value_cells():
            _, row, col = cell.key.split(".")
            assert at[(cell.row, cell.col)] == context[key][row][col], cell.key


def test_table_rows_and_widths(case: tuple[Pack, dict[str, Any], Any]) -> None:
    pack, _, document = case
    for key, tbl in zip(["active", "requests", "review"], body_tables(document), strict=True):
        official = OFFICIAL[pack.name][key]
        tbl_pr = tbl.find(qn("w:tblPr"))
        assert tbl_pr.find(qn("w:tblW")).get(qn("w:w")) == "8844"  # 156 mm
        assert tbl_pr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        grid = [int(g.get(qn("w:w"))) for g in tbl.find(qn("w:tblGrid"))]
        assert sum(grid) == 8844, key
        borders = tbl_pr.find(qn("w:tblBorders"))
        assert {b.get(qn("w:val")) for b in borders} == {"single"}
        assert {b.get(qn("w:sz")) for b in borders} == {"4"}  # 0.5 pt
        for r, tr in enumerate(tbl.findall(qn("w:tr"))):
            tr_pr = tr.find(qn("w:trPr"))
            assert tr_pr.find(qn("w:cantSplit")) is not None, f"{key} row {r}"
            header = tr_pr.find(qn("w:tblHeader")) is not None
            assert header == (r < official.repeated_rows), f"{key} row {r}"
        for tc in tbl.iter(qn("w:tc")):
            width = int(tc.find(f"{qn('w:tcPr')}/{qn('w:tcW')}").get(qn("w:w")))
            assert 0 < width <= 8844
            assert tc.find(f"{qn('w:tcPr')}/{qn('w:vAlign')}").get(qn("w:val")) == "center"


def test_value_cells_hold_one_tag_in_one_run() -> None:
    for name in PACKS:
        pack = load_pack(name)
        template = docx.Document(pack.template_path)
        runs = [r.text for t in template.tables for row in t.rows for c in row.cells
                for p in c.paragraphs for r in p.runs if "{{" in r.text]
        expected = {f"{{{{ {cell.key} }}}}" for _, cell in pack.value_cells().values()}
        assert set(runs) == expected


# ---------------------------------------------------------------------------------------------
# Text


def body_paragraphs(document: docx.document.Document) -> list[tuple[str, str]]:
    """(style name, text) of the body's own paragraphs (not those inside tables)."""
    return [(p.style.name, p.text) for p in document.paragraphs]


def test_title_headings_and_signature(case: tuple[Pack, dict[str, Any], Any]) -> None:
    _, _, document = case
    paragraphs = body_paragraphs(document)
    assert paragraphs[:2] == [("Title", AGENCY), ("Title", "2024年政府信息公开工作年度报告")]
    assert [t for s, t in paragraphs if s == "一级标题"] == HEADINGS
    assert paragraphs[-2:] == [("落款", AGENCY), ("落款", "2025年1月20日")]


def test_narrative_sections(case: tuple[Pack, dict[str, Any], Any]) -> None:
    pack, _, document = case
    paragraphs = body_paragraphs(document)
    start = paragraphs.index(("一级标题", "一、总体情况"))
    subsections = [(s, t) for s, t in paragraphs if s == "二级标题"]
    expected = [t for n in pack.narratives() for t in n.subsections]
    assert [t for _, t in subsections] == expected
    assert paragraphs[start + 1: start + 4] == [
        ("Normal", "overview导语。"),
        ("二级标题", "（一）主动公开"),
        ("Normal", "overview（一）主动公开正文。"),
    ]
    assert ("Normal", "active表前说明。") in paragraphs
    assert ("Normal", "无。") not in paragraphs


def test_no_empty_paragraphs_or_leftover_tags(case: tuple[Pack, dict[str, Any], Any]) -> None:
    _, _, document = case
    assert all(text.strip() for _, text in body_paragraphs(document))
    xml = etree.tostring(document.element, encoding="unicode")
    assert "{%" not in xml and "{{" not in xml and "%}" not in xml


def test_empty_sections_say_none() -> None:
    pack = load_pack("gov-disclosure-2021")
    context = make_context(pack, empty=frozenset({"problems", "other"}))
    for key in ("active", "requests", "review"):
        context[key]["note"] = []
    paragraphs = body_paragraphs(render(pack.template_path, context))
    assert all(text.strip() for _, text in paragraphs)
    five = paragraphs.index(("一级标题", "五、存在的主要问题及改进情况"))
    assert paragraphs[five:] == [
        ("一级标题", "五、存在的主要问题及改进情况"), ("Normal", "无。"),
        ("一级标题", "六、其他需要报告的事项"), ("Normal", "无。"),
        ("落款", AGENCY), ("落款", "2025年1月20日"),
    ]
    two = paragraphs.index(("一级标题", "二、主动公开政府信息情况"))
    assert paragraphs[two + 1] == ("一级标题", "三、收到和处理政府信息公开申请情况")


def test_template_variables() -> None:
    for name in PACKS:
        pack = load_pack(name)
        env = jinja2.Environment()
        env.filters["balanced_lines"] = balanced_lines
        names = DocxTemplate(pack.template_path).get_undeclared_template_variables(env)
        assert names == {"agency", "year", "date", *(s.key for s in pack.sections)}


# ---------------------------------------------------------------------------------------------
# Page and typography


def test_page_setup(case: tuple[Pack, dict[str, Any], Any]) -> None:
    _, _, document = case
    (section,) = document.sections
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin,
               section.right_margin)
    assert [round(m.mm, 1) for m in margins] == [37.0, 35.0, 28.0, 26.0]
    assert section.orientation == 0  # portrait


def test_footers_number_pages(case: tuple[Pack, dict[str, Any], Any]) -> None:
    _, _, document = case
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        assert not footer.is_linked_to_previous
        (p,) = footer.paragraphs
        xml = etree.tostring(p._p, encoding="unicode")
        instr = "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert instr.strip() == "PAGE"
        assert xml.count("fldCharType") == 3
        assert p.text == "— 1 —"
        assert p._p.pPr.find(qn("w:jc")).get(qn("w:val")) == align
        assert p.style.name == "Footer"


def test_styles(case: tuple[Pack, dict[str, Any], Any]) -> None:
    _, _, document = case
    styles = document.styles

    def east_asia(name: str) -> str:
        return styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))

    assert (east_asia("Normal"), east_asia("Title"), east_asia("一级标题"),
            east_asia("二级标题"), east_asia("表格文字")) == (
        "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体")
    assert styles["Normal"].font.name == "Times New Roman"
    assert (styles["Normal"].font.size.pt, styles["Title"].font.size.pt) == (16, 22)
    assert styles["表格文字"].font.size.pt == 10.5
    assert styles["表格文字（小五）"].font.size.pt == 9
    normal = styles["Normal"].paragraph_format
    assert normal.line_spacing.pt == pytest.approx(28.95)
    assert normal.line_spacing_rule == docx.enum.text.WD_LINE_SPACING.EXACTLY
    assert (normal.space_before, normal.space_after) == (0, 0)
    ind = styles["Normal"].element.pPr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200"
    assert styles["一级标题"].font.bold is False
    defaults = document.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert lang.get(qn("w:eastAsia")) == "zh-CN"
    # Digits and Latin text carry a Western language: with zh-CN there, LibreOffice breaks a
    # number such as 2316 across two lines of the filing copy.
    assert lang.get(qn("w:val")) == "en-US"


# ---------------------------------------------------------------------------------------------
# The shipped templates are what tools/make_templates.py makes from today's pack.toml


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_templates",
                                                  ROOT / "tools" / "make_templates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_templates_are_up_to_date() -> None:
    generator = _generator()
    for name in PACKS:
        pack = load_pack(name)
        fresh = generator.parts(generator.build(pack))
        shipped = generator.parts(pack.template_path.read_bytes())
        assert shipped == fresh, f"{name}: run python tools/make_templates.py"
