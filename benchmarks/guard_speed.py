"""The workbook guard and the reader decision, per workbook, side by side with before.

Every workbook is checked by ``xlsx_guard.check_xlsx`` (one pass over its members) and the
reader is chosen from what that pass saw (``xlsx_fast.calamine_reads_exactly``). Before, the
guard made its pass and ``_calamine_reads_exactly`` inflated the worksheets again to decide
with byte patterns. Both are timed here on the example workbooks, with, for scale, the floor
of any guard that parses every part: inflating every member and parsing it with expat in C,
with no handler at all.

"Before" is the code of the revision given by ``--before`` (default: the commit before the
one-pass guard), loaded from git into throwaway modules; without git it is skipped and the
figures measured when the work started are printed instead.

CPU time per workbook (user + system of this process), the best of several rounds: on a
machine shared with other work the best round says the most. With ``--instructions`` (needs
valgrind) the instructions each variant executes per workbook are counted too: a figure the
load of the machine does not move.

    python benchmarks/guard_speed.py
    python benchmarks/guard_speed.py --rounds 15 --repeat 10 --instructions
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.parsers import expat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from docx_report import xlsx_fast, xlsx_guard, xlsx_survey  # noqa: E402

BEFORE = "4ea7d6c"  # main before the one-pass guard
# Measured on this 2-core machine when the work started (benchmarks/guard_speed.py did not
# exist yet; /tmp/stages.py, CPU time per example workbook): shown when git is not at hand.
BEFORE_AT_START = {"guard": 5.7, "decision": 1.5}


def workbooks() -> list[Path]:
    return sorted(ROOT.glob("examples/**/*.xlsx"))


def load_before(revision: str, folder: Path) -> tuple[Callable[[Path], Any], ...] | None:
    """The guard and the decision as they were at ``revision``, or None without git."""
    modules: dict[str, ModuleType] = {}
    for name in ("xlsx_guard", "xlsx_fast"):
        try:
            source = subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{revision}:src/docx_report/{name}.py"],
                capture_output=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        path = folder / f"before_{name}.py"
        path.write_bytes(source)
        spec = importlib.util.spec_from_file_location(f"before_{name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        modules[name] = module
    return modules["xlsx_guard"].check_xlsx, modules["xlsx_fast"]._calamine_reads_exactly


def floor(path: Path) -> None:
    """Inflate every member and parse every XML part with expat, no handler: any guard's
    least."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            parser = None
            for chunk in xlsx_survey.inflate_member(zf, info):
                if parser is None:
                    parser = expat.ParserCreate(namespace_separator=" ")
                    if chunk.lstrip()[:1] != b"<":
                        break
                parser.Parse(chunk, False)


def after(path: Path) -> bool:
    """The guard's one pass, and the reader decided from what it saw."""
    return xlsx_fast.calamine_reads_exactly(xlsx_guard.check_xlsx(path))


def best_ms(call: Callable[[Path], Any], path: Path, rounds: int, repeat: int) -> float:
    call(path)
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(repeat):
            call(path)
        best = min(best, (time.process_time() - start) / repeat)
    return best * 1000


def child(variant: str, calls: int, revision: str) -> None:
    """Run one variant ``calls`` times on every workbook (under valgrind, for --instructions)."""
    with tempfile.TemporaryDirectory() as tmp:
        before = load_before(revision, Path(tmp))
        assert before is not None
        call: Callable[[Path], Any] = {
            "before": lambda p: (before[0](p), before[1](p)), "after": after,
            "floor": floor}[variant]
        for path in workbooks():
            call(path)  # imports and caches warm, as in a batch
        for _ in range(calls):
            for path in workbooks():
                call(path)


def instructions(revision: str) -> None:
    """Instructions per workbook of each variant, counted by callgrind (N calls minus none)."""
    if subprocess.run(["valgrind", "--version"], capture_output=True).returncode != 0:
        print("\n(--instructions: valgrind is not installed)")
        return
    calls, books = 5, len(workbooks())

    def count(variant: str, n: int) -> int:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             __file__, "--child", variant, str(n), "--before", revision],
            capture_output=True, text=True, check=True)
        return int(done.stderr.rsplit("Collected : ", 1)[1].split()[0])

    print("\nInstructions per workbook (callgrind, mean over the workbooks above):")
    figures = {v: (count(v, calls) - count(v, 0)) / calls / books
               for v in ("before", "after", "floor")}
    for variant, figure in figures.items():
        print(f"  {variant:8s} {figure / 1e6:7.1f} M")
    print(f"  speed-up {figures['before'] / figures['after']:.2f}x; above the floor: before "
          f"{(figures['before'] - figures['floor']) / 1e6:.1f} M, after "
          f"{(figures['after'] - figures['floor']) / 1e6:.1f} M")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git revision of 'before'")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions with valgrind (slow: a minute or two)")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "CALLS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.before)
        return
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} "
          f"cores, {platform.system()} {platform.release()}; load average at start {load}")
    print(f"CPU ms per workbook (best of {args.rounds} rounds of {args.repeat})\n")
    with tempfile.TemporaryDirectory() as tmp:
        before = load_before(args.before, Path(tmp))
        header = (f"{'workbook':34s} {'before: guard':>13s} {'+ decision':>11s} "
                  f"{'= total':>8s} {'after: one pass':>16s} {'speed-up':>9s} "
                  f"{'floor':>6s}  reader")
        print(header)
        totals = [0.0, 0.0, 0.0]
        books = workbooks()
        for path in books:
            now = best_ms(after, path, args.rounds, args.repeat)
            low = best_ms(floor, path, args.rounds, args.repeat)
            reader = "calamine" if after(path) else "openpyxl"
            name = str(path.relative_to(ROOT / "examples"))
            if before is not None:
                guard_ms = best_ms(before[0], path, args.rounds, args.repeat)
                decision_ms = best_ms(before[1], path, args.rounds, args.repeat)
                then = guard_ms + decision_ms
                totals[0] += then
                print(f"{name:34s} {guard_ms:13.2f} {decision_ms:11.2f} {then:8.2f} "
                      f"{now:16.2f} {then / now:8.1f}x {low:6.2f}  {reader}")
            else:
                print(f"{name:34s} {'-':>13s} {'-':>11s} {'-':>8s} {now:16.2f} {'-':>9s} "
                      f"{low:6.2f}  {reader}")
            totals[1] += now
            totals[2] += low
        n = len(books)
        if before is not None:
            print(f"{'mean':34s} {'':13s} {'':11s} {totals[0] / n:8.2f} {totals[1] / n:16.2f} "
                  f"{totals[0] / totals[1]:8.1f}x {totals[2] / n:6.2f}")
        else:
            at_start = BEFORE_AT_START["guard"] + BEFORE_AT_START["decision"]
            print(f"{'mean':34s} {'':13s} {'':11s} {'':8s} {totals[1] / n:16.2f} {'':9s} "
                  f"{totals[2] / n:6.2f}")
            print(f"\n(before, measured at the start of the work on this machine: guard "
                  f"{BEFORE_AT_START['guard']} ms + decision {BEFORE_AT_START['decision']} ms "
                  f"= {at_start:.1f} ms per example workbook)")
    print("\nfloor: inflating every member and parsing every XML part with expat in C, with no"
          " handler\n(what any guard that parses every part costs at least)")
    if args.instructions:
        instructions(args.before)


if __name__ == "__main__":
    main()
