"""The library's front door: ``init``, ``check`` and ``build`` one workbook.

Each function is one pipeline: read the workbook through its pack, check it, and only when no
error was found render the template. The CLI calls exactly one of these per command; the
library never prints or exits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx_report import checks, workbook
from docx_report.context import build_context
from docx_report.errors import (
    ConversionError,
    HasProblems,
    InputError,
    Level,
    OutputError,
    PackError,
    Problem,
    ProblemsFound,
    errors_in,
    sort_problems,
)
from docx_report.names import safe_filename
from docx_report.pack import Pack, load_pack
from docx_report.reader import ReportData, choose_pack, read_report

DEFAULT_PACK = "gov-disclosure-2021"


@dataclass
class Checked(HasProblems):
    """A workbook read and checked: its data, and every problem (errors first)."""

    data: ReportData
    problems: list[Problem] = field(default_factory=list)
    computed: dict[str, Any] = field(default_factory=dict)


    @property
    def ok(self) -> bool:
        return not self.errors

    def context(self) -> dict[str, Any]:
        d = self.data
        return build_context(d.pack, d.facts, self.computed, d.narratives, d.notes)

    def output_name(self) -> str:
        facts = {k: ("" if v is None else v) for k, v in self.data.facts.items()}
        try:
            text = self.data.pack.output.format(**facts)
        except (KeyError, IndexError, ValueError):
            text = self.data.file.stem
        return safe_filename(text, fallback=self.data.file.stem)

    def properties(self) -> dict[str, str]:
        """Document properties for the .docx (and so the PDF)."""
        facts = self.data.facts
        date = facts.get("date")
        return {
            "title": self.output_name(),
            "author": str(facts.get("agency") or ""),
            "subject": self.data.pack.title,
            "keywords": f"政府信息公开,年度报告,{facts.get('year') or ''}",
            "created": date.isoformat() if isinstance(date, dt.date) else "",
        }


def _with_file(problems: list[Problem], file: Path) -> list[Problem]:
    return [p if p.file else Problem(p.level, p.message, str(file), p.sheet, p.cell, p.rule)
            for p in problems]


def init_workbook(out: Path, *, pack: str = DEFAULT_PACK, agency: str = "",
                  year: int | None = None, force: bool = False) -> Pack:
    """Write the blank workbook of a pack; refuse to overwrite without ``force``."""
    loaded = load_pack(pack)
    facts: dict[str, Any] = {}
    if agency:
        facts["agency"] = agency
    if year is not None:
        facts["year"] = year
    workbook.write_workbook(loaded, out, facts=facts, force=force)
    return loaded


def check_workbook(path: Path, *, previous: Path | None = None,
                   pack: str | None = None) -> Checked:
    """Read and check one workbook (and last year's, for the cross-year rules)."""
    chosen = load_pack(pack) if pack else None
    data = read_report(path, chosen)
    prev_data = None
    if previous is not None:
        try:
            prev_data = read_report(previous)
        except InputError as exc:
            raise InputError(f"上年工作簿（--previous）无法读取：{exc}") from None
    return check_data(data, prev_data)


def check_data(data: ReportData, previous: ReportData | None = None) -> Checked:
    """Check a workbook already read (and last year's, already read): ``check_workbook``'s
    second half, for callers that read workbooks themselves (batch matches last year's by
    机关名称 after reading this year's)."""
    problems = list(data.problems)
    if previous is not None:
        prev_errors = errors_in(previous.problems)
        if prev_errors:
            problems.append(Problem(Level.WARNING, f"上年工作簿有 {len(prev_errors)} 处无法读取"
                                    "（可用 docx-report check 检查），跨年度核对只使用能读出的数字",
                                    file=str(previous.file)))
    problems += checks.check(data, previous)
    return Checked(data=data, problems=sort_problems(_with_file(problems, data.file)),
                   computed=checks.compute(data.pack, data.values))


@dataclass
class Built:
    docx: Path
    pdf: Path | None
    warnings: list[Problem]


def _pdf(docx: Path, pdfa: bool) -> Path:
    from docx_report import pdf

    try:
        [result] = pdf.convert([docx], pdfa=pdfa)
    except ConversionError as exc:  # LibreOffice missing: the report itself is there
        raise ConversionError(f"报告已生成：{docx}；但无法生成 PDF：{exc}") from None
    if result.pdf is None:
        raise OutputError(f"报告已生成，但转换 PDF 失败：{result.error}")
    return result.pdf


def build_report(path: Path, *, out: Path | None = None, template: Path | None = None,
                 previous: Path | None = None, pack: str | None = None, make_pdf: bool = False,
                 pdfa: bool = True) -> Built:
    """Check a workbook and, when it has no error, write the report (and its PDF).

    With any error nothing is written (an existing output stays untouched) and
    ``ProblemsFound`` carries every problem. A workbook that is not a pack workbook is rendered
    by the generic conventions when a ``template`` is given.
    """
    from docx_report import render

    if template is not None and pack is None and _is_generic(path):
        return _build_generic(path, template, out, make_pdf, pdfa)
    checked = check_workbook(path, previous=previous, pack=pack)
    if checked.errors:
        raise ProblemsFound(checked.problems, file=str(path))
    target = _output(out or path.parent / f"{checked.output_name()}.docx", path)
    compiled = render.CompiledTemplate.load(template or checked.data.pack.template_path)
    render.render_to_file(compiled, checked.context(), target,
                          properties=checked.properties())
    pdf_path = _pdf(target, pdfa) if make_pdf else None
    return Built(docx=target, pdf=pdf_path, warnings=checked.warnings)


def _output(target: Path, source: Path) -> Path:
    """Check the report's path (a .docx, not the input) and make its folder if needed."""
    if target.suffix.lower() != ".docx":
        raise OutputError(f"{target}：输出文件名应以 .docx 结尾")
    if target.resolve() == source.resolve():
        raise OutputError(f"{target}：输出文件不能覆盖输入的工作簿")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"无法创建文件夹 {target.parent}（{exc.strerror or exc}）") from None
    return target


def _is_generic(path: Path) -> bool:
    """Is this a workbook of the generic conventions rather than of a pack?"""
    book = workbook.open_workbook(path)
    if book.pack_name:
        return False
    try:
        choose_pack(book, None)
    except (InputError, PackError):
        return True
    return False


def _build_generic(path: Path, template: Path, out: Path | None, make_pdf: bool,
                   pdfa: bool) -> Built:
    from docx_report import generic, render

    context = generic.read_generic(path)
    target = _output(out or path.with_suffix(".docx"), path)
    render.render_to_file(render.CompiledTemplate.load(template), context, target,
                          properties={"title": path.stem})
    return Built(docx=target, pdf=_pdf(target, pdfa) if make_pdf else None, warnings=[])


def read_context(path: Path, *, pack: str | None = None) -> dict[str, Any]:
    """Exactly the data a template sees for this workbook (pack or generic)."""
    return template_data(path, pack=pack)[0]


def template_data(path: Path, *, pack: str | None = None) -> tuple[dict[str, Any], set[str]]:
    """The data a template sees, and the fields it need not print (facts kept for the checks)."""
    if pack is None and _is_generic(path):
        from docx_report import generic

        return generic.read_generic(path), set()
    checked = check_workbook(path, pack=pack)
    optional = {f.key for f in checked.data.pack.fields if not f.in_report}
    return checked.context(), optional
