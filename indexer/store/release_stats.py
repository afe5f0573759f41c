"""Counts over a set of releases (a query's matches), read off the searcher's
:class:`~dalil.indexer.store.release_table.ReleaseTable`: facet values, releases per month or
year, and release dates for sorting."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from dalil.indexer.store.release_table import ReleaseTable


@dataclass(frozen=True)
class Counts:
    """``(value, releases)`` per facet, most first (then by value; years newest first)."""

    sources: tuple[tuple[str, int], ...]
    languages: tuple[tuple[str, int], ...]
    categories: tuple[tuple[str, int], ...]
    years: tuple[tuple[str, int], ...]


def facet_counts(table: ReleaseTable, release_ids: Iterable[str]) -> Counts:
    """Each facet's values among ``release_ids`` (unknown ids are skipped; an unset or empty
    value is not counted; a date counts for its year when it has one)."""
    at = table.positions(release_ids)

    def values(column: tuple[str | None, ...]) -> tuple[tuple[str, int], ...]:
        counts = Counter(value for value in (column[i] for i in at) if value)
        return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    years = Counter(date[:4] for date in (table.dates[i] for i in at) if date and len(date) >= 4)
    return Counts(
        sources=values(table.sources),
        languages=values(table.languages),
        categories=values(table.categories),
        years=tuple(sorted(years.items(), reverse=True)),
    )


def month_counts(table: ReleaseTable, release_ids: Iterable[str]) -> dict[str, int]:
    """``YYYY-MM`` -> releases, for the dated ones."""
    dates = (table.dates[i] for i in table.positions(release_ids))
    return dict(Counter(date[:7] for date in dates if date and len(date) >= 7))


def dates(table: ReleaseTable, release_ids: Iterable[str]) -> dict[str, str | None]:
    """Release id -> its date (None when undated); unknown ids are left out."""
    return {table.ids[i]: table.dates[i] for i in table.positions(release_ids)}
