"""Workbooks for the differential test of the readers (``test_reader_equivalence``), written
member by member (``tests/xlsx_package``): what no writer produces, each case small. The
examples edited with openpyxl and files LibreOffice saved are in ``reader_variants_edited``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.xlsx_package import (
    MAIN,
    REL,
    Package,
    Sheet,
    broken,
    c,
    chunked_sheet,
    chunked_strings,
    escape_cut,
    inline,
    one,
    row,
    rows,
    strict,
    strings_case,
    styles_xml,
    two_string_parts,
)

_SP = 'xml:space="preserve"'
_BIG = str(2**53 + 1)

RAW: dict[str, Callable[[], Package]] = {
    # shared strings
    "sst-plain": lambda: strings_case("<t>文本</t>", "<t>abc</t>", "<t>3</t>", "<t>=1+2</t>"),
    "sst-rich-runs": lambda: strings_case(
        '<r><t>前</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 后 </t></r>',
        "<r><t>a</t></r><r><t/></r><r><t>b</t></r>"),
    "sst-phonetic": lambda: strings_case(
        '<t>漢字</t><rPh sb="0" eb="2"><t>カンジ</t></rPh><phoneticPr fontId="1"/>',
        '<r><t>東</t></r><rPh sb="0" eb="1"><t>ヒガシ</t></rPh>'),
    "sst-empty": lambda: strings_case("<t/>", "<t></t>", "", "<r><t/></r>"),
    "sst-whitespace": lambda: strings_case(
        f"<t {_SP}>   </t>", "<t>   </t>", f"<t {_SP}>  两端  </t>", "<t>  两端  </t>",
        f"<t {_SP}>\t</t>", f"<t {_SP}>\n</t>"),
    "sst-newlines": lambda: strings_case(
        "<t>一\r\n二</t>", "<t>一&#13;&#10;二</t>", "<t>一&#13;二</t>", "<t>一\n二</t>",
        f"<t {_SP}>&#13;</t>"),
    "sst-astral": lambda: strings_case("<t>𠀀𝔸😀</t>", "<t>&#x20000;</t>", "<t>\U0001F600x</t>"),
    "sst-escapes": lambda: strings_case(
        "<t>a_x000D_b</t>", "<t>x005F_</t>", "<t>_x005F_x000D_</t>", "<t>_x0041_</t>",
        "<t>_X0041_</t>", "<t>_x00</t>", "<t>__x0041__</t>"),
    "sst-unused-and-numbers": lambda: strings_case("<t>0</t>", "<t>007</t>", "<t>1E3</t>",
                                                   "<t>TRUE</t>", "<t>#N/A</t>"),
    "sst-out-of-range-index": lambda: one(rows(c("A1", "0", "s"), c("A2", "5", "s")),
                                          strings=["<t>只一个</t>"]),
    "sst-elsewhere": lambda: Package(
        [Sheet("数据", rows(c("A1", "0", "s"), c("B2", "1", "s")))],
        strings=["<t>别处</t>", "<t>第二</t>"], strings_member="xl/strings/other.xml"),
    # inline strings
    "inline-plain": lambda: one(rows(c("A1", None, "inlineStr", inner=inline("<t>行内</t>")),
                                     c("A2", None, "inlineStr",
                                       inner=inline(f"<t {_SP}> 前后 </t>")))),
    "inline-empty": lambda: one(rows(c("A1", None, "inlineStr", inner=inline("<t/>")),
                                     c("B2", None, "inlineStr"),
                                     c("C3", None, "inlineStr", inner="<is></is>"),
                                     c("D4", None, "inlineStr", inner=inline("<t></t>")),
                                     c("E5", "1"))),
    "inline-rich": lambda: one(rows(
        c("A1", None, "inlineStr", inner=inline("<r><t>甲</t></r><r><rPr><i/></rPr><t>乙</t></r>")),
        c("A2", None, "inlineStr", inner=inline('<t>丙</t><rPh sb="0" eb="1"><t>へい</t></rPh>')),
        c("A3", None, "inlineStr", inner=inline("<t>_x000D_</t>")),
        c("A4", None, "inlineStr", inner=inline("<t>x005F_</t>")))),
    "inline-with-v": lambda: one(rows(c("A1", "9", "inlineStr", inner=inline("<t>字</t>")),
                                      c("A2", "9", "inlineStr"))),
    # numbers
    "num-forms": lambda: one(rows(*(c(f"A{i}", v) for i, v in enumerate(
        ["3", "3.0", "1E3", "-0", "007", "0.1", "-2.5", "1e-3", "123456789012", "1.5E+20",
         "3.00", "+4", "0.0", "-0.0", "1E0", "4.0000000000000001"], 1)))),
    "num-spaces": lambda: one(rows(c("A1", " 5 "), c("A2", "5 "), c("A3", "\n5"))),
    "num-underscore": lambda: one(rows(c("A1", "1_000"))),
    "num-big": lambda: one(rows(c("A1", _BIG), c("A2", str(2**63)), c("A3", "9007199254740992"),
                                c("A4", "-" + _BIG), c("A5", "1" + "0" * 30),
                                c("A6", "9007199254740993.0"))),
    "num-nan": lambda: one(rows(c("A1", "NaN"))),
    "num-inf": lambda: one(rows(c("A1", "INF"))),
    "num-text": lambda: one(rows(c("A1", "abc"))),
    "num-empty-v": lambda: one(rows(c("A1", ""), c("B2", None), c("C3", "", "s"),
                                    c("D4", "", "b"), c("E5", "1"))),
    "bool": lambda: one(rows(c("A1", "1", "b"), c("A2", "0", "b"), c("A3", "2", "b"),
                             c("A4", "1", "b", "d14"))),
    "bool-text": lambda: one(rows(c("A1", "true", "b"))),
    "str-formula": lambda: one(rows(
        c("A1", "结果", "str", inner="<f>\"结\"&amp;\"果\"</f>"),
        c("A2", "3", "str"), c("A3", "", "str", inner="<f>\"\"</f>"),
        c("A4", " ", "str"), c("A5", None, "str", inner="<f>1+2</f>"),
        c("A6", "7", inner="<f>3+4</f>"), c("A7", "TRUE", "str"))),
    "formula-no-value": lambda: one(rows(c("A1", None, inner="<f>SUM(B1:B2)</f>"),
                                         c("B2", "2"))),
    "error-cells": lambda: one(rows(c("A1", "#REF!", "e"), c("A2", "#N/A", "e"),
                                    c("A3", "#DIV/0!", "e", inner="<f>1/0</f>"),
                                    c("A4", "#VALUE!", "e"), c("A5", "2"))),
    "error-empty": lambda: one(rows(c("A1", None, "e"), c("A2", "", "e"))),
    "unknown-type": lambda: one(rows(c("A1", "5", "x"))),
    "d-iso": lambda: one(rows(c("A1", "2024-01-20", "d"), c("A2", "2024-01-20T13:30:00", "d"),
                              c("A3", "13:30", "d"), c("A4", "2024-01-20T00:00:00Z", "d"),
                              c("A5", "PT1H2M3S", "d"), c("A6", "2024-01-20T13:30:00.5", "d"),
                              c("A7", "2024-01-20", "d", "d14"))),
    "d-iso-bad": lambda: one(rows(c("A1", "2024-02-30", "d"))),
    "d-iso-24h": lambda: one(rows(c("A1", "2024-01-20T24:00:00", "d"))),
    # numbers under styles
    "styled-dates": lambda: one(rows(*(c(f"A{i}", v, s=s) for i, (v, s) in enumerate([
        ("45311", "d14"), ("45311.5625", "d22"), ("0.5625", "t45"),
        ("45311", "ymd"), ("45311", "cn"), ("45311", "fixed"),
        ("45311", "text"), ("0.75", "t21"), ("0.0001", "t47"), ("45311.999999", "d22"),
        ("-1", "d14"), ("2958465", "d14"), ("2958466", "d14"), ("45311", "general")], 1)))),
    "styled-small-serials": lambda: one(rows(*(
        c(f"A{i + 1}", str(i), s="d14") for i in range(62)),
        c("B1", "59.5", s="d22"), c("B2", "60.25", s="d22"), c("B3", "0.0", s="d14"))),
    "styled-fractional": lambda: one(rows(c("A1", "45311.25", s="d14"),
                                          c("A2", "45311.000001", s="d22"),
                                          c("A3", "45311.9999999999", s="d22"),
                                          c("A4", "1E-10", s="d22"))),
    "styled-durations": lambda: one(rows(c("A1", "1.5625", s="t46"), c("A2", "1.25", s="hms"),
                                         c("A3", "1E-10", s="t46"), c("A4", "100.5", s="hms"),
                                         c("A5", "-0.5", s="hms")),
                                    styles=styles_xml(durations=True)),
    "date1904": lambda: one(rows(c("A1", "0", s="d14"), c("A2", "43849", s="d14"),
                                 c("A3", "1.5", s="d22"), c("A4", "60", s="d14"),
                                 c("A5", "0.5", s="t46"), c("A6", "-1", s="d14")),
                            date1904=True, styles=styles_xml(durations=True)),
    "styles-out-of-range": lambda: one(rows(c("A1", "45311", s="40"), c("A2", "7", s="12"),
                                            c("A3", "x", "str", s="99"))),
    "no-styles": lambda: one(rows(c("A1", "45311", s="1"), c("A2", "7")), styles=None),
    "styles-numfmt-id-only": lambda: one(
        rows(c("A1", "45311", s="1"), c("A2", "45311", s="2")),
        styles=styles_xml([0, 14, 200], {})),  # a format id defined nowhere
    # structure
    "merged": lambda: one(
        rows(c("A1", "1"), c("B2", "2"), c("C3", "3")) + row(4, c("A4", "4"), c("B4", "44")),
        after='<mergeCells count="3"><mergeCell ref="A1:B2"/><mergeCell ref="C3:D4"/>'
              '<mergeCell ref="A4:A6"/></mergeCells>'),
    "merged-beyond": lambda: one(rows(c("A1", "1")),
                                 after='<mergeCells count="1"><mergeCell ref="B5:D9"/>'
                                       "</mergeCells>"),
    "merged-one-cell": lambda: one(rows(c("A1", "1")),
                                   after='<mergeCells count="1"><mergeCell ref="A1:A1"/>'
                                         "</mergeCells>"),
    "cells-without-r": lambda: one(row(1, c("", "1"), c("", "2"), c("D1", "4"), c("", "5"))),
    "rows-without-r": lambda: one(row(None, c("A1", "1")) + row(None, c("B2", "2"))
                                  + row(None, c("", "3"))),
    "rows-and-cells-without-r": lambda: one(row(None, c("", "1"), c("", "2"))
                                            + row(None, c("", "3"))),
    "cells-out-of-order": lambda: one(row(2, c("B2", "2")) + row(1, c("C1", "1"), c("A1", "0"))),
    "cell-ref-odd": lambda: one(rows(c("A1", "1")) + row(2, '<c r="b2"><v>2</v></c>')),
    "cell-ref-dollar": lambda: one(row(1, '<c r="$A$1"><v>1</v></c>')),
    "row-r-mismatch": lambda: one(row(5, c("A1", "1")) + row(1, c("B7", "2"))),
    "cell-other-namespace": lambda: one(rows(c("A1", "1")) + row(
        2, '<o:c xmlns:o="urn:other" r="B2"><o:v>2</o:v></o:c>')),
    "cell-main-prefix": lambda: one(rows(c("A1", "1")) + row(
        2, f'<x:c xmlns:x="{MAIN}" r="B2"><x:v>2</x:v></x:c>')),
    "sheet-prefixed": lambda: Package([Sheet("数据", root=(
        f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr">'
        '<x:is><x:t>前缀</x:t></x:is></x:c><x:c r="B1"><x:v>2</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"))]),
    "sheet-strict-namespace": lambda: Package([Sheet("数据", root=(
        '<worksheet xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"><sheetData>'
        '<row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>'))]),
    "sheetdata-odd-children": lambda: one(
        rows(c("A1", "1")) + "<foo><row r=\"3\"><c r=\"A3\"><v>3</v></c></row></foo>"
        + '<o:row xmlns:o="urn:o" r="4"><c r="A4"><v>4</v></c></o:row>' + "<!-- x -->"
        + row(5, c("A5", "5"))),
    "row-odd-children": lambda: one(row(1, c("A1", "1"), "<foo/>", "<extLst/>", c("B1", "2"))
                                    + row(2, '<o:x xmlns:o="urn:o"><c r="C2"><v>9</v></c></o:x>',
                                          c("A2", "3"))),
    "duplicate-v": lambda: one(rows('<c r="A1"><v>1</v><v>2</v></c>',
                                    '<c r="A2" t="s"><v>0</v><v>1</v></c>'),
                               strings=["<t>一</t>", "<t>二</t>"]),
    "v-with-children": lambda: one(rows('<c r="A1"><v>1<x/>2</v></c>',
                                        '<c r="A2" t="str"><v>a<b>b</b>c</v></c>')),
    "v-split-cdata": lambda: one(rows('<c r="A1"><v>1<![CDATA[2]]>3</v></c>',
                                      '<c r="A2" t="str"><v>a<!-- c -->b</v></c>')),
    "duplicate-cells": lambda: one(row(1, c("A1", "1"), c("A1", "2"))),
    "hidden-sheets": lambda: Package([
        Sheet("可见", rows(c("A1", "1"))), Sheet("隐藏", rows(c("A1", "2")), state="hidden"),
        Sheet("深藏", rows(c("A1", "3")), state="veryHidden")]),
    "odd-sheet-names": lambda: Package([
        Sheet("a&b <c> \"d\" 'e'", rows(c("A1", "1"))), Sheet(" 前后空格 ", rows(c("A1", "2"))),
        Sheet("表😀", rows(c("A1", "3"))), Sheet("History_x0041_", rows(c("A1", "4")))]),
    "empty-sheets": lambda: Package([Sheet("空"), Sheet("有", rows(c("C3", "1"))),
                                     Sheet("只有行", row(2) + row(5))]),
    "empty-cells-only": lambda: one(rows(c("A1", None), c("D6", None, s="d14"))),
    "styled-empty-far": lambda: one(rows(c("A1", "1"), c("E40", None, s="d14"))),
    "dimension-lies": lambda: Package([Sheet("数据", rows(c("B2", "1")),
                                             before='<dimension ref="A1:Z99"/>')]),
    "hyperlinks": lambda: Package([Sheet(
        "数据", rows(c("A1", "1")), after='<hyperlinks><hyperlink ref="C8" r:id="rIdH1"/>'
        '<hyperlink ref="A2:B3" location="数据!A1"/></hyperlinks>',
        rels=f'<Relationship Id="rIdH1" Type="{REL}/hyperlink" Target="https://example.org/" '
             'TargetMode="External"/>')]),
    "meta-record": lambda: Package([
        Sheet("数据", rows(c("A1", "1"))),
        Sheet("_docx_report", row(1, c("A1", None, "inlineStr", inner=inline("<t>pack</t>")),
                                  c("B1", None, "inlineStr", inner=inline("<t>某包</t>")))
              + row(2, c("A2", None, "inlineStr", inner=inline("<t>version</t>")), c("B2", "3")),
              state="veryHidden")]),
    "meta-float-version": lambda: Package([
        Sheet("数据", rows(c("A1", "1"))),
        Sheet("_docx_report", row(1, c("A1", "pack", "str"), c("B1", "名", "str")) + row(
            2, c("A2", "version", "str"), c("B2", "1.0")) + row(
            3, c("A3", "fingerprint", "str"), c("B3", "1E3")) + row(
            4, c("A4", "source", "str"), c("B4", "45311", s="d14")), state="hidden")]),
    "meta-record-empty": lambda: Package([Sheet("数据", rows(c("A1", "1"))),
                                          Sheet("_docx_report", rows(c("A2", "x", "str")),
                                                state="hidden")]),
    "meta-numeric-name": lambda: Package([
        Sheet("_docx_report", row(1, c("A1", "pack", "str"), c("B1", "0")) + row(
            3, c("A3", "fingerprint", "str"), c("B3", "1.5"))),
        Sheet("数据", rows(c("A1", "1")))]),
    # more numbers, strings and styles
    "num-python-only": lambda: one(rows(c("A1", "１２"), c("A2", "٣"), c("A3", "1_0.5"),
                                        c("A4", "1."), c("A5", ".5"), c("A6", "1e5"))),
    "num-extremes": lambda: one(rows(c("A1", "1e400"), c("A2", "-1e400"), c("A3", "1e-400"),
                                     c("A4", "4.9e-324"), c("A5", "1.7976931348623157e308"))),
    "num-type-attr": lambda: one(rows(c("A1", "5", "n"), '<c r="A2" t=""><v>6</v></c>',
                                      c("A3", None, "n", inner=inline("<t>字</t>")),
                                      c("A4", "0", "s", inner=inline("<t>字</t>"))),
                                 strings=["<t>共享</t>"]),
    "bool-plain": lambda: one(rows(c("A1", "1", "b"), c("A2", "0", "b"))),
    "bool-odd": lambda: one(rows(c("A1", "2", "b"), c("A2", "-1", "b"), c("A3", " 1", "b"))),
    "str-formula-f-first": lambda: one(rows(
        c("A1", None, "str", inner='<f>"结"&amp;"果"</f><v>结果</v>'),
        c("A2", None, inner="<f>3+4</f><v>7</v>"),
        c("A3", None, "b", inner="<f>TRUE()</f><v>1</v>"),
        c("A4", None, "str", inner='<f>""</f><v></v>'),
        c("A5", None, "e", inner="<f>1/0</f><v>#DIV/0!</v>"),
        '<c r="A6"><f t="shared" ref="A6:A7" si="0">B1</f><v>0</v></c>',
        '<c r="A7"><f t="shared" si="0"/><v>0</v></c>')),
    "sst-index-forms": lambda: one(rows(c("A1", " 1 ", "s"), c("A2", "01", "s"),
                                        c("A3", "+1", "s"), c("A4", "１", "s")),
                               strings=["<t>零</t>", "<t>一</t>"]),
    "sst-x005F": lambda: strings_case("<t>x005F_</t>", "<t>前x005F_后</t>", "<t>x005f_</t>"),
    "inline-x005F": lambda: one(rows(
        c("A1", None, "inlineStr", inner=inline("<t>x005F_</t>")),
        c("A2", None, "inlineStr", inner=inline("<t>前x005F_后</t>")))),
    "sst-long": lambda: strings_case("<t>" + "长" * 40_000 + "</t>", "<t>短</t>"),
    "inline-long": lambda: one(rows(c("A1", None, "inlineStr",
                                      inner=inline("<t>" + "长" * 40_000 + "</t>")))),
    "sst-ct-elsewhere": lambda: two_string_parts(content_type="xl/other.xml"),
    "sst-rel-elsewhere": lambda: two_string_parts(relationship="other.xml"),
    "sst-no-content-type": lambda: two_string_parts(content_type=None),
    "no-styles-plain": lambda: one(rows(c("A1", "45311"), c("A2", "7.5"),
                                        c("A3", "1", "b")), styles=None),
    "styles-custom-odd": lambda: one(
        rows(*(c(f"A{i}", "45311.5", s=str(i - 1)) for i in range(1, len(_ODD_FORMATS) + 1))),
        styles=styles_xml(list(range(170, 170 + len(_ODD_FORMATS))),
                          {170 + i: f for i, f in enumerate(_ODD_FORMATS)})),
    "styles-builtin-ids": lambda: one(
        rows(*(c(f"A{i}", "45311.5", s=str(i - 1)) for i in range(1, len(_BUILTIN) + 1))),
        styles=styles_xml(_BUILTIN, {})),
    "row-r-odd": lambda: one('<row r="01"><c r="A1"><v>1</v></c></row>'
                             '<row r=" 2"><c r="A2"><v>2</v></c></row>'),
    "comments-xml": lambda: Package([Sheet(
        "数据", rows(c("A1", "1")), after='<legacyDrawing r:id="rIdV"/>',
        rels=f'<Relationship Id="rIdC" Type="{REL}/comments" Target="../comments1.xml"/>')],
        extra={"xl/comments1.xml": (
            f'<comments xmlns="{MAIN}"><authors><author>甲</author></authors><commentList>'
            '<comment ref="E15" authorId="0"><text><t>批注</t></text></comment>'
            '<comment ref="A1" authorId="0"><text><r><t>另一</t></r></text></comment>'
            "</commentList></comments>").encode()}),
    "sst-mixed": lambda: strings_case("<t>a</t><r><t>b</t></r>", "<t>a</t><t>b</t>",
                                      '<t xml:space="default">  c  </t>', "<r><t> </t></r>",
                                      "<r><rPr/></r>"),
    "sst-no-v": lambda: one(rows(c("A1", None, "s"), c("A2", "0", "s")), strings=["<t>有</t>"]),
    "d-iso-more": lambda: one(rows(*(c(f"A{i}", v, "d") for i, v in enumerate([
        "2024-01-20T13:30:00+08:00", "T13:30", "2024-01-20 13:30", "2024-01-20T13:30",
        "13:30:59.123", "PT0S", "PT36H", "1900-01-01", "9999-12-31", "0001-01-01"],
        1)))),
    "date1904-true": lambda: broken(one(rows(c("A1", "0", s="d14"), c("A2", "1.5", s="d22"))),
                                     "xl/workbook.xml", lambda d: d.replace(
                                         b"<workbookPr/>", b'<workbookPr date1904="true"/>')),
    "date1904-prefixed": lambda: broken(one(rows(c("A1", "0", s="d14"))), "xl/workbook.xml",
                                         lambda d: d.replace(b"<workbookPr/>", (
                                             f'<p:workbookPr xmlns:p="{MAIN}" '
                                             'date1904="1"/>').encode())),
    "duplicate-sheet-names": lambda: Package([Sheet("表", rows(c("A1", "1"))),
                                              Sheet("表", rows(c("A1", "2"))),
                                              Sheet("表 ", rows(c("A1", "3")))]),
    "empty-sheet-name": lambda: Package([Sheet("", rows(c("A1", "1"))),
                                         Sheet("有名", rows(c("A1", "2")))]),
    "array-formula": lambda: one(rows('<c r="A1"><f t="array" ref="A1:A2">B1:B2*2</f>'
                                      "<v>2</v></c>", c("A2", "4"), c("B1", "1"))),
    "cell-attributes": lambda: one(row(1, '<c r="A1" cm="1" vm="1" ph="1" s="0"><v>1</v></c>')
                                   + '<row r="2" spans="1:3" hidden="1" ht="0" customHeight="1">'
                                   + c("C2", "2") + "</row>"),
    "str-formula-entities": lambda: one(rows(
        c("A1", None, "str", inner='<f aca="false">&quot;结&quot;&amp;&quot;果&quot;</f>'
                                   "<v>结果</v>"),
        c("A2", None, "str", inner="<f>&quot;a&lt;b&quot;</f><v>a&lt;b</v>"),
        c("A3", None, "n", inner="<f aca=\"false\">1&lt;2</f><v>1</v>"),
        c("A4", None, "str", inner="<f>B1</f><v>&#x52FE;&#31293;</v>"))),
    "entities-in-text": lambda: one(rows(
        c("A1", "0", "s"), c("A2", None, "inlineStr", inner=inline("<t>a&amp;b&lt;c&gt;</t>")),
        c("A3", "&#51;"), c("A4", "&quot;x&quot;", "str"), c("A5", "&#49;", "s"),
        c("A6", None, "inlineStr", inner=inline("<t>&#x20000;&#13;&#10;</t>"))),
        strings=["<t>&quot;引&quot;&apos;号&apos;</t>", "<t>二</t>"]),
    "cdata-comments-in-text": lambda: one(rows(
        c("A1", "0", "s"), c("A2", None, "inlineStr", inner=inline("<t><![CDATA[<b>]]></t>")),
        c("A3", None, "inlineStr", inner=inline("<t>a<!-- x -->b<?pi y?>c</t>")),
        c("A4", "<![CDATA[4]]>")),
        strings=["<t>a<!-- x -->b</t>"]),
    "utf16-sheet": lambda: broken(one(rows(c("A1", None, "inlineStr",
                                              inner=inline("<t>十六位</t>")), c("B2", "2"))),
                                   "xl/worksheets/sheet1.xml", lambda d: (
                                       '<?xml version="1.0" encoding="UTF-16"?>'
                                       + d.decode()).encode("utf-16")),
    "bom-and-declaration": lambda: broken(strings_case("<t>有声明</t>"), "xl/sharedStrings.xml",
                                           lambda d: b'\xef\xbb\xbf<?xml version="1.0" '
                                           b'encoding="UTF-8" standalone="yes"?>\r\n' + d),
    "three-letter-columns": lambda: one(rows(c("AAA1", "1"), c("XFD2", "2"), c("ZZ3", "3"))),
    "strict-workbook": lambda: strict(one(rows(c("A1", "1"), c("B2", "0", "s"))
                                           , strings=["<t>严格</t>"])),
    "pretty-printed": lambda: one(
        '\n  <row r="1">\n    <c r="A1" t="inlineStr">\n      <is>\n        <t>缩进</t>\n      '
        '</is>\n    </c>\n    <c r="B1">\n      <v>1</v>\n    </c>\n    <c r="C1" t="s">\n'
        '      <v>0</v>\n    </c>\n    <c r="D1" t="str">\n      <f>1</f>\n      <v>文</v>\n'
        '    </c>\n  </row>\n', strings=["\n  <t>共享</t>\n  "]),
    "styled-empty-rows": lambda: one(rows(c("A1", "1")) + '<row r="50" s="1" customFormat="1"/>'
                                     '<row r="60" ht="30" customHeight="1"></row>'),
    "sheetdata-self-closing": lambda: Package([Sheet("空", root=(
        f'<worksheet xmlns="{MAIN}"><dimension ref="A1"/><sheetData/></worksheet>')),
        Sheet("有", rows(c("A1", "1")))]),
    # cut by the boundaries of the chunks the guard parses a part in (64 KiB), at every byte
    "chunks-cells": lambda: chunked_sheet(lambda r: (
        c(f"A{r}", None, "inlineStr", inner=inline("<t>前&amp;后😀尾</t>"))
        + c(f"B{r}", "12345.5") + c(f"C{r}", "-1.2345E2") + c(f"D{r}", "0", "s")
        + c(f"E{r}", None, "str", inner="<f>1</f><v>文字</v>") + c(f"F{r}", "1", "b")
        + c(f"G{r}", "45311", s="d14") + c(f"H{r}", "34")), strings=["<t>共享</t>"]),
    "chunks-strings": lambda: chunked_strings(lambda k: (
        '<r><t>前&amp;后😀</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 尾 </t></r>'
        '<rPh sb="0" eb="1"><t>ゼン</t></rPh>')),
    "chunks-escapes": lambda: chunked_sheet(lambda r: c(
        f"A{r}", None, "inlineStr", inner=inline("<t>前_x000D_后&#13;</t>")) + c(f"B{r}", "7")),
    **{f"chunk-escape-{where}-{j}": (lambda j=j, shared=where == "strings": escape_cut(
        j, shared=shared)) for where in ("sheet", "strings") for j in range(1, 7)},
    # hostile or broken: refused (by the guard, or by openpyxl when it loads)
    "bad-no-workbook-content-type": lambda: broken(
        one(rows(c("A1", "1"))), "[Content_Types].xml",
        lambda d: re.sub(rb'<Override PartName="/xl/workbook.xml"[^>]*/>', b"", d)),
    "bad-macro-content-type": lambda: broken(
        one(rows(c("A1", "1"))), "[Content_Types].xml",
        lambda d: d.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml").replace(
            b"spreadsheetml.sheet.macroEnabled", b"ms-excel.sheet.macroEnabled")),
    "bad-no-content-types": lambda: broken(one(rows(c("A1", "1"))), "[Content_Types].xml",
                                            None),
    "bad-sheet-rid": lambda: broken(one(rows(c("A1", "1"))), "xl/workbook.xml",
                                     lambda d: d.replace(b'r:id="rIdS1"', b'r:id="rIdX"')),
    "bad-style-text": lambda: one(rows(c("A1", "45311", s="abc"))),
    "bad-style-negative": lambda: one(rows(c("A1", "45311", s="-1"), c("A2", "45311", s="-11"))),
    "bad-row-r-text": lambda: one('<row r="abc"><c r="A1"><v>1</v></c></row>'),
    "bad-font-size": lambda: one(rows(c("A1", "1")), styles=styles_xml().replace(
        '<sz val="11"/>', '<sz val="abc"/>')),
    "bad-numfmt-id": lambda: one(rows(c("A1", "45311", s="1")), styles=styles_xml().replace(
        'numFmtId="14"', 'numFmtId="x"')),
    "bad-no-cellxfs": lambda: one(rows(c("A1", "45311", s="1")), styles=re.sub(
        "<cellXfs.*</cellXfs>", "", styles_xml())),
    "bad-sheet-format": lambda: Package([Sheet("数据", rows(c("A1", "1")), before=(
        '<sheetFormatPr defaultRowHeight="abc"/><cols><col min="0" max="0" width="x"/></cols>'))]),
    "bad-core-props": lambda: Package([Sheet("数据", rows(c("A1", "1")))], extra={
        "docProps/core.xml": (
            b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            b'metadata/core-properties" xmlns:dcterms="http://purl.org/dc/terms/" '
            b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dcterms:created '
            b'xsi:type="dcterms:W3CDTF">not a date</dcterms:created></cp:coreProperties>')}),
    "bad-merge-overlap": lambda: one(rows(c("A1", "1"), c("B2", "2")), after=(
        '<mergeCells count="2"><mergeCell ref="A1:B2"/><mergeCell ref="B2:C3"/></mergeCells>')),
    "bad-defined-name": lambda: Package([Sheet("数据", rows(c("A1", "1")))], workbook_extra=(
        '<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="9">数据!$1:$1'
        '</definedName><definedName name="x">#REF!</definedName></definedNames>')),
    "bad-doctype": lambda: broken(one(rows(c("A1", "1"))), "xl/worksheets/sheet1.xml",
                                   lambda d: b'<!DOCTYPE x [<!ENTITY a "b">]>' + d),
    "bad-xml": lambda: broken(one(rows(c("A1", "1"))), "xl/worksheets/sheet1.xml",
                               lambda d: d[:-5]),
    "bad-strings-xml": lambda: broken(strings_case("<t>a</t>"), "xl/sharedStrings.xml",
                                       lambda d: d.replace(b"</sst>", b"")),
    "bad-missing-sheet-part": lambda: broken(one(rows(c("A1", "1"))),
                                              "xl/worksheets/sheet1.xml", None),
    "bad-missing-workbook-rels": lambda: broken(one(rows(c("A1", "1"))),
                                                 "xl/_rels/workbook.xml.rels", None),
    "bad-merge-ref": lambda: one(rows(c("A1", "1")),
                                 after='<mergeCells count="1"><mergeCell ref="A1:"/></mergeCells>'),
    "bad-huge-merge": lambda: one(rows(c("A1", "1")),
                                  after='<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/>'
                                        "</mergeCells>"),
    "bad-cell-ref": lambda: one(row(1, '<c r="A0"><v>1</v></c>')),
    "bad-row-number": lambda: one(row(0, c("", "1"))),
    "bad-bool": lambda: one(rows(c("A1", "yes", "b"))),
    "bad-shared-index": lambda: one(rows(c("A1", "x", "s")), strings=["<t>a</t>"]),
    "bad-no-sheets": lambda: Package([]),
    "bad-far-cell": lambda: one(rows(c("A1", "1"), c("XFD1048576", "2"))),
}


_ODD_FORMATS = ['"y"0', "[Red]0.00", "0.00_);[Red](0.00)", "[$-409]mmm-yy", "m/d", "General;@",
                "[$-F800]dddd, mmmm dd, yyyy", "0%", "#,##0", "mm:ss.0", "yyyy/m/d;@",
                "[DBNum1][$-804]yyyy\"年\"m\"月\"d\"日\"", "\\d0", "[hh]", "0.0E+00",
                "ss", "[$-804]aaaa", "e", "ge.m.d", "am/pm", "@\"日\""]
_BUILTIN = [0, 1, 2, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 30, 31, 36, 37,
            45, 47, 48, 49, 50, 55, 57, 58, 81]
