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
prefers it, so keyword matches cannot bury the answer written in another language. Within the
query's own language, the encoders trained to rank passages order the paragraphs -- or, when
none reads it, the keyword side does -- to the extent the dense side says the answer is in that
language (:func:`within_language_order`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from dalil.indexer.encoders.coverage import ranks_passages, reader_probes, readers
from dalil.search.calibration import STATS_DEPTH, group_calibrations, keyword_z
from dalil.search.models import Mode
from dalil.search.retrievers import POOLED, DenseRetrieved, Retrieved

NEG_INF = float("-inf")
LANGUAGE_TAU = 1.0  # softness, in z units, of "which language group does the dense side prefer"
LEAD_DEPTH = 10  # a side's confidence: how far its best item stands above its 10th


@dataclass(frozen=True)
class Weights:
    """Per-query weights: the keyword side's and each encoder's."""

    keyword: float
    encoders: Mapping[str, float]

    @cached_property
    def dense_total(self) -> float:
        """The encoders' summed weight (read for every fused paragraph: computed once)."""
        return sum(self.encoders.values())


@dataclass(frozen=True)
class WithinLanguage:
    """Who orders the paragraphs written in the query's ``language``
    (:func:`within_language_order`); ``share`` (0..1): the dense side's preference for it.

    With an encoder trained to rank passages among its readers
    (:func:`~dalil.indexer.encoders.coverage.ranks_passages`): the rankers' mean z-score,
    lifted by ``shift[group]`` so that the group's best paragraph stands where all the
    encoders put it, replaces all the encoders' in proportion to ``share``. With none
    (``lift`` set), so that the keyword side orders them: each paragraph's dense score is
    raised toward ``best`` (the language's best dense score) by ``lift`` times its keyword
    reach -- how far its keyword value comes from the floor (no match) toward
    ``keyword_best`` (the language's best match). No score is lowered, and a paragraph the
    keyword side did not match is not raised."""

    language: str
    share: float
    shift: Mapping[str, float]
    lift: float | None = None
    best: float = 0.0
    keyword_best: float = 0.0


@dataclass(frozen=True)
class Scorer:
    """Scores paragraphs for one query. ``calib[encoder][group]`` = (mean, std) of that
    group's top raw scores; ``kw`` keyword z-scores (raw BM25 in keyword mode); ``offsets``
    the keyword value that counts as zero in each language; ``order`` who orders the
    paragraphs of the query's own language (:class:`WithinLanguage`)."""

    mode: Mode
    alpha: float | None
    kw: Mapping[int, float]
    kw_floor: float
    calib: Mapping[str, Mapping[str, tuple[float, float]]]
    pooled: Mapping[str, tuple[float, float]]
    offsets: Mapping[str, float]
    weights: Weights
    order: WithinLanguage | None = None

    def z(self, name: str, score: float, group: str) -> float:
        mean, std = self.calib.get(name, {}).get(group, self.pooled[name])
        return (score - mean) / std

    def mean_z(self, names: list[str], raw: Mapping[str, float], group: str) -> float | None:
        """The weighted mean z-score of ``names`` (None when they have no weight)."""
        w = self.weights.encoders
        total = sum(w.get(name, 0.0) for name in names)
        if total <= 0:
            return None
        return sum(w.get(name, 0.0) * self.z(name, raw[name], group) for name in names) / total

    def rankers_z(self, names: list[str], raw: Mapping[str, float], group: str) -> float | None:
        """The weighted mean z-score of the encoders among ``names`` trained to rank passages
        (None when that is none of them, or all of them: then there is nothing to reorder)."""
        rankers = [name for name in names if ranks_passages(name)]
        return self.mean_z(rankers, raw, group) if len(rankers) < len(names) else None

    def dense(
        self,
        raw: Mapping[str, float],
        group: str,
        language: str | None = None,
        kw: float | None = None,
    ) -> float:
        """The encoders' weighted mean z-score in the paragraph's language group, over the
        encoders that read its ``language`` (:func:`~dalil.indexer.encoders.coverage.readers`);
        in the query's own language, moved towards the rankers' order, or raised by the
        paragraph's keyword value ``kw`` (:class:`WithinLanguage`)."""
        names = readers(list(raw), language)
        mean = self.mean_z(names, raw, group)
        if mean is None:
            return 0.0
        order = self.order
        if order is None or language != order.language:
            return mean
        if order.lift is not None:
            if kw is None or order.keyword_best <= self.kw_floor or mean >= order.best:
                return mean
            reach = min(1.0, max(0.0, (kw - self.kw_floor) / (order.keyword_best - self.kw_floor)))
            return mean + order.lift * reach * (order.best - mean)
        if group not in order.shift:
            return mean
        ranked = self.rankers_z(names, raw, group)
        if ranked is None:
            return mean
        return mean + order.share * (ranked + order.shift[group] - mean)

    def score(
        self, pid: int | None, raw: Mapping[str, float], group: str, language: str | None = None
    ) -> float:
        """The fused score of a paragraph (``pid`` None: one no keyword list returned) of
        calibration ``group`` and ``language`` (default: the group)."""
        kw = self.kw.get(pid, self.kw_floor) if pid is not None else self.kw_floor
        language = language if language is not None else group
        return self.fuse(kw, raw, group, language, self.offsets.get(language, self.kw_floor))

    def fuse(
        self, kw: float, raw: Mapping[str, float], group: str, language: str | None, offset: float
    ) -> float:
        """The fused score of keyword value ``kw`` and raw dense scores ``raw``, the keyword
        value ``offset`` counting as zero."""
        if self.mode == "keyword":
            return kw
        if self.mode == "semantic":
            return self.dense(raw, group, language)
        if self.alpha is not None:
            dense = self.dense(raw, group, language)
            return self.alpha * dense + (1.0 - self.alpha) * (kw - self.kw_floor)
        # The keyword term is divided by the encoders' total weight: the score stays on
        # semantic mode's scale (the dense mean z plus the keyword term in proportion),
        # which the relevance threshold reads.
        total = self.weights.dense_total
        keyword = self.weights.keyword * (kw - offset)
        dense = self.dense(raw, group, language, kw)
        return dense + (keyword / total if total > 0 else keyword)


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
    """For each language group, how clearly the dense side prefers it: a softmax, at
    temperature ``tau``, over the groups' best dense scores (1.0 when there is only one
    group; with two, the logistic function of their margin). A softmax rather than "this
    group against the best other" keeps the shares summing to one however many languages
    the archive holds: six near-equal groups get a sixth each, not a half each."""
    best: dict[str, float] = {}
    for doc, score in dense.items():
        g = group_of.get(doc, POOLED)
        if g not in best or score > best[g]:
            best[g] = score
    if not best:
        return {}
    top = max(best.values())
    weight = {g: math.exp(max(-60.0, (score - top) / tau)) for g, score in best.items()}
    total = sum(weight.values())
    return {g: w / total for g, w in weight.items()}


def keyword_offsets(
    kw: Mapping[int, float],
    floor: float,
    group_of: Mapping[int, str],
    preference: Mapping[str, float],
    unread_credit: float = 0.0,
) -> dict[str, float]:
    """Per group, the keyword value that counts as zero: the floor (no match) for a group the
    dense side prefers, the group's best keyword value for one it does not; in between,
    blended by ``preference``.

    A group the keyword side cannot read (none of its matches are in that language) is not
    evidence against its paragraphs: they are credited ``unread_credit`` above the floor,
    in proportion to the share of the keyword matches that lie elsewhere. Without the
    credit a paragraph in a language the query's words cannot match would rank as if the
    keyword side had looked and found nothing, below every paragraph of the query's own
    language that merely shares a common word."""
    best: dict[str, float] = {}
    hits: dict[str, int] = {}
    for doc, z in kw.items():
        g = group_of.get(doc, POOLED)
        best[g] = max(best.get(g, floor), z)
        hits[g] = hits.get(g, 0) + 1
    total = sum(hits.values())
    out = {}
    for g, p in preference.items():
        unread = 1.0 - hits.get(g, 0) / total if total else 0.0
        out[g] = (1.0 - p) * best.get(g, floor) + p * floor - unread * unread_credit
    return out


def within_language_order(
    scorer: Scorer,
    raw: Mapping[str, Mapping[int, float]],
    dense_scores: Mapping[int, float],
    group_of: Mapping[int, str],
    language_of: Mapping[int, str],
    preference: Mapping[str, float],
    query_language: str | None,
) -> WithinLanguage | None:
    """Who orders the paragraphs of the query's own language (None: all the encoders, as
    elsewhere). An encoder trained only for sentence similarity (use-m3) is needed across
    languages, where it tells well which language holds the answer; within the query's
    language it orders paragraphs worse than an encoder trained to rank them (e5-small), and
    its z-scores are as peaked when it is wrong as when it is right, so the lead cannot tell.
    There the rankers' order replaces all the encoders' in proportion to the dense side's
    preference for that language: when the answer is probably elsewhere, the paragraphs of
    the query's language are distractors, ranked as everywhere else. Each group keeps its
    level (its best paragraph's all-encoder score), so the languages compare as before.

    When no encoder reading the query's language was trained to rank (use-m3 alone), the
    keyword side -- which reads that language and ranks by the query's own words -- is left
    to order it: its matches there are raised toward the language's best dense score, by
    their keyword reach times the squared preference (:class:`WithinLanguage`). The square
    keeps the lift small unless the dense side clearly places the answer in the query's
    language, since raised paragraphs also rise against other languages' answers."""
    share = preference.get(query_language, 0.0) if query_language else 0.0
    if query_language is None or share <= 0.0:
        return None
    if not any(ranks_passages(name) for name in readers(list(raw), query_language)):
        return _keyword_lift(scorer, dense_scores, language_of, query_language, share)
    best: dict[str, float] = {}
    ranked_best: dict[str, float] = {}
    for pid, value in dense_scores.items():
        if language_of.get(pid) != query_language:
            continue
        point = {name: scores[pid] for name, scores in raw.items() if pid in scores}
        group = group_of.get(pid, POOLED)
        ranked = scorer.rankers_z(readers(list(point), query_language), point, group)
        if ranked is None:
            continue
        best[group] = max(best.get(group, NEG_INF), value)
        ranked_best[group] = max(ranked_best.get(group, NEG_INF), ranked)
    if not best:
        return None
    return WithinLanguage(query_language, share, {g: best[g] - ranked_best[g] for g in best})


def _keyword_lift(
    scorer: Scorer,
    dense_scores: Mapping[int, float],
    language_of: Mapping[int, str],
    query_language: str,
    share: float,
) -> WithinLanguage | None:
    own = [v for pid, v in dense_scores.items() if language_of.get(pid) == query_language]
    if not own:
        return None
    matches = [v for pid, v in scorer.kw.items() if language_of.get(pid) == query_language]
    keyword_best = max(matches, default=scorer.kw_floor)
    return WithinLanguage(query_language, share, {}, share**2, max(own), keyword_best)


def build_scorer(
    mode: Mode,
    alpha: float | None,
    keyword: Retrieved | None,
    dense: Mapping[str, DenseRetrieved],
    raw: Mapping[str, Mapping[int, float]],
    group_of: Mapping[int, str],
    language_of: Mapping[int, str] | None = None,
    query_language: str | None = None,
) -> Scorer:
    """Calibrate and weigh every side for one query. ``raw[encoder][pid]``: exact scores of
    every candidate; ``group_of``: each candidate's calibration group; ``language_of``: its
    language (default: its group); ``query_language``: the query's, in the same form (None:
    unknown). Calibration needs enough paragraphs per group, so small languages share a
    pooled group; which language the keyword side can read does not, so its offsets are per
    language, however few paragraphs a language has."""
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
    languages = language_of if language_of is not None else group_of
    # an encoder's lead is read on the paragraphs it can read (its z-scores elsewhere are noise)
    dense_z = {
        name: {
            p: scorer.z(name, scores[p], group_of.get(p, POOLED))
            for p in candidates
            if name in readers(list(raw), languages.get(p))
        }
        for name, scores in raw.items()
    }
    weights = side_weights(keyword if mode == "hybrid" else None, kw, dense_z)
    scorer = Scorer(mode, alpha, kw, floor, calib, pooled, {}, weights)
    if mode != "hybrid" or alpha is not None:
        return scorer
    dense_scores = {
        pid: scorer.dense(
            {n: raw[n][pid] for n in raw}, group_of.get(pid, POOLED), languages.get(pid)
        )
        for pid in candidates
    }
    preference = language_preference(dense_scores, languages)
    # the credit of an unread paragraph: between no match (the floor) and a typical match
    # (z = 0), nearer a typical match the more the query trusts its dense side: a confident
    # keyword side would probably have found the answer had it been readable
    dense_total = weights.dense_total
    confidence = dense_total / (dense_total + weights.keyword) if dense_total > 0 else 0.0
    offsets = keyword_offsets(kw, floor, languages, preference, -floor * confidence)
    order = within_language_order(
        scorer, raw, dense_scores, group_of, languages, preference, query_language
    )
    return Scorer(mode, alpha, kw, floor, calib, pooled, offsets, weights, order)


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
    # An unseen paragraph may be in any language: try every set of encoders that can read
    # one, and the most favourable keyword offset (a credited, unread language's).
    probes = reader_probes(list(dense))
    if scorer.order is not None:
        probes.append(scorer.order.language)  # its paragraphs are ordered apart
    offset = min([scorer.kw_floor, *scorer.offsets.values()])
    bound = NEG_INF
    for group in groups:
        floors = {}
        for name, d in dense.items():
            floors[name] = d.floors.get(group, d.last)
        if not floors or any(f == NEG_INF for f in floors.values()):
            continue  # some encoder's list holds every paragraph of this group
        for language in probes:
            bound = max(bound, scorer.fuse(scorer.kw_floor, floors, group, language, offset))
    return bound


__all__ = ["STATS_DEPTH", "Scorer", "Weights", "WithinLanguage", "build_scorer", "unseen_bound"]
