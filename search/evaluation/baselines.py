"""Baselines the quality benchmark compares the ranking with (not used by the searcher):
reciprocal rank fusion, the default of Elasticsearch, OpenSearch and Qdrant hybrid search.
Fixed blends are the searcher's own ``alpha`` (:class:`~search.ranking.Scorer`)."""

from __future__ import annotations

from collections.abc import Sequence

Ranking = Sequence[tuple[int, float]]


def rrf(rankings: Sequence[Ranking], k: float = 60.0) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: ``score(d) = sum_i 1 / (k + rank_i(d))``, ranks from 1, best
    first, equal scores by ascending id.

    Tied scores inside one ranking share the rank of the first of them (so the order of
    tied items does not matter). An id repeated inside a ranking counts once, at its best
    rank."""
    if k < 0:
        raise ValueError(f"k must be non-negative, got {k}")
    fused: dict[int, float] = {}
    for ranking in rankings:
        seen: set[int] = set()
        rank, previous = 0, None
        for position, (doc, score) in enumerate(ranking, start=1):
            if previous is None or score != previous:
                rank, previous = position, score
            if doc in seen:
                continue
            seen.add(doc)
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda p: (-p[1], p[0]))
