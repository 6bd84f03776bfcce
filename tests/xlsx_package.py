"""Workbook packages written member by member, for tests that need what no writer produces
(odd XML, odd values, odd parts): ``Package(...).write(path)`` makes a real .xlsx."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

#: cellXfs of the default styles, by index: the number format each applies.
XF = {"general": 0, "d14": 1, "d22": 2, "t45": 3, "t46": 4, "ymd": 5, "cn": 6, "hms": 7,
      "fixed": 8, "text": 9, "t21": 10, "t47": 11}
_FORMATS = [0, 14, 22, 45, 46, 164, 165, 166, 167, 49, 21, 47]
_CUSTOM = {164: "yyyy-mm-dd", 165: 'yyyy"年"m"月"d"日"', 166: "[h]:mm:ss", 167: "0.00"}
_DURATIONS = (46, 166)


def styles_xml(formats: Iterable[int] | None = None, custom: Mapping[int, str] | None = None,
               *, durations: bool = False) -> str:
    """styles.xml with a cellXfs entry per number format (by default those ``XF`` names; the
    durations, built-in 46 and [h]:mm:ss, as General unless asked for: a reader may decline
    a workbook that has them)."""
    if formats is None:
        formats = [n if durations or n not in _DURATIONS else 0 for n in _FORMATS]
    if custom is None:
        custom = {k: v for k, v in _CUSTOM.items() if durations or k not in _DURATIONS}
    fmts = "".join(f"<numFmt numFmtId={quoteattr(str(k))} formatCode={quoteattr(v)}/>"
                   for k, v in custom.items())
    apply = ' applyNumberFormat="1"'
    formats = list(formats)
    xfs = "".join(f'<xf numFmtId="{n}" fontId="0" fillId="0" borderId="0" xfId="0"'
                  f'{apply if n else ""}/>' for n in formats)
    return (f'<styleSheet xmlns="{MAIN}"><numFmts count="{len(custom)}">{fmts}</numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            f'</cellStyleXfs><cellXfs count="{len(formats)}">{xfs}</cellXfs>'
            "</styleSheet>")


@dataclass
class Sheet:
    name: str
    data: str = ""  # what <sheetData> holds
    after: str = ""  # after </sheetData> (mergeCells, hyperlinks …)
    before: str = ""  # before <sheetData> (dimension, cols …)
    state: str = ""  # hidden, veryHidden
    rels: str = ""  # the worksheet's relationships (Relationship elements)
    root: str = ""  # the whole part, when given (a prefix, another namespace …)


@dataclass
class Package:
    sheets: list[Sheet]
    strings: list[str] | None = None  # <si> contents, raw XML
    styles: str | None = field(default_factory=lambda: styles_xml())
    date1904: bool = False
    strings_member: str = "xl/sharedStrings.xml"
    extra: dict[str, bytes] = field(default_factory=dict)
    workbook_extra: str = ""  # after </sheets> (definedNames …)

    def members(self) -> dict[str, bytes]:
        types = ['<Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                 'package.relationships+xml"/><Default Extension="xml" '
                 'ContentType="application/xml"/>',
                 f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>']
        rels = [f'<Relationship Id="rIdS{i}" Type="{REL}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(self.sheets) + 1)]
        out: dict[str, bytes] = {}
        entries = []
        for i, sheet in enumerate(self.sheets, 1):
            state = f' state="{sheet.state}"' if sheet.state else ""
            entries.append(f"<sheet name={quoteattr(sheet.name)} sheetId=\"{i}\"{state} "
                           f'r:id="rIdS{i}"/>')
            types.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                         f'ContentType="{CT}.worksheet+xml"/>')
            out[f"xl/worksheets/sheet{i}.xml"] = (sheet.root or (
                f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">{sheet.before}'
                f"<sheetData>{sheet.data}</sheetData>{sheet.after}</worksheet>")).encode()
            if sheet.rels:
                out[f"xl/worksheets/_rels/sheet{i}.xml.rels"] = (
                    f'<Relationships xmlns="{PKG}">{sheet.rels}</Relationships>').encode()
        if self.styles is not None:
            rels.append(f'<Relationship Id="rIdY" Type="{REL}/styles" Target="styles.xml"/>')
            types.append(f'<Override PartName="/xl/styles.xml" ContentType="{CT}.styles+xml"/>')
            out["xl/styles.xml"] = self.styles.encode()
        if self.strings is not None:
            target = self.strings_member.removeprefix("xl/")
            rels.append(f'<Relationship Id="rIdT" Type="{REL}/sharedStrings" Target="{target}"/>')
            types.append(f'<Override PartName="/{self.strings_member}" '
                         f'ContentType="{CT}.sharedStrings+xml"/>')
            n = len(self.strings)
            out[self.strings_member] = (
                f'<sst xmlns="{MAIN}" count="{n}" uniqueCount="{n}">'
                + "".join(f"<si>{s}</si>" for s in self.strings) + "</sst>").encode()
        pr = '<workbookPr date1904="1"/>' if self.date1904 else "<workbookPr/>"
        out["xl/workbook.xml"] = (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{pr}<sheets>'
                                  + "".join(entries) + f"</sheets>{self.workbook_extra}"
                                  "</workbook>").encode()
        out["xl/_rels/workbook.xml.rels"] = (f'<Relationships xmlns="{PKG}">' + "".join(rels)
                                             + "</Relationships>").encode()
        out["_rels/.rels"] = (f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                              f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
                              "</Relationships>").encode()
        out["[Content_Types].xml"] = (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            + "".join(types) + "</Types>").encode()
        out.update(self.extra)
        return out

    def write(self, path: Path) -> Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in self.members().items():
                zf.writestr(name, data)
        return path


def c(ref: str, v: str | None = None, t: str = "", s: str = "", inner: str = "") -> str:
    """A cell: ``v`` is the text of its <v> (None: no <v>), ``inner`` any other content."""
    attrs = (f' r="{ref}"' if ref else "") + (f' t="{t}"' if t else "") + (
        f' s="{XF.get(s, s)}"' if s != "" else "")
    value = "" if v is None else f"<v>{v}</v>"
    return f"<c{attrs}>{value}{inner}</c>"


def row(n: int | None, *cells: str) -> str:
    return (f'<row r="{n}">' if n is not None else "<row>") + "".join(cells) + "</row>"


def rows(*cells: str) -> str:
    """Cells one a row, the row taken from each reference."""
    out = []
    for cell in cells:
        n = int(re.search(r'r="[A-Z]+(\d+)"', cell).group(1))  # type: ignore[union-attr]
        out.append(row(n, cell))
    return "".join(out)


def one(data: str, **kw: Any) -> Package:
    """A package of one sheet named 数据 holding ``data``."""
    after = kw.pop("after", "")
    return Package([Sheet("数据", data, after=after)], **kw)


def strings_case(*si: str, extra: str = "") -> Package:
    """Each shared string in column A of its own row (a text under it in B, to compare)."""
    cells = "".join(row(i, c(f"A{i}", str(i - 1), "s")) for i in range(1, len(si) + 1))
    return one(cells + extra, strings=list(si))


def inline(text_xml: str) -> str:
    return f"<is>{text_xml}</is>"


def two_string_parts(content_type: str | None = "xl/sharedStrings.xml",
                      relationship: str = "sharedStrings.xml") -> Package:
    """Two shared-string parts, xl/sharedStrings.xml and xl/other.xml, with other strings;
    [Content_Types].xml names one (or none), the workbook's relationships one."""
    package = one(rows(c("A1", "0", "s"), c("B2", "1", "s")), strings=["<t>甲</t>", "<t>乙</t>"])
    members = package.members()
    members["xl/other.xml"] = members["xl/sharedStrings.xml"].replace(
        "甲".encode(), "丙".encode()).replace("乙".encode(), "丁".encode())
    types = members["[Content_Types].xml"].decode()
    override = re.search(r'<Override PartName="/xl/sharedStrings.xml"[^>]*/>', types)
    assert override
    types = types.replace(override.group(0), "" if content_type is None else
                          override.group(0).replace("xl/sharedStrings.xml", content_type))
    members["[Content_Types].xml"] = types.encode()
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b'Target="sharedStrings.xml"', f'Target="{relationship}"'.encode())
    return Raw(members)


def strict(package: Package) -> Package:
    """The package in Strict Open XML's namespaces (as Excel saves "Strict Open XML")."""
    members = {name: data.replace(MAIN.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main")
               .replace(REL.encode(), b"http://purl.oclc.org/ooxml/officeDocument/relationships")
               for name, data in package.members().items()}
    return Raw(members)


def broken(package: Package, member: str, change: Callable[[bytes], bytes] | None) -> Package:
    """The package with one member changed (a function of its bytes) or, for None, dropped."""
    members = package.members()
    if change is None:
        del members[member]
    else:
        members[member] = change(members[member])
    return Raw(members)


class Raw(Package):
    """A package given as its members, as they are."""

    def __init__(self, members: dict[str, bytes]) -> None:
        super().__init__([])
        self._members = members

    def members(self) -> dict[str, bytes]:
        return self._members



CHUNK = 64 * 1024  # the guard inflates and parses a part in chunks of this many bytes


def across_chunks(pieces: Callable[[int], str], before: int) -> tuple[str, int]:
    """``pieces(1)``, ``pieces(2)`` … one after the other, after ``before`` bytes, apart by
    spaces so that each straddles the next boundary of ``CHUNK`` bytes at another byte (the
    k-th piece is cut after its first k-1 bytes), until the cut has passed every byte of a
    piece. The XML and the count of pieces."""
    out, size, n = [], before, 0
    while True:
        piece = pieces(n + 1)
        length = len(piece.encode())
        if n >= length:
            return "".join(out), n
        start = (n + 1) * CHUNK - n  # the boundary falls after the piece's n-th byte
        assert start >= size
        out.append(" " * (start - size) + piece)
        size = start + length
        n += 1


def chunked_sheet(cells: Callable[[int], str], **kw: Any) -> Package:
    """One sheet whose rows straddle the boundaries of the chunks the guard parses, the cells
    of row r given by ``cells(r)`` (see ``across_chunks``)."""
    head = f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData>'
    data, _ = across_chunks(lambda r: f'<row r="{r}">{cells(r)}</row>', len(head.encode()))
    return Package([Sheet("数据", root=f"{head}{data}</sheetData></worksheet>")], **kw)


def chunked_strings(si: Callable[[int], str]) -> Package:
    """Shared strings that straddle the boundaries of the chunks the guard parses (the k-th
    ``<si>`` holds ``si(k)``), each in column A of its row of one sheet."""
    count = 0
    while True:
        head = f'<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'
        data, n = across_chunks(lambda k: f"<si>{si(k)}</si>", len(head.encode()))
        if n == count:
            break
        count = n
    cells = "".join(row(k, c(f"A{k}", str(k - 1), "s")) for k in range(1, count + 1))
    return Package([Sheet("数据", cells)], strings=[],
                   extra={"xl/sharedStrings.xml": f"{head}{data}</sst>".encode()})


def escape_cut(j: int, *, shared: bool) -> Package:
    """One Excel escape (_x000D_), in a sheet's inline string or in the shared strings, that a
    boundary of the guard's chunks cuts after its first j bytes; no other escape."""
    escape = "_x000D_"
    if shared:
        head = f'<sst xmlns="{MAIN}" count="1" uniqueCount="1">'
        piece, tail = f"<si><t>前{escape}后</t></si>", "</sst>"
    else:
        head = f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData>'
        piece = f'<row r="1"><c r="A1" t="inlineStr"><is><t>前{escape}后</t></is></c></row>'
        tail = "</sheetData></worksheet>"
    at = piece.encode().index(escape.encode()) + j
    xml = head + " " * (CHUNK - at - len(head.encode())) + piece + tail
    assert xml.encode()[CHUNK - j:CHUNK - j + len(escape)] == escape.encode()
    if shared:
        return Package([Sheet("数据", row(1, c("A1", "0", "s")))], strings=[],
                       extra={"xl/sharedStrings.xml": xml.encode()})
    return Package([Sheet("数据", root=xml)])
