"""Where a report's values come from: a pack workbook, or a published report.

The one place that knows which files are published reports (.docx, .html/.htm, .pdf). The
engine asks ``is_published`` before it opens a path as a workbook and reads a published report
through ``read_published``, so ``check``, ``build``, ``--previous``, ``batch`` and ``init
--previous`` get the same ``ReportData`` either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx_report.pack import Pack
    from docx_report.reader import ReportData

# .doc is listed so its sender learns to save as .docx
PUBLISHED_SUFFIXES = frozenset({".docx", ".html", ".htm", ".pdf", ".doc"})


def is_published(path: Path) -> bool:
    """A published report (.docx, .html/.htm, .pdf) rather than a workbook."""
    return path.suffix.lower() in PUBLISHED_SUFFIXES


def read_published(path: Path, pack: Pack | None = None) -> ReportData:
    """A published report's values, facts and narrative (the importers load on first use)."""
    from docx_report import importers

    return importers.read_published(path, pack)
