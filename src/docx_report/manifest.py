"""OUTDIR of a batch: this run's files moved in, the manifest of them, the last run's removed.

The manifest (``.docx-report-batch.json``) lists the files a batch wrote in OUTDIR: the next run
removes those it does not write again, and nothing else (only reports, PDFs and workbooks
inside OUTDIR, never hidden files or links), so a rerun leaves OUTDIR holding exactly its own
outputs beside whatever else the office keeps there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from docx_report.batch_store import Entry
from docx_report.errors import WRITE_FAILED, Level, OutputError, Problem
from docx_report.files import os_reason, write_bytes_atomically
from docx_report.outdir import unsafe_parent
from docx_report.summary import Aggregate, Status

MANIFEST_NAME = ".docx-report-batch.json"
_WRITTEN_SUFFIXES = {".docx", ".pdf", ".xlsx"}  # what a batch writes: the only files it removes



def read_manifest(outdir: Path) -> set[str]:
    """The files (paths relative to OUTDIR) the last batch recorded; none if it cannot be read."""
    try:
        files = json.loads((outdir / MANIFEST_NAME).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return set()
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else set()


def write_manifest(outdir: Path, files: Iterable[str]) -> None:
    """Record the files written (through a temporary file: the old list or the new, whole)."""
    data = {"说明": "docx-report batch 在此目录写出的文件。再次运行时，其中本次没有再写出的文件"
                    "会被删除；此目录中的其他文件不受影响。", "files": sorted(set(files))}
    write_bytes_atomically(outdir / MANIFEST_NAME,
                           json.dumps(data, ensure_ascii=False, indent=1).encode())


def publish(owners: Sequence[Entry | Aggregate], stage: Path, outdir: Path,
            recorded: set[str]) -> set[str]:
    """Move the files built in ``stage`` (a copy of OUTDIR) into OUTDIR; the names moved.
    ``recorded`` and their names are listed first, should the run stop halfway through."""
    staged = [(owner, attr, path, path.relative_to(stage)) for owner in owners
              for attr in ("xlsx", "docx", "pdf")
              if (path := _path(getattr(owner, attr, None))) is not None]
    write_manifest(outdir, recorded | {name.as_posix() for *_, name in staged})
    moved: set[str] = set()
    ready: set[Path] = set()  # folders made, no link on their way
    for owner, attr, path, name in staged:
        if getattr(owner, attr) is None:  # a report that could not be moved: nor its PDF
            continue
        target = outdir / name
        try:
            if target.parent not in ready:
                if link := unsafe_parent(outdir, target):  # never write where a link points
                    raise OSError(errno.ELOOP, f"{link} 是符号链接")
                target.parent.mkdir(parents=True, exist_ok=True)
                ready.add(target.parent)
            os.replace(path, target)
        except OSError as exc:
            setattr(owner, attr, None)
            problem = Problem(
                Level.ERROR, f"无法写入 {target}：{os_reason(exc)}（文件是否正在打开？）",
                file=owner.file if isinstance(owner, Entry) else str(target),
                rule=WRITE_FAILED)
            if isinstance(owner, Entry):
                owner.add(problem)
                if attr == "docx":
                    owner.status, owner.pdf = Status.ERRORS, None
            else:
                owner.problems.append(problem)
        else:
            setattr(owner, attr, os.fspath(target) if isinstance(owner, Entry) else target)
            moved.add(name.as_posix())
    old, new = str(stage), str(outdir)
    for owner in owners:  # problems found in the staged files are about the files in OUTDIR
        # (only the parent's own problems of a workbook name the staged OUTDIR)
        problems = (owner.added or []) if isinstance(owner, Entry) else owner.problems
        if any(old in p.file or old in p.message for p in problems):
            problems[:] = [dataclasses.replace(p, file=p.file.replace(old, new),
                                               message=p.message.replace(old, new))
                           for p in problems]
    return moved


def _path(value: Path | str | None) -> Path | None:
    return None if value is None else Path(value)


def remove_stale(outdir: Path, recorded: set[str], written: set[str]) -> list[Path]:
    """Delete the files the last run recorded and this one did not write (and folders left
    empty), then record those written. Only a report, PDF or workbook inside OUTDIR is deleted
    (the manifest may have been edited); those that cannot be (open in Word?) are returned."""
    root = Path(os.path.abspath(outdir))
    folded = {unicodedata.normalize("NFC", name).casefold(): root / name for name in written}
    kept: list[str] = []
    for name in sorted(recorded - written):
        path = Path(os.path.abspath(root / name))
        parts = path.relative_to(root).parts if path.is_relative_to(root) else ()
        twin = folded.get(unicodedata.normalize("NFC", name).casefold())
        if (not parts or any(part.startswith(".") for part in parts)
                or path.suffix.lower() not in _WRITTEN_SUFFIXES or path.is_symlink()
                or not path.is_file() or not path.resolve().is_relative_to(root.resolve())
                or (twin and twin.exists() and path.samefile(twin))):  # written, in other case
            continue
        try:
            path.unlink()
        except OSError:
            kept.append(name)
            continue
        with contextlib.suppress(OSError):  # the folders up to OUTDIR, until one is not empty
            for folder in path.parents[:len(parts) - 1]:
                folder.rmdir()
    with contextlib.suppress(OutputError):  # then the list written before the moves stays
        write_manifest(outdir, written | set(kept))
    return [outdir / name for name in kept]
