"""Docs that cannot drift: every command has help text with an example and is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from docx_report.cli import main
from tests.helpers import ROOT


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found += _commands(command, f"{full} ")
        else:
            found.append((full, command))
    return found


COMMANDS = _commands(main)


def test_the_expected_commands_exist() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"packs", "init", "check", "build", "context", "pdf", "doctor", "template export",
            "template check", "batch"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_has_help_with_an_example_and_is_in_the_readme(
        name: str, command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 20
    assert f"docx-report {name}" in command.help, "the help shows an example call"
    assert f"docx-report {name}" in (ROOT / "README.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, [*name.split(), "--help"])
    assert result.exit_code == 0 and "用法：" in result.output
    # Click rewraps a paragraph by joining its lines with a space: never between two Chinese
    # characters (write such paragraphs after a \\b line, which click keeps as written).
    assert not re.search(r"[\u3000-\u9fff\uff00-\uffef] [\u3000-\u9fff\uff00-\uffef]",
                         result.output), result.output
    assert "[default" not in result.output and "required]" not in result.output
    assert "选项：" in result.output and "Options" not in result.output


@pytest.mark.parametrize(("args", "says"), [
    (["bulid"], "错误：没有命令「bulid」，是否应为 build？"),
    (["build", "没有这个文件.xlsx"], "错误：WORKBOOK 的值无效：文件「没有这个文件.xlsx」不存在"),
    (["init", "a.xlsx", "--year", "24"], "错误：--year 的值无效：24 超出范围"),
    (["init", "a.xlsx", "--pak", "x"], "错误：没有选项 --pak，是否应为 --pack？"),
    (["template", "check"], "错误：缺少参数 DOCX"),
    (["build", str(ROOT / "README.md"), "-o", str(ROOT / "src")],
     f"错误：-o / --output 的值无效：「{ROOT / 'src'}」是文件夹，不是文件"),
])
def test_usage_errors_are_chinese_with_exit_2(args: list[str], says: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert says in result.stderr
    assert "用法：docx-report" in result.stderr and "--help 查看帮助" in result.stderr
    assert "Error" not in result.stderr and "Usage" not in result.stderr


def test_output_into_a_closed_pipe_is_not_an_internal_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.helpers import copy_example, set_cells

    # More output than a pipe buffers, so the writer really meets the closed pipe.
    workbook = set_cells(copy_example(tmp_path), {("一、总体情况", f"B{r}"): "公开" * 15_000
                                                  for r in range(5, 10)})
    proc = subprocess.Popen([sys.executable, "-m", "docx_report", "context", str(workbook)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    proc.stderr.close()
    proc.wait(timeout=30)
    assert "内部错误" not in err and "Traceback" not in err
