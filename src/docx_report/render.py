"""Render Word templates: the only module that imports docxtpl (and, with ``sandbox``, jinja2).

A ``CompiledTemplate`` reads a .docx once (its parts through ``template_parts``), applies
docxtpl's preprocessing (``patch_xml``: the ``{%p %}``, ``{%tr %}``, ``{%tc %}``, ``{%r %}`` tags
and tags Word split across runs) to the body, headers, footers and footnotes, and compiles each
part with Jinja. Each ``render`` then only renders those parts, applies docxtpl's
post-processing (line breaks, table grids, drawing ids) and writes a new zip in which every
other part is copied from the template.

Templates come from outside, so they run in a hardened sandbox (``sandbox.ENV``): unsafe
attributes are refused before anything runs, sizes of strings, lists and numbers that
operators, filters and calls produce are capped, and a render is stopped after a time limit.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

from jinja2 import Template, TemplateSyntaxError, nodes
from lxml import etree  # type: ignore[import-untyped]

from docx_report import table_grid, template_cache
from docx_report.core_props import core_xml
from docx_report.errors import OutputError, TemplateError
from docx_report.files import write_bytes_atomically, write_staged
from docx_report.salvage import salvage
from docx_report.sandbox import (
    DEFAULT_TIME_LIMIT,
    ENV,
    MAX_OUTPUT,
    RenderTimeout,
    TooLarge,
    error_message,
    run_with_time_limit,
    syntax_message,
    template_lineno,
    unsafe_attribute,
)
from docx_report.template_fields import field_paths
from docx_report.template_parts import (
    _PARSER,
    SourcePart,
    W,
    _load_package,
    _parse,
    _rels,
    read_parts,
)
from docx_report.xml_pieces import Pieces, Summary, constants, summaries
from docx_report.zip_append import StaticZip

WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
_CORE_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_MARK_AT = re.compile(r"<w:(p|tr|tc)[ >]")
_MARK = re.compile("\ue000(\\d+)\ue001")
# Jinja's tags written as text: docxtpl's escapes, undone after rendering
_ESCAPED = (("{_{", "{{"), ("}_}", "}}"), ("{_%", "{%"), ("%_}", "%}"))


@functools.cache
def _docxtpl() -> Any:
    """docxtpl, for its stateless patch_xml, resolve_listing and fix_tables only. Imported
    when first needed: with the compiled template cached, most renders need none of them, and
    importing docxtpl (python-docx with it) costs a fifth of a second."""
    from docxtpl import DocxTemplate

    return DocxTemplate("")




@dataclass(frozen=True)
class FieldUse:
    """A data field a template refers to: ``("rows", "*", "name")`` is ``r.name`` in
    ``{% for r in rows %}``; ``"*"`` stands for each item of a list."""

    path: tuple[str, ...]
    part: str  # 正文, 页眉, 页脚 or 脚注
    place: str  # 第 3 段「…」


@dataclass
class _Compiled:
    part: SourcePart
    lines: list[int]  # template line (0-based) -> paragraph index in the part
    template: Template
    tree: nodes.Template | None  # None when it came from the cache: parsed when asked for
    pieces: Pieces  # its constants summarised, to check a rendering from its pieces
    fix_tables: bool = True  # may docxtpl's table fix-up change a rendering? (table_grid)
    last: tuple[bytes, bytes] = (b"", b"")  # the last rendering of a part other than the body

    def place(self, lineno: int | None) -> str:
        return _place(self.part, self.lines, lineno)

    def syntax_tree(self) -> nodes.Template:
        if self.tree is None:
            self.tree = ENV.parse(_jinja_source(self.part.xml)[0])
        return self.tree


def _place(part: SourcePart, lines: list[int], lineno: int | None) -> str:
    if lineno is None or not lines:
        return part.label
    return part.place(lines[min(max(lineno - 1, 0), len(lines) - 1)])


def _jinja_source(xml: str) -> tuple[str, list[int]]:
    """docxtpl's patch_xml, with one template line per paragraph, row and cell so that Jinja's
    line numbers say where a tag sits. Lines end with U+E002, removed after rendering."""
    n = 0  # index of the next paragraph: rows and cells point at their first paragraph

    def mark(m: re.Match[str]) -> str:
        nonlocal n
        index = n
        if m.group(1) == "p":
            n += 1
        return f"\ue000{index}\ue001{m.group(0)}"

    patched = _docxtpl().patch_xml(_MARK_AT.sub(mark, xml))
    pieces = _MARK.split(patched)
    lines = [-1] * (pieces[0].count("\n") + 1)
    out = [pieces[0]]
    for index, chunk in zip(pieces[1::2], pieces[2::2], strict=True):
        out.append("\ue002\n" + chunk)
        lines.extend([int(index)] * (chunk.count("\n") + 1))
    return "".join(out), lines


def _compile(part: SourcePart, file: Path) -> _Compiled:
    cached = template_cache.load(part.label, part.xml)
    if cached is not None:  # compiled (and found safe) by an earlier run
        lines, fix, code, known = cached
        with contextlib.suppress(ValueError):  # not summaries of this code: compiled again
            pieces = Pieces(zip(constants(code), map(Summary.of, known), strict=True))
            template = ENV.template_class.from_code(ENV, code, ENV.make_globals(None))
            return _Compiled(part, lines, template, None, pieces, fix)
    source, lines = _jinja_source(part.xml)
    try:
        tree = ENV.parse(source)
        if unsafe := unsafe_attribute(tree):  # refused before anything is compiled or run
            raise TemplateError(f"{file}：{_place(part, lines, unsafe[1])}：{unsafe[0]}")
        # Compiling folds constant expressions in place: variables, all field_paths looks
        # for, stay, so the tree is parsed once and kept.
        code = ENV.compile(tree)
        template = ENV.template_class.from_code(ENV, code, ENV.make_globals(None))
    except TemplateSyntaxError as exc:  # also unknown filters and tests, found when compiling
        where = _place(part, lines, exc.lineno)
        raise TemplateError(f"{file}：{where}：模板语法错误，{syntax_message(exc)}") from None
    fix = part.label == "正文" and table_grid.needs_fix(source)
    known = summaries(code)
    template_cache.store(part.label, part.xml, lines, fix, code,
                         [None if s is None else tuple(s) for s in known])
    return _Compiled(part, lines, template, tree, Pieces(zip(constants(code), known, strict=True)),
                     fix)


def check_syntax(path: Path) -> dict[str, str]:
    """Part name -> its first syntax or safety error ("place：message"), for each part with one."""
    errors = {}
    for part in read_parts(path):
        try:
            _compile(part, path)
        except TemplateError as exc:
            errors[part.name] = str(exc).removeprefix(f"{path}：")
    return errors


class CompiledTemplate:
    """A Word template parsed and compiled once, rendered many times (batch of hundreds)."""

    def __init__(self, path: Path, parts: list[_Compiled], static_zip: bytes,
                 infos: dict[str, zipfile.ZipInfo], document: tuple[bytes, bytes],
                 core: tuple[str, bytes | None], time_limit: float) -> None:
        self.path = path
        self.time_limit = time_limit
        self._parts = parts
        self._static_zip = StaticZip(static_zip)
        self._infos = infos
        self._document = document  # document.xml before and after the body
        self._core = core  # part name of the core properties, and its template content

    @classmethod
    def load(cls, path: Path, *, time_limit: float = DEFAULT_TIME_LIMIT) -> CompiledTemplate:
        """Read and compile a template; TemplateError (naming file and place) if it cannot be."""
        path = Path(path)
        sources, data, infos = _load_package(path)
        parts = [_compile(part, path) for part in sources]
        main = sources[0].name
        root = _parse(data[main], path, main)
        body = root.find(W + "body")
        body.getparent().replace(body, etree.Comment("BODY"))
        before, after = etree.tostring(
            root, encoding="UTF-8", xml_declaration=True, standalone=True).split(b"<!--BODY-->")
        core_name = next((n for t, n in _rels(data, "", path) if t == _CORE_REL), None)
        if core_name is None:
            core_name = "docProps/core.xml"
            data["[Content_Types].xml"] = data["[Content_Types].xml"].replace(
                b"</Types>", b'<Override PartName="/docProps/core.xml" ContentType="application/'
                b'vnd.openxmlformats-package.core-properties+xml"/></Types>')
            data["_rels/.rels"] = data.get("_rels/.rels", b"").replace(
                b"</Relationships>", b'<Relationship Id="rIdDocxReportCore" Type="'
                + _CORE_REL.encode() + b'" Target="docProps/core.xml"/></Relationships>')
        rendered = {p.name for p in sources} | {core_name}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for info in infos:
                if info.filename not in rendered:
                    z.writestr(info, data[info.filename])
        by_name = {i.filename: i for i in infos}
        return cls(path, parts, buf.getvalue(), by_name, (before, after),
                   (core_name, data.get(core_name)), time_limit)

    def render(self, context: Mapping[str, Any], *,
               properties: Mapping[str, str] | None = None) -> bytes:
        """The .docx bytes of the template rendered with ``context``."""
        core = core_xml(self._core[1], properties or {})
        try:
            xmls = run_with_time_limit(
                self.time_limit, lambda: [self._render(p, context) for p in self._parts])
        except RenderTimeout as exc:  # fired outside a part
            raise TemplateError(f"{self.path}：{error_message(exc, self.time_limit)}") from None
        out = {self._core[0]: core}
        for compiled, (xml, checked) in zip(self._parts, xmls, strict=True):
            out[compiled.part.name] = self._finish(compiled, xml, checked)
        return self._static_zip.with_parts(
            ((self._infos.get(name) or zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), content)
             for name, content in out.items()), level=1)  # twice as fast as the default

    def _render(self, compiled: _Compiled, context: Mapping[str, Any]
                ) -> tuple[str | bytes, bool]:
        """The part's XML, and whether it is known to be well-formed already (then it is
        UTF-8 already)."""
        pieces: list[str] = []
        total = 0
        try:
            for piece in compiled.template.generate(context):
                total += len(piece)
                if total > MAX_OUTPUT:
                    raise TooLarge
                pieces.append(piece)
        except Exception as exc:
            where = compiled.place(template_lineno(exc))
            message = error_message(exc, self.time_limit)
            raise TemplateError(f"{self.path}：{where}：{message}") from None
        joined = compiled.pieces.join(pieces)
        # checked from its pieces (UTF-8 already), unless docxtpl's line breaks will change it
        if joined is not None and b"\n" not in joined and b"\t" not in joined:
            if b"_" in joined:  # (only text changes: still as well-formed as it was)
                for escaped, tag in _ESCAPED:
                    joined = joined.replace(escaped.encode(), tag.encode())
            return joined, True
        # the line markers (each with the newline after it) go: str.replace, not a regex
        xml = "".join(pieces).replace("\ue002\n", "").replace("\ue002", "")
        if "_" in xml:
            for escaped, tag in _ESCAPED:
                xml = xml.replace(escaped, tag)
        if "\n" in xml or "\t" in xml:
            return str(_docxtpl().resolve_listing(xml)), False
        return xml, False

    def _finish(self, compiled: _Compiled, xml: str | bytes, checked: bool = False) -> bytes:
        """Check the rendered XML and apply docxtpl's fixes (table grids, drawing ids).

        Where neither applies, the rendered text itself is written (the same XML as the tree
        parsed from it, without serialising it again)."""
        body = compiled.part.label == "正文"
        data = xml if isinstance(xml, bytes) else xml.encode("utf-8")
        last = compiled.last  # read once: another thread may render the same template
        if not body and last[0] == data:  # a footer the same as the last report's
            return last[1]
        fix = compiled.fix_tables and b"<w:tbl" in data
        try:
            if body and not fix and b"docPr" not in data:
                # Nothing to fix: the text only has to be well-formed, which expat checks
                # without building a tree (a third of lxml's time for the body).
                if not checked:
                    expat.ParserCreate().Parse(data, True)
                before, after = self._document
                return before + data + after
            tree = etree.fromstring(data, _STRICT if body else _PARSER)
        except (etree.XMLSyntaxError, expat.ExpatError) as exc:
            raise TemplateError(
                f"{self.path}：{compiled.part.label}渲染后不是有效的 Word XML（{exc}）。常见原因："
                "{% %} 标签跨越了段落或表格的边界（应改用 {%p %}、{%tr %}、{%tc %}），"
                "或使用了 |safe"
            ) from None
        if not body:
            result = bytes(etree.tostring(tree, encoding="UTF-8", xml_declaration=True,
                                          standalone=True))
            compiled.last = (data, result)
            return result
        changed = False
        if fix:
            with contextlib.suppress(AttributeError, TypeError, ValueError):  # grid-less table
                text = xml if isinstance(xml, str) else xml.decode("utf-8")
                tree, changed = _docxtpl().fix_tables(text), True
        for index, drawing in enumerate(tree.iter(WP + "docPr"), 1001):
            drawing.set("id", str(index))
            changed = True
        before, after = self._document
        return before + (bytes(etree.tostring(tree, encoding="UTF-8")) if changed else data) + after

    def variables(self) -> list[FieldUse]:
        """The data fields the template refers to, once per place they are used."""
        return _uses(self._parts)


def _uses(parts: list[_Compiled]) -> list[FieldUse]:
    seen: dict[tuple[tuple[str, ...], str], FieldUse] = {}
    for compiled in parts:
        for path, lineno in field_paths(compiled.syntax_tree()):
            use = FieldUse(path, compiled.part.label, compiled.place(lineno))
            seen.setdefault((path, use.place), use)
    return list(seen.values())


def field_uses(path: Path) -> list[FieldUse]:
    """Like ``CompiledTemplate.variables``, from the parts that compile, and from the tags that
    parse of those that do not (lint goes on when one part has a syntax error)."""
    compiled = []
    salvaged: list[FieldUse] = []
    for part in read_parts(path):
        try:
            compiled.append(_compile(part, path))
        except TemplateError:  # the fields of its tags that parse are linted all the same
            source, lines = _jinja_source(part.xml)
            tree = salvage(source)
            for use, lineno in field_paths(tree) if tree is not None else ():
                salvaged.append(FieldUse(use, part.label, _place(part, lines, lineno)))
    return _uses(compiled) + salvaged


def render_to_file(template: CompiledTemplate, context: Mapping[str, Any], out: Path, *,
                   properties: Mapping[str, str] | None = None, overwrite: bool = True,
                   staged: bool = False) -> None:
    """Render and write ``out`` atomically: a temporary file in the same folder, then
    os.replace. A failed render or write leaves no file (and an existing file untouched).
    ``staged``: ``out`` is in a private staging folder (``files.write_staged``)."""
    out = Path(out)
    if not overwrite and out.exists():
        raise OutputError(f"{out} 已存在；如要覆盖请使用 --force")
    content = template.render(context, properties=properties)
    if staged:
        write_staged(out, content)
    else:
        write_bytes_atomically(out, content, hint="文件是否正在 Word 中打开？")
