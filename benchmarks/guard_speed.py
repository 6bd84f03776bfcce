"""The workbook guard per workbook, side by side with main's.

``xlsx_guard.check_xlsx`` checks every workbook before either reader sees it (one pass over
its members: bytes really inflated, every XML part parsed by expat, what openpyxl and calamine
act on limited). Timed here on the batch benchmark's workbooks (``speed.make_workbooks``:
copies of the 2024 example, each under its own agency name and with its own tables), in one
process as a batch worker checks them:

* before: the guard of ``--before`` (default ``main``), loaded from git into throwaway modules;
* after, in a batch: this tree's guard, which parses again no part it parsed before in the
  process (same name, same bytes): the parts the workbooks share are not parsed twice;
* after, every part new: this tree's guard with no part remembered before each workbook (as
  in a batch of workbooks that share no part: after a few, such parts are no longer hashed);
* floor: inflating every member and parsing every XML part with expat in C, with no handler
  (what a guard that parses every part costs at least).

CPU time of this process (``time.process_time``), per workbook: each figure is the minimum of
``--rounds`` rounds, the variants alternating within each round, each round ``--repeat``
passes over the workbooks. On a machine shared with other work the minimum says the most.

    python benchmarks/guard_speed.py
    python benchmarks/guard_speed.py --workbooks 20 --repeat 20 --rounds 5
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from speed import make_workbooks  # noqa: E402

from docx_report import xlsx_bytes, xlsx_guard, xlsx_survey  # noqa: E402


def load_before(revision: str, folder: Path) -> Callable[[Path], Any] | None:
    """``check_xlsx`` as it is at ``revision`` (its survey module with it), or None."""
    sources: dict[str, bytes] = {}
    for name in ("xlsx_survey", "xlsx_guard"):
        try:
            sources[name] = subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{revision}:src/docx_report/{name}.py"],
                capture_output=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
    # the guard imports the survey by its name: point it at the throwaway copy
    sources["xlsx_guard"] = sources["xlsx_guard"].replace(
        b"from docx_report.xlsx_survey import", b"from before_xlsx_survey import")
    module: ModuleType | None = None
    for name, source in sources.items():
        path = folder / f"before_{name}.py"
        path.write_bytes(source)
        spec = importlib.util.spec_from_file_location(f"before_{name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses and the guard look it up
        spec.loader.exec_module(module)
    assert module is not None
    check: Callable[[Path], Any] = module.check_xlsx
    return check


def floor(path: Path) -> None:
    """Inflate every member and parse every XML part with expat, no handler: any guard's
    least."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            parser = None
            for chunk in xlsx_bytes.inflate_member(zf, info):
                if parser is None:
                    parser = expat.ParserCreate(namespace_separator=" ")
                    if chunk.lstrip()[:1] != b"<":
                        break
                parser.Parse(chunk, False)


_NEW_SEEN: dict[Any, Any] = {}
_NEW_MISSES: dict[str, int] = {}


def every_part_new(path: Path) -> None:
    """The guard with nothing remembered, with its own record of the parts that keep
    differing (the batch variant's is left as it is)."""
    seen, misses = xlsx_survey._SEEN, xlsx_survey._MISSES
    xlsx_survey._SEEN, xlsx_survey._MISSES = _NEW_SEEN, _NEW_MISSES
    try:
        _NEW_SEEN.clear()
        xlsx_guard.check_xlsx(path)
    finally:
        xlsx_survey._SEEN, xlsx_survey._MISSES = seen, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git revision of 'before'")
    parser.add_argument("--workbooks", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=20, help="passes over the workbooks")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} "
          f"cores, {platform.system()} {platform.release()}; load average at start {load}")
    with tempfile.TemporaryDirectory() as tmp:
        books = make_workbooks(Path(tmp) / "books", args.workbooks)
        before = load_before(args.before, Path(tmp))
        variants: dict[str, Callable[[Path], Any]] = {}
        if before is not None:
            variants[f"before ({args.before})"] = before
        variants["after, in a batch"] = xlsx_guard.check_xlsx
        variants["after, every part new"] = every_part_new
        variants["floor"] = floor
        for call in variants.values():  # imports, caches and the parts remembered, warm
            for path in books:
                call(path)
        best = dict.fromkeys(variants, float("inf"))
        for _ in range(args.rounds):
            for name, call in variants.items():
                start = time.process_time()
                for _ in range(args.repeat):
                    for path in books:
                        call(path)
                spent = (time.process_time() - start) / args.repeat / len(books)
                best[name] = min(best[name], spent * 1000)
        print(f"\nCPU ms per workbook: {len(books)} workbooks x {args.repeat} passes, "
              f"the least of {args.rounds} rounds\n")
        base = best.get(f"before ({args.before})")
        for name, ms in best.items():
            ratio = f"{base / ms:5.2f}x" if base is not None else ""
            print(f"  {name:24s} {ms:6.2f} ms  {ratio}")
        if base is None:
            print(f"\n(before: git revision {args.before} could not be loaded)")


if __name__ == "__main__":
    main()
