"""``dalil search "QUERY"``: print the best releases for a query.

``--queries FILE.jsonl`` runs many queries at once (:func:`dalil.search.run_batch`), one JSON
line out per line in; this command's options are the defaults of every line.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dalil.indexer import FILTER_FIELDS, Filters, Settings
from dalil.web.cli.options import add_command

SNIPPET_CHARS = 240


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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.queries:
        return run_queries_file(args, settings)
    if not args.query:
        print("dalil search: error: give a QUERY (or --queries FILE.jsonl)", file=sys.stderr)
        return 2

    from dalil.search import Query, Searcher

    query = Query(
        text=args.query,
        mode=args.mode,
        alpha=args.alpha,
        k=args.k,
        offset=args.offset,
        sort=args.sort,
        weaker=args.weaker,
        filters=Filters(
            date_from=args.date_from,
            date_to=args.date_to,
            source=args.source,
            language=args.language,
            category=args.category,
        ),
    )
    searcher = Searcher.open(settings)
    try:
        response = searcher.search(query)
    finally:
        searcher.close()
    if args.json:
        json.dump(
            [hit.as_json() for hit in response.hits], sys.stdout, ensure_ascii=False, indent=2
        )
        sys.stdout.write("\n")
    else:
        print(format_response(response))
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
    searcher = Searcher.open(settings)
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


def truncate(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut + " …"


def format_response(response: Any) -> str:
    """Plain text: a header line, then per hit rank, score, id, date, source, title and the
    best paragraph (truncated)."""
    count = f"about {response.total}" if response.approximate else f"{response.total}"
    extra = ""
    if response.threshold is not None:
        extra = f"; relevance threshold {response.threshold:g}, {response.weaker} weaker"
    lines = [
        f"{count} matching release(s) for {response.query.text!r} "
        f"({response.query.mode}, {response.query.sort}{extra}, {response.took_ms:.0f} ms)"
    ]
    for rank, hit in enumerate(response.hits, start=response.query.offset + 1):
        meta = "  ".join(x for x in (hit.release_id, hit.date, hit.source) if x)
        lines.append("")
        weak = "  (weaker match)" if hit.weak else ""
        lines.append(f"{rank:>3}. {hit.score:.4f}  {meta}{weak}")
        lines.append(f"     {hit.title}")
        if hit.duplicates:
            also = ", ".join(dict.fromkeys(c.source or c.release_id for c in hit.duplicates))
            lines.append(f"     also published by: {also}")
        if hit.snippets:
            wrapped = textwrap.fill(
                truncate(hit.snippets[0].text),
                width=96,
                initial_indent="     ",
                subsequent_indent="     ",
            )
            lines.append(wrapped)
    if not response.hits:
        lines.append("no matches")
    return "\n".join(lines)
