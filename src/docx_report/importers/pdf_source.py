"""A text PDF → the neutral model, through pdfplumber (the optional extra ``docx-report[import]``).

pdfplumber finds each table's ruled cells with their boxes; the grid is rebuilt from the boxes
(a merged cell is one box spanning several column or row edges), so merges come back as spans
rather than as empty cells. A table that ends at the foot of one page and goes on at the top of
the next (same left and right edges) is stitched back into one. Text outside tables is joined
from lines into paragraphs by indentation and line length. A PDF with no text (a scan) is
refused with a message saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx_report.errors import ConversionError, InputError
from docx_report.importers.model import (
    MAX_CELLS,
    PAGE_NUMBER,
    Block,
    Document,
    Paragraph,
    SourceCell,
    SourceTable,
)

MAX_PAGES = 300
MAX_BYTES = 100 * 2**20
_EDGE = 2.5  # points: edges closer than this are one grid line
INSTALL = ("读取 PDF 需要可选组件 pdfplumber：请运行 pip install \"docx-report[import]\""
           "（或 pip install pdfplumber）后再试")


@dataclass
class _Part:
    page: int
    bbox: tuple[float, float, float, float]
    cells: list[tuple[tuple[float, float, float, float], str]]


@dataclass
class _Table:
    parts: list[_Part] = field(default_factory=list)


def _open(path: Path) -> Any:
    try:
        import pdfplumber
    except ImportError:
        raise ConversionError(INSTALL) from None
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"无法读取文件（{exc.strerror or exc}）", file=path) from None
    if size > MAX_BYTES:
        raise InputError(f"文件过大（{size // 2**20} MB），不像报告", file=path)
    try:
        return pdfplumber.open(str(path))
    except Exception as exc:  # pdfminer raises its own errors for damaged or encrypted files
        name = type(exc).__name__
        hint = "（PDF 设置了密码）" if "Password" in name or "Encrypt" in name else f"（{name}）"
        raise InputError(f"文件已损坏，无法作为 PDF 读取{hint}", file=path) from None


def read_pdf(path: Path) -> Document:
    pdf = _open(path)
    try:
        return _read(pdf, path)
    except ReportErrors:
        raise
    except Exception as exc:  # a damaged page deep in the file
        raise InputError(f"PDF 内容无法读取（{type(exc).__name__}）", file=path) from None
    finally:
        pdf.close()


ReportErrors = (InputError, ConversionError)


def _read(pdf: Any, path: Path) -> Document:
    pages = pdf.pages
    if len(pages) > MAX_PAGES:
        raise InputError(f"PDF 有 {len(pages)} 页，不像报告（最多读取 {MAX_PAGES} 页）",
                         file=path)
    items: list[tuple[int, float, Any]] = []  # (page, top, _Part | line)
    chars = images = 0
    for number, page in enumerate(pages, start=1):
        chars += len(page.chars)
        images += len(page.images)
        if not page.chars:
            continue
        found = page.find_tables()
        boxes = [t.bbox for t in found]
        for table in found:
            part = _part(table, number)
            if part.cells:
                items.append((number, table.bbox[1], part))

        def outside(obj: dict[str, Any], boxes: list[Any] = boxes) -> bool:
            x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
            y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
            return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

        for line in page.filter(outside).extract_text_lines(return_chars=False):
            if PAGE_NUMBER.match(line["text"]):
                continue
            items.append((number, line["top"], line))
    if chars == 0:
        if images:
            raise InputError("这是扫描件（PDF 里只有图像，没有文字），无法读取其中的数字；"
                             "请提供文字版的 PDF，或 Word、网页版本的报告", file=path)
        raise InputError("PDF 中没有任何文字，无法读取", file=path)
    items.sort(key=lambda item: (item[0], item[1]))
    return Document(path, _blocks(items), pages=len(pages))


def _part(table: Any, page: int) -> _Part:
    cells: list[tuple[tuple[float, float, float, float], str]] = []
    texts = table.extract()
    for row, row_texts in zip(table.rows, texts, strict=False):
        for box, text in zip(row.cells, row_texts, strict=False):
            if box is not None:
                cells.append((tuple(box), text or ""))
    return _Part(page, tuple(table.bbox), cells)


def _blocks(items: list[tuple[int, float, Any]]) -> list[Block]:
    blocks: list[Block] = []
    tables: list[tuple[int, _Table]] = []  # (index in blocks, table)
    lines: list[tuple[int, dict[str, Any]]] = []
    last: _Table | None = None  # the table that was the last thing seen

    texts = [item for _, _, item in items if not isinstance(item, _Part)]
    margins = (min((t["x0"] for t in texts), default=0.0),
               max((t["x1"] for t in texts), default=0.0))

    def flush() -> None:
        blocks.extend(_paragraphs(lines, margins))
        lines.clear()

    for page, _, item in items:
        if isinstance(item, _Part):
            previous = last.parts[-1] if last is not None else None
            if previous is not None and previous.page == page - 1 and not lines \
                    and abs(previous.bbox[0] - item.bbox[0]) < 5 \
                    and abs(previous.bbox[2] - item.bbox[2]) < 5:
                last.parts.append(item)  # type: ignore[union-attr]
                continue
            flush()
            last = _Table([item])
            tables.append((len(blocks), last))
            blocks.append(Paragraph(""))  # placeholder, replaced below
        else:
            lines.append((page, item))
            last = None
    flush()
    for n, (index, table) in enumerate(tables, start=1):
        blocks[index] = _grid(table, n)
    return [b for b in blocks if not (isinstance(b, Paragraph) and not b.text)]


def _cluster(values: list[float]) -> list[float]:
    edges: list[float] = []
    for v in sorted(values):
        if not edges or v - edges[-1] > _EDGE:
            edges.append(v)
    return edges


def _index(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


def _grid(table: _Table, number: int) -> SourceTable:
    boxes: list[tuple[float, float, float, float, str, int]] = []
    offset = 0.0
    for part in table.parts:
        top = part.bbox[1]
        for (x0, y0, x1, y1), text in part.cells:
            boxes.append((x0, y0 - top + offset, x1, y1 - top + offset, text, part.page))
        offset += part.bbox[3] - top + 10
    xs = _cluster([b[0] for b in boxes] + [b[2] for b in boxes])
    ys = _cluster([b[1] for b in boxes] + [b[3] for b in boxes])
    cells: list[SourceCell] = []
    pages = [0] * max(0, len(ys) - 1)
    for x0, y0, x1, y1, text, page in boxes[:MAX_CELLS]:
        c0, c1 = _index(xs, x0), _index(xs, x1)
        r0, r1 = _index(ys, y0), _index(ys, y1)
        if c1 <= c0 or r1 <= r0:
            continue
        cells.append(SourceCell(text, r0, c0, r1 - r0, c1 - c0))
        for r in range(r0, r1):
            pages[r] = pages[r] or page
    return SourceTable(cells, number, row_pages=pages)


_HEADING = re.compile(r"^\s*([（(][一二三四五六七八九十\d]{1,3}[）)]"
                      r"|[一二三四五六七八九十]{1,3}[、．]|\d{1,2}\s*[、．]|\d{1,2}\.(?!\d))")


def _paragraphs(lines: list[tuple[int, dict[str, Any]]],
                margins: tuple[float, float]) -> list[Paragraph]:
    """Lines → paragraphs. A line starts a paragraph when it is indented or a heading, or when
    the line before it (on this page or the last) ended short of the right margin."""
    left, right = margins
    result: list[Paragraph] = []
    text, page_of = "", 0
    previous: dict[str, Any] | None = None
    for page, line in lines:
        size = max(1.0, line["bottom"] - line["top"])
        starts = previous is None or line["x0"] > left + size * 0.8 \
            or _HEADING.match(line["text"]) is not None \
            or previous["x1"] < right - size * 1.5
        if starts and text:
            result.append(Paragraph(text, page_of))
            text = ""
        if not text:
            page_of = page
        text += _join(text, line["text"].strip())
        previous = line
    if text:
        result.append(Paragraph(text, page_of))
    return [Paragraph(_CJK_SPACE.sub("", p.text), p.page) for p in result]


# A PDF puts a gap between CJK and Latin glyphs that pdfplumber reads as a space: "2024 年".
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’"
_CJK_SPACE = re.compile(f"(?<=[{_CJK}]) +| +(?=[{_CJK}])")


def _join(before: str, after: str) -> str:
    """Lines of one paragraph: CJK text runs on; Latin words and numbers get a space."""
    if not before or not after:
        return after
    if before[-1].isascii() and after[0].isascii() and before[-1].isalnum() \
            and after[0].isalnum():
        return " " + after
    return after
