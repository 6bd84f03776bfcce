"""Reading and checking one workbook, after the guard: this tree against a baseline revision.

The batch's worker step, per workbook, without the guard and without rendering:

* ``open``: the book made from the guard's survey: ``xlsx_direct.read`` (the values the
  guard's pass took), else ``xlsx_fast.CalamineBook.open`` (python-calamine reads the sheets,
  values made openpyxl's; the only one in a tree without ``xlsx_direct``);
* ``read``: ``reader.choose_pack`` + ``reader.read_book`` (labels checked, cells parsed);
* ``check``: ``Engine.check_data`` (totals, the pack's rules, the narrative's figures);
* ``texts``: ``similar.texts`` (the narrative texts and their MinHash signatures);
* ``figures``: ``summary.figures``.

The workbooks are the 2024 example under a different agency name each (``speed.py``'s
``make_workbooks``). Each side runs in its own process, the two alternating (``--rounds``
times each); a process times every stage over every workbook ``--passes`` times (CPU time,
``time.process_time``) and the best round is shown: on a machine shared with other work the
best round says the most. Both sides' results (data, problems and messages, computed values,
figures, texts and signatures) are compared workbook by workbook; any difference is printed
and the exit status is 1. The baseline is the revision given by ``--baseline`` (default
``main``), taken out of git into a temporary folder (its ``src`` and ``templates``).

Also printed: what a workbook's ``similar.texts`` weighs when a batch worker sends it to the
parent (pickled) and once the parent holds it (``tracemalloc``). With ``--instructions``
(needs valgrind) the instructions each stage executes per workbook are counted too, a figure
the load of the machine does not move: the difference between running the stage 11 times and
once on one workbook, under cachegrind, divided by 10.

    python benchmarks/read_speed.py
    python benchmarks/read_speed.py --baseline main~3 --workbooks 100 --passes 3 --rounds 3
    python benchmarks/read_speed.py --instructions
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import revisions  # (benchmarks/: the baseline revision, instructions)

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("open", "read", "check", "texts", "figures")


def _opener(xlsx_fast: Any) -> Any:
    """The book the worker makes from the guard's survey, in either tree."""
    direct = getattr(xlsx_fast, "xlsx_direct", None)

    def book_of(path: Path, survey: Any) -> Any:
        return (direct and direct.read(path, survey)) or xlsx_fast.CalamineBook.open(path, survey)

    return book_of


def _child(src: str, count: int, passes: int) -> dict[str, Any]:
    """Time every stage in this process with the package found in ``src``."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import speed  # inserts this tree's src: the side's own goes first, below

    sys.path.insert(0, src)
    from docx_report import engine, similar, summary, xlsx_fast, xlsx_guard
    from docx_report.reader import choose_pack, read_book

    assert Path(engine.__file__).is_relative_to(src), engine.__file__
    with tempfile.TemporaryDirectory() as tmp:
        files = speed.make_workbooks(Path(tmp), count)
        surveys = {p: xlsx_guard.check_xlsx(p) for p in files}
        eng = engine.default()

        book_of = _opener(xlsx_fast)

        def opened() -> dict[Path, Any]:
            return {p: book_of(p, surveys[p]) for p in files}

        data = {p: read_book(b, choose_pack(b, None)) for p, b in opened().items()}
        checked = {p: eng.check_data(d) for p, d in data.items()}
        best = dict.fromkeys(STAGES, float("inf"))

        def timed(stage: str, run: Any) -> None:
            started = time.process_time()
            for p in files:
                run(p)
            took = (time.process_time() - started) / len(files) * 1000
            best[stage] = min(best[stage], took)

        for _ in range(passes):
            timed("open", lambda p: book_of(p, surveys[p]))
            books = opened()  # fresh: a book may keep what it read once
            timed("read", lambda p, books=books: read_book(books[p], choose_pack(books[p], None)))
            timed("check", lambda p: eng.check_data(data[p]))
            timed("texts", lambda p: similar.texts(data[p].pack, data[p].narratives))
            timed("figures", lambda p: summary.figures(data[p].pack, checked[p].computed))

        digests = []
        for p in files:
            d, c = data[p], checked[p]
            texts = similar.texts(d.pack, d.narratives)
            signatures = [list(getattr(similar, "values", lambda s: s)(t[3])) for t in texts]
            seen = (sorted(d.facts.items()), sorted(d.values.items()), d.narratives, d.notes,
                    d.problems, sorted(d.unread_tables), c.problems, sorted(c.computed.items()),
                    summary.figures(d.pack, c.computed), [t[:3] for t in texts], signatures)
            shown = repr(seen).replace(tmp, "<tmp>")  # problems name the file: each side its own
            digests.append(hashlib.sha256(shown.encode()).hexdigest())
        sample = similar.texts(data[files[0]].pack, data[files[0]].narratives)
        tracemalloc.start()
        held = [pickle.loads(pickle.dumps(sample)) for _ in range(100)]
        size = tracemalloc.get_traced_memory()[0] / len(held)
        tracemalloc.stop()
        started = time.process_time()
        for _ in range(2000):
            pickle.loads(pickle.dumps(sample))
        pickling = (time.process_time() - started) / 2000 * 1000
    return {"ms": best, "digests": digests, "pickled": len(pickle.dumps(sample)),
            "held": size, "pickling": pickling}


def _count(src: str, stage: str, reps: int) -> None:
    """Run one stage ``reps`` times on one workbook (under cachegrind: ``_instructions``)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import speed  # inserts this tree's src: the side's own goes first, below

    sys.path.insert(0, src)
    from docx_report import engine, similar, summary, xlsx_fast, xlsx_guard
    from docx_report.reader import choose_pack, read_book

    with tempfile.TemporaryDirectory() as tmp:
        path = speed.make_workbooks(Path(tmp), 2)[1]
        survey = xlsx_guard.check_xlsx(path)
        eng = engine.default()
        book_of = _opener(xlsx_fast)
        books = [book_of(path, survey) for _ in range(12)]
        data = read_book(books[0], choose_pack(books[0], None))
        checked = eng.check_data(data)
        similar.texts(data.pack, data.narratives)
        runs = {"open": lambda i: book_of(path, survey),
                "read": lambda i: read_book(books[i + 1], choose_pack(books[i + 1], None)),
                "check": lambda i: eng.check_data(data),
                "texts": lambda i: similar.texts(data.pack, data.narratives),
                "figures": lambda i: summary.figures(data.pack, checked.computed)}
        gc.collect()
        gc.disable()  # a collection falling in one run and not the other would swamp the count
        for i in range(reps):
            runs[stage](i)


def _instructions(src: Path) -> dict[str, float]:
    """Instructions per workbook of each stage (cachegrind; the same hash seed each run)."""
    found = {}
    for stage in STAGES:
        counts = []
        for reps in (1, 11):
            err = subprocess.run(
                [*revisions.CACHEGRIND, sys.executable, __file__, "--child",
                 str(src), "--count", stage, "--reps", str(reps)],
                check=True, capture_output=True, text=True,
                env={**os.environ, "PYTHONHASHSEED": "0"}).stderr
            counts.append(revisions.instructions(err))
        found[stage] = (counts[1] - counts[0]) / 10
    return found


def _run(src: Path, count: int, passes: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", str(src), "--workbooks",
                          str(count), "--passes", str(passes)],
                         check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--workbooks", type=int, default=100)
    parser.add_argument("--passes", type=int, default=2, help="timed passes per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per side")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions too (valgrind, several minutes)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--count", help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child and args.count:
        _count(args.child, args.count, args.reps)
        return
    if args.child:
        print(json.dumps(_child(args.child, args.workbooks, args.passes)))
        return
    counted: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        old_src = revisions.baseline(args.baseline, Path(tmp))
        runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        for _ in range(args.rounds):  # alternating: the machine's load falls on both
            runs["before"].append(_run(old_src, args.workbooks, args.passes))
            runs["after"].append(_run(ROOT / "src", args.workbooks, args.passes))
        if args.instructions and shutil.which("valgrind"):
            counted = {"before": _instructions(old_src), "after": _instructions(ROOT / "src")}
    best = {side: {s: min(r["ms"][s] for r in rs) for s in STAGES} for side, rs in runs.items()}
    reps = args.workbooks * args.passes
    print(f"CPU ms per workbook, best of {args.rounds} processes x {reps} workbooks a stage "
          f"(before: {args.baseline})")
    print(f"  {'stage':<10}{'before':>10}{'after':>10}{'saved':>10}")
    for stage in (*STAGES, "total"):
        b = sum(best["before"].values()) if stage == "total" else best["before"][stage]
        a = sum(best["after"].values()) if stage == "total" else best["after"][stage]
        print(f"  {stage:<10}{b:>10.3f}{a:>10.3f}{b - a:>10.3f}")
    if counted:
        print("Instructions per workbook (millions, cachegrind)")
        print(f"  {'stage':<10}{'before':>10}{'after':>10}{'saved':>10}")
        for stage in (*STAGES, "total"):
            b = sum(counted["before"].values()) if stage == "total" else counted["before"][stage]
            a = sum(counted["after"].values()) if stage == "total" else counted["after"][stage]
            print(f"  {stage:<10}{b / 1e6:>10.2f}{a / 1e6:>10.2f}{(b - a) / 1e6:>10.2f}")
    old, new = runs["before"][0], runs["after"][0]
    print("similar.texts of one workbook, sent to the batch's parent:")
    print(f"  {'pickled bytes':<24}{old['pickled']:>10}{new['pickled']:>10}")
    print(f"  {'held by the parent, B':<24}{old['held']:>10.0f}{new['held']:>10.0f}")
    print(f"  {'pickle + unpickle, ms':<24}{old['pickling']:>10.4f}{new['pickling']:>10.4f}")
    differ = [i for i, (a, b) in enumerate(zip(old["digests"], new["digests"], strict=True))
              if a != b]
    if differ:
        print(f"results DIFFER for {len(differ)} workbooks (first: {differ[0]})")
        sys.exit(1)
    print(f"results identical for all {len(old['digests'])} workbooks")


if __name__ == "__main__":
    main()
