"""The API's write path: index or delete releases through ``indexer.pipeline``, one write at a
time (searches wait for it), visible to the next search: the pipeline updates the searcher's
own open index in place (SQLite, FAISS in memory, Whoosh commits; the keyword store reopens
its reader after a commit and the searcher's caches are keyed by the manifest, which every
write replaces)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from indexer import pipeline
from indexer.models import Release
from indexer.settings import Settings
from search.engine import Searcher
from web.concurrency import ReadWriteLock
from web.errors import BadRequestError
from web.schemas import WriteOut


def upsert(
    searcher: Searcher, lock: ReadWriteLock, settings: Settings, releases: Sequence[Release]
) -> WriteOut:
    """Add or replace ``releases``; searchable in both retrievers when this returns."""
    start = time.perf_counter()
    with lock.write():
        report = pipeline.upsert_releases(searcher.index, searcher.encoders, releases, settings)
        paragraphs = len(searcher.index.docs.release_paragraphs(r.id for r in releases))
    if report.failures:
        failure = report.failures[0]
        position = next((i for i, r in enumerate(releases) if r.origin == failure.origin), 0)
        field = f"[{position}]" if len(releases) > 1 else "text"
        raise BadRequestError(field, f"release could not be indexed: {failure.reason}")
    return WriteOut(
        ids=[r.id for r in releases],
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        paragraphs=paragraphs,
        took_ms=round((time.perf_counter() - start) * 1000, 2),
    )


def delete(searcher: Searcher, lock: ReadWriteLock, release_id: str) -> int | None:
    """Delete one release from all parts; the number of paragraphs removed, or None when
    there was no such release."""
    with lock.write():
        if not searcher.index.docs.has_release(release_id):
            return None
        paragraphs = len(searcher.index.docs.release_paragraphs([release_id]))
        pipeline.delete_releases(searcher.index, [release_id])
    return paragraphs
