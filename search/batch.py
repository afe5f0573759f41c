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

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Protocol, TextIO

from dalil.indexer.models import FILTER_FIELDS, Filters
from dalil.search.errors import InvalidQueryError
from dalil.search.models import Query, SearchResponse

QUERY_FIELDS = ("mode", "alpha", "k", "offset", "sort", "weaker")


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


def response_json(qid: Any, response: SearchResponse) -> dict[str, Any]:
    return {
        "id": qid,
        "results": [h.as_json() for h in response.hits],
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
