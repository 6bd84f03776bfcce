"""Lint a Word template against the data a pack gives it, before anyone renders a report.

Agencies restyle the shipped templates in Word, and Word is not kind to template tags: it splits
``{{ agency }}`` into several runs, lets the parts carry different formatting, and nothing stops a
typing error in a field name. ``lint_template`` reports, each at the paragraph or table cell
where it sits (``第 12 段「…」``, ``第 2 个表格第 3 行第 1 列「…」``, ``页眉第 1 段「…」``):

- tags that docxtpl cannot repair: a tag not closed in its paragraph, parts of one tag with
  different formatting, full-width braces, ``{% tr`` with a space, ``{%p``/``{%tr``/``{%tc``
  sharing their paragraph, row or cell with other text (which would be deleted), ``{%tr`` outside
  a table, unbalanced ``{% for %}``/``{% if %}`` and plain tags spanning paragraphs;
- Jinja syntax errors and unsafe constructs;
- unknown fields (with "did you mean"), and fields of the example data the template never uses;
- whatever a trial render with the example data in the sandbox still finds.

Headers and footers are checked like the body.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree  # type: ignore[import-untyped]

from docx_report import template_fit
from docx_report.errors import Level, OutputError, Problem, TemplateError
from docx_report.files import write_bytes_atomically
from docx_report.pack import Pack
from docx_report.render import CompiledTemplate, FieldUse, check_syntax, field_uses
from docx_report.template_parts import SourcePart, read_parts

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_OPENER = re.compile(r"\{\{|\{%|\{#")
_CLOSER = re.compile(r"\}\}|%\}|#\}")
_BLOCK = re.compile(r"\{%(?:(p|tr|tc|r) )?[-+]?\s*(\w+)(.*?)[-+]?%\}", re.S)
_SPACED_PREFIX = re.compile(r"\{%-?\s+(p|tr|tc)\s+(?:for|if|endfor|endif|else|elif|set|with)\b")
_FULLWIDTH = re.compile(r"｛[｛{%％]|[{｛][｛％]|[%％]｝|％[}｝]|｝｝")
_OPENS = {"for", "if", "macro", "call", "filter", "with", "raw", "autoescape", "block", "set"}
_MIDDLES = {"else": {"if", "for"}, "elif": {"if"}}
_IGNORED_RPR = {W + "lang", W + "noProof", W + "rtl", W + "cs"}
_PREFIX_NAMES = {None: "{% … %}", "p": "{%p … %}", "tr": "{%tr … %}", "tc": "{%tc … %}",
                 "r": "{%r … %}"}


class _Block(NamedTuple):
    """A block tag ({% for %}, {%p endif %} …) and where it sits."""

    prefix: str | None  # p, tr, tc, r or None
    keyword: str  # for, endfor, if, else …
    tag: str
    para: int
    place: str
    cell: Any  # the table cell (w:tc element) it is in, or None


def lint_template(path: Path, known: Mapping[str, Any], *,
                  optional: Iterable[str] = (), pack: Pack | None = None) -> list[Problem]:
    """Every problem of a template, errors and warnings, in the order found.

    ``known`` is an example context of the pack (nested dicts and lists of sample values);
    fields named in ``optional`` (data for the checks, not for the page) may go unused. With
    the ``pack``, what it requires in print and its official labels are checked too
    (template_fit: errors, where a generic template's unused fields are only warnings).
    Raises TemplateError only when the file is not a Word document at all.
    """
    path = Path(path)
    parts = read_parts(path)
    problems: list[Problem] = []
    structural: set[str] = set()  # parts whose tag structure is already reported broken
    for part in parts:
        found = list(_check_part(part))
        problems += found
        if any(p.level is Level.ERROR for p in found):
            structural.add(part.name)
    syntax = check_syntax(path)
    for name, message in syntax.items():
        if name not in structural:
            problems.append(_problem(Level.ERROR, message, "template.syntax"))
    uses = field_uses(path)
    unknown = list(_unknown_fields(uses, known))
    problems += unknown
    if pack is not None:
        problems += template_fit.fit(path, pack)
    if syntax:  # what is used is not fully known, and nothing can be rendered
        return _with_file(problems, path)
    if pack is None:
        problems += _unused_fields(known, [u.path for u in uses], set(optional))
    try:
        CompiledTemplate.load(path).render(known)
    except TemplateError as exc:
        message = str(exc).removeprefix(f"{path}：")
        if not (unknown and "不存在的字段" in message):
            problems.append(_problem(Level.ERROR, f"试渲染失败：{message}", "template.render"))
    return _with_file(problems, path)


def _problem(level: Level, message: str, rule: str) -> Problem:
    return Problem(level, message, rule=rule)


def _at(level: Level, place: str, message: str, rule: str) -> Problem:
    return _problem(level, f"{place}：{message}", rule)


def _with_file(problems: list[Problem], path: Path) -> list[Problem]:
    return [Problem(p.level, p.message, str(path), p.sheet, p.cell, p.rule) for p in problems]


# --- the tags as Word stores them ---------------------------------------------------------


def _runs(paragraph: Any) -> list[tuple[str, bytes]]:
    """(text, normalised formatting) of the runs directly in a paragraph."""
    runs = []
    for run in paragraph.iter(W + "r"):
        if next(run.iterancestors(W + "p"), None) is not paragraph:
            continue  # a run of a paragraph nested in a text box
        text = "".join(t.text or "" for t in run.iter(W + "t"))
        runs.append((text, _formatting(run.find(W + "rPr"))))
    return runs


def _formatting(rpr: Any) -> bytes:
    """Run properties that change how text looks (not language, proofing or font hints)."""
    if rpr is None:
        return b""
    rpr = etree.fromstring(etree.tostring(rpr))
    for child in list(rpr):
        child.attrib.pop(W + "hint", None)
        if child.tag in _IGNORED_RPR or (child.tag == W + "rFonts" and not child.attrib):
            rpr.remove(child)
    return bytes(etree.tostring(rpr, method="c14n")) if len(rpr) else b""


def _check_part(part: SourcePart) -> Iterator[Problem]:
    root = etree.fromstring(part.xml.encode("utf-8"))
    blocks: list[_Block] = []
    for index, paragraph in enumerate(root.iter(W + "p")):
        place = part.place(index)
        runs = _runs(paragraph)
        text = "".join(t for t, _ in runs)
        if "{" not in text and "}" not in text and "｛" not in text and "｝" not in text:
            continue
        owner = [i for i, (t, _) in enumerate(runs) for _ in t]
        yield from _check_paragraph(paragraph, text, owner, runs, place)
        cell = next(paragraph.iterancestors(W + "tc"), None)
        for m in _BLOCK.finditer(text):
            blocks.append(_Block(m.group(1), m.group(2), m.group(0), index, place, cell))
    yield from _check_balance(blocks)


def _check_paragraph(paragraph: Any, text: str, owner: list[int],
                     runs: list[tuple[str, bytes]], place: str) -> Iterator[Problem]:
    tags = list(_TAG.finditer(text))
    inside = [False] * len(text)
    for m in tags:
        inside[m.start():m.end()] = [True] * (m.end() - m.start())
        formats = {runs[owner[i]][1] for i in range(m.start(), m.end()) if not text[i].isspace()}
        if len(formats) > 1:
            yield _at(Level.WARNING, place,
                      f"标签「{m.group(0)}」的各部分格式不同（Word 把它拆成了几段），"
                      "渲染结果只保留开头部分的格式；请选中整个标签重新设置一次格式",
                      "template.split-format")
    for m in _OPENER.finditer(text):
        if not inside[m.start()]:
            yield _at(Level.ERROR, place,
                      f"标签「{text[m.start():m.start() + 30]}」没有在本段内结束"
                      "（缺少 }} 或 %}）；标签必须写在同一段内", "template.unclosed-tag")
    for m in _CLOSER.finditer(text):
        if not inside[m.start()] and not inside[max(m.start() - 1, 0)]:
            yield _at(Level.WARNING, place, f"多余的「{m.group(0)}」，前面没有对应的开始符号",
                      "template.stray-closer")
    for m in _FULLWIDTH.finditer(text):
        yield _at(Level.ERROR, place,
                  f"「{m.group(0)}」含有全角括号或百分号，不会被当作标签；请改用半角字符 {{ }} %",
                  "template.fullwidth")
    for m in _SPACED_PREFIX.finditer(text):
        yield _at(Level.ERROR, place,
                  f"「{m.group(0)}…」中 {{% 与 {m.group(1)} 之间不能有空格，"
                  f"应写作 {{%{m.group(1)} …%}}", "template.prefix-space")
    yield from _check_prefixed(paragraph, text, tags, place)


def _check_prefixed(paragraph: Any, text: str, tags: list[re.Match[str]],
                    place: str) -> Iterator[Problem]:
    """{%p %} replaces its paragraph, {%tr %} its table row, {%tc %} its cell: whatever else
    is there is deleted."""
    prefixed = [m for m in tags if re.match(r"\{[{%](p|tr|tc) ", m.group(0))]
    for m in prefixed:
        kind = re.match(r"\{[{%](p|tr|tc) ", m.group(0)).group(1)  # type: ignore[union-attr]
        if kind == "p":
            scope, what = text, "段"
            if len(prefixed) > 1:
                yield _at(Level.ERROR, place,
                          "同一段中有多个 {%p %} 标签，只有第一个会保留；请每段只放一个",
                          "template.p-tag-text")
        else:
            ancestor = next(paragraph.iterancestors(W + kind), None)
            if ancestor is None:
                where = "行" if kind == "tr" else "单元格"
                yield _at(Level.ERROR, place,
                          f"「{m.group(0)}」不在表格中；{{%{kind} %}} 只能放在表格的{where}里",
                          "template.outside-table")
                continue
            scope = "".join(t.text or "" for t in ancestor.iter(W + "t"))
            what = "行" if kind == "tr" else "单元格"
        rest = "".join(scope.replace(m.group(0), "", 1).split())
        if rest and not (kind == "p" and len(prefixed) > 1):
            yield _at(Level.WARNING, place,
                      f"「{m.group(0)}」会替换整个{what}，"
                      f"同一{what}中的其他文字「{rest[:20]}」会被删除", "template.p-tag-text")


def _check_balance(blocks: list[_Block]) -> Iterator[Problem]:
    """Every {% for %}, {% if %}… closed, in order, with the same kind of tag."""
    stack: list[_Block] = []
    raw = False
    for block in blocks:
        prefix, keyword, tag, para, place, cell = block
        if raw and keyword != "endraw":
            continue
        if keyword in _OPENS and not (keyword == "set" and "=" in tag):
            stack.append(block)
            raw = keyword == "raw"
        elif keyword in _MIDDLES:
            if not stack or stack[-1].keyword not in _MIDDLES[keyword]:
                need = "/".join(sorted(_MIDDLES[keyword]))
                yield _at(Level.ERROR, place, f"「{tag}」前面没有对应的 {{% {need} %}}",
                          "template.unbalanced")
        elif keyword.startswith("end") and keyword[3:] in _OPENS:
            opened = keyword[3:]
            raw = False
            if not any(b.keyword == opened for b in stack):
                yield _at(Level.ERROR, place,
                          f"多余的「{tag}」，前面没有对应的 {{% {opened} %}}",
                          "template.unbalanced")
                continue
            while stack[-1].keyword != opened:
                yield _unclosed(stack.pop())
            start = stack.pop()
            if start.prefix != prefix:
                yield _at(Level.ERROR, place,
                          f"开始标签「{start.tag}」（{start.place}）与结束标签「{tag}」写法不一致，"
                          f"应都用 {_PREFIX_NAMES[start.prefix]}", "template.unbalanced")
            elif prefix is None and start.cell is not cell:
                yield _at(Level.ERROR, start.place,
                          f"「{start.tag}」与「{tag}」（{place}）不在同一个表格单元格中，"
                          "会破坏文档结构；请把它们放进同一个单元格，或改用 {%tr %}/{%tc %}",
                          "template.cross-cell")
            elif prefix is None and start.para != para:
                yield _at(Level.WARNING, start.place,
                          f"「{start.tag}」与「{tag}」（{place}）不在同一段；跨段落的循环或条件"
                          f"应改用 {{%p {opened} … %}} … {{%p {keyword} %}}，"
                          "否则段落可能被合并或格式被破坏", "template.cross-paragraph")
    for block in reversed(stack):
        yield _unclosed(block)


def _unclosed(block: _Block) -> Problem:
    prefix, keyword, tag, _, place, _ = block
    end = f"{{%{prefix + ' ' if prefix else ' '}end{keyword} %}}"
    return _at(Level.ERROR, place, f"「{tag}」没有对应的结束标签 {end}", "template.unbalanced")


# --- the fields against the example data ---------------------------------------------------


def _element(items: Any) -> Any:
    """What one item of a list looks like: the union of its dicts' keys, or its first item."""
    if items and all(isinstance(i, Mapping) for i in items):
        merged: dict[str, Any] = {}
        for item in items:
            for key, value in item.items():
                merged.setdefault(key, value)
        return merged
    return items[0] if items else None


def _display(path: tuple[str, ...]) -> str:
    return ".".join(path).replace(".*", "[]")


def _unknown_fields(uses: list[FieldUse], known: Mapping[str, Any]) -> Iterator[Problem]:
    seen: set[tuple[str, ...]] = set()
    for use in uses:
        if use.path in seen:
            continue
        seen.add(use.path)
        value: Any = known
        for i, segment in enumerate(use.path):
            if segment == "*":
                if isinstance(value, list | tuple):
                    if not value:
                        break  # an empty sample list: nothing to check against
                    value = _element(value)
                    continue
                if isinstance(value, str | int | float) or value is None:
                    yield _at(Level.ERROR, use.place,
                              f"字段 {_display(use.path[:i])} 不是列表，不能用 for 循环",
                              "template.unknown-field")
                break
            if isinstance(value, Mapping) and segment in value:
                value = value[segment]
                continue
            candidates = [str(k) for k in value] if isinstance(value, Mapping) else []
            guess = difflib.get_close_matches(segment, candidates, n=1, cutoff=0.6)
            owner = f"（{_display(use.path[:i])} 中没有）" if i else ""
            hint = f"，是否应为 {guess[0]}？" if guess else ""
            yield _at(Level.ERROR, use.place, f"未知字段 {segment}{owner}{hint}",
                      "template.unknown-field")
            break


def _unused_fields(known: Mapping[str, Any], used: list[tuple[str, ...]],
                   optional: set[str]) -> list[Problem]:
    problems: list[Problem] = []

    def related(path: tuple[str, ...]) -> bool:
        return any(u[:len(path)] == path or path[:len(u)] == u for u in used)

    def visit(value: Any, path: tuple[str, ...]) -> None:
        if path and not related(path) and path[0] not in optional:
            problems.append(_problem(
                Level.WARNING, f"数据中的字段 {_display(path)} 模板中没有使用",
                "template.unused-field"))
            return
        if isinstance(value, Mapping):
            for key, child in value.items():
                visit(child, (*path, str(key)))
        elif isinstance(value, list | tuple) and isinstance(_element(value), Mapping):
            visit(_element(value), (*path, "*"))

    visit(known, ())
    return problems


def export_template(source: Path, out: Path, *, force: bool = False) -> None:
    """Copy a template to ``out`` (atomically) for an agency to restyle."""
    out = Path(out)
    if out.suffix.lower() != ".docx":
        raise OutputError(f"{out}：模板文件名应以 .docx 结尾")
    if out.exists() and not force:
        raise OutputError(f"{out} 已存在；如要覆盖请使用 --force")
    write_bytes_atomically(out, Path(source).read_bytes(), hint="文件是否正在 Word 中打开？")
