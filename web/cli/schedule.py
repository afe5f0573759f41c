"""``dalil schedule --every 15m``: re-index the configured sources now and then every interval,
in the foreground, until interrupted (Ctrl-C / SIGTERM).

Runs never overlap; a run that finds another process writing is skipped and logged. Each run
is logged (and recorded in ``<index>/runs.jsonl``); a failed run is logged with its error and
the schedule goes on. Exit status: 0 after an interrupt, 2 on a bad setting or duration.
"""

from __future__ import annotations

import argparse
import logging
import signal
from typing import TYPE_CHECKING, Any

from dalil.web.cli.options import add_command

if TYPE_CHECKING:
    from dalil.indexer import Settings


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "schedule",
        help="re-index the configured sources every interval (foreground scheduler)",
        description=(
            "Run `dalil reindex` now and then every --every (30s, 15m, 1h, 1d) until "
            "interrupted. For a server that re-indexes itself use `dalil serve "
            "--reindex-every`; for cron or systemd timers use `dalil reindex`."
        ),
    )
    parser.add_argument(
        "--every", required=True, metavar="DURATION", help="interval: 30s, 15m, 1h or 1d"
    )
    parser.add_argument("--threads", type=int, metavar="N", help="threads per encoder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from dalil.indexer import parse_duration
    from dalil.web.server.scheduling import run_forever_with_alerts

    seconds = parse_duration(args.every)
    if not settings.sources:
        from dalil.indexer import SettingsError, config_path

        raise SettingsError(
            f"no sources configured: add [[sources]] tables (path = ...) to {config_path()}"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, _interrupt)  # stop like Ctrl-C
    logging.getLogger("dalil.schedule").info("re-indexing %s every %g s", settings.index, seconds)
    run_forever_with_alerts(settings, seconds)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
