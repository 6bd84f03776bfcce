"""Packs are validated when loaded: every problem at once, each at its file and line.

Each case starts from the example pack outside the package (examples/street-monthly), breaks
it the way a pack author would (a typo, a wrong type, a cell that does not exist…), and checks
the message and the line it names. The line is found in the broken text by a marker, never
written down by hand.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from docx_report.cli import main
from docx_report.errors import Level, PackError
from docx_report.pack import builtin_packs, builtin_root, load_pack
from docx_report.pack_build import build
from docx_report.pack_lint import check_pack
from docx_report.pack_schema import PackProblem
from tests.helpers import ROOT

EXAMPLE = ROOT / "examples" / "street-monthly"


@dataclass(frozen=True)
class Broken:
    id: str
    old: str  # text of the example's pack.toml …
    new: str  # … replaced by this
    marker: str  # the problem's line is the first line of the broken text holding this
    says: str  # a part of the message
    offset: int = 0  # lines after the marker's


def copy_pack(tmp_path: Path, name: str = "pack") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for file in ("pack.toml", "template.docx"):
        shutil.copyfile(EXAMPLE / file, folder / file)
    return folder


def break_pack(folder: Path, *edits: tuple[str, str]) -> str:
    toml = folder / "pack.toml"
    text = toml.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) >= 1, old
        text = text.replace(old, new, 1)
    toml.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def problems_of(folder: Path) -> list[PackProblem]:
    with pytest.raises(PackError) as caught:
        build(folder / "pack.toml")
    found: list[PackProblem] = caught.value.problems  # type: ignore[attr-defined]
    assert str(caught.value).count("\n") >= len(found)  # the message lists them all
    return found


CASES = [
    Broken("unknown-key", 'heading = "二、便民服务统计"',
           'heading = "二、便民服务统计"\nheadnig = "x"', "headnig",
           "未知的键「headnig」；是否应为「heading」"),
    Broken("unknown-pack-key", 'basis = ', 'titel = "x"\nbasis = ', "titel",
           "[pack]中有未知的键「titel」；是否应为「title」"),
    Broken("unknown-top-table", "[aggregate]", "[agregate]", "[agregate]",
           "未知的键「agregate」；是否应为「aggregate」"),
    Broken("wrong-type-int", "width = 5", 'width = "5"', "width = ", "「width」应为整数，实为文字"),
    Broken("wrong-type-bool", 'label = "填报人"', 'label = "填报人"\nrequired = "是"',
           'required = "是"', "「required」应为true 或 false"),
    Broken("wrong-type-list", 'any = ["下月", "下一步"]', 'any = "下月"', "any = ",
           "「any」应为文字的数组"),
    Broken("missing-key", 'heading = "三、救助资金发放"\n', "", 'key = "funds"',
           "缺少「heading」", offset=-1),
    Broken("unknown-rule-kind", 'kind = "contains"', 'kind = "contain"', 'kind = "contain"',
           "种类「contain」未知", ),
    Broken("rule-missing-option", 'any = ["下月", "下一步"]\n', "", 'id = "S6"', "缺少「any」",
           offset=-1),
    Broken("unknown-level", 'level = "error"', 'level = "fatal"', "fatal",
           "「level」不能是「fatal」"),
    Broken("unknown-section-kind", 'kind = "narrative"', 'kind = "narative"', "narative",
           "不能是「narative」，可用的有：table、narrative；是否应为「narrative」"),
    Broken("unknown-value-type", 'type = "date"', 'type = "datum"', "datum",
           "「type」不能是「datum」"),
    Broken("total-unknown-cell", '"service.social.*", "service.welfare.*"',
           '"service.socail.*", "service.welfare.*"', 'cell = "service.total.*"',
           "引用了不存在的单元格 service.socail.*（没有与之匹配的单元格）"
           "（是否应为 service.social.*？）"),
    Broken("rule-unknown-cell", 'check = "funds.*.ytd >= funds.*.month"',
           'check = "funds.*.ytd >= funds.*.mnoth"', "mnoth",
           "引用了不存在的单元格 funds.*.mnoth"),
    Broken("rule-syntax", 'check = "funds.*.ytd >= funds.*.month"',
           'check = "funds.*.ytd >= "', 'check = "funds.*.ytd >= "', "不完整"),
    Broken("figure-unknown-cell", 'of = ["service.total.received"]',
           'of = ["service.total.recieved"]', "recieved",
           "引用了不存在的单元格 service.total.recieved（是否应为 service.total.received？）"),
    Broken("toml-duplicate-key", 'basis = ', 'title = "又一个"\nbasis = ', 'title = "又一个"',
           "同一个键或表写了两次"),
    # tomllib names the line where it noticed: the one after the unclosed array
    Broken("toml-syntax", 'width = 3', 'width = [3', "width = [3", "TOML 语法错误", offset=1),
    Broken("duplicate-section-key", 'key = "plan"', 'key = "overview"', 'heading = "四、',
           "key「overview」重复", offset=-2),
    Broken("duplicate-sheet", 'sheet = "四、下月安排"', 'sheet = "一、工作概述"',
           'heading = "四、', "工作表名称「一、工作概述」重复", offset=1),
    Broken("bad-sheet-name", 'sheet = "三、救助资金"', 'sheet = "三、救助/资金"', "救助/资金",
           "不能为空、超过 31 个字符，或含"),
    Broken("grid-row-width", '["其他事项", { row = "other" }],', '["其他事项"],', '["其他事项"]',
           "第 6 行宽 1 列，应为 5 列"),
    Broken("grid-duplicate-cell", '["城市管理", { row = "city" }],',
           '["城市管理", { row = "social" }],', '["城市管理"', "单元格 service.social.window 重复"),
    Broken("grid-bad-cell-key", '["最低生活保障金", { row = "dibao" }],',
           '["最低生活保障金", { value = "dibao" }, { value = "dibao.ytd" }],', "最低生活保障金",
           "单元格名「dibao」应为 行名.列名"),
    Broken("grid-text-type", 'type = "amount"', 'type = "text"', 'type = "text"',
           "「type」不能是「text」"),
    Broken("message-placeholder", "本年累计（{left}）", "本年累计（{lft}）", "本年累计（{lft}）",
           "{lft} 无法填入（这种规则可用：{left}、{right}"),
    Broken("output-placeholder", 'output = "{agency}{year}年{month}月',
           'output = "{agency}{year}年{moth}月',
           "output = ", "output 中的 {moth} 不是字段（是否应为 month？）"),
    Broken("output-braces", 'output = "{agency}{year}年{month}月', 'output = "{agency}{year年',
           "output = ", "output「{agency}{year年工作统计报告」中的 { } 不成对"),
    Broken("total-cycle", "# " + "-" * 78 + " figures",
           '[[totals]]\ncell = "service.social.window"\nof = ["service.social.done"]\n'
           '[[totals]]\ncell = "service.social.done"\nof = ["service.social.window"]\n',
           'cell = "service.social.window"', "合计循环引用", offset=-1),
    Broken("aggregate-placeholder", "共{count}个街道）", "共{n}个街道）", 'agency = "{name}',
           "[aggregate] 的 agency 中的 {n} 无法填入（可用：{count}、{name}）"),
    Broken("huge-span", "cols = 3 }", "cols = 999999999 }", "999999999",
           "第 1 行超出了表格宽度 5 列"),
    Broken("span-below-the-table", '["合计", { row = "total" }],',
           '[{ text = "合计", rows = 9 }, { row = "total" }],', '[{ text = "合计"',
           "跨行超出了表格末行"),
    Broken("narrative-rows", "rows = 6", "rows = 100000000", "rows = 100000000",
           "rows 应在 0 到 200 之间"),
    Broken("duplicate-rule-id", 'id = "S5"', 'id = "S4"', 'check = "funds.*.ytd >= funds',
           "规则编号「S4」重复", offset=-2),
    Broken("duplicate-figure", 'label = "办结"', 'label = "受理"', 'of = ["service.total.done"]',
           "关键数字「受理」重复", offset=-1),
    Broken("contains-unknown-section", 'section = "plan"', 'section = "plans"', "plans",
           "section「plans」不是叙述章节（是否应为 plan？）"),
    Broken("template-missing", 'template = "template.docx"', 'template = "模板.docx"',
           'template = ', "找不到模板文件 模板.docx"),
    Broken("choice-without-choices", 'label = "填报人"', 'label = "填报人"\ntype = "choice"',
           'label = "填报人"', "类型是 choice，但没有 choices", offset=-2),
    Broken("carry-unknown-cell", "[aggregate]",
           '[[carry]]\nto = "service.total.recieved"\nfrom = "service.total.received"\n\n'
           "[aggregate]", 'to = "service.total.recieved"',
           "结转的目标引用了不存在的单元格 service.total.recieved"),
    Broken("carry-from-prev", "[aggregate]",
           '[[carry]]\nto = "service.total.received"\nfrom = "prev.service.total.done"\n\n'
           "[aggregate]", 'from = "prev.', "只能是上年单元格名之和"),
    Broken("row-without-columns", 'columns = ["month", "ytd"]\n', "", '["最低生活保障金"',
           "用了 row，但表没有 columns"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_broken_pack_says_where(tmp_path: Path, case: Broken) -> None:
    folder = copy_pack(tmp_path)
    text = break_pack(folder, (case.old, case.new))
    found = problems_of(folder)
    expected = line_of(text, case.marker) + case.offset
    matching = [p for p in found if case.says in p.message]
    assert matching, "\n".join(map(str, found))
    assert matching[0].line == expected, f"{matching[0]} (expected line {expected})"
    assert matching[0].file == str(folder / "pack.toml")
    assert str(matching[0]).startswith(f"{folder / 'pack.toml'} 第 {expected} 行：")


def test_there_are_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20


def test_the_rule_kinds_a_pack_may_name_are_the_ones_the_checks_know() -> None:
    """A kind the schema accepts but no check implements would fail only at check time."""
    from docx_report import checks
    from docx_report.pack_schema import RULE_KINDS, RULE_PLACEHOLDERS

    assert set(RULE_KINDS) == {"equation", *checks.KINDS} == set(RULE_PLACEHOLDERS)


def test_every_problem_at_once(tmp_path: Path) -> None:
    picked = [c for c in CASES if c.id in {"unknown-key", "wrong-type-bool", "unknown-rule-kind",
                                         "figure-unknown-cell", "message-placeholder",
                                         "output-placeholder"}]
    folder = copy_pack(tmp_path)
    text = break_pack(folder, *((c.old, c.new) for c in picked))
    found = problems_of(folder)
    assert len(found) == len(picked), "\n".join(map(str, found))
    for case in picked:
        assert any(case.says in p.message and p.line == line_of(text, case.marker) + case.offset
                   for p in found), case.id
    assert [p.line for p in found] == sorted(p.line for p in found)  # in the file's order


def test_a_broken_table_is_reported_once_not_again_by_every_rule(tmp_path: Path) -> None:
    """Totals, figures and rules about a table already reported broken do not pile on."""
    folder = copy_pack(tmp_path)
    break_pack(folder, ('sheet = "二、便民服务"', 'sheeet = "二、便民服务"'))
    found = problems_of(folder)
    assert [p.message for p in found] == [
        "第 2 个章节（service）中有未知的键「sheeet」；是否应为「sheet」？"]


def test_the_official_and_example_packs_pass_pack_check() -> None:
    for folder in [builtin_root() / name for name in builtin_packs()] + [EXAMPLE]:
        pack, problems = check_pack(folder)
        assert pack is not None and problems == [], problems


def test_pack_check_finds_table_labels_the_template_does_not_print(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    text = break_pack(folder, ('["城市管理", { row = "city" }]', '["城乡管理", { row = "city" }]'))
    pack, problems = check_pack(folder)
    assert pack is not None
    [label] = [p for p in problems if "城乡管理" in p.message]
    assert label.level is Level.WARNING and label.line == line_of(text, "城乡管理")
    assert "在模板 template.docx 中找不到" in label.message


def test_pack_check_command(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    assert CliRunner().invoke(main, ["pack", "check", str(folder)]).exit_code == 0
    break_pack(folder, ('kind = "contains"', 'kind = "contain"'), ("width = 5", 'width = "5"'))
    result = CliRunner().invoke(main, ["pack", "check", str(folder)])
    assert result.exit_code == 1
    assert "种类「contain」未知" in result.output and "「width」应为整数" in result.output
    assert re.search(r"发现 2 处错误", result.output)
    assert "Traceback" not in result.output


def test_pack_new_copies_a_builtin_pack_under_a_new_name(tmp_path: Path) -> None:
    target = tmp_path / "我的格式"
    result = CliRunner().invoke(main, ["pack", "new", str(target), "--from",
                                       "gov-disclosure-2019"])
    assert result.exit_code == 0, result.output
    made = load_pack(target)
    original = load_pack("gov-disclosure-2019")
    assert made.name == "我的格式" and not made.builtin
    assert made.value_cells().keys() == original.value_cells().keys()
    assert (target / "template.docx").read_bytes() == original.template_path.read_bytes()
    again = CliRunner().invoke(main, ["pack", "new", str(target)])
    assert again.exit_code == 1 and "已存在" in again.output


def test_a_loaded_pack_is_not_parsed_again_until_it_changes(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    first = load_pack(folder)
    assert load_pack(folder) is first
    break_pack(folder, ('title = "街道办事处月度工作统计报告"', 'title = "街道月报"'))
    changed = load_pack(folder)
    assert changed is not first and changed.title == "街道月报"
    assert changed.fingerprint == first.fingerprint  # the workbook's layout is the same
    break_pack(folder, ('label = "填报人"', 'label = "填表人"'))
    assert load_pack(folder).fingerprint != first.fingerprint


def test_unknown_builtin_name_and_missing_folder() -> None:
    with pytest.raises(PackError, match="没有名为「nope」的报告格式"):
        load_pack("nope")
    with pytest.raises(PackError, match="找不到报告格式（pack）文件夹"):
        load_pack("./no/such/pack")


@pytest.mark.parametrize("name", ['引号"格式', "反斜杠\\格式"])
def test_pack_new_writes_a_valid_name_for_any_folder_name(tmp_path: Path, name: str) -> None:
    """A folder name with a quote or a backslash is escaped in pack.toml, not pasted in."""
    target = tmp_path / name
    result = CliRunner().invoke(main, ["pack", "new", str(target), "--from",
                                       "gov-disclosure-2021"])
    assert result.exit_code == 0, result.output
    assert load_pack(target).name == name



def test_a_pack_toml_not_in_utf8_is_named_in_chinese(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    toml = folder / "pack.toml"
    toml.write_bytes(toml.read_text(encoding="utf-8").encode("gb18030"))  # saved as GBK
    with pytest.raises(PackError) as caught:
        build(toml)
    message = str(caught.value)
    assert "UTF-8" in message and "codec" not in message and "byte" not in message
    assert str(toml) in message


def test_a_pack_toml_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    """Windows Notepad saves UTF-8 with a byte-order mark; that is still UTF-8."""
    folder = copy_pack(tmp_path)
    toml = folder / "pack.toml"
    toml.write_bytes(b"\xef\xbb\xbf" + toml.read_bytes())
    pack, problems = check_pack(folder)
    assert pack is not None and problems == [], problems
    copy = tmp_path / "副本"
    result = CliRunner().invoke(main, ["pack", "new", str(copy), "--from", str(folder)])
    assert result.exit_code == 0, result.output
    assert load_pack(copy).name == "副本"


def test_pack_check_names_a_broken_template_once(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    (folder / "template.docx").write_text("不是 Word 文件", encoding="utf-8")
    result = CliRunner().invoke(main, ["pack", "check", str(folder)])
    assert result.exit_code == 1 and "不是有效的 Word 文件" in result.output
    assert result.output.count(str(folder / "template.docx")) == 1, result.output


@pytest.mark.parametrize("where", ["../other/template.docx", "/etc/hostname"])
def test_a_template_outside_the_pack_folder_is_refused(tmp_path: Path, where: str) -> None:
    """A pack is a folder: its template is inside it (``pack new`` copies the folder, and
    would otherwise write beside or over another pack's template)."""
    folder = copy_pack(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    shutil.copyfile(folder / "template.docx", other / "template.docx")
    text = break_pack(folder, ('template = "template.docx"', f'template = "{where}"'))
    [problem] = problems_of(folder)
    assert problem.line == line_of(text, "template =")
    assert "pack 文件夹中" in problem.message


def test_pack_new_copies_a_template_kept_in_a_subfolder(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    (folder / "word").mkdir()
    (folder / "template.docx").rename(folder / "word" / "template.docx")
    break_pack(folder, ('template = "template.docx"', 'template = "word/template.docx"'))
    target = tmp_path / "子目录模板"
    result = CliRunner().invoke(main, ["pack", "new", str(target), "--from", str(folder)])
    assert result.exit_code == 0, result.output
    assert (target / "word" / "template.docx").read_bytes() == \
        (folder / "word" / "template.docx").read_bytes()


def test_a_builtin_name_means_the_builtin_pack_even_beside_a_folder_of_that_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--pack gov-disclosure-2021` is the built-in pack; a folder of that name in the current
    folder (an old copy, a broken draft) is reached as ./gov-disclosure-2021."""
    monkeypatch.chdir(tmp_path)
    draft = copy_pack(tmp_path, "gov-disclosure-2021")
    break_pack(draft, ('kind = "contains"', 'kind = "contain"'))
    assert load_pack("gov-disclosure-2021").builtin
    result = CliRunner().invoke(main, ["init", "a.xlsx", "--pack", "gov-disclosure-2021",
                                       "--agency", "某某局", "--year", "2024"])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, ["pack", "check", "gov-disclosure-2021"]).exit_code == 0
    local = CliRunner().invoke(main, ["pack", "check", "./gov-disclosure-2021"])
    assert local.exit_code == 1 and "contain" in local.output


def test_pack_new_refuses_a_builtin_pack_name(tmp_path: Path) -> None:
    target = tmp_path / "gov-disclosure-2021"
    result = CliRunner().invoke(main, ["pack", "new", str(target), "--from",
                                       "gov-disclosure-2019"])
    assert result.exit_code == 1 and "内置报告格式的名称" in result.output
    assert not target.exists()


@pytest.mark.parametrize(("old", "new"), [
    ('width = 5', 'width = [5'),                      # unclosed list
    ('title = "街道办事处月度工作统计报告"', 'title = "街道办事处'),  # unterminated text
    ('title = "街道办事处月度工作统计报告"', 'title = 街道'),          # text without quotes
    ('title = "街道办事处月度工作统计报告"', 'title "街道"'),          # no '='
    ('title = "街道办事处月度工作统计报告"', 'title = "街"道"'),       # a stray quote
    ('[pack]', '[pack'),                             # unclosed table name
    ('[pack]', '[pack]\n[pack]'),                    # a table twice
])
def test_toml_syntax_errors_are_explained_in_chinese(tmp_path: Path, old: str, new: str) -> None:
    folder = copy_pack(tmp_path)
    text = break_pack(folder, (old, new))
    [problem] = problems_of(folder)
    assert problem.message.startswith("TOML 语法错误（")
    said = re.sub(r"\[[^\]]*\]|「[^」]*」", "", problem.message.removeprefix("TOML"))
    assert not re.search(r"[A-Za-z]{3,}", said), problem.message  # keys aside, no English
    assert 0 < problem.line <= len(text.splitlines())


def test_a_file_given_as_the_pack_folder_is_named(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    template = folder / "template.docx"
    for args in (["pack", "check", str(template)],
                 ["init", str(tmp_path / "a.xlsx"), "--pack", str(template), "--year", "2024"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        assert f"{template}：是文件，不是 pack 文件夹" in result.output, result.output
        assert "UTF-8" not in result.output and "directory" not in result.output
    assert not (tmp_path / "a.xlsx").exists()
    # pack.toml itself still stands for its folder
    assert CliRunner().invoke(main, ["pack", "check", str(folder / "pack.toml")]).exit_code == 0


def test_init_says_when_the_pack_has_no_field_for_agency_or_year(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    toml = folder / "pack.toml"
    text = toml.read_text(encoding="utf-8").replace('key = "year"', 'key = "yr"')
    text = text.replace('period = ["year", "month"]\n', "")  # batch's period names year
    toml.write_text(text.replace('output = "{agency}{year}', 'output = "{agency}{yr}'),
                    encoding="utf-8")
    assert load_pack(folder).fields  # the pack itself loads; only its template is off
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(main, ["init", str(out), "--pack", str(folder),
                                       "--year", "2024"])
    assert result.exit_code == 1, result.output
    assert "没有 year 字段，不能用 --year 预先填写" in result.output
    assert not out.exists()
    ok = CliRunner().invoke(main, ["init", str(out), "--pack", str(folder), "--agency", "青山"])
    assert ok.exit_code == 0, ok.output
