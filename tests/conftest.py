"""Shared fixtures. PDF tests need LibreOffice: in CI they always run (a missing soffice
fails them); on a developer's machine without it they are skipped."""

from __future__ import annotations

import os
import shutil

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CI") or shutil.which("soffice") or shutil.which("libreoffice"):
        return
    skip = pytest.mark.skip(reason="LibreOffice (soffice) is not installed on this machine")
    for item in items:
        if "pdf" in item.keywords:
            item.add_marker(skip)
