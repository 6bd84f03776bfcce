"""Shared fixtures. PDF tests need LibreOffice and browser tests need Chromium and Playwright:
in CI they always run (a missing soffice or browser fails them); on a developer's machine
without it they are skipped."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile

import pytest

CHROMIUM = "/usr/bin/chromium"

# Compiled templates are cached on disk between runs: the tests keep theirs apart.
os.environ["DOCX_REPORT_CACHE"] = tempfile.mkdtemp(prefix="docx-report-test-cache-")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CI"):
        return
    skips = {}
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        skips["pdf"] = "LibreOffice (soffice) is not installed on this machine"
    if not os.path.exists(CHROMIUM) or importlib.util.find_spec("playwright") is None:
        skips["browser"] = "Chromium (/usr/bin/chromium) or Playwright is not installed"
    for item in items:
        for marker, reason in skips.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(params=["direct", "calamine", "openpyxl"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once with each workbook reader (the guard's values, calamine, openpyxl)."""
    from docx_report import xlsx_fast

    monkeypatch.setattr(xlsx_fast, "DEFAULT_READER", request.param)
    return str(request.param)
