"""Re-indexing on a schedule (APScheduler): ``dalil schedule --every 15m`` in the foreground
(:func:`run_forever`); the server runs the same job in a background thread
(``dalil.web.server.scheduling``).

Runs never overlap: inside one process APScheduler starts no second instance of the job
while one runs, and across processes the index's writer lock makes a second run give up
(logged as skipped, recorded as ``locked`` in runs.jsonl). A failed run is logged with its
error and recorded as ``failed``; the schedule goes on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dalil.indexer.build.reindex import reindex
from dalil.indexer.build.runs import RunRecord
from dalil.indexer.errors import DalilError, IndexLockedError, SettingsError

if TYPE_CHECKING:
    from dalil.indexer.encoders.embedding import Encoder
    from dalil.indexer.settings import Settings

log = logging.getLogger("dalil.schedule")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
ACCEPTED = "a number and a unit s, m, h or d, e.g. 30s, 15m, 1h, 1d"
MIN_SECONDS = 1.0


def parse_duration(text: str) -> float:
    """``30s``, ``15m``, ``1h``, ``1d`` -> seconds. Raises :class:`SettingsError` with the
    accepted forms for anything else -- a bare number too: ``5`` could mean minutes."""
    match = _DURATION.match(str(text))
    if not match:
        if re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", str(text)):
            raise SettingsError(f"bad duration {text!r}: seconds or minutes? Use {ACCEPTED}")
        raise SettingsError(f"bad duration {text!r}: use {ACCEPTED}")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds < MIN_SECONDS:
        raise SettingsError(f"bad duration {text!r}: at least {MIN_SECONDS:g} second")
    return seconds


def scheduled_run(
    settings: Settings,
    *,
    trigger: str,
    encoders: Mapping[str, Encoder] | None = None,
    on_published: Callable[[str], None] | None = None,
) -> RunRecord | None:
    """One scheduled run; never raises (the scheduler must go on): errors are logged."""
    try:
        record = reindex(settings, encoders=encoders, trigger=trigger, on_published=on_published)
    except IndexLockedError as exc:
        log.warning("re-index skipped: %s", exc)
        return None
    except DalilError as exc:
        log.error("re-index failed: %s", exc)
        return None
    except Exception:
        log.exception("re-index failed")
        return None
    log.info("re-index %s: %s", record.status, record.summary())
    return record


def quiet_scheduler_logs() -> None:
    """APScheduler logs two INFO lines around every run ("Running job ...", "... executed
    successfully"); the run's own one-line summary says more, so keep only its warnings."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def job_options(seconds: float) -> dict[str, Any]:
    """The interval job: first run now, never two at once, missed runs coalesced."""
    return {
        "trigger": "interval",
        "seconds": seconds,
        "next_run_time": datetime.now(UTC),
        "max_instances": 1,
        "coalesce": True,
        "id": "reindex",
        "name": "dalil reindex",
    }


def run_forever(settings: Settings, seconds: float) -> None:
    """Re-index every ``seconds`` in the foreground until interrupted (Ctrl-C)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    quiet_scheduler_logs()
    scheduler = BlockingScheduler(timezone=UTC)
    scheduler.add_job(lambda: scheduled_run(settings, trigger="schedule"), **job_options(seconds))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
