"""``dalil index SOURCE...``: add new and changed releases to the index.

Exit status: 0 when every input was indexed, 1 when some failed (the rest is indexed; each
failure is printed to stderr as ``skipped <origin>: <reason>``), 2 on an error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dalil.web.cli.options import add_command, add_indexing_options
from dalil.web.cli.skipped import SkipPrinter, show_input_notes

if TYPE_CHECKING:
    from dalil.indexer import RunRecord, Settings


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "index",
        help="index press releases (files or directories; only new and changed ones)",
        description=(
            "Read .txt/.md, .html and .json/.jsonl(.gz) press releases and add the new and "
            "changed ones to the index (created if missing). Unchanged releases are skipped."
        ),
    )
    # not "sources": that is the setting of the configured sources ([[sources]])
    parser.add_argument("paths", nargs="+", type=Path, metavar="SOURCE")
    parser.add_argument(
        "--encoders",
        metavar="NAMES",
        help="comma-separated encoders for a new index (default: $DALIL_ENCODERS or "
        "e5-small,use-m3); an existing index keeps its own unless --rebuild",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build a fresh index from SOURCE... (e.g. with other --encoders) and swap it in "
        "when done; releases not in SOURCE... are dropped",
    )
    add_indexing_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from dalil.indexer import SourceError, survey

    found = survey(args.paths)
    if found.missing:  # before anything is written: no empty generation for a typo
        names = ", ".join(str(p) for p in found.missing)
        raise SourceError(names, "no such file or folder; nothing was indexed")
    report_unsupported(found.unsupported, verbose=args.verbose)

    from dalil.indexer import (
        Plan,
        index_sources,  # heavy: only when indexing
        plan_run,
    )

    skipped = SkipPrinter()
    if args.verbose:
        show_input_notes()
    progress: bool | Plan = not args.no_progress
    if progress:  # the totals up front: a cheap pass over the sources (no encoding)
        progress = plan_run(settings, args.paths, files=len(found.files), fresh=args.rebuild)
    report = index_sources(
        settings,
        args.paths,
        progress=progress,
        rebuild=args.rebuild,
        on_failure=skipped,
    )
    print_report(report, verbose=args.verbose, skipped=skipped)
    return 1 if report.failed else 0


def report_unsupported(files: Sequence[Path], *, verbose: bool = False) -> None:
    """One line for the files skipped for their type (``-v``: one line each)."""
    if not files:
        return
    kinds = sorted({"".join(p.suffixes[-1:]).lower() or "(no extension)" for p in files})
    more = "" if verbose else " (-v lists them)"
    print(
        f"skipped {len(files)} file(s) of unsupported types ({', '.join(kinds)}){more}",
        file=sys.stderr,
    )
    if verbose:
        for path in files:
            print(f"  unsupported: {path}", file=sys.stderr)


def print_report(
    report: RunRecord, *, verbose: bool = False, skipped: SkipPrinter | None = None
) -> None:
    """The summary; failures not printed yet (by ``skipped`` during the run) first."""
    printer = skipped or SkipPrinter()
    for failure in report.failures:
        printer(failure)
    print(report.summary())
    if verbose and report.stage_seconds:
        print(f"stages: {report.stages_line()}")
