"""The API's write path: index or delete releases through ``indexer.pipeline``, visible to the
next search when the call returns.

An index with generations (``CURRENT``): the write goes through the same path as
``dalil reindex`` -- the next generation is built from a copy of the live one under the
index's writer lock (409 while another process writes), verified, published, and the server
swaps to it before answering. Searches go on meanwhile on the live generation, and no reader,
in this process or another, ever sees a half-applied write. The cost is a copy of the index
per write call (SQLite copied, Whoosh and FAISS files hard-linked), so send releases in
batches (up to 100 per call).

An index in the layout before generations is updated in place, one write at a time
(searches in this process wait for it), as before."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from dalil.indexer.build import pipeline
from dalil.indexer.build.report import IndexReport
from dalil.indexer.encoders.base import leaving_a_core_free
from dalil.indexer.generations.publish import publish_next
from dalil.indexer.models import Release
from dalil.indexer.settings import Settings
from dalil.indexer.store.index import Index
from dalil.search.engine import Searcher
from dalil.web.server.concurrency import ReadWriteLock
from dalil.web.server.errors import BadRequestError
from dalil.web.server.holder import SearcherHolder
from dalil.web.server.schemas import WriteOut

T = TypeVar("T")


def upsert(
    searcher: Searcher,
    lock: ReadWriteLock,
    settings: Settings,
    releases: Sequence[Release],
    holder: SearcherHolder | None = None,
) -> WriteOut:
    """Add or replace ``releases``; searchable in both retrievers when this returns."""
    start = time.perf_counter()
    if holder is not None and holder.is_generational():

        def apply(index: Index) -> IndexReport:
            with leaving_a_core_free():  # for the queries served meanwhile
                return pipeline.upsert_releases(index, searcher.encoders, releases, settings)

        report = _in_next_generation(holder, settings, apply, lambda r: bool(r.added or r.updated))
        with holder.lease() as current:
            paragraphs = len(current.index.docs.release_paragraphs(r.id for r in releases))
    else:
        with lock.write(), leaving_a_core_free():
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


def delete(
    searcher: Searcher,
    lock: ReadWriteLock,
    release_id: str,
    holder: SearcherHolder | None = None,
) -> int | None:
    """Delete one release from all parts; the number of paragraphs removed, or None when
    there was no such release."""
    if holder is not None and holder.is_generational():
        paragraphs = len(searcher.index.docs.release_paragraphs([release_id]))

        def apply(index: Index) -> int:
            return pipeline.delete_releases(index, [release_id])

        deleted = _in_next_generation(holder, searcher.settings, apply, bool)
        return paragraphs if deleted else None
    with lock.write():
        if not searcher.index.docs.has_release(release_id):
            return None
        paragraphs = len(searcher.index.docs.release_paragraphs([release_id]))
        pipeline.delete_releases(searcher.index, [release_id])
    return paragraphs


def _in_next_generation(
    holder: SearcherHolder,
    settings: Settings | None,
    apply: Callable[[Index], T],
    changed: Callable[[T], bool],
) -> T:
    """Run ``apply`` on the next generation, publish it if ``changed``, swap to it."""
    settings = settings if settings is not None else holder.settings

    def build(staging: Path, live: Path | None) -> T:
        index = Index.open(staging, check=False)
        try:
            return apply(index)
        finally:
            index.close()

    with holder.write_mutex:  # this process's writes queue; another process's get a 409
        published = publish_next(
            Path(holder.settings.index), build, keep=settings.keep_generations, changed=changed
        )
        if published.generation is not None:
            holder.refresh(wait=True)
    return published.result
