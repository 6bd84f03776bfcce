"""A report published as a web page (.html/.htm) → the neutral model, through lxml.html.

Portal pages and Word's "save as web page" are messy: inline styles, ``<o:p>``, ``&nbsp;``,
``<font>`` inside ``<span>``, layout tables around the article, GBK encodings. Block elements
become paragraphs; a table that holds another table is layout and is walked into; any other
table is a data table, its ``rowspan``/``colspan`` resolved into the grid.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docx_report.errors import InputError
from docx_report.importers.model import Block, Document, Paragraph, SourceTable, place_rows

MAX_BYTES = 50 * 2**20
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "section",
           "article", "center", "pre", "address", "dd", "dt", "header", "footer", "main",
           "ul", "ol", "dl", "form", "body", "td", "th", "tr", "caption", "figure"}
_SKIP = {"script", "style", "head", "noscript", "template", "title", "iframe", "object",
         "select", "textarea", "button", "svg"}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    declared = _CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii", "replace").lower()
        if name in ("gb2312", "gbk", "gb_2312-80", "x-gbk"):
            name = "gb18030"  # the superset: pages declared GB2312 hold GBK characters
        try:
            return data.decode(name, "replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


def read_html(path: Path) -> Document:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"文件过大（{size // 2**20} MB），不像报告网页", file=path)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"无法读取文件（{exc.strerror or exc}）", file=path) from None
    import lxml.etree  # type: ignore[import-untyped]
    import lxml.html  # type: ignore[import-untyped]

    text = _decode(data)
    if not text.strip():
        raise InputError("网页文件是空的", file=path)
    try:
        root = lxml.html.document_fromstring(text.replace("\x00", ""))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise InputError(f"无法作为网页读取（{exc}）", file=path) from None
    title_el = root.find(".//title")
    title = (title_el.text_content() if title_el is not None else "") or ""
    walker = _Walker()
    body = root.find("body")
    walker.walk(body if body is not None else root)
    walker.flush()
    return Document(path, walker.blocks, title=title)


def _tag(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""  # a comment or processing instruction
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buffer: list[str] = []
        self.tables = 0

    def flush(self) -> None:
        text = "".join(self.buffer)
        self.buffer = []
        if text.strip():
            self.blocks.append(Paragraph(text))

    def walk(self, element: Any) -> None:
        tag = _tag(element)
        if tag in _SKIP or not tag:
            self.buffer.append(element.tail or "")
            return
        if tag == "table" and not _has_table(element):
            self.flush()
            self.tables += 1
            self.blocks.append(_table(element, self.tables))
            self.buffer.append(element.tail or "")
            return
        block = tag in _BLOCKS or tag == "table"
        if block:
            self.flush()
        if tag == "br":
            self.flush()
        self.buffer.append(element.text or "")
        for child in element:
            self.walk(child)
        if block:
            self.flush()
        self.buffer.append(element.tail or "")


def _has_table(element: Any) -> bool:
    return any(True for _ in element.iterdescendants("table"))


def _rows(table: Any) -> list[Any]:
    rows: list[Any] = []
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows += [r for r in child if _tag(r) == "tr"]
    return rows


def _span(cell: Any, name: str) -> int:
    match = re.match(r"\s*(\d+)", str(cell.get(name) or "1"))
    return int(match.group(1)) if match else 1


def _cell_text(cell: Any) -> str:
    parts: list[str] = []

    def visit(element: Any) -> None:
        tag = _tag(element)
        if tag in _SKIP:
            parts.append(element.tail or "")
            return
        if tag in ("br", "p", "div", "li") and parts:
            parts.append("\n")
        parts.append(element.text or "")
        for child in element:
            visit(child)
        parts.append(element.tail or "")

    parts.append(cell.text or "")
    for child in cell:
        visit(child)
    return "".join(parts)


def _table(table: Any, number: int) -> SourceTable:
    rows = [[(_cell_text(cell), _span(cell, "rowspan"), _span(cell, "colspan"))
             for cell in tr if _tag(cell) in ("td", "th")]
            for tr in _rows(table)]
    return place_rows(rows, number)
