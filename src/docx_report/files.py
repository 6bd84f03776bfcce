"""Writing output files atomically: a temporary file in the target's folder, then os.replace.

Every output of the tool (workbooks, reports, templates) goes through ``atomic_write``, so an
interrupted or failed write never leaves half a file, and an existing file stays untouched
until the new one is complete. The result gets the usual permissions (0666 less the umask),
not the 0600 of a temporary file.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx_report.errors import OutputError

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # the first bytes of an OLE compound file


def is_ole(head: bytes) -> bool:
    """Do a file's first bytes make it an OLE compound file: an old .xls or .doc, or an
    Office file saved with a password (which Office wraps in one)?"""
    return head.startswith(OLE_SIGNATURE)


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: setting the umask to read it is process-wide, so doing it per write
# would, in a threaded server (docx-report serve), let another thread create a file with no
# umask at all in between.
_UMASK = _read_umask()


def _umask() -> int:
    return _UMASK


def atomic_write(out: Path, write: Callable[[Path], None], *, hint: str = "") -> None:
    """Call ``write(tmp)`` for a temporary path beside ``out``, then move it into place.

    ``hint`` is added to the message when the file cannot be written (e.g. "文件是否正在 Word
    中打开？"). Raises OutputError; a missing folder is an error, not created silently.
    """
    if not out.parent.is_dir():
        raise OutputError(f"无法写入 {out}：文件夹 {out.parent} 不存在")
    tmp: Path | None = None
    reason = ""
    hook = sys.unraisablehook
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(name)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, out)
        tmp = None
    except OSError as exc:
        # A writer's half-written file (openpyxl's zip) fails again when it is collected at
        # the end of this block, and Python would print that in English: not to the clerk.
        sys.unraisablehook = _ignore
        reason = os_reason(exc)
    except Exception as exc:  # lxml (openpyxl's writer) reports a failed write as IO_ENOSPC…
        if type(exc).__name__ != "SerialisationError":
            raise
        sys.unraisablehook = _ignore
        code = getattr(errno, str(exc).removeprefix("IO_"), 0)
        reason = os_reason(OSError(code, "")) if isinstance(code, int) and code else "写入失败"
    finally:
        if reason:
            gc.collect()  # the half-written writer's generators and zips, while still quiet
        sys.unraisablehook = hook
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    if reason:
        extra = f"；{hint}" if hint else ""
        raise OutputError(f"无法写入 {out}（{reason}{extra}）")


def _ignore(unraisable: Any) -> None:
    pass


def write_bytes_atomically(out: Path, content: bytes, *, hint: str = "") -> None:
    def write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())

    atomic_write(out, write, hint=hint)


_OS_REASONS = {
    errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "超出磁盘配额",
    errno.EFBIG: "文件超过系统允许的大小",
    errno.EROFS: "只读的文件系统", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
    errno.ENOENT: "文件或文件夹不存在", errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.EISDIR: "是文件夹", errno.EEXIST: "已存在", errno.ENAMETOOLONG: "文件名过长",
    errno.EIO: "读写错误（磁盘或网络盘故障？）", errno.EBUSY: "文件正被占用",
    errno.ETXTBSY: "文件正被占用", errno.EMFILE: "打开的文件过多", errno.ENFILE: "打开的文件过多",
    errno.ELOOP: "符号链接过多", errno.EXDEV: "不能跨文件系统移动", errno.ENOMEM: "内存不足",
}


def os_reason(exc: OSError) -> str:
    """An OSError in the clerk's words (``磁盘空间不足``, not "No space left on device")."""
    if exc.strerror and not exc.strerror.isascii():  # raised by this tool, in Chinese
        return exc.strerror
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    return f"系统错误 {exc.errno}" if exc.errno else "系统错误"


def write_staged(out: Path, content: bytes) -> None:
    """Write a file in a private staging folder: directly, neither through a temporary file nor
    synced. Its owner (a batch) syncs once and moves the finished files into place."""
    try:
        out.write_bytes(content)
    except OSError as exc:
        out.unlink(missing_ok=True)
        raise OutputError(f"无法写入 {out}（{os_reason(exc)}）") from None
