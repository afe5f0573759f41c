"""The API's writes: index or delete releases through the one write path
(:func:`dalil.indexer.build.generation.build_next_generation`), visible to the next search
when the call returns.

The next generation is built from a copy of the live one under the index's writer lock (409
while another process writes), verified, published, and the server swaps to it before
answering. Searches go on meanwhile on the live generation, and no reader, in this process or
another, ever sees a half-applied write. The cost is a copy of the index per write call, so
send releases in batches (up to 100 per call).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from dalil.indexer import (
    Change,
    Encoder,
    Release,
    RunRecord,
    append_run,
    build_next_generation,
    leaving_a_core_free,
)
from dalil.search import alerts_in_use
from dalil.web.server.errors import BadRequestError
from dalil.web.server.holder import SearcherHolder
from dalil.web.server.scheduling import send_alerts
from dalil.web.server.schemas import WriteOut
from dalil.web.server.timing import took_ms


def upsert(holder: SearcherHolder, releases: Sequence[Release]) -> WriteOut:
    """Add or replace ``releases``; searchable in both retrievers when this returns."""
    start = time.perf_counter()
    with holder.lease() as searcher:
        encoders = searcher.encoders
    with leaving_a_core_free():  # for the queries served meanwhile
        report = _publish(holder, Change(releases=lambda: releases), encoders)
    if report.failures:
        failure = report.failures[0]
        position = next((i for i, r in enumerate(releases) if r.origin == failure.origin), 0)
        field = f"[{position}]" if len(releases) > 1 else "text"
        raise BadRequestError(field, f"release could not be indexed: {failure.reason}")
    with holder.lease() as current:
        paragraphs = len(current.index.docs.release_paragraphs(r.id for r in releases))
    return WriteOut(
        ids=[r.id for r in releases],
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        paragraphs=paragraphs,
        took_ms=took_ms(start),
    )


def delete(holder: SearcherHolder, release_id: str) -> int | None:
    """Delete one release from all parts; the number of paragraphs removed, or None when
    there was no such release."""
    with holder.lease() as searcher:
        paragraphs = len(searcher.index.docs.release_paragraphs([release_id]))
        encoders = searcher.encoders
    report = _publish(holder, Change(deletions=lambda index: [release_id]), encoders)
    return paragraphs if report.deleted else None


def _publish(holder: SearcherHolder, change: Change, encoders: Mapping[str, Encoder]) -> RunRecord:
    """Build and publish the next generation with ``change``, record the run, swap to it."""
    with holder.write_mutex:  # this process's writes queue; another process's get a 409
        record = build_next_generation(holder.settings, change, encoders=encoders, trigger="api")
        append_run(Path(holder.settings.index), record)
        if record.generation is not None:
            holder.refresh(wait=True)
    if record.generation is not None and alerts_in_use(holder.settings):
        # webhooks may be slow: the write answers now, the alerts are sent meanwhile
        threading.Thread(
            target=send_alerts,
            args=(holder.settings, record.generation, holder.lease),
            name="dalil-alerts",
            daemon=True,
        ).start()
    return record
