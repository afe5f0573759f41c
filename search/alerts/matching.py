"""Which releases an alert matches: its search (query, mode, filters) over an index, hits
below its threshold left out."""

from __future__ import annotations

from collections.abc import Collection

from dalil.indexer.models import Filters
from dalil.indexer.settings import AlertConfig
from dalil.search.engine import Searcher
from dalil.search.models import Hit, Query
from dalil.search.validation import MAX_K


def alert_query(alert: AlertConfig, *, k: int = MAX_K, date_from: str | None = None) -> Query:
    """The alert's search; ``date_from`` narrows it further (never widens it)."""
    given = [d for d in (alert.date_from, date_from) if d]
    start = max(given) if given else None
    filters = Filters(
        date_from=start,
        date_to=alert.date_to,
        source=alert.source,
        language=alert.language,
        category=alert.category,
    )
    return Query(text=alert.query, mode=alert.mode, k=k, filters=filters)


def alert_matches(
    searcher: Searcher, alert: AlertConfig, among: Collection[str] | None = None
) -> list[Hit]:
    """The alert's hits scoring at least its ``min_score``, best first; with ``among``
    (release ids), only those. The search reads the best MAX_K releases; among new
    releases that all have dates it starts at the oldest of them, so older releases do not
    crowd them out."""
    date_from = None
    if among:
        dates = [searcher.get_release(r).date for r in among]
        if all(dates):
            date_from = min(d for d in dates if d)
    if date_from and alert.date_to and date_from > alert.date_to:
        return []
    response = searcher.search(alert_query(alert, date_from=date_from))
    found = [
        hit
        for hit in response.hits
        if (among is None or hit.release_id in among)
        and (alert.min_score is None or hit.score >= alert.min_score)
    ]
    return found
