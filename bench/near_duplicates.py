"""Near-duplicate clusters on real news: how many releases of the ANT file fold together at
each similarity threshold, with a sample of clusters to check by eye.

    .venv/bin/python bench/near_duplicates.py [--data ../shared/data] [--lines 3000]
        [--thresholds 0.5,0.6,0.7,0.8,0.9] [--show 8]

Reads the first ``--lines`` releases with dalil's own reader (ids, dates and sources as the
index stores them), signs them as the indexer does (:mod:`indexer.text.near_duplicates`) and
prints, per threshold, the clusters, the releases in them and how many clusters span several
sources or several dates; then, at the indexer's threshold, ``--show`` clusters with each
member's id, source, date, similarity to the cluster's first member and title.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

from paths import DEFAULT_DATA, news_file

from dalil.indexer.models import Release
from dalil.indexer.readers import read_sources
from dalil.indexer.text import near_duplicates as nd


def first_releases(news: Path, lines: int) -> list[Release]:
    import gzip

    with tempfile.TemporaryDirectory() as tmp:
        part = Path(tmp) / "part.jsonl"
        with gzip.open(news, "rt", encoding="utf-8") as src, part.open("w") as out:
            out.writelines(itertools.islice(src, lines))
        return [r for r in read_sources([part]) if isinstance(r, Release)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--lines", type=int, default=3000)
    parser.add_argument("--thresholds", default="0.5,0.6,0.7,0.8,0.9")
    parser.add_argument("--show", type=int, default=8)
    args = parser.parse_args()
    news = news_file(args.data)
    if news is None:
        return 0
    releases = first_releases(news, args.lines)
    by_id = {r.id: r for r in releases}
    start = time.perf_counter()
    signatures = {}
    for r in releases:
        sig = nd.signature(nd.release_text(r.title, r.paragraphs))
        if sig is not None:
            signatures[r.id] = sig
    signed = time.perf_counter() - start
    print(f"{len(releases)} releases, {len(signatures)} signed in {signed:.1f} s")
    head = ("threshold", 9), ("clusters", 9), ("releases", 9), ("multi-source", 13)
    print(" ".join(f"{name:>{width}}" for name, width in (*head, ("multi-date", 11), ("s", 6))))
    for t in (float(x) for x in args.thresholds.split(",")):
        start = time.perf_counter()
        groups = nd.pairs(nd.clusters(signatures, t))
        took = time.perf_counter() - start
        members = sum(len(g) for g in groups.values())
        sources = sum(len({by_id[m].source for m in g}) > 1 for g in groups.values())
        dates = sum(len({by_id[m].date for m in g}) > 1 for g in groups.values())
        print(f"{t:>9.2f} {len(groups):>9} {members:>9} {sources:>13} {dates:>11} {took:>6.2f}")
    groups = nd.pairs(nd.clusters(signatures))
    print(f"\nsample at the indexer's threshold {nd.THRESHOLD}:")
    for cluster, ids in list(groups.items())[: args.show]:
        print(f"\ncluster {cluster} ({len(ids)} releases)")
        for rid in ids:
            r = by_id[rid]
            sim = nd.similarity(signatures[ids[0]], signatures[rid])
            print(
                f"  {rid:<34} {r.source or '-':<12} {r.date or '-':<10} {sim:.2f}  {r.title[:70]}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
