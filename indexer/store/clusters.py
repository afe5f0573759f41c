"""Near-duplicate clusters in the release table: each release's MinHash signature
(``releases.minhash``) and cluster id (``releases.cluster``: the smallest release id of its
near-duplicates, NULL for a release without any).

:func:`refresh` runs on the write path (the pipeline, after every run's writes, inside the
generation being built): it adds the two columns to an index made before they existed (the
migration: a published generation is never altered, so a read-only open leaves an old index
as it is and searches it without folding), signs the releases that have no signature yet
and re-clusters all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from dalil.indexer.store.docstore import DocStore
from dalil.indexer.text import near_duplicates as nd

_BATCH = 500
_UNSIGNABLE = b""  # too short to sign: stored so that it is not tried again


@dataclass(frozen=True)
class Member:
    """A release of a cluster, as listed under a folded result."""

    release_id: str
    title: str
    date: str | None
    source: str | None
    language: str | None


def has_clusters(docs: DocStore) -> bool:
    return "cluster" in docs.columns("releases")


def ensure_columns(docs: DocStore) -> None:
    """Add the signature and cluster columns to an index made before them."""
    columns = docs.columns("releases")
    with docs.transaction():
        if "minhash" not in columns:
            docs.execute_many("ALTER TABLE releases ADD COLUMN minhash BLOB", [()])
        if "cluster" not in columns:
            docs.execute_many("ALTER TABLE releases ADD COLUMN cluster TEXT", [()])
        docs.execute_many("CREATE INDEX IF NOT EXISTS releases_cluster ON releases(cluster)", [()])


def refresh(docs: DocStore, threshold: float = nd.THRESHOLD) -> int:
    """Sign the unsigned releases, re-cluster every release and store what changed. Returns
    how many releases were signed or changed cluster."""
    ensure_columns(docs)
    signed = _sign_missing(docs)
    signatures = {
        rid: np.frombuffer(blob, dtype=np.uint32)
        for rid, blob in docs.select(
            "SELECT id, minhash FROM releases WHERE minhash IS NOT NULL AND length(minhash) > 0"
        )
    }
    wanted = nd.clusters(signatures, threshold)
    stored = dict(docs.select("SELECT id, cluster FROM releases WHERE cluster IS NOT NULL"))
    changes: list[tuple[str | None, str]] = [
        (c, rid) for rid, c in wanted.items() if stored.get(rid) != c
    ]
    changes += [(None, rid) for rid in stored if rid not in wanted]
    if changes:
        docs.execute_many("UPDATE releases SET cluster = ? WHERE id = ?", changes)
    return signed + len(changes)


def _sign_missing(docs: DocStore) -> int:
    todo = [row[0] for row in docs.select("SELECT id FROM releases WHERE minhash IS NULL")]
    for start in range(0, len(todo), _BATCH):
        chunk = todo[start : start + _BATCH]
        texts = _texts(docs, chunk)
        rows = []
        for rid in chunk:
            sig = nd.signature(texts.get(rid, ""))
            rows.append((_UNSIGNABLE if sig is None else sig.tobytes(), rid))
        docs.execute_many("UPDATE releases SET minhash = ? WHERE id = ?", rows)
    return len(todo)


def _texts(docs: DocStore, release_ids: Sequence[str]) -> dict[str, str]:
    marks = ",".join("?" * len(release_ids))
    titles = dict(docs.select(f"SELECT id, title FROM releases WHERE id IN ({marks})", release_ids))
    bodies: dict[str, list[str]] = {rid: [] for rid in titles}
    for rid, text in docs.select(
        f"SELECT release_id, text FROM paragraphs WHERE release_id IN ({marks})"
        " ORDER BY release_id, position",
        release_ids,
    ):
        bodies[rid].append(text)
    return {rid: nd.release_text(titles[rid], bodies[rid]) for rid in titles}


def release_texts(docs: DocStore, release_ids: Iterable[str]) -> dict[str, str]:
    """Title and body of each release (for checking a phrase in an index without
    positions)."""
    ids = sorted(set(release_ids))
    out: dict[str, str] = {}
    for start in range(0, len(ids), _BATCH):
        out.update(_texts(docs, ids[start : start + _BATCH]))
    return out


def cluster_of(docs: DocStore, release_ids: Iterable[str]) -> dict[str, str]:
    """Release id -> cluster id, for the given releases that have near-duplicates."""
    if not has_clusters(docs):
        return {}
    ids = sorted(set(release_ids))
    out: dict[str, str] = {}
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        marks = ",".join("?" * len(chunk))
        out.update(
            docs.select(
                f"SELECT id, cluster FROM releases WHERE id IN ({marks}) AND cluster IS NOT NULL",
                chunk,
            )
        )
    return out


def members(docs: DocStore, clusters: Iterable[str]) -> dict[str, list[Member]]:
    """Cluster id -> its releases, oldest first."""
    wanted = sorted(set(clusters))
    out: dict[str, list[Member]] = {}
    if not wanted or not has_clusters(docs):
        return out
    for start in range(0, len(wanted), _BATCH):
        chunk = wanted[start : start + _BATCH]
        marks = ",".join("?" * len(chunk))
        for cluster, rid, title, date, source, language in docs.select(
            "SELECT cluster, id, title, date, source, language FROM releases"
            f" WHERE cluster IN ({marks}) ORDER BY date, id",
            chunk,
        ):
            out.setdefault(cluster, []).append(Member(rid, title, date, source, language))
    return out
