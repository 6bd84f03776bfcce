"""The batch's parent alone, per workbook: this tree against a baseline revision.

What a batch's parent process does besides waiting: receiving each worker's outcome
(unpickling it), marking duplicates, naming and moving the reports in, the 汇总 (its workbook
written, checked and rendered), the manifest, the similar-text grouping and summary.xlsx.

One real batch (``batch.run_batch``, ``--jobs 2``) runs first on ``--workbooks`` copies of the
2024 example (``speed.py``'s ``make_workbooks``) and what the workers made (each ``Outcome``)
is recorded, pickled, in the order it came. Each side then replays it in its own process: the
pool is replaced by the recording (each staged report a placeholder file; each outcome pickled
as that side's workers send it, packed by ``batch_store.packed`` where there is one), so only
the parent's work is timed (CPU, ``time.process_time``, the best of ``--passes`` batches a
process, the two sides alternating ``--rounds`` times; the first batch of a process, which
loads the pack and compiles the template, is timed apart as the fixed cost). Both sides'
summary.xlsx, 汇总 and manifest are compared part by part (the workbooks' timestamps aside);
any difference is printed and the exit status is 1. With ``--instructions`` (needs valgrind)
the instructions of one warm batch are counted too: the difference between replaying two
batches and one, under cachegrind, a figure the load of the machine does not move.

    python benchmarks/parent_speed.py
    python benchmarks/parent_speed.py --baseline main~6 --workbooks 1000 --instructions
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import revisions  # (benchmarks/: the baseline revision, instructions)

ROOT = Path(__file__).resolve().parent.parent
_STAMPS = re.compile(rb"<dcterms:(created|modified)[^<]*</dcterms:\1>")


def _packer() -> Any:
    """How this side's workers pack an outcome for the parent (None: they send it as is)."""
    try:
        from docx_report.batch_store import packed
    except ImportError:
        return None
    return packed


def _record(inbox: Path, out: Path, recording: Path) -> None:
    """One real batch; what the workers made (each ``Outcome``), in the order it came."""
    from docx_report import batch, batch_worker

    got: list[tuple[int, bytes]] = []
    pool = batch._parallel
    pack = _packer()

    def recorded(func: Any, items: Any, **kw: Any) -> None:
        done = kw.pop("done")

        def keep(i: int, outcome: Any) -> None:
            got.append((i, pickle.dumps(outcome)))
            done(i, pack(outcome) if pack else outcome)
        pool(batch_worker._process, items, done=keep, **kw)

    batch._parallel = recorded  # type: ignore[assignment]
    batch.run_batch([inbox], out, jobs=2)
    recording.write_bytes(pickle.dumps(got))


def _digest(out: Path) -> dict[str, str]:
    """Every file the batch wrote but the reports: its parts' hashes (timestamps aside)."""
    found = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file() or (path.suffix == ".docx" and path.parent == out):
            continue
        name = path.relative_to(out).as_posix()
        if path.suffix in (".xlsx", ".docx"):
            with zipfile.ZipFile(path) as zf:
                for part in zf.namelist():
                    data = _STAMPS.sub(b"", zf.read(part))
                    found[f"{name}:{part}"] = hashlib.sha256(data).hexdigest()
        else:
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _child(src: str, inbox: Path, recording: Path, out: Path, passes: int) -> dict[str, Any]:
    """Replay the recording through this side's parent ``passes`` times (after one first)."""
    sys.path.insert(0, src)
    from docx_report import batch

    got = pickle.loads(recording.read_bytes())
    pack = _packer()
    # what this side's parent receives: an outcome, or the outcome as its workers pack it
    sent = [(i, pickle.loads(data).staged, data if pack is None else
             pickle.dumps(pack(pickle.loads(data)))) for i, data in got]

    def replay(func: Any, items: Any, *, settings: Any, done: Any, **kw: Any) -> None:
        for i, staged, data in sent:
            outcome = pickle.loads(data)
            if staged is not None:
                (settings.staging / staged.name).write_bytes(b"a report")
                if pack is None:
                    outcome.staged = settings.staging / staged.name
            done(i, outcome)

    batch._parallel = replay
    times = []
    for _ in range(passes + 1):
        shutil.rmtree(out, ignore_errors=True)
        started = time.process_time()
        batch.run_batch([inbox], out, jobs=2)
        times.append(time.process_time() - started)
    return {"first": times[0], "warm": min(times[1:]) if passes else None,
            "digest": _digest(out)}


def _side(src: Path, tmp: Path, passes: int, prefix: list[str] | None = None
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), sys.executable, __file__, "--child", str(src),
                           "--tmp", str(tmp), "--passes", str(passes)], check=True,
                          capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})


def _instructions(src: Path, tmp: Path) -> float:
    """Instructions of one warm batch: two replayed against one (cachegrind)."""
    counts = []
    for passes in (0, 1):
        err = _side(src, tmp, passes, revisions.CACHEGRIND).stderr
        counts.append(revisions.instructions(err))
    return counts[1] - counts[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--workbooks", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=2, help="warm batches per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per side")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions too (valgrind, a few minutes)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tmp = Path(args.tmp)
        print(json.dumps(_child(args.child, tmp / "in", tmp / "recording.pickle",
                                tmp / f"out-{os.getpid()}", args.passes)))
        return
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import speed

    n = args.workbooks
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        speed.make_workbooks(tmp / "in", n)
        _record(tmp / "in", tmp / "recorded", tmp / "recording.pickle")
        sides = {"before": revisions.baseline(args.baseline, tmp / "baseline"),
                 "after": ROOT / "src"}
        runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
        for _ in range(args.rounds):  # alternating: the machine's load falls on both
            for side, src in sides.items():
                runs[side].append(json.loads(_side(src, tmp, args.passes).stdout))
        counted = ({side: _instructions(src, tmp) for side, src in sides.items()}
                   if args.instructions and shutil.which("valgrind") else {})
    print(f"The batch's parent, {n:,} workbooks replayed (before: {args.baseline}; "
          f"best of {args.rounds} processes)")
    print(f"  {'':<34}{'before':>10}{'after':>10}")
    for label, key, scale in (("first batch of a process, ms", "first", 1e3),
                              ("a warm batch, ms per workbook", "warm", 1e3 / n)):
        best = {side: min(r[key] for r in rs) * scale for side, rs in runs.items()}
        print(f"  {label:<34}{best['before']:>10.2f}{best['after']:>10.2f}")
    if counted:
        print(f"  {'a warm batch, M instr. per workbook':<34}{counted['before'] / n / 1e6:>10.2f}"
              f"{counted['after'] / n / 1e6:>10.2f}")
    before, after = runs["before"][0]["digest"], runs["after"][0]["digest"]
    differ = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if differ:
        print(f"outputs DIFFER: {differ[:5]}")
        sys.exit(1)
    print(f"outputs identical: {len(after)} parts (summary.xlsx, 汇总, manifest)")


if __name__ == "__main__":
    main()
