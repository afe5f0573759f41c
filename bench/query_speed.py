"""Query latency over HTTP against a real ``dalil serve``, and FAISS recall against exact search.

    .venv/bin/python bench/query_speed.py --index DIR [--modes keyword,semantic,hybrid]
                                          [--concurrency 8] [--threads 2] [--no-recall]

1. Queries (fixed, deterministic, >= 200): titles of the *last* articles of the ANT file
   (held back from every slice index built by bench/index_speed.py; inside the full-file
   index), whole and cut to their first three words, plus a fixed list of English news
   queries. :func:`queries` prints nothing random: the same list every run.
2. ``dalil serve --index DIR`` is started on 127.0.0.1 on a free port; the benchmark waits for
   /api/health. 10 warm-up queries per mode, then every query once per mode, one at a time
   (sequential), then every query of each mode again with ``--concurrency`` client threads
   at once (``--concurrent-modes``, default all three). Latency is
   the client's wall time of ``GET /api/search?q=..&mode=..&k=10``; any status other than
   200 or any exception is an error.
3. Filtered (unless ``--no-filters``): for each of a few fixed filters (a language, a
   quarter, everything since a date, a section), the first query that uses it (hybrid:
   nothing is cached for that filter yet), then 40 of the queries with it in each mode.
4. Server memory: VmRSS and VmHWM (peak) of the server process after the runs.
5. Recall (unless ``--no-recall``; after the server is stopped): for each encoder, the query
   vectors of the same queries searched in the index's FAISS store as served (IVF above the
   size threshold) against exact inner-product search over the same vectors: recall@10, and
   recall at a few other ``nprobe`` values for IVF stores.

Prints tables and writes JSON to bench/results/query_speed-<paragraphs>-<time>.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from paths import DEFAULT_DATA, REPO, RESULTS, news_file
from served import Server, proc_memory, run_queries, summary

sys.path.insert(0, str(REPO))

HELD_BACK = 120  # articles at the end of the file whose titles become queries

ENGLISH = [
    "oil prices OPEC production cut",
    "Saudi Arabia economic reforms",
    "Egypt presidential election results",
    "World Cup qualifiers national team",
    "Syria ceasefire talks in Geneva",
    "Iran nuclear deal sanctions",
    "Gulf cooperation council summit",
    "unemployment rate among young people",
    "new cancer treatment study",
    "Dubai real estate market",
    "refugees crossing the Mediterranean",
    "Lebanon government formation crisis",
    "stock market falls after interest rate rise",
    "film festival award winners",
    "Yemen humanitarian aid",
    "Qatar diplomatic crisis blockade",
    "smartphone sales Apple Samsung",
    "tourism revenue Morocco",
    "terror attack killed soldiers",
    "climate change drought water shortage",
    "Iraq elections parliament",
    "Trump Jerusalem embassy decision",
    "football transfer Real Madrid",
    "women driving ban lifted",
    "electric cars market growth",
    "vaccination campaign children",
    "Turkey military operation in Afrin",
    "central bank currency devaluation",
    "archaeological discovery ancient tomb",
    "singer concert cancelled",
    "Libya oil fields clashes",
    "Palestinian prisoners hunger strike",
    "Ramadan prices of food",
    "internet social media regulation",
    "budget deficit and public debt",
    "Emirates airline new route",
    "earthquake casualties",
    "university admission exams",
    "Russian air strikes",
    "Jordan protests against tax law",
    "Algeria president health",
    "Tunisia tourism recovery",
    "Kuwait parliament dissolved",
    "Bahrain NATO cooperation",
    "gold price record high",
    "heart disease and diet",
    "Israeli settlements West Bank",
    "Oman economic diversification",
    "Sudan bread protests",
    "Mohamed Salah Liverpool goal",
]


def queries(news: Path, held_back: int = HELD_BACK) -> list[str]:
    """The fixed query list: held-back titles whole, the same titles cut to three words, and
    the English queries."""
    with gzip.open(news, "rt", encoding="utf-8") as lines:
        titles = [json.loads(line).get("title", "").strip() for line in lines if line.strip()]
    tail = [t for t in titles[-held_back:] if len(t.split()) >= 3]
    short = [" ".join(t.split()[:3]) for t in tail]
    return list(dict.fromkeys(tail + short + ENGLISH))


# Filters users set on a news archive: a language, a quarter, everything since a date, a section.
FILTERS = [
    {"language": "ar"},
    {"date_from": "2018-01-01", "date_to": "2018-03-31"},
    {"date_from": "2017-06-01"},
    {"category": "sport"},
]
FILTERED_QUERIES = 40


def run_filtered(url: str, texts: list[str], modes: list[str]) -> list[dict]:
    """Per filter: the first query that uses it (hybrid; nothing cached for it yet), then
    ``FILTERED_QUERIES`` queries with it in each mode, one at a time."""
    step = max(1, len(texts) // FILTERED_QUERIES)
    sample = texts[::step][:FILTERED_QUERIES]
    out = []
    for n, filters in enumerate(FILTERS):
        first, first_err = run_queries(url, [texts[-1 - n]], "hybrid", 1, filters)
        entry: dict = {"filters": filters, "first_ms": round(first[0], 1), "errors": first_err}
        for mode in modes:
            lat, err = run_queries(url, sample, mode, 1, filters)
            entry[mode] = summary(lat, err)
            entry["errors"] += err
        print(
            f"filtered {filters}: first {entry['first_ms']} ms, then "
            + ", ".join(f"{m} p50 {entry[m]['p50_ms']} p95 {entry[m]['p95_ms']}" for m in modes),
            flush=True,
        )
        out.append(entry)
    return out


def recall(index_dir: Path, texts: list[str], threads: int) -> dict:
    import faiss

    from dalil.indexer.encoders.embedding import load_encoder
    from dalil.indexer.store.index import Index

    out = {}
    faiss.omp_set_num_threads(1)  # one query at a time, as the server searches
    with Index.open(index_dir, check=False) as index:
        for name, store in index.vectors.items():
            encoder = load_encoder(name, threads=threads)
            q = np.ascontiguousarray(encoder.encode_queries(texts), dtype=np.float32)
            ids = store.ids()
            exact = faiss.IndexFlatIP(store.dim)
            exact.add(store.reconstruct(ids))
            _, truth = exact.search(q, 10)
            truth_ids = ids[truth]
            entry: dict = {"kind": store.kind, "vectors": store.count}

            def measure(store=store, q=q, truth_ids=truth_ids) -> tuple[float, float]:
                start = time.perf_counter()
                got = [[i for i, _ in store.search(v, 10)] for v in q]
                ms = (time.perf_counter() - start) * 1000.0 / len(q)
                pairs = zip(got, truth_ids, strict=True)
                hits = [len(set(g) & set(t.tolist())) / 10 for g, t in pairs]
                return float(np.mean(hits)), ms

            start = time.perf_counter()
            for v in q:
                exact.search(v.reshape(1, -1), 10)
            entry["exact_ms_per_query"] = round((time.perf_counter() - start) * 1000 / len(q), 2)
            if store.exact:
                entry["recall@10"], entry["ms_per_query"] = 1.0, entry["exact_ms_per_query"]
            elif getattr(store, "nprobe", None) is None:  # e.g. sqfp16: a full scan
                r, ms = measure()
                entry["recall@10"], entry["ms_per_query"] = round(r, 4), round(ms, 2)
            else:
                default = store.nprobe
                sweep = {}
                for nprobe in sorted({4, 8, 16, 32, 64, 128, default}):
                    store.nprobe = nprobe
                    r, ms = measure()
                    sweep[nprobe] = {"recall@10": round(r, 4), "ms_per_query": round(ms, 2)}
                store.nprobe = default
                entry["nprobe"] = default
                entry["recall@10"] = sweep[default]["recall@10"]
                entry["ms_per_query"] = sweep[default]["ms_per_query"]
                entry["sweep"] = sweep
            out[name] = entry
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--modes", default="keyword,semantic,hybrid")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--concurrent-modes", default="keyword,semantic,hybrid")
    parser.add_argument("--threads", type=int, default=2, help="server encoder threads")
    parser.add_argument("--no-recall", action="store_true")
    parser.add_argument("--no-filters", action="store_true", help="skip the filtered queries")
    parser.add_argument("--recall-only", action="store_true", help="no server, only recall")
    args = parser.parse_args(argv)

    news = news_file(args.data)
    if news is None:
        return 0
    texts = queries(news)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    from dalil.indexer.store.index import Index

    with Index.open(args.index, check=False) as index:
        paragraphs = index.manifest.paragraphs
        encoders = list(index.manifest.encoder_names)
        kinds = {name: getattr(s, "kind", "flat") for name, s in index.vectors.items()}
    print(f"{len(texts)} queries; index: {paragraphs} paragraphs, encoders {encoders} {kinds}")

    if args.recall_only:
        rec = recall(args.index, texts, args.threads)
        print(json.dumps(rec, indent=1))
        return 0
    load_before = os.getloadavg()
    server = Server(args.index, args.threads)
    results: dict = {"sequential": {}, f"concurrency_{args.concurrency}": {}, "filtered": []}
    try:
        for mode in modes:
            run_queries(server.url, texts[:10], mode, 1)  # warm-up
            lat, err = run_queries(server.url, texts, mode, 1)
            results["sequential"][mode] = summary(lat, err)
            print(f"sequential {mode}: {results['sequential'][mode]}", flush=True)
        for mode in [m.strip() for m in args.concurrent_modes.split(",") if m.strip()]:
            lat, err = run_queries(server.url, texts, mode, args.concurrency)
            results[f"concurrency_{args.concurrency}"][mode] = summary(lat, err)
            print(
                f"concurrency {args.concurrency} {mode}: "
                f"{results[f'concurrency_{args.concurrency}'][mode]}",
                flush=True,
            )
        if not args.no_filters:
            results["filtered"] = run_filtered(server.url, texts, modes)
        memory = proc_memory(server.proc.pid)
    finally:
        server.stop()
    load_after = os.getloadavg()
    rec = {} if args.no_recall else recall(args.index, texts, args.threads)

    result = {
        "paragraphs": paragraphs,
        "encoders": encoders,
        "faiss": kinds,
        "queries": len(texts),
        "server_startup_s": round(server.startup_seconds, 1),
        "server_rss_mb": memory.get("VmRSS"),
        "server_peak_rss_mb": memory.get("VmHWM"),
        **results,
        "recall": rec,
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in load_after],
        "cpu_count": os.cpu_count(),
    }
    print()
    print("| paragraphs | mode | run | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for run in ("sequential", f"concurrency_{args.concurrency}"):
        for mode, s in results[run].items():
            print(
                f"| {paragraphs:,} | {mode} | {run.replace('_', ' ')} | {s['p50_ms']} | "
                f"{s['p95_ms']} | {s['p99_ms']} | {s['max_ms']} | {s['errors']} |"
            )
    if results["filtered"]:
        print()
        print(
            "| filters | first query ms | " + " | ".join(f"{m} p50 / p95 ms" for m in modes) + " |"
        )
        print("|---|---:|" + "---:|" * len(modes))
        for entry in results["filtered"]:
            label = " ".join(f"{k}={v}" for k, v in entry["filters"].items())
            cells = " | ".join(f"{entry[m]['p50_ms']} / {entry[m]['p95_ms']}" for m in modes)
            print(f"| {label} | {entry['first_ms']} | {cells} |")
    print(
        f"server RSS {memory.get('VmRSS')} MB (peak {memory.get('VmHWM')} MB), "
        f"start-up {server.startup_seconds:.1f} s"
    )
    for name, entry in rec.items():
        print(
            f"recall@10 {name} ({entry['kind']}, nprobe {entry.get('nprobe')}): "
            f"{entry['recall@10']} at {entry['ms_per_query']} ms/query "
            f"(exact {entry['exact_ms_per_query']} ms/query)"
        )
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"query_speed-{paragraphs}-{'+'.join(encoders)}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
