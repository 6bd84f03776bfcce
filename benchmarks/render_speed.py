"""Rendering and writing one report: this tree against a baseline revision, and against docxtpl.

1. ``render.render_to_file(compiled, context, out, properties=…, staged=True)`` per report, the
   batch worker's render-and-write step, and ``CompiledTemplate.render`` alone, on the batch
   benchmark's workbooks (the 2024 example under a different agency name each, made with
   ``speed.make_workbooks``), with this tree's code and with the code of ``--baseline``
   (default ``main``, taken from git into a temporary folder). Each side runs in its own
   process, the two alternating, ``--rounds`` times; each process renders ``-n`` reports (and
   writes as many) in 5 stretches, rendering and writing alternating; the figure is the best
   stretch's CPU time per report (``time.process_time``) over all rounds: on a machine shared
   with other work the best says the most. The written .docx files of both sides are compared
   part by part (every part must be byte-identical; docProps/core.xml too, its dates coming
   from the workbook) and their sizes printed.
2. ``CompiledTemplate.render`` against plain docxtpl (a fresh ``DocxTemplate`` per report:
   re-reading the .docx, patching its XML and recompiling Jinja every time), in the same
   sandboxed, strict, autoescaping Jinja environment, with a pack's example context.

    python benchmarks/render_speed.py                      # both sections
    python benchmarks/render_speed.py --baseline HEAD~3 -n 300 --rounds 5
    python benchmarks/render_speed.py --skip-docxtpl --pack gov-disclosure-2019
    python benchmarks/render_speed.py --skip-baseline \\
        --template examples/generic/采购清单模板.docx --workbook examples/generic/采购清单.xlsx
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------------
# 1. this tree against a baseline revision


def worker(workbooks: Path, out: Path, n: int) -> None:
    """Time rendering and writing with whichever docx_report is importable; print JSON."""
    from docx_report import engine, render

    eng = engine.default()
    files = sorted(workbooks.glob("*.xlsx"))
    checked = [eng.check_data(eng.read(p)) for p in files]
    jobs = [(c.context(), c.properties(), out / f"{p.stem}.docx") for p, c in zip(
        files, checked, strict=True)]
    compiled = eng.template(checked[0].data.pack.template_path)
    for context, properties, path in jobs * 2:  # warm up: caches made on a first rendering
        render.render_to_file(compiled, context, path, properties=properties, staged=True)
    # in 5 stretches, rendering and writing alternating; the best stretch of each counts
    stretch = [jobs[i % len(jobs)] for i in range(max(n // 5, 1))]
    rendering = writing = float("inf")
    for _ in range(5):
        started = time.process_time()
        for context, properties, _ in stretch:
            compiled.render(context, properties=properties)
        rendering = min(rendering, (time.process_time() - started) / len(stretch))
        started = time.process_time()
        for context, properties, path in stretch:
            render.render_to_file(compiled, context, path, properties=properties, staged=True)
        writing = min(writing, (time.process_time() - started) / len(stretch))
    print(json.dumps({"render": rendering, "write": writing, "code": render.__file__,
                      "size": sum(path.stat().st_size for _, _, path in jobs) / len(jobs)}))


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def section_baseline(baseline: str, n: int, rounds: int, count: int) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from speed import make_workbooks

    tmp = Path(tempfile.mkdtemp(prefix="render-speed-"))
    try:
        tree = subprocess.run(["git", "-C", str(ROOT), "archive", baseline, "src", "templates"],
                              capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"1. baseline {baseline}: skipped (git archive failed: {exc})")
        return
    with tarfile_open(tree) as tar:
        tar.extractall(tmp / "baseline", filter="data")
    workbooks = make_workbooks(tmp / "in", count)
    sides = {baseline: str(tmp / "baseline" / "src"), "this tree": str(ROOT / "src")}
    best: dict[str, dict[str, float]] = {}
    env = {**os.environ, "DOCX_REPORT_CACHE": "off"}
    for _ in range(rounds):
        for side, src in sides.items():
            folder = tmp / side.replace(" ", "-")
            folder.mkdir(exist_ok=True)
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--_worker",
                 str(workbooks[0].parent), str(folder), str(n)],
                capture_output=True, text=True, check=True,
                env={**env, "PYTHONPATH": src}, cwd=tmp)
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            if not figures.pop("code").startswith(src):
                raise SystemExit(f"{side}: docx_report was not imported from {src}")
            mine = best.setdefault(side, figures)
            for key in ("render", "write"):
                mine[key] = min(mine[key], figures[key])
    differ = []
    for path in sorted((tmp / baseline.replace(" ", "-")).glob("*.docx")):
        if _parts(path) != _parts(tmp / "this-tree" / path.name):
            differ.append(path.name)
    print(f"1. one report rendered and written (staged), {count} workbooks, {n} reports a round, "
          f"best stretch of {rounds} rounds, CPU ms per report")
    print(f"   {'':12s} {'render':>8s} {'render+write':>13s} {'.docx bytes':>12s}")
    for side, figures in best.items():
        print(f"   {side:12s} {figures['render'] * 1000:8.2f} {figures['write'] * 1000:13.2f} "
              f"{figures['size']:12.0f}")
    before, after = best[baseline]["write"], best["this tree"]["write"]
    print(f"   render+write: {before / after:.2f}x faster than {baseline}; written parts "
          + (f"DIFFER in {', '.join(differ)}" if differ else "identical in every report"))


def tarfile_open(data: bytes) -> Any:
    import tarfile

    return tarfile.open(fileobj=io.BytesIO(data))


# ---------------------------------------------------------------------------------------------
# 2. compiled template against plain docxtpl


def plain_docxtpl(template: Path, context: dict[str, Any]) -> bytes:
    from docxtpl import DocxTemplate
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from docx_report.linebreak import balanced_lines

    tpl = DocxTemplate(template)
    env = SandboxedEnvironment(undefined=StrictUndefined)
    env.filters["balanced_lines"] = balanced_lines  # the one filter of our own
    tpl.render(context, jinja_env=env, autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def timed(n: int, render: Any) -> float:
    render()  # warm up (imports, caches)
    render()
    started = time.process_time()
    for _ in range(n):
        render()
    return time.process_time() - started


def section_docxtpl(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    from docx_report.render import CompiledTemplate

    if args.template:
        from docx_report.generic import read_generic

        if not args.workbook:
            parser.error("--template needs --workbook")
        template, context = args.template, read_generic(args.workbook)
    else:
        from docx_report.context import example_context
        from docx_report.pack import load_pack
        from docx_report.report import DEFAULT_PACK

        pack = load_pack(args.pack or DEFAULT_PACK)
        template, context = pack.template_path, example_context(pack)

    started = time.perf_counter()
    compiled = CompiledTemplate.load(template)
    load = time.perf_counter() - started
    fast = timed(args.n, lambda: compiled.render(context))
    slow = timed(max(args.n // 10, 10), lambda: plain_docxtpl(template, context)) * 10
    source = f"the context of {args.workbook}" if args.template else "the pack's example context"
    print(f"2. template: {template}, {source}, CPU time")
    print(f"   CompiledTemplate: {fast / args.n * 1000:6.2f} ms/report "
          f"(+ {load * 1000:.0f} ms wall to load once)")
    print(f"   plain docxtpl:    {slow / args.n * 1000:6.2f} ms/report "
          f"({max(args.n // 10, 10)} reports)")
    print(f"   ratio:            {slow / fast:6.1f}x")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--_worker":
        worker(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of section 1 (default 3)")
    parser.add_argument("--workbooks", type=int, default=20, help="workbooks in section 1")
    parser.add_argument("--skip-baseline", action="store_true", help="skip section 1")
    parser.add_argument("--skip-docxtpl", action="store_true", help="skip section 2")
    parser.add_argument("--pack", help="section 2: a built-in pack (its template and example)")
    parser.add_argument("--template", type=Path, help="section 2: a .docx template")
    parser.add_argument("--workbook", type=Path, help="section 2: a generic workbook")
    parser.add_argument("-n", type=int, default=300, help="reports a round (default 300)")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load {load:.1f}")
    if not args.skip_baseline:
        section_baseline(args.baseline, args.n, args.rounds, args.workbooks)
    if not args.skip_docxtpl:
        sys.path.insert(0, str(ROOT / "src"))
        section_docxtpl(args, parser)


if __name__ == "__main__":
    main()
