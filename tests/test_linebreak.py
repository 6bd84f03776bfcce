"""A long 机关名称 in the title and the signature: broken between words, in balanced lines, a
typed line break kept; checked on the words and in the PDF LibreOffice makes of the report."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from docx_report.cli import main
from docx_report.linebreak import balanced_lines, width_of, words
from docx_report.sandbox import ENV
from tests.helpers import EXAMPLE_2021, copy_example, set_cells
from tests.test_pdf import pdftotext

LONG = "临江市人力资源和社会保障局劳动保障监察支队城东大队"
LONG_WORDS = ["临江市", "人力资源和", "社会保障局", "劳动保障", "监察支队", "城东大队"]


@pytest.mark.parametrize(("name", "expected"), [
    (LONG, LONG_WORDS),
    ("临江市市场监督管理局", ["临江市", "市场监督管理局"]),
    ("广州市天河区人民政府办公室", ["广州市", "天河区", "人民政府", "办公室"]),
    ("某某自治州某某县住房和城乡建设局", ["某某自治州", "某某县", "住房和城乡建设局"]),
    ("中华人民共和国国家发展和改革委员会", ["中华人民共和国", "国家", "发展和改革", "委员会"]),
])
def test_names_are_cut_into_words(name: str, expected: list[str]) -> None:
    assert words(name) == expected
    assert "".join(words(name)) == name


def test_short_names_stay_on_one_line() -> None:
    assert balanced_lines("临江市市场监督管理局", 20) == "临江市市场监督管理局"


@pytest.mark.parametrize("width", [8, 12, 15, 20, 22])
def test_long_names_break_between_words_in_balanced_lines(width: int) -> None:
    lines = balanced_lines(LONG, width).split("\n")
    assert "".join(lines) == LONG
    assert all(width_of(line) <= width for line in lines)
    boundaries = {sum(map(len, LONG_WORDS[:i])) for i in range(len(LONG_WORDS) + 1)}
    cuts = [sum(map(len, lines[:i])) for i in range(1, len(lines))]
    assert set(cuts) <= boundaries, lines  # never inside a word
    # As few lines as the width allows, and balanced: no line longer than it must be.
    assert len(lines) == -(-len(LONG) // width) or len(lines) == -(-len(LONG) // width) + 1
    assert max(map(len, lines)) - min(map(len, lines)) <= max(map(len, LONG_WORDS))


def test_twenty_five_characters_make_two_near_equal_title_lines() -> None:
    assert balanced_lines(LONG, 20) == "临江市人力资源和社会保障局\n劳动保障监察支队城东大队"


def test_a_typed_line_break_is_kept() -> None:
    typed = "临江市人力资源和社会保障局\n劳动保障监察支队"
    assert balanced_lines(typed, 20) == typed
    assert balanced_lines(typed, 8).split("\n")[-1] == "劳动保障监察支队"


def test_no_break_point_short_enough_breaks_between_characters() -> None:
    assert balanced_lines("一二三四五六七八九十", 4).split("\n") == ["一二三四", "五六七", "八九十"]


def test_huge_text_is_filled_quickly() -> None:
    text = "人力资源" * 5000
    start = time.monotonic()
    lines = balanced_lines(text, 20).split("\n")
    assert time.monotonic() - start < 2
    assert "".join(lines) == text and all(width_of(line) <= 20 for line in lines)


def test_the_filter_is_in_the_template_sandbox() -> None:
    out = ENV.from_string("{{ agency|balanced_lines(20) }}").render(agency=LONG)
    assert out == "临江市人力资源和社会保障局\n劳动保障监察支队城东大队"


@pytest.mark.pdf
@pytest.mark.parametrize("agency", [LONG, "临江市人力资源和社会保障局\n劳动保障监察支队"],
                         ids=["long", "typed"])
def test_report_title_and_signature_break_between_words(tmp_path: Path, agency: str) -> None:
    workbook = set_cells(copy_example(tmp_path, EXAMPLE_2021), {("基本信息", "B4"): agency})
    out = tmp_path / "报告.docx"
    result = CliRunner().invoke(main, ["build", str(workbook), "--pdf", "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in pdftotext(out.with_suffix(".pdf")).splitlines()
             if line.strip()]
    title = balanced_lines(agency, 20).split("\n")
    signature = balanced_lines(agency, 22).split("\n")
    assert len(title) > 1
    assert lines[:len(title)] == title  # the title, line for line
    date = lines.index("2025 年 1 月 20 日")
    assert lines[date - len(signature):date] == signature  # the signature above the date
    name_words = [w for line in agency.split("\n") for w in words(line)]
    boundaries = {sum(map(len, name_words[:i])) for i in range(len(name_words) + 1)}
    flat = re.sub(r"\s+", "", agency)
    for printed in (title, signature):
        cuts = {sum(map(len, printed[:i])) for i in range(1, len(printed))}
        assert cuts <= boundaries and "".join(printed) == flat, printed
    if "\n" in agency:  # a typed line break stays where it was typed
        typed_at = len(agency.split("\n")[0])
        for printed in (title, signature):
            assert typed_at in {sum(map(len, printed[:i])) for i in range(1, len(printed))}
