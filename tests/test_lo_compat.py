"""The copy of a report LibreOffice converts: w:overflowPunct flipped (LibreOffice reads it
inverted), everything else as it was."""

from __future__ import annotations

import zipfile
from pathlib import Path

from docx_report.lo_compat import copy_for_libreoffice
from docx_report.pack import load_pack


def test_overflow_punct_is_flipped_and_nothing_else_changes(tmp_path: Path) -> None:
    source = load_pack("gov-disclosure-2021").template_path
    target = tmp_path / "copy.docx"
    copy_for_libreoffice(source, target)
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(target) as b:
        assert a.namelist() == b.namelist()
        before, after = a.read("word/styles.xml"), b.read("word/styles.xml")
        assert b'<w:overflowPunct w:val="0"/>' in before
        assert b'<w:overflowPunct w:val="1"/>' in after
        assert b'<w:overflowPunct w:val="0"/>' not in after
        assert after.replace(b'w:overflowPunct w:val="1"', b'w:overflowPunct w:val="0"') == before
        for name in a.namelist():
            if name != "word/styles.xml":
                assert a.read(name) == b.read(name), name


def test_other_files_are_copied_unchanged(tmp_path: Path) -> None:
    plain = tmp_path / "plain.docx"
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/styles.xml", "<w:styles/>")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    for source in (plain, broken):
        target = tmp_path / f"out-{source.name}"
        copy_for_libreoffice(source, target)
        assert target.read_bytes() == source.read_bytes()
