"""``dalil reindex``: bring the index in line with the sources configured in dalil.toml.

Adds new releases, updates changed ones, deletes removed ones (sources with
``delete_missing = true``), re-embedding only paragraphs whose text changed, and publishes the
result as a new index generation; an unchanged corpus makes no generation. Prints the run's
summary (``-v``: seconds per stage) and, for web sources, each URL's outcome (fetched,
not-modified, skipped, failed with its reason) and the run's requests, 304s and seconds; every
run is also recorded in ``<index>/runs.jsonl``. A published generation is then sent to the
alerts (``[[alerts]]``, ``/api/alerts``): one line per delivery.

Exit status: 0 done (published or unchanged), 1 done but some releases failed to read (the
rest is indexed; each failure printed to stderr), 2 on an error (nothing published),
75 when another dalil process is writing to the index (nothing done; try again later).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from dalil.indexer import IndexLockedError
from dalil.web.cli.options import add_command, add_indexing_options
from dalil.web.cli.skipped import SkipPrinter, show_input_notes

if TYPE_CHECKING:
    from dalil.indexer import Settings

EXIT_LOCKED = 75  # EX_TEMPFAIL: cron and systemd treat it as "try again later"


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "reindex",
        help="bring the index in line with the configured sources (dalil.toml [[sources]])",
        description=(
            "Read every [[sources]] entry of dalil.toml, index new and changed releases, "
            "delete removed ones where delete_missing is set, and publish a new index "
            "generation atomically (none when nothing changed). Exit 75 if another run holds "
            "the index's writer lock."
        ),
    )
    add_indexing_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from dalil.indexer import reindex  # heavy (encoders): only when indexing
    from dalil.search import dispatch_after_publish, start_watching

    deliveries = []

    def published(generation: str) -> None:
        deliveries.extend(dispatch_after_publish(settings, generation))

    skipped = SkipPrinter()
    if args.verbose:
        show_input_notes()
    try:
        start_watching(settings)
        record = reindex(
            settings,
            trigger="cli",
            progress=not args.no_progress,
            on_published=published,
            on_failure=skipped,
        )
    except IndexLockedError as exc:
        print(f"dalil: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    for failure in record.failures:  # those the run did not report as they happened
        skipped(failure)
    for line in record.web_urls:
        print(f"  {line}")
    print(f"{record.status}: {record.summary()}")
    if record.web_cost:
        print(record.web_line())
    for delivery in deliveries:
        print(delivery)
    if args.verbose and record.stage_seconds:
        print(f"stages: {record.stages_line()}")
    return 1 if record.failed else 0
