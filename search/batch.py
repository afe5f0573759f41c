"""Batch queries: ``dalil search --queries FILE.jsonl``.

Input: one JSON object a line, ``{"id": ..., "query": "..."}`` with optional ``mode``,
``alpha``, ``k``, ``offset`` and filters (``date_from``, ``date_to``, ``source``,
``language``, ``category``, either at the top level or inside ``"filters": {...}``); values
not given come from the command line's options. Blank lines are skipped.

Output: one JSON line per query, in input order::

    {"id": ..., "results": [{"id", "score", "title", "snippets", "date", "source",
     "language", "category", "url"}], "total": N, "took_ms": T}

A line that cannot be parsed or is not a valid query gives
``{"id": ..., "line": N, "error": {"field": ..., "message": ...}}`` and the batch goes on;
the exit status is 1 when any line failed, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, TextIO

from dalil.indexer.models import Filters
from dalil.search.errors import InvalidQueryError
from dalil.search.models import Hit, Query, SearchResponse

FILTER_FIELDS = ("date_from", "date_to", "source", "language", "category")
QUERY_FIELDS = ("mode", "alpha", "k", "offset")


class SupportsSearch(Protocol):
    def search(self, query: Query) -> SearchResponse: ...


def parse_line(line: str, defaults: Query) -> tuple[Any, Query]:
    """``(id, Query)`` from one input line; raises :class:`InvalidQueryError` (field
    ``line``, ``query``, ``filters`` or a query field) when it is not usable."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidQueryError("line", f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(item, dict):
        raise InvalidQueryError("line", "must be a JSON object")
    qid = item.get("id")
    text = item.get("query")
    if not isinstance(text, str):
        raise InvalidQueryError("query", "must be a string")
    nested = item.get("filters") or {}
    if not isinstance(nested, dict):
        raise InvalidQueryError("filters", "must be an object")
    base = defaults.filters
    filters = Filters(
        **{name: nested.get(name, item.get(name, getattr(base, name))) for name in FILTER_FIELDS}
    )
    changes: dict[str, Any] = {"text": text, "filters": filters}
    for name in QUERY_FIELDS:
        if name in item:
            changes[name] = item[name]
    return qid, replace(defaults, **changes)


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.release_id,
        "score": round(float(hit.score), 6),
        "title": hit.title,
        "snippets": [
            {"paragraph_id": s.paragraph_id, "position": s.position, "text": s.text, "html": s.html}
            for s in hit.snippets
        ],
        "date": hit.date,
        "source": hit.source,
        "language": hit.language,
        "category": hit.category,
        "url": hit.url,
    }


def response_json(qid: Any, response: SearchResponse) -> dict[str, Any]:
    return {
        "id": qid,
        "results": [hit_json(h) for h in response.hits],
        "total": response.total,
        "took_ms": round(response.took_ms, 2),
    }


def _guess_id(line: str) -> Any:
    try:
        item = json.loads(line)
    except json.JSONDecodeError:
        return None
    return item.get("id") if isinstance(item, dict) else None


def run_batch(searcher: SupportsSearch, lines: Iterable[str], defaults: Query, out: TextIO) -> int:
    """Answer every query line, writing one JSON line each; returns how many failed."""
    failures = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        qid = None
        try:
            qid, query = parse_line(line, defaults)
            result = response_json(qid, searcher.search(query))
        except InvalidQueryError as exc:
            failures += 1
            qid = qid if qid is not None else _guess_id(line)
            result = {
                "id": qid,
                "line": number,
                "error": {"field": exc.field, "message": exc.message},
            }
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return failures


def defaults_from_args(args: argparse.Namespace) -> Query:
    """The command line's options as the default query (its text is a placeholder)."""
    values: Mapping[str, Any] = vars(args)

    def given(name: str, default: Any) -> Any:  # an explicit 0 stays 0 (and is validated)
        value = values.get(name)
        return default if value is None else value

    return Query(
        text="-",
        mode=given("mode", "hybrid"),
        alpha=values.get("alpha"),
        k=given("k", 10),
        offset=given("offset", 0),
        filters=Filters(**{name: values.get(name) for name in FILTER_FIELDS}),
    )


def run_cli(args: argparse.Namespace, settings: Any) -> int:
    """``dalil search --queries FILE.jsonl`` ("-" reads standard input)."""
    from dalil.search.engine import Searcher

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
