"""Published reports (.docx, .html/.htm, text .pdf) read into the same data a workbook gives.

Each source format is read into one neutral model (``model``: paragraphs and tables with their
spans resolved); one matcher (``tables`` for the tables, ``text`` for facts and narrative) then
finds the pack's tables and sections in it by their labels and headings. The result is a
``ReportData``, so an imported report goes through the same checks and rendering as a
workbook; ``import_report`` also writes it as a pack workbook for the clerk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docx_report import checks
from docx_report.errors import InputError, Problem, error, warning
from docx_report.importers.model import Document, without_page_numbers
from docx_report.importers.tables import assign, match_table, pack_score
from docx_report.importers.text import Sections, find_facts, find_sections, narratives
from docx_report.pack import Pack, builtin_packs, load_pack
from docx_report.reader import Narrative, ReportData
from docx_report.values import ValueProblem, value_type

SUFFIXES = {".docx": "docx", ".html": "html", ".htm": "html", ".pdf": "pdf"}


def read_document(path: Path) -> Document:
    """Any published report → the neutral model (by its file type), footers dropped."""
    doc = _read_document(path)
    doc.blocks = without_page_numbers(doc.blocks)
    return doc


def _read_document(path: Path) -> Document:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind == "docx":
        from docx_report.importers.docx_source import read_docx

        return read_docx(path)
    if kind == "html":
        from docx_report.importers.html_source import read_html

        return read_html(path)
    if kind == "pdf":
        from docx_report.importers.pdf_source import read_pdf

        return read_pdf(path)
    if path.suffix.lower() == ".doc":
        raise InputError("这是旧版 Word 文档（.doc）；请在 Word/WPS 中“另存为” Word 文档"
                         "（.docx）后再试", file=path)
    raise InputError("不是能读取的已发布报告（支持 .docx、.html/.htm、.pdf）", file=path)


def _choose(doc: Document, pack: Pack | None) -> Pack:
    """The pack whose tables' labels the report shows best (the year decides a tie)."""
    sources = doc.tables()
    if not sources:
        raise InputError("文件中没有表格，找不到报告的统计表；请确认文件是完整的报告，"
                         "且表格不是图片", file=doc.path)
    if pack is not None:
        return pack
    packs = [load_pack(name) for name in builtin_packs()]
    year = find_facts(doc, Sections(), [p.title for p in packs]).get("year")
    scored = [(round(pack_score(p, sources), 3),
               isinstance(year, int) and p.years[0] <= year <= p.years[1], p) for p in packs]
    best = max(scored, key=lambda s: (s[0], s[1]))
    if best[0] < 1.0:  # not even one table recognised
        wanted = "、".join(f"“{t.heading}”" for t in best[2].tables())
        raise InputError(f"文件中的表格不是内置报告格式的统计表（按标签找不到{wanted}），"
                         "无法读取", file=doc.path)
    return best[2]


def _where(name: str, page: int) -> str:
    return f"{name}（第{page}页）" if page else name


class _Import:
    """One published report read through one pack: facts, tables, narrative."""

    def __init__(self, doc: Document, pack: Pack) -> None:
        self.doc = doc
        self.sections = find_sections(pack, doc.blocks)
        self.data = ReportData(pack=pack, file=doc.path)
        self.assigned = assign(pack, doc.tables())

    def problem(self, message: str, where: str, *, warn: bool = False, rule: str = "") -> None:
        self.data.problems.append((warning if warn else error)(message, sheet=where, rule=rule))

    def facts(self) -> None:
        pack = self.data.pack
        titles = [pack.title, *(load_pack(name).title for name in builtin_packs())]
        found = find_facts(self.doc, self.sections, titles)
        named = str(found.get("agency") or "")
        for f in pack.fields:
            where = "报告落款" if f.type == "date" else "报告标题"
            self.data.locations[f.key] = (where, "")
            # A choice the report does not print (机关类型): the one its agency's name names.
            value = found.get(f.key) or next(
                (c for c in f.choices if c != f.default and c in named), f.default)
            if value is None or value == "":
                if f.required:
                    self.problem(f"未能从报告中读出{f.label}（{f.help}）", where)
                self.data.facts[f.key] = "" if f.type == "text" else None
                continue
            try:
                self.data.facts[f.key] = value_type(f.type).parse(value)
            except ValueProblem as exc:
                self.problem(f"{f.label}：{exc}", where)
                self.data.facts[f.key] = None

    def tables(self) -> None:
        data, assigned = self.data, self.assigned
        for table in data.pack.tables():
            name = f"表格“{table.heading}”"
            if not assigned[table.key]:
                data.unread_tables.add(table.key)
                self.problem(f"报告中找不到这个表格（按“{table.heading}”的标签查找），"
                             "本表数字未读取", name)
                for cell in table.value_cells():
                    data.values[cell.key] = None
                    data.locations[cell.key] = (name, "")
                continue
            for key, found in match_table(table, assigned[table.key], name).found.items():
                data.values[key] = found.value
                data.locations[key] = (_where(name, found.page), "")
                if found.problem:
                    self.problem(found.problem, _where(name, found.page),
                                 rule=data.pack.value_rule)

    def narratives(self) -> None:
        data = self.data
        found = {id(t) for tables in self.assigned.values() for t in tables}
        stories, notes = narratives(data.pack, self.doc, self.sections,
                                    str(data.facts.get("agency") or ""), found)
        for section in data.pack.narratives():
            where = f"“{section.heading}”"
            data.locations[section.key] = (where, "")
            if section.key in stories:
                intro, subsections = stories[section.key]
                data.narratives[section.key] = Narrative(intro=intro, subsections=subsections)
            elif section.required:
                self.problem(f"报告中找不到“{section.heading}”这一部分（按标题查找）", where,
                             warn=True)
        data.notes = {t.key: notes.get(t.key, []) for t in data.pack.tables()}


def read_published(path: Path, pack: Pack | None = None) -> ReportData:
    """A published report as a workbook would give it: facts, values (None where unreadable,
    each with a problem located in the source: table, row and column labels, page), narrative.
    Raise InputError when the file cannot be read or holds no table of any pack."""
    doc = read_document(path)
    reading = _Import(doc, _choose(doc, pack))
    reading.facts()
    reading.tables()
    reading.narratives()
    return reading.data


@dataclass
class Imported:
    data: ReportData
    out: Path
    kept_totals: list[str]  # totals that disagree with their parts, kept as published

    @property
    def problems(self) -> list[Problem]:
        return self.data.problems


def import_report(path: Path, out: Path, *, pack: str | Path | None = None,
                  force: bool = False) -> Imported:
    """Read a published report and write it as a filled pack workbook (cells that could not be
    read are left empty, each with a located problem)."""
    from docx_report import workbook

    data = read_published(path, load_pack(pack) if pack else None)
    computed = checks.compute(data.pack, data.values)
    # A total that disagrees with its (all readable) parts stays as published, for check.
    kept = [key for key in data.pack.total_of()
            if None not in (data.values.get(key), computed.get(key))
            and data.values[key] != computed[key]]
    stories = {key: {"intro": story.intro,
                     "subsections": [{"title": t, "paragraphs": p} for t, p in story.subsections]}
               for key, story in data.narratives.items()}
    workbook.write_workbook(data.pack, out, facts=data.facts, values=data.values,
                            narratives=stories, notes=data.notes, literal=kept, force=force)
    return Imported(data, out, kept)
