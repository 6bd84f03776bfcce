"""Reading a published report (``importers.read_published``) against reading its workbook
(``reader.read_report``), for the example report as .docx, LibreOffice HTML and PDF.

The baseline is the pack workbook the report was built from: an imported report should cost
the same order of time, so ``check`` and ``batch`` over published reports stay usable. The PDF
is expected to be the slowest (pdfplumber lays out every character; the issue's measurement
was 1.3 s for the example's tables alone). Label similarities are cached per process, so the
median is the cost inside a batch (the first report of a process pays more).

    python benchmarks/import_speed.py             # 5 runs each, median
    python benchmarks/import_speed.py --runs 10
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from docx_report.importers import read_published  # noqa: E402
from docx_report.pdf import convert, find_soffice  # noqa: E402
from docx_report.reader import read_report  # noqa: E402

WORKBOOK = ROOT / "examples" / "临江市市场监督管理局-2024.xlsx"
REPORT = ROOT / "examples" / "临江市市场监督管理局2024年政府信息公开工作年度报告.docx"


def median_seconds(func: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    soffice = find_soffice()
    if soffice is None:
        sys.exit("LibreOffice (soffice) is needed to make the HTML and PDF versions")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        docx = Path(shutil.copy(REPORT, folder / "report.docx"))
        subprocess.run([str(soffice), f"-env:UserInstallation={(folder / 'p').as_uri()}",
                        "--headless", "--convert-to", "html", "--outdir", str(folder),
                        str(docx)], check=True, capture_output=True)
        [pdf] = convert([docx], pdfa=False)
        assert pdf.pdf is not None
        sources = {"workbook (baseline)": lambda: read_report(WORKBOOK),
                   ".docx": lambda: read_published(docx),
                   ".html": lambda: read_published(folder / "report.html"),
                   ".pdf": lambda: read_published(pdf.pdf)}  # type: ignore[arg-type]
        base = 0.0
        print(f"{'source':<22}{'median':>10}{'vs workbook':>14}")
        for name, func in sources.items():
            func()  # warm: imports, pack parsing
            seconds = median_seconds(func, args.runs)
            base = base or seconds
            print(f"{name:<22}{seconds * 1000:>8.0f} ms{seconds / base:>13.1f}x")


if __name__ == "__main__":
    main()
