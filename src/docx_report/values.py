"""Cell value parsers: one small class per value type, as clerks type values.

Each parser turns a raw cell value (what openpyxl returns: None, int, float, str, bool,
datetime) into a clean Python value, or raises ``ValueProblem`` with a Chinese message saying
what is wrong. Adding a value type means adding a class and registering it in ``TYPES``.

Accepted and normalised for numbers: numbers stored as text ("12"), full-width digits ("１２"),
thousands separators ("1,234"), surrounding spaces, 12.0 for 12. Amounts keep the decimals
typed (96171.6 stays 96171.6, never 96171.600000001).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

Number = int | Decimal
MAX_NUMBER = Decimal(10) ** 12  # no count or amount in a yearly report comes near this

# Characters XML 1.0 cannot store (Word would refuse the file): C0 controls but tab and newline,
# lone surrogates (only an _xD800_ escape can make one), U+FFFE and U+FFFF.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What Excel shows for a broken formula (the generic reader and the value parsers both refuse
# them).
EXCEL_ERRORS = frozenset({"#REF!", "#DIV/0!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!",
                          "#SPILL!", "#CALC!", "#GETTING_DATA"})
_PLACEHOLDERS = {"/", "／", "—", "——", "-", "－", "无", "空", "暂无", "null", "none", "n/a"}
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class ValueProblem(ValueError):
    """Raised by a parser when a cell's value is not acceptable; the message is Chinese."""


class CellError(str):
    """An Excel error value (``#REF!``, ``#N/A``…): what a cell shows when its formula broke.

    The workbook reader gives these for cells of error type, so that no parser takes one for
    text a clerk typed.
    """


def _error_value(raw: CellError, what: str) -> ValueProblem:
    return ValueProblem(f"单元格是 Excel 错误值 {raw}（公式出错），请改为{what}")


# Excel stores characters XML cannot hold as _xHHHH_ (a literal "_x" is written _x005F_x).
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CARRIAGE_RETURNS = re.compile(r"\r+\n?")  # Excel's CR LF (_x000D_ then a newline), or a CR


def clean_text(value: str) -> str:
    """Undo Excel's _xHHHH_ escapes, then drop characters Word cannot store; newlines → \\n."""
    value = _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    value = _CARRIAGE_RETURNS.sub("\n", value)
    return XML_ILLEGAL.sub("", value)


def format_date(value: dt.date) -> str:
    """A date as reports print it: 2024年3月1日."""
    return f"{value.year}年{value.month}月{value.day}日"


def _describe(raw: Any) -> str:
    text = str(raw)
    return text if len(text) <= 20 else text[:20] + "…"


class ValueType:
    """A value type: ``parse`` a raw cell, ``format`` a parsed value for the report."""

    name: ClassVar[str]
    numeric: ClassVar[bool] = False
    #: openpyxl data-validation type and operator for the blank workbook (None: no validation)
    validation: ClassVar[tuple[str, str | None, str | None] | None] = None
    default: ClassVar[Any] = None

    def parse(self, raw: Any) -> Any:
        raise NotImplementedError

    def format(self, value: Any) -> str:
        return "" if value is None else str(value)


class _NumberType(ValueType):
    numeric = True
    default = 0
    signed: ClassVar[bool] = False
    integer: ClassVar[bool] = True
    what: ClassVar[str] = "数字"

    def parse(self, raw: Any) -> Number:
        # a whole number typed where one is asked for (most cells): no Decimal needed
        whole = type(raw) is int and self.integer
        number: Number = raw if whole else self._to_decimal(raw)
        if number < 0 and not self.signed:
            raise ValueProblem(f"不能为负数，实为 {_describe(raw)}")
        if not -MAX_NUMBER < number < MAX_NUMBER:
            raise ValueProblem(f"数字过大（{_describe(raw)}），请检查是否多输入了位数")
        if whole:
            return number
        assert isinstance(number, Decimal)
        if self.integer:
            if number != number.to_integral_value():
                raise ValueProblem(f"应为整数（不能有小数），实为 {_describe(raw)}")
            return int(number)
        return number

    def _to_decimal(self, raw: Any) -> Decimal:
        if raw is None:
            raise ValueProblem(f"未填写（没有请填 0）；此处应填{self.what}")
        if isinstance(raw, bool):
            raise ValueProblem(f"此处应填{self.what}，实为逻辑值 {'TRUE' if raw else 'FALSE'}")
        if isinstance(raw, dt.datetime | dt.date | dt.time):
            raise ValueProblem(
                f"此处应填{self.what}，实为日期或时间（单元格格式可能被设成了日期，请改为常规）")
        if isinstance(raw, int):
            return Decimal(raw)
        if isinstance(raw, float):
            if raw != raw or raw in (float("inf"), float("-inf")):
                raise ValueProblem(f"此处应填{self.what}，实为无效数值")
            # repr() is the shortest text that reads back as the same float: what was typed.
            return Decimal(repr(raw))
        if isinstance(raw, Decimal):
            return raw
        if isinstance(raw, CellError):
            raise _error_value(raw, self.what)
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "")
        text = text.replace("\u2212", "-")  # the minus sign pasted from Word or a PDF
        if text.upper() in EXCEL_ERRORS:
            raise ValueProblem(f"单元格是 Excel 错误值 {text}，请改为{self.what}")
        if text == "":
            raise ValueProblem(f"未填写（没有请填 0）；此处应填{self.what}")
        if text.lower() in _PLACEHOLDERS:
            raise ValueProblem(f"此处应填{self.what}（没有请填 0），实为「{_describe(raw)}」")
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        if not _NUMBER.match(text):
            raise ValueProblem(f"此处应填{self.what}，实为「{_describe(raw)}」")
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
            raise ValueProblem(f"此处应填{self.what}，实为「{_describe(raw)}」") from None

    def format(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, Decimal):
            text = format(value, "f")
            return text
        return str(value)


class CountType(_NumberType):
    """A non-negative whole number (件数, 项目数)."""

    name = "count"
    what = "非负整数"
    validation = ("whole", "greaterThanOrEqual", "0")


class SignedType(_NumberType):
    """A whole number that may be negative (2019 本年增/减)."""

    name = "signed"
    what = "整数"
    signed = True
    validation = ("whole", None, None)


class AmountType(_NumberType):
    """A non-negative decimal amount, kept with the decimals typed (万元)."""

    name = "amount"
    what = "金额数字"
    integer = False
    validation = ("decimal", "greaterThanOrEqual", "0")

    def parse(self, raw: Any) -> Number:
        number = super().parse(raw)
        assert isinstance(number, Decimal)
        if number == number.to_integral_value() and number.as_tuple().exponent == 0:
            return int(number)
        return number


class TextType(ValueType):
    """A line of text (a line break the clerk typed is kept: a long 机关名称 broken by hand);
    blank is allowed unless the field is required."""

    name = "text"
    default = ""

    def parse(self, raw: Any) -> str:
        if raw is None:
            return ""
        if isinstance(raw, CellError):
            raise _error_value(raw, "文字")
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if isinstance(raw, dt.date):
            return format_date(raw)
        lines = (" ".join(line.split()) for line in clean_text(str(raw)).split("\n"))
        return "\n".join(line for line in lines if line)


class ParagraphsType(ValueType):
    """Narrative: one paragraph per line of the cell (Alt+Enter), empty lines dropped."""

    name = "paragraphs"
    default = ""

    def parse(self, raw: Any) -> list[str]:
        if raw is None:
            return []
        if isinstance(raw, CellError):
            raise _error_value(raw, "文字")
        text = clean_text(str(raw))
        lines = (line.strip().strip("\u3000") for line in text.split("\n"))
        return [" ".join(line.split()) for line in lines if line.strip().strip("\u3000")]

    def format(self, value: Any) -> str:
        return "\n".join(value or [])


class YearType(ValueType):
    """A report year: a four-digit year not in the future (a pack's field may set ``min``)."""

    name = "year"
    validation = ("whole", "between", None)
    minimum: ClassVar[int] = 1900

    def parse(self, raw: Any) -> int:
        text = raw
        if isinstance(raw, str):
            text = unicodedata.normalize("NFKC", raw).strip().removesuffix("年").strip()
        try:
            year = CountType().parse(text)
        except ValueProblem:
            raise ValueProblem(f"年度应为四位数年份，如 {dt.date.today().year - 1}，"
                               f"实为「{_describe(raw)}」") from None
        assert isinstance(year, int)
        this_year = dt.date.today().year
        if year < self.minimum:
            raise ValueProblem(f"年度 {year} 不合理：应为 {self.minimum} 年以后的年份")
        if year > this_year:
            raise ValueProblem(f"年度 {year} 在未来：报告只能报告已经过去的年份")
        return year


_DATE_TEXT = re.compile(r"^(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$")


class DateType(ValueType):
    """A calendar date: an Excel date, or text like 2024-01-20, 2024年1月20日, 2024/1/20."""

    name = "date"
    validation = ("date", None, None)

    def parse(self, raw: Any) -> dt.date | None:
        if raw is None:
            return None
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, CellError):
            raise _error_value(raw, "日期")
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raise ValueProblem(f"应为日期（如 2024年1月20日），实为数字 {_describe(raw)}")
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        if not text:
            return None
        match = _DATE_TEXT.match(text)
        if not match:
            raise ValueProblem(f"应为日期（如 2024年1月20日），实为「{_describe(raw)}」")
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            raise ValueProblem(f"日期「{text}」不存在") from None

    def format(self, value: Any) -> str:
        if value is None:
            return ""
        assert isinstance(value, dt.date)
        return format_date(value)


class ChoiceType(TextType):
    """One of a fixed list of texts (the choices are checked by the field, not the type)."""

    name = "choice"


TYPES: dict[str, ValueType] = {
    t.name: t()
    for t in (CountType, SignedType, AmountType, TextType, ParagraphsType, YearType, DateType,
              ChoiceType)
}


def value_type(name: str) -> ValueType:
    return TYPES[name]
