"""A rendering checked well-formed from its pieces, without parsing the XML again.

A compiled part yields its output in pieces: the template's own text (string constants of its
code, the same objects every render) and the printed values between them (escaped). Each
constant is summarised once (``Pieces``): which elements it closes that it did not open, which
it leaves open, and what it does at the outermost level. A rendering is then checked by walking
its pieces with a stack of open elements, which costs a few operations a piece instead of
parsing the whole text again.

The check is conservative: it answers ``None`` (parse it) for anything it does not model
exactly — a constant that is not a run of complete tags, text and references in a small
subset of XML (no comments, processing instructions, CDATA or DOCTYPE, ASCII names, no raw
``>`` in text), or a value that is not plain escaped text (``<``, ``>``, unknown references,
characters XML cannot hold, line markers). Whatever it accepts, an XML parser accepts too.

The pieces are also where the line markers go: each constant's markers are removed once, not
from the whole text of every rendering.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from docx_report.values import XML_ILLEGAL

MARK = "\ue002"  # ends each template line (render._jinja_source)

_S = "[ \t\r\n]"
_NAME = "[A-Za-z_:][-A-Za-z0-9_.:]*+"
_REF = "&(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});"
# possessive (*+, ++): a run is never given back, so no input makes the matching slow


def _attribute(name: str) -> str:
    return rf"{_S}++{name}{_S}*+={_S}*+(?:\"(?:[^\"<&]++|{_REF})*+\"|'(?:[^'<&]++|{_REF})*+')"


_TOKEN = re.compile(rf"<({_NAME})((?:{_attribute(_NAME)})*+){_S}*+(/?)>"
                    rf"|</({_NAME}){_S}*+>|((?:[^<>&]++|{_REF})++)")
# an attribute's name, matched one whole attribute after the other (never inside a value)
_ATTR_NAME = re.compile(_attribute(f"({_NAME})"))
_NUMERIC = re.compile("&#([0-9]{1,7});|&#x([0-9a-fA-F]{1,6});")  # longer: not a token
# A printed value that is plain text wherever it lands between two complete tokens.
_NOT_TEXT = re.compile(
    "[<>\ue000-\ue002\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
    "|&(?!(?:amp|lt|gt|quot|apos|#34|#39);)")


def _plain_text(values: str) -> bool:
    """Are the printed values (joined with a space: no reference can be made of two) plain
    text? No character _NOT_TEXT finds is printable (controls, private use, non-characters,
    surrogates): printable values without ``<``, ``>`` and ``&`` need no closer look."""
    if values.isprintable() and "&" not in values and "<" not in values and ">" not in values:
        return True
    return _NOT_TEXT.search(values) is None


class Summary(NamedTuple):
    """What a piece of complete tokens does to the stack of open elements (a tuple: kept
    with the compiled code in ``template_cache``)."""

    text: str  # the piece without line markers
    pops: list[str]  # elements it closes that were open before it, in stack order
    pushes: list[str]  # elements it leaves open, in stack order
    outer_tags: int  # elements it starts at its lowest level, after its last pop
    outer_text: bool  # text other than whitespace at that level
    blank: bool  # only whitespace

    @classmethod
    def of(cls, value: object) -> Summary | None:
        """A summary from its plain tuple (as marshal gives it back); ValueError if it is not
        one."""
        if value is None:
            return None
        if (isinstance(value, tuple) and len(value) == 6 and isinstance(value[0], str)
                and all(isinstance(v, list) and all(isinstance(n, str) for n in v)
                        for v in value[1:3])
                and type(value[3]) is int and type(value[4]) is bool and type(value[5]) is bool):
            return cls(*value)
        raise ValueError("not a summary")


def _char_ok(code: int) -> bool:
    return code in (9, 10, 13) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or \
        0x10000 <= code <= 0x10FFFF


def summarise(piece: str) -> Summary | None:
    """The piece's summary, or None if it is not a run of complete tokens this module models."""
    text = piece.replace(MARK + "\n", "").replace(MARK, "")
    if XML_ILLEGAL.search(text) or not all(
            _char_ok(int(m[1], 10) if m[1] else int(m[2], 16)) for m in _NUMERIC.finditer(text)):
        return None
    if _TOKEN.sub("", text):  # something between the tokens: not a run of complete ones
        return None
    pops: list[str] = []
    stack: list[str] = []
    outer_tags, outer_text = 0, False
    for start, attrs, empty, end, chars in _TOKEN.findall(text):
        if start:
            if attrs.count("=") > 1:
                names = _ATTR_NAME.findall(attrs)
                if len(set(names)) != len(names):
                    return None  # the same attribute twice
            if not stack:
                outer_tags += 1
            if not empty:
                stack.append(start)
        elif end:
            if stack:
                if stack.pop() != end:
                    return None
            else:
                pops.append(end)
                outer_tags, outer_text = 0, False  # a lower level: count again from here
        elif not stack and chars.strip(" \t\r\n"):
            outer_text = True
    return Summary(text, pops[::-1], stack, outer_tags, outer_text, not text.strip(" \t\r\n"))


_SEP = "\x01"  # between the names of open elements in a state
_CLOSED = "\x02"  # the state after the root element has closed


def _step(state: str, summary: Summary) -> str | None:
    """The state (open elements, outermost first) after a piece; None if not well-formed."""
    if state == _CLOSED:
        return _CLOSED if summary.blank else None
    stack = state.split(_SEP) if state else []
    k = len(summary.pops)
    if k:
        if len(stack) < k or stack[len(stack) - k:] != summary.pops:
            return None
        del stack[len(stack) - k:]
    if not stack:  # at the outermost level: one root element, no text around it
        if summary.outer_text or summary.outer_tags != (0 if state else 1):
            return None
        if not summary.pushes:
            return _CLOSED
    return _SEP.join(stack + summary.pushes)


def summary(const: str) -> Summary | None:
    """A constant's summary. One ending in a marker is never modelled: the marker's newline
    may be the next piece's first character, so its removal depends on what follows."""
    return None if const.endswith(MARK) else summarise(const)


def summaries(code: types.CodeType) -> list[Summary | None]:
    """The summary of each of the code's string constants, in the order of ``constants``."""
    return [summary(const) for const in constants(code)]


class Pieces:
    """The summaries of a compiled part's string constants, by identity, and the states each
    was last seen to move between (a rendering mostly repeats the last one's)."""

    def __init__(self, known: Iterable[tuple[str, Summary | None]]) -> None:
        """``known``: each constant (the object the code yields) and its ``summary``."""
        # constant -> [the constant, summary (None: not modelled), (state before, after, text
        # in UTF-8)]. Looked up by the string (its hash is kept with it), then by identity: a
        # printed value equal to a constant is still a value. (Equal constants are one object
        # in compiled code; another one would be taken for a value: parsed, never wrong.)
        self._table: dict[str, list[Any]] = {}
        self._states: dict[str, str] = {"": "", _CLOSED: _CLOSED}  # one object per state
        for const, summarised in known:
            self._table.setdefault(const, [const, summarised, (None, None, b"")])

    def join(self, pieces: list[str]) -> bytes | None:
        """The rendering without its line markers, encoded in UTF-8, if it is known to be
        well-formed XML; None if it has to be parsed (and its markers removed from the whole
        text). Each constant is encoded once, each value where it is printed: the whole text
        is never built as a string."""
        get = self._table.get
        out: list[bytes] = []
        values: list[str] = []
        append, append_value = out.append, values.append
        state = ""
        for piece in pieces:
            entry = get(piece)
            if entry is None or entry[0] is not piece:  # a printed value
                if not state or state is _CLOSED:
                    return None
                append_value(piece)
                # (a lone surrogate fails the check below: then these bytes are not used)
                append(piece.encode("utf-8", "surrogatepass"))
                continue
            seen = entry[2]
            if seen[0] is not state:
                summary = entry[1]
                after = _step(state, summary) if summary is not None else None
                if after is None:
                    return None
                # one assignment: safe when two threads render the same template
                seen = entry[2] = (state, self._states.setdefault(after, after),
                                   summary.text.encode("utf-8"))
            state = seen[1]
            append(seen[2])
        if state is not _CLOSED or not _plain_text(" ".join(values)):
            return None
        return b"".join(out)


def constants(code: types.CodeType) -> Iterator[str]:
    """The string constants of compiled code and of the functions it defines."""
    for const in code.co_consts:
        if isinstance(const, str):
            yield const
        elif isinstance(const, types.CodeType):
            yield from constants(const)
