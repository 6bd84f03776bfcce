"""Docs that cannot drift: every command has help text with an example and is in the README."""

from __future__ import annotations

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
    assert result.exit_code == 0 and "Usage:" in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["bulid"])
    assert result.exit_code == 2
