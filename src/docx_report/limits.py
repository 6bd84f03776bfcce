"""Limits of one batch worker: each workbook is checked and built under a time and memory limit.

A batch runs each workbook in a worker process. ``apply_memory_limit`` caps the worker's
address space (``RLIMIT_AS``): a workbook that would take more gets a MemoryError, or kills
its worker, never the machine or the batch. ``deadline`` gives one workbook its processor
time: a soft deadline (``ITIMER_PROF``) raises ``OverLimit`` inside Python code, and a hard
one (``RLIMIT_CPU``, a few seconds later) kills a worker stuck in C code; the parent replaces
a killed worker and lists the workbook with the reason. The parent also kills workers when
none has finished anything for longer than a workbook may take (``stalled_after``): a
wall-clock backstop for hangs that use no processor time.

Defaults: 120 s and 2048 MB per workbook; ``DOCX_REPORT_WORKBOOK_SECONDS`` and
``DOCX_REPORT_WORKBOOK_MEMORY_MB`` change them (read when a worker starts; the memory limit is never
set below what the worker uses when it starts plus 128 MB).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from types import FrameType

try:
    import resource
except ImportError:  # Windows: no rlimits, the deadline alone
    resource = None  # type: ignore[assignment]

DEFAULT_SECONDS = 120.0
DEFAULT_MEMORY_MB = 2048
_GRACE = 5  # CPU seconds past the soft deadline before the hard limit kills
_HEADROOM = 128 * 2**20  # address space a worker gets at least beyond what it uses at start


class OverLimit(BaseException):
    """Raised in a worker when a workbook has taken its time (BaseException: no ``except
    Exception`` in the libraries it runs through can swallow it)."""


def seconds() -> float:
    return _number("DOCX_REPORT_WORKBOOK_SECONDS", DEFAULT_SECONDS)


def memory_mb() -> int:
    return int(_number("DOCX_REPORT_WORKBOOK_MEMORY_MB", DEFAULT_MEMORY_MB))


def _number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def stalled_after() -> float:
    """Seconds without any workbook finished after which the parent kills the workers."""
    return seconds() + 2 * _GRACE + 30


def reason() -> str:
    """Why a workbook's worker was stopped, in the clerk's words."""
    return (f"处理此工作簿时超过了限制（每个工作簿 {seconds():g} 秒、{memory_mb()} MB 内存）"
            "或进程意外退出，已停止；文件可能异常、过大或被蓄意构造。其他工作簿不受影响")


def apply_memory_limit() -> None:
    """Cap this process's address space (in a worker process only) and make no core files."""
    if resource is None:
        return
    # never below what the worker already uses and needs to start (its threads' stacks…):
    # a limit set lower would stop every workbook, or the worker before its first
    limit = max(memory_mb() * 2**20, _address_space() + _HEADROOM)
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def _address_space() -> int:
    """This process's virtual memory, in bytes (what ``RLIMIT_AS`` counts); 0 if unknown."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


@contextlib.contextmanager
def deadline(in_worker: bool) -> Iterator[None]:
    """One workbook's time: OverLimit raised after ``seconds()`` of processor time; in a
    worker, the process is also killed (SIGXCPU) a little after that."""
    limit = seconds()
    # Processor time, not wall-clock time: a busy machine (many workers, other programs)
    # does not make a good workbook overrun. Hangs that use no processor are the parent's
    # watchdog's (``stalled_after``).
    use_alarm = hasattr(signal, "setitimer") and signal.getitimer(signal.ITIMER_PROF)[0] == 0
    previous_cpu = None
    if in_worker and resource is not None:
        with contextlib.suppress(ValueError, OSError):
            previous_cpu = resource.getrlimit(resource.RLIMIT_CPU)
            used = resource.getrusage(resource.RUSAGE_SELF)
            soft = int(used.ru_utime + used.ru_stime + limit + _GRACE) + 1
            hard = previous_cpu[1]
            if hard == resource.RLIM_INFINITY or soft < hard:
                resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    if use_alarm:
        def on_alarm(signum: int, frame: FrameType | None) -> None:
            raise OverLimit

        old = signal.signal(signal.SIGPROF, on_alarm)
        signal.setitimer(signal.ITIMER_PROF, limit)
    try:
        yield
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, old)
        if previous_cpu is not None and resource is not None:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_CPU, previous_cpu)
