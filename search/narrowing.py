"""The filters a query box adds (:mod:`search.query_syntax`) merged into the form's filters:
typed field filters, a quoted phrase's releases, an excluded word's releases."""

from __future__ import annotations

from dataclasses import replace

from dalil.indexer.models import Filters
from dalil.indexer.store import clusters
from dalil.indexer.store.index import Index
from dalil.search.query_syntax import ParsedQuery
from dalil.search.validation import check_filters


def narrow(index: Index, filters: Filters, parsed: ParsedQuery) -> Filters:
    """``filters`` with the query's own: a typed source / language / category replaces the
    form's, typed dates narrow the form's range; phrases keep only the releases holding every
    one of them, exclusions drop the releases holding any."""
    date_from = max(filter(None, (filters.date_from, parsed.date_from)), default=None)
    date_to = min(filter(None, (filters.date_to, parsed.date_to)), default=None)
    narrowed = replace(
        filters,
        source=parsed.source or filters.source,
        language=parsed.language or filters.language,
        category=parsed.category or filters.category,
        date_from=date_from,
        date_to=date_to,
    )
    keywords = index.keywords

    def text_of(ids: object) -> dict[str, str]:
        return clusters.release_texts(index.docs, ids)  # type: ignore[arg-type]

    only: set[str] | frozenset[str] | None = filters.releases
    for phrase in parsed.phrases:
        found = keywords.phrase_releases(phrase, text_of)
        only = found if only is None else only & found
    without = set(filters.without)
    for word in parsed.excluded:
        without |= keywords.phrase_releases(word, text_of)
    narrowed = replace(
        narrowed,
        releases=frozenset(only) if only is not None else None,
        without=frozenset(without),
    )
    check_filters(narrowed)
    return narrowed
