"""The batch worker's step after reading, this tree against a baseline: the same results, and
how much CPU it takes.

The step is ``batch_worker._process`` with the workbook already read: ``Engine.check_data``,
``summary.figures``, ``similar.texts``, the outcome, and for a workbook without errors the
report rendered and written (``Engine.render``, ``staged=True``). Each side runs in its own
process with its own ``src`` (the baseline's taken out of git, ``--baseline``, default
``main``); each workbook is read once, before anything is timed, and ``Engine.read`` then gives
back what it read (reading is timed by ``read_speed.py`` and ``guard_speed.py``).

Two sets of workbooks:

* ``bench``: ``speed.py``'s ``make_workbooks`` (the 2024 example under a different agency name
  each, with its own tables), the batch benchmark's workbooks;
* ``varied``: the five example workbooks (two of them of a pack of one's own,
  ``examples/street-monthly``), each changed at random (seeded) as clerks do: numbers in
  the narrative changed, written in Chinese or full-width digits, made approximate (约, 余,
  以上); 【placeholders】 known and unknown; other years, targets, periods; text with ``&``,
  ``<``, braces, tabs and line breaks; subsections emptied, titles renumbered, sections
  cleared; table cells changed (totals and equations that fail), blanked or typed as text;
  agency names with markup characters or line breaks, other dates and years; last year's
  workbook given for some (the cross-year rules).

Sameness: every outcome (status, problems with their messages in order, figures, facts, name,
texts and signatures, values, quotes…) and the SHA-256 of every .docx written are compared
workbook by workbook; any difference is printed and the exit status is 1.

Speed: each side's process times the step over every workbook ``--passes`` times (CPU,
``time.process_time``), the sides alternating ``--rounds`` times; the best pass counts. With
``--instructions`` (valgrind) the instructions of the step per workbook are counted too: the
step over the first 40 ``bench`` workbooks run twice and once under cachegrind, the
difference divided by 40 (the load of the machine does not move it).

    python benchmarks/step_speed.py
    python benchmarks/step_speed.py --varied 150 --bench 200 --rounds 3 --instructions
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import revisions  # (benchmarks/: the baseline revision, instructions)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SOURCES = ["临江市市场监督管理局-2024.xlsx", "临江市市场监督管理局-2023.xlsx",
           "前进区人力资源和社会保障局-2022.xlsx", "street-monthly/青山街道-2024-09.xlsx",
           "street-monthly/河西街道-2024-09.xlsx"]
COUNTED = 40  # bench workbooks whose step is counted under cachegrind
PREVIOUS = EXAMPLES / "临江市市场监督管理局-2023.xlsx"  # last year's, of the 2024 example

# --- varied workbooks -------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")
_CN = "〇一二三四五六七八九"
_EXTRAS = [
    "统计期限为2024年1月1日至2024年12月31日。", "到2030年基本建成。", "2027年将全面推进。",
    "2023年新收申请51件，2024年新收申请70件。", "近三年共收到申请150件。",
    "共受理申请67件（含上年结转4件）。", "收到行政复议申请2件。", "未收到行政复议申请。",
    "未发生行政诉讼。", "新收、上年结转申请合计67件。", "全年新收申请约60件。",
    "新收申请六十三件，办结六十七件。", "新收申请６３件。", "新收申请1.2万件。",
    "本年新收申请【本年新收申请】件，上年结转【上年结转申请】件。",
    "【本年办结申请】", "A&B <b>加粗</b> {{ agency }} {%p if x %} 100%_x0041_",
    "第一段\n第二段\n\n第三段", "制表\t符", "一是数十件；二是几百条。", "收到1件以上的科室3个。",
    "同比增加5件，较上年减少2件。", "主动公开政府信息2316条，其中政策文件14件。",
    "被申请行政复议6件、提起行政诉讼6件，复议纠正1件。", "《2026年工作要点》已印发。",
]
_AGENCIES = ["东湖区教育局", "A&B<局>", "西山县“民政局”", "很长的机关名称" * 6,
             "南岭区\n财政局", "  北川县水利局  ", "清河区_农业农村局{{x}}"]


def _narrative_sheets(book: Any) -> list[Any]:
    return [ws for ws in book.worksheets if ws["A3"].value == "小标题"]


def _table_cells(book: Any, narrative: list[Any]) -> list[Any]:
    skip = {"基本信息", "_docx_report", *(ws.title for ws in narrative)}
    return [c for ws in book.worksheets if ws.title not in skip for row in ws.iter_rows(min_row=4)
            for c in row if type(c.value) is int]


def _change_text(rng: random.Random, text: str) -> str:
    how = rng.randrange(9)
    if how == 0:  # other numbers
        return _DIGITS.sub(lambda m: str(rng.randrange(0, 3000)), text)
    if how == 1:  # numbers in Chinese digits
        return _DIGITS.sub(lambda m: "".join(_CN[int(d)] for d in m[0]) if rng.random() < .5
                           else m[0], text)
    if how == 2:  # full-width digits
        return text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if how == 3:  # approximate
        return _DIGITS.sub(lambda m: rng.choice(["约", "近", "超过", ""]) + m[0]
                           + rng.choice(["余", "多", ""]), text)
    if how == 4:
        return text + rng.choice(_EXTRAS) + ("【不存在的占位符】" if rng.random() < .2 else "")
    if how == 5:
        return rng.choice(_EXTRAS) + text
    if how == 6:  # a sentence dropped
        sentences = re.split("(?<=。)", text)
        if len(sentences) > 1:
            sentences.pop(rng.randrange(len(sentences)))
        return "".join(sentences)
    if how == 7:  # paragraphs
        return text.replace("。", "。\n", 1)
    return text


def _vary(source: Path, target: Path, seed: int) -> None:
    import openpyxl

    rng = random.Random(seed)
    book = openpyxl.load_workbook(source)
    narrative = _narrative_sheets(book)
    for ws in narrative:
        for row in range(4, ws.max_row + 1):
            title, body = ws.cell(row, 1), ws.cell(row, 2)
            if isinstance(body.value, str) and rng.random() < 0.6:
                body.value = _change_text(rng, body.value)
            elif body.value is None and rng.random() < 0.1:
                body.value = rng.choice(_EXTRAS)
            if rng.random() < 0.05:  # a subsection dropped (rarely its text only: an error)
                body.value = None
                if row > 4 and rng.random() < 0.8:
                    title.value = None
            if row > 4 and isinstance(title.value, str) and rng.random() < 0.1:
                title.value = rng.choice(["1、", "(一)", "一、", ""]) + title.value.lstrip(
                    "（(一二三四五六七八九十）)、 ")
    cells = _table_cells(book, narrative)
    if cells and rng.random() < 0.4:  # every number scaled: totals still add up
        k = rng.randrange(2, 9)
        for cell in cells:
            cell.value *= k
    for _ in range(rng.choice([0] * 8 + [1, 2])):  # a number that breaks a total or a rule
        rng.choice(cells).value = rng.randrange(0, 500)
    if rng.random() < 0.04:
        rng.choice(cells).value = rng.choice(["无", None, "12件", -3, 2.5])
    facts = book["基本信息"] if "基本信息" in book.sheetnames else None
    if facts is not None:
        for row in range(4, facts.max_row + 1):
            label = facts.cell(row, 1).value
            cell = facts.cell(row, 2)
            if label == "机关名称" and rng.random() < 0.5:
                cell.value = rng.choice(_AGENCIES)
            elif label == "发布日期" and rng.random() < 0.2:
                cell.value = rng.choice([
                    cell.value.replace(month=rng.randrange(1, 13), day=rng.randrange(1, 29))
                    if cell.value else None] * 4 + [
                    cell.value.replace(year=cell.value.year - 1) if cell.value else None])
            elif label == "年度" and rng.random() < 0.05:
                cell.value = cell.value - 1 if isinstance(cell.value, int) else cell.value
    for ws in book.worksheets:  # a note before a table
        if ws.title not in {w.title for w in narrative} and ws["A3"].value and \
                str(ws["A3"].value).startswith("表前说明") and rng.random() < 0.2:
            ws["A4"].value = rng.choice(_EXTRAS)
    book.save(target)


def make_varied(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("pack.toml", "template.docx"):  # the street workbooks' pack: found beside them
        shutil.copyfile(EXAMPLES / "street-monthly" / name, folder / name)
    paths = []
    for i in range(count):
        source = EXAMPLES / SOURCES[i % len(SOURCES)]
        path = folder / f"v{i:04d}.xlsx"
        if not path.exists():
            if i < len(SOURCES):
                shutil.copyfile(source, path)  # each example as it is
            else:
                _vary(source, path, i)
        paths.append(path)
    return paths


# --- one side ---------------------------------------------------------------------------------


def _plain(value: Any, staging: Path) -> Any:
    """A value with the staging folder taken out, as text both sides' can be compared in."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), staging) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {repr(k): _plain(v, staging) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, staging) for v in value]
    if isinstance(value, Path):
        return str(value).replace(str(staging), "STAGING")
    if isinstance(value, bytes):
        return value.hex()
    return repr(value)


def _side(src: str, sets: dict[str, list[str]], passes: int, count_only: int) -> dict[str, Any]:
    sys.path.insert(0, src)
    from docx_report import batch_worker, engine
    from docx_report.errors import ReportError
    from docx_report.summary import agency_key

    assert Path(engine.__file__).is_relative_to(src), engine.__file__
    if count_only:
        sets = {"bench": sets["bench"][:COUNTED]}
    eng = engine.default()
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        prev = eng.read(PREVIOUS)
        period = batch_worker._period(prev.pack, prev.facts)
        previous = {(agency_key(str(prev.facts.get("agency"))), period): prev}
        batch_worker._init_worker(batch_worker._Settings(staging, previous),
                                  ignore_interrupt=False)
        read: dict[Path, Any] = {}
        for paths in sets.values():
            for p in map(Path, paths):
                try:
                    read[p] = eng.read(p)
                except ReportError as exc:
                    read[p] = exc

        def reread(path: Path, pack: Any = None) -> Any:
            got = read[path]
            if isinstance(got, Exception):
                raise got
            return got

        eng.read = reread  # type: ignore[method-assign]
        tasks = {name: list(enumerate(map(Path, paths))) for name, paths in sets.items()}
        for task in tasks["bench"][:3]:  # templates compiled, packs planned
            batch_worker._process(task)
        if count_only:
            gc.collect()
            gc.disable()
            for _ in range(count_only):
                for task in tasks["bench"]:
                    batch_worker._process(task)
            return {}
        best = {}
        for name, todo in tasks.items():
            best[name] = float("inf")
            for _ in range(passes):
                started = time.process_time()
                for task in todo:
                    batch_worker._process(task)
                best[name] = min(best[name], (time.process_time() - started) / len(todo) * 1e3)
        results = {}
        for name, todo in tasks.items():
            seen = []
            for index, path in todo:
                staged = staging / f"{index:06d}.docx"
                staged.unlink(missing_ok=True)
                outcome = batch_worker._process((index, path))
                digest = hashlib.sha256(staged.read_bytes()).hexdigest() if staged.exists() \
                    else None
                seen.append({"file": path.name, "outcome": _plain(outcome, staging),
                             "docx": digest})
            results[name] = seen
    return {"ms": best, "results": results}


def _run(src: Path, sets_file: Path, passes: int, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", str(src), "--sets", str(sets_file),
                          "--passes", str(passes)], check=True, capture_output=True, text=True,
                         env=env).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def _instructions(src: Path, sets_file: Path, env: dict[str, str]) -> float:
    counts = []
    for reps in (1, 2):
        err = subprocess.run(
            [*revisions.CACHEGRIND, sys.executable, __file__, "--child", str(src), "--sets",
             str(sets_file), "--count", str(reps)], check=True, capture_output=True, text=True,
            env={**env, "PYTHONHASHSEED": "0"}).stderr
        counts.append(revisions.instructions(err))
    bench = len(json.loads(sets_file.read_text())["bench"][:COUNTED])
    return (counts[1] - counts[0]) / bench


def _differences(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    found = []
    for a, b in zip(old, new, strict=True):
        if a != b:
            keys = [k for k in a["outcome"] if a["outcome"][k] != b["outcome"].get(k)]
            what = keys or (["docx"] if a["docx"] != b["docx"] else ["?"])
            found.append(f"{a['file']}: {', '.join(what)}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--bench", type=int, default=200, help="speed.py's workbooks")
    parser.add_argument("--varied", type=int, default=120, help="varied workbooks")
    parser.add_argument("--folder", type=Path, help="keep the workbooks here (made once)")
    parser.add_argument("--passes", type=int, default=3, help="timed passes per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per side")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions too (valgrind, a few minutes)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sets", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sets = json.loads(args.sets.read_text())
        print(json.dumps(_side(args.child, sets, args.passes, args.count)))
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import speed

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp) / "workbooks"
        sets = {"bench": [str(p) for p in speed.make_workbooks(folder / "bench", args.bench)],
                "varied": [str(p) for p in make_varied(folder / "varied", args.varied)]}
        sets_file = Path(tmp) / "sets.json"
        sets_file.write_text(json.dumps(sets))
        old_src = revisions.baseline(args.baseline, Path(tmp) / "old")
        sides = {"before": old_src, "after": ROOT / "src"}
        envs = {side: {**os.environ, "DOCX_REPORT_CACHE": str(Path(tmp) / f"cache-{side}")}
                for side in sides}
        runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        for _ in range(args.rounds):  # alternating: the machine's load falls on both
            for side, src in sides.items():
                runs[side].append(_run(src, sets_file, args.passes, envs[side]))
        counted = {side: _instructions(src, sets_file, envs[side]) for side, src in sides.items()
                   } if args.instructions and shutil.which("valgrind") else {}
    print(f"CPU ms per workbook, the step after reading; best of {args.rounds} processes x "
          f"{args.passes} passes (before: {args.baseline})")
    print(f"  {'workbooks':<22}{'before':>10}{'after':>10}{'saved':>10}")
    for name, paths in sets.items():
        b = min(r["ms"][name] for r in runs["before"])
        a = min(r["ms"][name] for r in runs["after"])
        print(f"  {f'{name} ({len(paths)})':<22}{b:>10.3f}{a:>10.3f}{b - a:>10.3f}")
    if counted:
        b, a = counted["before"], counted["after"]
        print(f"  {'instructions (M), bench':<22}{b / 1e6:>10.3f}{a / 1e6:>10.3f}"
              f"{(b - a) / 1e6:>10.3f}")
    old, new = runs["before"][0]["results"], runs["after"][0]["results"]
    bad = 0
    for name in sets:
        built = sum(1 for r in new[name] if r["docx"])
        statuses = sorted({r["outcome"]["status"] for r in new[name]})
        problems = sum(len(r["outcome"]["problems"]) for r in new[name])
        differ = _differences(old[name], new[name])
        bad += len(differ)
        print(f"{name}: {len(new[name])} workbooks ({built} reports written, {problems} problems,"
              f" statuses {', '.join(statuses)}): "
              + (f"{len(differ)} DIFFER" if differ else "outcomes and .docx bytes identical"))
        for line in differ[:10]:
            print(f"  {line}")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
