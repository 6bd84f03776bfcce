"""The library's front door: ``init``, ``check`` and ``build`` one workbook.

Thin functions over the process's ``engine.Engine`` (which reads, checks and renders every
workbook of every command, keeping packs and compiled templates): the CLI and other callers
call exactly one of these per command; the library never prints or exits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx_report import engine
from docx_report.engine import Built, Checked, PackRef
from docx_report.errors import PackError
from docx_report.pack import Pack
from docx_report.reader import ReportData

DEFAULT_PACK = "gov-disclosure-2021"

__all__ = ["DEFAULT_PACK", "Built", "Checked", "build_report", "check_data", "check_workbook",
           "init_workbook", "read_context", "template_data"]


def init_workbook(out: Path, *, pack: PackRef = DEFAULT_PACK, agency: str = "",
                  year: int | None = None, force: bool = False,
                  previous: Path | None = None) -> Pack:
    """Write the blank workbook of a pack (a built-in name or a folder); refuse to overwrite
    without ``force``.

    With ``previous`` (last year's workbook or published report) what carries over is
    pre-filled: the pack's ``[[carry]]`` values, 机关名称, the next 年度, last year's
    subsection titles.
    """
    from docx_report import carry, workbook  # openpyxl: only where a workbook is written

    eng = engine.default()
    loaded = eng.pack(pack)
    prefill = carry.prefill(loaded, eng.read_previous(previous)) if previous else carry.Prefill()
    given: dict[str, Any] = {}
    if agency:
        given["agency"] = agency
    if year is not None:
        given["year"] = year
    facts: dict[str, Any] = {**prefill.facts, **given}
    keys = {f.key for f in loaded.fields}
    for key, option in (("agency", "--agency"), ("year", "--year")):
        if key in given and key not in keys:
            raise PackError(f"格式「{loaded.name}」没有 {key} 字段，不能用 {option} 预先填写")
    facts = {k: v for k, v in facts.items() if k in keys}  # last year's, where this pack has it
    workbook.write_workbook(loaded, out, facts=facts, values=prefill.values,
                            narratives=prefill.narratives, force=force)
    return loaded


def check_workbook(path: Path, *, previous: Path | None = None,
                   pack: PackRef | None = None) -> Checked:
    """Read and check one workbook (and last year's, for the cross-year rules)."""
    return engine.default().check(path, previous=previous, pack=pack)


def check_data(data: ReportData, previous: ReportData | None = None) -> Checked:
    """Check a workbook already read (and last year's, already read): ``check_workbook``'s
    second half, for callers that read workbooks themselves."""
    return engine.default().check_data(data, previous)


def build_report(path: Path, *, out: Path | None = None, template: Path | None = None,
                 previous: Path | None = None, pack: PackRef | None = None,
                 make_pdf: bool = False, pdfa: bool = True) -> Built:
    """Check a workbook and, when it has no error, write the report (and its PDF).

    With any error nothing is written (an existing output stays untouched) and
    ``ProblemsFound`` carries every problem. A workbook that is not a pack workbook is rendered
    by the generic conventions when a ``template`` is given.
    """
    return engine.default().build(path, out=out, template=template, previous=previous,
                                  pack=pack, make_pdf=make_pdf, pdfa=pdfa)


def read_context(path: Path, *, pack: PackRef | None = None) -> dict[str, Any]:
    """Exactly the data a template sees for this workbook (pack or generic)."""
    return template_data(path, pack=pack)[0]


def template_data(path: Path, *, pack: PackRef | None = None) -> tuple[dict[str, Any], set[str]]:
    """The data a template sees, and the fields it need not print (facts kept for the checks)."""
    return engine.default().template_data(path, pack=pack)


def _is_generic(path: Path) -> bool:
    """Is this a workbook of the generic conventions rather than of a pack? (Kept for callers
    written before the engine; ``engine.default().read_any`` answers and reads in one open.)"""
    from docx_report.errors import InputError, PackError
    from docx_report.reader import choose_pack
    from docx_report.sources import is_published

    if is_published(path):
        return False
    book = engine.default().open(path)
    if book.pack_record is not None:
        return False
    try:
        choose_pack(book, None)
    except (InputError, PackError):
        return True
    return False
