"""The fast paths of rendering give what the slow paths give, and refuse what they refuse.

A part is checked well-formed from its pieces from its second rendering on (``xml_pieces``),
values are printed by one call (``sandbox.emit``), ``a.b`` on a dict skips Jinja's attribute
attempt, core properties are filled into slots (``core_props``) and the zip is appended to
by hand (``zip_append``). Each is compared here with the path it replaces, on real templates
and on generated input, and the XML it lets through is parsed by expat.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path
from typing import Any
from xml.parsers import expat

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from docx_report import core_props, zip_append
from docx_report.errors import TemplateError
from docx_report.render import CompiledTemplate
from docx_report.sandbox import ENV, _Sandbox
from docx_report.xml_pieces import Pieces, summarise, summary
from tests.test_render import make_template, part

CONTEXT: dict[str, Any] = {
    "agency": "临江市<市场>&监督\"管理'局]]",
    "rows": [{"name": "甲", "n": "1"}, {"name": "乙&丙", "n": "2"}],
    "lines": "第一行\n第二行",
    "empty": "",
    "raw": "</w:t></w:r><w:r><w:t>",
    "broken": "<w:t>",
}

TEMPLATES: dict[str, list[str] | dict[str, Any]] = {
    "plain": ["{{ agency }}", "年度 {{ rows[0].n }}"],
    "loop": ["{%p for r in rows %}", "{{ r.name }}：{{ r.n }}", "{%p endfor %}"],
    "condition": ["{%p if empty %}", "空", "{%p else %}", "{{ agency }}", "{%p endif %}"],
    "trimmed": ["{%- if agency -%}", "{{ agency }}", "{%- endif -%}"],
    "line breaks": ["{{ lines }}"],
    "filter block": ["{% filter upper %}a{{ rows[1].name }}{% endfilter %}"],
    "macro": ["{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(agency) }}"],
    "set block": ["{% set s %}{{ agency }}!{% endset %}{{ s }}"],
    "safe well-formed": ["a{{ raw|safe }}b"],
    "safe broken": ["a{{ broken|safe }}b"],
    "autoescape off": ["{% autoescape false %}{{ agency }}{% endautoescape %}"],
    "autoescape off harmless": ["{% autoescape false %}{{ rows[0].n }}{% endautoescape %}"],
    "crossing paragraphs": ["{% if agency %}甲", "乙{% endif %}"],
    "crossing when false": ["{% if empty %}甲", "乙{% endif %}"],  # still balanced
    "crossing into a table": {"paragraphs": ["{% if empty %}甲"], "table": [["乙{% endif %}"]]},
    "markers in a value": ["{{ '\ue002\n' ~ agency ~ '\ue002' }}"],
    "table": {"paragraphs": ["表"], "table": [["{{ rows[0].name }}", "{{ rows[1].n }}"],
                                               ["{%tr for r in rows %}", ""],
                                               ["{{ r.name }}", "{{ r.n }}"],
                                               ["{%tr endfor %}", ""]]},
}


def _outcome(template: CompiledTemplate, context: dict[str, Any]) -> bytes | str:
    try:
        return template.render(context, properties={"title": "t"})
    except TemplateError as exc:
        return str(exc)


def _parsed(path: Path) -> CompiledTemplate:
    """The template with nothing summarised: every rendering parsed, as before xml_pieces."""
    template = CompiledTemplate.load(path)
    for compiled in template._parts:
        compiled.pieces = Pieces(())
    return template


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_renderings_are_the_parsed_ones(tmp_path: Path, name: str) -> None:
    spec = TEMPLATES[name]
    if isinstance(spec, dict):
        path = make_template(tmp_path / "t.docx", spec["paragraphs"], table=spec["table"],
                             footer="{{ agency }} 第 {{ rows[0].n }} 页")
    else:
        path = make_template(tmp_path / "t.docx", spec, footer="{{ agency }}")
    template, parsed = CompiledTemplate.load(path), _parsed(path)
    other = {**CONTEXT, "agency": "东湖区教育局", "empty": "x"}
    first, first_other = _outcome(parsed, CONTEXT), _outcome(parsed, other)
    for _ in range(3):  # and the last rendering's states, footers, core.xml reused
        assert _outcome(template, CONTEXT) == first
        assert _outcome(template, other) == first_other
    if isinstance(first, bytes):  # what was written is well-formed, footer included
        expat.ParserCreate().Parse(part(first), True)
        assert "临江市" in part(first, "word/footer1.xml").decode()
        assert "东湖区教育局" in part(first_other, "word/footer1.xml").decode()


@pytest.mark.parametrize(("name", "checked"), [
    ("plain", True), ("loop", True), ("condition", True), ("safe well-formed", False),
    ("line breaks", False), ("crossing paragraphs", True), ("crossing when false", True),
    ("autoescape off", False),
    ("autoescape off harmless", True), ("markers in a value", True)])
def test_which_renderings_are_checked_from_their_pieces(
        tmp_path: Path, name: str, checked: bool) -> None:
    template = CompiledTemplate.load(make_template(tmp_path / "t.docx", TEMPLATES[name]))
    body = template._parts[0]
    for _ in range(2):
        assert template._render(body, CONTEXT)[1] is checked
    parsed = _parsed(template.path)
    assert parsed._render(parsed._parts[0], CONTEXT)[1] is False


@pytest.mark.parametrize("empty", ["", "x"])
def test_errors_are_the_same_from_the_pieces(tmp_path: Path, empty: str) -> None:
    spec = TEMPLATES["crossing into a table"]
    assert isinstance(spec, dict)
    template = CompiledTemplate.load(make_template(
        tmp_path / "t.docx", spec["paragraphs"], table=spec["table"]))
    for _ in range(3):
        if empty:  # everything kept: balanced
            template.render({**CONTEXT, "empty": empty})
        else:
            with pytest.raises(TemplateError, match="渲染后不是有效的 Word XML"):
                template.render({**CONTEXT, "empty": empty})


# --- xml_pieces on generated pieces: whatever it accepts, expat accepts -----------------------

FRAGMENTS = [
    "<a>", "</a>", "<b x=\"1\">", "</b>", "<c/>", "<w:t xml:space='preserve'>", "</w:t>",
    "text", " ", "\n", "&amp;", "&#20013;", "&#0;", "&bogus;", "&", "<", ">", "]]", "]]>",
    "<!-- c -->", "<?pi x?>", "<![CDATA[x]]>", "<d y=\"1\" y=\"2\">", "</d>", "<e\n z = '>'>",
    "</e >", "<:f>", "</:f>", "<1g>", "\ue002\n", "\ue002", "<a>x</a>", "</a><a>", "\x01",
    "<b x=\"&lt;\">", "<b x=\"<\">", "<h\u4e2d>", "\ufffe", "</b></a>",
]
VALUES = ["v", "", " ", "甲&amp;乙", "&lt;", "&#34;", "&", "<", ">", "]]", "\ue002", "&#0;",
          "x\ny", "\x0b", "&amp", "\ud800x"]


def _old_join(pieces: list[str]) -> str:
    return "".join(pieces).replace("\ue002\n", "").replace("\ue002", "")


def _parses(text: str) -> bool:
    try:
        expat.ParserCreate().Parse(text.encode("utf-8", "surrogatepass"), True)
    except expat.ExpatError:
        return False
    return True


def test_pieces_accept_only_what_expat_accepts() -> None:
    rng = random.Random(14)
    constants = ["<root>", "</root>", *FRAGMENTS]
    pieces_of = Pieces((c, summary(c)) for c in constants)
    accepted = 0
    for _ in range(20000):
        middle = [rng.choice(constants) if rng.random() < 0.7 else
                  "".join([rng.choice(VALUES)])  # a new object, not a constant
                  for _ in range(rng.randint(0, 8))]
        pieces = ["<root>", *middle, "</root>"] if rng.random() < 0.9 else middle
        joined = pieces_of.join(pieces)
        if joined is not None:
            accepted += 1
            assert joined == _old_join(pieces).encode(), pieces
            assert _parses(joined.decode()), pieces
    assert accepted > 500  # the generator reaches the fast path often


@pytest.mark.parametrize(("piece", "modelled"), [
    ("<w:p><w:r><w:t>甲</w:t></w:r></w:p>", True), ("</w:t></w:r><w:r><w:t>", True),
    ("\ue002\n<w:p>", True), ("<!-- x -->", False), ("a > b", False), ("<a b='1' b='2'>", False),
    ('<a b=" b=" c="1">', True), ("&#12ab;", False), ("&#" + "9" * 5000 + ";", False),
    ("&#x110000;", False), ("&#x10FFFF;&#65;", True), ("&#xD800;", False),
    ("<a b='1'\n\tc = \"&amp;\" />", True),
    ("&#1;", False), ("<a></b>", False), ("<a", False), ("&nbsp;", False)])
def test_what_a_summary_models(piece: str, modelled: bool) -> None:
    assert (summarise(piece) is not None) is modelled


# --- sandbox: emit and getattr give what Jinja's own code gives -------------------------------


class _Reference(SandboxedEnvironment):
    """Jinja's sandbox with our finalize and Jinja's own code for printing and attributes."""

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=True,
                         finalize=_Sandbox._finalize)


class _Attrs(dict[str, Any]):
    extra = "an attribute"


VALUES_PRINTED: list[Any] = [
    "甲&<>\"'", Markup("<b>ok</b>"), 3, 2.5, None, True, ["a", "<"], "\x01\ue002x",
    {"k": "<v>"}, Markup("\x02y"), escape("<e>")]
SOURCES = [
    "{{ v }}", "{{ v ~ '!' }}", "{% filter upper %}[{{ v }}]{% endfilter %}",
    "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(v) }}", "{% set s %}{{ v }}{% endset %}{{ s }}",
    "{% for x in [v, v] %}{{ x }}{% endfor %}",
    "{% autoescape false %}{{ v }}{% endautoescape %}",
    "{% autoescape f %}{{ v }}{% endautoescape %}{% autoescape not f %}{{ v }}{% endautoescape %}",
    "{{ d.name }} {{ d.n }} {{ d.get('name') }} {{ d.keys()|list }} {{ d.items is defined }}",
    "{{ d.missing is defined }} {{ a.extra }} {{ a.name }} {{ a.values()|list }}",
]


def _run(env: SandboxedEnvironment, source: str, value: Any) -> str:
    data = {"v": value, "f": False, "d": {"name": "甲<", "n": "1", "items": "key"},
            "a": _Attrs(name="乙", extra="item")}
    try:
        return env.from_string(source).render(data)
    except Exception as exc:  # the same error both ways
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("source", SOURCES)
def test_printing_and_attributes_are_jinjas(source: str) -> None:
    reference = _Reference()
    for value in VALUES_PRINTED:
        assert _run(ENV, source, value) == _run(reference, source, value), value


def test_unsafe_attributes_of_a_dict_are_still_refused() -> None:
    assert ENV.is_safe_attribute({}, "__class__", dict) is False
    assert ENV.getattr({"__class__": "x"}, "__class__") is not dict
    assert list(ENV.getattr({"keys": "item"}, "keys")()) == ["keys"]  # the method, as Jinja has it
    assert ENV.getattr({"x": "item"}, "x") == "item"


# --- core properties: slots filled give what lxml writes --------------------------------------


@pytest.mark.parametrize("properties", [
    {"title": "临江市报告", "author": "临江市", "subject": "主题", "keywords": "a,b",
     "created": "2025-01-20"},
    {"author": "甲\n乙", "title": "t", "created": "2024-03-04T05:06:07"},
    {"title": "a & b <c> d\r", "author": "x"},
    {"title": "a <b"}, {"author": "x > y"}, {"subject": "\r"}, {"keywords": "&amp;"},
    {"created": "", "title": "无日期"},
    {"title": "\ue100 0\ue101", "keywords": "\x01控制"},
    {"keywords": "k", "title": "order", "author": "reversed"},
])
def test_core_properties_from_slots_are_lxmls(tmp_path: Path,
                                              properties: dict[str, str]) -> None:
    path = make_template(tmp_path / "t.docx", ["x"])
    with zipfile.ZipFile(path) as z:
        template_core = z.read("docProps/core.xml")
    for core in (template_core, None):
        for _ in range(2):  # made, then from the cache
            assert core_props.core_xml(core, properties) == core_props._build(core, properties)
        other = {k: v + "2" if k != "created" else v for k, v in properties.items()}
        assert core_props.core_xml(core, other) == core_props._build(core, other)


def test_core_properties_errors() -> None:
    with pytest.raises(TemplateError, match="created"):
        core_props.core_xml(None, {"created": "not a date"})
    with pytest.raises(ValueError, match="unknown"):
        core_props.core_xml(None, {"colour": "red"})


# --- zip_append: the bytes zipfile writes when it appends -------------------------------------


def _static(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("large", [False, True], ids=["by-hand", "zipfile"])
def test_appended_zip_is_zipfiles(monkeypatch: pytest.MonkeyPatch, large: bool) -> None:
    if large:
        monkeypatch.setattr(zip_append, "_LARGE", 0)
    static = _static({"[Content_Types].xml": b"<Types/>", "word/styles.xml": b"<s/>" * 100})
    template_info = zipfile.ZipInfo("word/document.xml", (2024, 5, 6, 7, 8, 10))
    template_info.external_attr = 0
    parts = [(template_info, "<w:document>正文</w:document>".encode() * 50),
             (zipfile.ZipInfo("docProps/core.xml", (1980, 1, 1, 0, 0, 0)), b"<core/>"),
             (zipfile.ZipInfo("word/页眉.xml", (2020, 1, 1, 0, 0, 0)), b"<hdr/>")]
    mine = zip_append.StaticZip(static).with_parts(parts, level=1)
    assert template_info.external_attr == 0  # the template's ZipInfo is left as it was
    buf = io.BytesIO(static)
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.external_attr = info.external_attr
            z.writestr(copy, data, zipfile.ZIP_DEFLATED, compresslevel=1)
    assert mine == buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(mine)) as z:
        assert z.testzip() is None
        assert z.read("word/页眉.xml") == b"<hdr/>"


def test_a_zip_not_written_by_zipfile_is_refused() -> None:
    with pytest.raises(ValueError, match="zip"):
        zip_append.StaticZip(_static({"a": b"b"}) + b"trailing")


def test_summaries_are_kept_in_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import marshal

    monkeypatch.setenv("DOCX_REPORT_CACHE", str(tmp_path / "cache"))
    path = make_template(tmp_path / "t.docx", TEMPLATES["loop"], footer="{{ agency }}")
    first = CompiledTemplate.load(path)
    cached = CompiledTemplate.load(path)
    assert all(p.tree is None for p in cached._parts)  # from the cache, summaries with it
    assert cached._render(cached._parts[0], CONTEXT) == first._render(first._parts[0], CONTEXT)
    assert cached._render(cached._parts[0], CONTEXT)[1] is True
    assert cached.render(CONTEXT) == first.render(CONTEXT)
    for damage in (["not a summary"], [], [("text", ["a"], ["b"], "1", False, False)]):
        for entry in (tmp_path / "cache").glob("*.bin"):
            value = marshal.loads(entry.read_bytes())
            entry.write_bytes(marshal.dumps((*value[:4], damage)))
        again = CompiledTemplate.load(path)  # compiled again, and stored again
        assert all(p.tree is not None for p in again._parts)
        assert again.render(CONTEXT) == first.render(CONTEXT)


def test_threads_rendering_one_template_get_their_own_reports(tmp_path: Path) -> None:
    """The states and footers remembered from the last rendering are shared: a web server
    renders one compiled template from several threads at once."""
    import threading

    spec = TEMPLATES["table"]
    assert isinstance(spec, dict)
    path = make_template(tmp_path / "t.docx", ["{%p if empty %}", "{{ agency }}", "{%p endif %}",
                                               *TEMPLATES["loop"]],
                         table=spec["table"], footer="{{ agency }}")
    template, parsed = CompiledTemplate.load(path), _parsed(path)
    contexts = [{**CONTEXT, "agency": f"机关{i}", "empty": "x" * (i % 2),
                 "rows": CONTEXT["rows"] * (1 + i % 3)} for i in range(6)]
    expected = [_outcome(parsed, c) for c in contexts]
    failures: list[str] = []

    def work(offset: int) -> None:
        for k in range(30):
            i = (offset + k) % len(contexts)
            if _outcome(template, contexts[i]) != expected[i]:
                failures.append(f"thread {offset} context {i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


# --- context: a table's value cells worked out once per table ---------------------------------


def _naive_table(table: Any, values: dict[str, Any], note: list[str]) -> dict[str, Any]:
    from docx_report.values import value_type

    rows: dict[str, Any] = {"note": list(note)}
    for cell in table.value_cells():
        _, row, col = cell.key.split(".")
        value = values.get(cell.key)
        rows.setdefault(row, {})[col] = "" if value is None else value_type(cell.type).format(
            value)
    return rows


@pytest.mark.parametrize("pack_ref", ["gov-disclosure-2019", "gov-disclosure-2021",
                                      "examples/street-monthly"])
def test_table_context_is_every_value_cell_formatted(pack_ref: str) -> None:
    from decimal import Decimal

    from docx_report.context import table_context
    from docx_report.pack import load_pack

    root = Path(__file__).resolve().parent.parent
    pack = load_pack(pack_ref if "/" not in pack_ref else root / pack_ref)
    for table in pack.tables():
        keys = [c.key for c in table.value_cells()]
        assert keys
        for values in ({}, {k: i for i, k in enumerate(keys)},
                       {k: Decimal("1.50") if i % 2 else None for i, k in enumerate(keys)}):
            for _ in range(2):  # worked out, then remembered; the same order too
                assert repr(table_context(table, values, ["说明"])) == repr(_naive_table(
                    table, values, ["说明"]))
