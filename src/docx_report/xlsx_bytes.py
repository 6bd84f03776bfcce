"""A workbook's members as bytes: inflated as they really are, and what their bytes may hold.

``xlsx_survey`` parses what comes out; what is decided here from bytes is only ever that
something is absent (a name no byte spells is in no element), so that work can be skipped.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

MAX_MEMBER = 60 * 1024 * 1024  # one member, as inflated
CHUNK = 64 * 1024
BOMB = "文件解压后异常巨大（疑似压缩炸弹），已拒绝读取"
# What the survey looks at in a part that is no worksheet, as its bytes spell it: elements
# named c or v (the name ends at a space, "/" or ">"), with or without a prefix, other names.
_ELEMENT_CV, _PREFIXED_CV = re.compile(rb"<[cv][\s/>]"), re.compile(rb":[cv][\s/>]")
_SHEET_WORDS = (b"sqref", b"mergeCell", b"hyperlink", b"comment")
OVERLAP = 16  # bytes of the chunk before looked at again: the longest name above, and more


class Refused(Exception):
    """Raised inside the scan: the workbook is refused with this message."""

    def __init__(self, message: str, part: str = "") -> None:
        super().__init__(message)
        self.message, self.part = message, part


def may_spell_underscore(data: bytes) -> bool:
    """Could text parsed from these bytes hold an ``_``? Only where it is written, or spelled by
    a character reference (``&#95;``, ``&#x5F;``). expat reads ``_`` from no other byte in any
    encoding it accepts (the ASCII bytes of markup are themselves in every single-byte one);
    UTF-16, whose references are spelled apart, has NUL bytes."""
    return b"_" in data or b"&#" in data or b"\0" in data


def may_hold_sheet_names(data: bytes) -> bool:
    """Could these bytes hold an element or attribute that the survey looks at in a part that is
    no worksheet (a cell, a value, a merge, a hyperlink, a comment, a ``sqref``)? Names are
    written as they are (no reference spells them; in every encoding expat accepts, their ASCII
    bytes are themselves, except UTF-16, which has NUL bytes)."""
    return (b"\0" in data or _ELEMENT_CV.search(data) is not None
            or _PREFIXED_CV.search(data) is not None
            or any(word in data for word in _SHEET_WORDS))


def _chunks(member: Any) -> Iterator[bytes]:
    """A small member's bytes through zipfile, in chunks, stopping at the member limit."""
    total = 0
    while chunk := member.read(CHUNK):
        total += len(chunk)
        if total > MAX_MEMBER:
            raise Refused(BOMB)
        yield chunk


def inflate_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                   limit: int = MAX_MEMBER) -> Iterator[bytes]:
    """The member's bytes as they really inflate, in chunks: never more than one chunk in
    memory, and counted to the end of the compressed stream, whatever size is declared.

    zipfile stops at the declared size; openpyxl's ``read()`` inflates the whole stream in one
    call before cutting it there, so the real size is what costs memory.
    """
    for chunk, _ in inflate_chunks(zf, info, limit):
        yield chunk


def inflate_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                   limit: int) -> Iterator[tuple[bytes, bool]]:
    """``inflate_member``'s chunks, each with whether it is surely the last (a stream that ends
    in a chunk of no bytes has its last chunk before it not so marked)."""
    fp = zf.fp
    assert fp is not None
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) != 30 or not header.startswith(b"PK\x03\x04"):
        raise zipfile.BadZipFile("bad local header")
    fp.seek(int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little"),
            os.SEEK_CUR)
    left = info.compress_size
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    total = 0
    while left > 0 or (inflate is not None and inflate.unconsumed_tail):
        if inflate is not None and inflate.unconsumed_tail:
            chunk = inflate.decompress(inflate.unconsumed_tail, CHUNK)
        else:
            raw = fp.read(min(CHUNK, left))
            if not raw:
                raise EOFError
            left -= len(raw)
            chunk = inflate.decompress(raw, CHUNK) if inflate is not None else raw
        total += len(chunk)
        if total > limit:
            raise Refused(BOMB)
        ended = inflate.eof if inflate is not None else left == 0
        if chunk:
            yield chunk, ended
        if ended and inflate is not None:
            return


def looks_like_xml(head: bytes) -> bool:
    start = head[:64].lstrip(b" \t\r\n")
    return start.startswith((b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
