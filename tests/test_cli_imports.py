"""What a command imports: ``--help`` and ``check`` start in a fraction of a bare docxtpl
process (issue #14), so neither may pull in what only other commands need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "临江市市场监督管理局-2024.xlsx"
PROBE = """
import sys
from docx_report.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("\\n".join(sorted(sys.modules)), file=sys.stderr)
"""
# what only pdf, doctor, serve, init and the 汇总 need (LibreOffice's runner, the web server,
# openpyxl), and docxtpl with python-docx (a template found compiled needs neither)
HEAVY = ["docx_report.pdf", "docx_report.pdf_profile", "concurrent.futures", "flask",
         "waitress", "webbrowser", "openpyxl", "docxtpl", "docx"]


def imported(*args: str) -> set[str]:
    run = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                         timeout=120, check=False)
    return set(run.stderr.split())


@pytest.mark.parametrize("args", [["--help"], ["check", str(EXAMPLE)]], ids=["help", "check"])
def test_a_command_imports_only_what_it_needs(args: list[str]) -> None:
    modules = imported(*args)
    assert "docx_report.cli" in modules  # (the probe ran)
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
