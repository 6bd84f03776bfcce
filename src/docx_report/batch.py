"""Many workbooks at once, for the supervising office: reports, PDFs, a summary and the 汇总.

1. ``discover`` finds the workbooks (folders recursively; ``~$`` lock files, hidden files and
   this batch's own outputs skipped). With ``previous``, last year's workbooks are read first
   and indexed by 机关名称 and 年度, so the cross-year rules apply per agency.
2. Every workbook is read, checked and, without error, rendered into a hidden staging folder
   in OUTDIR, by a pool of worker processes (``batch_worker``). A worker loads each pack and
   compiles each template once; it sends back an ``Outcome`` (facts, counts, problems, the
   numbers for the 汇总, texts), never a document, packed: the parent keeps a few facts of it
   in memory and writes the rest to disk unread (``batch_store``), so that its memory does not
   grow with the batch. One broken workbook, even one that kills its worker, never stops the
   others.
3. The parent marks workbooks of the same agency and year as duplicates (neither is kept),
   names the other reports after 机关名称 (``safe_filename``, made unique), builds the 汇总 of
   each pack and year and converts all PDFs in one ``pdf.convert`` call, in a copy of OUTDIR
   inside the staging folder.
4. The files are moved into OUTDIR by atomic renames, ``summary.xlsx`` is written and the files
   the last run listed in its manifest, but this run did not write, are removed.

Ctrl-C before step 4 removes the staging folder and leaves OUTDIR as it was. The manifest lists
this run's files before the first is moved: a run stopped then leaves none unaccounted for.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from docx_report import aggregate, engine, limits, manifest, similar, summary
from docx_report import layout as wb
from docx_report import outdir as outdir_lock
from docx_report.batch_store import Entry, Outcomes, Packed, packed
from docx_report.batch_worker import _init_worker as _init_worker  # for benchmarks/speed.py
from docx_report.batch_worker import (
    _parallel,
    _period,
    _process_packed,
    _read_previous,
    _Settings,
    _unreadable,
)
from docx_report.batch_worker import _process as _process  # for benchmarks/speed.py
from docx_report.errors import (
    WRITE_FAILED,
    InputError,
    Level,
    OutputError,
    Problem,
)
from docx_report.files import os_reason
from docx_report.manifest import MANIFEST_NAME
from docx_report.names import visible
from docx_report.pack import Pack, is_folder
from docx_report.reader import ReportData
from docx_report.sources import PUBLISHED_SUFFIXES
from docx_report.summary import (
    Aggregate,
    BatchResult,
    Outcome,
    Period,
    PreviousMatch,
    Status,
    agency_key,
    period_year,
)

__all__ = ["AGGREGATE_DIR", "MANIFEST_NAME", "SUMMARY_NAME", "Aggregate", "BatchResult",
           "Outcome", "PreviousMatch", "Progress", "Status", "discover", "run_batch"]

# .xls is listed so its sender learns to save as .xlsx; published reports are read as well
SUFFIXES = {".xlsx", ".xlsm", ".xls", *PUBLISHED_SUFFIXES}
SUMMARY_NAME = "summary.xlsx"
AGGREGATE_DIR = "汇总"
_STAGING_PREFIX = ".docx-report-batch-"
_NAMED_DUPLICATES = 5  # other files a duplicate's message names (then: 等 N 份)


class Progress(Protocol):
    """How a caller follows a batch (the CLI draws a bar or prints a line per workbook)."""

    def start(self, total: int) -> None: ...

    # a workbook done (what the parent keeps of it: status, file, agency…); it may still turn
    # out to be 重复
    def advance(self, outcome: Entry) -> None: ...

    # all done, statuses final (each outcome read back from disk when asked for)
    def settled(self, outcomes: Outcomes) -> None: ...

    def phase(self, message: str) -> None: ...


# ---------------------------------------------------------------------------------------------
# Finding workbooks


def _skipped(name: str) -> bool:
    return name.startswith((".", "~$"))


def discover(inputs: Iterable[Path], *, exclude: Iterable[Path] = ()) -> list[Path]:
    """Workbooks named or inside the folders given (recursively), each once, in order."""
    excluded = {os.path.normcase(os.path.abspath(p)) for p in exclude}
    found: dict[str, Path] = {}
    for item in inputs:
        if item.is_dir():
            candidates: list[Path] = []
            for root, dirs, files in os.walk(item):
                dirs[:] = sorted(d for d in dirs if not _skipped(d) and os.path.normcase(
                    os.path.abspath(os.path.join(root, d))) not in excluded)
                candidates += [Path(root) / f for f in sorted(files)
                               if not _skipped(f) and Path(f).suffix.lower() in SUFFIXES]
        else:
            candidates = [] if _skipped(item.name) else [item]
        for path in candidates:
            key = os.path.normcase(os.path.abspath(path))
            if key not in excluded:
                found.setdefault(key, path)
    return list(found.values())


# ---------------------------------------------------------------------------------------------
# The parent side (the workers: ``batch_worker``)


def _period_text(pack: Pack, o: Entry) -> str:
    """How a duplicate's message names its period: 2024年, or 年度 2024、月份 9."""
    if pack.period == ("year",):
        return f"同一年度（{o.year}年）"
    labels = {f.key: f.label for f in pack.fields}
    return "同一期间（" + "、".join(f"{labels.get(k, k)} {v}" for k, v in o.period) + "）"


def _incomplete(entries: Sequence[Entry], aggregates: Sequence[Aggregate],
                make_pdf: bool) -> bool:
    """Did this run fail to write an output it meant to (not for the data's sake)?"""
    return any(e.incomplete or (make_pdf and e.docx and not e.pdf) for e in entries) or any(
        any(p.rule == WRITE_FAILED for p in a.problems) or (make_pdf and a.docx and not a.pdf)
        for a in aggregates)


def _mark_duplicates(entries: Sequence[Entry]) -> None:
    """Workbooks of one agency and one period of the pack (year, or year and month…)."""
    first: dict[tuple[str, Period], Entry] = {}
    groups: dict[tuple[str, Period], list[Entry]] = {}  # only those of two or more
    for o in entries:
        if o.status is not Status.UNREADABLE and o.agency and o.year and o.period:
            key = (agency_key(o.agency), o.period)
            seen = first.setdefault(key, o)
            if seen is not o:
                groups.setdefault(key, [seen]).append(o)
    del first
    for members in groups.values():
        names = "、".join(dict.fromkeys(visible(m.agency) for m in members))  # told apart
        for o in members:
            pack = engine.default().pack(o.pack_source or o.pack)
            named = [m.file for m in members[:_NAMED_DUPLICATES + 1] if m is not o]
            named = named[:_NAMED_DUPLICATES]  # linear in the group, however large it is
            left = len(members) - 1 - len(named)
            others = "、".join(named) + (f" 等 {len(members) - 1} 份" if left else "")
            o.duplicate = Problem(
                Level.ERROR, f"与 {others} 是同一机关（{names}）{_period_text(pack, o)}的工作簿，"
                "均未生成报告、未纳入汇总；请确认保留哪一份，删去其余后重新运行",
                file=o.file, sheet=pack.facts_sheet,
                cell=wb.coordinate(wb.field_row(pack, "agency"), 2), rule="重复")
            o.status = Status.DUPLICATE


def _agency_label(entries: Sequence[Entry]) -> str:
    """The agency field's label of the packs read (机关名称, 街道办事处…), if they agree."""
    labels = set()
    for source in dict.fromkeys(o.pack_source or o.pack for o in entries if o.pack):
        pack = engine.default().pack(source)
        labels |= {f.label for f in pack.fields if f.key == "agency"}
    return labels.pop() if len(labels) == 1 else "单位名称"


def _unique(name: str, used: dict[str, int], fallback: str) -> str:
    """A name not used yet in this run (case-insensitively): 名称, 名称（2）, 名称（3）…

    ``used`` maps each name given (case-folded) to the last number tried after it, so the
    thousandth 名称 costs no more than the second."""
    if not name or name.startswith(".") or os.path.basename(name) != name:
        name = fallback
    n = used.get("\0" + name.casefold(), 1)
    candidate = name if n == 1 else f"{name}（{n}）"
    while candidate.casefold() in used:
        n += 1
        candidate = f"{name}（{n}）"
    used["\0" + name.casefold()] = n  # "\0" cannot start a file name: no clash with names
    used[candidate.casefold()] = 1
    return candidate


def _place(outcomes: Outcomes, outdir: Path, used: dict[str, int]) -> None:
    """Move the rendered reports to (the staged) OUTDIR, each under its own name."""
    for o in outcomes.entries:
        if o.staged is None:
            continue
        if o.status is Status.BUILT:
            target = outdir / f"{_unique(o.name, used, f'报告{o.index + 1}')}.docx"
            try:
                os.replace(outcomes.staging / o.staged, target)
            except OSError as exc:
                o.status = Status.ERRORS
                o.add(Problem(Level.ERROR, f"无法写入报告 {target}：{os_reason(exc)}",
                              file=o.file, rule=WRITE_FAILED))
            else:
                o.docx = os.fspath(target)
        o.staged, o.name = None, ""  # the name is on disk, with the rest


def _aggregates(outcomes: Outcomes, outdir: Path, name: str) -> list[Aggregate]:
    """The 汇总 of each pack and year, over the agencies whose report was built (their
    numbers read back, one group at a time)."""
    groups: dict[tuple[str, Period], list[Entry]] = {}
    excluded: dict[tuple[str, Period], set[str]] = {}
    for o in outcomes.entries:
        if o.pack and o.year and o.period:
            source = o.pack_source or o.pack
            if o.status is Status.BUILT:
                groups.setdefault((source, o.period), []).append(o)
            elif o.agency:
                excluded.setdefault((source, o.period), set()).add(o.agency)
    used: dict[str, int] = {}
    results = []
    for (pack_name, period), members in sorted(groups.items(), key=lambda g: repr(g[0])):
        pack = engine.default().pack(pack_name)
        year = members[0].year
        assert year is not None
        agency = aggregate.aggregate_agency(pack, name, len(members))
        gathered = aggregate.gather(pack, map(outcomes.summed, members))
        facts = {**aggregate.aggregate_facts(pack, year, agency, gathered),
                 **dict(period)}  # the group's period
        base = _unique(aggregate.aggregate_filename(pack, agency, year, facts), used,
                       f"{year}年汇总")
        results.append(aggregate.build_aggregate(
            pack, year, agency, gathered, sorted(excluded.get((pack_name, period), ())),
            outdir / AGGREGATE_DIR / f"{base}.xlsx"))
    return results


def _convert(entries: Sequence[Entry], aggregates: Sequence[Aggregate], *, pdfa: bool,
             jobs: int) -> None:
    from docx_report import pdf
    from docx_report.errors import ConversionError

    sources = [Path(o.docx) for o in entries if o.docx] + [a.docx for a in aggregates if a.docx]
    owners: list[Entry | Aggregate] = [o for o in entries if o.docx]
    owners += [a for a in aggregates if a.docx]
    if not sources:
        return
    try:
        results = pdf.convert(sources, pdfa=pdfa, jobs=jobs)
    except ConversionError as exc:
        results = [pdf.Conversion(src, None, str(exc)) for src in sources]
    for owner, conversion in zip(owners, results, strict=True):
        problem = None if conversion.pdf is not None else Problem(
            Level.ERROR, f"报告已生成，但转换 PDF 失败：{conversion.error}",
            file=str(conversion.source))
        if isinstance(owner, Entry):
            owner.pdf = None if conversion.pdf is None else os.fspath(conversion.pdf)
            if problem:
                owner.add(problem)
        else:
            owner.pdf = conversion.pdf
            if problem:
                owner.problems.append(problem)


def _previous_index(files: Sequence[Path], jobs: int, settings: _Settings
                    ) -> tuple[dict[tuple[str, Period], list[Path]], list[PreviousMatch],
                               dict[tuple[str, Period], ReportData]]:
    """Last year's workbooks by agency and period; the unusable ones; the data of the first
    workbook of each agency and period (kept: the check uses it, no second read)."""
    index: dict[tuple[str, Period], list[Path]] = {}
    rows: list[PreviousMatch] = []
    read: dict[tuple[str, Period], list[tuple[int, ReportData]]] = {}

    def done(i: int, data: ReportData | str) -> None:
        agency = "" if isinstance(data, str) else str(data.facts.get("agency") or "")
        period = () if isinstance(data, str) else _period(data.pack, data.facts)
        if isinstance(data, str) or not agency or not period:
            problem = data if isinstance(data, str) else ""
            rows.append(PreviousMatch(agency, period_year(period), None, files[i],
                                      f"上年工作簿无法使用：{problem or '没有机关名称或年度'}"))
        else:
            index.setdefault((agency_key(agency), period), []).append(files[i])
            read.setdefault((agency_key(agency), period), []).append((i, data))

    _parallel(_read_previous, files, jobs=jobs, settings=settings, done=done,
              crashed=lambda i, path: limits.reason())
    order = {path: i for i, path in enumerate(files)}
    for paths in index.values():
        paths.sort(key=order.__getitem__)
    return index, rows, {key: min(found, key=lambda item: item[0])[1]
                         for key, found in read.items()}


def _warm(pack: str | None) -> None:
    """Load the built-in pack the workbooks most likely use (the one given, else the default)
    and compile its template before the workers start: forked, they inherit both ready to use
    (each worker's first workbook cost ~80 ms more than the next), and this process builds
    the 汇总 with them. A batch of another pack's workbooks pays one needless load here. A
    pack folder is not loaded here: its template is compiled first in a worker, under a
    workbook's limits."""
    from docx_report.report import DEFAULT_PACK

    if pack is not None and is_folder(pack):
        return
    eng = engine.default()
    # Only a head start: whatever is wrong, the workers say so workbook by workbook.
    with contextlib.suppress(Exception):
        eng.template(eng.pack(pack or DEFAULT_PACK).template_path)


def run_batch(inputs: Sequence[Path], outdir: Path, *, jobs: int | None = None,
              make_pdf: bool = False, pdfa: bool = True, previous: Path | None = None,
              name: str = "", progress: Progress | None = None,
              pack: str | None = None) -> BatchResult:
    """Check and build every workbook; write the 汇总 and OUTDIR/summary.xlsx.

    Raises InputError when no workbook is found, OutputError when OUTDIR cannot be made or
    written; problems of single workbooks are never raised: they are in the result and the
    summary. Files the last run into OUTDIR wrote and this one did not are removed, unless
    this run failed to write one of its own (then none is). OUTDIR is locked for the run:
    a second batch into it raises OutputError.
    """
    outdir = Path(outdir)
    summary_path = outdir / SUMMARY_NAME
    # What an earlier run wrote into OUTDIR is never read back as input (reports are .docx).
    written_before = [outdir / f for f in manifest.read_manifest(outdir)]
    files = discover(inputs, exclude=[outdir / AGGREGATE_DIR, summary_path, *written_before])
    if not files:
        raise InputError("没有找到工作簿（.xlsx）或已发布的报告（.docx/.html/.pdf）："
                         + "、".join(str(p) for p in inputs))
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(files)))
    hold = contextlib.ExitStack()  # OUTDIR, for this batch alone, until it is done
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        hold.enter_context(outdir_lock.locked(outdir))
        outdir_lock.remove_leftovers(outdir, _STAGING_PREFIX)  # of a run that was killed
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=outdir))
    except OSError as exc:
        hold.close()
        raise OutputError(f"无法创建输出目录 {outdir}：{os_reason(exc)}") from None
    except BaseException:
        hold.close()
        raise
    stage = staging / "out"  # this run's OUTDIR, until all of it is done
    outcomes: Outcomes | None = None
    try:
        outcomes = store = Outcomes(staging, files)  # on disk as they come, a few facts in memory
        settings = _Settings(staging, {}, pack)
        _warm(pack)
        index: dict[tuple[str, Period], list[Path]] = {}
        unusable: list[PreviousMatch] = []
        if previous is not None:
            if progress:
                progress.phase(f"读取上年工作簿：{previous}")
            index, unusable, last = _previous_index(discover([previous]), jobs, settings)
            settings = _Settings(staging, last, pack)

        def done(i: int, outcome: Packed) -> None:
            entry = store.add(outcome)
            if progress:
                progress.advance(entry)

        # A published report inside OUTDIR keeps its name: a built report never replaces it.
        here = outdir.resolve()
        folders = {folder: folder.resolve() == here for folder in {p.parent for p in files}}
        inputs_here = {p.stem.casefold() for p in files
                       if folders[p.parent] and p.suffix.lower() in PUBLISHED_SUFFIXES}
        if progress:
            progress.start(len(files))
        _parallel(_process_packed, files, jobs=jobs, settings=settings, done=done,
                  crashed=lambda i, path: packed(_unreadable(i, path, limits.reason())))
        del files  # each entry holds its workbook's path as text
        store.settle()
        entries = store.entries
        _mark_duplicates(entries)
        if progress:
            progress.settled(store)
        stage.mkdir()
        _place(store, stage, dict.fromkeys(inputs_here, 1))
        if progress:
            progress.phase("生成汇总")
        aggregates = _aggregates(store, stage, name)
        if make_pdf:
            if progress:
                progress.phase("转换 PDF")
            _convert(entries, aggregates, pdfa=pdfa, jobs=jobs)
        # Copied texts found before anything is moved in: its scratch file may not fit.
        copies = similar.agencies(store)
        os.sync()  # the staged files on disk before they are moved in (one sync, not one a file)
        recorded = manifest.read_manifest(outdir)
        written = manifest.publish([*entries, *aggregates], stage, outdir,
                                  recorded | {SUMMARY_NAME}) | {SUMMARY_NAME}
        matches = summary.previous_rows(entries, index, unusable) if previous else None
        result = BatchResult(outdir, store, aggregates, matches, summary_path,
                             similar=copies,
                             agency_label=_agency_label(entries))
        summary.write_summary(result, summary_path)
        # A run that failed to write something (a full disk…) deletes none of the last run's
        # files: they stay, and stay listed, until a complete run replaces them.
        kept = recorded if _incomplete(entries, aggregates, make_pdf) else set()
        result.stale = manifest.remove_stale(outdir, recorded, written | kept)
    except BaseException as exc:
        if outcomes is not None:
            outcomes.close()
        if isinstance(exc, OSError):  # the outcomes' or a scratch file: a full disk …
            raise OutputError(f"无法写入输出目录 {outdir}：{os_reason(exc)}") from None
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        hold.close()
    return result
