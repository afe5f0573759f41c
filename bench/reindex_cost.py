"""What re-indexing costs: a full build of a few thousand ANT releases, an unchanged re-run and
runs after small changes (some releases changed, added and removed), through `dalil reindex`'s
code path (generations, embedding cache, verification, publication).

    .venv/bin/python bench/reindex_cost.py [--releases 2000] [--encoders use-m3] [--changes 10]

Prints the seconds and ratios (unchanged / full must be <= 5 %; a small change should cost
about its share of the full build plus a fixed part) and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from paths import REPO, RESULTS

sys.path.insert(0, str(REPO))

from dalil.indexer.build.reindex import reindex  # noqa: E402
from dalil.indexer.build.runs import RunRecord  # noqa: E402
from dalil.indexer.generations.verify import verify_dir  # noqa: E402
from dalil.indexer.settings import Settings, SourceConfig, usable_cores  # noqa: E402
from dalil.indexer.store.layout import resolve  # noqa: E402

ANT = REPO.parent / "shared" / "data" / "news" / "ant-v2.1-arabic-news.jsonl.gz"


def load_records(path: Path, n: int) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        records = (json.loads(line) for line in handle if line.strip())
        return list(itertools.islice((r for r in records if r.get("text")), n))


def write_feed(feed: Path, records: list[dict]) -> None:
    feed.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )


def changed(records: list[dict], n: int, spare: list[dict], tag: str) -> list[dict]:
    """About ``n`` changes: n/2 releases edited (a paragraph appended), n/4 removed, n/4
    added from ``spare``."""
    edit, remove, add = max(1, n // 2), max(1, n // 4), max(1, n - n // 2 - n // 4)
    out = [dict(r) for r in records]
    for r in out[:edit]:
        r["text"] = r["text"] + f"\nفقرة جديدة أضيفت إلى هذا الخبر ({tag})."
    del out[edit : edit + remove]
    return out + spare[:add]


def timed(settings: Settings) -> tuple[float, RunRecord]:
    start = time.perf_counter()
    record = reindex(settings, trigger="bench")
    return time.perf_counter() - start, record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=2000)
    parser.add_argument("--encoders", default="use-m3")
    parser.add_argument("--changes", type=int, default=10, help="releases changed per small run")
    parser.add_argument("--data", type=Path, default=ANT)
    parser.add_argument("--threads", type=int, default=usable_cores())
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    pool = load_records(args.data, args.releases + 20 * args.changes)
    corpus, spare = pool[: args.releases], pool[args.releases :]
    with tempfile.TemporaryDirectory(prefix="dalil-reindex-bench-") as tmp:
        root = Path(tmp)
        feed = root / "feed" / "ant.jsonl"
        feed.parent.mkdir()
        write_feed(feed, corpus)
        settings = Settings.model_validate(
            {
                "index": root / "index",
                "encoders": args.encoders,
                "threads": args.threads,
                "sources": (
                    SourceConfig(path=str(root / "feed" / "*.jsonl"), delete_missing=True),
                ),
            }
        )
        runs: dict[str, tuple[float, RunRecord]] = {}
        runs["full"] = timed(settings)
        print(f"full build      {runs['full'][0]:8.2f} s  {runs['full'][1].summary()}")
        runs["unchanged"] = timed(settings)
        print(f"unchanged       {runs['unchanged'][0]:8.2f} s  {runs['unchanged'][1].summary()}")
        for label, n in (("small", args.changes), ("small_x10", args.changes * 10)):
            write_feed(feed, changed(corpus, n, spare, label))
            runs[label] = timed(settings)
            print(f"{label:<15} {runs[label][0]:8.2f} s  {runs[label][1].summary()}")
            print(f"                stages: {runs[label][1].stages_line()}")
            write_feed(feed, corpus)
            runs[f"{label}_revert"] = timed(settings)
        problems = verify_dir(resolve(root / "index"))

    full = runs["full"][0]
    encoders_load = runs["full"][1].stage_seconds.get("load_encoders", 0.0)
    ratios = {
        "unchanged_over_full": runs["unchanged"][0] / full,
        "small_over_full": runs["small"][0] / full,
        "small_x10_over_full": runs["small_x10"][0] / full,
        "small_x10_over_small": runs["small_x10"][0] / runs["small"][0],
    }
    print(
        f"\nunchanged / full = {ratios['unchanged_over_full']:.2%} (must be <= 5 %); "
        f"{args.changes} changes / full = {ratios['small_over_full']:.2%}; "
        f"{args.changes * 10} changes / full = {ratios['small_x10_over_full']:.2%}; "
        f"verify: {problems or 'ok'}"
    )
    result = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "releases": args.releases,
        "encoders": args.encoders,
        "threads": args.threads,
        "changes": args.changes,
        "cpu_count": os.cpu_count(),
        "load_avg": list(os.getloadavg()),
        "full_encoder_load_s": encoders_load,
        "seconds": {k: round(v[0], 3) for k, v in runs.items()},
        "runs": {k: v[1].to_json() for k, v in runs.items()},
        "ratios": {k: round(v, 4) for k, v in ratios.items()},
        "verify_problems": problems,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"reindex-cost-{stamp}.json"
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(REPO)}")
    return 0 if ratios["unchanged_over_full"] <= 0.05 and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
