"""Copied narrative among many agencies (batch): exact and near copies found, others not,
without comparing every pair."""

from __future__ import annotations

import random

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


def test_different_sections_are_not_compared() -> None:
    body = normalise(text(random.Random(1)))
    a = (("overview/监督保障", "（五）监督保障", body, similar.signature(body)),)
    b = (("problems/改进情况", "（二）改进情况", body, similar.signature(body)),)
    assert similar.similar_pairs([a, b]) == []
