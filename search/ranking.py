"""The ranking formula: one fused score per paragraph for one query, for any paragraph (seen
in a list or not), with an upper bound for the paragraphs no list returned. The engine
deepens the lists until that bound is below the last release it has to show, so every page
is exact and page 2 continues page 1 (threshold-algorithm style).

Every side is a z-score against its own top list (:mod:`search.calibration`): BM25F for the
keyword side, each encoder's cosine per language group (an encoder scores a same-language
paragraph higher than an equally good translation). Hybrid mode adds them up, each side
weighted by what the query itself says about it (:func:`side_weights`); the keyword side's
weight is also limited to what it can read (:func:`keyword_offsets`): it reorders paragraphs
within their language and lifts a language as a whole only as far as the dense side already
prefers it, so keyword matches cannot bury the answer written in another language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from dalil.search.calibration import STATS_DEPTH, group_calibrations, keyword_z
from dalil.search.models import Mode
from dalil.search.retrievers import POOLED, DenseRetrieved, Retrieved

NEG_INF = float("-inf")
LANGUAGE_TAU = 0.5  # softness, in z units, of "which language group does the dense side prefer"
LEAD_DEPTH = 10  # a side's confidence: how far its best item stands above its 10th


@dataclass(frozen=True)
class Weights:
    """Per-query weights: the keyword side's and each encoder's."""

    keyword: float
    encoders: Mapping[str, float]


@dataclass(frozen=True)
class Scorer:
    """Scores paragraphs for one query. ``calib[encoder][group]`` = (mean, std) of that
    group's top raw scores; ``kw`` keyword z-scores (raw BM25 in keyword mode); ``offsets``
    the keyword value that counts as zero in each language."""

    mode: Mode
    alpha: float | None
    kw: Mapping[int, float]
    kw_floor: float
    calib: Mapping[str, Mapping[str, tuple[float, float]]]
    pooled: Mapping[str, tuple[float, float]]
    offsets: Mapping[str, float]
    weights: Weights

    def z(self, name: str, score: float, group: str) -> float:
        mean, std = self.calib.get(name, {}).get(group, self.pooled[name])
        return (score - mean) / std

    def dense_sum(self, raw: Mapping[str, float], group: str) -> float:
        """The encoders' weighted z-scores, summed."""
        w = self.weights.encoders
        return sum(w.get(name, 0.0) * self.z(name, s, group) for name, s in raw.items())

    def dense(self, raw: Mapping[str, float], group: str) -> float:
        """The encoders' weighted mean z-score in the paragraph's language group."""
        total = sum(self.weights.encoders.get(name, 0.0) for name in raw)
        return self.dense_sum(raw, group) / total if total > 0 else 0.0

    def score(
        self, pid: int | None, raw: Mapping[str, float], group: str, language: str | None = None
    ) -> float:
        """The fused score of a paragraph (``pid`` None: one no keyword list returned) of
        calibration ``group`` and ``language`` (default: the group)."""
        kw = self.kw.get(pid, self.kw_floor) if pid is not None else self.kw_floor
        if self.mode == "keyword":
            return kw
        if self.mode == "semantic":
            return self.dense(raw, group)
        if self.alpha is not None:
            return self.alpha * self.dense(raw, group) + (1.0 - self.alpha) * (kw - self.kw_floor)
        offset = self.offsets.get(language if language is not None else group, self.kw_floor)
        fused = self.dense_sum(raw, group) + self.weights.keyword * (kw - offset)
        # Divided by the dense weight: the same ranking, and the score stays on semantic
        # mode's scale (the dense mean z plus the keyword term in proportion), which the
        # relevance threshold reads.
        dense_weight = sum(self.weights.encoders.get(n, 0.0) for n in raw)
        return fused / dense_weight if dense_weight > 0 else fused


def lead(values: list[float], depth: int = LEAD_DEPTH) -> float:
    """How far the best value stands above the ``depth``-th (0 for fewer than two)."""
    if len(values) < 2:
        return 0.0
    top = sorted(values, reverse=True)[:depth]
    return max(0.0, top[0] - top[-1])


def side_weights(
    keyword: Retrieved | None,
    kw: Mapping[int, float],
    dense_z: Mapping[str, Mapping[int, float]],
) -> Weights:
    """Each side's weight for this query: its *lead* — how far, in its own z units, its best
    candidate stands above its 10th. A side that recognises the answer singles it out; one
    that does not (a weak encoder for this query, keyword matches on common words only)
    returns a flat list and gets little say. Without any lead the encoders count equally."""
    encoders = {name: lead(list(z.values())) for name, z in dense_z.items()}
    kw_weight = lead(list(kw.values())) if keyword is not None else 0.0
    if not any(encoders.values()):
        encoders = dict.fromkeys(dense_z, 1.0)
    return Weights(kw_weight, encoders)


def language_preference(
    dense: Mapping[int, float], group_of: Mapping[int, str], tau: float = LANGUAGE_TAU
) -> dict[str, float]:
    """For each language group, how clearly the dense side prefers it: a logistic function of
    the margin between the group's best dense score and the best of every other group
    (1.0 when there is only one group)."""
    best: dict[str, float] = {}
    for doc, score in dense.items():
        g = group_of.get(doc, POOLED)
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
        g = group_of.get(doc, POOLED)
        best[g] = max(best.get(g, floor), z)
    return {g: (1.0 - p) * best.get(g, floor) + p * floor for g, p in preference.items()}


def build_scorer(
    mode: Mode,
    alpha: float | None,
    keyword: Retrieved | None,
    dense: Mapping[str, DenseRetrieved],
    raw: Mapping[str, Mapping[int, float]],
    group_of: Mapping[int, str],
    language_of: Mapping[int, str] | None = None,
) -> Scorer:
    """Calibrate and weigh every side for one query. ``raw[encoder][pid]``: exact scores of
    every candidate; ``group_of``: each candidate's calibration group; ``language_of``: its
    language (default: its group). Calibration needs enough paragraphs per group, so small
    languages share a pooled group; which language the keyword side can read does not, so
    its offsets are per language, however few paragraphs a language has."""
    if mode == "keyword":
        bm25 = dict(keyword.ranking) if keyword else {}
        return Scorer(mode, None, bm25, 0.0, {}, {}, {}, Weights(1.0, {}))
    calibrated = {name: group_calibrations(d.groups) for name, d in dense.items()}
    calib = {name: c for name, (c, _) in calibrated.items()}
    pooled = {name: p for name, (_, p) in calibrated.items()}
    kw: dict[int, float] = {}
    floor = 0.0
    if mode == "hybrid" and keyword is not None:
        kw, floor = keyword_z(keyword.ranking)
    plain = Weights(1.0, dict.fromkeys(dense, 1.0))
    scorer = Scorer(mode, alpha, kw, floor, calib, pooled, {}, plain)
    candidates = set().union(*(r.keys() for r in raw.values())) if raw else set()
    dense_z = {
        name: {p: scorer.z(name, scores[p], group_of.get(p, POOLED)) for p in candidates}
        for name, scores in raw.items()
    }
    weights = side_weights(keyword if mode == "hybrid" else None, kw, dense_z)
    scorer = Scorer(mode, alpha, kw, floor, calib, pooled, {}, weights)
    if mode != "hybrid" or alpha is not None:
        return scorer
    dense_scores = {
        pid: scorer.dense({n: raw[n][pid] for n in raw}, group_of.get(pid, POOLED))
        for pid in candidates
    }
    languages = language_of if language_of is not None else group_of
    preference = language_preference(dense_scores, languages)
    offsets = keyword_offsets(kw, floor, languages, preference)
    return Scorer(mode, alpha, kw, floor, calib, pooled, offsets, weights)


def unseen_bound(
    scorer: Scorer, keyword: Retrieved | None, dense: Mapping[str, DenseRetrieved]
) -> float:
    """An upper bound on the score of any paragraph that no list returned."""
    if scorer.mode == "keyword":
        if keyword is None or keyword.exhausted or not keyword.ranking:
            return NEG_INF
        return keyword.ranking[-1][1]
    groups: set[str] = {POOLED}
    for d in dense.values():
        groups.update(d.groups)
    bound = NEG_INF
    for group in groups:
        floors = {}
        for name, d in dense.items():
            floors[name] = d.floors.get(group, d.last)
        if not floors or any(f == NEG_INF for f in floors.values()):
            continue  # some encoder's list holds every paragraph of this group
        bound = max(bound, scorer.score(None, floors, group))
    return bound


__all__ = ["STATS_DEPTH", "Scorer", "Weights", "build_scorer", "unseen_bound"]
