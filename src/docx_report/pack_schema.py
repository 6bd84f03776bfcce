"""What a pack.toml may say, and where it says it: the schema and a TOML line locator.

``tomllib`` gives values without line numbers, so ``Locator`` scans the text once and records
the line of every table header (``[pack]``, the third ``[[sections]]``…), every key, and every
row of a multi-line array (the rows of a table grid). ``check`` walks the parsed data against
the schema and returns every problem at once: unknown keys (with "did you mean"), missing
keys, wrong types, unknown kinds and levels, each at the line it sits on.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from docx_report.errors import Level

Path_ = tuple[str | int, ...]  # a place in the parsed data: ("sections", 2, "grid", 5)


@dataclass(frozen=True)
class PackProblem:
    """One mistake in a pack, located by file and line (0: the file as a whole)."""

    file: str
    line: int
    message: str
    level: Level = Level.ERROR

    def __str__(self) -> str:
        if not self.file:
            return self.message
        return f"{self.file} 第 {self.line} 行：{self.message}" if self.line else \
            f"{self.file}：{self.message}"


# ---------------------------------------------------------------------------------------------
# Where things are

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r'^\s*("[^"]*"|\'[^\']*\'|[A-Za-z0-9_.\-]+)\s*=')


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted)]


def _depth_change(text: str, state: dict[str, Any]) -> tuple[int, list[int]]:
    """Net bracket depth change of a line, and the positions where a '[' opens at depth 1
    (relative to the depth at the line start); strings and comments are skipped."""
    depth = 0
    opens: list[int] = []
    i = 0
    while i < len(text):
        if state.get("triple"):
            end = text.find(state["triple"], i)
            if end < 0:
                return depth, opens
            i = end + 3
            state["triple"] = ""
            continue
        ch = text[i]
        if text.startswith(('"""', "'''"), i):
            state["triple"] = text[i:i + 3]
            i += 3
            continue
        if ch in "\"'":
            j = i + 1
            while j < len(text) and text[j] != ch:
                j += 2 if ch == '"' and text[j] == "\\" else 1
            i = j + 1
            continue
        if ch == "#":
            break
        if ch in "[{":
            if ch == "[" and state["depth"] + depth == 1:
                opens.append(i)
            depth += 1
        elif ch in "]}":
            depth -= 1
        i += 1
    return depth, opens


class Locator:
    """Line numbers (1-based) of the places in a pack.toml."""

    def __init__(self, text: str) -> None:
        self.lines: dict[Path_, int] = {}
        counts: dict[tuple[str, ...], int] = {}
        table: Path_ = ()
        state: dict[str, Any] = {"depth": 0, "triple": ""}
        key_path: Path_ = ()
        rows = 0
        for n, line in enumerate(text.splitlines(), start=1):
            if state["depth"] == 0 and not state["triple"]:
                header = _HEADER.match(line)
                if header:
                    names = tuple(_parts(header.group(2)))
                    if header.group(1) == "[[":
                        index = counts.get(names, -1) + 1
                        counts[names] = index
                        table = (*names, index)
                    else:
                        table = names
                    self.lines.setdefault(table, n)
                    continue
                key = _KEY.match(line)
                if key:
                    key_path = (*table, *_parts(key.group(1)))
                    self.lines.setdefault(key_path, n)
                    rows = 0
                    value = line[key.end():]
                    change, opens = _depth_change(value, state)
                    state["depth"] += change
                    for _ in opens:  # rows that start on the key's own line
                        self.lines.setdefault((*key_path, rows), n)
                        rows += 1
                    continue
            change, opens = _depth_change(line, state)
            for _ in opens:
                self.lines.setdefault((*key_path, rows), n)
                rows += 1
            state["depth"] = max(0, state["depth"] + change)

    def line(self, path: Path_) -> int:
        """The line of a place, or of the nearest enclosing place the text shows."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 0


# ---------------------------------------------------------------------------------------------
# What may be said


@dataclass(frozen=True)
class Key:
    type: str  # str int bool any list[str] list[int] table:str table:any grid list
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values of a str


_TYPE_NAMES = {"str": "文字", "int": "整数", "bool": "true 或 false", "list[str]": "文字的数组",
               "list[int]": "整数的数组", "table:str": "键值都是文字的表", "grid": "数组的数组",
               "list[table]": "表的数组（[[…]]）", "table": "表（[…]）", "list": "数组",
               "number": "数字"}

LEVELS = ("error", "warning")
VALUE_TYPES = ("count", "signed", "amount", "text", "paragraphs", "year", "date", "choice")

PACK = {"name": Key("str", True), "title": Key("str", True), "basis": Key("str"),
        "description": Key("str"), "version": Key("int"), "years": Key("list[int]"),
        "template": Key("str"), "output": Key("str", True), "keywords": Key("list[str]"),
        "period": Key("list[str]"),
        "value_rule": Key("str"), "verbatim_labels": Key("bool")}
AGGREGATE = {k: Key("str") for k in ("agency", "agency_unnamed", "intro", "excluded",
                                      "quotes", "elsewhere")}
AGGREGATE_PLACEHOLDERS = {"agency": {"name", "count"}, "agency_unnamed": {"count"},
                          "intro": {"count", "year", "names"}, "excluded": {"count", "names"},
                          "quotes": set(), "elsewhere": {"count", "year"}}
FACTS = {"sheet": Key("str", True), "fields": Key("list[table]", True)}
FIELD = {"key": Key("str", True), "label": Key("str", True),
         "type": Key("str", values=VALUE_TYPES), "required": Key("bool"), "help": Key("str"),
         "choices": Key("list[str]"), "default": Key("any"), "in_report": Key("bool"),
         "min": Key("int"), "max": Key("int")}
SECTION = {"key": Key("str", True), "kind": Key("str", True, ("table", "narrative")),
           "heading": Key("str", True), "sheet": Key("str", True), "intro": Key("str")}
SECTION_KINDS = {
    "narrative": {"subsections": Key("list[str]"), "intro_label": Key("str"),
                  "required": Key("bool"), "rows": Key("int")},
    "table": {"width": Key("int", True), "widths": Key("list"), "type": Key(
        "str", values=("count", "signed", "amount")), "columns": Key("list[str]"),
        "grid": Key("grid", True)},
}
TOTAL = {"id": Key("str"), "cell": Key("str", True), "of": Key("list[str]", True)}
FIGURE = {"label": Key("str", True), "of": Key("list[str]", True)}
CARRY = {"to": Key("str", True), "from": Key("str", True)}
RULE = {"id": Key("str", True), "kind": Key("str"), "level": Key("str", values=LEVELS),
        "message": Key("str")}
# Every rule kind and its options (besides id, kind, level, message). The checks implement
# exactly these (checks.KINDS, and equations); a test keeps the two lists the same.
_WHERE = {"section": Key("str"), "sections": Key("list[str]")}  # narrative sections
_SKIP = {"skip_before": Key("list[str]"), "skip_after": Key("list[str]")}
RULE_KINDS: dict[str, dict[str, Key]] = {
    "equation": {"check": Key("str", True), "at": Key("str")},
    # the narrative says one of ``any``, and one word of each group of ``all``; ``when``: only
    # for these facts (agency_kind = "人民政府")
    "contains": {**_WHERE, "any": Key("list[str]"), "all": Key("grid"),
                 "when": Key("table:str")},
    "pack_years": {},
    "after_year_end": {},
    "deadline": {"by": Key("str", True), "deadlines": Key("table:str", True)},
    # the narrative against the tables ([[narrative_figures]], narrative.py), and its
    # 【placeholders】; years, and text copied from last year (textchecks.py)
    "narrative_figures": {"sections": Key("list[str]")},
    "placeholders": {},
    "period_years": {**_WHERE, "any": Key("list[str]")},
    "future_years": {**_WHERE, **_SKIP},
    "opening_year": {"section": Key("str", True), "skip_sentences": Key("list[str]"), **_SKIP},
    "copied_previous": {"ratio": Key("number"), "min_chars": Key("int")},
}
# The placeholders each rule kind fills in its message.
RULE_PLACEHOLDERS = {"equation": {"left", "right"}, "contains": {"missing"},
                     "pack_years": {"year", "expected", "actual"},
                     "after_year_end": {"date", "year"},
                     "deadline": {"date", "deadline", "kind"},
                     "narrative_figures": {"sentence", "said", "figure", "value"},
                     "placeholders": {"name", "hint", "names"},
                     "period_years": {"year", "found", "sentence"},
                     "future_years": {"published", "found", "sentence"},
                     "opening_year": {"year", "found", "sentence"},
                     "copied_previous": {"title", "how", "file", "where"}}
# [narrative]: how figures in the narrative are read; [[narrative_figures]]: which wording
# states which table figure (pack_narrative.py, narrative.py); [similar]: batch copied text.
NARRATIVE = {"message": Key("str"), "units": Key("list[str]"), "parts": Key("list[str]"),
             "beyond": Key("list[str]"), "periods": Key("list[str]")}
NARRATIVE_FIGURE = {"of": Key("list[str]", True), "label": Key("str", True),
                    "phrases": Key("list[str]"), "none": Key("list[str]"),
                    "placeholder": Key("str"), "units": Key("table")}
SIMILAR = {"ratio": Key("number"), "min_chars": Key("int")}
TOP = {"pack": Key("table", True), "facts": Key("table", True),
       "sections": Key("list[table]", True), "totals": Key("list[table]"),
       "figures": Key("list[table]"), "rules": Key("list[table]"),
       "aggregate": Key("table"), "narrative": Key("table"),
       "narrative_figures": Key("list[table]"), "similar": Key("table"),
       "carry": Key("list[table]")}


def _fits(value: Any, type_: str) -> bool:
    if type_ == "any":
        return True
    if type_ == "str":
        return isinstance(value, str)
    if type_ == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ == "bool":
        return isinstance(value, bool)
    if type_ == "list":
        return isinstance(value, list)
    if type_ == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_ == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if type_ == "list[int]":
        return isinstance(value, list) and all(_fits(v, "int") for v in value)
    if type_ == "table":
        return isinstance(value, dict)
    if type_ == "table:str":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if type_ == "list[table]":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    if type_ == "grid":
        return isinstance(value, list) and all(isinstance(v, list) for v in value)
    raise AssertionError(type_)


def _describe(value: Any) -> str:
    kind = {str: "文字", bool: "逻辑值", int: "整数", float: "小数", list: "数组",
            dict: "表"}.get(type(value), type(value).__name__)
    shown = repr(value) if not isinstance(value, dict | list) else ""
    if len(shown) > 30:
        shown = shown[:30] + "…"
    return f"{kind} {shown}".strip()


def did_you_mean(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f"；是否应为「{close[0]}」？" if close else ""


Report = Callable[[Path_, str], None]


def check_table(table: Mapping[str, Any], spec: Mapping[str, Key], where: Path_, what: str,
                report: Report) -> bool:
    """Check one table's keys against its spec; False when it cannot be used (a wrong type, a
    missing key). An unknown key is reported but does not stop the table being used."""
    ok = True
    meant: set[str] = set()  # keys an unknown key was probably meant to be
    for name, value in table.items():
        key = spec.get(name)
        if key is None:
            report((*where, name), f"{what}中有未知的键「{name}」{did_you_mean(name, set(spec))}")
            meant.update(difflib.get_close_matches(name, sorted(spec), n=1, cutoff=0.6))
        elif not _fits(value, key.type):
            report((*where, name), f"{what}的「{name}」应为{_TYPE_NAMES.get(key.type, key.type)}，"
                                   f"实为{_describe(value)}")
            ok = False
        elif key.values and value not in key.values:
            report((*where, name), f"{what}的「{name}」不能是「{value}」，可用的有："
                                   f"{'、'.join(key.values)}{did_you_mean(value, key.values)}")
            ok = False
    for name, key in spec.items():
        if key.required and name not in table:
            if name not in meant:  # a misspelt key is reported once, where it is
                report(where, f"{what}缺少「{name}」")
            ok = False
    return ok


def check(data: Mapping[str, Any], report: Report) -> set[Path_]:
    """Check the whole pack against the schema; the places of the elements that are broken
    (a section, a rule…) so that building skips them rather than stumbling on them."""
    broken: set[Path_] = set()
    if not check_table(data, TOP, (), "pack.toml", report):
        broken.add(())
    if isinstance(data.get("pack"), dict) and not check_table(
            data["pack"], PACK, ("pack",), "[pack]", report):
        broken.add(("pack",))
    if isinstance(data.get("aggregate"), dict):
        check_table(data["aggregate"], AGGREGATE, ("aggregate",), "[aggregate]", report)
    facts = data.get("facts")
    if isinstance(facts, dict):
        if not check_table(facts, FACTS, ("facts",), "[facts]", report):
            broken.add(("facts",))
        for i, field in enumerate(facts.get("fields") or []):
            if isinstance(field, dict) and not check_table(
                    field, FIELD, ("facts", "fields", i), f"第 {i + 1} 个字段", report):
                broken.add(("facts", "fields", i))
    for i, section in enumerate(data.get("sections") or []):
        if not isinstance(section, dict):
            continue
        kind = section.get("kind")
        spec = {**SECTION, **SECTION_KINDS.get(kind, {})} if isinstance(kind, str) else SECTION
        what = f"第 {i + 1} 个章节（{section.get('key', '?')}）"
        if not check_table(section, spec, ("sections", i), what, report):
            broken.add(("sections", i))
    for name, table_spec, label in (("narrative", NARRATIVE, "[narrative]"),
                                    ("similar", SIMILAR, "[similar]")):
        if isinstance(data.get(name), dict) and not check_table(
                data[name], table_spec, (name,), label, report):
            broken.add((name,))
    for name, spec, label in (("totals", TOTAL, "合计"), ("figures", FIGURE, "关键数字"),
                              ("narrative_figures", NARRATIVE_FIGURE, "叙述数字"),
                              ("carry", CARRY, "结转")):
        for i, item in enumerate(data.get(name) or []):
            if isinstance(item, dict) and not check_table(
                    item, spec, (name, i), f"第 {i + 1} 个{label}", report):
                broken.add((name, i))
    for i, rule in enumerate(data.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        kind = rule.get("kind", "equation")
        what = f"规则 {rule.get('id', i + 1)} "
        if isinstance(kind, str) and kind not in RULE_KINDS:
            report(("rules", i, "kind"), f"{what}的种类「{kind}」未知，可用的有："
                   f"{'、'.join(RULE_KINDS)}{did_you_mean(kind, set(RULE_KINDS))}")
            broken.add(("rules", i))
            continue
        spec = {**RULE, **RULE_KINDS.get(kind, {})} if isinstance(kind, str) else RULE
        if not check_table(rule, spec, ("rules", i), what, report):
            broken.add(("rules", i))
    return broken


# ---------------------------------------------------------------------------------------------
# TOML syntax errors, in Chinese (tomllib's reasons are English; the line comes separately)

_TOML_REASONS: tuple[tuple[str, str], ...] = (
    (r"Cannot overwrite a value", "同一个键或表写了两次"),
    (r"Cannot declare (.+) twice", r"表 [\1] 写了两次"),
    (r"Cannot (?:mutate immutable|redefine) namespace (.+)", r"「\1」已经定义过，不能再作为表定义"),
    (r"Duplicate inline table key '?(.+?)'?", r"行内表中的键「\1」写了两次"),
    (r"Expected '=' after a key in a key/value pair", "键后面缺少「=」"),
    (r"Expected '\]' at the end of a table declaration", "表名后面缺少「]」"),
    (r"Expected '\]\]' at the end of an array declaration", "表数组名后面缺少「]]」"),
    (r"Expected newline or end of document after a statement",
     "一行只能写一项，这一行多出了内容（文字中的引号是否配对？）"),
    (r"Expected (.+)", r"这里应为 \1"),
    (r"Invalid initial character for a key part",
     "键名不能以这个字符开头（键名请用英文字母、数字和下划线）"),
    (r"Invalid statement", "无法识别的写法（每行应为 键 = 值 或 [表名]）"),
    (r"Invalid value", "值的写法不对（文字要加英文双引号，如 \"文字\"）"),
    (r"Invalid date or datetime", "日期写法不对"),
    (r"Invalid hex value|Escaped character is not a Unicode scalar value", "转义字符写法不对"),
    (r"Unclosed array", "列表缺少结尾的「]」"),
    (r"Unclosed inline table", "行内表缺少结尾的「}」"),
    (r"Unescaped '\\' in a string", "文字中的反斜杠要写两个（\\\\），或改用单引号文字"),
    (r"Unterminated string", "文字缺少结尾的引号"),
    (r"(?:Found invalid|Illegal) character (.+)", r"不允许的字符 \1"),
)


def toml_reason(reason: str) -> str:
    """tomllib's reason for a syntax error, said in Chinese (unknown ones as they are)."""
    for pattern, chinese in _TOML_REASONS:
        found = re.fullmatch(pattern, reason.strip())
        if found:
            said = found.expand(chinese) if found.groups() else chinese
            # a key is given as a tuple's repr, ('sections', 'grid'): say sections.grid
            return re.sub(r"\(((?:'[^']*',? ?)+)\)",
                          lambda m: ".".join(re.findall(r"'([^']*)'", m.group(1))), said)
    return reason
