"""Does a (restyled) template still print what its pack requires, in the format's own words?

An agency restyles the official template in Word and, without noticing, deletes a table row or
the 落款, or "corrects" a label ("只计" → "只记", "科研机构" → "科研院所"). The report then
builds silently with data missing or a table that is no longer the official one. This module
says, each at its place in the template:

- every field the pack requires in print (the facts it prints, every table value, every
  narrative section) that the template never uses: an error (``build --template`` refuses);
  a table's 表前说明 never used: a warning;
- for a pack with ``verbatim_labels`` (the official formats): every label of its tables must be
  the text of a table cell of the template, word for word (spaces aside); a cell whose text is
  close to a label but differs is an error at that cell, a label found nowhere an error too.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]

from docx_report.errors import Level, Problem
from docx_report.pack import Pack, TableSection
from docx_report.render import field_uses
from docx_report.template_parts import read_parts

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub("", text)


def _shown(path: tuple[str, ...], used: list[tuple[str, ...]]) -> bool:
    return any(u[:len(path)] == path or path[:len(u)] == u for u in used)


def missing_fields(pack: Pack, used: Iterable[tuple[str, ...]]) -> Iterator[Problem]:
    """What the pack requires in print and the template never shows."""
    uses = list(used)
    for f in pack.fields:
        if f.in_report and not _shown((f.key,), uses):
            yield Problem(Level.ERROR, f"模板没有显示{pack.facts_sheet}“{f.label}”"
                          f"（字段 {f.key}）；报告会缺少这项内容", rule="template.missing-field")
    for section in pack.sections:
        if not isinstance(section, TableSection):
            if not _shown((section.key,), uses):
                yield Problem(Level.ERROR, f"模板没有显示“{section.heading}”（字段 "
                              f"{section.key}）；报告会缺少这一部分", rule="template.missing-field")
            continue
        table = pack.value_cells()
        cells = [(key, cell) for key, (t, cell) in table.items() if t.key == section.key]
        lost = [(key, cell) for key, cell in cells if not _shown(tuple(key.split(".")), uses)]
        if lost and len(lost) == len(cells):
            yield Problem(Level.ERROR, f"模板没有显示表格“{section.heading}”的任何数字（字段 "
                          f"{section.key}）；报告会缺少这张表", rule="template.missing-field")
        elif lost:
            names = "、".join(f"“{cell.label}”（{key}）" for key, cell in lost[:12])
            more = f"等 {len(lost)} 项" if len(lost) > 12 else ""
            yield Problem(Level.ERROR, f"模板没有显示表格“{section.heading}”中的 {names}{more}；"
                          "报告会缺少这些数字", rule="template.missing-field")
        if not _shown((section.key, "note"), uses):
            yield Problem(Level.WARNING, f"模板没有显示“{section.heading}”的表前说明（字段 "
                          f"{section.key}.note）；工作簿中填写的表前说明不会出现在报告中",
                          rule="template.unused-field")


def _cells(path: Path) -> Iterator[tuple[str, str]]:
    """(place, text) of every table cell of the template's parts."""
    for part in read_parts(path):
        root = etree.fromstring(part.xml.encode("utf-8"))
        first: dict[object, int] = {}
        for index, paragraph in enumerate(root.iter(W + "p")):
            tc = next(paragraph.iterancestors(W + "tc"), None)
            if tc is not None and tc not in first:
                first[tc] = index
        for tc, index in first.items():
            text = "".join(t.text or "" for t in tc.iter(W + "t"))  # type: ignore[attr-defined]
            yield part.place(index), text


def label_problems(path: Path, pack: Pack) -> Iterator[Problem]:
    """Every official table label, word for word, in a table cell of the template."""
    cells = [(place, _norm(text)) for place, text in _cells(path)]
    texts = {text for _, text in cells}
    labels: dict[str, str] = {}
    for table in pack.tables():
        for cell in table.label_cells():
            labels.setdefault(_norm(cell.text), table.heading)
            if cell.hint:
                labels.setdefault(_norm(cell.text + cell.hint), table.heading)
    wanted = {label: heading for label, heading in labels.items() if label not in texts}
    # a hint may sit in its own paragraph of the cell: label and label+hint are one
    for table in pack.tables():
        for cell in table.label_cells():
            if cell.hint and (_norm(cell.text) in texts or _norm(cell.text + cell.hint) in texts):
                wanted.pop(_norm(cell.text), None)
                wanted.pop(_norm(cell.text + cell.hint), None)
    candidates = [(place, text) for place, text in cells
                  if text and text not in labels and "{" not in text]
    for label, heading in wanted.items():
        scored = [(difflib.SequenceMatcher(None, label, text).ratio(), place, text)
                  for place, text in candidates]
        best = max(scored, default=(0.0, "", ""))
        if best[0] >= 0.5:
            yield Problem(Level.ERROR, f"{best[1]}：表格标签与格式原文不符：模板为「{best[2]}」，"
                          f"{pack.basis or '格式'}原文为「{label}」（{heading}）；请改回原文",
                          rule="template.label")
        else:
            yield Problem(Level.ERROR, f"模板中找不到{heading}的表格标签「{label}」"
                          f"（{pack.basis or '格式'}原文）；请恢复该标签", rule="template.label")


def fit(path: Path, pack: Pack) -> list[Problem]:
    """Every way the template loses the pack's data or words; each problem names the file."""
    problems = list(missing_fields(pack, [u.path for u in field_uses(path)]))
    if pack.verbatim_labels:
        problems += label_problems(path, pack)
    return [Problem(p.level, p.message, str(path), rule=p.rule) for p in problems]
