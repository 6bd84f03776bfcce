"""Balanced line breaks for a long 机关名称 in the report's title and signature.

GB/T 9704-2012 (7.3.3) asks a title that runs over one line to break where the words allow
(词意完整) into lines of balanced length (排列对称). Word and LibreOffice break Chinese between
any two characters, so a long name breaks where the line is full: "…人力资源和社会保障局劳/动保障
监察支队". Templates therefore print the name through the ``balanced_lines`` filter,
``{{ agency|balanced_lines(20) }}``, which inserts line breaks itself:

* the name is cut into words: the words of agency names (人力资源, 社会保障, 监督管理,
  委员会…) are kept whole, place names end after their 省/市/区/县…, and an organ's ending
  (局, 厅, 支队, 办公室…) stays with the word before it;
* as few lines as fit the width (in characters; Latin letters and digits count half), and of
  those the split whose longest line is shortest;
* a line break the clerk typed in the name is kept, and each typed line is balanced on its own.

A name that has no break point short enough is broken between characters as a last resort.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata

# Words of agency names that a line must not cut (longest first when matching).
WORDS = (
    "中华人民共和国", "人民代表大会", "常务委员会", "管理委员会", "委员会", "人民政府", "人民法院",
    "人民检察院", "办公厅", "办公室", "办事处", "街道办事处", "人力资源", "社会保障", "劳动保障",
    "市场监督管理", "监督管理", "发展和改革", "住房和城乡建设", "城乡建设", "自然资源", "生态环境",
    "交通运输", "农业农村", "文化和旅游", "文化广电旅游", "广播电视", "卫生健康", "退役军人事务",
    "应急管理", "医疗保障", "工业和信息化", "科学技术", "林业和草原", "国有资产", "粮食和物资储备",
    "民族宗教事务", "人民防空", "机关事务管理", "地方金融", "乡村振兴", "政务服务", "数据资源",
    "大数据", "行政审批", "综合行政执法", "城市管理", "行政执法", "公共资源交易", "市场监管",
    "知识产权", "水利", "水务", "商务", "教育", "公安", "民政", "司法", "财政", "审计", "统计",
    "税务", "气象", "地震", "信访", "档案", "保密", "体育", "林业", "监察", "综合执法", "城管",
    "开发区", "高新技术产业开发区", "经济技术开发区", "高新区", "新区", "自治区", "自治州",
    "自治县", "特别行政区", "生产建设兵团", "服务中心", "事务中心", "信息中心", "监测中心",
    "工作委员会",
)
# Words that end a place name: they stay with the name before them.
PLACE_WORDS = ("自治区", "自治州", "自治县", "特别行政区", "开发区", "高新技术产业开发区",
               "经济技术开发区", "高新区", "新区")
# Endings of organs: never at the start of a line.
ENDINGS = ("局", "厅", "委", "办", "部", "署", "处", "科", "所", "站", "队", "支队", "大队", "中队",
           "分局", "中心", "院", "会", "室", "馆", "团")
# Endings of place names: a break may follow them.
PLACES = "省市区县州盟旗镇乡村"
_MAX_WORDS = max(map(len, WORDS))
MAX_PIECES = 80  # balancing is quadratic: longer texts are filled line by line


def char_width(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5


def width_of(text: str) -> float:
    return sum(map(char_width, text))


def words(name: str) -> list[str]:
    """The name cut where a line may break (joining the pieces gives the name back)."""
    pieces: list[str] = []
    i = 0
    pending = ""  # characters of no known word: a place name, a proper name
    while i < len(name):
        word = next((name[i:i + n] for n in range(min(_MAX_WORDS, len(name) - i), 1, -1)
                     if name[i:i + n] in WORDS), "")
        if word:
            if pending:
                pieces.append(pending)
                pending = ""
            pieces.append(word)
            i += len(word)
            continue
        ch = name[i]
        pending += ch
        i += 1
        if ch in PLACES or not ch.strip() or pending.endswith(ENDINGS) or (
                not _is_cjk(ch) and i < len(name) and _is_cjk(name[i])):
            pieces.append(pending)
            pending = ""
    if pending:
        pieces.append(pending)
    # An organ's ending, a joining 和/与/及 or punctuation stays with the word before it.
    merged: list[str] = []
    for piece in pieces:
        if merged and (piece in ENDINGS or piece in PLACE_WORDS or piece in "和与及"
                       or _starts_closing(piece)
                       or (len(piece) == 1 and piece in PLACES)):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _starts_closing(piece: str) -> bool:
    return bool(piece) and piece[0] in "、，。）)》」』"


def balanced_lines(text: object, width: float = 20) -> str:
    """The text with line breaks (\\n) at word boundaries, in balanced lines of at most
    ``width`` characters; typed line breaks are kept. A Jinja filter for templates."""
    limit = float(width) if isinstance(width, int | float) and width >= 1 else 20.0
    lines = str(text).split("\n")
    return "\n".join(_balance(line.strip(), limit) for line in lines)


def _balance(line: str, width: float) -> str:
    if width_of(line) <= width:
        return line
    pieces = words(line)
    if len(pieces) > MAX_PIECES:  # not a name: fill the lines in order
        return "\n".join(_greedy(pieces, width))
    if any(width_of(p) > width for p in pieces):  # no break point fits: between characters
        pieces = [ch for p in pieces for ch in p]
    best = _best_split(tuple(pieces), width)
    return "\n".join(best)


def _greedy(pieces: list[str], width: float) -> list[str]:
    lines = [""]
    for piece in pieces:
        if lines[-1] and width_of(lines[-1] + piece) > width:
            lines.append("")
        lines[-1] += piece
    return lines


def _best_split(pieces: tuple[str, ...], width: float) -> list[str]:
    """Fewest lines, then the shortest longest line, then the longer lines first."""
    n = len(pieces)
    sizes = [width_of(p) for p in pieces]

    @functools.cache
    def split(start: int, lines: int) -> tuple[float, tuple[int, ...]] | None:
        """(longest line, break positions) for pieces[start:] in exactly ``lines`` lines."""
        if lines == 1:
            total = sum(sizes[start:])
            return (total, ()) if total <= width else None
        best: tuple[float, tuple[int, ...]] | None = None
        total = 0.0
        for end in range(start + 1, n - lines + 2):
            total += sizes[end - 1]
            if total > width:
                break
            rest = split(end, lines - 1)
            if rest is None:
                continue
            candidate = (max(total, rest[0]), (end, *rest[1]))
            # Ties: a longer first line (an inverted trapezoid) reads as one heading.
            if best is None or candidate[0] < best[0] or (
                    candidate[0] == best[0] and candidate[1] > best[1]):
                best = candidate
        return best

    for count in range(1, n + 1):
        found = split(0, count)
        if found is not None:
            cuts = (0, *found[1], n)
            return ["".join(pieces[a:b]) for a, b in itertools.pairwise(cuts)]
    return ["".join(pieces)]  # unreachable: single characters always fit
