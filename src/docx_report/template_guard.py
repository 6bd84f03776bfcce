"""What a Word template may carry into a report: nothing that reaches outside it.

Templates come from outside (agencies restyle them), and every part a template holds is copied
into each report, then opened by LibreOffice for the PDF. So before a template is used,
``check_package``, over every part (not only those the tool renders):

* parses every XML part as a stream with DTDs refused (entity attacks need one) — styles,
  endnotes, settings … included;
* refuses relationships that point outside the package (``TargetMode="External"``: a linked
  image ``http://…`` or ``file:///etc/passwd`` that LibreOffice would fetch or embed), except
  hyperlinks to web or mail addresses, which only become links; an attached template (which
  Word records as ``file:///C:/…/Normal.dotm`` in nearly every document) is dropped instead;
* refuses field codes that include other files (INCLUDEPICTURE, INCLUDETEXT, LINK, DDE…) and
  embedded foreign content (altChunk), which LibreOffice imports with its own links;
* refuses an .xlsx given as a template, with the reason.

``read_members`` reads the members counting the bytes they really inflate to.
``external_problem`` asks the same of a finished .docx before LibreOffice opens it.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any
from xml.parsers import expat

from docx_report.errors import TemplateError
from docx_report.xlsx_bytes import looks_like_xml
from docx_report.xlsx_guard import Refused, inflate_member

_WEB_LINK = re.compile(r"(?i)^(https?://|mailto:)")
_INCLUDES = re.compile(r"(?i)\b(INCLUDEPICTURE|INCLUDETEXT|INCLUDE|LINK|DDEAUTO|DDE|IMPORT)\b")
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_ATTACHED = "/attachedTemplate"
_KINDS = {"image": "图片", "hyperlink": "超链接", "oleObject": "嵌入对象", "package": "嵌入文件",
          "subDocument": "子文档", "frame": "框架", "aFChunk": "外部格式内容（altChunk）",
          "externalLinkPath": "外部数据链接", "font": "字体"}
_PARTS = {"word/document.xml": "正文", "word/styles.xml": "样式", "word/settings.xml": "设置",
          "word/endnotes.xml": "尾注", "word/footnotes.xml": "脚注",
          "word/numbering.xml": "编号", "word/fontTable.xml": "字体表"}


class _Unsafe(Exception):
    pass


def read_members(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], path: Path,
                 limit: int) -> dict[str, bytes]:
    """Every member's bytes, inflated as a stream: refused once ``limit`` bytes really came
    out (declared sizes are never trusted), or when a member is encrypted."""
    data: dict[str, bytes] = {}
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise TemplateError(f"{path}：模板中的内容被压缩软件加了密码，无法读取；"
                                "请用 Word 另存为 .docx（不设密码）")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise NotImplementedError
        chunks = []
        try:
            for chunk in inflate_member(zf, info, limit):
                total += len(chunk)
                if total > limit:
                    raise Refused("")
                chunks.append(chunk)
        except Refused:
            raise TemplateError(f"{path}：解压后超过 {limit // 2**20} MB，拒绝处理") from None
        except zlib.error:
            raise zipfile.BadZipFile from None
        data[info.filename] = b"".join(chunks)
    return data


def check_package(path: Path, data: dict[str, bytes], *, damaged_ok: bool = False) -> None:
    """Refuse (TemplateError naming file and part) what would reach outside the template;
    drop an attached template. ``data`` (part name -> bytes) is changed in place."""
    if "xl/workbook.xml" in data and "word/document.xml" not in data:
        raise TemplateError(f"{path}：这是 Excel 工作簿，不是 Word 模板；--template 应指定 "
                            "Word 模板（.docx），工作簿写在命令的前面")
    for name in list(data):
        content = data[name]
        if not looks_like_xml(content):
            continue
        # Element handlers only where they can find something (field codes are spelled in
        # ASCII in UTF-8; other encodings are always looked at): expat alone is fast.
        collect = name.endswith(".rels") or any(
            marker in content for marker in (b"instrText", b"fldSimple", b"attachedTemplate")
        ) or content.startswith((b"\xff\xfe", b"\xfe\xff"))
        try:
            elements = _parse(content, collect=collect)
        except _Unsafe:
            raise TemplateError(f"{path}：{_label(name)}含有 DOCTYPE 声明（DTD 或实体），"
                                "出于安全原因拒绝处理") from None
        except expat.ExpatError as exc:
            if damaged_ok:  # LibreOffice says so itself
                continue
            raise TemplateError(f"{path}：文件已损坏，{_label(name)}不是有效的 XML"
                                f"（第 {exc.lineno} 行）") from None
        if name.endswith(".rels"):
            _check_rels(path, name, elements, data)
        else:
            _check_fields(path, name, elements)


def external_problem(docx: Path) -> str:
    """Why LibreOffice must not open this .docx (it would reach outside it), or ''."""
    try:
        with zipfile.ZipFile(docx) as zf:
            infos = zf.infolist()
            data = read_members(zf, infos, docx, 512 * 2**20)
        check_package(docx, data, damaged_ok=True)
    except TemplateError as exc:
        return str(exc).removeprefix(f"{docx}：")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error,
            NotImplementedError):
        return ""  # not readable: the conversion says so itself
    return ""


def _parse(content: bytes, *, collect: bool = True) -> list[tuple[str, dict[str, str], str]]:
    """(local name, attributes by local name, text) of every element, DTDs refused.

    Only the elements this module looks at keep their attributes and text."""
    out: list[tuple[str, dict[str, str], str]] = []
    texts: list[list[str]] = []
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: Any) -> Any:
        raise _Unsafe

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if local in ("Relationship", "fldSimple", "instrText", "attachedTemplate"):
            out.append((local, {k.rpartition(" ")[2]: v for k, v in attrs.items()}, ""))
            texts.append([])

    def end(name: str) -> None:
        if name.rpartition(" ")[2] == "instrText" and texts:
            local, attrs, _ = out[-1]
            out[-1] = (local, attrs, "".join(texts[-1]))

    def text(data: str) -> None:
        if texts and out and out[-1][0] == "instrText":
            texts[-1].append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    if collect:
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
    for at in range(0, max(len(content), 1), 1 << 16):
        parser.Parse(content[at:at + (1 << 16)], False)
    parser.Parse(b"", True)
    return out


def _owner(rels: str) -> str:
    """word/_rels/document.xml.rels -> word/document.xml"""
    folder, base = posixpath.split(rels)
    return posixpath.join(posixpath.dirname(folder), base.removesuffix(".rels"))


def _label(name: str) -> str:
    if name in _PARTS:
        return f"{_PARTS[name]}（{name}）"
    for stem, label in (("header", "页眉"), ("footer", "页脚")):
        if posixpath.basename(name).startswith(stem):
            return f"{label}（{name}）"
    return f"部件 {name} "


def _check_rels(path: Path, name: str, elements: list[tuple[str, dict[str, str], str]],
                data: dict[str, bytes]) -> None:
    dropped: list[str] = []
    for local, attrs, _ in elements:
        if local != "Relationship":
            continue
        kind = attrs.get("Type", "").rsplit("/", 1)[-1]
        target = attrs.get("Target", "")
        external = attrs.get("TargetMode", "").lower() == "external"
        if external and "/" + kind == _ATTACHED:
            dropped.append(attrs.get("Id", ""))
            continue
        if kind == "aFChunk" or (external and not (
                kind == "hyperlink" and _WEB_LINK.match(target.strip()))):
            what = _KINDS.get(kind, f"内容（{kind}）")
            shown = target if len(target) <= 80 else target[:79] + "…"
            raise TemplateError(
                f"{path}：{_label(_owner(name))}含有指向模板以外的{what}（{shown}），生成报告或 "
                "PDF 时会访问网络或本机文件，出于安全原因拒绝；请在 Word 中删除它"
                "（图片请用“插入图片”嵌入，不要链接）后另存")
    if dropped:
        _drop_attached_template(name, dropped, data)
        if any(local == "Relationship" and attrs.get("Type", "").endswith(_ATTACHED)
               for local, attrs, _ in _parse(data[name])):
            raise TemplateError(f"{path}：{_label(_owner(name))}附加了模板以外的文件"
                                "（attachedTemplate），出于安全原因拒绝；请在 Word 中取消后另存")


def _drop_attached_template(rels: str, ids: list[str], data: dict[str, bytes]) -> None:
    """Remove the attached template (a path on the author's machine) from settings.xml."""
    data[rels] = re.sub(rb"<(?:\w+:)?Relationship\b[^>]*\bId=\"(?:%s)\"[^>]*/>"
                        % b"|".join(re.escape(i.encode()) for i in ids), b"", data[rels])
    owner = _owner(rels)
    if owner in data:
        data[owner] = re.sub(rb"<w:attachedTemplate\b[^>]*/>", b"", data[owner])


def _check_fields(path: Path, name: str,
                  elements: list[tuple[str, dict[str, str], str]]) -> None:
    codes = [attrs.get("instr", "") for local, attrs, _ in elements if local == "fldSimple"]
    codes.append("".join(text for local, _, text in elements if local == "instrText"))
    for code in codes:
        if found := _INCLUDES.search(code):
            raise TemplateError(
                f"{path}：{_label(name)}含有引用其他文件的域代码 {found.group(1).upper()}，"
                "生成 PDF 时会读取网络或本机文件，出于安全原因拒绝；请在 Word 中删除该域后另存")
