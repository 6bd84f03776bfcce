"""Cell value parsers: what clerks type, accepted and normalised or refused in Chinese."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from docx_report.values import (
    TYPES,
    AmountType,
    CellError,
    CountType,
    DateType,
    ParagraphsType,
    SignedType,
    TextType,
    ValueProblem,
    YearType,
    clean_text,
    value_type,
)

THIS_YEAR = dt.date.today().year


@pytest.mark.parametrize(("raw", "expected"), [
    (12, 12), (0, 0), (12.0, 12), ("12", 12), ("１２", 12), (" 12 ", 12), ("\u300012\u3000", 12),
    ("1,234", 1234), ("１，２３４", 1234), ("12,345,678", 12345678), ("+5", 5), ("1 234", 1234),
    (Decimal("3"), 3), ("7.0", 7), (999_999_999_999, 999_999_999_999),
])
def test_count_accepts_what_clerks_type(raw: Any, expected: int) -> None:
    value = CountType().parse(raw)
    assert value == expected and type(value) is int


@pytest.mark.parametrize(("raw", "says"), [
    (None, "未填写（没有请填 0）"),
    (1e20, "数字过大"),
    ("1000000000000", "数字过大"),
    ("", "未填写"),
    ("   ", "未填写"),
    ("/", "没有请填 0），实为「/」"),
    ("／", "实为「／」"),
    ("—", "实为「—」"),
    ("——", "实为「——」"),
    ("-", "实为「-」"),
    ("无", "实为「无」"),
    ("暂无", "实为「暂无」"),
    ("N/A", "实为「N/A」"),
    ("见附件", "此处应填非负整数，实为「见附件」"),
    (-1, "不能为负数，实为 -1"),
    ("-1", "不能为负数"),
    (2.5, "应为整数（不能有小数），实为 2.5"),
    ("2.5", "应为整数"),
    ("1e3", "实为「1e3」"),
    ("1,23", "实为「1,23」"),
    ("12,34,567", "实为「12,34,567」"),
    (True, "逻辑值 TRUE"),
    (False, "逻辑值 FALSE"),
    (dt.datetime(2024, 3, 1), "日期"),
    (dt.date(2024, 3, 1), "日期"),
    (dt.time(8, 30), "日期或时间"),
    (float("nan"), "无效数值"),
    (float("inf"), "无效数值"),
    ("#REF!", "错误值 #REF!"),
    (CellError("#N/A"), "错误值 #N/A"),
    (CellError("#DIV/0!"), "公式出错"),
    ("很长" * 12 + "的说明文字", "很长" * 10 + "…"),
])
def test_count_refuses_with_a_chinese_reason(raw: Any, says: str) -> None:
    with pytest.raises(ValueProblem) as info:
        CountType().parse(raw)
    assert says in str(info.value)


@pytest.mark.parametrize(("raw", "expected"), [
    (-3, -3), ("-3", -3), ("－3", -3), ("+3", 3), (0, 0), (-3.0, -3), ("-1,200", -1200)])
def test_signed_accepts_a_sign(raw: Any, expected: int) -> None:
    assert SignedType().parse(raw) == expected


@pytest.mark.parametrize("raw", [1.5, "-1.5", "/", None, "减少3"])
def test_signed_still_refuses_non_integers(raw: Any) -> None:
    with pytest.raises(ValueProblem, match="整数"):
        SignedType().parse(raw)


@pytest.mark.parametrize(("raw", "printed"), [
    (24252.311082, "24252.311082"),
    (96171.6, "96171.6"),
    (7730.28, "7730.28"),
    (0.1, "0.1"),
    (5000, "5000"),
    ("24,252.311082", "24252.311082"),
    ("１２３．４５", "123.45"),
    ("1234.50", "1234.50"),  # the decimals typed are kept
    (" 0 ", "0"),
])
def test_amount_keeps_the_decimals_typed(raw: Any, printed: str) -> None:
    amount = AmountType()
    value = amount.parse(raw)
    assert amount.format(value) == printed
    assert not isinstance(value, float)


def test_amount_sums_exactly() -> None:
    amount = AmountType()
    assert amount.parse(0.1) + amount.parse(0.2) == Decimal("0.3")


@pytest.mark.parametrize(("raw", "says"), [
    (-1.5, "不能为负数"), ("约两万", "此处应填金额数字"), (None, "未填写"), ("/", "实为「/」"),
    (9.9e15, "数字过大")])
def test_amount_refuses(raw: Any, says: str) -> None:
    with pytest.raises(ValueProblem, match=says):
        AmountType().parse(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    (None, ""), ("  临江市   市场监督管理局 ", "临江市 市场监督管理局"), (12.0, "12"), (12, "12"),
    (12.5, "12.5"), (dt.datetime(2024, 1, 5), "2024年1月5日"),
    (dt.date(2024, 1, 5), "2024年1月5日"),
    ("临江市_x0007_市场", "临江市市场"), ("a\x07b\x0bc", "abc"), ("a\tb", "a b"),
    ("_x005F_x0007_", "_x0007_"), (float("nan"), "nan"),
])
def test_text_is_cleaned(raw: Any, expected: str) -> None:
    assert TextType().parse(raw) == expected


def test_text_refuses_an_excel_error_value() -> None:
    with pytest.raises(ValueProblem, match="错误值 #REF!"):
        TextType().parse(CellError("#REF!"))
    assert TextType().parse("#REF!") == "#REF!"  # typed by hand, it is just text


@pytest.mark.parametrize(("raw", "expected"), [
    (None, []),
    ("", []),
    ("第一段\n第二段", ["第一段", "第二段"]),
    ("第一段\r\n\r\n  第二段  \n\n", ["第一段", "第二段"]),
    ("第一段_x000D_\n第二段", ["第一段", "第二段"]),
    ("\u3000\u3000首行缩进", ["首行缩进"]),
    ("空  格\t多", ["空 格 多"]),
    ("响铃\x07字符", ["响铃字符"]),
    ("{{ 7*7 }}{% raw %}", ["{{ 7*7 }}{% raw %}"]),
    (2024, ["2024"]),
])
def test_paragraphs_split_on_line_breaks(raw: Any, expected: list[str]) -> None:
    assert ParagraphsType().parse(raw) == expected


def test_paragraphs_refuse_an_excel_error_and_format_back() -> None:
    with pytest.raises(ValueProblem, match="#VALUE!"):
        ParagraphsType().parse(CellError("#VALUE!"))
    assert ParagraphsType().format(["一", "二"]) == "一\n二"


@pytest.mark.parametrize(("raw", "expected"), [
    (2024, 2024), (2024.0, 2024), ("2024", 2024), ("2024年", 2024), ("２０２４年", 2024),
    (" 2019 ", 2019), (2008, 2008), (THIS_YEAR, THIS_YEAR)])
def test_year_accepts(raw: Any, expected: int) -> None:
    assert YearType().parse(raw) == expected


@pytest.mark.parametrize(("raw", "says"), [
    ("去年", "四位数年份"), ("二〇二四", "四位数年份"), (None, "四位数年份"),
    (2024.5, "四位数年份"), (True, "四位数年份"), (dt.datetime(2024, 1, 1), "四位数年份"),
    (CellError("#REF!"), "#REF!"),
    (1899, "1900 年以后"), (THIS_YEAR + 1, "在未来"), (99999, "在未来")])
def test_year_refuses(raw: Any, says: str) -> None:
    with pytest.raises(ValueProblem, match=says):
        YearType().parse(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    (dt.datetime(2025, 1, 20, 9, 30), dt.date(2025, 1, 20)),
    (dt.date(2025, 1, 20), dt.date(2025, 1, 20)),
    ("2025-01-20", dt.date(2025, 1, 20)),
    ("2025年1月20日", dt.date(2025, 1, 20)),
    ("2025 年 1 月 20 日", dt.date(2025, 1, 20)),
    ("２０２５年１月２０日", dt.date(2025, 1, 20)),
    ("2025/1/20", dt.date(2025, 1, 20)),
    ("2025.1.20", dt.date(2025, 1, 20)),
    (None, None),
    ("  ", None),
])
def test_date_accepts(raw: Any, expected: dt.date | None) -> None:
    assert DateType().parse(raw) == expected


@pytest.mark.parametrize(("raw", "says"), [
    (45678, "实为数字 45678"), ("2025-02-30", "不存在"), ("明天", "应为日期"),
    ("2025年1月", "应为日期"), (CellError("#NAME?"), "#NAME?"), (dt.time(9, 0), "应为日期")])
def test_date_refuses(raw: Any, says: str) -> None:
    with pytest.raises(ValueProblem, match=says.replace("?", r"\?")):
        DateType().parse(raw)


def test_formats_print_as_the_report_does() -> None:
    assert DateType().format(dt.date(2025, 1, 5)) == "2025年1月5日"
    assert DateType().format(None) == ""
    assert CountType().format(1268) == "1268"
    assert SignedType().format(-3) == "-3"
    assert AmountType().format(Decimal("96171.60")) == "96171.60"
    assert CountType().format(None) == ""


def test_clean_text_undoes_excel_escapes_and_drops_what_word_cannot_store() -> None:
    assert clean_text("a_x000D_\r\nb\rc") == "a\nb\nc"
    assert clean_text("x_x0001_y\x1fz\ufffe") == "xyz"
    assert clean_text("_x4E2D_文") == "中文"
    assert clean_text("保留\t制表符\n与换行") == "保留\t制表符\n与换行"
    assert clean_text("_xZZZZ_") == "_xZZZZ_"
    assert clean_text("a_xD800_b") == "ab"  # a lone surrogate cannot even be encoded


def test_every_registered_type_is_found_by_name() -> None:
    assert set(TYPES) == {"count", "signed", "amount", "text", "paragraphs", "year", "date",
                          "choice"}
    for name, parser in TYPES.items():
        assert value_type(name) is parser and parser.name == name
    assert [name for name, t in TYPES.items() if t.numeric] == ["count", "signed", "amount"]
