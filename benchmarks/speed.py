"""Every speed figure of docx-report, side by side with its baseline, in one run.

1. One report rendered in one process: docx-report's compiled template against a plain
   docxtpl loop (a fresh ``DocxTemplate`` per report) and docxtemplater (node), each on the
   same report. docxtemplater is installed with npm into a temporary folder for the run
   (skipped when node or npm is missing, or the install fails); its template is the same
   template with the Jinja tags rewritten in docxtemplater's syntax.
2. One workbook end to end in one process (read, check, render, write): the batch's worker
   step against the plain docxtpl loop (``report.check_workbook`` + ``DocxTemplate``).
3. ``batch --jobs 2`` on 10, 100, 1,000 and 5,000 workbooks (each size in a fresh process):
   wall time, CPU time per report (parent and workers), peak memory of the parent and of the
   largest worker; and the plain docxtpl loop on the first 100, for the speed-up.
4. One command from a cold start: ``--help``, ``check`` and ``build`` against a bare Python
   process that only renders the same template with docxtpl (median of 5 runs; ``build`` with
   the compiled template cached on disk by an earlier run, and with that cache off).
5. 12 reports to PDF/A: ``pdf.convert`` (default jobs) against one ``soffice --convert-to``
   per report, each with a fresh profile (skipped without LibreOffice).

The workbooks are the 2024 example (临江市市场监督管理局) under a different agency name each,
made in a temporary folder. CPU times are user + system of every process involved: on a
machine shared with other work they say more than wall times (the load is printed).

    python benchmarks/speed.py                      # everything (several minutes)
    python benchmarks/speed.py --sizes 10 100 --skip-pdf --skip-node
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
EXAMPLE = ROOT / "examples" / "临江市市场监督管理局-2024.xlsx"
AGENCY = "临江市市场监督管理局"
CITIES = ["临江市", "东湖区", "西山县", "南岭区", "北川县", "清河区", "云台县", "青峰区"]
OFFICES = ["市场监督管理局", "教育局", "财政局", "民政局", "人力资源和社会保障局", "自然资源局",
           "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局"]
PYTHON = sys.executable
_SCRIPT = Path(PYTHON).parent / "docx-report"  # the command as installed (the venv's)
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "docx_report"]


# ---------------------------------------------------------------------------------------------
# Inputs


def agency(i: int) -> str:
    name = f"{CITIES[i % len(CITIES)]}{OFFICES[i // len(CITIES) % len(OFFICES)]}"
    return name if i < len(CITIES) * len(OFFICES) else f"{name}第{i}分局"


def _refs(text: str) -> bytes:
    return "".join(f"&#{ord(ch)};" for ch in text).encode()


_NUMBER_CELL = re.compile(rb'(<c r="[A-Z]+[0-9]+"[^>]*t="n"[^>]*><v>)([^<]*)(</v>)')
# the example's table sheets (二、三、四): every number typed there is scaled per workbook
TABLE_SHEETS = ("xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml",
                "xl/worksheets/sheet5.xml")


def make_workbooks(folder: Path, count: int) -> list[Path]:
    """``count`` copies of the example, each under its own agency name (in every sheet), each
    with its own tables: the k-th has every number typed in the tables times k + 1 (the totals
    still add up; the narrative's figures no longer match from the second on, a warning each, as
    in real batches). No two workbooks share a sheet but the empty and hidden ones, so nothing
    a worker remembers of one workbook spares it work on the next that real workbooks (typed by
    different clerks) would not."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(EXAMPLE) as zin:
        members = [(info, zin.read(info)) for info in zin.infolist()]
    paths = []
    for i in range(count):
        path = folder / f"{i:05d}.xlsx"
        scale = Decimal(i + 1)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
            for info, data in members:
                if info.filename == "xl/sharedStrings.xml" or \
                        info.filename.startswith("xl/worksheets/"):
                    # the name as UTF-8, or as character references (openpyxl writes those)
                    data = data.replace(AGENCY.encode(), agency(i).encode()).replace(
                        _refs(AGENCY), _refs(agency(i)))
                if info.filename in TABLE_SHEETS:
                    data = _NUMBER_CELL.sub(
                        lambda m, k=scale: m[1] + str(Decimal(m[2].decode()) * k).encode() + m[3],
                        data)
                zout.writestr(info, data)
        paths.append(path)
    return paths


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine() -> str:
    model = ""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next(line.split(":", 1)[1].strip() for line in lines
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}; load average at start {load}")


def row(label: str, *cells: str) -> None:
    print(f"  {label:<44}" + "".join(f"{c:>15}" for c in cells))


# ---------------------------------------------------------------------------------------------
# 1. One report, one process


def plain_docxtpl(template: Path, context: dict[str, Any]) -> bytes:
    from docxtpl import DocxTemplate
    from jinja2 import Environment

    from docx_report.linebreak import balanced_lines  # the one filter the templates use

    env = Environment(autoescape=True)
    env.filters["balanced_lines"] = balanced_lines
    doc = DocxTemplate(template)
    doc.render(context, env, autoescape=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def timed(n: int, func: Any) -> float:
    """Seconds of CPU per call (after one call to warm up)."""
    func()
    started = cpu_self()
    for _ in range(n):
        func()
    return (cpu_self() - started) / n


def docxtemplater_template(template: Path, out: Path) -> None:
    """The same template, its Jinja tags rewritten in docxtemplater's syntax."""
    loops: list[str] = []

    def tag(m: re.Match[str]) -> str:
        text = m.group(0)
        if m.group(1):  # {{ x }}
            name = m.group(1).split("|")[0].strip()  # docxtemplater has no such filter
            return "{.}" if name == "para" else "{" + name.removeprefix("sub.") + "}"
        words = m.group(2).split()
        if words[0] in ("for", "if"):
            name = (words[3] if words[0] == "for" else words[1]).removeprefix("sub.")
            loops.append(name)
            return "{#" + name + "}"
        if words[0] in ("endfor", "endif"):
            return "{/" + loops.pop() + "}"
        return text

    with zipfile.ZipFile(template) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("word/") and info.filename.endswith(".xml"):
                data = re.sub(r"\{\{(.*?)\}\}|\{%[prc]?\s(.*?)%\}", tag,
                              data.decode("utf-8")).encode("utf-8")
            zo.writestr(info, data)


NODE_SCRIPT = r"""
const fs = require("fs");
const PizZip = require("pizzip");
const Docxtemplater = require("docxtemplater");
const [template, dataFile, n, outFile] = process.argv.slice(2);
const content = fs.readFileSync(template, "binary");
const data = JSON.parse(fs.readFileSync(dataFile));
function once() {
  const doc = new Docxtemplater(new PizZip(content), {paragraphLoop: true, linebreaks: true});
  doc.render(data);
  return doc.getZip().generate({type: "nodebuffer", compression: "DEFLATE"});
}
fs.writeFileSync(outFile, once());
const start = process.cpuUsage();
for (let i = 0; i < Number(n); i++) once();
const used = process.cpuUsage(start);
console.log(JSON.stringify({seconds: (used.user + used.system) / 1e6 / Number(n)}));
"""


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested keys also as dotted keys (docxtemplater's default parser reads {a.b} as one key)."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}{key}"
            out[name] = value
            if isinstance(value, dict):
                out.update(flatten(value, name + "."))
    return out


def docxtemplater(tmp: Path, template: Path, context: dict[str, Any], n: int) -> float | str:
    """Seconds of CPU per report, or why it was skipped."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "skipped: node/npm not installed"
    folder = tmp / "node"
    folder.mkdir()
    try:
        subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix",
                        str(folder), "docxtemplater", "pizzip"], check=True,
                       capture_output=True, timeout=300)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"skipped: npm install failed ({type(exc).__name__})"
    docxtemplater_template(template, folder / "template.docx")
    (folder / "data.json").write_text(json.dumps(flatten(context), ensure_ascii=False))
    (folder / "bench.js").write_text(NODE_SCRIPT)
    out = folder / "out.docx"
    done = subprocess.run([node, "bench.js", "template.docx", "data.json", str(n), str(out)],
                          cwd=folder, capture_output=True, text=True, timeout=600)
    if done.returncode:
        return f"skipped: docxtemplater failed ({done.stderr.strip().splitlines()[-1:]})"
    with zipfile.ZipFile(out) as z:
        if AGENCY not in z.read("word/document.xml").decode("utf-8"):
            return "skipped: docxtemplater's report lacks the agency name"
    return float(json.loads(done.stdout)["seconds"])


def section_render(tmp: Path, n: int, node: bool) -> None:
    from docx_report import render, report

    checked = report.check_workbook(EXAMPLE)
    context = checked.context()
    template_path = checked.data.pack.template_path
    compiled = render.CompiledTemplate.load(template_path)
    ours = timed(n, lambda: compiled.render(context, properties=checked.properties()))
    plain = timed(max(10, n // 5), lambda: plain_docxtpl(template_path, context))
    print(f"\n1. One report rendered, one process, CPU ms per report ({n} reports)")
    row("docx-report CompiledTemplate.render", f"{1000 * ours:.1f} ms")
    row("plain docxtpl loop (DocxTemplate per report)", f"{1000 * plain:.1f} ms",
        f"{plain / ours:.1f}x ours")
    result = docxtemplater(tmp, template_path, context, n) if node else "skipped (--skip-node)"
    if isinstance(result, float):
        row("docxtemplater (node)", f"{1000 * result:.1f} ms", f"{result / ours:.1f}x ours")
    else:
        row("docxtemplater (node)", result)


# ---------------------------------------------------------------------------------------------
# 2. One workbook end to end, one process


def section_workbook(tmp: Path, files: list[Path]) -> float:
    from docx_report import batch, report

    staging = tmp / "staging"
    staging.mkdir()
    batch._init_worker(batch._Settings(staging, {}), ignore_interrupt=False)
    batch._process((0, files[0]))  # compiles the template once, as a worker does
    started = cpu_self()
    for i, path in enumerate(files):
        outcome = batch._process((i, path))
        assert outcome.status is batch.Status.BUILT, outcome.problems
    ours = (cpu_self() - started) / len(files)
    stages: dict[str, float] = {}
    for path in files:
        t = cpu_self()
        checked = report.check_workbook(path)
        stages["read + check"] = stages.get("read + check", 0) + cpu_self() - t
    print(f"\n2. One workbook end to end (read, check, render, write), one process, "
          f"CPU ms per workbook ({len(files)} workbooks)")
    row("docx-report batch worker step", f"{1000 * ours:.1f} ms")
    row("  of which read + check", f"{1000 * stages['read + check'] / len(files):.1f} ms")
    out = tmp / "plain"
    out.mkdir()
    started, wall = cpu_self(), time.perf_counter()
    for path in files[:20]:
        checked = report.check_workbook(path)
        (out / f"{path.stem}.docx").write_bytes(
            plain_docxtpl(checked.data.pack.template_path, checked.context()))
    plain, wall = (cpu_self() - started) / 20, (time.perf_counter() - wall) / 20
    row("plain docxtpl loop (check_workbook + DocxTemplate)", f"{1000 * plain:.1f} ms",
        f"{plain / ours:.1f}x ours", f"wall {1000 * wall:.1f} ms")
    return wall


# ---------------------------------------------------------------------------------------------
# 3. Batches


def run_one_batch(inbox: Path, outdir: Path, jobs: int) -> None:
    """In a fresh process: one batch, then its figures as JSON on stdout."""
    from docx_report import batch

    class Phases:
        """Wall time of the batch's phases: the workers, then the parent's own steps."""

        def __init__(self) -> None:
            self.marks: list[tuple[str, float]] = []

        def start(self, total: int) -> None:
            self.marks.append(("start", time.perf_counter()))

        def advance(self, outcome: Any) -> None:
            pass

        def settled(self, outcomes: Any) -> None:
            self.marks.append(("workers", time.perf_counter()))

        def phase(self, message: str) -> None:
            self.marks.append((message, time.perf_counter()))

    phases = Phases()
    wall, cpu = time.perf_counter(), cpu_self()
    result = batch.run_batch([inbox], outdir, jobs=jobs, progress=phases)
    wall = time.perf_counter() - wall
    workers = dict(phases.marks)["workers"] - dict(phases.marks)["start"]
    cpu_parent = cpu_self() - cpu
    assert result.ok, [o.problems for o in result.outcomes if not o.docx][:3]
    print(json.dumps({
        "n": len(result.outcomes), "wall": wall, "workers": workers, "cpu_parent": cpu_parent,
        "cpu_workers": cpu_children(),
        "rss_parent": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


def section_batches(tmp: Path, sizes: list[int], jobs: int, plain: float) -> None:
    print(f"\n3. batch --jobs {jobs} (each size in a fresh process)")
    row("workbooks", "wall s", "workers s", "wall ms/rep.", "CPU ms/rep.", "parent's",
        "parent MB", "worker MB", "vs plain loop")
    for n in sizes:
        inbox = tmp / f"in-{n}"
        make_workbooks(inbox, n)
        done = subprocess.run([PYTHON, __file__, "--_batch", str(inbox), str(tmp / f"out-{n}"),
                               str(jobs)], capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        cpu = (r["cpu_parent"] + r["cpu_workers"]) / n
        row(f"{n:,}", f"{r['wall']:.2f}", f"{r['workers']:.2f}", f"{1000 * r['wall'] / n:.1f}",
            f"{1000 * cpu:.1f}", f"{1000 * r['cpu_parent'] / n:.1f}",
            f"{r['rss_parent']:.0f}", f"{r['rss_worker']:.0f}",
            f"{plain / (r['wall'] / n):.1f}x")
        shutil.rmtree(inbox)
        shutil.rmtree(tmp / f"out-{n}")
    print("  (workers s: until the last workbook is done, the rest is the summary, the 汇总 and "
          "moving files in;\n   CPU ms/rep.: the parent's and every worker's, per workbook; "
          "parent's: its part of that;\n   vs plain loop: the plain docxtpl loop's wall ms per "
          "workbook in one process, section 2, divided by the batch's)")


# ---------------------------------------------------------------------------------------------
# 4. One command from a cold start


BARE = """import json, sys
from docxtpl import DocxTemplate
from jinja2 import Environment
sys.path.insert(0, sys.argv[4])
from docx_report.linebreak import balanced_lines  # the templates' one filter (no other import)
env = Environment(autoescape=True)
env.filters["balanced_lines"] = balanced_lines
doc = DocxTemplate(sys.argv[1])
doc.render(json.load(open(sys.argv[2], encoding="utf-8")), env, autoescape=True)
doc.save(sys.argv[3])
"""


# As installed by pip, modules have their bytecode compiled: a shell that sets
# PYTHONDONTWRITEBYTECODE (some CI images do) would otherwise compile docx-report's ~130 modules
# on every start, ~0.2 s that no user pays. Each command runs once first (not counted) to
# write that bytecode (and, where on, the compiled-template cache).
COLD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cold(cmd: list[str], runs: int = 5, env: dict[str, str] | None = None
         ) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of a command (after one warm-up run)."""
    env = env or COLD_ENV
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    walls, cpus = [], []
    for _ in range(runs):
        before, started = cpu_children(), time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - started)
        cpus.append(cpu_children() - before)
    return statistics.median(walls), statistics.median(cpus)


def section_cold(tmp: Path) -> None:
    from docx_report import report

    checked = report.check_workbook(EXAMPLE)
    (tmp / "ctx.json").write_text(json.dumps(checked.context(), ensure_ascii=False))
    (tmp / "bare.py").write_text(BARE)
    bare = cold([PYTHON, str(tmp / "bare.py"), str(checked.data.pack.template_path),
                 str(tmp / "ctx.json"), str(tmp / "bare.docx"), str(ROOT / "src")])
    print("\n4. One command from a cold start (median of 5: wall s / CPU s)")
    row("bare docxtpl render process (baseline)", f"{bare[0]:.2f} / {bare[1]:.2f}")
    build = [*CLI, "build", str(EXAMPLE), "-o", str(tmp / "built.docx")]
    no_cache = {**COLD_ENV, "DOCX_REPORT_CACHE": "off"}
    for label, cmd, env in [("docx-report --help", [*CLI, "--help"], None),
                            ("docx-report check", [*CLI, "check", str(EXAMPLE)], None),
                            ("docx-report build", build, None),
                            ("docx-report build, template cache off", build, no_cache)]:
        wall, cpu = cold(cmd, env=env)
        row(label, f"{wall:.2f} / {cpu:.2f}", f"{wall / bare[0]:.2f}x bare",
            f"CPU {cpu / bare[1]:.2f}x")


# ---------------------------------------------------------------------------------------------
# 5. PDF


def section_pdf(tmp: Path, count: int) -> None:
    from docx_report import pdf, report
    from docx_report.render import CompiledTemplate, render_to_file

    soffice = pdf.find_soffice()
    print(f"\n5. {count} reports to PDF/A (wall s / CPU s)")
    if soffice is None:
        row("skipped: LibreOffice (soffice) is not installed")
        return
    checked = report.check_workbook(EXAMPLE)
    compiled = CompiledTemplate.load(checked.data.pack.template_path)
    folder = tmp / "pdf-in"
    folder.mkdir()
    reports = []
    for i in range(count):
        reports.append(folder / f"report{i:02d}.docx")
        render_to_file(compiled, checked.context(), reports[-1])
    before, started = cpu_children(), time.perf_counter()
    results = pdf.convert(reports, tmp / "pdf-tool")
    tool = time.perf_counter() - started, cpu_children() - before
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    with pdf.fontconfig_file() as fonts:
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts)}
        before, started = cpu_children(), time.perf_counter()
        for path in reports:
            with tempfile.TemporaryDirectory(prefix="bench-profile-") as profile:
                subprocess.run([str(soffice), f"-env:UserInstallation={Path(profile).as_uri()}",
                                "--headless", "--convert-to", pdf.PDFA_FILTER, "--outdir",
                                str(tmp / "pdf-baseline"), str(path)],
                               check=True, capture_output=True, env=env, timeout=300)
        baseline = time.perf_counter() - started, cpu_children() - before
    jobs = pdf.auto_jobs(count)
    row(f"pdf.convert (jobs={jobs})", f"{tool[0]:.2f} / {tool[1]:.2f}",
        f"{tool[0] / count:.3f} s/report")
    row("one soffice --convert-to per report", f"{baseline[0]:.2f} / {baseline[1]:.2f}",
        f"{baseline[0] / count:.3f} s/report", f"{baseline[0] / tool[0]:.1f}x wall")


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000],
                        help="batch sizes (default 10 100 1000 5000)")
    parser.add_argument("--jobs", type=int, default=2, help="batch --jobs (default 2)")
    parser.add_argument("-n", type=int, default=100, help="reports for sections 1 and 2")
    parser.add_argument("--pdf-reports", type=int, default=12)
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--skip-node", action="store_true")
    parser.add_argument("--sections", type=int, nargs="+", default=[1, 2, 3, 4, 5],
                        help="which sections to run (default all: 1 2 3 4 5)")
    parser.add_argument("--_batch", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._batch:
        inbox, outdir, jobs = args._batch
        run_one_batch(Path(inbox), Path(outdir), int(jobs))
        return 0
    print(f"docx-report speed, {time.strftime('%Y-%m-%d %H:%M')}: {machine()}")
    with tempfile.TemporaryDirectory(prefix="docx-report-speed-") as name:
        tmp = Path(name)
        run = set(args.sections)
        if 1 in run:
            section_render(tmp, args.n, not args.skip_node)
        if run & {2, 3}:
            plain = section_workbook(tmp, make_workbooks(tmp / "wb", args.n))
        if 3 in run:
            section_batches(tmp, args.sizes, args.jobs, plain)
        if 4 in run:
            section_cold(tmp)
        if 5 in run and not args.skip_pdf:
            section_pdf(tmp, args.pdf_reports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
