"""A Word report (.docx) → the neutral model, through python-docx.

python-docx's ``row.cells`` repeats a merged cell once per grid column it covers and hides
vertical merges, so each table's grid is rebuilt from the XML itself: ``w:gridBefore`` skips
columns, ``w:gridSpan`` spans columns, ``w:vMerge`` (without ``restart``) continues the cell
above.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docx_report.errors import InputError
from docx_report.importers.model import (
    MAX_CELLS,
    MAX_SPAN,
    Block,
    Document,
    Paragraph,
    SourceCell,
    SourceTable,
)

MAX_UNCOMPRESSED = 200 * 2**20  # a report with its pictures; more is a zip bomb
_NOT_WORD = "无法作为 Word 文档（.docx）读取"


def _guard(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError(f"文件已损坏或不是 .docx，{_NOT_WORD}；旧版 .doc 请在 Word/WPS 中"
                         "另存为 .docx", file=path) from None
    if "word/document.xml" not in names:
        raise InputError(f"{_NOT_WORD}：文件中没有 Word 正文", file=path)
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        raise InputError("文件解压后异常巨大（疑似压缩炸弹），已拒绝读取", file=path)


def read_docx(path: Path) -> Document:
    _guard(path)
    import docx
    from docx.oxml.ns import qn

    try:
        doc = docx.Document(str(path))
    except Exception as exc:  # python-docx raises anything from KeyError to XML errors
        raise InputError(f"{_NOT_WORD}（{type(exc).__name__}）", file=path) from None
    blocks: list[Block] = []
    tables = 0
    for element in _body_blocks(doc.element.body, qn):
        if element.tag == qn("w:p"):
            blocks.append(Paragraph(_text(element, qn)))
        else:
            tables += 1
            blocks.append(_table(element, tables, qn))
    title = str(doc.core_properties.title or "")
    return Document(path, blocks, title=title)


def _body_blocks(body: Any, qn: Any, depth: int = 0) -> Iterator[Any]:
    """Paragraphs and tables of the body in order, looking inside content controls and into
    layout tables (a table whose cells hold tables: the report laid out inside a frame)."""
    for child in body.iterchildren():
        if child.tag == qn("w:tbl") and depth < 5 and \
                next(child.iterdescendants(qn("w:tbl")), None) is not None:
            for tr in child.iterchildren(qn("w:tr")):
                for tc in tr.iterchildren(qn("w:tc")):
                    yield from _body_blocks(tc, qn, depth + 1)
        elif child.tag in (qn("w:p"), qn("w:tbl")):
            yield child
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _body_blocks(content, qn, depth)


def _text(p: Any, qn: Any) -> str:
    """A paragraph's text: its runs (in hyperlinks and fields too), tabs and breaks."""
    parts: list[str] = []
    for node in p.iter(qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")):
        if node.tag == qn("w:t"):
            parts.append(node.text or "")
        elif node.tag == qn("w:tab"):
            parts.append(" ")
        else:
            parts.append("\n")
    return "".join(parts)


def _int(element: Any, qn: Any, default: int) -> int:
    if element is None:
        return default
    try:
        return int(element.get(qn("w:val")))
    except (TypeError, ValueError):
        return default


def _table(tbl: Any, number: int, qn: Any) -> SourceTable:
    # Each open cell, by its first column: the one a vMerge continuation extends.
    open_cells: dict[int, list[Any]] = {}
    placed: list[list[Any]] = []  # [text, row, col, rows, cols]
    total = 0
    for r, tr in enumerate(tbl.iterchildren(qn("w:tr"))):
        tr_pr = tr.find(qn("w:trPr"))
        col = _int(tr_pr.find(qn("w:gridBefore")) if tr_pr is not None else None, qn, 0)
        col = max(0, min(col, MAX_SPAN))
        for tc in _cells(tr, qn):
            tc_pr = tc.find(qn("w:tcPr"))
            span = _int(tc_pr.find(qn("w:gridSpan")) if tc_pr is not None else None, qn, 1)
            span = max(1, min(span, MAX_SPAN))
            merge = tc_pr.find(qn("w:vMerge")) if tc_pr is not None else None
            above = open_cells.get(col)
            if merge is not None and merge.get(qn("w:val")) != "restart" and above is not None \
                    and above[1] + above[3] == r and above[4] == span:
                above[3] += 1
            else:
                cell = [_cell_text(tc, qn), r, col, 1, span]
                placed.append(cell)
                open_cells[col] = cell
            total += span
            if total > MAX_CELLS:
                break
            col += span
    return SourceTable([SourceCell(*c) for c in placed], number)


def _cells(tr: Any, qn: Any) -> Iterator[Any]:
    for child in tr.iterchildren():
        if child.tag == qn("w:tc"):
            yield child
        elif child.tag in (qn("w:sdt"), qn("w:customXml")):
            content = child.find(qn("w:sdtContent")) if child.tag == qn("w:sdt") else child
            if content is not None:
                yield from content.iterchildren(qn("w:tc"))


def _cell_text(tc: Any, qn: Any) -> str:
    return "\n".join(_text(p, qn) for p in tc.iter(qn("w:p")))
