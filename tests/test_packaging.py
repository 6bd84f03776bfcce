"""``pip install .`` (not only editable) gives a working tool: packs, templates and the
fontconfig file ship inside the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE_2021, ROOT


@pytest.mark.slow
def test_wheel_carries_the_packs_and_works_outside_the_source_tree(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path / "dist"), str(ROOT)], check=True)
    [wheel] = list((tmp_path / "dist").glob("docx_report-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for pack in ("gov-disclosure-2021", "gov-disclosure-2019"):
        assert f"docx_report/templates/{pack}/pack.toml" in names
        assert f"docx_report/templates/{pack}/template.docx" in names
    assert "docx_report/fonts/fonts.conf" in names
    assert {"docx_report/html_templates/page.html.j2", "docx_report/html_templates/report.css",
            "docx_report/web/templates/result.html", "docx_report/web/static/style.css"} <= names
    assert "docx_report/importers/tables.py" in names  # import of published reports
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "in.xlsx").write_bytes(EXAMPLE_2021.read_bytes())
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-m", "docx_report", "build", "in.xlsx", "-o",
                             "out.docx", "--html"], cwd=work, env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert (work / "out.docx").stat().st_size > 10_000
    assert "<table" in (work / "out.html").read_text(encoding="utf-8")
    probe = subprocess.run(
        [sys.executable, "-c", "import docx_report; print(docx_report.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.startswith(str(target))
