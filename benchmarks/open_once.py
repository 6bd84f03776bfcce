"""``context`` / ``build --template`` / ``template check --workbook``: the engine opens a workbook
once, where the code before it opened it twice (once to tell a pack workbook from a generic one,
once to read it).

Both sides produce the template data of the same workbook N times in one process, packs parsed
once beforehand:

* engine: ``engine.Engine().template_data(path)`` (open, read, check, context);
* before: ``workbook.open_workbook(path)`` to look at its pack record, then
  ``reader.read_report(path)`` (a second open), then the same checks and context.

    python benchmarks/open_once.py                   # the 2021 example, 20 times
    python benchmarks/open_once.py -n 50 --workbook examples/street-monthly/青山街道-2024-09.xlsx
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from docx_report import engine, reader
from docx_report import workbook as wb

ROOT = Path(__file__).resolve().parent.parent


def before(path: Path) -> dict[str, Any]:
    book = wb.open_workbook(path)
    assert book.pack_record is not None
    data = reader.read_report(path)
    return engine.Engine.check_data(data).context()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--workbook", type=Path,
                        default=ROOT / "examples" / "临江市市场监督管理局-2024.xlsx")
    args = parser.parse_args()
    eng = engine.Engine()
    assert eng.template_data(args.workbook)[0] == before(args.workbook)  # same data, warmed up
    timings = {}
    for label, run in [("before: opened twice", lambda: before(args.workbook)),
                       ("engine: opened once", lambda: eng.template_data(args.workbook))]:
        start = time.perf_counter()
        for _ in range(args.n):
            run()
        timings[label] = (time.perf_counter() - start) / args.n
    base = timings["before: opened twice"]
    print(f"{args.workbook.name}, {args.n} times each")
    for label, seconds in timings.items():
        print(f"  {label:<22} {seconds * 1000:8.1f} ms per workbook  ({base / seconds:4.2f}x)")


if __name__ == "__main__":
    main()
