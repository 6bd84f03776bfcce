"""The office's submissions (``serve --data DIR``): every upload kept, named by agency and year.

Layout, one folder per agency and year, its name made from the workbook's 机关名称 (never from
the file name or path the browser sent)::

    DIR/submissions/<机关名称>/<年度>/<机关名称>-<年度>.xlsx    the current submission
    DIR/submissions/<机关名称>/<年度>/current.json              what its check found
    DIR/submissions/<机关名称>/<年度>/history/<时间>.xlsx/.json  every earlier submission
    DIR/batch/<年度>/                                          the last batch run (summary, 汇总)

A new upload is written to a temporary file beside its place and moved in with ``os.replace``;
the submission it replaces is moved into ``history`` first. One lock serialises the moves, so
two uploads of the same agency at once both end up kept (one current, one in history).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx_report.errors import OutputError, Problem
from docx_report.files import write_bytes_atomically
from docx_report.names import safe_filename

_META = "current.json"


@dataclass
class Submission:
    """One agency's current submission for one year, as the dashboard shows it."""

    agency: str
    year: int
    folder: Path
    pack: str = ""
    uploaded: str = ""  # ISO time, local
    filename: str = ""  # the name the browser sent, shown only
    errors: int = 0
    warnings: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    history: int = 0

    @property
    def slug(self) -> str:
        return self.folder.parent.name

    @property
    def workbook(self) -> Path:
        return self.folder / f"{self.slug}-{self.year}.xlsx"

    @property
    def status(self) -> str:
        if self.errors:
            return "有错误"
        return "有警告" if self.warnings else "可生成"

    @property
    def status_class(self) -> str:
        return "error" if self.errors else "warning" if self.warnings else "ok"

    @property
    def uploaded_text(self) -> str:
        try:
            return dt.datetime.fromisoformat(self.uploaded).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return self.uploaded


class Store:
    """Submissions in DIR; safe to use from many request threads at once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.submissions = root / "submissions"
        self._lock = threading.Lock()
        try:
            self.submissions.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"无法创建数据目录 {self.submissions}（{exc.strerror or exc}）"
                              ) from None

    def folder(self, agency: str, year: int) -> Path:
        # Spaces and full-width forms folded (as batch matches agencies), so 某局 and 某 局
        # are one agency; the name the clerk typed stays in current.json.
        slug = safe_filename(re.sub(r"\s+", "", unicodedata.normalize("NFKC", agency)),
                             fallback="未命名机关")
        return self.submissions / slug / str(int(year))

    def save(self, agency: str, year: int, content: bytes, *, pack: str, filename: str,
             problems: list[Problem]) -> Submission:
        """Keep an upload as the agency's current submission; the one before goes to history."""
        folder = self.folder(agency, year)
        now = dt.datetime.now().astimezone()
        meta: dict[str, Any] = {
            "agency": agency.strip(), "year": int(year), "pack": pack,
            "uploaded": now.isoformat(timespec="seconds"), "filename": filename[:200],
            "errors": sum(p.level.value == "error" for p in problems),
            "warnings": sum(p.level.value == "warning" for p in problems),
            "problems": [p.as_dict() | {"file": ""} for p in problems],
        }
        with self._lock:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(f"无法创建文件夹 {folder}（{exc.strerror or exc}）") from None
            sub = self._load(folder)
            target = folder / f"{folder.parent.name}-{int(year)}.xlsx"
            if sub is not None and target.exists():
                history = folder / "history"
                history.mkdir(exist_ok=True)
                stamp = self._stamp(history, sub.uploaded)
                os.replace(target, history / f"{stamp}.xlsx")
                os.replace(folder / _META, history / f"{stamp}.json")
            write_bytes_atomically(target, content)
            write_bytes_atomically(folder / _META, json.dumps(
                meta, ensure_ascii=False, indent=1).encode("utf-8"))
            saved = self._load(folder)
        assert saved is not None
        return saved

    @staticmethod
    def _stamp(history: Path, uploaded: str) -> str:
        base = safe_filename(uploaded.replace(":", "").replace("+", "_"), fallback="earlier")
        stamp, n = base, 1
        while (history / f"{stamp}.xlsx").exists():
            n += 1
            stamp = f"{base}-{n}"
        return stamp

    def _load(self, folder: Path) -> Submission | None:
        try:
            meta = json.loads((folder / _META).read_text(encoding="utf-8"))
            history = folder / "history"
            return Submission(
                agency=str(meta["agency"]), year=int(meta["year"]), folder=folder,
                pack=str(meta.get("pack", "")), uploaded=str(meta.get("uploaded", "")),
                filename=str(meta.get("filename", "")), errors=int(meta.get("errors", 0)),
                warnings=int(meta.get("warnings", 0)), problems=list(meta.get("problems", [])),
                history=len(list(history.glob("*.xlsx"))) if history.is_dir() else 0)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def all(self) -> list[Submission]:
        """Every agency's current submission, newest year first, then by agency."""
        found = [sub for folder in self.submissions.glob("*/*") if folder.is_dir()
                 if (sub := self._load(folder)) is not None]
        return sorted(found, key=lambda s: (-s.year, s.agency))

    def get(self, slug: str, year: int) -> Submission | None:
        """A submission by its folder name and year (as the dashboard's links give them)."""
        if safe_filename(slug, fallback="") != slug or slug in {"", ".", ".."}:
            return None
        return self._load(self.submissions / slug / str(int(year)))

    def find(self, agency: str, year: int) -> Submission | None:
        """An agency's current submission for a year, by its 机关名称."""
        return self._load(self.folder(agency, year))

    def years(self) -> list[int]:
        return sorted({s.year for s in self.all()}, reverse=True)

    def batch_dir(self, year: int) -> Path:
        return self.root / "batch" / str(int(year))
