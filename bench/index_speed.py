"""End-to-end indexing speed on the ANT news corpus, beside the raw encoders' throughput on
the same paragraphs, measured in the same run.

    .venv/bin/python bench/index_speed.py --paragraphs 10000 [--encoders use-m3] [--threads 2]
                                          [--raw-sample 3000 | --raw-all] [--keep DIR]

1. The first articles of ANT (in file order) whose index paragraphs (dalil's own reader and
   splitter, default settings) add up to ``--paragraphs`` are written to a JSONL slice
   (``--paragraphs 0``: the whole file, ~252,715 paragraphs).
2. ``dalil index -v --encoders E --threads T`` builds a fresh index of the slice in a child
   process: wall seconds, paragraphs/s, seconds per stage (the pipeline's own clock), peak
   RSS (the largest process, getrusage of the children, and the peak sum over the process
   tree sampled from /proc every 0.2 s), index size on disk, FAISS index type.
3. Before and after that run (never during it), each encoder alone encodes the texts the
   pipeline embeds (title + first paragraph, as
   :func:`dalil.indexer.build.pipeline.embedding_text`):
   all of them with ``--raw-all``, else an evenly spaced sample of ``--raw-sample``; the
   better of 1 and ``--threads`` threads; the mean of the before and after rates is the raw
   rate. "Combined" throughput is that of running the encoders one after the other:
   1 / sum(1 / rate).

Prints a table and writes JSON to bench/results/index_speed-<paragraphs>-<time>.json. The CPU
may be shared: the load average before and after is recorded; compare runs made back to back.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from paths import DALIL, DEFAULT_DATA, REPO, RESULTS, news_file

sys.path.insert(0, str(REPO))

from dalil.indexer import readers  # noqa: E402
from dalil.indexer.build.pipeline import embedding_text  # noqa: E402
from dalil.indexer.encoders.embedding import encode_passages, load_encoder  # noqa: E402
from dalil.indexer.models import ReadFailure  # noqa: E402
from dalil.indexer.settings import Settings  # noqa: E402
from dalil.indexer.text import chunking  # noqa: E402


def make_slice(news: Path, paragraphs: int, out: Path) -> tuple[int, list[str]]:
    """Write the first articles of ``news`` adding up to ``paragraphs`` index paragraphs
    (0: all) to ``out`` (plain JSONL); returns (articles, the texts dalil will embed)."""
    settings = Settings(encoders="hash-test")
    articles = 0
    texts: list[str] = []
    items = readers.read_sources([news])
    with gzip.open(news, "rt", encoding="utf-8") as lines, out.open("w", encoding="utf-8") as sink:
        for line, item in zip(lines, items, strict=False):
            if not line.strip():
                continue
            sink.write(line if line.endswith("\n") else line + "\n")
            articles += 1
            if isinstance(item, ReadFailure):
                continue
            try:
                parts = chunking.split_release(
                    item,
                    max_chars=settings.max_paragraph_chars,
                    min_chars=settings.min_paragraph_chars,
                )
            except Exception:  # counted by the real run as a failure
                continue
            texts.extend(embedding_text(item.title, p.position, p.text) for p in parts)
            if paragraphs and len(texts) >= paragraphs:
                break
    return articles, texts


class TreeRss:
    """Samples the summed RSS of a process and its descendants (Linux /proc)."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every = pid, every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for pid in self._tree():
                try:
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("VmRSS:"):
                                total += int(line.split()[1]) * 1024
                                break
                except OSError:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def parse_stages(output: str) -> dict[str, float]:
    match = re.search(r"^stages: (.*)$", output, re.M)
    if not match:
        return {}
    return {
        name: float(secs) for name, secs in re.findall(r"([\w:.\-]+) ([\d.]+) s", match.group(1))
    }


def faiss_kinds(index_dir: Path) -> dict[str, str]:
    from dalil.indexer.store.index import Index

    with Index.open(index_dir, check=False) as index:
        return {name: getattr(store, "kind", "flat") for name, store in index.vectors.items()}


def raw_rates(names: list[str], texts: list[str], threads: int, batch: int) -> dict[str, float]:
    """Each encoder alone on ``texts``: the better of 1 thread and ``threads`` threads (on
    busy shared cores more threads can be far slower), paragraphs/s."""
    rates = {}
    for name in names:
        for n in sorted({1, threads}):
            encoder = load_encoder(name, threads=n)
            encode_passages(encoder, texts[:64], batch)  # warm-up
            start = time.perf_counter()
            encode_passages(encoder, texts, batch)
            rates[name] = max(rates.get(name, 0.0), len(texts) / (time.perf_counter() - start))
            del encoder
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--paragraphs", type=int, default=10_000, help="0: the whole file")
    parser.add_argument("--encoders", default="use-m3")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--raw-sample", type=int, default=3000)
    parser.add_argument("--raw-all", action="store_true", help="raw encoders on every text")
    parser.add_argument("--keep", type=Path, help="build the index here and keep it")
    parser.add_argument("--extra", nargs="*", default=[], help="more `dalil index` arguments")
    args = parser.parse_args(argv)

    news = news_file(args.data)
    if news is None:
        return 0
    names = [n.strip() for n in args.encoders.split(",") if n.strip()]
    work = Path(tempfile.mkdtemp(prefix="dalil-index-speed-"))
    index_dir = args.keep or work / "index"
    if args.keep and args.keep.exists():
        shutil.rmtree(args.keep)
    try:
        start = time.perf_counter()
        slice_path = work / "slice.jsonl"
        articles, texts = make_slice(news, args.paragraphs, slice_path)
        slice_seconds = time.perf_counter() - start
        print(f"slice: {articles} articles, {len(texts)} paragraphs ({slice_seconds:.0f} s)")
        if args.raw_all or len(texts) <= args.raw_sample:
            sample = texts
        else:
            step = len(texts) / args.raw_sample
            sample = [texts[int(i * step)] for i in range(args.raw_sample)]
        # raw throughput before and after the indexing run (the CPU may be shared: the mean
        # of the two is compared with the end-to-end rate measured between them)
        raw_before = raw_rates(names, sample, args.threads, args.batch_size)

        load_before = os.getloadavg()
        cmd = [
            str(DALIL),
            "index",
            "-v",
            "--no-progress",
            "--index",
            str(index_dir),
            "--encoders",
            args.encoders,
            "--threads",
            str(args.threads),
            "--batch-size",
            str(args.batch_size),
            *args.extra,
            str(slice_path),
        ]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        sampler = TreeRss(proc.pid)
        output, _ = proc.communicate()
        wall = time.perf_counter() - start
        tree_peak = sampler.stop()
        child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        print(output.strip())
        if proc.returncode != 0:
            print(f"dalil index failed ({proc.returncode})", file=sys.stderr)
            return 1
        m = re.search(r"— (\d+) paragraphs in ([\d.]+) s", output)
        embedded = int(m.group(1)) if m else len(texts)
        size = du(index_dir)
        kinds = faiss_kinds(index_dir)
        stages = parse_stages(output)

        raw_after = raw_rates(names, sample, args.threads, args.batch_size)
        raw = {k: (raw_before[k] + raw_after[k]) / 2 for k in names}
        combined = 1.0 / sum(1.0 / r for r in raw.values())
        load_after = os.getloadavg()
        end_to_end = embedded / wall
        result = {
            "paragraphs": embedded,
            "articles": articles,
            "encoders": names,
            "threads": args.threads,
            "batch_size": args.batch_size,
            "wall_seconds": round(wall, 1),
            "paragraphs_per_s": round(end_to_end, 1),
            "stage_seconds": stages,
            "raw_paragraphs_per_s": {k: round(v, 1) for k, v in raw.items()},
            "raw_before_per_s": {k: round(v, 1) for k, v in raw_before.items()},
            "raw_after_per_s": {k: round(v, 1) for k, v in raw_after.items()},
            "raw_sample": len(sample),
            "raw_combined_per_s": round(combined, 1),
            "ratio_to_raw": round(end_to_end / combined, 3),
            "peak_rss_largest_process_mb": round(child_peak / 2**20, 1),
            "peak_rss_tree_mb": round(tree_peak / 2**20, 1),
            "index_mb": round(size / 2**20, 1),
            "faiss": kinds,
            "load_avg_before": [round(x, 2) for x in load_before],
            "load_avg_after": [round(x, 2) for x in load_after],
            "cpu_count": os.cpu_count(),
            "command": " ".join(cmd[1:-1]) + " SLICE",
        }
        print()
        print(
            f"| paragraphs | wall s | para/s | raw {'+'.join(names)} para/s | ratio | "
            "peak RSS (tree) MB | index MB |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| {embedded:,} | {wall:.0f} | {end_to_end:.0f} | "
            f"{' / '.join(f'{v:.0f}' for v in raw.values())} (combined {combined:.0f}) | "
            f"{end_to_end / combined:.2f} | {tree_peak / 2**20:.0f} | {size / 2**20:.0f} |"
        )
        print("stages:", ", ".join(f"{k} {v:.0f} s" for k, v in stages.items()))
        print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}")
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"index_speed-{embedded}-{'+'.join(names)}-{stamp}.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {out.relative_to(REPO)}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
