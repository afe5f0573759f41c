"""Encoding on a Dask cluster against one machine, in one run: ``dalil index`` of the same
ANT slice locally, with ``--workers 1`` and with ``--workers 2``.

    .venv/bin/python bench/cluster_speed.py --paragraphs 3000 --encoders use-m3
    .venv/bin/python bench/cluster_speed.py --paragraphs 500 --encoders e5-small

Each configuration builds a fresh index in a child process (``python -m
dalil.web.cli.main index -v``): wall seconds, the pipeline's stage clock (``encode:*``,
``cluster_start``: starting the local cluster and loading + probing the encoders in every
worker), encoding throughput (paragraphs / encoding seconds) and end-to-end throughput.
Per-worker efficiency: the 2-worker encoding rate / (2 x the 1-worker rate). "vs local": the
2-worker encoding rate / the local one at equal cores (local: ``--threads`` threads, default 2),
and the 1-worker rate / the local rate on 1 thread.
Equality: FAISS files byte for byte, SQLite rows, and ``dalil search --json`` of a few
queries, each cluster index against the local one.

Prints a table and writes JSON to bench/results/cluster_speed-<encoders>-<time>.json. The CPU
may be shared: the load average before and after is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from index_speed import parse_stages  # the CLI's one "stages:" line, read one way
from paths import DEFAULT_DATA, REPO, RESULTS, news_file

from dalil.indexer import readers
from dalil.indexer.models import ReadFailure
from dalil.indexer.settings import Settings
from dalil.indexer.text import chunking

QUERIES = ("الاقتصاد المصري", "كأس العالم", "oil prices", "الانتخابات البرلمانية")
CONFIGS = (
    ("local", []),
    ("local 1 thread", ["--threads", "1"]),
    ("workers 1", ["--workers", "1"]),
    ("workers 2", ["--workers", "2"]),
)


def make_slice(news: Path, paragraphs: int, out: Path) -> tuple[int, int]:
    """The first articles of ``news`` whose index paragraphs add up to ``paragraphs``,
    written to ``out`` as JSONL; returns (articles, paragraphs)."""
    settings = Settings(encoders="hash-test")
    articles = count = 0
    with out.open("w", encoding="utf-8") as sink:
        for item in readers.read_sources([news]):
            if isinstance(item, ReadFailure):
                continue
            parts = chunking.split_release(
                item,
                max_chars=settings.max_paragraph_chars,
                min_chars=settings.min_paragraph_chars,
            )
            record = {"id": item.id, "title": item.title, "text": item.text, "date": item.date}
            sink.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            articles += 1
            count += len(parts)
            if count >= paragraphs:
                break
    return articles, count


def dalil(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "build" / "namespace"), env.get("PYTHONPATH")) if p
    )
    done = subprocess.run(
        [sys.executable, "-m", "dalil.web.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"dalil {' '.join(args)} exited with {done.returncode}:\n{done.stderr}")
    return done


def live(index: Path) -> Path:
    return index / (index / "CURRENT").read_text().strip()


def sqlite_rows(gen: Path) -> list[object]:
    db = sqlite3.connect(f"file:{gen / 'docs.sqlite'}?mode=ro", uri=True)
    try:
        return [
            # every column but indexed_at (the time of the run)
            db.execute(
                "SELECT id, title, date, source, language, url, category, origin, metadata, "
                "content_hash FROM releases ORDER BY id"
            ).fetchall(),
            db.execute("SELECT id, release_id, position, text, hash FROM paragraphs").fetchall(),
        ]
    finally:
        db.close()


def answers(index: Path) -> list[object]:
    return [json.loads(dalil("search", "--index", str(index), "--json", q).stdout) for q in QUERIES]


def equal(a: Path, b: Path) -> dict[str, bool]:
    ga, gb = live(a), live(b)
    faiss = sorted(p.name for p in (ga / "faiss").iterdir())
    return {
        "faiss_bytes": all(
            (ga / "faiss" / n).read_bytes() == (gb / "faiss" / n).read_bytes() for n in faiss
        ),
        "sqlite_rows": sqlite_rows(ga) == sqlite_rows(gb),
        "search_json": answers(a) == answers(b),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--paragraphs", type=int, default=3000)
    parser.add_argument("--encoders", default="use-m3")
    parser.add_argument("--threads", type=int, default=2, help="threads of the local run")
    args = parser.parse_args(argv)
    news = news_file(args.data)
    if news is None:
        return 0
    work = Path(tempfile.mkdtemp(prefix="dalil-cluster-speed-"))
    try:
        source = work / "slice.jsonl"
        articles, paragraphs = make_slice(news, args.paragraphs, source)
        print(f"slice: {articles} articles, {paragraphs} paragraphs; load {os.getloadavg()}")
        load_before = os.getloadavg()
        rows = []
        for label, extra in CONFIGS:
            index = work / label.replace(" ", "-")
            threads = ["--threads", str(args.threads)] if label == "local" else []
            start = time.perf_counter()
            out = dalil(
                "index", "-v", "--no-progress", "--index", str(index),
                "--encoders", args.encoders, *threads, *extra, str(source),
            )  # fmt: skip
            wall = time.perf_counter() - start
            stages = parse_stages(out.stdout)
            done = re.search(r"(\d+) paragraphs in", out.stdout)
            paragraphs = int(done.group(1)) if done else paragraphs
            encode = sum(s for name, s in stages.items() if name.startswith("encode:"))
            rows.append(
                {
                    "config": label,
                    "wall_s": round(wall, 1),
                    "encode_s": round(encode, 1),
                    "cluster_start_s": round(stages.get("cluster_start", 0.0), 1),
                    "load_encoders_s": round(stages.get("load_encoders", 0.0), 1),
                    "encode_pps": round(paragraphs / encode, 1) if encode else None,
                    "end_to_end_pps": round(paragraphs / wall, 1),
                    "stages": stages,
                }
            )
            print(json.dumps(rows[-1]))
        local, local1, one, two = (work / c[0].replace(" ", "-") for c in CONFIGS)
        equality = {"workers 1": equal(local, one), "workers 2": equal(local, two)}
        r_local, r_local1, r_one, r_two = (r["encode_pps"] or 0.0 for r in rows)
        summary = {
            "workers2_vs_local": round(r_two / r_local, 2) if r_local else None,
            "workers1_vs_local_1_thread": round(r_one / r_local1, 2) if r_local1 else None,
            "per_worker_efficiency": round(r_two / (2 * r_one), 2) if r_one else None,
        }
        result = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "encoders": args.encoders,
            "articles": articles,
            "paragraphs": paragraphs,
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "runs": rows,
            "summary": summary,
            "equality": equality,
        }
        print("\n| run | wall s | cluster start s | encode s | encode p/s | end-to-end p/s |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['config']} | {r['wall_s']} | {r['cluster_start_s']} | {r['encode_s']} "
                f"| {r['encode_pps']} | {r['end_to_end_pps']} |"
            )
        print(json.dumps(summary), json.dumps(equality, ensure_ascii=False))
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        slug = args.encoders.replace(",", "+")
        (RESULTS / f"cluster_speed-{slug}-{stamp}.json").write_text(
            json.dumps(result, indent=1, ensure_ascii=False) + "\n"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
