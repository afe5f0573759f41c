"""Re-indexing in a background thread of the server (``dalil serve --reindex-every 15m``):
the same job as ``dalil schedule`` (:mod:`dalil.indexer.build.schedule`); each published
generation is swapped in at once. Both send each published generation to the alerts
(:mod:`dalil.search.alerts`), which the indexer's own schedule cannot reach (layers)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC
from typing import TYPE_CHECKING, Any

from dalil.indexer import (
    Settings,
    job_options,
    leaving_a_core_free,
    quiet_scheduler_logs,
    scheduled_run,
)
from dalil.search import (
    Delivery,
    Searcher,
    dispatch_after_publish,
    dispatch_alerts,
    start_watching,
)

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
        watch_quietly(settings)
        with leaving_a_core_free():  # for the queries this process serves meanwhile
            scheduled_run(
                settings,
                trigger="serve",
                encoders=searcher.encoders if searcher is not None else None,
                on_published=with_alerts(
                    settings, holder.lease, then=lambda _name: holder.refresh(wait=True)
                ),
            )

    quiet_scheduler_logs()
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(job, **job_options(seconds))
    scheduler.start()
    log.info("re-indexing every %g s", seconds)
    return scheduler


def run_forever_with_alerts(settings: Settings, seconds: float) -> None:
    """``dalil schedule``: the indexer's foreground schedule, with each published generation
    sent to the alerts. Runs until interrupted (Ctrl-C)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    def job() -> None:
        watch_quietly(settings)
        scheduled_run(settings, trigger="schedule", on_published=with_alerts(settings))

    scheduler = BlockingScheduler(timezone=UTC)
    scheduler.add_job(job, **job_options(seconds))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


def with_alerts(
    settings: Settings,
    searcher: Callable[[], AbstractContextManager[Searcher]] | None = None,
    then: Callable[[str], object] | None = None,
) -> Callable[[str], None]:
    """An ``on_published`` hook: ``then`` (e.g. swap the server's searcher), then the alerts."""

    def published(generation: str) -> None:
        if then is not None:
            then(generation)
        send_alerts(settings, generation, searcher)

    return published


def watch_quietly(settings: Settings) -> None:
    """:func:`start_watching` for a schedule, which must go on whatever happens."""
    try:
        start_watching(settings)
    except Exception:
        log.exception("alerts: cannot note the releases indexed before this run")


def send_alerts(
    settings: Settings,
    generation: str,
    searcher: Callable[[], AbstractContextManager[Searcher]] | None = None,
) -> list[Delivery]:
    """Dispatch the alerts for a published generation through ``searcher`` (a lease on the
    server's searcher), or one opened for the purpose; never raises (logged)."""
    if searcher is None:
        return dispatch_after_publish(settings, generation)
    try:
        with searcher() as current:
            return dispatch_alerts(settings, current, generation)
    except Exception:
        log.exception("alerts not dispatched for %s", generation)
        return []
