"""Pure rank fusion: reciprocal rank fusion, per-query score normalisation, weighted fusion,
and dalil's default, the language-calibrated adaptive hybrid.

A *ranking* is a sequence of ``(id, score)`` pairs, best first. Ranking functions return a
new ranking, best first, ties broken by ascending id so results are deterministic.

Why the default (measured with ``dalil eval``, see docs in search/benchmark.py): every side
is turned into z-scores calibrated on its own top list (z-scores beat min-max, which always
hands the keyword side's best match a full 1.0 however poor it is, and beat rank-only RRF,
which loses the score gaps). The dense side is calibrated *per language group*: e5 gives a
same-language paragraph a higher cosine than an equally relevant translation, so raw cosines
of Arabic and English paragraphs are not comparable; within one language they are. The
encoders are averaged (e5 is strong monolingually, USE is language-agnostic). The keyword
side can only read paragraphs in the query's language (plus shared names and numbers), so it
is trusted to lift a language group as a whole only as far as the dense side already prefers
that group's best paragraph over every other group's; otherwise it only reorders paragraphs
inside their language. With one language in the archive all of this reduces to an equal-
weight sum of z-scores (keyword : each encoder = 1 : 1), which is what monolingual search
wants; in mixed archives the keyword side no longer buries the relevant release under
same-language releases that merely share words with the question. Nothing here is fitted to
a data set: the constants are "equal weights", "a top list of 100" and a logistic softness
of half a z-unit. Weights and softness hardly matter (+-50 % moved nDCG@10 by < 0.01); the
calibration depth does in mixed archives (50 or 200 instead of 100 trade 0.03-0.06 between
the two cross-language directions), so it is fixed at the middle value, not tuned per set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

Ranking = Sequence[tuple[int, float]]
Normalisation = Literal["minmax", "zscore", "rank"]
NORMALISATIONS: tuple[Normalisation, ...] = ("minmax", "zscore", "rank")


def sort_ranking(scores: Mapping[int, float]) -> list[tuple[int, float]]:
    """``scores`` as a ranking: best first, equal scores by ascending id."""
    return sorted(((int(i), float(s)) for i, s in scores.items()), key=lambda p: (-p[1], p[0]))


def _check_weights(n: int, weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * n
    if len(weights) != n:
        raise ValueError(f"{len(weights)} weights for {n} rankings")
    out = [float(w) for w in weights]
    if any(w < 0 or not math.isfinite(w) for w in out):
        raise ValueError(f"weights must be finite and non-negative, got {list(weights)}")
    return out


def rrf(
    rankings: Sequence[Ranking], k: float = 60.0, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: ``score(d) = sum_i w_i / (k + rank_i(d))``, ranks from 1.

    Tied scores inside one ranking share the rank of the first of them (so the order of
    tied items does not matter). An id repeated inside a ranking counts once, at its best
    rank. Rankings with weight 0 contribute nothing, and ids only they hold are dropped.
    """
    if k < 0:
        raise ValueError(f"k must be non-negative, got {k}")
    ws = _check_weights(len(rankings), weights)
    fused: dict[int, float] = {}
    for ranking, w in zip(rankings, ws, strict=True):
        if w == 0:
            continue
        seen: set[int] = set()
        rank, previous = 0, None
        for position, (doc, score) in enumerate(ranking, start=1):
            if previous is None or score != previous:
                rank, previous = position, score
            if doc in seen:
                continue
            seen.add(doc)
            fused[doc] = fused.get(doc, 0.0) + w / (k + rank)
    return sort_ranking(fused)


def normalise(ranking: Ranking, method: Normalisation = "minmax") -> dict[int, float]:
    """Per-query normalisation of one ranking's scores.

    ``minmax``: (s - min) / (max - min), so the best is 1 and the worst 0; all-equal scores
    map to 1 (they are all the best this side has). ``zscore``: (s - mean) / std, all-equal
    scores map to 0. ``rank``: 1 - (rank - 1) / n, ignoring the scores' scale entirely.
    An id repeated in the ranking keeps its best value.
    """
    if method not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {method!r}; one of {NORMALISATIONS}")
    best: dict[int, float] = {}
    order: list[int] = []
    for doc, score in ranking:
        s = float(score)
        if doc not in best:
            order.append(doc)
            best[doc] = s
        elif s > best[doc]:
            best[doc] = s
    if not best:
        return {}
    values = list(best.values())
    if method == "rank":
        n = len(order)
        ranked = sorted(order, key=lambda d: (-best[d], d))
        out: dict[int, float] = {}
        rank, previous = 0, None
        for position, doc in enumerate(ranked, start=1):
            if previous is None or best[doc] != previous:
                rank, previous = position, best[doc]
            out[doc] = 1.0 - (rank - 1) / n
        return out
    if method == "minmax":
        lo, hi = min(values), max(values)
        if hi - lo <= 1e-12 * max(1.0, abs(hi)):
            return dict.fromkeys(best, 1.0)
        return {d: (s - lo) / (hi - lo) for d, s in best.items()}
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if std <= 1e-12 * max(1.0, abs(mean)):
        return dict.fromkeys(best, 0.0)
    return {d: (s - mean) / std for d, s in best.items()}


def score_fusion(
    rankings: Sequence[Ranking],
    weights: Sequence[float] | None = None,
    *,
    method: Normalisation = "minmax",
    missing: float | None = None,
) -> list[tuple[int, float]]:
    """Weighted sum of per-query normalised scores: ``sum_i w_i * norm_i(d)``.

    An id absent from a ranking gets ``missing`` for it; the default is the lowest value the
    normalisation gives (0 for minmax/rank, the ranking's minimum z-score for zscore), i.e.
    "no better than the worst item that side returned". Rankings with weight 0 contribute
    nothing, and ids only they hold are dropped.
    """
    ws = _check_weights(len(rankings), weights)
    normed = [normalise(r, method) for r in rankings]
    ids: dict[int, None] = {}
    for norm, w in zip(normed, ws, strict=True):
        if w > 0:
            ids.update(dict.fromkeys(norm))
    fused: dict[int, float] = {}
    for norm, w in zip(normed, ws, strict=True):
        if w == 0 or not norm:
            continue
        floor = missing if missing is not None else min(0.0, min(norm.values()))
        for doc in ids:
            fused[doc] = fused.get(doc, 0.0) + w * norm.get(doc, floor)
    for doc in ids:
        fused.setdefault(doc, 0.0)
    return sort_ranking(fused)


# -- the default: language-calibrated, adaptive hybrid ---------------------------------------
#
# Measured on XQuAD (+ ANT news distractors, + mixed ar/en archives), see search/evaluation.py:
# z-scores calibrated on each side's own top list beat min-max and rank normalisation;
# calibrating the dense side per language group removes the encoders' same-language bias
# (e5 scores a same-language paragraph higher than an equally relevant translation), and the
# keyword side only raises a language group as a whole in proportion to how clearly the
# dense side already prefers that group's best paragraph.

STATS_DEPTH = 100  # the top items of a list that calibrate it (fixed: pages stay consistent)
KEYWORD_WEIGHT = 0.5  # keyword z against the mean of the encoders' z (alpha = 2/3)
LANGUAGE_TAU = 0.5  # softness of "which language group does the dense side prefer"


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


def dense_z(
    groups: Mapping[str, Ranking], scores: Mapping[int, float], group_of: Mapping[int, str]
) -> dict[int, float]:
    """One encoder's z-scores for every id in ``scores`` (raw cosine), each calibrated on
    the top of its own group's ranking in ``groups`` (group = language; see
    :func:`group_calibrations`). An id whose group has no ranking is calibrated on all
    groups' lists pooled."""
    calib, pooled = group_calibrations(groups)
    out = {}
    for doc, score in scores.items():
        mean, std = calib.get(group_of.get(doc, ""), pooled)
        out[doc] = (float(score) - mean) / std
    return out


def mean_scores(
    sides: Sequence[Mapping[int, float]], weights: Sequence[float] | None = None
) -> dict[int, float]:
    """Weighted mean of several sides' scores over the ids they all hold (the dense sides
    score every candidate exactly, so they hold the same ids)."""
    ws = _check_weights(len(sides), weights)
    total = sum(ws)
    if not sides or total == 0:
        return {}
    common = set(sides[0]).intersection(*sides[1:])
    return {d: sum(w * s[d] for s, w in zip(sides, ws, strict=True)) / total for d in common}


def language_preference(
    dense: Mapping[int, float], group_of: Mapping[int, str], tau: float = LANGUAGE_TAU
) -> dict[str, float]:
    """For each language group, how clearly the dense side prefers it: a logistic function of
    the margin between the group's best dense score and the best of every other group
    (1.0 when there is only one group)."""
    best: dict[str, float] = {}
    for doc, score in dense.items():
        g = group_of.get(doc, "")
        if g not in best or score > best[g]:
            best[g] = score
    out = {}
    for g, score in best.items():
        others = [s for h, s in best.items() if h != g]
        if not others:
            out[g] = 1.0
            continue
        margin = (score - max(others)) / tau
        out[g] = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, margin))))
    return out


def keyword_offsets(
    kw: Mapping[int, float],
    floor: float,
    group_of: Mapping[int, str],
    preference: Mapping[str, float],
) -> dict[str, float]:
    """Per group, the keyword value that counts as zero: the floor (no match) for a group the
    dense side prefers, the group's best keyword value for one it does not; in between,
    blended by ``preference``. A group without keyword matches gets the floor either way."""
    best: dict[str, float] = {}
    for doc, z in kw.items():
        g = group_of.get(doc, "")
        best[g] = max(best.get(g, floor), z)
    return {g: (1.0 - p) * best.get(g, floor) + p * floor for g, p in preference.items()}


def adaptive_hybrid(
    kw: Mapping[int, float],
    kw_floor: float,
    dense: Mapping[int, float],
    group_of: Mapping[int, str],
    *,
    keyword_weight: float = KEYWORD_WEIGHT,
    tau: float = LANGUAGE_TAU,
) -> dict[int, float]:
    """The default hybrid score of every id in ``dense``:
    ``dense(d) + keyword_weight * (kw(d) - offset[group(d)])``.

    Keyword scores only compare paragraphs that the keyword side can read, i.e. paragraphs
    of the query's language; across languages the (language-calibrated) dense side judges.
    So the keyword side lifts a language group as a whole only in proportion to how clearly
    the dense side prefers that group (:func:`language_preference`); otherwise it only
    reorders paragraphs inside the group (:func:`keyword_offsets`). With one language the
    offset is the floor and this is a plain weighted sum of z-scores.
    """
    preference = language_preference(dense, group_of, tau)
    offsets = keyword_offsets(kw, kw_floor, group_of, preference)
    return {
        d: s + keyword_weight * (kw.get(d, kw_floor) - offsets.get(group_of.get(d, ""), kw_floor))
        for d, s in dense.items()
    }


def fixed_hybrid(
    kw: Mapping[int, float], kw_floor: float, dense: Mapping[int, float], alpha: float
) -> dict[int, float]:
    """A fixed blend: ``alpha * dense(d) + (1 - alpha) * (kw(d) - floor)`` (alpha = 1:
    dense only, 0: keyword only, 2/3: the default's weights without its adaptation)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within 0..1, got {alpha}")
    beta = 1.0 - alpha
    return {d: alpha * s + beta * (kw.get(d, kw_floor) - kw_floor) for d, s in dense.items()}
