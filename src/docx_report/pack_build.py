"""Build a ``Pack`` from pack.toml, finding every problem at once, each at its file and line.

The schema (``pack_schema``) is checked first; then each element is built on its own, so a
broken section, total or rule is reported and skipped while the others are still checked:
grids of the wrong width or with overlapping cells, cells named twice, totals, figures and
rules that name cells that do not exist (with "did you mean"), rule messages with unknown
placeholders, cycles among totals, sheet names Excel refuses.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import re
import string
import tomllib
from collections.abc import Iterator
from pathlib import Path, PureWindowsPath
from typing import Any

from docx_report import expr
from docx_report import pack_schema as schema
from docx_report.errors import Level, PackError
from docx_report.pack import (
    Carry,
    Field,
    Figure,
    NarrativeSection,
    Pack,
    Rule,
    Section,
    Total,
)
from docx_report.pack_grid import GridError, build_table
from docx_report.pack_narrative import (
    TEXT_KINDS,
    NarrativeFigure,
    narrative_figure,
    narrative_options,
)
from docx_report.pack_schema import PackProblem, Path_

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")
MAX_NARRATIVE_ROWS = 200  # subsection rows of a narrative sheet
MAX_PACK_BYTES = 2 * 2**20  # the official packs are 15 KB


def fingerprint(data: dict[str, Any]) -> str:
    """What a workbook records of its pack: the facts and sections, which decide where
    everything sits in the workbook (new rules or wording do not make a workbook stale;
    comments and formatting of pack.toml do not count)."""
    layout = {"facts": data.get("facts"), "sections": data.get("sections")}
    text = json.dumps(layout, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _close(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"（是否应为 {close[0]}？）" if close else ""


class Builder:
    def __init__(self, file: Path, text: str) -> None:
        self.file = file
        self.text = text
        self.locator = schema.Locator(text)
        self.problems: list[PackProblem] = []
        self.total_at: dict[str, int] = {}  # total cell -> index of its [[totals]]
        self.skipped: set[str] = set()  # tables already reported broken: refs to them pass
        self.skipped_fields: set[str] = set()

    def report(self, path: Path_, message: str) -> None:
        self.problems.append(PackProblem(str(self.file), self.locator.line(path), message))

    def fail(self) -> PackError:
        self.problems.sort(key=lambda p: p.line)
        error = PackError("\n".join(map(str, self.problems))
                          + f"\n{self.file}：pack 定义有 {len(self.problems)} 处问题")
        error.problems = list(self.problems)  # type: ignore[attr-defined]
        return error

    # -- the whole pack ------------------------------------------------------------------------

    def build(self, *, builtin: bool) -> Pack | None:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            at = _TOML_AT.search(message)
            line = int(at.group(1)) if at else 0
            reason = schema.toml_reason(_TOML_AT.sub("", message))
            self.problems.append(PackProblem(str(self.file), line, f"TOML 语法错误（{reason}）"))
            return None
        broken = schema.check(data, self.report)
        if {(), ("pack",), ("facts",)} & broken:
            return None
        meta, facts = data["pack"], data["facts"]
        fields = [(i, f) for i, f in enumerate(facts["fields"])
                  if ("facts", "fields", i) not in broken]
        self.skipped_fields = {str(f.get("key")) for f in facts["fields"]} - {
            str(f.get("key")) for _, f in fields}
        sections: list[Section] = []
        for i, raw in enumerate(data["sections"]):
            built = self.section(i, raw) if ("sections", i) not in broken else None
            if built is not None:
                sections.append(built)
            elif isinstance(raw, dict):
                self.skipped.add(str(raw.get("key", "")))
        years = meta.get("years", [1900, 9999])
        if len(years) != 2 or years[0] > years[1]:
            self.report(("pack", "years"), "years 应为 [起始年度, 截止年度]")
            years = [1900, 9999]
        aggregate = {k: v for k, v in data.get("aggregate", {}).items() if isinstance(v, str)}
        pack = Pack(
            name=meta["name"], title=meta["title"], basis=meta.get("basis", ""),
            version=meta.get("version", 1), years=(years[0], years[1]),
            root=self.file.parent, template=meta.get("template", "template.docx"),
            output=meta["output"], facts_sheet=facts["sheet"],
            fields=tuple(self.fields(fields)),
            sections=tuple(sections), totals=(), rules=(),
            description=meta.get("description", ""), keywords=tuple(meta.get("keywords", ())),
            period=tuple(meta.get("period", ("year",))),
            value_rule=meta.get("value_rule", ""), aggregate=aggregate,
            fingerprint=fingerprint(data), builtin=builtin)
        self.meta(pack, data)
        self.wording(data)
        self.unique(data, "rules", "id", "规则编号")
        self.unique(data, "figures", "label", "关键数字")
        keys = list(pack.value_cells())
        totals = [t for i, raw in enumerate(data.get("totals", []))
                  if ("totals", i) not in broken for t in self.totals(i, raw, keys)]
        rules = [r for i, raw in enumerate(data.get("rules", []))
                 if ("rules", i) not in broken and (r := self.rule(i, raw, pack, keys))]
        figures = [f for i, raw in enumerate(data.get("figures", []))
                   if ("figures", i) not in broken and (f := self.figure(i, raw, keys))]
        stated = [n for i, raw in enumerate(data.get("narrative_figures", []))
                  if ("narrative_figures", i) not in broken
                  and (n := self.narrative_figure(i, raw, keys))]
        narrative = data.get("narrative", {}) if ("narrative",) not in broken else {}
        similar = data.get("similar", {}) if ("similar",) not in broken else {}
        carries = [c for i, raw in enumerate(data.get("carry", []))
                   if ("carry", i) not in broken and (c := self.carry(i, raw, keys))]
        pack = dataclasses.replace(
            pack, totals=tuple(totals), rules=tuple(rules), figures=tuple(figures),
            narrative_figures=tuple(stated), narrative=narrative_options(narrative),
            verbatim_labels=bool(meta.get("verbatim_labels", False)), similar=dict(similar),
            carries=tuple(carries))
        self.cycles(pack)
        return None if self.problems else pack

    def meta(self, pack: Pack, data: dict[str, Any]) -> None:
        names = [pack.facts_sheet, *(s.sheet for s in pack.sections)]
        paths: list[Path_] = [("facts", "sheet")] + [
            ("sections", i, "sheet") for i in range(len(data["sections"]))]
        seen: set[str] = set()
        for name, path in zip(names, paths, strict=False):
            if name in seen:
                self.report(path, f"工作表名称「{name}」重复")
            seen.add(name)
            if len(name) > 31 or set(name) & set("[]:*?/\\") or not name.strip():
                self.report(path, f"工作表名称「{name}」不能为空、超过 31 个字符，或含 []:*?/\\")
        top: dict[str, Path_] = {}
        for i, f in enumerate(pack.fields):
            self.unique_key(f.key, ("facts", "fields", i, "key"), top)
        for i, raw in enumerate(data["sections"]):
            if isinstance(raw, dict) and isinstance(raw.get("key"), str):
                self.unique_key(raw["key"], ("sections", i, "key"), top)
        fields = {f.key for f in pack.fields}
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(pack.output) if name}
        except ValueError:
            self.report(("pack", "output"), f"output「{pack.output}」中的 {{ }} 不成对"
                        "（字段写作 {agency}，花括号本身写作 {{ }}）")
        else:
            for name in sorted(used - fields - self.skipped_fields):
                self.report(("pack", "output"), f"output 中的 {{{name}}} 不是字段"
                            f"{_close(name, sorted(fields))}")
        if "period" in data["pack"]:  # the default, ["year"], is not checked: year is optional
            self.period(pack, fields)
        template = PureWindowsPath(pack.template)  # also splits at "/" and knows "C:"
        if template.is_absolute() or template.drive or template.root or ".." in template.parts:
            self.report(("pack", "template"), "模板文件应在 pack 文件夹中（写相对于 pack.toml "
                        f"的文件名，如 template.docx），实为「{pack.template}」")
        elif not (pack.root / pack.template).is_file():
            self.report(("pack", "template"), f"找不到模板文件 {pack.template}"
                        f"（应在 {pack.root} 中）")

    def period(self, pack: Pack, fields: set[str]) -> None:
        """[pack] period: the facts that tell one report of an agency from another (batch)."""
        if "year" not in pack.period:
            self.report(("pack", "period"), "period 应包含 \"year\"（如 [\"year\", \"month\"]）")
        for name in dict.fromkeys(pack.period):
            if name not in fields:
                self.report(("pack", "period"), f"period 中的「{name}」不是字段"
                            f"{_close(name, sorted(fields))}")
        if len(set(pack.period)) != len(pack.period):
            self.report(("pack", "period"), "period 中有重复的字段")

    def wording(self, data: dict[str, Any]) -> None:
        """The 汇总 wording may use only the placeholders the batch fills."""
        for key, text in data.get("aggregate", {}).items():
            allowed = schema.AGGREGATE_PLACEHOLDERS.get(key)
            if allowed is None or not isinstance(text, str):
                continue
            try:
                used = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            except ValueError:
                self.report(("aggregate", key), f"[aggregate] 的 {key} 中的 {{ }} 不成对")
                continue
            for name in sorted(used - allowed):
                hint = "、".join(f"{{{a}}}" for a in sorted(allowed)) or "无"
                self.report(("aggregate", key), f"[aggregate] 的 {key} 中的 {{{name}}} 无法填入"
                            f"（可用：{hint}）")

    def unique(self, data: dict[str, Any], table: str, key: str, what: str) -> None:
        """Rule ids and figure labels name one thing each (messages, summary columns)."""
        seen: dict[str, int] = {}
        for i, raw in enumerate(data.get(table, [])):
            value = raw.get(key) if isinstance(raw, dict) else None
            if not isinstance(value, str):
                continue
            if value in seen:
                first = self.locator.line((table, seen[value], key))
                self.report((table, i, key), f"{what}「{value}」重复（第 {first} 行已用过）")
            seen.setdefault(value, i)

    def unique_key(self, key: str, path: Path_, seen: dict[str, Path_]) -> None:
        if not _KEY.match(key):
            self.report(path, f"key「{key}」只能含英文字母、数字、下划线，且不能以数字开头")
        elif key in seen:
            self.report(path, f"key「{key}」重复（第 {self.locator.line(seen[key])} 行已用过）")
        seen.setdefault(key, path)

    # -- facts ---------------------------------------------------------------------------------

    def fields(self, raw: list[tuple[int, dict[str, Any]]]) -> list[Field]:
        return list(self._fields(raw))

    def _fields(self, raw: list[tuple[int, dict[str, Any]]]) -> Iterator[Field]:
        for i, f in raw:
            at: Path_ = ("facts", "fields", i)
            kind = f.get("type", "text")
            choices = tuple(f.get("choices", ()))
            if kind == "choice" and not choices:
                self.report(at, f"字段 {f['key']} 的类型是 choice，但没有 choices")
            if choices and f.get("default") is not None and f["default"] not in choices:
                self.report((*at, "default"), f"字段 {f['key']} 的默认值「{f['default']}」"
                            "不在 choices 中")
            yield Field(key=f["key"], label=f["label"], type=kind,
                        required=f.get("required", False), help=f.get("help", ""),
                        choices=choices, default=f.get("default"),
                        in_report=f.get("in_report", True), min=f.get("min"), max=f.get("max"))

    # -- sections ------------------------------------------------------------------------------

    def section(self, i: int, raw: dict[str, Any]) -> Section | None:
        if raw["kind"] == "narrative":
            if not 0 <= raw.get("rows", 10) <= MAX_NARRATIVE_ROWS:
                self.report(("sections", i, "rows"), f"章节 {raw['key']} 的 rows 应在 0 到 "
                            f"{MAX_NARRATIVE_ROWS} 之间")
                return None
            return NarrativeSection(
                key=raw["key"], heading=raw["heading"], sheet=raw["sheet"],
                subsections=tuple(raw.get("subsections", ())),
                intro_label=raw.get("intro_label", "导语（可不填）"),
                required=raw.get("required", True), rows=raw.get("rows", 10),
                intro=raw.get("intro", ""))
        try:
            return build_table(i, raw)
        except GridError as bad:
            self.report(bad.path, str(bad))
            return None

    # -- totals, figures, rules ----------------------------------------------------------------

    def involves_skipped(self, refs: list[str]) -> bool:
        """Does any ref point into a table already reported broken (so not built)?"""
        return any(ref.split(".")[0] in self.skipped for ref in refs)

    def missing(self, refs: list[str], keys: list[str]) -> str:
        """'' when every ref names cells (for some value of its wildcard), else the first bad."""
        for ref in refs:
            if ref.split(".")[0] in self.skipped:
                continue
            if "*" in ref:
                if not expr.expand([ref], keys):
                    star = ref.split(".").index("*") if "*" in ref.split(".") else -1
                    patterns = sorted({".".join(p if n != star else "*" for n, p in enumerate(
                        key.split("."))) for key in keys if key.count(".") == ref.count(".")})
                    hint = _close(ref, patterns) if star >= 0 else ""
                    return f"{ref}（没有与之匹配的单元格）{hint}"
            elif ref not in keys:
                return f"{ref}{_close(ref, keys)}"
        return ""

    def totals(self, i: int, raw: dict[str, Any], keys: list[str]) -> Iterator[Total]:
        target, parts = raw["cell"], list(raw["of"])
        if bad := self.missing([target, *parts], keys):
            self.report(("totals", i, "cell"), f"合计「{target}」引用了不存在的单元格 {bad}")
            return
        values = expr.expand([target, *parts], keys)
        if self.involves_skipped([target, *parts]):
            return
        if not values:
            self.report(("totals", i, "cell"), f"合计「{target}」找不到一组都存在的单元格")
            return
        for value in values:
            concrete = [expr.substitute(p, value) for p in parts]
            cell = expr.substitute(target, value)
            if cell in concrete:
                self.report(("totals", i, "of"), f"合计 {cell} 不能是自己的一部分")
                return
            self.total_at.setdefault(cell, i)
            yield Total(cell, tuple(concrete), rule=str(raw.get("id", "")))

    def figure(self, i: int, raw: dict[str, Any], keys: list[str]) -> Figure | None:
        if bad := self.missing(raw["of"], keys):
            self.report(("figures", i, "of"), f"关键数字「{raw['label']}」引用了不存在的单元格 "
                        f"{bad}")
            return None
        if self.involves_skipped(raw["of"]):
            return None
        return Figure(raw["label"], tuple(raw["of"]))

    def narrative_figure(self, i: int, raw: dict[str, Any], keys: list[str]
                         ) -> NarrativeFigure | None:
        if bad := self.missing(raw["of"], keys):
            self.report(("narrative_figures", i, "of"), f"叙述数字「{raw['label']}」引用了不存在"
                        f"的单元格 {bad}")
            return None
        if self.involves_skipped(raw["of"]):
            return None
        try:
            return narrative_figure(raw, keys)
        except (TypeError, ValueError) as exc:
            self.report(("narrative_figures", i), str(exc))
            return None

    def carry(self, i: int, raw: dict[str, Any], keys: list[str]) -> Carry | None:
        """``to`` (this year's cells) from ``from`` (a sum of last year's, the same ``*``)."""
        to, source = raw["to"], raw["from"]
        try:
            terms = expr.parse_sum(source)
        except expr.ExprError as exc:
            self.report(("carry", i, "from"), str(exc))
            return None
        if any(t.previous or not t.ref for t in terms):
            self.report(("carry", i, "from"), f"结转「{source}」只能是上年单元格名之和"
                        "（不写 prev.，不含常数）")
            return None
        if to.count("*") > 1 or any(t.ref.count("*") != to.count("*") for t in terms):
            self.report(("carry", i, "to"),
                        f"结转「{to}」与「{source}」的 * 应一一对应（至多一个）")
            return None
        if bad := self.missing([to], keys):
            self.report(("carry", i, "to"), f"结转的目标引用了不存在的单元格 {bad}")
            return None
        return Carry(to, terms)

    def rule(self, i: int, raw: dict[str, Any], pack: Pack, keys: list[str]) -> Rule | None:
        at: Path_ = ("rules", i)
        kind = raw.get("kind", "equation")
        equation = None
        ok = True
        if kind == "equation":
            try:
                equation = expr.parse_equation(raw["check"])
            except expr.ExprError as exc:
                self.report((*at, "check"), f"规则 {raw['id']}：{exc}")
                return None
            refs = [t.key for t in equation.terms if t.ref]
            if self.involves_skipped([*refs, raw.get("at", "")]):
                ok = False
            elif bad := self.missing(refs, keys):
                self.report((*at, "check"), f"规则 {raw['id']} 引用了不存在的单元格 {bad}")
                ok = False
            elif not expr.expand(refs, keys):
                self.report((*at, "check"), f"规则 {raw['id']} 的 * 找不到一组都存在的单元格")
                ok = False
            if ok and "at" in raw and (bad := self.missing([raw["at"]], keys)):
                self.report((*at, "at"), f"规则 {raw['id']} 的 at 是不存在的单元格 {bad}")
                ok = False
        elif kind in TEXT_KINDS:  # the narrative sections it names must be narrative sections
            if kind == "contains" and not raw.get("any") and not raw.get("all"):
                self.report(at, f"规则 {raw['id']} 缺少「any」或「all」（要找的词）")
                ok = False
            sections = [s.key for s in pack.narratives()]
            named = [("section", raw["section"])] if "section" in raw else []
            named += [("sections", name) for name in raw.get("sections", ())]
            for option, name in named:
                if name not in sections:
                    self.report((*at, option), f"规则 {raw['id']} 的 {option}「{name}」"
                                f"不是叙述章节{_close(name, sections)}")
                    ok = False
        elif kind == "deadline":
            fields = [f.key for f in pack.fields]
            if raw["by"] not in fields and raw["by"] not in self.skipped_fields:
                self.report((*at, "by"), f"规则 {raw['id']} 的 by「{raw['by']}」不是字段"
                            f"{_close(raw['by'], fields)}")
                ok = False
            for name, day in raw["deadlines"].items():
                match = _MONTH_DAY.match(day)
                if not match or not (1 <= int(match[1]) <= 12 and 1 <= int(match[2]) <= 31):
                    self.report((*at, "deadlines"), f"规则 {raw['id']} 的期限「{name}」应写成"
                                f" 月-日（如 01-31），实为「{day}」")
                    ok = False
        allowed = schema.RULE_PLACEHOLDERS.get(kind, set())
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(raw.get("message", ""))
                    if name}
        except ValueError:
            used = set()
            self.report((*at, "message"), f"规则 {raw['id']} 的 message 中的 {{ }} 不成对")
            ok = False
        for name in sorted(used - allowed):
            hint = "、".join(f"{{{a}}}" for a in sorted(allowed)) or "无"
            self.report((*at, "message"), f"规则 {raw['id']} 的 message 中的 {{{name}}} 无法"
                        f"填入（这种规则可用：{hint}；要写花括号本身请写 {{{{ }}}}）")
            ok = False
        if not ok:
            return None
        options = {k: v for k, v in raw.items()
                   if k not in {"id", "level", "kind", "message", "check", "at"}}
        return Rule(id=raw["id"], level=Level(raw.get("level", "error")), kind=kind,
                    message=raw.get("message", ""), equation=equation, at=raw.get("at", ""),
                    options=options)

    def cycles(self, pack: Pack) -> None:
        totals = pack.total_of()
        done: set[str] = set()

        def visit(key: str, path: tuple[str, ...]) -> bool:
            if key in path:
                self.report(("totals", self.total_at.get(key, 0)),
                            f"合计循环引用：{' → '.join((*path, key))}")
                return False
            if key in done:
                return True
            ok = all(visit(part, (*path, key)) for part in totals.get(key, ()))
            done.add(key)
            return ok

        for key in totals:
            if not visit(key, ()):
                return


def build(path: Path, *, builtin: bool = False) -> Pack:
    """Read and build a pack.toml; PackError listing every located problem otherwise."""
    try:
        if path.stat().st_size > MAX_PACK_BYTES:
            raise PackError(f"{path}：文件超过 {MAX_PACK_BYTES // 2**20} MB，不像 pack 定义")
        # utf-8-sig: Windows Notepad may save UTF-8 with a byte-order mark
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PackError(f"{path.parent}：不是 pack 文件夹（没有 pack.toml）") from None
    except NotADirectoryError:  # a file given where a pack folder belongs
        raise PackError(f"{path.parent}：是文件，不是 pack 文件夹（pack 文件夹里有 pack.toml "
                        "和 Word 模板）") from None
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise PackError(f"{path} 第 {line} 行：不是 UTF-8 编码的文本（可能以 GBK/ANSI 保存）；"
                        "请在编辑器中另存为 UTF-8") from None
    except OSError as exc:
        raise PackError(f"{path}：无法读取 pack 定义（{exc.strerror or exc}）") from None
    builder = Builder(path, text)
    pack = builder.build(builtin=builtin)
    if pack is None:
        if not builder.problems:  # pragma: no cover - build returns None only with problems
            builder.report((), "pack 定义有误")
        raise builder.fail()
    return pack
