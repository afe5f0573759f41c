"""``dalil serve --replica-of URL``: follow the generations published to an object store or a
shared directory (:mod:`indexer.generations.replica`) in a background thread of the server.

Every ``poll_interval`` seconds (the first time at start-up) one poll runs; never two at once.
A new generation, once downloaded and verified, is swapped in at once; until then, and when
it is refused, requests go on being answered from the live one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dalil.indexer import DalilError, Replica, open_store

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("dalil.replica")


def start_following(app: FastAPI) -> Any:
    """Start polling ``settings.replica_of``; returns the started scheduler. The
    :class:`Replica` is ``app.state.replica``."""
    from apscheduler.schedulers.background import BackgroundScheduler

    settings = app.state.settings
    assert settings.replica_of is not None
    replica = Replica(
        open_store(settings.replica_of, settings), settings.index, keep=settings.keep_generations
    )
    app.state.replica = replica
    holder = app.state.holder

    def poll() -> None:
        try:
            result = replica.poll()
        except DalilError as exc:  # the store is unreachable: keep serving, try again later
            log.warning("replica poll failed: %s", exc)
            return
        except Exception:
            log.exception("replica poll failed")
            return
        if result.switched:
            holder.refresh(wait=True)

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        poll,
        trigger="interval",
        seconds=settings.poll_interval,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        id="replica",
        name="dalil replica poll",
    )
    scheduler.start()
    log.info("following %s every %g s", settings.replica_of, settings.poll_interval)
    return scheduler
