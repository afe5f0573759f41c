"""Ranking experiments over saved candidate snapshots (``dalil eval --snapshots DIR``).

.venv/bin/python bench/ranking_lab.py DIR [--encoders use-m3] [--methods keyword,hybrid]

Re-scores every saved query with each method in seconds (no index, no encoders) and prints
nDCG@10 per set and method. Snapshots taken with the default encoders also serve the
one-encoder configurations: ``--encoders`` drops the other encoder's lists and scores.

When keyword, semantic and hybrid are all listed, each row ends with hybrid's gap to the
better of the two and the paired test's p-value (as ``dalil eval`` prints it). ``--oracle``
adds a column: the mean over queries of the best of the listed methods *for that query*, an
upper bound (it knows the answer) on any choice between them -- a target above it is out of
reach of these lists, however the choice is made.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

try:
    from dalil.search.evaluation.baselines import rrf
    from dalil.search.evaluation.sets import mean_metrics, query_metrics
    from dalil.search.evaluation.snapshots import Snapshot, load, rank_snapshot
    from dalil.search.grouping import group_by_release
except ImportError:  # a checkout from before the dalil namespace (for "before" figures)
    from search.baselines import rrf  # type: ignore[no-redef]
    from search.eval_snapshot import Snapshot, load, rank_snapshot  # type: ignore[no-redef]

    from search.evaluation import mean_metrics, query_metrics  # type: ignore[no-redef]
    from search.grouping import group_by_release  # type: ignore[no-redef]

Method = Callable[[Snapshot], list[str]]


def only(snap: Snapshot, encoders: list[str]) -> Snapshot:
    return replace(
        snap,
        dense={n: d for n, d in snap.dense.items() if n in encoders},
        raw={n: r for n, r in snap.raw.items() if n in encoders},
    )


def rrf_method(snap: Snapshot) -> list[str]:
    lists = [snap.keyword.ranking[:100]]
    for d in snap.dense.values():
        merged = sorted((p for r in d.groups.values() for p in r), key=lambda p: -p[1])
        lists.append(merged[:100])
    fused = rrf(lists, k=60)
    fused = [(d, s) for d, s in fused if d in snap.release_of]
    return [g.release_id for g in group_by_release(fused, dict(snap.release_of))[:10]]


def methods() -> dict[str, Method]:
    out: dict[str, Method] = {
        "keyword": lambda s: rank_snapshot(s, "keyword"),
        "semantic": lambda s: rank_snapshot(s, "semantic"),
        "rrf60": rrf_method,
        "fixed2/3": lambda s: rank_snapshot(s, "hybrid", 2 / 3),
        "hybrid": lambda s: rank_snapshot(s, "hybrid"),
    }
    try:
        import lab_variants  # type: ignore[import-not-found]  # local experiments, optional

        out |= lab_variants.METHODS
    except ImportError:
        pass
    return out


def versus(per_query: dict[str, list[float]]) -> str:
    """Hybrid's gap to the better of keyword and semantic, with its p-value ('' when a
    method is missing)."""
    if not {"keyword", "semantic", "hybrid"} <= per_query.keys():
        return ""
    from dalil.search.evaluation.significance import paired_difference

    better = max(("keyword", "semantic"), key=lambda m: sum(per_query[m]))
    diff = paired_difference(per_query["hybrid"], per_query[better])
    return f"   hybrid vs {better} {diff.gap:+.4f} ({diff.describe()})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=Path)
    parser.add_argument("--encoders")
    parser.add_argument("--methods")
    parser.add_argument("--sets")
    parser.add_argument("--metric", default="ndcg@10")
    parser.add_argument("--json", type=Path, help="write every metric of every row here")
    parser.add_argument(
        "--oracle", action="store_true", help="add the per-query best of the listed methods"
    )
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    table = methods()
    names = args.methods.split(",") if args.methods else list(table)
    files = sorted(args.dir.glob("*.pkl"))
    if args.sets:
        files = [f for f in files if f.stem in args.sets.split(",")]
    oracle = ["oracle"] if args.oracle else []
    print(f"{'set':<16}{'n':>6}" + "".join(f"{m[:10]:>11}" for m in names + oracle))
    for path in files:
        snaps = load(path)
        if args.encoders:
            snaps = [only(s, args.encoders.split(",")) for s in snaps]
        start = time.perf_counter()
        row = []
        results[path.stem] = {}
        per_query: dict[str, list[float]] = {}
        for m in names:
            rows = [query_metrics(table[m](s), s.relevant) for s in snaps]
            results[path.stem][m] = mean_metrics(rows) | {"queries": len(snaps)}
            row.append(results[path.stem][m][args.metric])
            per_query[m] = [r[args.metric] for r in rows]
        if args.oracle:
            row.append(sum(map(max, zip(*per_query.values(), strict=True))) / max(1, len(snaps)))
        line = f"{path.stem:<16}{len(snaps):>6}" + "".join(f"{v:>11.3f}" for v in row)
        print(line + versus(per_query) + f"   ({time.perf_counter() - start:.0f} s)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
