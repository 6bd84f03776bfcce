"""Checks: every mistake of a workbook in one run, each at its cell, errors before warnings;
the mistakes found in real published reports; ``check --json``; exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from docx_report.cli import main
from docx_report.errors import Level
from docx_report.report import check_workbook
from tests.helpers import (
    EXAMPLE_2019,
    EXAMPLE_2021,
    EXAMPLE_2021_PREVIOUS,
    T2,
    T3,
    T4,
    copy_example,
    set_cells,
)

FACTS, SIX = "基本信息", "六、其他事项"

# Twelve mistakes over the facts and the three tables of the 2021 example, none hiding another
# (a cell that cannot be read leaves the sums through it unchecked, so the planted totals sit
# in columns and rows whose other cells are fine).
PLANTED: dict[tuple[str, str], tuple[Any, str]] = {
    (FACTS, "B4"): (None, "机关名称：必须填写"),
    (FACTS, "B7"): (dt.datetime(2024, 6, 1), "应在2024年结束之后"),
    (T2, "B7"): ("/", "规章/本年制发件数：此处应填非负整数"),
    (T2, "B11"): (-5, "不能为负数"),
    (T2, "B18"): ("abc", "此处应填金额数字"),
    (T3, "D10"): ("无", "（一）予以公开/自然人"),
    (T3, "E12"): (2.5, "应为整数"),
    (T3, "J8"): (60, "应为 63（各项之和），实为 60"),  # R3
    (T3, "F31"): (5, "应为 1（各项之和），实为 5"),  # R2
    (T3, "G32"): (1, "第一项加第二项之和（0）应等于第三项（七）总计加第四项之和（1）"),  # R1
    (T4, "E8"): (0, "应为 6（各项之和），实为 0"),  # R4
    (T4, "F8"): (True, "逻辑值"),
}
NO_FEE_TEXT = {(SIX, "B4"): "本年度无其他需要报告的事项。"}  # R10: a warning


def cli(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "内部错误" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    cells = {where: value for where, (value, _) in PLANTED.items()}
    return set_cells(copy_example(tmp_path), {**cells, **NO_FEE_TEXT})


def test_twelve_planted_mistakes_give_exactly_twelve_located_errors(planted: Path) -> None:
    checked = check_workbook(planted)
    errors = {(p.sheet, p.cell): p.message for p in checked.errors}
    assert len(checked.errors) == 12, "\n".join(p.format() for p in checked.problems)
    assert set(errors) == set(PLANTED)
    for where, (_, says) in PLANTED.items():
        assert says in errors[where], (where, errors[where])
    assert [(p.sheet, p.cell) for p in checked.warnings] == [(SIX, "B4")]
    levels = [p.level for p in checked.problems]
    assert levels == sorted(levels, key=lambda level: level is not Level.ERROR)
    assert levels[-1] is Level.WARNING


def test_check_prints_all_twelve_errors_first_then_the_warning(planted: Path) -> None:
    result = cli("check", planted)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split("  ")[0] for line in lines[:13]] == ["错误"] * 12 + ["警告"]
    assert lines[-1].endswith("12 处错误，1 处警告；改正错误后才能生成报告")
    for (sheet, cell), (_, says) in PLANTED.items():
        assert any(line.startswith(f"错误  {sheet}!{cell}  ") and says in line for line in lines)


def test_check_json_parses_and_locates_every_problem(planted: Path) -> None:
    result = cli("check", "--json", planted)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["pack"] == "gov-disclosure-2021"
    assert (report["errors"], report["warnings"]) == (12, 1)
    problems = report["problems"]
    assert all({"level", "sheet", "cell", "message", "file", "rule"} <= set(p) for p in problems)
    assert {(p["sheet"], p["cell"]) for p in problems if p["level"] == "error"} == set(PLANTED)
    assert [p["level"] for p in problems] == ["error"] * 12 + ["warning"]
    assert {p["rule"] for p in problems} >= {"R1", "R2", "R3", "R4", "R5", "R10"}


def test_check_json_of_a_clean_workbook() -> None:
    result = cli("check", "--json", EXAMPLE_2021)
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["errors"], report["warnings"], report["problems"]) == (0, 0, [])


def test_build_refuses_the_planted_workbook_with_the_same_twelve(planted: Path) -> None:
    out = planted.parent / "报告.docx"
    result = cli("build", planted, "-o", out)
    assert result.exit_code == 1
    assert sum(line.startswith("错误  ") for line in result.stderr.splitlines()) == 12
    assert "12 处错误，1 处警告；改正错误后才能生成报告（未写出任何文件）" in result.stderr
    assert not out.exists()


# ---------------------------------------------------------------------------------------------
# Mistakes found in real published reports


def test_table_four_totals_typed_zero_beside_non_zero_parts(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(T4, "E8"): 0, (T4, "J8"): 0, (T4, "O8"): 0})
    checked = check_workbook(path)
    found = {(p.cell, p.rule): p.message for p in checked.errors}
    assert set(found) == {("E8", "R4"), ("J8", "R4"), ("O8", "R4")}
    assert "行政复议·总计：应为 6（各项之和），实为 0" in found["E8", "R4"]
    assert "未经复议直接起诉·总计：应为 4" in found["J8", "R4"]
    assert "复议后起诉·总计：应为 2" in found["O8", "R4"]


def test_total_of_outcomes_that_is_not_the_sum_of_its_rows(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(T3, "D31"): 50})
    [problem] = check_workbook(path).errors
    assert (problem.sheet, problem.cell, problem.rule) == (T3, "D31", "R2")
    assert problem.message == "（七）总计/自然人：应为 49（各项之和），实为 50"


def test_blank_totals_are_computed_not_errors(tmp_path: Path) -> None:
    blanks: dict[tuple[str, str], Any] = {(T3, f"J{row}"): None for row in range(8, 33)}
    blanks.update({(T3, f"{col}31"): None for col in "DEFGHI"})
    blanks.update({(T4, ref): None for ref in ("E8", "J8", "O8")})
    path = set_cells(copy_example(tmp_path), blanks)
    checked = check_workbook(path)
    assert checked.problems == []
    computed = checked.context()
    assert computed["requests"]["done_total"]["total"] == "64"
    assert computed["requests"]["done_total"]["natural"] == "49"
    assert computed["review"]["review"]["total"] == "6"


def test_blank_totals_still_catch_rule_one(tmp_path: Path) -> None:
    """With the totals blank, R1 still sees the computed （七）总计 (and the 总计 column)."""
    path = set_cells(copy_example(tmp_path), {(T3, "D31"): None, (T3, "J31"): None,
                                              (T3, "D32"): 3})
    # One cause, one message: the 总计 column fails R1 only because 自然人 does.
    [natural] = check_workbook(path).errors
    assert (natural.cell, natural.rule) == ("D32", "R1")
    assert "（51）" in natural.message and "（52）" in natural.message


def test_a_wrong_carried_cell_with_previous_is_one_message_not_two(tmp_path: Path) -> None:
    """R6 with --previous: the wrong 上年结转·自然人 is reported; its computed 总计 is not."""
    path = set_cells(copy_example(tmp_path), {(T3, "D9"): 5, (T3, "D32"): 4})  # R1 still holds
    checked = check_workbook(path, previous=EXAMPLE_2021_PREVIOUS)
    assert [(p.cell, p.rule) for p in checked.errors] == [("D9", "R6")]
    assert "（3），实为 5" in checked.errors[0].message


def test_a_2021_report_on_the_2019_layout_is_warned(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path, EXAMPLE_2019),
                     {(FACTS, "B6"): 2021, (FACTS, "B7"): dt.datetime(2022, 1, 28)})
    checked = check_workbook(path)
    assert checked.errors == []
    [warning] = checked.warnings
    assert (warning.sheet, warning.cell, warning.rule) == (FACTS, "B6", "R9")
    assert "2021年度的报告应使用政府信息公开工作年度报告（2021年格式）" in warning.message


def test_the_seed_report_of_2022_on_the_2019_layout_is_warned() -> None:
    checked = check_workbook(EXAMPLE_2019)
    assert [(p.level, p.cell, p.rule) for p in checked.problems] == [
        (Level.WARNING, "B6", "R9")]


def test_a_2020_report_on_the_2021_layout_is_warned(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path),
                     {(FACTS, "B6"): 2020, (FACTS, "B7"): dt.datetime(2021, 1, 28)})
    warnings = check_workbook(path).warnings
    [warning] = [w for w in warnings if w.rule == "R9"]
    assert "2019年格式" in warning.message
    # the narrative still speaks of 2024: its first paragraph (N5) and a year after 2021 (N4)
    assert {w.rule for w in warnings} == {"R9", "N4", "N5"}


# ---------------------------------------------------------------------------------------------
# Exit codes


def test_exit_code_zero_with_warnings_only(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), NO_FEE_TEXT)
    result = cli("check", path)
    assert result.exit_code == 0
    assert result.stderr.startswith(f"警告  {SIX}!B4  ")
    assert result.stdout.strip().endswith("没有错误，1 处警告")


def test_exit_code_zero_when_clean() -> None:
    result = cli("check", EXAMPLE_2021)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.strip().endswith("没有错误")


def test_exit_code_one_with_errors(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(T3, "D8"): "/"})
    assert cli("check", path).exit_code == 1


@pytest.mark.parametrize("args", [
    ["check"],
    ["check", "不存在的文件.xlsx"],
    ["check", str(EXAMPLE_2021), "--no-such-option"],
    ["check", str(EXAMPLE_2021), "--pack", "gov-disclosure-1999"],
    ["check", str(EXAMPLE_2021), "--previous"],
    ["build", str(EXAMPLE_2021), "--previous", "不存在的文件.xlsx"],
    ["check", str(EXAMPLE_2021.parent)],
], ids=["no-file", "missing-file", "bad-option", "bad-pack", "option-without-value",
        "missing-previous", "a-folder"])
def test_exit_code_two_for_usage_mistakes(args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output


def test_previous_with_errors_is_used_as_far_as_it_can_be_read(tmp_path: Path) -> None:
    current = copy_example(tmp_path)
    (tmp_path / "prev").mkdir()
    previous = set_cells(copy_example(tmp_path / "prev", EXAMPLE_2021_PREVIOUS),
                         {(T2, "D7"): "/", (T3, "D32"): 2})
    checked = check_workbook(current, previous=previous)
    assert any("上年工作簿有 1 处无法读取" in p.message for p in checked.warnings)
    # last year's 结转 is now 2 (natural) and 3 (total); this year's 上年结转 says 3 and 4 (R6):
    # one cause, one message (the 总计 differs only because 自然人 does)
    assert [(p.sheet, p.cell, p.rule) for p in checked.errors] == [(T3, "D9", "R6")]
    assert "（2），实为 3" in checked.errors[0].message


def test_pack_can_be_named_and_must_fit(tmp_path: Path) -> None:
    assert cli("check", "--pack", "gov-disclosure-2021", EXAMPLE_2021).exit_code == 0
    result = cli("check", "--pack", "gov-disclosure-2019", EXAMPLE_2021)
    assert result.exit_code == 1
    assert "这个工作簿是按「gov-disclosure-2021」格式生成的" in result.stderr


@pytest.mark.parametrize(("example", "pack"), [(EXAMPLE_2021, "gov-disclosure-2021"),
                                               (EXAMPLE_2019, "gov-disclosure-2019")])
def test_a_workbook_that_lost_its_pack_record_is_recognised_by_its_labels(
        example: Path, pack: str, tmp_path: Path) -> None:
    """Both formats have the same sheet names; the labels tell them apart."""
    path = copy_example(tmp_path, example)
    book = openpyxl.load_workbook(path)
    del book["_docx_report"]
    book.save(path)
    checked = check_workbook(path)
    assert checked.data.pack.name == pack
    assert checked.errors == []


def test_a_cleared_subsection_title_warns_that_its_text_joins_the_previous_one(
        tmp_path: Path) -> None:
    workbook = set_cells(copy_example(tmp_path), {("一、总体情况", "A9"): None})
    checked = check_workbook(workbook)
    assert checked.ok
    [warning] = [p for p in checked.warnings if p.sheet == "一、总体情况"]
    assert warning.cell == "A9" and "（四）政府信息公开平台建设" in warning.message


def test_a_wrong_carried_cell_is_not_reported_again_by_the_identity_it_breaks(
        tmp_path: Path) -> None:
    """One cause, one message: 上年结转·自然人 contradicts last year's report (R6), and so this
    year's 一+二=三+四 (R1) fails in that column too; only R6 is reported. Without last year's
    workbook, R1 is the message."""
    path = set_cells(copy_example(tmp_path), {(T3, "D9"): 5})
    checked = check_workbook(path, previous=EXAMPLE_2021_PREVIOUS)
    assert [(p.cell, p.rule) for p in checked.errors] == [("D9", "R6")]
    alone = check_workbook(path)
    assert [p.rule for p in alone.errors] == ["R1"]


def test_computed_totals_are_sums_of_their_parts_through_totals_of_totals() -> None:
    """``compute`` (a plan made once per pack) gives what evaluating every total from its parts
    recursively gives, in the same order, with blanks making their totals unknown."""
    from docx_report import checks
    from docx_report.engine import default

    data = default().read(EXAMPLE_2021)
    pack = data.pack
    totals = pack.total_of()
    values = dict(data.values)
    parts = [p for parts in totals.values() for p in parts if p not in totals]
    values[parts[0]] = None  # a blank part: every total above it is unknown
    values[next(iter(totals))] = 999_999  # a total typed wrong: recomputed all the same

    def reference() -> dict[str, Any]:
        result: dict[str, Any] = {}

        def get(key: str) -> Any:
            if key not in result:
                if key in totals:
                    known = [get(p) for p in totals[key]]
                    result[key] = None if any(v is None for v in known) else sum(known)
                else:
                    result[key] = values.get(key)
            return result[key]

        for key in pack.value_cells():
            get(key)
        return result

    computed = checks.compute(pack, values)
    assert list(computed.items()) == list(reference().items())
    assert None in computed.values() and computed[next(iter(totals))] != 999_999
    assert checks.compute(pack, data.values) == checks.compute(pack, data.values)
