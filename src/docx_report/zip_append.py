"""Rendered parts added to a zip of a template's unchanged parts, without reading it back.

``StaticZip`` keeps the unchanged members as zipfile wrote them (their local entries and their
central directory records, compressed once when the template is loaded); each rendering appends
its parts' entries and writes the central directory: the same bytes ``zipfile`` writes when it
appends them (``ZipFile(…, "a").writestr``), without parsing the central directory again or
changing the template's ``ZipInfo`` objects. Parts of a size that would need ZIP64 are left to
``zipfile``.
"""

from __future__ import annotations

import copy
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_LARGE = 1 << 30  # from here on ZIP64 may be needed: zipfile writes the archive


class StaticZip:
    """A complete zip (no comment, no ZIP64) to which rendered parts are appended."""

    def __init__(self, data: bytes) -> None:
        signature, _, _, _, count, size, offset, comment = _END.unpack(data[-_END.size:])
        if signature != b"PK\x05\x06" or comment or offset + size + _END.size != len(data):
            raise ValueError("not a zip written by zipfile")
        self._data = data
        self._entries = data[:offset]
        self._central = data[offset:offset + size]
        self._count = count
        # part name -> (its last content, level, compressed, CRC): a part rendered the same
        # as the last time (a footer: the same bytes object) is not compressed again
        self._last: dict[str, tuple[bytes, int, bytes, int]] = {}

    def with_parts(self, parts: Iterable[tuple[zipfile.ZipInfo, bytes]], level: int) -> bytes:
        """The zip with ``parts`` added (deflated at ``level``), as one bytes object."""
        parts = list(parts)
        if len(self._data) + sum(len(data) for _, data in parts) > _LARGE:
            return self._zipfile(parts, level)
        entries, central = [self._entries], [self._central]
        offset = len(self._entries)
        for info, data in parts:
            last = self._last.get(info.filename)
            if last is not None and last[0] is data and last[1] == level:
                packed, crc = last[2], last[3]
            else:
                compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
                packed = compressor.compress(data) + compressor.flush()
                crc = zlib.crc32(data)
                # one assignment: safe when threads render the same template
                self._last[info.filename] = (data, level, packed, crc)
            try:
                name, flags = info.filename.encode("ascii"), 0
            except UnicodeEncodeError:
                name, flags = info.filename.encode("utf-8"), 0x800
            year, month, day, hour, minute, second = info.date_time
            dosdate = (year - 1980) << 9 | month << 5 | day
            dostime = hour << 11 | minute << 5 | (second // 2)
            external = info.external_attr or 0o600 << 16
            entries += [_LOCAL.pack(
                b"PK\x03\x04", info.extract_version, info.reserved, flags,
                zipfile.ZIP_DEFLATED, dostime, dosdate, crc, len(packed), len(data),
                len(name), len(info.extra)), name, info.extra, packed]
            central += [_CENTRAL.pack(
                b"PK\x01\x02", info.create_version, info.create_system, info.extract_version,
                info.reserved, flags, zipfile.ZIP_DEFLATED, dostime, dosdate, crc, len(packed),
                len(data), len(name), len(info.extra), len(info.comment), 0,
                info.internal_attr, external, offset), name, info.extra, info.comment]
            offset += sum(map(len, entries[-4:]))
        size = sum(map(len, central))
        count = self._count + len(parts)
        end = _END.pack(b"PK\x05\x06", 0, 0, count, count, size, offset, 0)
        return b"".join([*entries, *central, end])

    def _zipfile(self, parts: list[tuple[zipfile.ZipInfo, bytes]], level: int) -> bytes:
        buf = io.BytesIO(self._data)
        with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z:
            for info, data in parts:  # a copy: writestr changes it, and it is the template's
                z.writestr(copy.copy(info), data, zipfile.ZIP_DEFLATED, compresslevel=level)
        return buf.getvalue()
