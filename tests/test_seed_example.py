"""The 2019 example is the seed report as published: no clause dropped, its paragraphs as they
were (the publication's own slips of punctuation included)."""

from __future__ import annotations

import openpyxl

from docx_report import workbook as wb
from tests.helpers import EXAMPLE_2019


def bodies(sheet: str) -> dict[str, list[str]]:
    ws = openpyxl.load_workbook(EXAMPLE_2019)[sheet]
    return {str(ws.cell(r, 1).value): str(ws.cell(r, 2).value or "").split("\n")
            for r in range(wb.INTRO_ROW, ws.max_row + 1) if ws.cell(r, 2).value}


def test_no_clause_is_dropped() -> None:
    text = bodies("一、总体情况")["（三）政府信息管理情况"]
    assert len(text) == 1
    assert "确保政府信息公开的安全和保密，把好文字关、政治观。按照《中华人民共和国" in text[0]


def test_paragraphs_are_as_published() -> None:
    overview = bodies("一、总体情况")
    assert len(overview["（五）监督保障情况"]) == 1  # one paragraph in the publication
    assert overview["（二）依申请公开办理情况"][0].endswith("有关的申诉案")  # no full stop there
    assert "同落实,深入贯彻" in overview["导语（可不填）"][0]
    assert len(bodies("五、问题及改进")["（二）改进情况"]) == 1
