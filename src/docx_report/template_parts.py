"""A Word template's package, and the parts of it that hold template text.

``read_parts`` opens the .docx (refusing what ``template_guard`` refuses, and anything that is
not a Word document), finds the body through the package's relationships, then the headers,
footers and footnotes, and gives each as a ``SourcePart``: its XML as docxtpl sees it (parsed
like python-docx, serialised by lxml) and where each of its paragraphs sits, for messages.
Nothing here compiles or renders: that is ``render``.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from docx_report import template_guard
from docx_report.errors import TemplateError
from docx_report.files import is_ole

MAX_PACKAGE = 256 * 2**20  # uncompressed size of a template package

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_PART_LABELS = {"header": "页眉", "footer": "页脚", "footnotes": "脚注"}

# Same parser options as python-docx (remove_blank_text), plus no entities, DTDs or network.
_PARSER = etree.XMLParser(
    remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False
)


@dataclass(frozen=True)
class SourcePart:
    """One XML part of a template that holds template text: the body, a header, a footer."""

    name: str  # path inside the package, e.g. word/header1.xml
    label: str  # 正文, 页眉, 页脚 or 脚注
    xml: str  # the part as docxtpl sees it (parsed like python-docx, serialised by lxml)

    @cached_property
    def places(self) -> list[str]:
        """Where each paragraph sits, in document order: 第 3 段「…」, 页眉第 1 段「…」."""
        root = etree.fromstring(self.xml.encode("utf-8"), _PARSER)
        tables = {t: i for i, t in enumerate(root.iter(W + "tbl"), 1)}
        prefix = "" if self.label == "正文" else self.label
        places, n = [], 0
        for p in root.iter(W + "p"):
            text = "".join(t.text or "" for t in p.iter(W + "t"))
            tc = next(p.iterancestors(W + "tc"), None)
            if tc is not None:
                tr = next(tc.iterancestors(W + "tr"))
                tbl = next(tr.iterancestors(W + "tbl"))
                rows = [r for r in tbl.iter(W + "tr") if next(r.iterancestors(W + "tbl")) is tbl]
                row = rows.index(tr) + 1
                col = list(tr.iterchildren(W + "tc")).index(tc) + 1
                where = f"第 {tables[tbl]} 个表格第 {row} 行第 {col} 列"
            else:
                n += 1
                where = f"第 {n} 段"
            short = text if len(text) <= 40 else text[:39] + "…"
            places.append(f"{prefix}{where}「{short}」")
        return places

    def place(self, index: int) -> str:
        if 0 <= index < len(self.places):
            return self.places[index]
        return f"{self.label}开头"


def _parse(data: bytes, file: Path, name: str) -> Any:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise TemplateError(f"{file}：文件已损坏，{name} 不是有效的 XML（{exc}）") from None
    if root.getroottree().docinfo.doctype:
        raise TemplateError(f"{file}：{name} 含有 DOCTYPE 声明，出于安全原因拒绝处理")
    return root


def _read_package(path: Path) -> tuple[dict[str, bytes], list[zipfile.ZipInfo]]:
    if path.exists() and not path.is_dir() and not path.is_file():  # a FIFO would block
        raise TemplateError(f"{path}：不是普通文件（可能是管道或设备），拒绝读取")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            data = template_guard.read_members(z, infos, path, MAX_PACKAGE)
    except FileNotFoundError:
        raise TemplateError(f"找不到模板文件 {path}") from None
    except IsADirectoryError:
        raise TemplateError(f"{path} 是文件夹，不是 Word 模板") from None
    except PermissionError:
        raise TemplateError(f"{path}：没有读取权限") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError):
        if is_ole(head):
            raise TemplateError(
                f"{path}：这是旧版 .doc 或加密的 Word 文件；请用 Word 另存为 .docx（不设密码）"
            ) from None
        raise TemplateError(f"{path}：不是有效的 Word 文件（.docx），或文件已损坏") from None
    if "[Content_Types].xml" not in data:
        raise TemplateError(f"{path}：不是 Word 文件（缺少 [Content_Types].xml）")
    template_guard.check_package(path, data)  # every part, not only those rendered
    return data, infos


def _rels(data: dict[str, bytes], part: str, file: Path) -> list[tuple[str, str]]:
    """(relationship type, target part name) of a part's internal relationships."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if rels_name not in data:
        return []
    out = []
    for rel in _parse(data[rels_name], file, rels_name).iter(_REL):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        out.append((rel.get("Type", ""), name))
    return out


def read_parts(path: Path) -> list[SourcePart]:
    """The parts of a template that hold template text, as docxtpl sees them."""
    return _load_package(path)[0]


def _load_package(path: Path) -> tuple[list[SourcePart], dict[str, bytes], list[zipfile.ZipInfo]]:
    data, infos = _read_package(path)
    main = next((n for t, n in _rels(data, "", path) if t.endswith("/officeDocument")), None)
    if main is None or main not in data:
        raise TemplateError(f"{path}：不是 Word 文档（找不到正文 word/document.xml）")
    root = _parse(data[main], path, main)
    body = root.find(W + "body")
    if body is None:
        raise TemplateError(f"{path}：{main} 没有正文（w:body）")
    parts = [SourcePart(main, "正文", etree.tostring(body, encoding="unicode"))]
    for rel_type, name in _rels(data, main, path):
        kind = rel_type.rsplit("/", 1)[-1]
        if kind in _PART_LABELS and name in data and data[name]:
            xml = etree.tostring(_parse(data[name], path, name), encoding="unicode")
            parts.append(SourcePart(name, _PART_LABELS[kind], xml))
    return parts, data, infos
