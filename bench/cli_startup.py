"""`dalil search` from the command line: wall and CPU time per mode, and where start-up goes.

Two measurements, each in fresh processes (nothing cached in the interpreter):

* the real command, ``python -m dalil.web.cli.main search QUERY --mode M`` (``--runs``
  times per mode, queries cycled): wall time, CPU time (user + system of the process) and the
  query time it prints; plus an argument error (``-k 500``), which must fail before anything
  is opened;
* a breakdown of the same steps with dalil's own functions: imports (the CLI, then the
  search engine), opening the index, loading the encoders, one query.

On a shared machine wall time mostly measures waiting for a core: compare CPU times, and
read the load average printed with the table.

    .venv/bin/python bench/cli_startup.py --index /tmp/ix-3000 [--runs 5]

Writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from paths import REPO, RESULTS

QUERIES = ("الأمن الغذائي", "أسعار النفط", "energy security", "كأس العالم", "الانتخابات")
MODES = ("keyword", "semantic", "hybrid")
TOOK = re.compile(r"\((?:keyword|semantic|hybrid), (\d+) ms\)")

BREAKDOWN = r"""
import json, sys, time
t0 = time.perf_counter()
import dalil.web.cli.main
t1 = time.perf_counter()
import dalil.search.engine as engine
from dalil.indexer.encoders.embedding import load_encoders
from dalil.indexer.store.index import Index
from dalil.search.models import Query
t2 = time.perf_counter()
index = Index.open(sys.argv[1])
t3 = time.perf_counter()
encoders = {}
if sys.argv[2] != "keyword":
    encoders = load_encoders(list(index.manifest.encoder_names), threads=1)
t4 = time.perf_counter()
searcher = engine.Searcher.__new__(engine.Searcher)
if sys.argv[2] == "keyword":  # no encoder: stand-ins that are never called
    from dalil.indexer.encoders.lazy import lazy_encoders
    encoders = lazy_encoders(dict(index.manifest.encoders), threads=1)
searcher.__init__(index, encoders)
searcher.search(Query(text=sys.argv[3], mode=sys.argv[2], k=10))
t5 = time.perf_counter()
print(json.dumps({"import_cli": t1 - t0, "import_engine": t2 - t1, "open_index": t3 - t2,
                  "load_encoders": t4 - t3, "query": t5 - t4}))
"""


def run_timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str, int]:
    """(wall s, CPU s, stdout, exit status) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALIL_")}
    env["DALIL_CONFIG"] = "/nonexistent/dalil.toml"
    py = sys.executable
    rows = []
    load_before = os.getloadavg()[0]
    for mode in args.modes.split(","):
        walls, cpus, tooks = [], [], []
        for i in range(args.runs):
            query = QUERIES[i % len(QUERIES)]
            argv = [py, "-m", "dalil.web.cli.main", "search", query, "--index", str(args.index)]
            wall, cpu, out, code = run_timed([*argv, "--mode", mode], env)
            if code != 0:
                print(f"search failed ({code}): {out}", file=sys.stderr)
                return 1
            walls.append(wall)
            cpus.append(cpu)
            took = TOOK.search(out)
            tooks.append(float(took.group(1)) if took else float("nan"))
        parts = []
        for i in range(args.runs):
            query = QUERIES[i % len(QUERIES)]
            _, _, out, code = run_timed([py, "-c", BREAKDOWN, str(args.index), mode, query], env)
            if code == 0:
                parts.append(json.loads(out.strip().splitlines()[-1]))
        breakdown = {k: statistics.median(p[k] for p in parts) for k in parts[0]} if parts else {}
        rows.append(
            {
                "mode": mode,
                "wall": statistics.mean(walls),
                "cpu": statistics.mean(cpus),
                "query_ms": statistics.mean(tooks),
                "breakdown": breakdown,
            }
        )
    bad_wall, bad_cpu, _, bad_code = run_timed(
        [py, "-m", "dalil.web.cli.main", "search", "x", "-k", "500", "--index", str(args.index)],
        env,
    )
    load_after = os.getloadavg()[0]
    print(
        f"index {args.index}, {args.runs} runs per mode, load average {load_before:.1f} "
        f"before, {load_after:.1f} after, {len(os.sched_getaffinity(0))} usable cores"
    )
    print(
        f"{'mode':<9} {'wall s':>7} {'CPU s':>6} {'query ms':>8} | median breakdown, s: "
        "import CLI / import engine / open index / load encoders / query"
    )
    for row in rows:
        b = row["breakdown"]
        parts = " / ".join(
            f"{b.get(k, float('nan')):.2f}"
            for k in ("import_cli", "import_engine", "open_index", "load_encoders", "query")
        )
        print(
            f"{row['mode']:<9} {row['wall']:>7.2f} {row['cpu']:>6.2f} {row['query_ms']:>8.0f} "
            f"| {parts}"
        )
    print(f"-k 500: exit {bad_code} after {bad_wall:.2f} s wall, {bad_cpu:.2f} s CPU")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"cli-startup-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "index": str(args.index),
                "rows": rows,
                "load": [load_before, load_after],
                "bad_k": [bad_wall, bad_cpu, bad_code],
            },
            indent=1,
        )
    )
    print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
