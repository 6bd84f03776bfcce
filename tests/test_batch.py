"""``docx-report batch``: many agencies' workbooks → reports, summary.xlsx and the 汇总.

Inputs are copies of the examples with mistakes planted as a clerk would make them; expected
numbers are computed here from the input workbooks' cells, never by the library.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from docx_report import aggregate, batch, batch_worker, manifest, report, summary
from docx_report.cli import main
from docx_report.pack import load_pack
from tests.helpers import (
    EXAMPLE_2019,
    EXAMPLE_2021,
    EXAMPLE_2021_PREVIOUS,
    T2,
    T3,
    T4,
    find_label,
    set_cells,
    value_at,
)

FACTS = "基本信息"
NEW, CARRIED = "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量"
PUBLIC = "（一）予以公开"
FEES = ("行政事业性收费", "本年收费金额（单位：万元）")


def ref(path: Path, sheet: str, row_label: str, col_label: str) -> str:
    """A1 reference of the cell under two labels, found the way a person reads the sheet."""
    book = openpyxl.load_workbook(path)
    return str(value_at(book[sheet], row_label, col_label).coordinate)


def agency_ref(path: Path) -> str:
    row, col = find_label(openpyxl.load_workbook(path)[FACTS], "机关名称")
    return f"{openpyxl.utils.get_column_letter(col + 1)}{row}"


def plant(source: Path, target: Path, agency: str | None = None,
          changes: dict[tuple[str, str, str], Any] | None = None) -> Path:
    """Copy a workbook, rename its agency and change cells named by (sheet, row, column label).
    A value given as ("+", n) adds n to what the cell holds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    cells: dict[tuple[str, str], Any] = {}
    if agency is not None:
        cells[(FACTS, agency_ref(target))] = agency
    book = openpyxl.load_workbook(target)
    for (sheet, row_label, col_label), value in (changes or {}).items():
        cell = value_at(book[sheet], row_label, col_label)
        if isinstance(value, tuple):
            value = cell.value + value[1]
        cells[(sheet, cell.coordinate)] = value
    set_cells(target, cells)
    if agency is not None and agency.startswith("="):  # typed as text (Excel: a leading ')
        book = openpyxl.load_workbook(target)
        cell = book[FACTS][agency_ref(target)]
        cell.value, cell.data_type = agency, "s"
        book.save(target)
    return target


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["batch", *map(str, args)])


def sheet_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def by_file(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(r["文件"]).name: r for r in rows}


def numbers(path: Path, sheets: tuple[str, ...] = (T2, T3, T4)) -> dict[tuple[str, str], Decimal]:
    """Every number typed in the table sheets (formula cells are text and left out)."""
    book = openpyxl.load_workbook(path)
    return {(sheet, cell.coordinate): Decimal(repr(cell.value))
            for sheet in sheets for row in book[sheet].iter_rows() for cell in row
            if isinstance(cell.value, int | float) and not isinstance(cell.value, bool)}


# ---------------------------------------------------------------------------------------------
# One run over a folder of good, wrong and broken workbooks (with --jobs 2)


@dataclass
class Run:
    inbox: Path
    out: Path
    result: Result
    good: list[Path]
    wrong: Path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("batch")
    inbox = root / "inbox"
    a = plant(EXAMPLE_2021, inbox / "a-市场监管.xlsx", changes={(T2, *FEES): 96171.6})
    b = plant(EXAMPLE_2021, inbox / "b-教育.xlsx", "临江市教育局", {
        (T3, NEW, "自然人"): ("+", 5), (T3, PUBLIC, "自然人"): ("+", 5), (T2, *FEES): 0.1})
    wrong = plant(EXAMPLE_2021, inbox / "c-财政.xlsx", "临江市财政局", {
        (T3, NEW, "自然人"): "/", (T3, CARRIED, "商业企业"): ("+", 1)})
    (inbox / "d-损坏.xlsx").write_bytes(b"\x00garbage, not a workbook" * 10)
    e = plant(EXAMPLE_2019, inbox / "sub" / "e-人社.xlsx")
    (inbox / "~$a-市场监管.xlsx").write_bytes(b"lock")
    (inbox / ".hidden.xlsx").write_bytes(b"hidden")
    (inbox / "说明.txt").write_text("not a workbook", encoding="utf-8")
    out = root / "out"
    result = invoke(inbox, "-o", out, "--jobs", "2", "--name", "临江市")
    return Run(inbox, out, result, [a, b, e], wrong)


def test_exit_code_is_1_when_any_workbook_has_errors(run: Run) -> None:
    assert run.result.exit_code == 1, run.result.output
    assert "Traceback" not in run.result.output
    assert "问题清单" in run.result.stderr


def test_one_quiet_line_per_workbook_when_not_a_terminal(run: Run) -> None:
    lines = [line for line in run.result.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == 5
    assert {line.split("]")[0] for line in lines} == {f"[{i}/5" for i in range(1, 6)}
    text = "\n".join(lines)
    assert "a-市场监管.xlsx（临江市市场监督管理局）：通过" in text
    assert "c-财政.xlsx（临江市财政局）：有错误（2 处错误）" in text
    assert "d-损坏.xlsx：无法读取：不是 Excel 工作簿" in text
    assert "~$" not in text and ".hidden" not in text and "说明.txt" not in text
    assert ("共 5 个工作簿：已生成报告 3 份，有错误 1 个，无法读取 1 个，重复 0 个"
            in run.result.stdout)


def test_one_report_per_good_agency_and_none_for_the_others(run: Run) -> None:
    reports = sorted(p.name for p in run.out.glob("*.docx"))
    assert reports == sorted([
        "临江市市场监督管理局2024年政府信息公开工作年度报告.docx",
        "临江市教育局2024年政府信息公开工作年度报告.docx",
        "前进区人力资源和社会保障局2022年政府信息公开工作年度报告.docx"])
    hidden = [p.name for p in run.out.iterdir() if p.name.startswith(".")]
    assert hidden == [batch.MANIFEST_NAME], "staging is gone"
    body = zipfile.ZipFile(run.out / reports[1]).read("word/document.xml").decode()
    assert "临江市教育局" in body


def test_summary_has_a_row_per_workbook_with_status_counts_and_figures(run: Run) -> None:
    rows = by_file(sheet_rows(run.out / "summary.xlsx", "各机关情况"))
    assert sorted(rows) == ["a-市场监管.xlsx", "b-教育.xlsx", "c-财政.xlsx", "d-损坏.xlsx",
                            "e-人社.xlsx"]
    assert [rows[n]["状态"] for n in sorted(rows)] == [
        "已生成", "已生成", "有错误", "无法读取", "已生成"]
    assert rows["c-财政.xlsx"]["错误数"] == 2 and rows["d-损坏.xlsx"]["错误数"] == 1
    assert rows["e-人社.xlsx"]["警告数"] == 1  # R9: a 2022 report in the 2019 format
    # Key figures, from the example's own numbers (48+9+1+0+3+2 new; 3+1 carried …).
    a, b = rows["a-市场监管.xlsx"], rows["b-教育.xlsx"]
    assert (a["新收申请"], a["上年结转"], a["办结"], a["结转下年"]) == (63, 4, 64, 3)
    assert (a["行政复议"], a["行政诉讼"]) == (3 + 1 + 1 + 1, 4 + 2)
    assert (b["新收申请"], b["办结"]) == (68, 69)
    assert a["报告文件"] == "临江市市场监督管理局2024年政府信息公开工作年度报告.docx"
    wrong = rows["c-财政.xlsx"]
    assert wrong["报告文件"] is None and wrong["机关名称"] == "临江市财政局"


def test_problem_sheet_locates_every_mistake_and_has_an_autofilter(run: Run) -> None:
    path = run.out / "summary.xlsx"
    problems = sheet_rows(path, "问题清单")
    wrong = [p for p in problems if p["机关名称"] == "临江市财政局"]
    cells = {(p["工作表"], p["单元格"], p["级别"]) for p in wrong}
    assert (T3, ref(run.wrong, T3, NEW, "自然人"), "错误") in cells
    # 一 + 二 no longer equals （七） + 四: R1 is reported at 四 of that column.
    assert (T3, ref(run.wrong, T3, "四、结转下年度继续办理", "商业企业"), "错误") in cells
    # The narrative still says 63 new requests beside the changed table (N1, a warning).
    assert ("一、总体情况", "B6", "警告") in cells
    assert len(wrong) == 3 and all(p["问题"] for p in wrong)
    broken = [p for p in problems if str(p["文件"]).endswith("d-损坏.xlsx")]
    assert len(broken) == 1 and "不是 Excel 工作簿" in broken[0]["问题"]
    ws = openpyxl.load_workbook(path)["问题清单"]
    assert ws.auto_filter.ref == f"A1:G{len(problems) + 1}"
    # The 汇总 was checked in the staging folder: its problems name the file in OUTDIR.
    assert "汇总/临江市（汇总，共1个机关）2022年政府信息公开工作年度报告.xlsx" in {
        p["文件"] for p in problems}
    assert not [p for p in problems if ".docx-report-batch" in f"{p['文件']}{p['问题']}"]


def test_aggregate_is_the_sum_of_the_good_agencies_tables(run: Run) -> None:
    [xlsx] = (run.out / "汇总").glob("临江市（汇总，共2个机关）2024年*.xlsx")
    included = [numbers(p) for p in run.good[:2]]
    expected = {key: sum(n[key] for n in included) for key in included[0]}
    assert numbers(xlsx) == expected
    fees = ref(xlsx, T2, *FEES)
    assert numbers(xlsx)[(T2, fees)] == Decimal("96171.7")  # in floats: 96171.70000000001
    book = openpyxl.load_workbook(xlsx)
    assert book[FACTS][agency_ref(xlsx)].value == "临江市（汇总，共2个机关）"
    overview = book["一、总体情况"]["B4"].value
    assert "2个机关" in overview and "临江市市场监督管理局、临江市教育局" in overview
    assert "临江市财政局" in overview  # named as left out
    assert "信息处理费" in book["六、其他事项"]["B4"].value


def test_aggregate_passes_the_same_rules_and_is_built(run: Run) -> None:
    for xlsx in (run.out / "汇总").glob("*.xlsx"):
        checked = report.check_workbook(xlsx)
        assert not checked.errors, [p.format() for p in checked.errors]
        assert xlsx.with_suffix(".docx").is_file()
    [docx] = (run.out / "汇总").glob("临江市（汇总，共2个机关）2024年*.docx")
    assert "临江市（汇总，共2个机关）" in zipfile.ZipFile(docx).read("word/document.xml").decode()
    rows = sheet_rows(run.out / "summary.xlsx", "汇总文件")
    assert sorted((r["年度"], r["机关数"], r["状态"]) for r in rows) == [
        (2022, 1, "已生成"), (2024, 2, "已生成")]


def test_aggregate_values_are_exact_decimal_sums() -> None:
    pack = load_pack("gov-disclosure-2021")
    keys = list(pack.value_cells())
    fees, new = keys.index("active.fees.amount"), keys.index("requests.new.natural")

    def values(amount: Decimal | int, n: int) -> tuple[Decimal | int, ...]:
        row: list[Decimal | int] = [1] * len(keys)
        row[fees], row[new] = amount, n
        return tuple(row)

    members = [batch.Outcome(i, Path(f"{i}.xlsx"), batch.Status.BUILT, values=values(*v))
               for i, v in enumerate([(Decimal("0.1"), 1), (Decimal("0.2"), 2), (7, 3)])]
    sums = aggregate.aggregate_values(pack, members)
    assert sums["active.fees.amount"] == Decimal("7.3") and str(sums["active.fees.amount"]) == "7.3"
    assert sums["requests.new.natural"] == 6 and isinstance(sums["requests.new.natural"], int)
    assert sums["requests.new.business"] == 3


# ---------------------------------------------------------------------------------------------
# Smaller runs


def test_all_built_exits_0(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    plant(EXAMPLE_2021, inbox / "a.xlsx")
    result = invoke(inbox / "a.xlsx", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "[1/1] " in result.stdout and "：通过" in result.stdout
    assert (tmp_path / "out" / "summary.xlsx").is_file()


def test_no_workbook_found_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke(tmp_path / "empty", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "没有找到工作簿" in result.stderr and "Traceback" not in result.output


def test_dangerous_agency_names_stay_inside_outdir(tmp_path: Path) -> None:
    names = ["../../x", "CON", "a/b", "a_b", "名" * 300, '=HYPERLINK("http://evil","x")', ".."]
    inbox = tmp_path / "inbox"
    for i, name in enumerate(names):
        plant(EXAMPLE_2021, inbox / f"{i}.xlsx", name)
    out = tmp_path / "out"
    result = invoke(inbox, "-o", out, "--jobs", "1", "--name", "../../evil")
    assert result.exit_code == 0, result.output
    assert all(out in p.parents or inbox in p.parents
               for p in tmp_path.rglob("*") if p not in (out, inbox))
    reports = list(out.glob("*.docx"))
    assert len(reports) == len(names)
    assert all(p.parent == out and len(p.name.encode()) < 255 for p in reports)
    assert {p.name for p in reports} >= {"a_b2024年政府信息公开工作年度报告.docx",
                                         "a_b2024年政府信息公开工作年度报告（2）.docx"}
    assert all(p.parent == out / "汇总" for p in (out / "汇总").iterdir())
    ws = openpyxl.load_workbook(out / "summary.xlsx")["各机关情况"]
    [cell] = [c for c in ws["C"] if str(c.value).startswith("=")]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil","x")', "s")  # not a formula


def test_two_workbooks_for_one_agency_and_year_are_reported_not_overwritten(
        tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    first = plant(EXAMPLE_2021, inbox / "市场监管-初稿.xlsx")
    plant(EXAMPLE_2021, inbox / "市场监管-定稿.xlsx")
    plant(EXAMPLE_2021_PREVIOUS, inbox / "市场监管-2023.xlsx")
    out = tmp_path / "out"
    result = invoke(inbox, "-o", out)
    assert result.exit_code == 1
    rows = by_file(sheet_rows(out / "summary.xlsx", "各机关情况"))
    assert rows["市场监管-初稿.xlsx"]["状态"] == rows["市场监管-定稿.xlsx"]["状态"] == "重复"
    assert rows["市场监管-2023.xlsx"]["状态"] == "已生成"
    problems = [p for p in sheet_rows(out / "summary.xlsx", "问题清单") if p["规则"] == "重复"]
    assert len(problems) == 2
    assert {(p["工作表"], p["单元格"]) for p in problems} == {(FACTS, agency_ref(first))}
    assert "市场监管-定稿.xlsx" in next(p["问题"] for p in problems
                                   if str(p["文件"]).endswith("初稿.xlsx"))
    assert [p.name for p in out.glob("*.docx")] == [
        "临江市市场监督管理局2023年政府信息公开工作年度报告.docx"]
    assert "重复 2 个" in result.stdout


def test_previous_year_matched_by_agency_name(tmp_path: Path) -> None:
    inbox, prev = tmp_path / "inbox", tmp_path / "prev"
    # 上年结转 one more than last year's 结转下年 (and one more 予以公开, so R1 still holds).
    changed = plant(EXAMPLE_2021, inbox / "市场监管.xlsx", changes={
        (T3, CARRIED, "自然人"): ("+", 1), (T3, PUBLIC, "自然人"): ("+", 1)})
    plant(EXAMPLE_2021, inbox / "教育.xlsx", "临江市教育局")
    plant(EXAMPLE_2021_PREVIOUS, prev / "市场监管-2023.xlsx")
    plant(EXAMPLE_2021_PREVIOUS, prev / "审计-2023.xlsx", "临江市审计局")
    (prev / "坏.xlsx").write_bytes(b"broken")
    out = tmp_path / "out"
    result = invoke(inbox, "-o", out, "--previous", prev)
    assert result.exit_code == 1, result.output
    rows = by_file(sheet_rows(out / "summary.xlsx", "各机关情况"))
    assert rows["市场监管.xlsx"]["状态"] == "有错误"
    assert str(rows["市场监管.xlsx"]["上年工作簿"]).endswith("市场监管-2023.xlsx")
    assert rows["教育.xlsx"]["状态"] == "已生成" and rows["教育.xlsx"]["上年工作簿"] is None
    r6 = [p for p in sheet_rows(out / "summary.xlsx", "问题清单") if p["规则"] == "R6"]
    # One cause, one message: the 总计 differs from last year's only because 自然人 does.
    assert {(p["工作表"], p["单元格"]) for p in r6} == {(T3, ref(changed, T3, CARRIED, "自然人"))}
    notes = {(r["机关名称"], r["情况"][:4]) for r in sheet_rows(out / "summary.xlsx", "上年对照")}
    assert notes == {("临江市市场监督管理局", "已做跨年"), ("临江市教育局", "上年缺少"),
                     ("临江市审计局", "本年缺少"), (None, "上年工作")}
    # Without last year's workbook the same folder builds: R6 needs last year's numbers.
    assert invoke(changed, "-o", tmp_path / "alone").exit_code == 0


def test_discover_skips_lock_hidden_and_output_files(tmp_path: Path) -> None:
    for name in ["b.xlsx", "a.XLSX", "old.xls", "~$b.xlsx", ".h.xlsx", "x.txt",
                 "sub/c.xlsx", ".git/d.xlsx", "out/汇总/s.xlsx"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = batch.discover([tmp_path, tmp_path / "b.xlsx", tmp_path / "~$b.xlsx"],
                           exclude=[tmp_path / "out" / "汇总"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.XLSX", "b.xlsx", "old.xls", "sub/c.xlsx"]


def test_ctrl_c_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    for name in ("a", "b", "c"):
        plant(EXAMPLE_2021, inbox / f"{name}.xlsx", f"机关{name}")
    real = batch_worker._check_one

    def interrupted(index: int, path: Path, settings: Any) -> batch.Outcome:
        if path.stem == "b":
            raise KeyboardInterrupt
        return real(index, path, settings)

    monkeypatch.setattr(batch_worker, "_check_one", interrupted)
    out = tmp_path / "out"
    result = invoke(inbox, "-o", out, "--jobs", "1")
    assert result.exit_code == 130
    assert list(out.iterdir()) == []  # a's report was staged, never placed


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative POSIX path → content)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


REPORT = "{}2024年政府信息公开工作年度报告"
AGGREGATE = "汇总/汇总（共{}个机关）2024年政府信息公开工作年度报告"


def test_a_rerun_leaves_exactly_its_own_files_and_the_users(tmp_path: Path) -> None:
    first, second, out = tmp_path / "first", tmp_path / "second", tmp_path / "out"
    plant(EXAMPLE_2021, first / "市场监管.xlsx")
    plant(EXAMPLE_2021, first / "教育.xlsx", "临江市教育局")
    plant(EXAMPLE_2021, first / "财政.xlsx", "临江市财政局")
    assert invoke(first, "-o", out, "--jobs", "1").exit_code == 0
    assert {f"{AGGREGATE.format(3)}.docx", f"{REPORT.format('临江市教育局')}.docx"} <= set(
        files_in(out))
    mine = {"说明.txt": b"notes", "我的报告.docx": b"mine", "汇总/领导批示.docx": b"mine too",
            "旧/2023年报告.pdf": b"old"}
    for name, content in mine.items():
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_bytes(content)
    # This time 教育局 sent nothing and 财政局 sent two workbooks (both are 重复).
    plant(EXAMPLE_2021, second / "市场监管.xlsx")
    plant(EXAMPLE_2021, second / "财政-初稿.xlsx", "临江市财政局")
    plant(EXAMPLE_2021, second / "财政-定稿.xlsx", "临江市财政局")
    result = invoke(second, "-o", out, "--jobs", "1")
    assert result.exit_code == 1, result.output
    ours = {f"{REPORT.format('临江市市场监督管理局')}.docx", f"{AGGREGATE.format(1)}.xlsx",
            f"{AGGREGATE.format(1)}.docx", "summary.xlsx"}
    assert sorted(p.name for p in (out / "汇总").iterdir()) == sorted(
        [Path(AGGREGATE.format(1)).name + ext for ext in (".docx", ".xlsx")] + ["领导批示.docx"])
    after = files_in(out)
    assert set(after) == ours | set(mine) | {".docx-report-batch.json"}
    assert {name: after[name] for name in mine} == mine
    rows = by_file(sheet_rows(out / "summary.xlsx", "各机关情况"))
    assert sorted(rows) == ["市场监管.xlsx", "财政-初稿.xlsx", "财政-定稿.xlsx"]
    # The 汇总 still states its count inside, and the manifest lists only the tool's files.
    book = openpyxl.load_workbook(out / f"{AGGREGATE.format(1)}.xlsx")
    assert book[FACTS][agency_ref(out / f"{AGGREGATE.format(1)}.xlsx")].value == "汇总（共1个机关）"
    assert manifest.read_manifest(out) == ours


def test_progress_lines_show_the_final_status_of_duplicates(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    plant(EXAMPLE_2021, inbox / "a-财政-初稿.xlsx", "临江市财政局")
    plant(EXAMPLE_2021, inbox / "b-教育.xlsx", "临江市教育局")
    plant(EXAMPLE_2021, inbox / "c-财政-定稿.xlsx", "临江市财政局")
    result = invoke(inbox, "-o", tmp_path / "out", "--jobs", "1")
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert lines == [
        f"[1/3] {inbox / 'a-财政-初稿.xlsx'}（临江市财政局）：重复（1 处错误）",
        f"[2/3] {inbox / 'b-教育.xlsx'}（临江市教育局）：通过",
        f"[3/3] {inbox / 'c-财政-定稿.xlsx'}（临江市财政局）：重复（1 处错误）"]
    assert "共 3 个工作簿：已生成报告 1 份，有错误 0 个，无法读取 0 个，重复 2 个" in result.stdout


def test_ctrl_c_in_a_rerun_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    plant(EXAMPLE_2021, inbox / "a.xlsx")
    plant(EXAMPLE_2021, inbox / "b.xlsx", "临江市教育局")
    assert invoke(inbox, "-o", out).exit_code == 0
    before = files_in(out)
    (inbox / "b.xlsx").unlink()
    plant(EXAMPLE_2021, inbox / "c.xlsx", "临江市审计局")

    def interrupted(*args: Any, **kwargs: Any) -> summary.Aggregate:
        raise KeyboardInterrupt  # the reports are built: only the 汇总 is left to do

    monkeypatch.setattr(aggregate, "build_aggregate", interrupted)
    assert invoke(inbox, "-o", out).exit_code == 130
    assert files_in(out) == before


def test_only_output_files_inside_outdir_listed_in_the_manifest_are_removed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    plant(EXAMPLE_2021, inbox / "a.xlsx")
    outside = tmp_path / "outside.docx"
    listed = {"../outside.docx": outside, str(outside): outside, "说明.txt": out / "说明.txt",
              ".hidden.docx": out / ".hidden.docx", "link.docx": out / "link.docx",
              "汇总": out / "汇总"}
    for path in (outside, out / "说明.txt", out / ".hidden.docx", out / "old.docx",
                 out / "busy.pdf"):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x")
    (out / "link.docx").symlink_to(outside)
    manifest.write_manifest(out, [*listed, "old.docx", "busy.pdf", "gone.docx"])
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name == "busy.pdf":
            raise PermissionError(13, "Permission denied")
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    result = invoke(inbox, "-o", out)
    assert result.exit_code == 0, result.output
    assert all(path.exists() for path in listed.values())
    assert not (out / "old.docx").exists()
    assert "未能删除" in result.stderr and str(out / "busy.pdf") in result.stderr
    assert "busy.pdf" in manifest.read_manifest(out)  # still the tool's: tried again next time
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert invoke(inbox, "-o", out).exit_code == 0
    assert not (out / "busy.pdf").exists() and "busy.pdf" not in manifest.read_manifest(out)


def test_a_report_that_cannot_be_moved_into_outdir_is_an_error(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    plant(EXAMPLE_2021, inbox / "a.xlsx")
    plant(EXAMPLE_2021, inbox / "b.xlsx", "临江市教育局")
    (out / f"{REPORT.format('临江市教育局')}.docx").mkdir(parents=True)  # in the way
    result = invoke(inbox, "-o", out)
    assert result.exit_code == 1, result.output
    assert f"{inbox / 'b.xlsx'}：有错误（1 处错误）" in result.stderr  # its line said 通过
    rows = by_file(sheet_rows(out / "summary.xlsx", "各机关情况"))
    assert (rows["b.xlsx"]["状态"], rows["b.xlsx"]["报告文件"]) == ("有错误", None)
    assert rows["a.xlsx"]["报告文件"] == f"{REPORT.format('临江市市场监督管理局')}.docx"
    assert f"{REPORT.format('临江市教育局')}.docx" not in manifest.read_manifest(out)


class _StopAfterFirst:
    def start(self, total: int) -> None:
        pass

    def advance(self, outcome: Any) -> None:
        raise KeyboardInterrupt

    def settled(self, outcomes: Any) -> None:
        pass

    def phase(self, message: str) -> None:
        pass


def test_ctrl_c_in_the_pool_cancels_and_cleans_up(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    for name in "abcd":
        plant(EXAMPLE_2021, inbox / f"{name}.xlsx", f"机关{name}")
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch([inbox], out, jobs=2, progress=_StopAfterFirst())
    assert list(out.iterdir()) == []


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                    reason="the crash is planted in the parent and inherited by forked workers")
def test_a_workbook_that_kills_its_worker_fails_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    for name in ("a", "crash", "c"):
        plant(EXAMPLE_2021, inbox / f"{name}.xlsx", f"机关{name}")
    real = batch_worker._check_one

    def crashing(index: int, path: Path, settings: Any) -> batch.Outcome:
        if path.stem == "crash":
            os._exit(3)
        return real(index, path, settings)

    monkeypatch.setattr(batch_worker, "_check_one", crashing)
    result = batch.run_batch([inbox], tmp_path / "out", jobs=2)
    status = {o.file.stem: o.status for o in result.outcomes}
    assert status == {"a": batch.Status.BUILT, "crash": batch.Status.UNREADABLE,
                      "c": batch.Status.BUILT}
    [crash] = [o for o in result.outcomes if o.file.stem == "crash"]
    assert "进程意外退出" in crash.problems[0].message


@pytest.mark.pdf
def test_pdf_for_every_report_and_the_aggregate(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    plant(EXAMPLE_2021, inbox / "a.xlsx")
    out = tmp_path / "out"
    result = invoke(inbox, "-o", out, "--pdf")
    assert result.exit_code == 0, result.output
    pdfs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf"))
    assert pdfs == ["临江市市场监督管理局2024年政府信息公开工作年度报告.pdf",
                    "汇总/汇总（共1个机关）2024年政府信息公开工作年度报告.pdf"]
    row = sheet_rows(out / "summary.xlsx", "各机关情况")[0]
    assert row["PDF 文件"] == pdfs[0]


def test_agencies_with_the_same_narrative_are_listed_in_the_summary(run: Run) -> None:
    """a, b and c carry the example's narrative word for word (only numbers may differ)."""
    rows = sheet_rows(run.out / "summary.xlsx", "雷同文字")
    pairs = {(r["机关名称"], r["雷同的机关"]) for r in rows}
    first = "临江市市场监督管理局"
    assert pairs == {(first, "临江市教育局"), (first, "临江市财政局")}
    places = {r["章节"] for r in rows if r["雷同的机关"] == "临江市教育局"}
    assert "一、总体情况·（二）依申请公开" in places and "一、总体情况·导语" in places
    assert {r["相似度"] for r in rows} == {"100%"}


def test_unique_names_number_each_repeat_once() -> None:
    from docx_report.batch import _unique

    used: dict[str, int] = {}
    assert _unique("名称（2）", used, "x") == "名称（2）"  # typed like that: taken first
    names = [_unique("名称", used, "x") for _ in range(1000)]
    assert names[:3] == ["名称", "名称（3）", "名称（4）"]
    assert len(set(names)) == 1000 and names[-1] == "名称（1001）"
    assert _unique("NAME", used, "x") == "NAME" and _unique("name", used, "x") == "name（2）"
    assert _unique("../x", used, "报告1") == "报告1"


def test_a_workbook_whose_name_is_not_utf8_is_built_and_listed(tmp_path: Path) -> None:
    """A file name Linux holds as bytes that are not UTF-8 (a GBK zip unpacked as is): the
    batch builds the report and summary.xlsx names the file with U+FFFD where the bytes were
    (writing the summary crashed with UnicodeEncodeError)."""
    inbox = tmp_path / "收到"
    inbox.mkdir()
    name = os.fsdecode(b"\xc1\xd9\xbd\xad.xlsx")  # 临江 in GBK (d9 bd is UTF-8's U+067D)
    shutil.copy(EXAMPLE_2021, inbox / name)
    result = CliRunner().invoke(main, ["batch", str(inbox), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    [row] = sheet_rows(tmp_path / "out" / "summary.xlsx", "各机关情况")
    assert row["状态"] == "已生成" and row["文件"].endswith("/\ufffd\u067d\ufffd.xlsx")


def _square_or_die(task: tuple[int, int]) -> int:
    """A task for the pool: item 37 kills its worker."""
    if task[1] == 37:
        os._exit(3)
    return task[1] * task[1]


def test_a_worker_dying_mid_chunk_fails_its_task_alone(tmp_path: Path) -> None:
    """Enough tasks that they go to the workers in chunks: a task that kills its worker loses
    its chunk's other tasks with it, and those run again; each task ends exactly once."""
    items = list(range(80))
    assert len(items) // (2 * batch_worker._IN_FLIGHT * 2) > 1  # chunks of more than one
    results: dict[int, int | str] = {}

    def done(i: int, result: int | str) -> None:
        assert i not in results, f"task {i} ended twice"
        results[i] = result

    batch_worker._parallel(_square_or_die, items, jobs=2,
                           settings=batch_worker._Settings(tmp_path, {}), done=done,
                           crashed=lambda i, item: "crashed")
    assert results == {i: "crashed" if i == 37 else i * i for i in items}


def test_outcomes_kept_on_disk_read_back_as_they_came(tmp_path: Path) -> None:
    """The parent keeps each outcome on disk as it comes: read back, it is the outcome that
    came, in the workbooks' order, with the parent's changes (a duplicate, a file not
    written) among its problems as they were made."""
    from docx_report.batch_store import Outcomes
    from docx_report.errors import Level, Problem, sort_problems

    files = [tmp_path / f"{i}.xlsx" for i in range(3)]
    warn = Problem(Level.WARNING, "数字不一致", file=str(files[0]), sheet="一", cell="B5",
                   rule="N1")
    came = [
        batch.Outcome(2, files[2], batch.Status.UNREADABLE,
                      problems=[Problem(Level.ERROR, "无法读取", file=str(files[2]))]),
        batch.Outcome(0, files[0], batch.Status.BUILT, problems=[warn], pack="p",
                      pack_source="p", agency="临江市教育局", year=2024,
                      period=(("year", 2024),), facts={"agency": "临江市教育局", "year": 2024},
                      figures={"新收申请": 3, "办结": None}, values=(1, Decimal("2.50"), None),
                      quotes={"other": "未收费。"}, texts=(("k", "一·导语", "正文", b"\x01" * 9),),
                      name="临江市教育局2024", staged=tmp_path / "000000.docx"),
        batch.Outcome(1, files[1], batch.Status.ERRORS, problems=[warn, warn], agency="乙",
                      year=2024, period=(("year", 2024),), facts={"agency": "乙", "year": 2024},
                      figures={"新收申请": None}, name="乙2024")]
    store = Outcomes(tmp_path, files)
    for outcome in came:
        store.add(outcome)
    store.settle()
    assert list(store) == sorted(came, key=lambda o: o.index) and len(store) == 3
    assert store[0].values == (1, Decimal("2.50"), None) and list(store.labels) == [
        "新收申请", "办结"]
    entry = store.entries[1]
    entry.duplicate = Problem(Level.ERROR, "重复", rule="重复")
    entry.add(Problem(Level.ERROR, "无法写入", rule="写入"))
    entry.status = batch.Status.DUPLICATE
    again = store[1]
    assert again.status is batch.Status.DUPLICATE
    assert again.problems == [*sort_problems([warn, warn, entry.duplicate]), *entry.added]
    assert (entry.problem_count, entry.error_count, entry.warning_count) == (4, 2, 2)
    assert [flat for _, flat in store.flat_problems()][1] == [
        (p.level is Level.ERROR, p.message, p.file, p.sheet, p.cell, p.rule)
        for p in again.problems]
    store.close()
