"""PDF filing copies of reports: the only module that runs LibreOffice.

* One ``soffice --convert-to`` call converts a whole list of files. Starting LibreOffice costs
  about a second; converting a report inside it a tenth of that (20 reports: ~2.8 s against
  ~20 s for 20 calls, ``benchmarks/pdf_bulk.py``). That is the gain of an instance kept
  listening over UNO, without the ``uno`` bindings (tied to the system Python) or a socket
  protocol. ``jobs > 1`` splits the list over that many soffice processes; by default one per
  core, each with at least ``DOCS_PER_PROCESS`` reports (a start-up costs ~6 conversions).
* Each soffice gets a new profile (``-env:UserInstallation``) and TMPDIR in a temporary
  directory of its own: concurrent runs never share one, nor touch the clerk's LibreOffice.
  Inputs are copied there as ``d0000.docx`` …, so odd names and twin names cannot clash.
* soffice logs one line per file, in order: ``convert … -> …`` (loaded; the PDF is written
  next) or ``Error: source file could not be loaded``. A watchdog kills the process group when
  neither the log nor the output folder changed for ``timeout`` seconds. After a hang or a
  crash the finished files are kept, the culprit is tried once more, the rest go again.
* A PDF counts only if it ends with ``%%EOF``; it is copied beside its target and moved into
  place with ``os.replace``, so a half-written PDF is never left behind.
* ``fonts/fonts.conf`` (in ``FONTCONFIG_FILE``) maps the official Chinese font names to free
  faces of the same style; ``doctor()`` shows the mapping. ``DOCX_REPORT_SOFFICE`` names a
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

from docx_report.confine import confine, confinement
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


@dataclass(frozen=True)
class Conversion:
    """The outcome for one input file."""

    source: Path
    pdf: Path | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.pdf is not None


@dataclass(frozen=True)
class DoctorLine:
    """One finding of ``doctor()``: what was checked, whether it is fine, and the detail."""

    what: str
    ok: bool
    detail: str


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
    ``DOCS_PER_PROCESS`` reports (starting LibreOffice costs as much as converting ~6)."""
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
                n = max(1, min(jobs or auto_jobs(len(tasks)), len(tasks)))
                workers = [_Worker(soffice, export_filter, env, timeout, Path(tmp) / f"w{k}",
                                   tasks[k::n]) for k in range(n)]
                _run_workers(workers)
                for worker in workers:
                    results.update(worker.results)
        except OSError as exc:  # no room for the temporary directory, and the like
            problem = f"无法使用临时目录：{os_reason(exc)}"
            for task in tasks:
                results.setdefault(task.index, Conversion(task.source, None,
                                                          f"{task.source}：{problem}"))
    return [results[i] for i in range(len(sources))]


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
        while pending:
            run_no += 1
            out = self.home / f"out{run_no}"
            run = self._soffice(pending, out, profile)
            rest = self._collect(pending, out, run)
            if not run.reason:
                return
            profile = self.home / f"profile{run_no}"  # a killed soffice may leave it locked
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

    def _soffice(self, tasks: list[_Task], out: Path, profile: Path) -> _Run:
        """Run one soffice over ``tasks``, killing it when it makes no progress."""
        out.mkdir()
        log = out.with_suffix(".log")
        cmd = [str(self.soffice), f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--nologo", "--nodefault", f"--infilter={_DOCX_FILTER}",
               "--convert-to", self.export_filter, "--outdir", str(out),
               *(str(self.home / "in" / f"{t.name}.docx") for t in tasks)]
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
        return _Run(_parse_events(text, [t.name for t in tasks]), reason, _log_tail(text))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill soffice with its children (the soffice script starts oosplash and soffice.bin)."""
    with suppress(OSError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


# ---- doctor ---------------------------------------------------------------------------------

# official name, its style, the faces of that style (fonts.conf), the package that brings one
_FONTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("仿宋_GB2312", "仿宋", ("FandolFang",), "texlive-lang-chinese"),
    ("仿宋", "仿宋", ("FandolFang",), "texlive-lang-chinese"),
    ("楷体_GB2312", "楷体", ("LXGW WenKai", "AR PL UKai CN", "FandolKai"), "fonts-lxgw-wenkai"),
    ("楷体", "楷体", ("LXGW WenKai", "AR PL UKai CN", "FandolKai"), "fonts-lxgw-wenkai"),
    ("黑体", "黑体", ("Noto Sans CJK SC", "FandolHei"), "fonts-noto-cjk"),
    ("宋体", "宋体", ("Noto Serif CJK SC", "FandolSong"), "fonts-noto-cjk"),
    ("方正小标宋简体", "宋体", ("Noto Serif CJK SC", "FandolSong"), "fonts-noto-cjk"),
    ("Times New Roman", "衬线体",
     ("Liberation Serif", "TeX Gyre Termes", "Nimbus Roman", "Noto Serif CJK SC"),
     "fonts-liberation2"),
)


def doctor() -> list[DoctorLine]:
    """Check what PDF conversion needs: LibreOffice, and a face of the right style per font."""
    # confinement is reported, never a failure: the template check still stands
    lines = [_check_soffice(), DoctorLine("LibreOffice 隔离", True, confinement())]
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return [*lines, DoctorLine("字体", False, "未找到 fc-match：apt-get install fontconfig")]
    with fontconfig_file() as fonts:
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts)}
        for official, style, faces, package in _FONTS:
            query = [fc_match, "--format", "%{family[0]}\t%{style[0]}", f"{official}:lang=zh-cn"]
            found = _output(query, env)
            family, _, face_style = found.partition("\t")
            if family in (*faces, official):
                lines.append(DoctorLine(official, True, f"{family} {face_style}（{style}）"))
            else:
                got = f"{family} {face_style}，不是{style}" if family else "没有可用的字体"
                hint = f"请安装 {package}（提供 {faces[0]}）"
                lines.append(DoctorLine(official, False, f"{got}：{hint}"))
    return lines


def _check_soffice() -> DoctorLine:
    soffice = find_soffice()
    if soffice is None:
        where = f"环境变量 {SOFFICE_ENV} 指向的程序不可用。" if os.environ.get(SOFFICE_ENV) else ""
        return DoctorLine("LibreOffice", False, f"未找到 soffice。{where}{INSTALL_HINT}")
    version = _output([str(soffice), "--version"], dict(os.environ))
    if not version.startswith("LibreOffice"):
        return DoctorLine("LibreOffice", False, f"{soffice} 无法运行：{version or '没有输出'}")
    return DoctorLine("LibreOffice", True, f"{version}（{soffice}）")


def _output(cmd: list[str], env: dict[str, str]) -> str:
    """The first line a command prints, or why it could not run."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=env,
                              timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"无法运行（{exc}）"
    return (done.stdout.strip().splitlines() or [""])[0]
