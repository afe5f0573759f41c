"""Keyword search in one process: dalil's numpy BM25F (``KeywordStore.search``) against
Whoosh's own matchers on the same index and queries, and whether their rankings agree.

    .venv/bin/python bench/keyword_speed.py --index DIR [--limit 100] [--runs 3]

Queries: the fixed list of bench/query_speed.py. Each query runs once per side per run,
alternating sides (so both see the same load); the table reports the median over runs of
p50 / p95 / max. Agreement: per query, the same paragraphs in the top ``--limit`` with scores
equal to 1e-9, and how many queries order equal scores differently. Writes JSON to
bench/results/keyword_speed-<paragraphs>-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from paths import DEFAULT_DATA, REPO, RESULTS, news_file
from query_speed import queries

sys.path.insert(0, str(REPO))

from dalil.indexer.store.keyword_store import KeywordStore  # noqa: E402
from dalil.indexer.store.layout import resolve  # noqa: E402


def whoosh_search(store: KeywordStore, text: str, limit: int) -> list[tuple[int, float]]:
    """The query dalil searches with, run by Whoosh's own BM25F matchers."""
    q = store.whoosh_query(text)
    if q is None:
        return []
    searcher = store._current_searcher()
    results = searcher.search(q, limit=limit)
    pids = searcher.reader().column_reader("pid")
    return [(int(pids[d]), float(s)) for s, d in results.top_n]


def stats(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "max_ms": round(max(ms), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="index root")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    news = news_file(args.data)
    if news is None:
        return 0
    texts = queries(news)
    store = KeywordStore.open(resolve(args.index) / "whoosh")
    store.warm()
    for text in texts[:10]:  # warm-up, both sides
        store.search(text, args.limit)
        whoosh_search(store, text, args.limit)
    runs: dict[str, list[dict[str, float]]] = {"whoosh": [], "dalil": []}
    same = tie_order = differ = 0
    for run in range(args.runs):
        times: dict[str, list[float]] = {"whoosh": [], "dalil": []}
        for text in texts:
            start = time.perf_counter()
            theirs = whoosh_search(store, text, args.limit)
            times["whoosh"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            ours = store.search(text, args.limit)
            times["dalil"].append((time.perf_counter() - start) * 1000)
            if run == 0:
                scores_equal = len(ours) == len(theirs) and np.allclose(
                    [s for _, s in ours], [s for _, s in theirs], rtol=0, atol=1e-9
                )
                if scores_equal and [p for p, _ in ours] == [p for p, _ in theirs]:
                    same += 1
                elif scores_equal and {p for p, _ in ours} == {p for p, _ in theirs}:
                    tie_order += 1
                else:
                    differ += 1
        for side in runs:
            runs[side].append(stats(times[side]))
    paragraphs = store.count()
    store.close()
    summary = {
        side: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for side, rs in runs.items()
    }
    result = {
        "paragraphs": paragraphs,
        "queries": len(texts),
        "limit": args.limit,
        "runs": args.runs,
        "median_of_runs": summary,
        "per_run": runs,
        "agreement": {"identical": same, "equal_scores_tie_order": tie_order, "differ": differ},
    }
    print(f"{len(texts)} queries, top {args.limit}, {paragraphs:,} paragraphs, {args.runs} runs")
    print("| matcher | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    for side, label in (("whoosh", "Whoosh's matchers"), ("dalil", "dalil numpy BM25F")):
        s = summary[side]
        print(f"| {label} | {s['p50_ms']} | {s['p95_ms']} | {s['max_ms']} |")
    print(
        f"rankings: {same} identical, {tie_order} equal but tied paragraphs ordered "
        f"differently, {differ} different"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"keyword_speed-{paragraphs}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
