"""Bulk PDF filing copies: docx_report.pdf.convert against one soffice call per report.

The baseline is what a clerk's script would do: ``soffice --convert-to pdf`` once per report,
each call with a fresh profile of its own (as a one-off call on a clean account has). Both sides
use the same export filter (PDF/A-2b) and the same fonts (FONTCONFIG_FILE), so the difference is
only how LibreOffice is run. Target: the tool at least 5 times as fast at 12 reports (its default
jobs: one soffice per core, each with at least 4 reports). ``benchmarks/speed.py`` runs this too.

    python benchmarks/pdf_bulk.py                  # 12 copies of the test suite's sample report
    python benchmarks/pdf_bulk.py 报告.docx -n 40   # copies of a report of your own
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from docx_report.pdf import PDFA_FILTER, convert, find_soffice, fontconfig_file  # noqa: E402


def sample_report(path: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_pdf import build_sample_docx

    return build_sample_docx(path)


def one_call_per_report(soffice: Path, reports: list[Path], out: Path, env: dict[str, str]) -> None:
    for report in reports:
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as profile:
            subprocess.run(
                [str(soffice), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                 "--convert-to", PDFA_FILTER, "--outdir", str(out), str(report)],
                check=True, capture_output=True, env=env, timeout=300,
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, help="a .docx (default: a sample)")
    parser.add_argument("-n", type=int, default=12, help="how many reports (default 12)")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="convert()'s jobs (default: its own choice)")
    args = parser.parse_args()
    soffice = find_soffice()
    if soffice is None:
        print("LibreOffice (soffice) is not installed", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="pdf-bulk-") as tmp_name:
        tmp = Path(tmp_name)
        source = args.report or sample_report(tmp / "sample.docx")
        reports = []
        for i in range(args.n):
            (tmp / "in").mkdir(exist_ok=True)
            reports.append(Path(shutil.copy(source, tmp / "in" / f"report{i:03d}.docx")))

        started = time.perf_counter()
        results = convert(reports, tmp / "tool", jobs=args.jobs)
        tool = time.perf_counter() - started
        failed = [r.error for r in results if not r.ok]
        if failed:
            print("\n".join(failed), file=sys.stderr)
            return 1

        with fontconfig_file() as fonts:
            env = {**os.environ, "FONTCONFIG_FILE": str(fonts)}
            started = time.perf_counter()
            one_call_per_report(soffice, reports, tmp / "baseline", env)
            baseline = time.perf_counter() - started
        made = len(list((tmp / "baseline").glob("*.pdf")))

    ratio = baseline / tool
    print(f"{args.n} reports ({source.name}), {soffice}")
    for label, seconds in [(f"docx_report.pdf.convert (jobs={args.jobs or 'auto'})", tool),
                           (f"{args.n} separate soffice calls ({made} PDFs)", baseline)]:
        print(f"  {label:<40} {seconds:8.2f} s  {seconds / args.n:6.3f} s/report")
    print(f"  ratio {ratio:.1f}x  (target >= 5x: {'met' if ratio >= 5 else 'NOT met'})")
    return 0 if ratio >= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
