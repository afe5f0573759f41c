"""Helpers of the ranking tests: exhaustive per-group dense lists, and paragraphs ranked the
way the searcher ranks its candidates (search.ranking.build_scorer / Scorer)."""

from __future__ import annotations

from collections.abc import Mapping

from dalil.search.grouping import group_by_release
from dalil.search.ranking import NEG_INF, build_scorer
from dalil.search.retrievers import DenseRetrieved, Retrieved


def dense_lists(scores: Mapping[int, float], group_of: Mapping[int, str]) -> DenseRetrieved:
    """One encoder's exhaustive per-group lists for the given raw scores."""
    groups: dict[str, list[tuple[int, float]]] = {}
    for pid, s in sorted(scores.items(), key=lambda p: (-p[1], p[0])):
        groups.setdefault(group_of[pid], []).append((pid, s))
    return DenseRetrieved(groups, dict.fromkeys(groups, NEG_INF), NEG_INF)


def rank(
    mode: str,
    keyword: list[tuple[int, float]] | None,
    encoders: Mapping[str, Mapping[int, float]],
    group_of: Mapping[int, str],
    *,
    alpha: float | None = None,
    query_language: str | None = None,
) -> list[int]:
    """Paragraph ids best first, the way the searcher ranks its candidates."""
    kw = Retrieved(keyword, True) if keyword is not None else None
    dense = {n: dense_lists(s, group_of) for n, s in encoders.items()}
    ids = set(group_of)
    raw = {n: {i: s[i] for i in ids} for n, s in encoders.items()}
    scorer = build_scorer(
        mode,  # type: ignore[arg-type]
        alpha,
        kw,
        dense,
        raw,
        group_of,
        None,
        query_language,
    )
    fused = [(i, scorer.score(i, {n: r[i] for n, r in raw.items()}, group_of[i])) for i in ids]
    if mode == "keyword":
        fused = [(i, s) for i, s in fused if i in dict(keyword or [])]
    return [int(g.release_id) for g in group_by_release(fused, {i: str(i) for i in ids})]


def spread(top: Mapping[int, float], n: int = 30, base: float = 0.2) -> dict[int, float]:
    """``top`` plus ``n`` background paragraphs (ids 100+) with low, spread-out scores."""
    return {**top, **{100 + i: base - i * 0.002 for i in range(n)}}
