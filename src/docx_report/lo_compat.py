"""A .docx as LibreOffice must see it to lay it out as Word does.

LibreOffice (7.x up to at least 25.x, ``writerfilter`` DomainMapper) reads ``w:overflowPunct``
inverted: ``w:val="0"``, which tells Word and WPS to keep a full stop or comma at the end of a
line inside the text block, turns LibreOffice's hanging punctuation on, and the PDF shows the
comma one character past the right margin. The copy handed to LibreOffice for the PDF therefore
has the value flipped; the .docx the clerk gets keeps the standard meaning.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

_PARTS = ("word/styles.xml", "word/document.xml")
_OVERFLOW = re.compile(rb'<w:overflowPunct(?:\s+w:val="([^"]*)")?\s*/>')
_FALSE = {b"0", b"false", b"off"}
MAX_PART = 64 * 2**20  # larger parts are left alone (the copy is then unchanged)


def _flip(match: re.Match[bytes]) -> bytes:
    value = match.group(1)
    on = value is None or value.lower() not in _FALSE
    return b'<w:overflowPunct w:val="' + (b"0" if on else b"1") + b'"/>'


def copy_for_libreoffice(source: Path, target: Path) -> None:
    """Copy a .docx, with ``w:overflowPunct`` flipped for LibreOffice where it is set."""
    try:
        with zipfile.ZipFile(source) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            wanted = [n for n in _PARTS if n in infos and infos[n].file_size <= MAX_PART]
            parts = {n: zf.read(n) for n in wanted}
            changed = {n: _OVERFLOW.sub(_flip, data) for n, data in parts.items()
                       if b"overflowPunct" in data}
            if not changed:
                shutil.copyfile(source, target)
                return
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
                for name, info in infos.items():
                    if name in changed:
                        out.writestr(info, changed[name], compress_type=info.compress_type)
                        continue
                    with zf.open(info) as src, out.open(info, "w") as dst:
                        shutil.copyfileobj(src, dst)  # streamed: an entry is never held whole
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, KeyError,
            EOFError, RuntimeError):
        # Not a package we can rewrite: LibreOffice gets the file as it is and says what it
        # makes of it.
        shutil.copyfile(source, target)
