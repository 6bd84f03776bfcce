"""The web page's speed: upload → problems page for one workbook, and 20 uploads at once.

A real waitress server (as ``docx-report serve`` runs it) on 127.0.0.1 and real HTTP
uploads; the baseline beside each figure is the library's own check of the same workbook in
this process (``report.check_workbook``), which the page calls, so the difference is what the
web adds (upload, temporary folder, preview rendering, HTTP). Goal: under 1 s for the example.

    python benchmarks/serve_speed.py                 # the example workbook, 10 rounds, 20 at once
    python benchmarks/serve_speed.py -n 20 --concurrent 40
    python benchmarks/serve_speed.py --workbook 某局.xlsx
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.web_helpers import Browser, running  # noqa: E402

from docx_report import report  # noqa: E402

EXAMPLE = ROOT / "examples" / "临江市市场监督管理局-2024.xlsx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbook", type=Path, default=EXAMPLE)
    parser.add_argument("-n", type=int, default=10, help="sequential uploads (default 10)")
    parser.add_argument("--concurrent", type=int, default=20, help="uploads at once (20)")
    args = parser.parse_args()
    content = args.workbook.read_bytes()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" is expected

    report.check_workbook(args.workbook)  # warm up imports and the pack cache
    checks = []
    for _ in range(args.n):
        started = time.perf_counter()
        report.check_workbook(args.workbook)
        checks.append(time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as tmp, running(work_root=Path(tmp)) as url:
        def upload(browser: Browser, token: str) -> float:
            started = time.perf_counter()
            status, page = browser.post("/check", {"csrf": token},
                                        {"workbook": (args.workbook.name, content)})
            if status != 200 or ("处错误" not in page and "没有错误" not in page):
                raise SystemExit(f"upload failed: HTTP {status}")
            return time.perf_counter() - started

        browser = Browser(url)
        token = browser.token()
        upload(browser, token)  # warm up
        pages = [upload(browser, token) for _ in range(args.n)]

        clients = [Browser(url) for _ in range(args.concurrent)]
        tokens = [c.token() for c in clients]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrent) as pool:
            each = list(pool.map(upload, clients, tokens))
        wall = time.perf_counter() - started

    print(f"workbook: {args.workbook.name} ({len(content) // 1024} KB)")
    print(f"{'':34}{'median':>10}{'max':>10}")
    print(f"{'check_workbook, in process':34}{statistics.median(checks):>9.3f}s"
          f"{max(checks):>9.3f}s   (baseline)")
    print(f"{'upload → problems page (HTTP)':34}{statistics.median(pages):>9.3f}s"
          f"{max(pages):>9.3f}s   (goal < 1 s)")
    print(f"{args.concurrent} uploads at once: all answered in {wall:.2f} s wall "
          f"(each {statistics.median(each):.2f} s median, {max(each):.2f} s max; "
          f"{args.concurrent} sequential checks would take "
          f"~{args.concurrent * statistics.median(checks):.2f} s)")


if __name__ == "__main__":
    main()
