"""Where a replica's exact FAISS scan stops meeting the latency targets: single-query search
time of dalil's vector store types against the number of vectors, and the recall@10 of the
approximate alternatives (HNSW, IVF) against exact search, measured in one run.

    .venv/bin/python bench/scan_limits.py --dim 512 --sizes 100000 200000 400000 800000

Vectors are synthetic (a mixture of Gaussian clusters, L2-normalised, float32): a scan's time
does not depend on the values, but recall does, so recall here is indicative only (the
recall of IVF / SQfp16 on real use-m3 vectors is in docs/benchmarks.md). Every search runs
one query at a time on one thread, as a server's queries do. Prints a table and writes JSON
to bench/results/scan_limits-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime

import faiss
import numpy as np
from paths import RESULTS


def data(n: int, dim: int, rng: np.random.Generator, clusters: int = 2000) -> np.ndarray:
    centres = rng.standard_normal((clusters, dim), dtype=np.float32)
    x = centres[rng.integers(0, clusters, n)] + 0.6 * rng.standard_normal((n, dim), np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def per_query_ms(index: faiss.Index, queries: np.ndarray, k: int = 10) -> tuple[float, float]:
    times = []
    for q in queries:
        start = time.perf_counter()
        index.search(q[None, :], k)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def recall(index: faiss.Index, queries: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    _, got = index.search(queries, k)
    return float(np.mean([len(set(g) & set(t)) / k for g, t in zip(got, truth, strict=True)]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 200_000, 400_000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--approx-at", type=int, default=200_000, help="size for HNSW / IVF")
    args = parser.parse_args(argv)
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(7)
    load_before = os.getloadavg()
    rows = []
    queries = data(args.queries, args.dim, rng)
    for n in args.sizes:
        x = data(n, args.dim, rng)
        for kind in ("Flat", "SQfp16"):
            index = faiss.index_factory(args.dim, kind, faiss.METRIC_INNER_PRODUCT)
            index.train(x)
            index.add(x)
            p50, p95 = per_query_ms(index, queries)
            rows.append({"vectors": n, "index": kind, "p50_ms": round(p50, 2),
                         "p95_ms": round(p95, 2), "recall@10": 1.0 if kind == "Flat" else None,
                         "bytes_per_vector": args.dim * (4 if kind == "Flat" else 2)})  # fmt: skip
            if kind == "SQfp16":
                flat = faiss.IndexFlatIP(args.dim)
                flat.add(x)
                _, truth = flat.search(queries, 10)
                rows[-1]["recall@10"] = round(recall(index, queries, truth), 4)
            print(json.dumps(rows[-1]))
            del index
        if n == args.approx_at:
            flat = faiss.IndexFlatIP(args.dim)
            flat.add(x)
            _, truth = flat.search(queries, 10)
            hnsw = faiss.IndexHNSWFlat(args.dim, 32, faiss.METRIC_INNER_PRODUCT)
            start = time.perf_counter()
            hnsw.add(x)
            build = time.perf_counter() - start
            for ef in (32, 64, 128):
                hnsw.hnsw.efSearch = ef
                p50, p95 = per_query_ms(hnsw, queries)
                rows.append({"vectors": n, "index": f"HNSW32 efSearch {ef}",
                             "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
                             "recall@10": round(recall(hnsw, queries, truth), 4),
                             "build_s": round(build, 1)})  # fmt: skip
                print(json.dumps(rows[-1]))
            del hnsw
            quantizer = faiss.IndexFlatIP(args.dim)
            ivf = faiss.IndexIVFFlat(quantizer, args.dim, 1024, faiss.METRIC_INNER_PRODUCT)
            ivf.train(x[:50_000])
            ivf.add(x)
            for nprobe in (16, 64):
                ivf.nprobe = nprobe
                p50, p95 = per_query_ms(ivf, queries)
                rows.append({"vectors": n, "index": f"IVF1024 nprobe {nprobe}",
                             "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
                             "recall@10": round(recall(ivf, queries, truth), 4)})  # fmt: skip
                print(json.dumps(rows[-1]))
            del ivf
        del x
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "dim": args.dim,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "rows": rows,
    }
    print("\n| vectors | index | p50 ms | p95 ms | recall@10 |\n|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['vectors']:,} | {r['index']} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['recall@10']} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"scan_limits-{stamp}.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
