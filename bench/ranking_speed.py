"""In-process cost of the ranking formula (calibration, weights, fused scores, grouping) per
query, over saved candidate snapshots (``dalil eval --snapshots DIR``); retrieval is not
included. Runs with whichever checkout is on PYTHONPATH, so old and new code can be timed on
the same snapshots.

.venv/bin/python bench/ranking_speed.py DIR [--sets a,b] [--repeat 3] [--keyword-news ANT.jsonl.gz]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

try:
    from dalil.search.evaluation.snapshots import load, rank_snapshot
except ImportError:  # a checkout from before the dalil namespace
    from search.eval_snapshot import load, rank_snapshot  # type: ignore[no-redef]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=Path)
    parser.add_argument("--sets")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keyword-news", type=Path, help="also time keyword search (ANT file)")
    args = parser.parse_args()
    if args.keyword_news:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            keyword_cost(args.keyword_news, 1000, Path(tmp))
    files = sorted(args.dir.glob("*.pkl"))
    if args.sets:
        files = [f for f in files if f.stem in args.sets.split(",")]
    for path in files:
        snaps = load(path)
        times = []
        candidates = []
        for snap in snaps:
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                rank_snapshot(snap, "hybrid")
                best = min(best, time.perf_counter() - start)
            times.append(best * 1000)
            candidates.append(len(snap.group_of))
        q = statistics.quantiles(times, n=20)
        print(
            f"{path.stem:<16} {len(snaps):>5} queries, {statistics.median(candidates):>5.0f}"
            f" candidates: p50 {statistics.median(times):.2f} ms, p95 {q[18]:.2f} ms",
            flush=True,
        )
    return 0


def keyword_cost(news: Path, articles: int, tmp: Path) -> None:
    """Keyword search time with and without the light-form fields, on the headline set's
    archive (headlines as queries)."""
    from dalil.indexer.models import StoredParagraph
    from dalil.indexer.store.keyword_fields import build_schema
    from dalil.indexer.store.keyword_store import KeywordStore
    from dalil.search.evaluation.more_sets import headline_set

    releases, queries = headline_set(news, articles)
    paragraphs = [
        StoredParagraph(i * 10 + j, r.id, j, text, "", None, None, "ar", None)
        for i, r in enumerate(releases)
        for j, text in enumerate(r.paragraphs)
    ]
    for light in (False, True):
        from whoosh import index as whoosh_index

        path = tmp / f"kw-{light}"
        path.mkdir(parents=True, exist_ok=True)
        whoosh_index.create_in(str(path), build_schema(light=light))
        store = KeywordStore.open(path)
        with store.writer() as w:
            w.add(paragraphs)
        store.warm()
        times = []
        for q in queries.queries:
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                store.search(q.text, 100)
                best = min(best, time.perf_counter() - start)
            times.append(best * 1000)
        store.close()
        print(
            f"keyword search, light fields {'on ' if light else 'off'}: {len(paragraphs)}"
            f" paragraphs, p50 {statistics.median(times):.2f} ms,"
            f" p95 {statistics.quantiles(times, n=20)[18]:.2f} ms"
        )


if __name__ == "__main__":
    sys.exit(main())
