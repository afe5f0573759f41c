"""Counts over a set of releases (a query's matches), in SQL: facet values, releases per
month or year, and release dates for sorting."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from dalil.indexer.store.docstore import DocStore

# More months than this between the first and last match: count per year.
MAX_MONTHS = 36
_IDS = "SELECT value FROM json_each(?)"


@dataclass(frozen=True)
class Counts:
    """``(value, releases)`` per facet, most first (then by value; years newest first)."""

    sources: tuple[tuple[str, int], ...]
    languages: tuple[tuple[str, int], ...]
    categories: tuple[tuple[str, int], ...]
    years: tuple[tuple[str, int], ...]


def _ids_param(release_ids: Iterable[str]) -> str:
    return json.dumps(sorted(set(release_ids)), ensure_ascii=False)


def facet_counts(docs: DocStore, release_ids: Iterable[str]) -> Counts:
    ids = _ids_param(release_ids)

    def values(column: str) -> tuple[tuple[str, int], ...]:
        rows = docs.select(
            f"SELECT {column}, COUNT(*) AS n FROM releases WHERE id IN ({_IDS})"
            f" AND {column} IS NOT NULL AND {column} != '' GROUP BY {column}"
            f" ORDER BY n DESC, {column}",
            (ids,),
        )
        return tuple((str(v), int(n)) for v, n in rows)

    years = docs.select(
        f"SELECT substr(date, 1, 4) AS y, COUNT(*) FROM releases WHERE id IN ({_IDS})"
        " AND date IS NOT NULL AND length(date) >= 4 GROUP BY y ORDER BY y DESC",
        (ids,),
    )
    return Counts(
        sources=values("source"),
        languages=values("language"),
        categories=values("category"),
        years=tuple((str(y), int(n)) for y, n in years),
    )


def month_counts(docs: DocStore, release_ids: Iterable[str]) -> dict[str, int]:
    """``YYYY-MM`` -> releases, for the dated ones."""
    rows = docs.select(
        f"SELECT substr(date, 1, 7) AS m, COUNT(*) FROM releases WHERE id IN ({_IDS})"
        " AND date IS NOT NULL AND length(date) >= 7 GROUP BY m",
        (_ids_param(release_ids),),
    )
    return {str(m): int(n) for m, n in rows}


def dates(docs: DocStore, release_ids: Iterable[str]) -> dict[str, str | None]:
    """Release id -> its date (None when undated)."""
    rows = docs.select(
        f"SELECT id, date FROM releases WHERE id IN ({_IDS})", (_ids_param(release_ids),)
    )
    return {str(rid): date for rid, date in rows}
