"""Uploads being looked at: each in its own temporary folder, under an unguessable id.

A clerk's upload is checked at once and its result page, downloads (.docx, PDF, HTML) and
preview are served from its folder for a few hours; then the folder is removed. Nothing from
the browser names a path: the workbook is saved as ``工作簿.xlsx`` in its folder, and the name
the browser sent is only shown (made safe).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx_report.names import safe_filename

TTL_SECONDS = 4 * 3600
MAX_ITEMS = 1000
WORKBOOK = "工作簿.xlsx"
PREVIOUS = "上年工作簿.xlsx"
# last year's published report is read as it is (check --previous REPORT): kept under its kind
PUBLISHED = (".docx", ".html", ".htm", ".pdf")


@dataclass
class Item:
    """One upload: its folder, the name shown for it, and what its check found."""

    id: str
    folder: Path
    shown: str  # the uploaded file's name, made safe, for messages
    created: float = field(default_factory=time.monotonic)
    checked: Any = None  # report.Checked once checked
    previous: bool = False
    previous_name: str = PREVIOUS  # 上年报告.docx etc. when last year's published report
    stored: Any = None  # store.Submission, in the office's mode
    previous_from: Any = None  # the stored submission used as last year's workbook
    lock: threading.Lock = field(default_factory=threading.Lock)  # one build at a time
    outputs: dict[str, Path] = field(default_factory=dict)  # built files by kind

    @property
    def workbook(self) -> Path:
        return self.folder / WORKBOOK

    @property
    def previous_path(self) -> Path | None:
        return self.folder / self.previous_name if self.previous else None

    def scrub(self, text: str) -> str:
        """A message without the server's temporary paths: the names the clerk knows."""
        text = text.replace(str(self.folder / "out") + os.sep, "")  # built reports: their names
        text = text.replace(str(self.folder / self.previous_name), "上年工作簿")
        text = text.replace(str(self.workbook), self.shown)
        return text.replace(str(self.folder), "")


class Work:
    """The temporary folders of recent uploads (thread-safe)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="docx-report-web-", dir=root))
        self._items: dict[str, Item] = {}
        self._lock = threading.Lock()

    def new(self, filename: str) -> Item:
        self.sweep()
        stem = Path(filename.replace("\\", "/")).name
        shown = safe_filename(stem, fallback=WORKBOOK)
        item_id = secrets.token_urlsafe(18)
        folder = self.root / item_id
        folder.mkdir()
        item = Item(item_id, folder, shown)
        with self._lock:
            self._items[item_id] = item
        return item

    def get(self, item_id: str) -> Item | None:
        with self._lock:
            item = self._items.get(item_id)
        if item is None or time.monotonic() - item.created > TTL_SECONDS:
            return None
        return item

    def drop(self, item: Item) -> None:
        with self._lock:
            self._items.pop(item.id, None)
        shutil.rmtree(item.folder, ignore_errors=True)

    def sweep(self) -> None:
        """Remove expired uploads (and the oldest, past MAX_ITEMS)."""
        now = time.monotonic()
        with self._lock:
            items = sorted(self._items.values(), key=lambda i: i.created)
            old = [i for i in items if now - i.created > TTL_SECONDS]
            old += [i for i in items[: max(0, len(items) - MAX_ITEMS)] if i not in old]
            for item in old:
                self._items.pop(item.id, None)
        for item in old:
            shutil.rmtree(item.folder, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
