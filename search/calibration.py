"""Per-query calibration of one retriever's scores: z-scores against the top of its own list.

BM25 and cosine scores live on scales that change from query to query; a z-score against
the top :data:`STATS_DEPTH` items of the list makes them comparable between retrievers and
between queries (and, per language group, between languages: an encoder scores a
same-language paragraph higher than an equally good translation). The depth is fixed so a
paragraph's value does not depend on how deep the lists were fetched (pages stay
consistent).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Ranking = Sequence[tuple[int, float]]

STATS_DEPTH = 100  # the top items of a list that calibrate it


def calibration(ranking: Ranking, depth: int = STATS_DEPTH) -> tuple[float, float]:
    """(mean, std) of the scores of the first ``depth`` items of a best-first ranking; std is
    never 0 (1.0 for fewer than two distinct scores, so z-scores then all equal 0)."""
    values = [float(s) for _, s in ranking[:depth]]
    if not values:
        return 0.0, 1.0
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if std <= 1e-9:
        return mean, 1.0
    return mean, std


def keyword_z(ranking: Ranking, depth: int = STATS_DEPTH) -> tuple[dict[int, float], float]:
    """Keyword z-scores calibrated on the top ``depth`` items, and the *floor*: the value of
    a paragraph the keyword side did not return (min(0, lowest z of the calibration list)).
    Items below the floor are raised to it, so a paragraph's value does not depend on how
    deep the list was fetched."""
    top = ranking[:depth]
    if len({float(s) for _, s in top}) < 2:
        # One distinct score (e.g. one hit): scale by it, so a match counts 1, no match 0.
        peak = max((float(s) for _, s in top), default=0.0)
        mean, std = 0.0, (peak if peak > 0 else 1.0)
    else:
        mean, std = calibration(ranking, depth)
    floor = min(0.0, min(((s - mean) / std for _, s in top), default=0.0))
    out: dict[int, float] = {}
    for doc, score in ranking:
        z = max(floor, (float(score) - mean) / std)
        if doc not in out or z > out[doc]:
            out[doc] = z
    return out, floor


def group_calibrations(
    groups: Mapping[str, Ranking], depth: int = STATS_DEPTH
) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    """Each group's (mean, std) and the pooled one (all groups' lists merged).

    A group with fewer than ``depth`` ranked items (a language with few paragraphs in the
    archive, or after a filter) has too few scores to calibrate on its own: its statistics
    are shrunk toward the pooled ones in proportion ``n / depth``. Otherwise the best of a
    handful of unrelated paragraphs in a rare language would get a high z-score for every
    query just for being the best of its language."""
    pooled = calibration(sorted((p for r in groups.values() for p in r), key=lambda p: -p[1]))
    out = {}
    for g, ranking in groups.items():
        if not ranking:
            continue
        mean, std = calibration(ranking, depth)
        w = min(len(ranking), depth) / depth
        out[g] = (w * mean + (1 - w) * pooled[0], w * std + (1 - w) * pooled[1])
    return out, pooled
