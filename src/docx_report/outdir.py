"""One batch at a time in an OUTDIR, and what a killed run left behind cleaned up.

``locked(outdir)`` holds an exclusive ``flock`` on the OUTDIR folder itself for the whole
run: a second batch into the same OUTDIR is told so at once (two runs would otherwise delete
each other's reports through the manifest). The lock goes with the process, however it ends
(even SIGKILL), so a stale lock never blocks the next run, and no lock file is left.
Under the lock, hidden staging folders of an earlier run that was killed are leftovers, and
``remove_leftovers`` deletes them. ``unsafe_parent`` finds a symbolic link on the way from
OUTDIR to a file about to be written (a link ``OUTDIR/汇总`` would lead the batch to write
wherever it points).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from docx_report.errors import OutputError
from docx_report.files import os_reason

try:
    import fcntl
except ImportError:  # Windows: no advisory lock; one run at a time is up to the user
    fcntl = None  # type: ignore[assignment]

@contextlib.contextmanager
def locked(outdir: Path) -> Iterator[None]:
    """Hold OUTDIR for this batch, or raise OutputError when another batch holds it."""
    if fcntl is None:
        yield
        return
    try:  # the folder itself is locked: no lock file to leave behind or to race over
        fd = os.open(outdir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise OutputError(f"无法打开输出目录 {outdir}（{os_reason(exc)}）") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError(f"输出目录 {outdir} 正被另一个 docx-report batch 使用"
                              "（同一目录一次只能运行一个 batch）；请等它结束后再运行，"
                              "或换一个输出目录") from None
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_leftovers(outdir: Path, prefix: str) -> None:
    """Delete hidden staging folders (``prefix``…) a killed run left in OUTDIR (call it while
    holding the lock: then no other run is using one)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(outdir):
            if entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)


def unsafe_parent(outdir: Path, target: Path) -> Path | None:
    """The first folder between OUTDIR and ``target`` that is a symbolic link, if any."""
    try:
        parts = target.parent.relative_to(outdir).parts
    except ValueError:
        return target.parent
    folder = outdir
    for part in parts:
        folder = folder / part
        if folder.is_symlink():
            return folder
    return None


_OWNER = ".owner-pid"


def mark_owner(folder: Path) -> None:
    """Record this process as the owner of a temporary folder (see ``remove_abandoned``)."""
    with contextlib.suppress(OSError):
        (folder / _OWNER).write_text(str(os.getpid()))


def remove_abandoned(prefix: str) -> None:
    """Delete temporary folders (``prefix``… in the system's temporary directory, ours) whose
    owner process is gone: LibreOffice profiles a killed run left behind. A folder without
    an owner record is left alone for an hour (it may be being made right now)."""
    root = tempfile.gettempdir()
    with contextlib.suppress(OSError):
        for entry in os.scandir(root):
            if not entry.name.startswith(prefix) or not entry.is_dir(follow_symlinks=False):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if info.st_uid != os.getuid():
                    continue
                pid = int(Path(entry.path, _OWNER).read_text())
            except (OSError, ValueError):
                if time.time() - info.st_mtime > 3600:
                    shutil.rmtree(entry.path, ignore_errors=True)
                continue
            if pid != os.getpid() and not _alive(pid):
                shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's: alive
    return True
