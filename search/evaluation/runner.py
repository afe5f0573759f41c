"""The quality benchmark (``dalil eval`` / ``bench/quality.py``): builds each archive of
:mod:`dalil.search.evaluation.sets` into a real index with the real pipeline, opens a real
:class:`~dalil.search.engine.Searcher`, and measures keyword, semantic, RRF (k=60), a fixed blend
and the default hybrid side by side.

Embeddings are cached on disk (SQLite, keyed by encoder, passage/query and text hash), so a
rerun re-encodes nothing; the cache wraps the real encoders and never changes what they
return.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from dalil.indexer.build.pipeline import apply_releases
from dalil.indexer.encoders.embedding import Encoder
from dalil.indexer.models import Filters, text_hash
from dalil.indexer.settings import DEFAULT_ENCODERS, Settings
from dalil.indexer.store.index import Index
from dalil.search.calibration import STATS_DEPTH
from dalil.search.engine import Searcher
from dalil.search.evaluation.baselines import rrf
from dalil.search.evaluation.sets import METRICS, QuerySet, iter_archive_sets, limited, mean_metrics
from dalil.search.evaluation.sets import query_metrics as metrics_of
from dalil.search.evaluation.significance import paired_difference
from dalil.search.evaluation.snapshots import capture, save
from dalil.search.grouping import group_by_release

METHODS = ("keyword", "semantic", "rrf60", "fixed2/3", "hybrid")
# the first quality issue's targets, set for the default encoders (settings.DEFAULT_ENCODERS)
TARGETS = {"ar>ar": 0.96, "en>ar": 0.90, "en>en": 0.98}


class EmbeddingCache:
    """Vectors by (encoder, kind, text hash) in one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (encoder TEXT, kind TEXT, hash TEXT,"
            " vector BLOB, PRIMARY KEY (encoder, kind, hash))"
        )
        self._lock = threading.Lock()

    def get(self, encoder: str, kind: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                chunk = list(hashes[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT hash, vector FROM vectors WHERE encoder = ? AND kind = ?"
                    f" AND hash IN ({marks})",
                    [encoder, kind, *chunk],
                ).fetchall()
                for h, blob in rows:
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, encoder: str, kind: str, items: Mapping[str, np.ndarray]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                [(encoder, kind, h, np.asarray(v, np.float32).tobytes()) for h, v in items.items()],
            )
            self._db.commit()

    def close(self) -> None:
        self._db.close()


class CachingEncoder:
    """An :class:`~dalil.indexer.encoders.embedding.Encoder` that looks texts up in an
    :class:`EmbeddingCache` before encoding them with the wrapped encoder."""

    def __init__(self, encoder: Encoder, cache: EmbeddingCache) -> None:
        self.inner = encoder
        self.cache = cache
        self.name = encoder.name
        self.dim = encoder.dim
        self.max_chars = getattr(encoder, "max_chars", 0)

    def _encode(self, texts: Sequence[str], kind: str, fn: Callable) -> np.ndarray:
        texts = list(texts)
        hashes = [text_hash(t) for t in texts]
        found = self.cache.get(self.name, kind, hashes)
        todo = [i for i, h in enumerate(hashes) if h not in found]
        if todo:
            fresh = np.asarray(fn([texts[i] for i in todo]), dtype=np.float32)
            new = {hashes[i]: fresh[j] for j, i in enumerate(todo)}
            self.cache.put(self.name, kind, new)
            found.update(new)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, h in enumerate(hashes):
            out[i] = found[h]
        return out

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "passage", self.inner.encode_passages)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query", self.inner.encode_queries)


@dataclass(frozen=True)
class SetResult:
    name: str
    queries: int
    metrics: dict[str, dict[str, float]]  # method -> metric -> mean
    # method -> each query's nDCG@10, in the set's order (for the paired significance test)
    per_query: Mapping[str, tuple[float, ...]] = field(default_factory=dict)


def rrf_ranking(searcher: Searcher, text: str, vectors: Mapping[str, np.ndarray]) -> list[str]:
    """Plain RRF (k=60) over the keyword list and each encoder's global list, grouped into
    releases: the baseline the issue measured."""
    retr = searcher.retrievers
    lists = [retr.keyword(text, STATS_DEPTH, None).ranking]
    for name, vector in vectors.items():
        lists.append(searcher.index.vectors[name].search(vector, STATS_DEPTH))
    fused = rrf(lists, k=60)
    known = retr.paragraphs((d for d, _ in fused), {})
    groups = group_by_release(fused, {d: p.release_id for d, p in known.items()})
    return [g.release_id for g in groups[:10]]


def ranked_ids(
    searcher: Searcher, method: str, text: str, vectors: Mapping[str, np.ndarray]
) -> list[str]:
    if method == "rrf60":
        return rrf_ranking(searcher, text, vectors)
    mode = method if method in ("keyword", "semantic") else "hybrid"
    alpha = 2 / 3 if method == "fixed2/3" else None
    ranked = searcher.rank(text, vectors, mode, alpha, Filters(), 10)  # type: ignore[arg-type]
    return [g.release_id for g in ranked.releases[:10]]


def evaluate_set(
    searcher: Searcher,
    query_set: QuerySet,
    encoders: Mapping[str, Encoder],
    limit: int | None,
    snapshots: Path | None = None,
    *,
    score: bool = True,
) -> SetResult:
    """Every method's mean metrics over the set's queries; with ``snapshots``, each query's
    candidates are also saved there (``score=False``: only saved, nothing scored)."""
    queries = limited(query_set.queries, limit)
    texts = [q.text for q in queries]
    matrices = {name: enc.encode_queries(texts) for name, enc in encoders.items()}
    rows: dict[str, list[dict[str, float]]] = {m: [] for m in METHODS}
    snaps = []
    for i, q in enumerate(queries):
        vectors = {name: m[i] for name, m in matrices.items()}
        if snapshots is not None:
            snaps.append(capture(searcher, q.id, q.text, q.relevant, vectors))
            if not score:
                continue
        for method in METHODS:
            rows[method].append(
                metrics_of(ranked_ids(searcher, method, q.text, vectors), q.relevant)
            )
    if snapshots is not None:
        save(snapshot_path(snapshots, query_set.name), snaps)
    return SetResult(
        query_set.name,
        len(queries),
        {m: mean_metrics(r) for m, r in rows.items()},
        {m: tuple(row["ndcg@10"] for row in r) for m, r in rows.items()},
    )


def snapshot_path(snapshots: Path, set_name: str) -> Path:
    """Where a set's candidates are saved (``six:ar>*`` -> ``six:ar-all.pkl``)."""
    return snapshots / f"{set_name.replace('>', '-').replace('*', 'all')}.pkl"


def run_benchmark(
    archives: Mapping[str, list],
    sets: Sequence[QuerySet],
    encoders: Mapping[str, Encoder],
    settings: Settings,
    *,
    cache_path: Path,
    limit: int | None = None,
    out: TextIO,
    snapshots: Path | None = None,
    score: bool = True,
) -> list[SetResult]:
    """Index every archive (in a temporary directory) and evaluate its sets (with
    ``snapshots`` and not ``score``: only save their candidates, and say where)."""
    saved_to = snapshots if not score else None  # only saved, not scored
    cache = EmbeddingCache(cache_path)
    cached = {name: CachingEncoder(enc, cache) for name, enc in encoders.items()}
    results = []
    try:
        for name, releases, archive_sets in iter_archive_sets(dict(archives), sets):
            with tempfile.TemporaryDirectory(prefix="dalil-eval-") as tmp:
                start = time.perf_counter()
                index = Index.create(Path(tmp) / "index", cached)
                try:
                    report = apply_releases(index, cached, settings, releases)
                    print(
                        f"# archive {name}: {report.added} releases, "
                        f"{index.manifest.paragraphs} paragraphs, "
                        f"built in {time.perf_counter() - start:.1f} s",
                        file=out,
                        flush=True,
                    )
                    searcher = Searcher(index, cached, settings)
                    for query_set in archive_sets:
                        start = time.perf_counter()
                        result = evaluate_set(
                            searcher, query_set, cached, limit, snapshots, score=score
                        )
                        results.append(result)
                        seconds = time.perf_counter() - start
                        if saved_to is not None:
                            where = snapshot_path(saved_to, result.name)
                            line = f"\n## {result.name}: {result.queries} queries' candidates"
                            print(
                                f"{line} saved to {where} ({seconds:.0f} s)", file=out, flush=True
                            )
                        else:
                            print(format_set(result, seconds), file=out, flush=True)
                finally:
                    index.close()
    finally:
        cache.close()
    if saved_to is None:  # else nothing was scored: a summary would be a table of zeros
        targets = sorted(encoders) == sorted(DEFAULT_ENCODERS.split(","))
        print(format_summary(results, targets=targets), file=out, flush=True)
    return results


def format_set(result: SetResult, seconds: float) -> str:
    lines = [f"\n## {result.name}  ({result.queries} queries, {seconds:.0f} s)"]
    lines.append(f"{'method':<10}" + "".join(f"{m:>9}" for m in METRICS))
    for method, values in result.metrics.items():
        lines.append(f"{method:<10}" + "".join(f"{values[m]:>9.3f}" for m in METRICS))
    return "\n".join(lines)


def format_summary(results: Sequence[SetResult], *, targets: bool = True) -> str:
    """nDCG@10 per set and method, with the checks: hybrid >= the better of keyword and
    semantic ("below parts" by how much, and the paired test's p-value for that gap: is it
    more than chance at this set's size?) and, with ``targets`` (the default encoders, for
    which they were set), hybrid >= the set's target."""
    head = f"{'set':<12}{'queries':>8}" + "".join(f"{m:>10}" for m in METHODS)
    lines = ["\n## nDCG@10 summary", head + f"{'target':>8}  check"]
    for r in results:
        nd = {m: r.metrics[m]["ndcg@10"] for m in METHODS}
        better = max(("keyword", "semantic"), key=lambda m: nd[m])
        gap = nd["hybrid"] - nd[better]
        target = TARGETS.get(r.name) if targets else None
        # a gap too small for three decimals is shown with four, not as "-0.000"
        shown = f"{gap:+.3f}" if abs(gap) >= 0.0005 else f"{gap:+.4f}"
        if "hybrid" in r.per_query and better in r.per_query:
            shown += ", " + paired_difference(r.per_query["hybrid"], r.per_query[better]).describe()
        misses = [f"below parts ({shown})"] if gap < -1e-9 else []
        if target is not None and nd["hybrid"] < target:
            misses.append("below target")
        lines.append(
            f"{r.name:<12}{r.queries:>8}"
            + "".join(f"{nd[m]:>10.3f}" for m in METHODS)
            + (f"{target:>8.2f}" if target else f"{'-':>8}")
            + "  "
            + ("; ".join(misses) if misses else f"ok ({shown})")
        )
    return "\n".join(lines)
