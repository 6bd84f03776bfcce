"""What can still be read of a template part that does not parse: its tags, one by one.

A Jinja syntax error stops the whole part from compiling, and with it the lint of every field
in it (an unknown field next to a broken ``{% if %}`` went unreported until the syntax error was
fixed). ``salvage`` keeps the tags in order, drops each tag that cannot follow those kept
(the broken ones, judged tag by tag), closes the blocks left open and parses what remains; the
line of every tag is kept, so the fields' places are those of the real template. Nothing
salvaged is ever rendered.
"""

from __future__ import annotations

import re

from jinja2 import TemplateSyntaxError, nodes

from docx_report.sandbox import ENV

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_BLOCK = re.compile(r"\{%[-+]?\s*(\w+)")
_OPENS = {"for", "if", "with", "filter", "macro", "call", "autoescape", "block", "set"}
MAX_TAGS = 20_000  # a part with more tags is not salvaged


def _closing(stack: list[str]) -> str:
    return "".join(f"{{% end{keyword} %}}" for keyword in reversed(stack))


def _parses(source: str) -> bool:
    try:
        ENV.parse(source)
    except TemplateSyntaxError:
        return False
    return True


def _fits(tag: str, keyword: str, stack: list[str]) -> bool:
    """Can this tag follow the kept ones? Judged on the tag alone (each costs one small parse):
    an output tag or a ``set`` parses by itself, an opening tag with its end tag, ``else`` and
    ``elif`` inside their block, an end tag closing the innermost open block."""
    if keyword.startswith("end") and keyword[3:] in _OPENS:
        return bool(stack) and stack[-1] == keyword[3:]
    if keyword in ("else", "elif"):
        inner = "{% if x %}" if keyword == "elif" or (stack and stack[-1] == "if") else (
            "{% for x in y %}")
        return bool(stack) and stack[-1] in ("if", "for") and _parses(
            inner + tag + ("{% endif %}" if "if" in inner else "{% endfor %}"))
    if keyword in _OPENS and not (keyword == "set" and "=" in tag):
        return _parses(tag + _closing([keyword]))
    return _parses(tag)


def salvage(source: str) -> nodes.Template | None:
    """A tree of the tags of ``source`` that parse, on their own lines; None if none do."""
    tags = list(_TAG.finditer(source))
    if not tags or len(tags) > MAX_TAGS:
        return None
    kept: list[str] = []
    stack: list[str] = []
    line = 1
    for m in tags:
        tag = m.group(0)
        block = _BLOCK.match(tag)
        keyword = block.group(1) if block else ""
        if not _fits(tag, keyword, stack):
            continue
        if keyword.startswith("end") and keyword[3:] in _OPENS:
            stack.pop()
        elif keyword in _OPENS and not (keyword == "set" and "=" in tag):
            stack.append(keyword)
        at = source.count("\n", 0, m.start()) + 1
        kept.append("\n" * (at - line) + tag)
        line = at + tag.count("\n")
    text = "".join(kept) + _closing(stack)
    return ENV.parse(text) if kept and _parses(text) else None
