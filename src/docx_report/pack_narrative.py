"""The narrative parts of a pack: ``[[narrative_figures]]`` and ``[narrative]`` as frozen
records (their schema is in pack_schema.py: NARRATIVE, NARRATIVE_FIGURE, SIMILAR and the rule
kinds; ``narrative.py`` and ``textchecks.py`` interpret them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docx_report.errors import Level


@dataclass(frozen=True)
class NarrativeFigure:
    """A table figure the narrative may state (``[[narrative_figures]]``), read by narrative.py.

    ``phrases`` are patterns anchored to a number + unit in the same clause: literal pieces
    joined by ``…`` (a short gap), the number after the last piece, or where ``{n}`` stands
    (``"{n}…结转下年"``); ``none`` are patterns that say the figure is zero (``"未收到…申请"``);
    ``placeholder`` is the name of ``【name】``, replaced by the figure when building.
    """

    of: tuple[str, ...]
    label: str
    phrases: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    placeholder: str = ""
    units: tuple[tuple[str, float], ...] = ()  # (unit, scale to the table's unit); () = counts


@dataclass(frozen=True)
class NarrativeOptions:
    """``[narrative]``: how figures in the narrative are read and reported."""

    id: str = "N1"
    level: Level = Level.WARNING
    message: str = "“{sentence}”中的“{said}”与{figure}（{value}）不一致"
    units: tuple[str, ...] = ("件次", "件", "条", "个", "次", "项", "宗", "起", "篇", "份")
    parts: tuple[str, ...] = ()  # words that make a number a part of the figure, or a change
    # words right after a number ("67件（含上年结转4件）") saying it counts more than the figure
    beyond: tuple[str, ...] = ()
    # words before a number in its clause saying it counts another period ("近三年", "累计")
    periods: tuple[str, ...] = ()


# Kinds about the narrative's wording (the 汇总's narrative is the tool's own: not checked).
TEXT_KINDS = frozenset({"contains", "narrative_figures", "placeholders", "period_years",
                        "future_years", "opening_year", "copied_previous"})


def narrative_figure(raw: dict[str, Any], keys: list[str]) -> NarrativeFigure:
    of = tuple(str(k) for k in raw["of"])
    if missing := [k for k in of if k not in keys]:
        raise ValueError(f"叙述数字「{raw.get('label', '')}」引用了不存在的单元格 {missing[0]}")
    units = raw.get("units", {})
    if not isinstance(units, dict):
        raise ValueError(f"叙述数字「{raw.get('label', '')}」的 units 应为 {{单位 = 倍数}}")
    return NarrativeFigure(
        of=of, label=str(raw["label"]), phrases=tuple(str(p) for p in raw.get("phrases", ())),
        none=tuple(str(p) for p in raw.get("none", ())),
        placeholder=str(raw.get("placeholder", "")),
        units=tuple((str(u), float(x)) for u, x in units.items()))


def narrative_options(raw: dict[str, Any]) -> NarrativeOptions:
    default = NarrativeOptions()
    return NarrativeOptions(
        id=str(raw.get("id", default.id)), level=Level(raw.get("level", default.level)),
        message=str(raw.get("message", default.message)),
        units=tuple(str(u) for u in raw.get("units", default.units)),
        parts=tuple(str(w) for w in raw.get("parts", default.parts)),
        beyond=tuple(str(w) for w in raw.get("beyond", default.beyond)),
        periods=tuple(str(w) for w in raw.get("periods", default.periods)))
