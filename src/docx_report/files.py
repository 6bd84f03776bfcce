"""Writing output files atomically: a temporary file in the target's folder, then os.replace.

Every output of the tool (workbooks, reports, templates) goes through ``atomic_write``, so an
interrupted or failed write never leaves half a file, and an existing file stays untouched
until the new one is complete. The result gets the usual permissions (0666 less the umask),
not the 0600 of a temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from docx_report.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(out: Path, write: Callable[[Path], None], *, hint: str = "") -> None:
    """Call ``write(tmp)`` for a temporary path beside ``out``, then move it into place.

    ``hint`` is added to the message when the file cannot be written (e.g. "文件是否正在 Word
    中打开？"). Raises OutputError; a missing folder is an error, not created silently.
    """
    if not out.parent.is_dir():
        raise OutputError(f"无法写入 {out}：文件夹 {out.parent} 不存在")
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(name)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, out)
        tmp = None
    except OSError as exc:
        extra = f"；{hint}" if hint else ""
        raise OutputError(f"无法写入 {out}（{exc.strerror or exc}{extra}）") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def write_bytes_atomically(out: Path, content: bytes, *, hint: str = "") -> None:
    def write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())

    atomic_write(out, write, hint=hint)
