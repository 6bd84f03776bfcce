"""Render one template N times: CompiledTemplate (compile once) against plain docxtpl.

Plain docxtpl re-reads the .docx, re-runs its XML patching and recompiles Jinja for every
report (DocxTemplate(path), render, save). CompiledTemplate does that once. Both render in
the same sandboxed, strict, autoescaping Jinja environment, in one process, one after the
other.

    python benchmarks/render_speed.py                        # the default pack, 100 reports
    python benchmarks/render_speed.py --pack gov-disclosure-2019 -n 200
    python benchmarks/render_speed.py --template examples/generic/模板.docx \\
        --workbook examples/generic/采购清单.xlsx
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from docx_report.render import CompiledTemplate


def plain_docxtpl(template: Path, context: dict[str, Any]) -> bytes:
    tpl = DocxTemplate(template)
    tpl.render(context, jinja_env=SandboxedEnvironment(undefined=StrictUndefined),
               autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def timed(n: int, render: Any) -> float:
    render()  # warm up (imports, caches)
    started = time.perf_counter()
    for _ in range(n):
        render()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", help="a built-in pack (its template and example data)")
    parser.add_argument("--template", type=Path, help="a .docx template (with --workbook)")
    parser.add_argument("--workbook", type=Path, help="a generic workbook for --template")
    parser.add_argument("-n", type=int, default=100, help="reports to render (default 100)")
    args = parser.parse_args()

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
    slow = timed(args.n, lambda: plain_docxtpl(template, context))
    print(f"template: {template}")
    print(f"reports:  {args.n}")
    print(f"CompiledTemplate: {fast:7.2f} s  ({fast / args.n * 1000:6.1f} ms/report, "
          f"+ {load * 1000:.0f} ms to load once)")
    print(f"plain docxtpl:    {slow:7.2f} s  ({slow / args.n * 1000:6.1f} ms/report)")
    print(f"ratio:            {slow / fast:7.1f}x")


if __name__ == "__main__":
    main()
