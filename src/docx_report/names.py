"""Output file names made from data (机关名称): always one safe name inside the output folder.

An agency called ``../../x``, ``CON``, ``a/b`` or 300 characters long still gets a file name that
stays in its folder on Linux, macOS and Windows. Invisible characters (zero-width spaces,
bidirectional overrides that show ``txt.exe`` as ``exe.txt``…) are dropped from names, and
``visible`` shows them where two names must be told apart. Linear in the length of the text.
"""

from __future__ import annotations

import re
import unicodedata

_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_BYTES = 180  # leaves room for a suffix and ".docx" under common 255-byte limits
_MAX_TEXT = 4 * MAX_NAME_BYTES  # characters looked at: the rest cannot fit in a name anyway


def invisible(char: str) -> bool:
    """Format characters (Cf: zero-width, bidi controls, soft hyphen, BOM) and fillers."""
    return unicodedata.category(char) == "Cf" or char in "\u115f\u1160\u3164\uffa0"


def strip_invisible(text: str) -> str:
    return "".join(c for c in text if not invisible(c))


def visible(text: str) -> str:
    """The text with each invisible character shown as <U+200B>, so that two names that look
    the same can be told apart in a message."""
    return "".join(f"<U+{ord(c):04X}>" if invisible(c) else c for c in text)


def safe_filename(text: str, *, fallback: str = "报告") -> str:
    """A file name (without extension) from arbitrary text."""
    name = unicodedata.normalize("NFC", strip_invisible(text)[:_MAX_TEXT])
    name = "".join(line.strip() for line in name.splitlines())  # typed line breaks
    name = _FORBIDDEN.sub("_", name)
    name = re.sub(r"_+", "_", " ".join(name.split()))
    name = name.lstrip(" ._").rstrip(" ._") or fallback
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = f"_{name}"
    name = name.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", errors="ignore")
    return name.rstrip(" .") or fallback
