"""Agencies whose narrative sections are identical or nearly so, among thousands, in a batch.

Comparing every agency's text with every other's is quadratic (5,000 agencies, 8 sections:
100 million comparisons). Instead:

- texts equal once numbers, years, spaces and punctuation are taken out are grouped by their
  hash: each is paired with the group's first (n-1 pairs for n copies, not n²/2);
- near copies are found by MinHash over character 3-grams, with locality-sensitive hashing:
  the signature is cut into bands, and only texts sharing a whole band (of the same section)
  become candidates; a crowded bucket (boilerplate many agencies share) compares each text
  with its few neighbours only, so the work stays linear in the number of texts;
- each candidate pair is confirmed with difflib's ratio on the normalised texts.

The pack's ``[similar]`` table sets ``ratio`` (default 0.9) and ``min_chars`` (default 40).
"""

from __future__ import annotations

import errno
import hashlib
import re
import struct
import tempfile
import zlib
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from sys import intern
from typing import IO, overload

from docx_report.batch_store import Entry, Outcomes
from docx_report.pack import Pack, load_pack
from docx_report.reader import Narrative
from docx_report.summary import Status, agency_key
from docx_report.textchecks import parts, similarity

SHINGLE = 3
BANDS, ROWS = 8, 3
CROWDED = 24  # a bucket with more texts than this compares neighbours only
NEIGHBOURS = 3
LIKELY = 0.5  # estimated 3-gram Jaccard below which a pair is not worth difflib's time
_BITS = 2**64 - 1
_SPAN = -(-(_BITS + 1) // (BANDS * ROWS))  # the hash range of one bin
_MIX = 0x9E3779B97F4A7C15
# A bin's value: below _SPAN, or an empty bin's borrowed one, below (BANDS * ROWS + 1) * _SPAN,
# just over 64 bits: 9 bytes each.
WIDTH = 9
_STARTS = [b * _SPAN for b in range(BANDS * ROWS + 1)]  # each bin's first hash, and the end
_LOWS = _STARTS[:-1]
_THREE_BYTES = re.compile("[\u0800-\ud7ff\ue000-\uffff]*")

# (section key + title key, "一、总体情况·（三）政府信息管理", normalised text, MinHash)
Text = tuple[str, str, str, bytes]


@dataclass(frozen=True, slots=True)
class Pair:
    """Two agencies' texts of one section, (nearly) the same."""

    first: int  # indexes into the items given to ``similar_pairs``
    second: int
    place: str
    ratio: float


def texts(pack: Pack, narratives: Mapping[str, Narrative]) -> tuple[Text, ...]:
    """The texts of a workbook worth comparing (long enough), small enough to send home."""
    shortest = int(pack.similar.get("min_chars", 40))
    found = []
    for part in parts(pack, narratives):
        if len(part.text) >= shortest:
            title = part.title.split("）", 1)[-1]
            found.append((f"{part.section.key}/{title}", f"{part.section.heading}·{part.title}",
                          part.text, signature(part.text)))
    return tuple(found)


def signature(text: str) -> bytes:
    """MinHash of the text's 3-grams, by one-permutation hashing (a stable hash: batch workers
    compute it in parallel), as ``WIDTH`` bytes a bin (``values`` reads them back).

    Each 3-gram is hashed once; its hash picks one of the signature's bins and the bin keeps the
    smallest value it gets (Li, Owen and Zhang 2012): one pass over the grams instead of one per
    bin, each bin's smallest found in the sorted hashes. An empty bin (a short text) borrows
    the next filled bin's value, shifted by the distance, so equal texts still have equal
    signatures (Shrivastava and Li 2014). Bytes, not a tuple of ints: a batch's parent holds
    one per text of every workbook (a sixth of the memory), and they pickle faster.
    """
    bins = BANDS * ROWS
    grams = max(1, len(text) - SHINGLE + 1)
    crc, mix, mask = zlib.crc32, _MIX, _BITS
    if _THREE_BYTES.fullmatch(text):  # every character 3 bytes in UTF-8 (Chinese): encode once
        data, size = text.encode(), 3 * SHINGLE
        hashes = [crc(data[i:i + size]) * mix & mask for i in range(0, 3 * grams, 3)]
    else:
        hashes = [crc(text[i:i + SHINGLE].encode()) * mix & mask for i in range(grams)]
    # Sorted, a bin's smallest hash is the first at or after the bin's start (found by
    # bisection, in C); one past the last bin ends the list, so that every bin finds one.
    hashes.sort()
    hashes.append(_STARTS[-1])
    starts = _STARTS
    firsts = list(map(hashes.__getitem__, map(bisect_left, repeat(hashes), _LOWS)))
    mins = [mask if h >= starts[b + 1] else h - starts[b] for b, h in enumerate(firsts)]
    if mask in mins:
        for b in range(bins):
            if mins[b] == _BITS:
                for step in range(1, bins):
                    value = mins[(b + step) % bins]
                    if value != _BITS and value < _SPAN:
                        mins[b] = _SPAN * (step + 1) + value
                        break
    return b"".join([value.to_bytes(WIDTH, "big") for value in mins])


def values(sig: bytes) -> tuple[int, ...]:
    """A signature's bins as numbers (what ``signature`` packed)."""
    return tuple(int.from_bytes(sig[i:i + WIDTH], "big") for i in range(0, len(sig), WIDTH))


def _estimate(a: bytes, b: bytes) -> float:
    """The Jaccard similarity of two texts' 3-grams, estimated from their signatures."""
    return sum(a[i:i + WIDTH] == b[i:i + WIDTH] for i in range(0, len(a), WIDTH)) / (
        len(a) // WIDTH)


def similar_pairs(items: Sequence[tuple[Text, ...]], *, ratio: float = 0.9,
                  read: Callable[[int, int], str] | None = None) -> list[Pair]:
    """Pairs of different items with a section (nearly) the same, each pair once, by place.

    With ``read``, each item's texts stand for themselves by a digest (``digest``), and
    ``read(i, j)`` reads the ``j``-th text of item ``i`` when a likely pair is compared."""
    entries: list[tuple[int, Text]] = [(i, t) for i, ts in enumerate(items) for t in ts]
    places = [j for ts in items for j in range(len(ts))] if read else []

    def full(n: int) -> str:
        return read(entries[n][0], places[n]) if read else entries[n][1][2]

    # pairs of indexes into entries, (a, b) as the number a * size + b (a tuple of two costs
    # ~150 bytes in a set, a number ~60: a batch of near copies has about ten a text)
    size = len(entries)
    candidates: set[int] = set()

    def add(group: Iterable[int]) -> None:
        members = sorted(group)
        if len(members) <= CROWDED:
            candidates.update(a * size + b for k, a in enumerate(members)
                              for b in members[k + 1:])
        else:
            candidates.update(a * size + b for k, a in enumerate(members)
                              for b in members[k + 1:k + 1 + NEIGHBOURS])

    exact: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, (_, (key, _, text, _)) in enumerate(entries):
        exact[key, text].append(n)
    buckets: dict[tuple[str, int, bytes], list[int]] = defaultdict(list)
    signatures: dict[int, bytes] = {}
    for members in exact.values():
        first = members[0]
        key, _, _, sig = entries[first][1]
        signatures[first] = sig
        for band in range(BANDS):
            buckets[key, band, sig[band * ROWS * WIDTH:(band + 1) * ROWS * WIDTH]].append(first)
    for members in buckets.values():
        if len(members) > 1:
            add(set(members))
    # near copies share most 3-grams: leave the others before the (costly) exact ratio
    likely = sorted(pair for pair in candidates
                    if _estimate(signatures[pair // size], signatures[pair % size]) >= LIKELY)
    candidates.clear()  # no longer needed: the likely ones, sorted, are compared
    buckets.clear()
    # Texts already known to be copies of one another form a cluster (union-find): a pair
    # inside one is not compared again, so a text copied by hundreds of agencies costs about
    # one comparison each, and every agency of the cluster is still named in a pair.
    cluster = list(range(len(entries)))

    def root(n: int) -> int:
        while cluster[n] != n:
            cluster[n] = n = cluster[cluster[n]]
        return n

    found: dict[tuple[int, int, str], Pair] = {}

    def record(a: int, b: int, score: float) -> None:
        (ia, (key, place, _, _)), ib = entries[a], entries[b][0]
        cluster[root(b)] = root(a)
        if ia != ib:
            first, second = min(ia, ib), max(ia, ib)
            found.setdefault((first, second, key), Pair(first, second, place, score))

    for members in exact.values():
        for other in members[1:]:
            record(members[0], other, 1.0)
    for a, b in map(divmod, likely, repeat(size)):
        if entries[a][0] == entries[b][0] or root(a) == root(b):
            continue
        score = similarity(full(a), full(b))
        if score >= ratio:
            record(a, b, score)
    return sorted(found.values(), key=lambda p: (p.first, p.second, p.place))


def digest(text: str) -> str:
    """A text as ``similar_pairs`` tells it from others when the text itself is not kept: 128
    bits of BLAKE2b (two texts with the same digest are the same text)."""
    return hashlib.blake2b(text.encode(), digest_size=16).digest().decode("latin-1")


# One text of a section, as ``agencies`` sets it aside: its workbook (a member of the group),
# its place among that workbook's texts, its place's number, digest and signature.
_KEPT = struct.Struct(f"<III16s{BANDS * ROWS * WIDTH}s")  # (a workbook may hold 65,536 texts)
_SPILL = 1 << 16  # bytes of one section's texts set aside at once
_FLOAT, _BITS_OF = struct.Struct("<d"), struct.Struct("<Q")


class _Sections:
    """The texts of a group's workbooks, set aside section by section in a scratch file (texts
    of different sections are never compared: one section's are in memory at a time)."""

    def __init__(self, scratch: IO[bytes]) -> None:
        self.scratch = scratch
        self.chunks: dict[str, list[tuple[int, int]]] = {}  # each section's, in the file
        self.pending: dict[str, bytearray] = {}
        self.places: dict[str, dict[str, int]] = {}
        self.end = 0

    def add(self, member: int, n: int, text: Text) -> None:
        key, place, body, sig = text
        places = self.places.setdefault(key, {})
        number = places.setdefault(place, len(places))
        pending = self.pending.setdefault(key, bytearray())
        pending += _KEPT.pack(member, n, number, digest(body).encode("latin-1"), sig)
        if len(pending) >= _SPILL:
            self._spill(key)

    def _spill(self, key: str) -> None:
        pending = self.pending[key]
        # (the file object, not os.pwrite: on every system, and all written or OSError)
        self.scratch.seek(self.end)
        self.scratch.write(pending)
        self.chunks.setdefault(key, []).append((self.end, len(pending)))
        self.end += len(pending)
        pending.clear()

    def _read(self, at: int, size: int) -> bytes:
        self.scratch.flush()
        self.scratch.seek(at)
        data = self.scratch.read(size)
        if len(data) != size:
            raise OSError(errno.EIO, f"copy detection's scratch file cut short at {at}")
        return data

    def each(self) -> Iterator[tuple[list[int], list[tuple[int, ...]], list[tuple[Text, ...]]]]:
        """Each section's texts, by workbook: the workbooks (members), the place of each text
        among its workbook's, and the texts (their digests standing for them)."""
        for key, places in self.places.items():
            names = {n: intern(place) for place, n in places.items()}
            kept = b"".join([self._read(at, size) for at, size in self.chunks.get(key, ())]
                            ) + self.pending[key]
            owners: list[int] = []
            spots: list[tuple[int, ...]] = []
            items: list[tuple[Text, ...]] = []
            for member, n, number, tag, sig in _KEPT.iter_unpack(kept):
                text = (key, names[number], tag.decode("latin-1"), sig)
                if owners and owners[-1] == member:
                    spots[-1] += (n,)
                    items[-1] += (text,)
                else:
                    owners.append(member)
                    spots.append((n,))
                    items.append((text,))
            yield owners, spots, items


Found = tuple[Entry, Entry, str, float]


class Pairs(Sequence[Found]):
    """Agencies' texts (nearly) the same: (one, other, section, ratio) each, kept in a few
    bytes (a batch of near copies finds about one pair a text: tens of thousands)."""

    def __init__(self) -> None:
        self._firsts: list[Entry] = []
        self._seconds: list[Entry] = []
        self._spots = array("I")  # each pair's place, as a number
        self._ratios = array("d")
        self._numbers: dict[str, int] = {}
        self._places: list[str] = []

    def append(self, pair: Found) -> None:
        first, second, place, ratio = pair
        number = self._numbers.setdefault(place, len(self._places))
        if number == len(self._places):
            self._places.append(place)
        self._firsts.append(first)
        self._seconds.append(second)
        self._spots.append(number)
        self._ratios.append(ratio)

    def __len__(self) -> int:
        return len(self._ratios)

    @overload
    def __getitem__(self, i: int) -> Found: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Found]: ...

    def __getitem__(self, i: int | slice) -> Found | Sequence[Found]:
        if isinstance(i, slice):
            return [self[n] for n in range(*i.indices(len(self)))]
        return (self._firsts[i], self._seconds[i], self._places[self._spots[i]],
                self._ratios[i])

    def __iter__(self) -> Iterator[Found]:
        return map(self.__getitem__, range(len(self)))


def agencies(outcomes: Outcomes) -> Pairs:
    """Agencies (of one pack and year) whose narrative sections are (nearly) the same.

    Each workbook's texts are read back from disk once and set aside, section by section, as
    digests and signatures; a text itself is read again only to be compared with a likely
    copy. The pairs are those ``similar_pairs`` finds among all the texts at once (texts of
    different sections are never paired), in the same order."""
    groups: dict[tuple[str, int | None], list[Entry]] = {}
    for o in outcomes.entries:
        if o.texts and o.status is not Status.DUPLICATE:
            groups.setdefault((o.pack_source or o.pack, o.year), []).append(o)
    found = Pairs()
    for (source, _), members in groups.items():
        ratio = float(load_pack(source).similar.get("ratio", 0.9))
        read: dict[int, tuple[Text, ...]] = {}  # the last members read (a pair's are near)

        def text(member: int, n: int, members: list[Entry] = members,
                 read: dict[int, tuple[Text, ...]] = read) -> str:
            texts = read.get(member)
            if texts is None:
                if len(read) >= 16:
                    read.clear()
                texts = read[member] = outcomes.texts(members[member])
            return texts[n][2]

        # each pair found as one number, (first, second, place) above the ratio's 64 bits:
        # sorted, they come in the order of (first, second, place) (a Pair costs ~130 bytes,
        # a number ~50: a batch of near copies finds about one pair a text)
        codes: list[int] = []
        with tempfile.TemporaryFile(dir=outcomes.staging) as scratch:
            sections = _Sections(scratch)
            for m, member in enumerate(members):
                for n, one in enumerate(outcomes.texts(member)):
                    sections.add(m, n, one)
            places = sorted({place for found_ in sections.places.values() for place in found_})
            rank = {place: r for r, place in enumerate(places)}
            for owners, spots, items in sections.each():

                def texts(i: int, j: int, owners: list[int] = owners,
                          spots: list[tuple[int, ...]] = spots) -> str:
                    return text(owners[i], spots[i][j])

                codes += [((owners[p.first] * len(members) + owners[p.second]) * len(places)
                           + rank[p.place]) << 64 | _BITS_OF.unpack(_FLOAT.pack(p.ratio))[0]
                          for p in similar_pairs(items, ratio=ratio, read=texts)]
        codes.sort()
        for code in codes:
            score = _FLOAT.unpack(_BITS_OF.pack(code & _BITS))[0]
            pair, place = divmod(code >> 64, len(places))
            a, b = (members[m] for m in divmod(pair, len(members)))
            if agency_key(a.agency) != agency_key(b.agency):
                found.append((a, b, places[place], score))
    return found
