"""Figures in the narrative against the tables (rule N1), placeholders (N2): the corpus of
realistic paragraphs, then the same through check, build and --json with real workbooks."""

from __future__ import annotations

import functools
from decimal import Decimal

import pytest

from docx_report import narrative, narrative_parse
from docx_report.pack import Pack
from docx_report.reader import Narrative
from docx_report.report import check_workbook
from tests.helpers import EXAMPLE_2019, EXAMPLE_2021
from tests.narrative_corpus import CONSISTENT, INCONSISTENT


@functools.cache
def _tables(which: str) -> tuple[Pack, dict[str, object]]:
    checked = check_workbook(EXAMPLE_2021 if which == "2024" else EXAMPLE_2019)
    return checked.data.pack, checked.computed


def flagged(which: str, text: str) -> set[str]:
    pack, computed = _tables(which)
    labels = {f.label: "+".join(f.of) for f in pack.narrative_figures}
    problems = narrative.check_figures(pack, {"overview": Narrative(intro=[text])},
                                       computed, year=int(which))  # type: ignore[arg-type]
    found = set()
    for p in problems:
        [label] = [k for k in labels if f"与{k}（" in p.message]
        found.add(labels[label])
    return found


def test_the_corpus_every_inconsistency_caught_and_no_false_alarm() -> None:
    assert len(CONSISTENT) + len(INCONSISTENT) >= 40
    assert len(CONSISTENT) >= 20 and len(INCONSISTENT) >= 20
    tp = fp = fn = 0
    false_alarms, misses = [], []
    for which, text in CONSISTENT:
        got = flagged(which, text)
        fp += len(got)
        if got:
            false_alarms.append((text, got))
    for which, text, expected in INCONSISTENT:
        got = flagged(which, text)
        tp += len(got & expected)
        fp += len(got - expected)
        fn += len(expected - got)
        if got != expected:
            misses.append((text, expected, got))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\nnarrative corpus: {len(CONSISTENT)} consistent + {len(INCONSISTENT)} inconsistent "
          f"paragraphs; precision {precision:.1%} ({tp}/{tp + fp}), "
          f"recall {recall:.1%} ({tp}/{tp + fn})")
    assert false_alarms == []
    assert misses == []


def test_the_message_quotes_the_sentence_and_names_the_figure() -> None:
    pack, computed = _tables("2024")
    story = Narrative(intro=["导语。"], subsections=[("（二）依申请公开", [
        "全年新收政府信息公开申请60件，上年结转4件，均在法定期限内答复。申请内容主要涉及企业登记。"])],
        rows=[6])
    [p] = narrative.check_figures(pack, {"overview": story}, computed)  # type: ignore[arg-type]
    assert (p.sheet, p.cell, p.rule, p.level.value) == ("一、总体情况", "B6", "N1", "warning")
    assert p.message == ("“全年新收政府信息公开申请60件，上年结转4件，均在法定期限内答复。”中的"
                         "“新收政府信息公开申请60件”与表三“一、本年新收政府信息公开申请数量”总计（63）不一致")


@pytest.mark.parametrize(("text", "value"), [
    ("六十三", 63), ("一百零五", 105), ("两千", 2000), ("十二", 12), ("三万五千", 35000),
    ("一千二百三十", 1230), ("二〇二四", 2024), ("百", 100), ("一万零八", 10008)])
def test_chinese_numerals(text: str, value: int) -> None:
    assert narrative_parse.cn_number(text) == value


def test_numbers_in_their_units() -> None:
    text = "收费2.4亿元，约1.2万条，共６３件，20个工作日"
    [a, b, c] = narrative_parse.numbers(text, ["件", "条", "元", "个"])
    assert (a.value, a.unit) == (Decimal("240000000.0"), "元")
    assert (b.value, b.ulp, b.approx) == (Decimal("12000.0"), Decimal("1000.0"), frozenset({"约"}))
    assert c.value == 63


def test_numbers_need_a_unit_unless_a_unit_may_be_empty() -> None:
    """Clauses without any of the units give no number (looked for first, without the full
    pattern); with an empty unit every number counts; approximate words still lead."""
    assert narrative_parse.numbers("全年召开会议3次，印发文件", ["件"]) == []
    [bare] = narrative_parse.numbers("共63", ["", "件"])
    assert (bare.value, bare.unit, bare.text) == (Decimal(63), "", "63")
    [about] = narrative_parse.numbers("收到约六十件", ["件"])
    assert (about.value, about.approx, about.start) == (Decimal(60), frozenset({"约"}), 2)


def test_full_width_digits_are_read_and_other_text_kept() -> None:
    pack, _ = _tables("2024")
    reader = narrative.Reader.of(pack)
    wide = list(reader.statements("全年新收政府信息公开申请６３件。", 2024))
    plain = list(reader.statements("全年新收政府信息公开申请63件。", 2024))
    assert [s.number for s in wide] == [s.number for s in plain] and plain
    assert wide[0].sentence == "全年新收政府信息公开申请63件。"
