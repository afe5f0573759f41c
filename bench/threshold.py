"""Calibrate the relevance threshold (:mod:`search.relevance`) on the XQuAD quality sets.

For every query of every set (each has one relevant release) and each of semantic and hybrid
mode, the releases' fused scores are read once (``Searcher.rank`` with a floor, exact), then
for each threshold in the sweep it counts:

- ``rel<``: the share of queries whose relevant release scores below the threshold (a
  relevant release that would not be counted as a match);
- ``irr>=``: irrelevant releases at or above it, per query (counted but not the answer; in
  XQuAD other paragraphs of the same article are often on the subject);
- ``absent>=``: releases at or above it when the relevant release is filtered out of the
  archive, per query: what "about N" says for a question the archive cannot answer.

    .venv/bin/python bench/threshold.py [--data ../shared/data] [--limit 60]
        [--sets ar>ar,en>ar,en>en,ar>ar+news,en>ar+news,mix:en>ar]
        [--encoders use-m3] [--cache bench/results/embeddings.sqlite]

Rerun it after any change to the fusion formula and move :data:`search.relevance.THRESHOLDS`
to the row that keeps ``rel<`` small and ``absent>=`` low; the current value is marked ``*``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from paths import DEFAULT_DATA, NEWS, RESULTS

from dalil.indexer.build.pipeline import apply_releases
from dalil.indexer.encoders.embedding import load_encoders
from dalil.indexer.models import Filters
from dalil.indexer.settings import Settings
from dalil.indexer.store.index import Index
from dalil.search.engine import Searcher
from dalil.search.evaluation.runner import CachingEncoder, EmbeddingCache
from dalil.search.evaluation.sets import build_sets, iter_archive_sets, limited
from dalil.search.relevance import THRESHOLDS

MODES = ("semantic", "hybrid")
SWEEP = tuple(x / 4 for x in range(2, 17))  # 0.5 .. 4.0
DEFAULT_SETS = "ar>ar,en>ar,en>en,ar>ar+news,en>ar+news,mix:en>ar,mix:ar>en"


def scores(searcher: Searcher, text: str, vectors: dict, mode: str, filters: Filters) -> dict:
    ranked = searcher.rank(text, vectors, mode, None, filters, 0, floor=min(SWEEP))  # type: ignore[arg-type]
    return {g.release_id: g.score for g in ranked.releases}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=60, help="queries per set")
    parser.add_argument("--sets", default=DEFAULT_SETS)
    parser.add_argument("--encoders", default="use-m3")
    parser.add_argument("--cache", type=Path, default=RESULTS / "embeddings.sqlite")
    args = parser.parse_args()
    xquad, news = args.data / "xquad", args.data / NEWS
    if not (xquad / "xquad.ar.json").is_file() or not news.is_file():
        print(f"skipped: XQuAD or the ANT file not under {args.data}", file=sys.stderr)
        return 0
    archives, sets = build_sets(xquad, news)
    wanted = {s.strip() for s in args.sets.split(",") if s.strip()}
    sets = [s for s in sets if s.name in wanted]
    settings = Settings.model_validate({"encoders": args.encoders, "threads": 2})
    cache = EmbeddingCache(args.cache)
    encoders = {
        n: CachingEncoder(e, cache)
        for n, e in load_encoders(args.encoders.split(","), threads=2).items()
    }
    # per mode and threshold: [queries, relevant below, irrelevant above, absent above]
    table = {m: {t: [0, 0, 0, 0] for t in SWEEP} for m in MODES}
    names = ", ".join(sorted(wanted))
    print(f"# encoders {args.encoders}; {args.limit} queries per set; sets {names}")
    for name, releases, archive_sets in iter_archive_sets(archives, sets):
        with tempfile.TemporaryDirectory(prefix="dalil-threshold-") as tmp:
            index = Index.create(Path(tmp) / "index", encoders)
            try:
                apply_releases(index, encoders, settings, releases)
                searcher = Searcher(index, encoders, settings)
                for qs in archive_sets:
                    measure(searcher, encoders, limited(qs.queries, args.limit), table)
                    print(f"# {qs.name} on {name}: done", flush=True)
            finally:
                index.close()
    cache.close()
    print_table(table)
    return 0


def measure(searcher: Searcher, encoders: dict, queries: Sequence, table: dict) -> None:
    texts = [q.text for q in queries]
    matrices = {n: e.encode_queries(texts) for n, e in encoders.items()}
    for i, q in enumerate(queries):
        vectors = {n: m[i] for n, m in matrices.items()}
        for mode in MODES:
            found = scores(searcher, q.text, vectors, mode, Filters())
            absent = scores(
                searcher, q.text, vectors, mode, Filters(without=frozenset({q.relevant}))
            )
            relevant = found.get(q.relevant, float("-inf"))
            for t, row in table[mode].items():
                row[0] += 1
                row[1] += relevant < t
                row[2] += sum(1 for r, s in found.items() if s >= t and r != q.relevant)
                row[3] += sum(1 for s in absent.values() if s >= t)


def print_table(table: dict) -> None:
    for mode, rows in table.items():
        print(f"\n## {mode} (current threshold {THRESHOLDS[mode]})")
        print(f"{'threshold':>10}{'rel<':>8}{'irr>=':>8}{'absent>=':>10}")
        for t, (n, below, above, absent) in rows.items():
            mark = " *" if abs(t - THRESHOLDS[mode]) < 1e-9 else ""
            print(f"{t:>10.2f}{below / n:>8.1%}{above / n:>8.1f}{absent / n:>10.1f}{mark}")


if __name__ == "__main__":
    sys.exit(main())
