"""``dalil serve``: the search page and the JSON API over HTTP (uvicorn).

Binds to 127.0.0.1:8000 unless ``--host`` / ``--port`` (or ``DALIL_HOST`` / ``DALIL_PORT``,
dalil.toml) say otherwise. Exit status: 0 after a clean shutdown (Ctrl-C), 1 when the
server cannot start (e.g. the port is taken).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from dalil.web.cli.options import add_cluster_options, add_command

if TYPE_CHECKING:
    from dalil.indexer import Settings

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "serve",
        help="serve the search page and the JSON API over HTTP",
        description=(
            "Serve the search page (/), the JSON API (/api, documented at /docs) and the "
            "release view. Writes through the API need an API key: set DALIL_API_KEY."
        ),
    )
    parser.add_argument(
        "--host", metavar="ADDRESS", help="address to bind (default: $DALIL_HOST or 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, metavar="N", help="port to listen on (default: $DALIL_PORT or 8000)"
    )
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, default="info", help="server log level (default: info)"
    )
    parser.add_argument(
        "--reindex-every",
        metavar="DURATION",
        help="also re-index the configured sources (dalil.toml [[sources]]) now and then every "
        "DURATION (30s, 15m, 1h, 1d) in a background thread; new generations are served "
        "without a restart",
    )
    parser.add_argument(
        "--replica-of",
        metavar="URL",
        help="serve as a replica of the generations published to URL (s3://BUCKET/PREFIX or "
        "a shared directory; `dalil publish --to URL`): new ones are downloaded, checked and "
        "served without a restart (default: $DALIL_REPLICA_OF)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        metavar="SECONDS",
        help="seconds between a replica's looks at URL's CURRENT (default: "
        "$DALIL_POLL_INTERVAL or 10)",
    )
    add_cluster_options(parser)  # for --reindex-every
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from dalil.web.server.app import create_app
    from dalil.web.server.slowclients import uvicorn_options

    every = None
    if args.reindex_every and settings.replica_of:
        from dalil.indexer import SettingsError

        raise SettingsError(
            "a replica (--replica-of) follows its publisher and cannot also --reindex-every"
        )
    if settings.replica_of:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.reindex_every:
        from dalil.indexer import parse_duration

        every = parse_duration(args.reindex_every)
        if not settings.sources:
            from dalil.indexer import SettingsError, config_path

            raise SettingsError(
                f"--reindex-every needs sources: add [[sources]] tables to {config_path()}"
            )
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(settings, reindex_every=every)
    print(
        f"dalil: serving {settings.index} at http://{settings.host}:{settings.port}/",
        file=sys.stderr,
    )
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=args.log_level,
            proxy_headers=False,
            server_header=False,
            ws="none",
            lifespan="on",
            **uvicorn_options(settings),
        )
    except SystemExit as exc:  # uvicorn exits when it cannot bind
        return int(exc.code or 0) and 1
    return 0
