"""A rendered document's core properties (docProps/core.xml): title, author, subject, date.

``core_xml`` sets them in the template's own core.xml. Rendering a batch sets the same fields
in the same template again and again, so the XML is made once per template, set of fields and
date, with a slot for each value (``_skeleton``), and each report only fills the slots with
its escaped values. A value the slots do not model (``&``, ``<``, ``>``, carriage returns,
characters that cannot be encoded) is set the slow way, through lxml.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date, datetime

from lxml import etree  # type: ignore[import-untyped]

from docx_report.errors import TemplateError
from docx_report.sandbox import clean
from docx_report.template_parts import _PARSER

_CORE_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "dcmitype": "http://purl.org/dc/dcmitype/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
_CORE_FIELDS = {  # properties key -> elements it sets in docProps/core.xml
    "title": ("dc:title",),
    "author": ("dc:creator", "cp:lastModifiedBy"),
    "subject": ("dc:subject",),
    "keywords": ("cp:keywords",),
    "created": ("dcterms:created", "dcterms:modified"),
}
_SLOT = re.compile("\ue100(\\d+)\ue101".encode())
_UNMODELLED = re.compile("[&<>\r\ud800-\udfff\ue100\ue101]")


def _text(value: object) -> str:
    # One line: a line break typed in 机关名称 lays out the report, not its properties.
    return clean("".join(str(value).split("\n")))


def _build(template_core: bytes | None, properties: Mapping[str, str]) -> bytes:
    unknown = set(properties) - set(_CORE_FIELDS)
    if unknown:
        raise ValueError(f"unknown document properties: {sorted(unknown)}")
    if template_core is not None:
        root = etree.fromstring(template_core, _PARSER)
    else:
        root = etree.Element(f"{{{_CORE_NS['cp']}}}coreProperties", nsmap=_CORE_NS)
    for key, value in properties.items():
        text = _text(value)
        if key == "created" and not text:
            continue  # no date known: keep the template's
        if key == "created":
            try:
                moment = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
            except ValueError:
                raise TemplateError(f"文档属性 created 不是有效的日期：{value}") from None
            text = (moment if isinstance(moment, datetime) else datetime(
                moment.year, moment.month, moment.day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for qname in _CORE_FIELDS[key]:
            prefix, local = qname.split(":")
            tag = f"{{{_CORE_NS[prefix]}}}{local}"
            element = root.find(tag)
            if element is None:
                element = etree.SubElement(root, tag)
            element.text = text
            if prefix == "dcterms":
                element.set(f"{{{_CORE_NS['xsi']}}}type", "dcterms:W3CDTF")
    return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True, standalone=True))


@functools.lru_cache(maxsize=64)
def _skeleton(template_core: bytes | None, keys: tuple[str, ...],
              created: str | None) -> list[bytes] | None:
    """core.xml for these fields (in this order) and this date, split at each value's slot:
    literal, slot number, literal, …; None if the template's own text looks like a slot."""
    if template_core is not None and _SLOT.search(template_core):
        return None
    slots = {key: str(created) if key == "created" else f"\ue100{i}\ue101"
             for i, key in enumerate(keys)}
    return _SLOT.split(_build(template_core, slots))


def core_xml(template_core: bytes | None, properties: Mapping[str, str]) -> bytes:
    """The template's core.xml with ``properties`` set (keys of ``_CORE_FIELDS``)."""
    keys = tuple(properties)
    texts = [_text(properties[k]) for k in keys]
    if any(_UNMODELLED.search(t) for t in texts) or not set(keys) <= _CORE_FIELDS.keys():
        return _build(template_core, properties)
    created = str(properties["created"]) if "created" in properties else None
    pieces = _skeleton(template_core, keys, created)
    if pieces is None:
        return _build(template_core, properties)
    out = [pieces[0]]
    for slot, literal in zip(pieces[1::2], pieces[2::2], strict=True):
        out.append(texts[int(slot)].encode("utf-8"))
        out.append(literal)
    return b"".join(out)
