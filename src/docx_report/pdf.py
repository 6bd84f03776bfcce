"""PDF filing copies of reports: the only module that runs LibreOffice (``pdf_doctor`` only
asks it its version).

* One ``soffice --convert-to`` call converts a whole list of files. Starting LibreOffice costs
  ~0.3 s of CPU (0.9 s on an empty profile); converting a report inside it ~0.1 s (20 copies
  of the tests' sample: ~1.8 s against ~21 s for 20 calls, ``benchmarks/pdf_bulk.py``). That is
  the gain of an instance kept listening over UNO, without the ``uno`` bindings (tied to the
  system Python) or a socket protocol. ``jobs > 1`` splits the list over that many soffice
  processes; by default one per core, each with at least ``DOCS_PER_PROCESS`` reports.
* Each soffice gets a profile (``-env:UserInstallation``) and TMPDIR in a temporary
  directory of its own: concurrent runs never share one, nor touch the clerk's LibreOffice.
  The profile is a checked copy of a seed LibreOffice made once (``pdf_profile``); a run
  after a hang or crash starts on an empty one that only names LibreOffice's version. Inputs
  are copied there as ``d0000.docx`` …, so odd names and twin names cannot clash.
* soffice logs one line per file, in order: ``convert … -> …`` (loaded; the PDF is written
  next) or ``Error: source file could not be loaded``. A watchdog kills the process group when
  neither the log nor the output folder changed for ``timeout`` seconds. After a hang or a
  crash the finished files are kept, the culprit is tried once more, the rest go again.
* A PDF counts only if it ends with ``%%EOF``; it is copied beside its target and moved into
  place with ``os.replace``, so a half-written PDF is never left behind.
* ``fonts/fonts.conf`` (in ``FONTCONFIG_FILE``) maps the official Chinese font names to free
  faces of the same style; ``pdf_doctor`` shows the mapping. ``DOCX_REPORT_SOFFICE`` names a
  soffice that is not on PATH.

What goes in and comes out (the input check, soffice's log, the finished PDF) is read in
``pdf_files``, which never runs LibreOffice.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from docx_report import pdf_profile
from docx_report.confine import confine
from docx_report.errors import ConversionError
from docx_report.files import os_reason
from docx_report.lo_compat import copy_for_libreoffice
from docx_report.outdir import mark_owner, remove_abandoned
from docx_report.pdf_files import (
    _LOAD_FAILED,
    _check_input,
    _complete_pdf,
    _log_tail,
    _make_dir,
    _parse_events,
    _progress_mark,
    with_creation_date,
)

SOFFICE_ENV = "DOCX_REPORT_SOFFICE"
INSTALL_HINT = ("请安装 LibreOffice 和字体：apt-get install libreoffice-writer-nogui "
                "fonts-noto-cjk fonts-lxgw-wenkai texlive-lang-chinese fonts-liberation2"
                "（或在项目目录运行 bash tools/setup.sh）")
PDFA_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
PLAIN_FILTER = "pdf:writer_pdf_Export"
# Forced import filter: without it LibreOffice opens a damaged .docx as plain text and
# "converts" the bytes into pages of garbage.
_DOCX_FILTER = "MS Word 2007 XML"
_POLL_SECONDS = 0.1
_MAX_ATTEMPTS = 2  # a file whose conversion hangs or crashes is tried once more
DOCS_PER_PROCESS = 4  # ``auto_jobs``: fewer reports than this do not get a process of their own
_MAX_DEAD_RUNS = 3  # this many failed runs in a row without any progress: give up
_TMP_PREFIX = "docx-report-pdf-"  # of soffice's log, looked at for progress
_SEED_SECONDS = 30.0  # at most for asking soffice its version, and for building a seed


@dataclass(frozen=True)
class Conversion:
    """The outcome for one input file."""

    source: Path
    pdf: Path | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.pdf is not None


def find_soffice() -> Path | None:
    """The LibreOffice program: $DOCX_REPORT_SOFFICE, else soffice on PATH, else usual places."""
    configured = os.environ.get(SOFFICE_ENV)
    if configured:
        path = Path(configured)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return Path(found)
    candidates = [
        Path("/usr/lib/libreoffice/program/soffice"),
        *sorted(Path("/opt").glob("libreoffice*/program/soffice"), reverse=True),
        Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
    ]
    return next((p for p in candidates if p.is_file() and os.access(p, os.X_OK)), None)


def _require_soffice() -> Path:
    soffice = find_soffice()
    if soffice is not None:
        return soffice
    configured = os.environ.get(SOFFICE_ENV)
    if configured:
        raise ConversionError(f"环境变量 {SOFFICE_ENV} 指向的 {configured} 不是可执行的 "
                              f"LibreOffice 程序（如已安装 LibreOffice，取消这个环境变量即可）。"
                              f"{INSTALL_HINT}")
    raise ConversionError(f"未找到 LibreOffice（soffice），无法生成 PDF。{INSTALL_HINT}")


@contextmanager
def fontconfig_file() -> Iterator[Path]:
    """The packaged fonts.conf as a real file, for FONTCONFIG_FILE."""
    with resources.as_file(resources.files("docx_report") / "fonts" / "fonts.conf") as path:
        yield path


def auto_jobs(count: int) -> int:
    """soffice processes for ``count`` reports: one per core, but each with at least
    ``DOCS_PER_PROCESS`` reports (starting LibreOffice costs as much as converting 2 or 3)."""
    return max(1, min(os.cpu_count() or 1, count // DOCS_PER_PROCESS))


def convert(docx_files: Sequence[Path], out_dir: Path | None = None, *, pdfa: bool = True,
            timeout: float = 120.0, jobs: int | None = None) -> list[Conversion]:
    """Convert reports to PDF/A-2b (plain PDF with ``pdfa=False``): one result per input, in order.

    Each PDF is named after its .docx and written to ``out_dir`` (created if needed), or beside
    its .docx when ``out_dir`` is None. A file that fails gets a Chinese ``error`` naming it and
    the others still convert. Raises ConversionError only when LibreOffice is not installed.
    ``jobs``: soffice processes at once (default ``auto_jobs``).
    """
    sources = [Path(p) for p in docx_files]
    if not sources:
        return []
    soffice = _require_soffice()
    results: dict[int, Conversion] = {}
    tasks: list[_Task] = []
    targets: dict[str, Path] = {}
    out_dir_problem = _make_dir(out_dir) if out_dir is not None else ""
    for i, src in enumerate(sources):
        target = (out_dir if out_dir is not None else src.parent) / f"{src.stem}.pdf"
        key = os.path.normcase(os.path.abspath(target))
        problem = out_dir_problem or _check_input(src)
        if not problem and key in targets:
            problem = f"与 {targets[key]} 的 PDF 同名（{target}），未转换"
        if problem:
            results[i] = Conversion(src, None, f"{src}：{problem}")
            continue
        targets[key] = src
        tasks.append(_Task(i, src, target))
    if tasks:
        try:
            remove_abandoned(_TMP_PREFIX)  # profiles of runs that were killed
            with fontconfig_file() as fonts, tempfile.TemporaryDirectory(
                prefix=_TMP_PREFIX, ignore_cleanup_errors=True
            ) as tmp:
                mark_owner(Path(tmp))
                env = {**os.environ, "FONTCONFIG_FILE": str(fonts)}
                export_filter = PDFA_FILTER if pdfa else PLAIN_FILTER
                profiles = _profiles(soffice, env, timeout, Path(tmp) / "seed")
                n = max(1, min(jobs or auto_jobs(len(tasks)), len(tasks)))
                workers = [_Worker(soffice, export_filter, env, timeout, Path(tmp) / f"w{k}",
                                   tasks[k::n], profiles) for k in range(n)]
                _run_workers(workers)
                if profiles.broken and profiles.kept is not None:
                    pdf_profile.discard_seed(profiles.kept)  # built again next time
                for worker in workers:
                    results.update(worker.results)
        except OSError as exc:  # no room for the temporary directory, and the like
            problem = f"无法使用临时目录：{os_reason(exc)}"
            for task in tasks:
                results.setdefault(task.index, Conversion(task.source, None,
                                                          f"{task.source}：{problem}"))
    return [results[i] for i in range(len(sources))]


@dataclass
class _Profiles:
    """What each soffice's profile starts as (see ``pdf_profile``)."""

    seed: Path | None  # a checked copy of the seed in this run's folder, or None: empty
    version: str  # LibreOffice's, named in an empty profile ('' if unknown)
    kept: Path | None = None  # the seed in the cache it was copied from
    broken: bool = False  # a soffice started on the seed ended abnormally without doing anything

    def make(self, profile: Path, seeded: bool) -> None:
        if seeded and self.seed is not None:
            shutil.copytree(self.seed, profile)  # modification times kept
        else:
            pdf_profile.new_profile(profile, self.version)


def _profiles(soffice: Path, env: dict[str, str], timeout: float, home: Path) -> _Profiles:
    """The seed from the cache, checked and copied into ``home``; else one built there (and
    kept in the cache when it is on: no document is opened for it); else empty profiles."""
    (home / "tmp").mkdir(parents=True)
    seeds = pdf_profile.seeds_folder()
    key = pdf_profile.seed_key(soffice)
    if seeds is not None and os.path.lexists(seeds / key):
        try:
            return _Profiles(home / "seed", pdf_profile.load_seed(seeds / key, home / "seed"),
                             seeds / key)
        except ValueError:  # changed or cut short: built again below
            pdf_profile.discard_seed(seeds / key)
        except OSError:  # this run's folder
            pass
        shutil.rmtree(home / "seed", ignore_errors=True)
    builder = _Worker(soffice, PLAIN_FILTER, env, min(timeout, _SEED_SECONDS), home, [],
                      _Profiles(None, ""))
    version = builder.version()
    if seeds is None or not version:
        return _Profiles(None, version)
    pdf_profile.new_profile(home / "build", version)
    run = builder._soffice([home / "none.docx"], home / "out", home / "build")
    if run.reason or run.events != {"none": _LOAD_FAILED} \
            or not pdf_profile.seed_complete(home / "build", version):
        return _Profiles(None, version)
    pdf_profile.publish_seed(home / "build", seeds, key, version)
    return _Profiles(home / "build", version)


def _run_workers(workers: list[_Worker]) -> None:
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        try:
            for future in [pool.submit(w.run) for w in workers]:
                future.result()
        except BaseException:  # Ctrl-C: stop every soffice before leaving
            for worker in workers:
                worker.stop()
            raise


@dataclass
class _Task:
    index: int
    source: Path
    target: Path
    attempts: int = 0

    @property
    def name(self) -> str:  # the copy soffice sees
        return f"d{self.index:04d}"


@dataclass
class _Run:
    """What one soffice process did."""

    events: dict[str, str]  # copy name -> _LOADED or _LOAD_FAILED
    reason: str = ""  # why it ended abnormally (hang, crash), '' when it ended normally
    log_tail: str = ""

    @property
    def detail(self) -> str:
        return f"（{self.log_tail}）" if self.log_tail else ""


class _Stopped(Exception):
    """Raised inside a worker thread when the main thread was interrupted."""


@dataclass
class _Worker:
    """Converts its tasks with one soffice process at a time, in its own directory."""

    soffice: Path
    export_filter: str
    env: dict[str, str]
    timeout: float
    home: Path
    tasks: list[_Task]
    profiles: _Profiles
    results: dict[int, Conversion] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self._stop.set()

    def _fail(self, task: _Task, message: str) -> None:
        self.results[task.index] = Conversion(task.source, None, f"{task.source}：{message}")

    def run(self) -> None:
        try:
            self._run()
        except _Stopped:
            pass
        except OSError as exc:  # its temporary directory failed (disk full, …)
            for task in self.tasks:
                if task.index not in self.results:
                    self._fail(task, f"无法使用临时目录：{os_reason(exc)}")

    def _run(self) -> None:
        (self.home / "in").mkdir(parents=True)
        (self.home / "tmp").mkdir()  # soffice's own temporary files, gone with our directory
        pending: list[_Task] = []
        for task in self.tasks:
            try:
                copy_for_libreoffice(task.source, self.home / "in" / f"{task.name}.docx")
            except OSError as exc:
                self._fail(task, f"无法读取：{os_reason(exc)}")
                continue
            pending.append(task)
        dead_runs, run_no, profile = 0, 0, self.home / "profile0"
        self.profiles.make(profile, seeded=True)
        while pending:
            run_no += 1
            out = self.home / f"out{run_no}"
            run = self._soffice([self.home / "in" / f"{t.name}.docx" for t in pending], out,
                                profile)
            rest = self._collect(pending, out, run)
            if not run.reason:
                return
            if run_no == 1 and not run.events:
                self.profiles.broken = True
            profile = self.home / f"profile{run_no}"  # a killed soffice may leave it locked
            self.profiles.make(profile, seeded=False)  # not the seed: it may be what went wrong
            dead_runs = 0 if run.events else dead_runs + 1
            if dead_runs >= _MAX_DEAD_RUNS:
                for task in rest:
                    self._fail(task, f"LibreOffice 连续 {dead_runs} 次无法工作，未转换："
                                     f"{run.reason}{run.detail}")
                return
            pending = rest

    def _collect(self, pending: list[_Task], out: Path, run: _Run) -> list[_Task]:
        """Settle what this run finished; return the tasks for the next run."""
        rest: list[_Task] = []
        culprit_seen = False
        for task in pending:
            pdf = out / f"{task.name}.pdf"
            event = run.events.get(task.name)
            if _complete_pdf(pdf):
                self._place(task, pdf)
            elif event == _LOAD_FAILED:
                self._fail(task, "LibreOffice 无法打开此文件（文件已损坏，或不是 Word 文档）")
            elif not run.reason:
                self._fail(task, f"LibreOffice 未能写出 PDF{run.detail}")
            elif culprit_seen:  # after the culprit: never reached, simply goes again
                rest.append(task)
            else:  # the culprit: the file soffice was working on when it hung or crashed
                culprit_seen = True
                task.attempts += 1
                if task.attempts >= _MAX_ATTEMPTS:
                    self._fail(task, f"{run.reason}；重试一次仍失败")
                else:
                    rest.append(task)
        return rest

    def _place(self, task: _Task, pdf: Path) -> None:
        """Copy a finished PDF next to its target, then move it into place atomically."""
        part = task.target.with_name(f".{task.target.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            try:
                data = with_creation_date(pdf.read_bytes(), task.source)
                with part.open("xb") as dst:
                    dst.write(data)
                    dst.flush()
                    os.fsync(dst.fileno())
                os.replace(part, task.target)
            finally:
                part.unlink(missing_ok=True)
        except OSError as exc:
            self._fail(task, f"无法写出 {task.target}：{os_reason(exc)}")
            return
        self.results[task.index] = Conversion(task.source, task.target)

    def version(self) -> str:
        """LibreOffice's version as a profile records it (``7.4``), or ''."""
        cmd = [str(self.soffice), f"-env:UserInstallation={(self.home / 'v').as_uri()}",
               "--version"]
        log = self.home / "version.log"
        try:
            with log.open("wb") as sink:
                proc = subprocess.Popen(confine(cmd, keep=[self.home]), stdin=subprocess.DEVNULL,
                                        stdout=sink, stderr=subprocess.DEVNULL, cwd=self.home,
                                        env={**self.env, "TMPDIR": str(self.home / "tmp")},
                                        start_new_session=True)
            try:
                proc.wait(self.timeout)
            except subprocess.TimeoutExpired:
                pass
            finally:
                _kill_group(proc)  # and a child it left behind
            return pdf_profile.product_version(log.read_text("utf-8", "replace").split("\n")[0])
        except OSError:
            return ""

    def _soffice(self, files: list[Path], out: Path, profile: Path) -> _Run:
        """Run one soffice over ``files``, killing it when it makes no progress."""
        out.mkdir()
        log = out.with_suffix(".log")
        cmd = [str(self.soffice), f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--nologo", "--nodefault", f"--infilter={_DOCX_FILTER}",
               "--convert-to", self.export_filter, "--outdir", str(out), *map(str, files)]
        # no URL a document holds can be fetched, no file outside the job's folder read
        cmd = confine(cmd, keep=[self.home, Path(self.env["FONTCONFIG_FILE"])])
        try:
            with log.open("wb") as sink:  # one file for both streams keeps their order
                proc = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                    env={**self.env, "TMPDIR": str(self.home / "tmp")}, cwd=self.home,
                    start_new_session=True)  # its own process group, to kill it whole
        except OSError as exc:
            return _Run({}, f"无法运行 {self.soffice}：{os_reason(exc)}")
        timed_out = False
        try:
            mark, last = _progress_mark(log, out), time.monotonic()
            while proc.poll() is None:
                if self._stop.wait(_POLL_SECONDS):
                    raise _Stopped
                if (new_mark := _progress_mark(log, out)) != mark:
                    mark, last = new_mark, time.monotonic()
                elif time.monotonic() - last > self.timeout:
                    timed_out = True
                    break
        finally:
            _kill_group(proc)
        text = log.read_text("utf-8", errors="replace")
        if timed_out:
            reason = f"转换超时：LibreOffice 超过 {self.timeout:g} 秒没有进展，已被终止"
        else:
            reason = f"LibreOffice 意外退出（退出码 {proc.returncode}）" if proc.returncode else ""
        return _Run(_parse_events(text, [f.stem for f in files]), reason, _log_tail(text))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill soffice with its children (the soffice script starts oosplash and soffice.bin)."""
    with suppress(OSError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
