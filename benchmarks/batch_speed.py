"""``docx-report batch`` against a plain docxtpl loop, for 100, 200 and 500 agencies.

The workbooks are realistic: the 2024 example (临江市市场监督管理局) with every number scaled by
a factor of 1 to 7 (so every total and rule still holds) and amounts varied, each under its
own agency name, written with ``workbook.write_workbook`` into a temporary folder.

Both sides read and check every workbook the same way (``report.check_workbook``) and write one
.docx per workbook:

* batch: ``batch.run_batch`` with ``--jobs`` = CPU count (it also writes the 汇总 and
  summary.xlsx);
* plain loop: one process, ``DocxTemplate(path)``, ``render(context)``, ``save`` per report,
  as a script written without the tool would do.

Target: batch at least 3 times as fast on a 2-core machine, and a per-report cost that stays
flat as the number of workbooks grows (the parent's peak memory too).

    python benchmarks/batch_speed.py                 # 100, 200 and 500 workbooks
    python benchmarks/batch_speed.py -n 50 100 --jobs 2
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from docx_report import batch, report  # noqa: E402
from docx_report.workbook import write_workbook  # noqa: E402

EXAMPLE = ROOT / "examples" / "临江市市场监督管理局-2024.xlsx"
CITIES = ["临江市", "东湖区", "西山县", "南岭区", "北川县", "清河区", "云台县", "青峰区", "白沙县",
          "金水区"]
OFFICES = ["市场监督管理局", "教育局", "财政局", "民政局", "人力资源和社会保障局", "自然资源局",
           "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局",
           "文化和旅游局", "卫生健康委员会", "应急管理局", "审计局", "统计局", "医疗保障局",
           "林业局", "司法局", "公安局", "退役军人事务局", "发展和改革委员会", "科学技术局",
           "工业和信息化局", "城市管理局", "体育局", "信访局", "档案局", "人民政府办公室",
           "机关事务管理局", "数据资源管理局", "乡村振兴局", "粮食和物资储备局",
           "国有资产监督管理委员会", "地方金融监督管理局", "气象局", "消防救援支队", "税务局",
           "烟草专卖局", "邮政管理局",
           "海关", "供销合作社", "残疾人联合会", "妇女联合会", "总工会", "科学技术协会", "红十字会",
           "住房公积金管理中心", "公共资源交易中心"]


def _spec() -> dict[str, Any]:
    """The example's facts, typed numbers and narrative, as write_workbook takes them."""
    data = report.check_workbook(EXAMPLE).data
    totals = data.pack.total_of()
    values = {k: v for k, v in data.values.items() if k not in totals and v is not None}
    narratives = {key: {"intro": story.intro, "subsections": [
        {"title": t, "paragraphs": p} for t, p in story.subsections]}
        for key, story in data.narratives.items()}
    return {"facts": data.facts, "values": values, "narratives": narratives,
            "pack": data.pack.name}


def _write_one(args: tuple[int, Path, dict[str, Any]]) -> None:
    from docx_report.pack import load_pack

    i, folder, spec = args
    factor = 1 + i % 7
    agency = f"{CITIES[i // len(OFFICES) % len(CITIES)]}{OFFICES[i % len(OFFICES)]}"
    if i >= len(OFFICES) * len(CITIES):
        agency += f"第{i}分局"
    values: dict[str, Any] = {}
    for key, value in spec["values"].items():
        if isinstance(value, Decimal):
            values[key] = value * factor + Decimal(i) / 100
        else:
            values[key] = value * factor
    original = str(spec["facts"]["agency"])
    narratives = {key: {"intro": [p.replace(original, agency) for p in story["intro"]],
                        "subsections": [{"title": s["title"], "paragraphs": [
                            p.replace(original, agency) for p in s["paragraphs"]]}
                            for s in story["subsections"]]}
                  for key, story in spec["narratives"].items()}
    write_workbook(load_pack(spec["pack"]), folder / f"{i:04d}.xlsx",
                   facts={**spec["facts"], "agency": agency}, values=values,
                   narratives=narratives)


def generate(folder: Path, count: int) -> list[Path]:
    spec = _spec()
    with ProcessPoolExecutor() as pool:
        list(pool.map(_write_one, [(i, folder, spec) for i in range(count)], chunksize=8))
    return sorted(folder.glob("*.xlsx"))


def plain_loop(files: list[Path], out: Path) -> None:
    from docxtpl import DocxTemplate

    out.mkdir()
    for path in files:
        checked = report.check_workbook(path)
        doc = DocxTemplate(checked.data.pack.template_path)
        doc.render(checked.context(), autoescape=True)
        doc.save(out / f"{path.stem}.docx")


def run_batch(files: list[Path], out: Path, jobs: int) -> batch.BatchResult:
    result = batch.run_batch(files, out, jobs=jobs)
    assert result.ok, "the generated workbooks should all build"
    return result


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, nargs="+", default=[100, 200, 500],
                        help="numbers of workbooks")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="batch-speed-") as tmp:
        folder = Path(tmp) / "inbox"
        folder.mkdir()
        start = time.perf_counter()
        files = generate(folder, max(args.n))
        print(f"generated {len(files)} workbooks in {time.perf_counter() - start:.1f} s; "
              f"{os.cpu_count()} CPUs, batch --jobs {args.jobs}")
        timings: dict[int, tuple[float, float, float]] = {}
        for n in args.n:  # batches first: the parent's peak memory is theirs alone
            start = time.perf_counter()
            run_batch(files[:n], Path(tmp) / f"batch-{n}", args.jobs)
            timings[n] = (time.perf_counter() - start, 0.0, _peak_mb())
        for n in args.n:
            start = time.perf_counter()
            plain_loop(files[:n], Path(tmp) / f"plain-{n}")
            timings[n] = (timings[n][0], time.perf_counter() - start, timings[n][2])
        print(f"{'workbooks':>9} | {'batch s':>8} {'ms/report':>9} | {'plain s':>8} "
              f"{'ms/report':>9} | {'speed-up':>8} | {'parent peak MB':>14}")
        for n, (fast, slow, peak) in timings.items():
            print(f"{n:>9} | {fast:8.2f} {1000 * fast / n:9.1f} | {slow:8.2f} "
                  f"{1000 * slow / n:9.1f} | {slow / fast:7.2f}x | {peak:14.0f}")


if __name__ == "__main__":
    main()
