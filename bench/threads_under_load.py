"""Encoder threads when the machine is shared: 1 thread against N (and the default) with and
without a competing CPU load, runs alternated so both see the same machine.

Each measurement is a fresh process that loads the encoder and encodes the same paragraphs
(``--n`` ANT paragraphs, batches of 32) and reports its wall time and the CPU time its
threads spent (user + system) per paragraph. The competing load is ``--busy`` processes
spinning on the CPU (default: one per usable core), started before and stopped after each
loaded run. Settings:

* ``1`` / ``N``: a fixed thread count (N = usable cores), every batch on that many threads;
* ``default``: what dalil does by default: up to N threads, fewer when other processes keep
  cores busy (``dalil.indexer.encoders.base.SharedCores``);
* ``... +spin``: the same with ``OMP_WAIT_POLICY=ACTIVE`` (OpenMP threads spin while they
  wait, the libgomp default that dalil overrides).

    .venv/bin/python bench/threads_under_load.py --encoder use-m3 --n 300 --rounds 2

Prints a table (median over rounds) and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from paths import DEFAULT_DATA, REPO, RESULTS, news_file

SPIN = "while True: pass"


def child(encoder_name: str, n: int, threads: str) -> None:
    """Encode ``n`` paragraphs and print {"wall", "cpu", "n"} as JSON."""
    from encoders import read_paragraphs

    from dalil.indexer.encoders.embedding import encode_passages, load_encoder
    from dalil.indexer.settings import usable_cores

    news = news_file(DEFAULT_DATA)
    assert news is not None
    texts = read_paragraphs(news, n)
    count = usable_cores() if threads == "default" else int(threads)
    if threads != "default":  # a fixed count: without dalil's adaptation to free cores
        from dalil.indexer.encoders import base

        base._shared.free = lambda: None  # type: ignore[method-assign]
    encoder = load_encoder(encoder_name, threads=count)
    encode_passages(encoder, texts[:32], 32)  # warm-up
    start, cpu0 = time.perf_counter(), os.times()
    encode_passages(encoder, texts, 32)
    cpu1 = os.times()
    wall = time.perf_counter() - start
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    print(json.dumps({"wall": wall, "cpu": cpu, "n": len(texts)}))


def measure(encoder: str, n: int, threads: str, spin: bool) -> dict[str, float]:
    env = dict(os.environ)
    if spin:
        env["OMP_WAIT_POLICY"] = "ACTIVE"
    out = subprocess.run(
        [sys.executable, __file__, "--child", encoder, str(n), threads],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", default="use-m3")
    parser.add_argument("--n", type=int, default=300, help="paragraphs per run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--busy", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--settings", default="1,N,default", help="e.g. 1,N,default,N+spin")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return 0
    if news_file(DEFAULT_DATA) is None:
        return 0
    cores = len(os.sched_getaffinity(0))
    settings = [s.replace("N", str(cores)) for s in args.settings.split(",")]
    rows: dict[tuple[str, str], list[dict[str, float]]] = {}
    loads = []
    for _ in range(args.rounds):
        for loaded in (False, True):
            busy = [
                subprocess.Popen([sys.executable, "-c", SPIN])
                for _ in range(args.busy if loaded else 0)
            ]
            try:
                for setting in settings:
                    threads, _, spin = setting.partition("+")
                    loads.append(os.getloadavg()[0])
                    result = measure(args.encoder, args.n, threads, spin == "spin")
                    rows.setdefault((setting, "loaded" if loaded else "as is"), []).append(result)
            finally:
                for process in busy:
                    process.kill()
                    process.wait()
    print(
        f"{args.encoder}, {args.n} paragraphs, {cores} usable cores, load average "
        f"{min(loads):.1f}-{max(loads):.1f} before runs; loaded = +{args.busy} spinning processes"
    )
    print(f"{'threads':<12} {'machine':<8} {'wall s':>8} {'para/s':>8} {'CPU ms/para':>12}")
    table = []
    for (setting, machine), results in rows.items():
        wall = statistics.median(r["wall"] for r in results)
        cpu = statistics.median(r["cpu"] for r in results)
        n = results[0]["n"]
        table.append(
            {
                "threads": setting,
                "machine": machine,
                "wall": wall,
                "cpu": cpu,
                "n": n,
                "runs": results,
            }
        )
        print(f"{setting:<12} {machine:<8} {wall:>8.1f} {n / wall:>8.1f} {1000 * cpu / n:>12.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"threads-{args.encoder}-{stamp}.json"
    path.write_text(
        json.dumps(
            {"encoder": args.encoder, "cores": cores, "loads": loads, "rows": table}, indent=1
        )
    )
    print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
