"""``dalil search "QUERY"``: print the best releases for a query.

``--queries FILE.jsonl`` runs many queries at once (:func:`dalil.search.run_batch`), one JSON
line out per line in; this command's options are the defaults of every line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dalil.indexer import FILTER_FIELDS, Filters
from dalil.web.cli.options import add_command
from dalil.web.cli.terminal import make_console, print_response

if TYPE_CHECKING:
    from dalil.indexer import Settings

# A query field's option on this command line (for messages about a bad value).
OPTION_OF = {
    "text": "QUERY",
    "k": "-k",
    "offset": "--offset",
    "alpha": "--alpha",
    "date_from": "--date-from",
    "date_to": "--date-to",
}


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "search",
        help="search the index",
        description="Search the index and print the best releases, best first.",
    )
    parser.add_argument("query", nargs="?", metavar="QUERY", help="what to search for")
    parser.add_argument(
        "--mode",
        choices=("hybrid", "keyword", "semantic"),
        default="hybrid",
        help="hybrid (default), keyword (BM25) or semantic (dense vectors)",
    )
    parser.add_argument("-k", type=int, default=10, help="releases to show (default 10)")
    parser.add_argument(
        "--sort",
        choices=("relevance", "newest", "oldest"),
        default="relevance",
        help="relevance (default), or the matches newest / oldest first",
    )
    parser.add_argument(
        "--weaker",
        action="store_true",
        help="after the matches, list releases below the relevance threshold too",
    )
    parser.add_argument("--offset", type=int, default=0, help="skip this many releases")
    parser.add_argument(
        "--alpha", type=float, help="semantic weight 0..1 in hybrid mode (default: adaptive)"
    )
    parser.add_argument("--date-from", metavar="YYYY-MM-DD", help="released on or after")
    parser.add_argument("--date-to", metavar="YYYY-MM-DD", help="released on or before")
    parser.add_argument("--source", help="only this source")
    parser.add_argument("--language", metavar="CODE", help="only this language (ar, en, ...)")
    parser.add_argument("--category", help="only this category")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--queries",
        metavar="FILE.jsonl",
        help="run every query in FILE.jsonl (one JSON object a line) instead of QUERY",
    )
    parser.set_defaults(func=run, command_parser=parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.queries:
        return run_queries_file(args, settings)
    if not args.query:
        print("dalil search: error: give a QUERY (or --queries FILE.jsonl)", file=sys.stderr)
        return 2

    from dalil.search import InvalidQueryError, validate_query

    query = replace(defaults_from_args(args), text=args.query)
    try:  # before anything is opened or loaded: a typo costs no start-up
        validate_query(query)
    except InvalidQueryError as exc:
        args.command_parser.error(f"{OPTION_OF.get(exc.field, exc.field)}: {exc.message}")
    if query.mode != "keyword":  # the encoders' libraries are loaded anyway: check them
        from dalil.indexer.compat import check_all

        check_all()

    from dalil.indexer import load_encoders_now
    from dalil.search import Searcher

    searcher = Searcher.open(settings, lazy=True)  # keyword mode never loads an encoder
    try:
        if query.mode != "keyword":
            load_encoders_now(searcher.encoders)  # so that the time shown is the query's own
        response = searcher.search(query)
    finally:
        searcher.close()
    if args.json:
        json.dump(
            [hit.as_json() for hit in response.hits], sys.stdout, ensure_ascii=False, indent=2
        )
        sys.stdout.write("\n")
    else:
        print_response(response, make_console())
    return 0


def defaults_from_args(args: argparse.Namespace) -> Any:
    """The command line's options as the default query of a batch (its text a placeholder)."""
    from dalil.search import Query

    values: Mapping[str, Any] = vars(args)

    def given(name: str, default: Any) -> Any:  # an explicit 0 stays 0 (and is validated)
        value = values.get(name)
        return default if value is None else value

    chosen: dict[str, Any] = {name: values.get(name) for name in FILTER_FIELDS}
    return Query(
        text="-",
        mode=given("mode", "hybrid"),
        alpha=values.get("alpha"),
        k=given("k", 10),
        offset=given("offset", 0),
        filters=Filters(**chosen),
        sort=given("sort", "relevance"),
        weaker=bool(values.get("weaker", False)),
    )


def run_queries_file(args: argparse.Namespace, settings: Settings) -> int:
    """``dalil search --queries FILE.jsonl`` ("-" reads standard input)."""
    from dalil.search import Searcher, run_batch

    path = str(args.queries)
    if path != "-" and not Path(path).is_file():
        print(f"dalil search: error: no queries file {path}", file=sys.stderr)
        return 2
    defaults = defaults_from_args(args)
    searcher = Searcher.open(settings, lazy=True)  # loaded by the first line that encodes
    try:
        if path == "-":
            failures = run_batch(searcher, sys.stdin, defaults, sys.stdout)
        else:
            with open(path, encoding="utf-8") as handle:
                failures = run_batch(searcher, handle, defaults, sys.stdout)
    finally:
        searcher.close()
    if failures:
        print(f"dalil search: {failures} query line(s) failed", file=sys.stderr)
    return 1 if failures else 0
