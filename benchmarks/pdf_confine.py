"""What confining LibreOffice costs: docx_report.pdf.convert with and without its namespaces.

Both sides convert the same reports with the same settings; the baseline runs soffice as it
is (``DOCX_REPORT_NO_CONFINE=1``), the tool's default adds ``unshare`` (no network, only the
job's files: ``confine.py``). Each side is run ``-r`` times, alternating, and the best time
is shown, per call and per report.

    python benchmarks/pdf_confine.py            # 1 and 6 copies of the test suite's sample
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from docx_report import confine  # noqa: E402
from docx_report.pdf import convert  # noqa: E402


def timed(reports: list[Path], out: Path, confined: bool) -> float:
    if confined:
        os.environ.pop("DOCX_REPORT_NO_CONFINE", None)
    else:
        os.environ["DOCX_REPORT_NO_CONFINE"] = "1"
    confine._levels.cache_clear()
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    results = convert(reports, out, jobs=1)
    took = time.perf_counter() - started
    assert all(r.ok for r in results), [r.error for r in results]
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from test_pdf import build_sample_docx

    with tempfile.TemporaryDirectory(prefix="bench-confine-") as tmp:
        sample = build_sample_docx(Path(tmp) / "sample.docx")
        print(f"confinement here: {confine.confinement()}")
        print(f"{'reports':>7}  {'unconfined':>12}  {'confined':>12}  {'per report':>22}")
        for count in (1, 6):
            reports = []
            for i in range(count):
                copy = Path(tmp) / f"r{i}.docx"
                shutil.copyfile(sample, copy)
                reports.append(copy)
            best = {True: float("inf"), False: float("inf")}
            for _ in range(args.repeat):
                for confined in (False, True):
                    took = timed(reports, Path(tmp) / "out", confined)
                    best[confined] = min(best[confined], took)
            print(f"{count:>7}  {best[False]:>11.2f}s  {best[True]:>11.2f}s  "
                  f"{best[False] / count:>9.2f}s -> {best[True] / count:.2f}s")


if __name__ == "__main__":
    main()
