"""When a release counts as a match: the one relevance threshold of the search page and API.

Keyword mode counts every release with a keyword match (every BM25F score is above 0).
Semantic and hybrid modes give every release some score, so a release counts as a match only
when its fused score (the best paragraph's, on whatever scale :mod:`search.ranking` produces)
reaches :data:`THRESHOLDS` for the mode; the rest stay reachable as "weaker matches" but are
not counted. The values are measured by ``bench/threshold.py`` on the XQuAD quality sets
(relevant releases below the line, irrelevant ones above it: docs/benchmarks.md); rerun it
and update them whenever the fusion formula changes.
"""

from __future__ import annotations

import math

from dalil.search.models import Mode

# A keyword match scores above 0; the engine deepens the keyword list until it is exhausted.
KEYWORD_FLOOR = 0.0
THRESHOLDS: dict[str, float] = {"semantic": 1.5, "hybrid": 1.75}
# The fused scores are z-scores over the query's candidates; over n values no z-score
# exceeds about sqrt(n), so a tiny archive (or a narrow filter) lowers the threshold to
# SMALL_SET * sqrt(n) -- else its best release could never count as a match.
SMALL_SET = 0.5


def threshold_for(mode: Mode, candidates: int | None = None) -> float:
    """The lowest fused score of a counted match in ``mode`` (a match needs ``score >
    threshold`` in keyword mode, ``score >= threshold`` otherwise: see :func:`is_match`),
    over ``candidates`` scored paragraphs (None: many)."""
    if mode == "keyword":
        return KEYWORD_FLOOR
    threshold = THRESHOLDS[mode]
    if candidates is not None:
        threshold = min(threshold, SMALL_SET * math.sqrt(max(1, candidates)))
    return threshold


def is_match(score: float, mode: Mode, threshold: float | None = None) -> bool:
    """Does a release with this fused score count as a match in ``mode`` (against
    ``threshold``, default :func:`threshold_for` the mode)?"""
    if mode == "keyword":
        return score > KEYWORD_FLOOR
    return score >= (THRESHOLDS[mode] if threshold is None else threshold)


def approximate(mode: Mode) -> bool:
    """Counts above a relevance threshold are estimates ("about N"); keyword counts are not."""
    return mode != "keyword"
