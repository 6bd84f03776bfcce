"""Copied narrative among many agencies (batch): exact and near copies found, others not,
without comparing every pair."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import pytest

from docx_report import similar
from docx_report.textchecks import normalise

WORDS = ["政务公开", "主动公开", "依申请公开", "政策解读", "平台建设", "监督保障", "信息管理",
         "门户网站", "政务新媒体", "保密审查", "公开目录", "回应关切", "基层政务", "公开指南",
         "培训", "考核", "督查", "整改", "栏目", "专题", "意见", "办理", "答复", "规范", "标准",
         "制度", "机制", "流程", "质量", "时效", "群众", "企业", "社会", "评议", "责任", "落实"]


def text(rng: random.Random) -> str:
    return "，".join("".join(rng.choice(WORDS) for _ in range(4)) for _ in range(12)) + "。"


def entry(body: str) -> tuple[similar.Text, ...]:
    text = normalise(body)
    return (("overview/监督保障", "一、总体情况·（五）监督保障", text, similar.signature(text)),)


def test_exact_and_near_copies_among_many_agencies() -> None:
    rng = random.Random(7)
    bodies = [text(rng) for _ in range(400)]
    bodies[17] = bodies[5].replace("2023", "2024")  # a copy
    bodies[300] = bodies[5]  # a copy of the copy
    near = list(bodies[40])
    for i in (20, 60, 100):  # a few characters changed
        near[i] = "改"
    bodies[41] = "".join(near)
    pairs = similar.similar_pairs([entry(b) for b in bodies], ratio=0.9)
    found = {(p.first, p.second) for p in pairs}
    assert {(5, 17), (5, 300), (40, 41)} <= found
    assert found - {(5, 17), (5, 300), (40, 41), (17, 300)} == set()
    ratios = {(p.first, p.second): p.ratio for p in pairs}
    assert ratios[5, 17] == 1.0 and 0.9 <= ratios[40, 41] < 1.0
    assert all(p.place == "一、总体情况·（五）监督保障" for p in pairs)


def test_texts_read_back_find_the_same_pairs() -> None:
    """A batch keeps each text as a digest and reads the text itself back to compare it: the
    pairs are those of the texts kept."""
    rng = random.Random(7)
    bodies = [text(rng) for _ in range(200)]
    bodies[17] = bodies[30] = bodies[5]
    bodies[41] = bodies[40][:-3] + "改。"
    items = [entry(b) for b in bodies]
    kept = [tuple((key, place, similar.digest(body), sig) for key, place, body, sig in item)
            for item in items]
    reads: list[int] = []

    def read(i: int, j: int) -> str:
        reads.append(i)
        return items[i][j][2]

    assert similar.similar_pairs(kept, read=read) == similar.similar_pairs(items)
    assert {(5, 17), (5, 30), (40, 41)} <= {
        (p.first, p.second) for p in similar.similar_pairs(items)}
    assert reads  # the texts were read back to be compared


def test_different_sections_are_not_compared() -> None:
    body = normalise(text(random.Random(1)))
    a = (("overview/监督保障", "（五）监督保障", body, similar.signature(body)),)
    b = (("problems/改进情况", "（二）改进情况", body, similar.signature(body)),)
    assert similar.similar_pairs([a, b]) == []


def reference_signature(text: str) -> tuple[int, ...]:
    """One-permutation MinHash written plainly: a bin per hash range, one pass over the grams."""
    bins, span, top = similar.BANDS * similar.ROWS, similar._SPAN, 2**64 - 1
    mins = [top] * bins
    for i in range(max(1, len(text) - similar.SHINGLE + 1)):
        gram = text[i:i + similar.SHINGLE].encode()
        b, value = divmod(zlib.crc32(gram) * 0x9E3779B97F4A7C15 & top, span)
        mins[b] = min(mins[b], value)
    for b in range(bins):
        if mins[b] == top:
            borrowed = next(((step, mins[(b + step) % bins]) for step in range(1, bins)
                             if mins[(b + step) % bins] < span), None)
            if borrowed:
                mins[b] = span * (borrowed[0] + 1) + borrowed[1]
    return tuple(mins)


@pytest.mark.parametrize("body", [
    "", "监", "监督", "监督保障", "监" * 60,  # one gram: every bin borrowed, some past 2**64
    "政务公开主动公开依申请公开政策解读" * 5,  # Chinese only: the bytes are sliced
    "门户网站abc栏目é专题😀平台",  # 1-, 2-, 3- and 4-byte characters: each gram encoded
])
def test_signature_is_minhash_of_the_grams(body: str) -> None:
    sig = similar.signature(body)
    assert isinstance(sig, bytes) and len(sig) == similar.WIDTH * similar.BANDS * similar.ROWS
    assert similar.values(sig) == reference_signature(body)


def test_estimate_counts_equal_bins() -> None:
    a = normalise(text(random.Random(2)))
    b = a[:len(a) // 2] + normalise(text(random.Random(3)))[len(a) // 2:]
    sa, sb = similar.signature(a), similar.signature(b)
    same = sum(x == y for x, y in zip(similar.values(sa), similar.values(sb), strict=True))
    assert similar._estimate(sa, sb) == same / (similar.BANDS * similar.ROWS)
    assert 0 < same < similar.BANDS * similar.ROWS and similar._estimate(sa, sa) == 1.0


def test_a_batch_finds_the_pairs_of_all_its_texts_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's parent reads each workbook's texts back from disk and compares one section
    at a time (the texts set aside in a scratch file, a few at a time): the pairs, and their
    order, are those of every text compared at once."""
    from docx_report.batch_store import Outcomes
    from docx_report.summary import Outcome, Status

    rng = random.Random(3)
    sections = [("overview/导语", "一、总体情况·导语"),
                ("overview/监督保障", "一、总体情况·（五）"), ("problems/改进", "五、问题·改进")]
    shared = [text(rng) for _ in sections]
    files = [tmp_path / f"{i}.xlsx" for i in range(300)]
    items = []
    for i in range(len(files)):
        texts = []
        for s, (key, place) in enumerate(sections):
            if (i + s) % 7 == 0:  # not every workbook has every section
                continue
            body = shared[s] if i % (3 + s) == 0 else text(rng)  # copies, and others
            if i % 11 == 0:
                body = body[:-4] + "改改。"  # near copies
            body = normalise(body)
            texts.append((key, place, body, similar.signature(body)))
        items.append(tuple(texts))
    store = Outcomes(tmp_path, files)
    for i, texts in enumerate(items):
        store.add(Outcome(i, files[i], Status.BUILT, pack="gov-disclosure-2021",
                          pack_source="gov-disclosure-2021", agency=f"机关{i}", year=2024,
                          period=(("year", 2024),), texts=texts))
    store.settle()
    monkeypatch.setattr(similar, "_SPILL", 4 * similar._KEPT.size)  # set aside in pieces
    found = [(a.index, b.index, place, ratio) for a, b, place, ratio in similar.agencies(store)]
    store.close()
    expected = [(p.first, p.second, p.place, p.ratio)
                for p in similar.similar_pairs(items, ratio=0.9)]
    assert len(expected) > 50 and {place for *_, place, _ in expected} == {
        place for _, place in sections}
    assert found == expected


def test_texts_set_aside_keep_their_places_past_65535() -> None:
    """A workbook may hold more texts than two bytes count (a hostile one: ~140,000 cells)."""
    import tempfile

    from docx_report.similar import _Sections, signature

    body = "全年新收政府信息公开申请63件，上年结转4件，均在法定期限内答复。" * 2
    with tempfile.TemporaryFile() as scratch:
        sections = _Sections(scratch)
        for n in (0, 65_535, 70_000):
            sections.add(3, n, ("s/一", f"二、·（{n}）", body, signature(body)))
        [(owners, spots, items)] = list(sections.each())
    assert owners == [3] and spots == [(0, 65_535, 70_000)]
    assert [text[1] for text in items[0]] == ["二、·（0）", "二、·（65535）", "二、·（70000）"]
