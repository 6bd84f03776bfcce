"""The narrative checks through check, build, --json and batch, with real workbooks: figures
against the tables (N1), placeholders (N2), years (N3–N5), copied text (N6) and required
statements (N7, N8, R10)."""

from __future__ import annotations

import json
from pathlib import Path

import docx
from click.testing import CliRunner, Result

from docx_report.cli import main
from docx_report.errors import Level
from docx_report.report import check_workbook
from tests.helpers import EXAMPLE_2021_PREVIOUS, copy_example, set_cells

FACTS, ONE, FIVE = "基本信息", "一、总体情况", "五、问题及改进"
REQUESTS_TEXT = ("全年新收政府信息公开申请{new}件，上年结转4件，均在法定期限内答复。"
                 "申请内容主要涉及企业登记档案、行政处罚案卷和抽检结果。")


def cli(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "内部错误" not in result.output, result.output
    return result


def rules(path: Path, previous: Path | None = None) -> dict[str, list[tuple[Level, str, str]]]:
    found: dict[str, list[tuple[Level, str, str]]] = {}
    for p in check_workbook(path, previous=previous).problems:
        found.setdefault(p.rule, []).append((p.level, f"{p.sheet}!{p.cell}", p.message))
    return found


def test_sixty_new_requests_beside_a_table_of_63_is_warned_at_the_narrative_cell(
        tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(ONE, "B6"): REQUESTS_TEXT.format(new=60)})
    result = cli("check", path)
    assert result.exit_code == 0
    assert ("警告  一、总体情况!B6  “全年新收政府信息公开申请60件，上年结转4件，"
            "均在法定期限内答复。”中的“新收政府信息公开申请60件”与表三“一、本年新收政府信息公开申请数量”总计（63）不一致"
            ) in result.output
    as_json = json.loads(cli("check", path, "--json").output)
    [n1] = [p for p in as_json["problems"] if p["rule"] == "N1"]
    assert (n1["level"], n1["sheet"], n1["cell"]) == ("warning", ONE, "B6")
    # in Chinese numerals, and full-width: the same
    for said in ("六十", "６０"):
        set_cells(path, {(ONE, "B6"): REQUESTS_TEXT.format(new=said)})
        assert [r for r, _, _ in rules(path)["N1"]] == [Level.WARNING]
    # the right figure, in any of these forms: nothing
    for said in ("63", "六十三", "６３"):
        set_cells(path, {(ONE, "B6"): REQUESTS_TEXT.format(new=said)})
        assert "N1" not in rules(path)


def test_last_years_figure_after_its_year_is_not_read_against_this_years_table(
        tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {
        (ONE, "B6"): "2023年新收政府信息公开申请51件，2024年新收63件，增长23.5%。"})
    assert "N1" not in rules(path)
    set_cells(path, {(ONE, "B6"): "2023年新收政府信息公开申请51件，2024年新收60件。"})
    assert [where for _, where, _ in rules(path)["N1"]] == [f"{ONE}!B6"]


def test_placeholders_are_filled_from_the_tables_when_building(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {
        (ONE, "B6"): "全年新收政府信息公开申请【本年新收申请】件，办结【本年办结申请】件，"
                     "结转下年度【结转下年申请】件。{{ 7*7 }}"})
    assert rules(path).get("N2") is None and rules(path).get("N1") is None
    out = tmp_path / "r.docx"
    result = cli("build", path, "-o", out)
    assert result.exit_code == 0, result.output
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "全年新收政府信息公开申请63件，办结64件，结转下年度3件。{{ 7*7 }}" in text
    assert "【" not in text


def test_an_unknown_placeholder_is_a_located_error_and_nothing_is_written(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(ONE, "B6"): "全年新收申请【本年新收申情】件。"})
    out = tmp_path / "r.docx"
    result = cli("build", path, "-o", out)
    assert result.exit_code == 1 and not out.exists()
    assert ("错误  一、总体情况!B6  未知的占位符【本年新收申情】，是否应为【本年新收申请】？"
            in result.output)


def test_the_statistics_period_of_another_year_is_an_error(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {
        (ONE, "B4"): "本报告所列数据的统计期限自2023年1月1日起至2023年12月31日止。"})
    [(level, where, message)] = rules(path)["N3"]
    assert (level, where) == (Level.ERROR, f"{ONE}!B4")
    assert message.startswith("统计期限应为2024年，这句写的是2023年：")
    assert "N5" not in rules(path)  # one cause, one message: not warned again as an old year
    assert cli("build", path, "-o", tmp_path / "r.docx").exit_code == 1
    set_cells(path, {(ONE, "B4"): "本报告所列数据的统计期限自2024年1月1日起至2024年12月31日止。"})
    assert "N3" not in rules(path)


def test_an_opening_paragraph_of_last_year_is_warned_but_comparisons_are_not(
        tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {
        (ONE, "B4"): "2023年，我局认真贯彻落实《条例》，持续深化政府信息公开。"})
    [(level, where, message)] = rules(path)["N5"]
    assert (level, where) == (Level.WARNING, f"{ONE}!B4") and "却提到2023年" in message
    set_cells(path, {(ONE, "B4"): "2024年，我局主动公开信息较2023年增长12%，自2019年以来持续增长；"
                                  "认真落实《2023年政务公开工作要点》和2019年修订的《条例》。"
                                  "2025年1月，根据要求编制本报告。"})
    assert "N5" not in rules(path)


def test_a_year_after_publication_is_warned_but_a_target_is_not(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {
        (FIVE, "B6"): "2026年，我局将丰富图解、视频等解读形式，加强业务培训。"})
    [(level, where, message)] = rules(path)["N4"]
    assert (level, where) == (Level.WARNING, f"{FIVE}!B6") and "2026年" in message
    set_cells(path, {(FIVE, "B6"): "力争到2027年，实现解读形式多样化；2025年加强业务培训。"})
    assert "N4" not in rules(path)


def test_required_statements_of_a_peoples_government(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(FACTS, "B5"): "人民政府"})
    [(level, where, message)] = rules(path)["N7"]
    assert (level, where) == (Level.WARNING, f"{ONE}!B4")
    assert "“评议”、“责任追究/追责/问责”" in message  # 考核 is there (绩效考核)
    set_cells(path, {(ONE, "B9"): "将政务公开纳入绩效考核，开展社会评议，未发生责任追究情况。"})
    assert "N7" not in rules(path)


def test_section_five_must_state_problems_and_improvements(tmp_path: Path) -> None:
    path = set_cells(copy_example(tmp_path), {(FIVE, "B5"): "部分栏目信息更新不够及时。",
                                              (FIVE, "B6"): "无。"})
    [(level, where, message)] = rules(path)["N8"]
    assert (level, where) == (Level.WARNING, f"{FIVE}!B4") and "“改进" in message


def test_text_copied_from_last_year_is_warned_naming_both(tmp_path: Path) -> None:
    this_year = copy_example(tmp_path)
    (tmp_path / "prev").mkdir()
    last_year = copy_example(tmp_path / "prev", EXAMPLE_2021_PREVIOUS)
    assert "N6" not in rules(this_year, last_year)
    copied = ("严格执行公开属性源头认定和保密审查制度，对全部现行有效规范性文件进行清理，废止4件，"
              "并在网站集中公开现行有效规范性文件目录。")
    set_cells(last_year, {(ONE, "B7"): copied})
    [(level, where, message)] = rules(this_year, last_year)["N6"]
    assert (level, where) == (Level.WARNING, f"{ONE}!B7")
    assert message == ("“一、总体情况·（三）政府信息管理”与上年报告"
                       "（临江市市场监督管理局-2023.xlsx 一、总体情况!B7）"
                       "完全相同（仅数字或年份不同）；请按本年情况撰写")
    set_cells(last_year, {(ONE, "B7"): copied.replace("并在网站", "同时在门户网站")})
    [(_, _, message)] = rules(this_year, last_year)["N6"]
    assert "几乎相同（相似度 9" in message
