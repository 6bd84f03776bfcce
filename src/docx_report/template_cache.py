"""Compiled template parts kept on disk between runs: a single ``build`` does not compile again.

Compiling a template (docxtpl's ``patch_xml``, Jinja's parse, the safety check, Jinja's compile)
costs about a third of a ``build`` of one workbook. What compiling a part gives depends only on
the part's XML and label and on the code that compiles it, so it is stored under a hash of
those: the part, the versions of Python and Jinja, and the bytes of the modules that patch,
check and compile (``render``, ``sandbox`` and its ``linebreak`` filter, ``table_grid``, this
one, and docxtpl's). Any change to those is a new key; a template that fails to compile is never
stored.

The folder is ``$DOCX_REPORT_CACHE``, else ``$XDG_CACHE_HOME/docx-report``, else
``~/.cache/docx-report`` (made private, 0700, and used only while it is: owned by the user,
writable by no one else); ``DOCX_REPORT_CACHE=off`` turns the cache off.
An entry is a marshalled tuple written atomically; one that cannot be read, or is not of the
expected shape, is ignored and compiled again, as is a folder that cannot be written. Only the
newest ``MAX_ENTRIES`` are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
import stat
import sys
import tempfile
import types
from functools import cache
from pathlib import Path
from typing import Any

_FORMAT = 2
MAX_ENTRIES = 200  # ~130 KB for a body part: at most ~30 MB


@cache
def _code_fingerprint() -> bytes:
    """What the compiled result depends on besides the part itself."""
    import jinja2

    from docx_report import linebreak, render, sandbox, table_grid, xml_pieces

    digest = hashlib.sha256(f"{_FORMAT}|{sys.version}|{jinja2.__version__}".encode())
    for module in (render, sandbox, linebreak, table_grid, xml_pieces, sys.modules[__name__]):
        digest.update(Path(str(module.__file__)).read_bytes())
    # docxtpl's template.py, found without importing docxtpl (and python-docx with it): a
    # render from the cache needs neither
    spec = importlib.util.find_spec("docxtpl")
    folders = spec.submodule_search_locations if spec else None
    digest.update(Path(next(iter(folders)), "template.py").read_bytes() if folders else b"")
    return digest.digest()


def folder() -> Path | None:
    setting = os.environ.get("DOCX_REPORT_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "docx-report"


def private(path: Path) -> bool:
    """The user's own folder (not a link), writable by no one else: anyone who can write in
    it could plant compiled code or a LibreOffice profile."""
    if not hasattr(os, "getuid"):
        return True
    info = path.stat(follow_symlinks=False)
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & 0o022)


def private_folder() -> Path | None:
    """``folder()``, made (0700) if it is not there; None when the cache is off or the folder
    cannot be made or is not ``private`` (then nothing is kept or read)."""
    where = folder()
    if where is None:
        return None
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        return where if private(where) else None
    except OSError:
        return None


def _entry(label: str, xml: str) -> Path | None:
    where = private_folder()
    if where is None:
        return None
    digest = hashlib.sha256(_code_fingerprint())
    digest.update(label.encode("utf-8") + b"\0" + xml.encode("utf-8"))
    return where / f"{digest.hexdigest()}.bin"


def load(label: str, xml: str) -> tuple[list[int], bool, types.CodeType, list[Any]] | None:
    """(template lines, table fix-up needed, Jinja code, summaries of its constants as plain
    tuples) of a part compiled before, or None."""
    try:
        entry = _entry(label, xml)
        if entry is None:
            return None
        value: Any = marshal.loads(entry.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if (isinstance(value, tuple) and len(value) == 5 and value[0] == _FORMAT
            and isinstance(value[1], list) and all(isinstance(n, int) for n in value[1])
            and isinstance(value[2], bool) and isinstance(value[3], types.CodeType)
            and isinstance(value[4], list)):
        return value[1], value[2], value[3], value[4]
    return None


def store(label: str, xml: str, lines: list[int], fix: bool, code: types.CodeType,
          summaries: list[Any]) -> None:
    """Keep a part's compiled form; any failure only means it is compiled again next time."""
    with contextlib.suppress(OSError, ValueError):
        entry = _entry(label, xml)
        if entry is None:
            return
        fd, name = tempfile.mkstemp(dir=entry.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(marshal.dumps((_FORMAT, lines, fix, code, summaries)))
            os.replace(name, entry)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(name)
        _prune(entry.parent)


def _prune(where: Path) -> None:
    """Keep the newest ``MAX_ENTRIES`` (old templates and old versions' entries go)."""
    entries = list(where.glob("*.bin"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime if p.exists() else 0.0)
    for old in entries[:len(entries) - MAX_ENTRIES]:
        with contextlib.suppress(OSError):
            old.unlink()
