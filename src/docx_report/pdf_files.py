"""The files around a PDF conversion, read and checked without running LibreOffice.

``pdf`` runs soffice; this module looks at what goes in and comes out: whether an input can
be a Word document at all (and links to nothing outside it), soffice's log (which files it
loaded, whether it is still making progress, its last line worth showing) and the PDF it
wrote (complete, and dated with the report's own creation time).
"""

from __future__ import annotations

import os
import re
import time
import zipfile
from pathlib import Path

from docx_report.files import os_reason
from docx_report.template_guard import external_problem

_LOADED = "convert "
_LOAD_FAILED = "Error: source file could not be loaded"
_MAX_LOG_READ = 4 * 2**20


# ---- the input, and the folder the PDF goes to -------------------------------------------------


def _make_dir(path: Path) -> str:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"无法创建输出目录 {path}：{os_reason(exc)}"
    return ""


def _check_input(src: Path) -> str:
    """Why ``src`` cannot be a Word document, or ''."""
    if not src.is_file():
        return "文件不存在" if not src.exists() else "不是文件"
    try:
        with zipfile.ZipFile(src) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, EOFError, ValueError):
        return "不是 Word 文档（.docx），或文件已损坏"
    except OSError as exc:
        return f"无法读取：{os_reason(exc)}"
    if "[Content_Types].xml" not in names or not any(n.startswith("word/") for n in names):
        return "不是 Word 文档（.docx）：压缩包里没有 word/ 部分"
    return external_problem(src)  # nothing LibreOffice would fetch from outside the file


# ---- soffice's log -----------------------------------------------------------------------------


def _progress_mark(log: Path, out: Path) -> object:
    """Changes when soffice takes up or finishes a document, and only then: a soffice that
    hangs while it still prints warnings is killed all the same (a deadline per document,
    not a wait for silence). Only the head of the log is read: a flood of warnings costs
    nothing and, once past it, counts as no progress."""
    try:
        with log.open("rb") as fh:
            text = fh.read(_MAX_LOG_READ)
        documents = text.count(b"\n" + _LOADED.encode()) + text.startswith(_LOADED.encode()) \
            + text.count(_LOAD_FAILED.encode())
        return documents, sorted(e.name for e in os.scandir(out))
    except OSError:
        return time.monotonic()  # unreadable for a moment: count it as progress


def _parse_events(text: str, names: list[str]) -> dict[str, str]:
    """Which files soffice loaded or failed to load. It takes them in order, one line each."""
    position = {name: i for i, name in enumerate(names)}
    events: dict[str, str] = {}
    cursor = 0
    for line in text.splitlines():
        if line.startswith(_LOADED) and " -> " in line:
            name = Path(line[len(_LOADED):].split(" -> ", 1)[0]).stem
            if name in position:
                events[name] = _LOADED
                cursor = position[name] + 1
        elif line.startswith(_LOAD_FAILED) and cursor < len(names):
            events[names[cursor]] = _LOAD_FAILED
            cursor += 1
    return events


def _log_tail(text: str) -> str:
    """The last line of soffice's output worth showing (not the per-file lines or Java noise)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()
             and not ln.startswith((_LOADED, _LOAD_FAILED)) and "javaldx" not in ln]
    return lines[-1][:200] if lines else ""


# ---- the PDF it wrote --------------------------------------------------------------------------

_DOCX_CREATED = re.compile(
    rb"<dcterms:created[^>]*>(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z<")
_PDF_CREATED = re.compile(rb"/CreationDate\(D:\d{14}Z")
_XMP_CREATED = re.compile(rb"<xmp:CreateDate>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z<")


def with_creation_date(pdf: bytes, docx: Path) -> bytes:
    """The PDF with the .docx's creation time (the report's date) instead of the export's.

    LibreOffice stamps the moment of conversion. Only the digits of that UTC time are
    replaced, in the Info dictionary and the XMP packet alike (PDF/A wants them equal), byte
    for byte, so no offset in the file moves and the same report converts to the same date;
    a PDF or .docx whose times are not in the expected form is left as it is.
    """
    try:
        with zipfile.ZipFile(docx) as package:
            found = _DOCX_CREATED.search(package.read("docProps/core.xml")[:65536])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return pdf
    if not found or len(_PDF_CREATED.findall(pdf)) != 1 or len(_XMP_CREATED.findall(pdf)) != 1:
        return pdf
    year, month, day, hour, minute, second = found.groups()
    pdf = _PDF_CREATED.sub(b"/CreationDate(D:" + year + month + day + hour + minute + second
                           + b"Z", pdf)
    return _XMP_CREATED.sub(b"<xmp:CreateDate>" + year + b"-" + month + b"-" + day + b"T" + hour
                            + b":" + minute + b":" + second + b"Z<", pdf)


def _complete_pdf(path: Path) -> bool:
    """A PDF soffice finished: it ends with the %%EOF marker (a cut-off file does not)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 1024))
            return size > 0 and b"%%EOF" in f.read()
    except OSError:
        return False
