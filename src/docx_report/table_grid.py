"""Does a template need docxtpl's table fix-up after each render? Decided once, when compiled.

docxtpl's ``fix_tables`` re-parses the rendered body and makes each table's column grid
(``w:tblGrid``) match the cells of its rows, for templates whose rows gain or lose cells when
rendered (``{%tc for %}`` column loops, ``{% colspan %}``). It costs a third of a render. It
changes nothing when

1. no row can gain or lose a cell: no tag sits between the cells of a row, every block opened
   in a table, row or cell is closed in it, and no tag is inside an XML tag (a ``gridSpan``
   computed from data); rows as a whole may repeat or vanish (``{%tr for %}``, ``{%tr if %}``);
2. and each row of the template itself already spans its table's grid exactly: then any number
   of copies of any rows does too (docxtpl gives up on a document with a table without a grid,
   so such a document is never changed either).

``needs_fix`` answers from the Jinja source of the body (after docxtpl's ``patch_xml``); where
it cannot tell, it says yes, and the fix-up runs as before. The one rendering on which skipping
it differs is a table left with no row at all, which Word cannot open either way.
"""

from __future__ import annotations

import re

from lxml import etree  # type: ignore[import-untyped]

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TOKEN = re.compile(r"<w:(tbl|tr|tc)[ >]|</w:(tbl|tr|tc)>|\{%[-+]?\s*(\w*)")
_TAG_IN_TAG = re.compile(r"<[^<>]*\{[{%]")
_JINJA = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)
_OPENERS = {"if", "for", "macro", "call", "filter", "with", "block", "autoescape", "raw"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def needs_fix(source: str) -> bool:
    """Can docxtpl's table fix-up change a rendering of this body source? (True if unsure.)"""
    if "<w:tbl" not in source:
        return False
    if _TAG_IN_TAG.search(source):
        return True
    open_elements: list[str] = []
    balance: list[int] = []  # blocks opened minus closed, inside each open table/row/cell
    for match in _TOKEN.finditer(source):
        opening, closing, word = match.groups()
        if opening:
            open_elements.append(opening)
            balance.append(0)
        elif closing:
            if not open_elements or open_elements.pop() != closing or balance.pop() != 0:
                return True
        elif open_elements:
            if open_elements[-1] == "tr" or not word:
                return True  # between the cells of a row, or a tag not understood
            balance[-1] += 1 if word in _OPENERS else -1 if word.startswith("end") else 0
            if balance[-1] < 0:
                return True
    if open_elements:
        return True
    return not _grids_exact(_JINJA.sub("", source))


def _grids_exact(xml: str) -> bool:
    """Does every row of every table span its table's grid exactly (the template, tags out)?"""
    try:
        root = etree.fromstring(xml.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        return False
    for table in root.iter(W + "tbl"):
        grid = table.find(W + "tblGrid")
        if grid is None:
            return True  # docxtpl's fix-up stops at this table and keeps the document as it is
        columns = len(grid.findall(W + "gridCol"))
        for row in table.iter(W + "tr"):  # as docxtpl counts them (nested tables' rows too)
            cells = row.findall(W + "tc")
            span = 0
            for cell in cells:
                merged = cell.find(f"{W}tcPr/{W}gridSpan")
                value = None if merged is None else merged.get(W + "val")
                try:
                    span += int(value) if value else 1
                except ValueError:
                    return False
            if len(cells) > columns or span != columns:
                return False
    return True
