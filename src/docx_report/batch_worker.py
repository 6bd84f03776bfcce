"""The worker side of a batch: the worker processes and what each runs for one workbook.

A worker reads, checks and renders one workbook (``_process``) or reads one of last year's
(``_read_previous``) through its own engine, under that workbook's time and memory limit, and
sends back something small (an ``Outcome``, packed for the parent by ``_process_packed``; a
``ReportData`` or a message), never raising.
``_parallel`` is the parent's end of it: the pool of these processes, rebuilt after a worker
dies, so that a workbook that kills its worker fails alone. ``batch`` orchestrates the rest.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from docx_report import engine, limits, similar, summary
from docx_report.batch_store import Packed, packed
from docx_report.errors import WRITE_FAILED, Level, OutputError, Problem, ReportError
from docx_report.pack import Pack
from docx_report.reader import Narrative, ReportData
from docx_report.summary import Outcome, Period, Status, agency_key, shifted

_MAX_CRASH_ROUNDS = 5  # pools rebuilt after a worker died, before the rest are given up
_IN_FLIGHT = 4  # chunks of tasks submitted per worker at a time
_CHUNK = 8  # the most tasks in a chunk (a big batch; a small one sends them one at a time)

T = TypeVar("T")
R = TypeVar("R")


# ---------------------------------------------------------------------------------------------
# Runs in each worker process (or in this one, as the benchmarks do)


@dataclass(frozen=True)
class _Settings:
    staging: Path
    # last year's workbooks by agency and period, read once (by the matching pass)
    previous: dict[tuple[str, Period], ReportData]
    pack: str | None = None  # --pack: a built-in name or a folder, for every workbook


_settings: _Settings | None = None
_in_worker = False
_OVER_LIMIT = "\0docx-report: over limit"  # what a worker sends back for such a workbook


def _init_worker(settings: _Settings, *, ignore_interrupt: bool = True) -> None:
    global _settings, _in_worker
    _settings = settings
    if ignore_interrupt:  # Ctrl-C is the parent's to handle: it cancels and cleans up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _in_worker = True
        limits.apply_memory_limit()
        _exit_with_parent()


def _exit_with_parent() -> None:
    """End this worker when the batch that started it is killed outright (SIGKILL, the OOM
    killer): otherwise it waits for work forever (its siblings keep the task pipe open), and
    holds OUTDIR's lock, inherited from the parent, so that no later batch may use it."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _limited(func: Callable[[tuple[int, T]], R], task: tuple[int, T]) -> R | str:
    """``func(task)`` under one workbook's time and memory limit; ``_OVER_LIMIT`` past it."""
    try:
        with limits.deadline(_in_worker):
            return func(task)
    except (limits.OverLimit, MemoryError):
        return _OVER_LIMIT


def _limited_each(func: Callable[[tuple[int, T]], R], tasks: Sequence[tuple[int, T]]
                  ) -> list[R | str]:
    """``_limited`` for each of a chunk of tasks, in order: one round trip to the parent for
    them all (each trip costs the parent ~0.5 ms, as much as a twentieth of a workbook)."""
    return [_limited(func, task) for task in tasks]


def _message(exc: BaseException) -> str:
    text = str(exc)
    file = getattr(exc, "file", "")
    return text.removeprefix(f"{file}：") if file else text


def _quotes(data: ReportData) -> dict[str, str]:
    """For each narrative a ``contains`` rule asks about, the paragraph that answers it."""
    quotes: dict[str, str] = {}
    for rule in data.pack.rules:
        section = str(rule.options.get("section", ""))
        if rule.kind != "contains" or section in quotes:
            continue
        words = [str(w) for w in rule.options.get("any", ())]
        story = data.narratives.get(section, Narrative())
        paragraphs = [*story.intro, *(p for _, body in story.subsections for p in body)]
        found = next((p for p in paragraphs if any(w in p for w in words)), None)
        if found:
            quotes[section] = found
    return quotes


def _period(pack: Pack, facts: Mapping[str, Any]) -> Period:
    """The pack's period facts (year, month…) as (key, value) pairs; () when one is missing."""
    values = tuple((key, facts.get(key)) for key in pack.period)
    return () if any(v in (None, "") for _, v in values) else values


def _check_one(index: int, path: Path, settings: _Settings) -> Outcome:
    """Read, check and render one workbook through this worker's engine (packs parsed and
    templates compiled once per worker)."""
    eng = engine.default()
    data = eng.read(path, settings.pack)
    agency = str(data.facts.get("agency") or "")
    year = data.facts.get("year") if isinstance(data.facts.get("year"), int) else None
    period = _period(data.pack, data.facts)
    prev_data = (settings.previous.get((agency_key(agency), shifted(period, -1)))
                 if year and period else None)
    prev_path = prev_data.file if prev_data else None
    checked = eng.check_data(data, prev_data)
    outcome = Outcome(index, path, Status.ERRORS, problems=checked.problems, pack=data.pack.name,
                      pack_source=data.pack.source,
                      agency=agency, year=year, facts=dict(data.facts),
                      period=period,
                      figures=summary.figures(data.pack, checked.computed),
                      name=checked.output_name(),
                      previous=prev_path, texts=similar.texts(data.pack, data.narratives))
    if not checked.ok:
        return outcome
    staged = settings.staging / f"{index:06d}.docx"
    try:
        eng.render(checked, staged, staged=True)  # synced once, by os.sync() before publish
    except ReportError as exc:
        outcome.problems.append(Problem(Level.ERROR, f"检查通过，但未能生成报告：{exc}",
                                        file=str(path),
                                        rule=WRITE_FAILED if isinstance(exc, OutputError) else ""))
        return outcome
    outcome.status, outcome.staged = Status.BUILT, staged
    outcome.values = tuple(map(checked.computed.get, data.pack.value_cells()))
    outcome.quotes = _quotes(data)
    return outcome


def _unreadable(index: int, path: Path, message: str) -> Outcome:
    return Outcome(index, path, Status.UNREADABLE,
                   problems=[Problem(Level.ERROR, message, file=str(path))])


def _process(task: tuple[int, Path]) -> Outcome:
    """One workbook, whatever it holds: never raises (a bug is this workbook's problem only)."""
    index, path = task
    assert _settings is not None
    try:
        return _check_one(index, path, _settings)
    except ReportError as exc:
        return _unreadable(index, path, _message(exc))
    except MemoryError:
        raise  # over this workbook's memory limit: ``_limited`` says so
    except Exception as exc:  # the batch goes on; the summary names the cause
        return _unreadable(index, path, f"处理时出现内部错误（{type(exc).__name__}: {exc}），"
                                        "请把此文件报告给维护者")


def _process_packed(task: tuple[int, Path]) -> Packed:
    """``_process``, the outcome packed as the parent keeps it (``batch_store.packed``): the
    parent never unpickles what it only writes to disk."""
    return packed(_process(task))


def _read_previous(task: tuple[int, Path]) -> ReportData | str:
    """Last year's workbook, read once (matched by 机关名称 and period, then checked
    against), or why it cannot be read."""
    try:
        assert _settings is not None
        return engine.default().read(task[1], _settings.pack)  # --pack: last year's too
    except ReportError as exc:
        return _message(exc)
    except MemoryError:
        raise  # over this workbook's memory limit: ``_limited`` says so
    except Exception as exc:  # a bug: this file's problem only
        return f"内部错误（{type(exc).__name__}: {exc}）"



# ---------------------------------------------------------------------------------------------
# The parent's end: the pool


def _parallel(func: Callable[[tuple[int, T]], R], items: Sequence[T], *, jobs: int,
              settings: _Settings, done: Callable[[int, R], None],
              crashed: Callable[[int, T], R]) -> None:
    """Run ``func`` over the items in worker processes; ``done`` gets each result as it comes.

    Each item runs under its own time and memory limit (``limits``); one over it gets
    ``crashed(index, item)``. A worker that dies (a crash, the CPU limit, the OOM killer) or
    is killed because no item finished for longer than any may take breaks the pool: the
    items not finished are run again in a one-process pool, where the first to break is the
    culprit and fails alone.
    """
    pending = list(enumerate(items))
    for round_ in range(_MAX_CRASH_ROUNDS + 1):
        if not pending:
            return
        # Always worker processes, even for one workbook: the limits are the worker's, and a
        # worker killed for a hostile workbook must not take the batch with it.
        pool = ProcessPoolExecutor(max_workers=jobs if round_ == 0 else 1,
                                   initializer=_init_worker, initargs=(settings,))
        # Chunks while no worker has died: then one task at a time, to find the culprit.
        size = max(1, min(_CHUNK, len(pending) // (2 * _IN_FLIGHT * jobs))) if round_ == 0 \
            else 1
        try:
            broken = _round(pool, pending, func, jobs, done, crashed, size)
        except BaseException:  # Ctrl-C: drop what has not started, let the running finish
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if not broken:
            return
        broken.sort(key=lambda task: task[0])
        if round_ > 0 or len(broken) == 1:
            culprit = broken.pop(0)
            done(culprit[0], crashed(*culprit))
        pending = broken
    for index, item in pending:
        done(index, crashed(index, item))


def _round(pool: ProcessPoolExecutor, tasks: Sequence[tuple[int, T]],
           func: Callable[[tuple[int, T]], R], jobs: int, done: Callable[[int, R], None],
           crashed: Callable[[int, T], R], size: int = 1) -> list[tuple[int, T]]:
    """Run the tasks on the pool, ``size`` to a chunk; those it broke on (every task of a
    chunk whose worker died), or never started, are returned.

    A few chunks per worker are in flight, the next submitted as one finishes: each wait looks
    at the few in flight (waiting on all of them at once made every wait cost as much as the
    whole batch: quadratic), and the parent holds few queued tasks.
    """
    broken: list[tuple[int, T]] = []
    queue = iter(tasks)
    futures: dict[Future[list[R | str]], list[tuple[int, T]]] = {}

    def fill() -> None:
        while len(futures) < _IN_FLIGHT * jobs:
            chunk = list(itertools.islice(queue, size))
            if not chunk:
                return
            try:
                futures[pool.submit(_limited_each, func, chunk)] = chunk
            except BrokenProcessPool:  # broken before these started: run again
                broken.extend(chunk)
                broken.extend(queue)

    fill()
    while futures:
        # A chunk may take as long as all its tasks may: only then is a worker stuck.
        finished, _ = wait(futures, timeout=limits.stalled_after() * size,
                           return_when=FIRST_COMPLETED)
        if not finished:  # stuck past every deadline (in C code, in I/O): kill
            _kill_workers(pool)
            continue
        for future in sorted(finished, key=lambda f: futures[f][0][0]):
            chunk = futures.pop(future)
            try:
                results = future.result()
            except BrokenProcessPool:
                broken.extend(chunk)
                continue
            for task, result in zip(chunk, results, strict=True):
                done(task[0], crashed(*task) if result == _OVER_LIMIT else cast(R, result))
        fill()
    return broken


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes: their tasks end with BrokenProcessPool."""
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(OSError, AttributeError):
            process.kill()

