"""One path for one workbook: every command reads, checks and renders through an ``Engine``.

The engine holds what is worth keeping between workbooks: packs (built-in ones by name, any
other by its folder; each parsed once) and compiled Word templates (each compiled once while
the file is unchanged). Each workbook is opened and parsed once per command, whether it turns
out to be a pack workbook or a generic one. ``report`` (one workbook), ``batch`` (a worker
each), ``aggregate`` (the 汇总) and the template lint all go through here; nothing else checks
or renders.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx_report import checks, sources
from docx_report.context import build_context
from docx_report.errors import (
    ConversionError,
    HasProblems,
    InputError,
    Level,
    OutputError,
    PackError,
    PreviousUnreadable,
    Problem,
    ProblemsFound,
    ReportError,
    TemplateError,
    errors_in,
    sort_problems,
)
from docx_report.files import os_reason
from docx_report.layout import Book
from docx_report.names import safe_filename
from docx_report.pack import Pack, load_pack
from docx_report.reader import ReportData, choose_pack, read_book
from docx_report.xlsx_fast import open_book

if TYPE_CHECKING:
    from docx_report.render import CompiledTemplate

PackRef = str | Path | Pack


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
        """The report's file name (without .docx), from the pack's pattern and the facts."""
        key = (self.data.pack.output, self.data.file, tuple(self.data.facts.items()))
        known = self.__dict__.get("_output_name")
        if known is not None and known[0] == key:  # asked for again (outcome, properties)
            return str(known[1])
        facts = {k: ("" if v is None else v) for k, v in self.data.facts.items()}
        try:
            text = self.data.pack.output.format(**facts)
        except (KeyError, IndexError, ValueError):
            text = self.data.file.stem
        name = safe_filename(text, fallback=self.data.file.stem)
        self.__dict__["_output_name"] = (key, name)
        return name

    def properties(self) -> dict[str, str]:
        """Document properties for the .docx (and so the PDF); the keywords are the pack's."""
        facts = self.data.facts
        date = facts.get("date")
        keywords = [*self.data.pack.keywords, str(facts.get("year") or "")]
        return {
            "title": self.output_name(),
            "author": str(facts.get("agency") or ""),
            "subject": self.data.pack.title,
            "keywords": ",".join(k for k in keywords if k),
            "created": date.isoformat() if isinstance(date, dt.date) else "",
        }


@dataclass
class Built:
    docx: Path
    pdf: Path | None
    warnings: list[Problem]


def _with_file(problems: list[Problem], file: Path) -> list[Problem]:
    return [p if p.file else Problem(p.level, p.message, str(file), p.sheet, p.cell, p.rule)
            for p in problems]


class Engine:
    """Packs and compiled templates, kept while the process lives (a batch worker, the CLI, a
    web server: the template cache is bounded, so uploaded templates do not pile up)."""

    MAX_TEMPLATES = 16

    def __init__(self) -> None:
        self._templates: OrderedDict[tuple[Path, int, int], CompiledTemplate] = OrderedDict()
        self._lock = threading.Lock()  # a web server renders from several threads

    # -- packs and templates -------------------------------------------------------------------

    @staticmethod
    def pack(ref: PackRef) -> Pack:
        """A pack by built-in name or folder (each parsed once per process), or the pack given."""
        return ref if isinstance(ref, Pack) else load_pack(ref)

    def template(self, path: Path) -> CompiledTemplate:
        """A Word template, compiled once per process (again if the file changes)."""
        from docx_report.render import CompiledTemplate

        try:
            stat = path.stat()
        except OSError:
            raise TemplateError(f"找不到报告模板：{path}") from None
        key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if key in self._templates:
                self._templates.move_to_end(key)
                return self._templates[key]
        compiled = CompiledTemplate.load(path)  # outside the lock: compiling takes a while
        with self._lock:
            self._templates[key] = compiled
            while len(self._templates) > self.MAX_TEMPLATES:
                self._templates.popitem(last=False)  # the least recently used
        return compiled

    # -- reading -------------------------------------------------------------------------------

    @staticmethod
    def open(path: Path, *, reader: str | None = None) -> Book:
        """The one place a workbook is opened (and so parsed): python-calamine where it reads
        the workbook exactly, else openpyxl (``xlsx_fast``); ``reader="openpyxl"`` for one that
        may be generic (its reader needs openpyxl's workbook, with number formats)."""
        return open_book(path, reader=reader)

    def read(self, path: Path, pack: PackRef | None = None) -> ReportData:
        """Read a pack workbook (the pack given, else the one it records or fits), or a
        published report (the pack given, else the one whose tables it shows)."""
        if sources.is_published(path):
            return sources.read_published(path, self.pack(pack) if pack else None)
        book = self.open(path)
        return read_book(book, choose_pack(book, self.pack(pack) if pack else None))

    def read_any(self, path: Path, pack: PackRef | None = None) -> ReportData | dict[str, Any]:
        """A pack workbook's data, or a generic workbook's template context: the workbook is
        opened once either way (by openpyxl, which the generic reader needs)."""
        if sources.is_published(path):
            return self.read(path, pack)
        book = self.open(path, reader="openpyxl")
        if pack is not None or book.pack_record is not None:
            return read_book(book, choose_pack(book, self.pack(pack) if pack else None))
        try:  # no record: a pack workbook whose record was lost, or a generic one
            chosen = choose_pack(book, None)
        except (InputError, PackError):
            from docx_report import generic
            from docx_report.workbook import Workbook

            return generic.read_generic(path, book=book if isinstance(book, Workbook) else None)
        return read_book(book, chosen)

    def read_previous(self, path: Path) -> ReportData:
        try:
            return self.read(path)
        except InputError as exc:
            what = "上年报告" if sources.is_published(path) else "上年工作簿"
            raise PreviousUnreadable(what, exc) from None

    # -- checking ------------------------------------------------------------------------------

    def check(self, path: Path, *, previous: Path | None = None,
              pack: PackRef | None = None) -> Checked:
        """Read and check one workbook (and last year's, for the cross-year rules)."""
        data = self.read(path, pack)
        return self.check_data(data, self.read_previous(previous) if previous else None)

    @staticmethod
    def check_data(data: ReportData, previous: ReportData | None = None) -> Checked:
        """Check a workbook already read (and last year's, already read)."""
        problems = list(data.problems)
        if previous is not None:
            prev_errors = errors_in(previous.problems)
            if prev_errors:
                problems.append(Problem(Level.WARNING, f"上年工作簿有 {len(prev_errors)} 处无法"
                                        "读取（可用 docx-report check 检查），跨年度核对只使用能"
                                        "读出的数字", file=str(previous.file)))
        computed = checks.compute(data.pack, data.values)  # once: the checks read it too
        problems += checks.check(data, previous, computed=computed)
        return Checked(data=data, problems=sort_problems(_with_file(problems, data.file)),
                       computed=computed)

    # -- rendering -----------------------------------------------------------------------------

    def render(self, checked: Checked, out: Path, template: Path | None = None, *,
               staged: bool = False) -> None:
        """Write the report of a workbook checked without error (atomically; ``staged``: into
        a private staging folder, see ``render.render_to_file``)."""
        from docx_report import render

        assert checked.ok, "only a workbook without errors is rendered"
        compiled = self.template(template or checked.data.pack.template_path)
        render.render_to_file(compiled, checked.context(), out, properties=checked.properties(),
                              staged=staged)

    def build(self, path: Path, *, out: Path | None = None, template: Path | None = None,
              previous: Path | None = None, pack: PackRef | None = None,
              make_pdf: bool = False, pdfa: bool = True) -> Built:
        """Check a workbook and, without error, write the report (and its PDF); a generic
        workbook is rendered by its conventions when a ``template`` is given."""
        from docx_report import render, template_fit

        read = self.read_any(path, pack) if template is not None else self.read(path, pack)
        if isinstance(read, dict):
            assert template is not None
            target = _output(out or path.with_suffix(".docx"), path)
            render.render_to_file(self.template(template), read, target,
                                  properties={"title": path.stem})
            return Built(docx=target, pdf=_pdf(target, pdfa) if make_pdf else None, warnings=[])
        checked = self.check_data(read, self.read_previous(previous) if previous else None)
        # a template of one's own must still print what the pack requires, in its words
        fit = template_fit.fit(template, checked.data.pack) if template is not None else []
        if checked.errors or errors_in(fit):
            raise ProblemsFound(sort_problems([*checked.problems, *fit]), file=str(path))
        checked.problems += fit
        target = _output(out or path.parent / f"{checked.output_name()}.docx", path)
        self.render(checked, target, template)
        pdf_path = _pdf(target, pdfa) if make_pdf else None
        return Built(docx=target, pdf=pdf_path, warnings=checked.warnings)

    def template_data(self, path: Path, *, pack: PackRef | None = None
                      ) -> tuple[dict[str, Any], set[str]]:
        """The data a template sees for this workbook, and the fields it need not print."""
        read = self.read_any(path, pack)
        if isinstance(read, dict):
            return read, set()
        checked = self.check_data(read)
        optional = {f.key for f in read.pack.fields if not f.in_report}
        return checked.context(), optional


def _pdf(docx: Path, pdfa: bool) -> Path:
    from docx_report import pdf

    try:
        [result] = pdf.convert([docx], pdfa=pdfa)
    except ConversionError as exc:  # LibreOffice missing: the report itself is there
        raise ConversionError(f"报告已生成：{docx}；但无法生成 PDF：{exc}") from None
    if result.pdf is None:
        raise OutputError(f"报告已生成，但转换 PDF 失败：{result.error}")
    return result.pdf


def _output(target: Path, source: Path) -> Path:
    """Check the report's path (a .docx, not the input) and make its folder if needed."""
    if target.suffix.lower() != ".docx":
        raise OutputError(f"{target}：输出文件名应以 .docx 结尾")
    if target.resolve() == source.resolve():
        raise OutputError(f"{target}：输出文件不能覆盖输入的工作簿")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"无法创建文件夹 {target.parent}（{os_reason(exc)}）") from None
    return target


_ENGINE: Engine | None = None


def default() -> Engine:
    """This process's engine (a batch worker gets its own when it starts)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


__all__ = ["Built", "Checked", "Engine", "PackRef", "ReportError", "default"]
