"""A batch's outcomes while it runs: on disk, with a few hundred bytes of each in memory.

A batch of thousands of workbooks used to hold every worker's ``Outcome`` (its problems and
their messages, facts, key figures, the numbers for the 汇总, the texts compared across
agencies) until it was done: ~14 KB a workbook in the parent, 140 MB at 5,000. ``Outcomes``
writes each, as it comes, to an unnamed file in the batch's staging folder, in four parts
(its problems, the rest summary.xlsx shows, what the 汇总 sums, the texts), and keeps an
``Entry``: what the parent's own steps look at and change (status, names, the files written,
the problems the parent adds). Each step reads back only the part it needs, once, in order.
``Outcomes`` is the batch result's sequence of outcomes, each read back whole, with its
entry's changes, when asked for: the file stays open (unnamed) as long as the result lives.
"""

from __future__ import annotations

import errno
import os
import pickle
import struct
import sys
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from docx_report.errors import WRITE_FAILED, Level, Problem, sort_problems
from docx_report.summary import Outcome, Period, Status

_HEAD = struct.Struct("<IIII")  # the sizes of a record's four parts
_PROBLEMS, _ROW, _SUMS, _TEXTS = range(4)
_FLUSH = 1 << 18  # bytes of records written at once


# A problem as kept on disk: (is an error, message, file, sheet, cell, rule)
Flat = tuple[bool, str, str, str, str, str]
_LEVELS = {True: Level.ERROR, False: Level.WARNING}


def _flat(p: Problem) -> Flat:
    return p.level is Level.ERROR, p.message, p.file, p.sheet, p.cell, p.rule


@dataclass(slots=True, eq=False)
class Entry:
    """One outcome as the parent holds it while the batch runs (the rest is on disk)."""

    index: int
    file: str  # the workbook (paths as text: a Path costs ~600 bytes, its text ~100)
    status: Status
    agency: str
    year: int | None
    period: Period
    pack: str
    pack_source: str
    name: str  # until the report is placed
    staged: str | None  # the staged report's name in the staging folder, until placed
    docx: str | None = None
    pdf: str | None = None
    duplicate: Problem | None = None  # sorted among the worker's problems
    added: list[Problem] | None = None  # the problems the parent adds, after all those
    problems: int = 0  # how many the worker found
    errors: int = 0  # of them errors
    write_failed: bool = False  # one of them is WRITE_FAILED
    texts: bool = False
    at: int = 0  # the record's place in the file, and its size
    size: int = 0

    def add(self, problem: Problem) -> None:
        if self.added is None:
            self.added = []
        self.added.append(problem)

    @property
    def problem_count(self) -> int:
        return self.problems + (self.duplicate is not None) + len(self.added or ())

    @property
    def error_count(self) -> int:
        return self.errors + (self.duplicate is not None) + sum(
            1 for p in self.added or () if p.level is Level.ERROR)

    @property
    def warning_count(self) -> int:
        return self.problem_count - self.error_count

    @property
    def incomplete(self) -> bool:
        """Did the run fail to write one of this workbook's files?"""
        return self.write_failed or any(p.rule == WRITE_FAILED for p in self.added or ())


# What a worker sends home for one workbook: the few facts the parent keeps (``Entry``) and the
# rest as the record the parent writes to disk unread (never unpickled on the way in).
Head = tuple[int, str, str, "int | None", Period, str, str, str, "str | None", int, int, bool,
             bool, tuple[str, ...]]
Packed = tuple[Head, bytes]


def packed(outcome: Outcome) -> Packed:
    """An outcome as a worker sends it (see ``Packed``): its record's four parts pickled."""
    o = outcome
    flat = [_flat(p) for p in o.problems]
    parts = [pickle.dumps(part, pickle.HIGHEST_PROTOCOL) for part in (
        flat, (o.figures, o.previous, o.name), (o.facts, o.values, o.quotes), o.texts or None)]
    head: Head = (o.index, o.status.value, o.agency, o.year, o.period, o.pack, o.pack_source,
                  o.name, None if o.staged is None else o.staged.name, len(flat),
                  sum(1 for f in flat if f[0]), any(f[5] == WRITE_FAILED for f in flat),
                  bool(o.texts), tuple(o.figures))
    return head, _HEAD.pack(*map(len, parts)) + b"".join(parts)


class Outcomes(Sequence[Outcome]):
    """The outcomes of a batch, in the order of its workbooks (see the module's doc)."""

    def __init__(self, staging: Path, files: Sequence[Path]) -> None:
        """Outcomes of ``files``, kept in ``staging`` (where the workers stage reports)."""
        # unnamed: gone with the process; closed by ``close`` or when no longer referenced.
        # (Windows names it, and an open file keeps its folder: there it is not in staging,
        # which the batch removes while its result, and so the file, lives on.)
        self._file = tempfile.TemporaryFile(  # noqa: SIM115
            dir=staging if os.name != "nt" else None)
        self._close = weakref.finalize(self, self._file.close)
        self._end = 0  # the records' end, those not written yet included
        self._pending = bytearray()  # records not written yet
        self.staging = staging
        self._files: list[str] | None = list(map(os.fspath, files))
        self._slots: list[Entry | None] = [None] * len(files)
        self._settled = False
        self._shared: dict[Any, Any] = {}  # one copy of the period, year, pack each repeats
        self.labels: dict[str, None] = {}  # every key figure's label, in order

    def close(self) -> None:
        self._close()

    def _one(self, value: Any) -> Any:
        return self._shared.setdefault(value, value)

    def add(self, outcome: Outcome | Packed) -> Entry:
        """Keep an outcome (on disk) as it comes from its worker, packed or not."""
        head, record = packed(outcome) if isinstance(outcome, Outcome) else outcome
        (index, status, agency, year, period, pack_name, source, name, staged, problems, errors,
         failed, texts, labels) = head
        at = self._end
        self._end += len(record)
        self._pending += record
        if len(self._pending) >= _FLUSH:
            self._flush()
        for label in labels:
            if label not in self.labels:
                self.labels[sys.intern(label)] = None
        assert self._files is not None, "no outcome comes once all have"
        entry = Entry(index, self._files[index], Status(status), agency, self._one(year),
                      self._one(period), self._one(pack_name), self._one(source), name, staged,
                      problems=problems, errors=errors, write_failed=failed, texts=texts,
                      at=at, size=len(record))
        self._slots[index] = entry
        return entry

    def _flush(self) -> None:
        # (the file object, not os.pwrite: on every system, and all written or OSError)
        self._file.seek(self._end - len(self._pending))
        self._file.write(self._pending)
        self._file.flush()
        self._pending.clear()

    def settle(self) -> None:
        """All have come (the ones that never did are dropped)."""
        self._slots = [e for e in self._slots if e is not None]
        self._settled = True
        self._files = None
        self._flush()

    @property
    def entries(self) -> list[Entry]:
        return self._slots if self._settled else [e for e in self._slots if e is not None]  # type: ignore[return-value]

    def _parts(self, entry: Entry, *wanted: int) -> list[Any]:
        if self._pending:
            self._flush()
        self._file.seek(entry.at)
        record = self._file.read(entry.size)
        if len(record) != entry.size:
            raise OSError(errno.EIO, f"batch outcomes cut short at {entry.at}")
        sizes = _HEAD.unpack_from(record)
        starts = [_HEAD.size]
        for size in sizes:
            starts.append(starts[-1] + size)
        return [pickle.loads(record[starts[n]:starts[n + 1]]) for n in wanted]

    def problems(self, entry: Entry, flat: list[Flat] | None = None) -> list[Problem]:
        """The entry's problems: the worker's (``flat``, if read), then the parent's."""
        if flat is None:
            flat = self._parts(entry, _PROBLEMS)[0]
        found = [Problem(_LEVELS[error], *rest) for error, *rest in flat]
        if entry.duplicate is not None:
            found = sort_problems([*found, entry.duplicate])
        return [*found, *entry.added] if entry.added else found

    def flat_problems(self) -> Iterator[tuple[Entry, list[Flat]]]:
        """Each entry with its problems as ``Flat`` tuples (made no further: a summary's row)."""
        for entry in self.entries:
            flat: list[Flat] = self._parts(entry, _PROBLEMS)[0]
            if entry.duplicate is not None:
                flat = list(map(_flat, self.problems(entry, flat)))
            elif entry.added:
                flat = [*flat, *map(_flat, entry.added)]
            yield entry, flat

    def texts(self, entry: Entry) -> tuple[tuple[str, str, str, bytes], ...]:
        """The texts compared with other agencies' (``similar``)."""
        return (self._parts(entry, _TEXTS)[0] or ()) if entry.texts else ()

    def summed(self, entry: Entry) -> Outcome:
        """What the 汇总 takes of a built report: its agency, facts, values and quotes."""
        facts, values, quotes = self._parts(entry, _SUMS)[0] or ({}, None, {})
        return Outcome(entry.index, Path(entry.file), entry.status, agency=entry.agency,
                       year=entry.year, facts=facts, values=values, quotes=quotes)

    def rows(self) -> Iterator[tuple[Entry, dict[str, Any], Path | None]]:
        """Each entry with its key figures and last year's workbook."""
        for entry in self.entries:
            figures, previous, _ = self._parts(entry, _ROW)[0]
            yield entry, figures, previous

    def outcome(self, entry: Entry) -> Outcome:
        """The outcome as it is now: as it came, with the parent's changes."""
        problems, (figures, previous, name), sums, texts = self._parts(entry, 0, 1, 2, 3)
        facts, values, quotes = sums if sums is not None else ({}, None, {})
        return Outcome(entry.index, Path(entry.file), entry.status, self.problems(entry, problems),
                       entry.pack, entry.pack_source, entry.agency, entry.year, entry.period,
                       facts, figures, values, quotes, texts or (), name, previous,
                       None if entry.staged is None else self.staging / entry.staged,
                       None if entry.docx is None else Path(entry.docx),
                       None if entry.pdf is None else Path(entry.pdf))

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, i: int) -> Outcome: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Outcome]: ...

    def __getitem__(self, i: int | slice) -> Outcome | Sequence[Outcome]:
        entries = self.entries
        if isinstance(i, slice):
            return [self.outcome(e) for e in entries[i]]
        return self.outcome(entries[i])

    def __iter__(self) -> Iterator[Outcome]:
        return (self.outcome(e) for e in self.entries)
