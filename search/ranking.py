"""Per-query scoring: turns what the retrievers returned into one fused score per paragraph,
for any paragraph (seen in a list or not), with an upper bound for the paragraphs no list
returned. The engine deepens the lists until that bound is below the last release it has to
show, so every page is exact and page 2 continues page 1 (threshold-algorithm style).

Calibration uses only the top :data:`~dalil.search.fusion.STATS_DEPTH` of each list, and keyword
values below that depth are raised to the floor, so a paragraph's score does not depend on
how deep the lists were fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dalil.search.fusion import (
    KEYWORD_WEIGHT,
    LANGUAGE_TAU,
    group_calibrations,
    keyword_offsets,
    keyword_z,
    language_preference,
)
from dalil.search.models import Mode
from dalil.search.retrievers import POOLED, DenseRetrieved, Retrieved

NEG_INF = float("-inf")


@dataclass(frozen=True)
class Scorer:
    """Scores paragraphs for one query. ``calib[encoder][group]`` = (mean, std) of that
    group's top raw scores; ``kw`` keyword z-scores (raw BM25 in keyword mode)."""

    mode: Mode
    alpha: float | None
    kw: Mapping[int, float]
    kw_floor: float
    calib: Mapping[str, Mapping[str, tuple[float, float]]]
    pooled: Mapping[str, tuple[float, float]]
    offsets: Mapping[str, float]
    keyword_weight: float = KEYWORD_WEIGHT

    def dense(self, raw: Mapping[str, float], group: str) -> float:
        """Mean over encoders of the raw scores' z in the paragraph's language group."""
        if not raw:
            return 0.0
        total = 0.0
        for name, score in raw.items():
            mean, std = self.calib.get(name, {}).get(group, self.pooled[name])
            total += (score - mean) / std
        return total / len(raw)

    def score(self, pid: int | None, raw: Mapping[str, float], group: str) -> float:
        """The fused score of a paragraph (``pid`` None: one no keyword list returned)."""
        kw = self.kw.get(pid, self.kw_floor) if pid is not None else self.kw_floor
        if self.mode == "keyword":
            return kw
        dense = self.dense(raw, group)
        if self.mode == "semantic":
            return dense
        if self.alpha is not None:
            return self.alpha * dense + (1.0 - self.alpha) * (kw - self.kw_floor)
        offset = self.offsets.get(group, self.kw_floor)
        return dense + self.keyword_weight * (kw - offset)


def build_scorer(
    mode: Mode,
    alpha: float | None,
    keyword: Retrieved | None,
    dense: Mapping[str, DenseRetrieved],
    raw: Mapping[str, Mapping[int, float]],
    group_of: Mapping[int, str],
    *,
    tau: float = LANGUAGE_TAU,
) -> Scorer:
    """Calibrate every side for one query. ``raw[encoder][pid]``: exact scores of every
    candidate; ``group_of``: each candidate's language group."""
    if mode == "keyword":
        bm25 = dict(keyword.ranking) if keyword else {}
        return Scorer(mode, None, bm25, 0.0, {}, {}, {})
    calibrated = {name: group_calibrations(d.groups) for name, d in dense.items()}
    calib = {name: c for name, (c, _) in calibrated.items()}
    pooled = {name: p for name, (_, p) in calibrated.items()}
    kw: dict[int, float] = {}
    floor = 0.0
    if mode == "hybrid" and keyword is not None:
        kw, floor = keyword_z(keyword.ranking)
    scorer = Scorer(mode, alpha, kw, floor, calib, pooled, {})
    if mode != "hybrid" or alpha is not None:
        return scorer
    candidates = set().union(*(r.keys() for r in raw.values())) if raw else set()
    dense_scores = {
        pid: scorer.dense({n: raw[n][pid] for n in raw}, group_of.get(pid, POOLED))
        for pid in candidates
    }
    preference = language_preference(dense_scores, group_of, tau)
    offsets = keyword_offsets(kw, floor, group_of, preference)
    return Scorer(mode, alpha, kw, floor, calib, pooled, offsets)


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
