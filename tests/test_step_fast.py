"""The fast paths of the batch worker's step after reading give what the slow paths give.

Each short cut is compared with the path it skips: printable values are not cleaned again
(``sandbox.emit``), printed values are taken for plain text without a regex
(``xml_pieces._plain_text``), ``a.b.c`` is one call (``sandbox.getattrs``), pieces are looked
up by their text and then by identity (``xml_pieces.Pieces``), a part given again is not
compressed again (``zip_append``), the report's name is made once (``Checked.output_name``)
and the narrative's phrase pieces are looked for only where their first character is
(``narrative.Reader.present``).
"""

from __future__ import annotations

import io
import random
import re
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from docx_report import engine, narrative, sandbox, xml_pieces, zip_append
from docx_report.pack import load_pack
from docx_report.sandbox import ENV
from docx_report.xml_pieces import Pieces, summary
from tests import narrative_corpus
from tests.helpers import EXAMPLE_2021

EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))


def test_no_character_clean_drops_is_printable() -> None:
    """emit skips clean for a printable value: then clean would have changed nothing."""
    dropped = set(EVERY_CHARACTER) - set(sandbox.clean(EVERY_CHARACTER))
    assert dropped  # (controls, private use, non-characters)
    assert [c for c in dropped if c.isprintable()] == []
    for value in ("甲乙 1,268", "a\x01b", "\ue002x", "\ufffe", "丙\u3000丁", "&<>\"'"):
        assert ENV.emit(value) == str(sandbox.escape(sandbox.clean(value)))


def test_printed_values_taken_for_plain_text_are_plain_text() -> None:
    """_plain_text trusts a printable text without <, > or &: _NOT_TEXT finds nothing else."""
    found = set(xml_pieces._NOT_TEXT.findall(EVERY_CHARACTER))
    assert [c for c in found if c.isprintable() and c not in "<>&"] == []
    rng = random.Random(5)
    alphabet = ["甲", " ", "a", "&", "&amp;", "&#34;", "&am", "<", ">", "\x01", "\ue001", "\ud800",
                "\u3000", "\ufffe", "p;", "\u200b"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        assert xml_pieces._plain_text(text) is (xml_pieces._NOT_TEXT.search(text) is None), text


def test_a_value_equal_to_a_constant_is_still_a_value() -> None:
    """Pieces are looked up by their text: a printed value that equals a constant (another
    object) must not be taken for it."""
    constants = ["<root>", "</root>", "<a/>"]
    pieces_of = Pieces((c, summary(c)) for c in constants)
    assert pieces_of.join(["<root>", constants[2], "</root>"]) == b"<root><a/></root>"
    value = "".join(["<a", "/>"])  # equal, not the same object
    assert value == constants[2] and value is not constants[2]
    assert pieces_of.join(["<root>", value, "</root>"]) is None  # "<" in a value: parsed


CHAINS = ["{{ d.sub.name }}|{{ d.sub.n }}", "{{ d.sub.keys()|list }}", "{{ d.sub.items }}",
          "{{ d.name.upper() }}", "{{ d.missing.x }}", "{{ d.sub.missing }}", "{{ a.sub.name }}",
          "{{ a.extra.upper() }}", "{{ d.sub.__class__ }}", "{{ d.sub._hidden }}",
          "{% for r in d.rows %}{{ r.cell.v }}{% endfor %}", "{{ d['sub'].name }}"]


class _Attrs(dict[str, Any]):
    extra = "an attribute"


def _render(env: Any, source: str) -> str:
    data = {"d": {"name": "甲<", "sub": {"name": "乙&", "n": "1", "items": "key",
                                         "_hidden": "h"},
                  "rows": [{"cell": {"v": "3"}}, {"cell": {"v": "<4>"}}]},
            "a": _Attrs(sub={"name": "丙"}, extra="item")}
    try:
        text = str(env.from_string(source).render(data))
    except Exception as exc:  # the same error both ways
        text = f"{type(exc).__name__}: {exc}"
    return re.sub("0x[0-9a-f]+", "0x…", text)  # (a method printed: its object's address)


@pytest.mark.parametrize("source", CHAINS)
def test_attribute_chains_in_one_call_are_getattr_after_getattr(source: str) -> None:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    reference = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True,
                                     finalize=sandbox._Sandbox._finalize)
    assert _render(ENV, source) == _render(reference, source)


def test_attribute_chains_are_compiled_to_one_call() -> None:
    code = ENV.compile("{{ d.sub.name }}{{ d.name }}{{ d.sub['x'].y }}", raw=True)
    assert "environment.getattrs(" in code and "('sub', 'name')" in code
    assert "environment.getattr(" in code  # one attribute, or after an item: as before


def _zipfile_appended(static: bytes, parts: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO(static)
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            z.writestr(zipfile.ZipInfo(info.filename, info.date_time), data,
                       zipfile.ZIP_DEFLATED, compresslevel=1)
    return buf.getvalue()


def test_a_part_given_again_is_not_compressed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
    static = buf.getvalue()
    compressed: list[bytes] = []
    real = zlib.compressobj

    class Counting:
        def __init__(self, *args: Any) -> None:
            self._c = real(*args)

        def compress(self, data: bytes) -> bytes:
            compressed.append(data)
            return self._c.compress(data)

        def flush(self) -> bytes:
            return self._c.flush()

    footer = "<w:ftr>页脚</w:ftr>".encode() * 20
    copy = footer[:10] + footer[10:]  # the same bytes, another object
    renderings = [[(zipfile.ZipInfo("word/document.xml"), body),
                   (zipfile.ZipInfo("word/footer1.xml"), foot)]
                  for body, foot in [(b"<a/>", footer), (b"<b/>", footer), (b"<c/>", copy),
                                     (b"<d/>", b"<other/>")]]
    expected = [_zipfile_appended(static, parts) for parts in renderings]
    monkeypatch.setattr(zip_append.zlib, "compressobj", Counting)
    appender = zip_append.StaticZip(static)
    for parts, zipped in zip(renderings, expected, strict=True):
        assert appender.with_parts(parts, level=1) == zipped
    # the footer once, the same bytes in another object again, then other bytes
    assert compressed == [b"<a/>", footer, b"<b/>", b"<c/>", footer, b"<d/>", b"<other/>"]


def test_the_report_name_follows_the_facts(tmp_path: Path) -> None:
    checked = engine.default().check(EXAMPLE_2021)
    first = checked.output_name()
    assert checked.output_name() == first == checked.properties()["title"]
    checked.data.facts["agency"] = "东湖区教育局"
    assert checked.output_name() != first and "东湖区教育局" in checked.output_name()
    assert checked.properties()["title"] == checked.output_name()


def test_phrase_pieces_found_by_their_first_character_are_every_piece_present() -> None:
    reader = narrative.Reader.of(load_pack("gov-disclosure-2021"))
    texts = [entry[1] for entry in [*narrative_corpus.CONSISTENT, *narrative_corpus.INCONSISTENT]]
    rng = random.Random(7)
    letters = "".join(sorted({c for w in reader.pieces for c in w})) + "件，。0123"
    texts += ["".join(rng.choice(letters) for _ in range(rng.randint(0, 30)))
              for _ in range(3000)]
    for text in texts:
        assert reader.present(text) == {w for w in reader.pieces if w in text}, text
    assert any(reader.present(t) for t in texts)


def test_number_patterns_kept_by_a_reader_are_the_units() -> None:
    from docx_report import narrative_parse

    reader = narrative.Reader.of(load_pack("gov-disclosure-2021"))
    for _, text, *_ in [*narrative_corpus.CONSISTENT, *narrative_corpus.INCONSISTENT]:
        for clause in re.split("[，。；]", text):
            assert narrative_parse.numbers_with(clause, reader.number_patterns) == \
                narrative_parse.numbers(clause, reader.units)


def _clean_as_before(reader: narrative.Reader, figure: Any, tokens: Any, lo: int, hi: int,
                     clause: str, enumerations: bool) -> bool:
    """``Reader._clean`` as it was written before its short cuts."""
    if lo > hi or any(lo < t.end and t.start < hi for t in tokens):
        return False
    if "" in reader.part_at:
        return False
    gap = clause[lo:hi]
    starts = set(gap)
    if any(w in gap for c in starts if c in reader.part_at for w in reader.part_at[c]):
        return False
    if enumerations and re.search("[、和及与或]", gap):
        return True
    for c in (*starts, ""):
        for other, first, regex in reader.phrase_at.get(c, ()):
            if first in gap and other is not figure and regex.search(gap):
                return False
    return True


@pytest.mark.parametrize("pack_ref", ["gov-disclosure-2019", "gov-disclosure-2021"])
def test_gaps_are_judged_as_before(pack_ref: str) -> None:
    from docx_report import narrative_parse

    reader = narrative.Reader.of(load_pack(pack_ref))
    rng = random.Random(11)
    clauses = [c for _, text, *_ in [*narrative_corpus.CONSISTENT, *narrative_corpus.INCONSISTENT]
               for c in re.split("[，。；]", text) if c]
    checked = 0
    for clause in clauses:
        tokens = narrative_parse.numbers(clause, reader.units)
        for _ in range(30):
            lo, hi = rng.randint(0, len(clause)), rng.randint(0, len(clause))
            if rng.random() < 0.3:
                hi = lo  # an empty gap
            figure = rng.choice(reader.figures)
            enumerations = rng.random() < 0.5
            assert reader._clean(figure, tokens, lo, hi, clause, enumerations=enumerations) \
                is _clean_as_before(reader, figure, tokens, lo, hi, clause, enumerations), \
                (clause, lo, hi)
            checked += 1
    assert checked > 1000
