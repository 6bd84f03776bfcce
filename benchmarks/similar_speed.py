"""Copied narrative among N agencies: similar.similar_pairs (exact hash + MinHash buckets)
against comparing every pair with difflib, side by side.

Each synthetic agency has 8 sections of ~150 characters drawn from a small vocabulary of report
phrases (so unrelated texts share many words, as real reports do); 1% of the agencies copy
another's section and 1% copy it with a few characters changed. Every pair is compared only up
to --naive-max agencies (it grows with N²); beyond, its time is extrapolated from that size.

    python benchmarks/similar_speed.py              # 500, 1000, 2000 agencies
    python benchmarks/similar_speed.py -n 5000
"""

from __future__ import annotations

import argparse
import random
import time

from docx_report import similar
from docx_report.textchecks import normalise, similarity

WORDS = ["政务公开", "主动公开", "依申请公开", "政策解读", "平台建设", "监督保障", "信息管理",
         "门户网站", "政务新媒体", "保密审查", "公开目录", "回应关切", "基层政务", "公开指南",
         "培训", "考核", "督查", "整改", "栏目", "专题", "意见", "办理", "答复", "规范", "标准",
         "制度", "机制", "流程", "质量", "时效", "群众", "企业", "社会", "评议", "责任", "落实"]


def agencies(n: int, seed: int = 1) -> list[list[str]]:
    rng = random.Random(seed)

    def text() -> str:
        return normalise("，".join("".join(rng.choice(WORDS) for _ in range(4))
                                  for _ in range(12)))

    result = [[text() for _ in range(8)] for _ in range(n)]
    for i in rng.sample(range(n), max(1, n // 50)):
        j, s = rng.randrange(n), rng.randrange(8)
        if i % 2:
            result[i][s] = result[j][s]
        else:
            chars = list(result[j][s])
            chars[10] = chars[70] = "改"
            result[i][s] = "".join(chars)
    return result


def items(texts: list[list[str]]) -> list[tuple[similar.Text, ...]]:
    return [tuple((f"s{k}", f"第{k}节", t, similar.signature(t)) for k, t in enumerate(sections))
            for sections in texts]


def naive(texts: list[list[str]], ratio: float = 0.9) -> int:
    found = 0
    for a in range(len(texts)):
        for b in range(a + 1, len(texts)):
            found += sum(similarity(x, y) >= ratio for x, y in zip(texts[a], texts[b],
                                                                  strict=True))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, nargs="*", default=[500, 1000, 2000])
    parser.add_argument("--naive-max", type=int, default=300)
    args = parser.parse_args()
    start = time.perf_counter()
    sample = agencies(args.naive_max)
    expected = naive(sample)
    naive_time = time.perf_counter() - start
    assert len(similar.similar_pairs(items(sample))) == expected
    print(f"{'agencies':>9} {'signatures s':>13} {'similar_pairs s':>16} {'pairs':>6} "
          f"{'every pair s':>14}")
    for n in args.n:
        texts = agencies(n)
        started = time.perf_counter()
        prepared = items(texts)  # done by the batch workers, in parallel
        signed = time.perf_counter() - started
        started = time.perf_counter()
        pairs = similar.similar_pairs(prepared)
        took = time.perf_counter() - started
        every = naive_time * (n / args.naive_max) ** 2
        note = "" if n <= args.naive_max else " (extrapolated)"
        print(f"{n:>9} {signed:>13.2f} {took:>16.2f} {len(pairs):>6} {every:>14.1f}{note}")


if __name__ == "__main__":
    main()
