"""Output file names made from data (机关名称): always one safe name inside the output folder.

An agency called ``../../x``, ``CON``, ``a/b`` or 300 characters long still gets a file name that
stays in its folder on Linux, macOS and Windows.
"""

from __future__ import annotations

import re
import unicodedata

_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_BYTES = 180  # leaves room for a suffix and ".docx" under common 255-byte limits


def safe_filename(text: str, *, fallback: str = "报告") -> str:
    """A file name (without extension) from arbitrary text."""
    name = "".join(line.strip() for line in unicodedata.normalize("NFC", text).splitlines())
    name = _FORBIDDEN.sub("_", name)
    name = re.sub(r"_+", "_", " ".join(name.split()))
    name = name.lstrip(" ._").rstrip(" ._") or fallback
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = f"_{name}"
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1]
    return name.rstrip(" .") or fallback
