"""Re-indexing in a background thread of the server (``dalil serve --reindex-every 15m``):
the same job as ``dalil schedule`` (:mod:`dalil.indexer.build.schedule`); each published
generation is swapped in at once."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import TYPE_CHECKING, Any

from dalil.indexer import job_options, leaving_a_core_free, scheduled_run

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("dalil.schedule")


def start_reindexing(app: FastAPI, seconds: float) -> Any:
    """Start re-indexing every ``seconds`` in a background thread of the server; each
    published generation is swapped in at once. Returns the started scheduler."""
    from apscheduler.schedulers.background import BackgroundScheduler

    holder = app.state.holder
    settings = app.state.settings

    def job() -> None:
        searcher = holder.searcher
        with leaving_a_core_free():  # for the queries this process serves meanwhile
            scheduled_run(
                settings,
                trigger="serve",
                encoders=searcher.encoders if searcher is not None else None,
                on_published=lambda _name: holder.refresh(wait=True),
            )

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(job, **job_options(seconds))
    scheduler.start()
    log.info("re-indexing every %g s", seconds)
    return scheduler
