"""search.ranking and search.calibration: the formula the searcher ranks with (build_scorer /
Scorer), tested on edge cases: never below its parts, keyword matches cannot bury another
language's answer, ties, empty sides, per-query weights."""

from __future__ import annotations

import math

import pytest
from ranking_fixtures import rank, spread

from dalil.search.calibration import STATS_DEPTH, calibration, group_calibrations, keyword_z
from dalil.search.ranking import (
    NEG_INF,
    Scorer,
    build_scorer,
    keyword_offsets,
    language_preference,
    lead,
    side_weights,
    unseen_bound,
)
from dalil.search.retrievers import POOLED, DenseRetrieved, Retrieved

# -- calibration ------------------------------------------------------------------------


def test_calibration_edge_cases():
    assert calibration([]) == (0.0, 1.0)
    assert calibration([(1, 0.4)]) == (0.4, 1.0)
    assert calibration([(1, 3.0), (2, 1.0)]) == (2.0, 1.0)
    assert calibration([(1, 3.0), (2, 1.0), (3, -100.0)], depth=2) == (2.0, 1.0)


def test_keyword_z_floor_and_depth_independence():
    ranking = [(i, float(100 - i)) for i in range(150)]
    shallow, floor = keyword_z(ranking[:100])
    deep, floor_deep = keyword_z(ranking)
    assert floor == floor_deep < 0
    assert {d: deep[d] for d in shallow} == shallow
    assert all(deep[d] == floor for d in range(100, 150))


def test_keyword_z_single_hit_and_empty():
    assert keyword_z([(7, 3.2)]) == ({7: 1.0}, 0.0)
    assert keyword_z([(1, 2.0), (2, 2.0)])[0] == {1: 1.0, 2: 1.0}
    assert keyword_z([]) == ({}, 0.0)


def test_a_small_language_group_is_shrunk_toward_the_pooled_statistics():
    ar = [(i, 0.9 - i * 0.003) for i in range(STATS_DEPTH)]
    en = [(1000, 0.30), (1001, 0.29), (1002, 0.28)]
    calib, pooled = group_calibrations({"ar": ar, "en": en})
    assert calib["ar"] == pytest.approx(calibration(ar))
    assert abs(calib["en"][0] - pooled[0]) < abs(calib["en"][0] - calibration(en)[0])


# -- weights ----------------------------------------------------------------------------


def test_lead_and_side_weights():
    assert lead([]) == 0.0 and lead([1.0]) == 0.0
    assert lead([5.0, 1.0, 1.0]) == 4.0
    flat = {i: 0.0 for i in range(20)}
    peaked = {0: 4.0, **{i: 0.0 for i in range(1, 20)}}
    w = side_weights(Retrieved([], True), peaked, {"a": peaked, "b": flat})
    assert w.keyword == pytest.approx(4.0)
    assert w.encoders == {"a": 4.0, "b": 0.0}
    # no encoder singles anything out: they count equally
    assert side_weights(None, {}, {"a": flat, "b": flat}).encoders == {"a": 1.0, "b": 1.0}
    assert side_weights(None, {}, {"a": peaked}).keyword == 0.0


# -- never below its parts ----------------------------------------------------------------


def test_hybrid_without_keyword_matches_is_the_semantic_ranking():
    enc = {"e": spread({1: 0.9, 2: 0.8, 3: 0.7}), "u": spread({1: 0.5, 3: 0.6, 2: 0.4})}
    group_of = dict.fromkeys(enc["e"], "ar")
    assert rank("hybrid", [], enc, group_of) == rank("semantic", None, enc, group_of)
    assert rank("hybrid", None, enc, group_of) == rank("semantic", None, enc, group_of)


def test_keyword_matches_on_common_words_only_change_nothing():
    enc = {"e": spread({1: 0.9, 2: 0.8})}
    group_of = dict.fromkeys(enc["e"], "ar")
    kw = [(i, 1.0) for i in sorted(group_of)]  # every paragraph matched alike: no lead
    assert rank("hybrid", kw, enc, group_of) == rank("semantic", None, enc, group_of)


def test_hybrid_follows_the_side_that_singles_out_an_answer():
    # the encoder is flat (no lead), the keyword side singles out paragraph 7
    enc = {"u": {i: 0.5 + 0.0001 * (i % 3) for i in range(1, 30)}}
    group_of = dict.fromkeys(enc["u"], "ar")
    kw = [(7, 12.0)] + [(i, 2.0 - 0.01 * i) for i in range(10, 25)]
    assert rank("hybrid", kw, enc, group_of)[0] == rank("keyword", kw, enc, group_of)[0] == 7
    # and the reverse: the encoder singles out 3, the keyword list is flat
    enc = {"e": spread({3: 0.95})}
    group_of = dict.fromkeys(enc["e"], "ar")
    kw = [(i, 2.0) for i in range(100, 120)] + [(3, 1.9)]
    assert rank("hybrid", kw, enc, group_of)[0] == 3


def test_both_sides_agreeing_wins():
    enc = {"e": spread({1: 0.9, 2: 0.88})}
    group_of = dict.fromkeys(enc["e"], "ar")
    kw = [(3, 9.0), (1, 8.9)] + [(100 + i, 1.0) for i in range(10)]
    assert rank("hybrid", kw, enc, group_of)[0] == 1


def test_empty_everything():
    assert rank("hybrid", [], {}, {}) == []
    assert rank("semantic", None, {"e": {}}, {}) == []


def test_ties_break_by_id():
    enc = {"e": {5: 0.5, 3: 0.5, 9: 0.5}}
    group_of = dict.fromkeys(enc["e"], "ar")
    assert rank("hybrid", [], enc, group_of) == [3, 5, 9]
    assert rank("keyword", [(9, 1.0), (5, 1.0)], enc, group_of) == [5, 9]


# -- cross-language protection ---------------------------------------------------------------


def test_keyword_matches_cannot_bury_another_languages_answer():
    # Arabic query; the dense side clearly prefers an English paragraph (1) that the keyword
    # side cannot read; Arabic paragraphs (2, 3) merely share words with the query.
    ar = {2: 0.55, 3: 0.5, **{100 + i: 0.4 - 0.003 * i for i in range(40)}}
    en = {1: 0.8, **{200 + i: 0.3 - 0.003 * i for i in range(40)}}
    enc = {"e": {**ar, **en}}
    group_of = {**dict.fromkeys(ar, "ar"), **dict.fromkeys(en, "en")}
    kw = [(2, 12.0), (3, 10.0)] + [(100 + i, 3.0 - 0.05 * i) for i in range(40)]
    ranked = rank("hybrid", kw, enc, group_of)
    assert ranked[0] == 1
    assert ranked.index(2) < ranked.index(3)  # inside its language the keyword side reorders
    assert rank("hybrid", kw, enc, group_of, alpha=0.5)[0] == 2  # what a fixed blend does


def test_keyword_decides_when_its_language_is_preferred():
    ar = {2: 0.8, 3: 0.79, **{100 + i: 0.4 - 0.003 * i for i in range(40)}}
    en = {1: 0.5, **{200 + i: 0.3 - 0.003 * i for i in range(40)}}
    enc = {"e": {**ar, **en}}
    group_of = {**dict.fromkeys(ar, "ar"), **dict.fromkeys(en, "en")}
    kw = [(3, 12.0)] + [(100 + i, 3.0 - 0.05 * i) for i in range(40)]
    assert rank("hybrid", kw, enc, group_of)[0] == 3


def test_language_preference_and_offsets():
    assert language_preference({1: 2.0, 2: 1.0}, {1: "ar", 2: "ar"}) == {"ar": 1.0}
    pref = language_preference({1: 3.0, 2: 1.0}, {1: "en", 2: "ar"}, tau=0.5)
    assert pref["en"] > 0.95 and pref["ar"] < 0.05
    assert language_preference({}, {}) == {}
    kw, group_of = {1: 2.0, 2: 1.0}, {1: "ar", 2: "ar", 3: "en"}
    assert keyword_offsets(kw, -1.0, group_of, {"ar": 1.0, "en": 0.0}) == {"ar": -1.0, "en": -1.0}
    assert keyword_offsets(kw, -1.0, group_of, {"ar": 0.0, "en": 1.0}) == {"ar": 2.0, "en": -1.0}


def test_language_preference_is_a_softmax_over_any_number_of_languages():
    # two languages: the logistic function of the margin, as before
    two = language_preference({1: 2.0, 2: 1.0}, {1: "en", 2: "ar"}, tau=1.0)
    assert two["en"] == pytest.approx(1 / (1 + math.exp(-1.0)))
    # six near-equal languages share the preference instead of each getting about a half
    scores = {i: 1.0 + 0.01 * i for i in range(6)}
    six = language_preference(scores, {i: f"l{i}" for i in range(6)}, tau=1.0)
    assert sum(six.values()) == pytest.approx(1.0)
    assert max(six.values()) < 0.2


def test_an_unread_language_is_credited_not_punished():
    kw, group_of = {1: 2.0, 2: 1.0}, {1: "ar", 2: "ar", 3: "en"}
    offsets = keyword_offsets(kw, -1.0, group_of, {"ar": 0.5, "en": 0.5}, unread_credit=0.6)
    assert offsets["ar"] == pytest.approx(0.5 * 2.0 + 0.5 * -1.0)  # read: no credit
    assert offsets["en"] == pytest.approx(-1.0 - 0.6)  # unread: credited above the floor
    # a language holding a third of the matches is a third read
    kw3, g3 = {1: 2.0, 2: 1.0, 3: 0.5}, {1: "ar", 2: "ar", 3: "en"}
    o3 = keyword_offsets(kw3, -1.0, g3, {"ar": 1.0, "en": 1.0}, unread_credit=0.6)
    assert o3["en"] == pytest.approx(-1.0 - 0.6 * (1 - 1 / 3))


def test_six_languages_keyword_matches_in_one_do_not_sink_the_others():
    # Arabic query over six languages, the answer (1) in Greek: the dense side prefers it
    # by a modest margin; Arabic paragraphs match the query's words but the keyword side
    # has no clear winner. Without the credit for unread languages, every Greek, Thai, ...
    # paragraph counted as "looked at and found nothing" and the Arabic matches won.
    languages = ["ar", "el", "en", "hi", "th", "vi"]
    scores: dict[int, float] = {}
    group_of: dict[int, str] = {}
    for n, lang in enumerate(languages):
        for i in range(40):
            pid = 1000 * (n + 1) + i
            scores[pid] = 0.5 - 0.004 * i
            group_of[pid] = lang
    scores[1], group_of[1] = 0.60, "el"
    scores[2], group_of[2] = 0.58, "ar"
    kw = [(2, 9.0)] + [(1000 + i, 8.5 - 0.05 * i) for i in range(40)]
    assert rank("hybrid", kw, {"e": scores}, group_of)[0] == 1
    # the same archive with the answer in Arabic: the keyword side's match still counts
    kw_clear = [(2, 30.0)] + [(1000 + i, 8.5 - 0.05 * i) for i in range(40)]
    assert rank("hybrid", kw_clear, {"e": scores}, group_of)[0] == 2


def test_a_paragraph_is_scored_by_the_encoders_that_read_its_language():
    # use-m3 was not trained on Greek: its scores of Greek paragraphs are noise, and here
    # they favour paragraph 1; e5-small, which reads Greek, prefers paragraph 2.
    group_of = {1: "el", 2: "el", **{100 + i: "el" for i in range(30)}}
    e5 = spread({1: 0.5, 2: 0.7})
    use = spread({1: 0.95, 2: 0.3})
    assert rank("semantic", None, {"e5-small": e5, "use-m3": use}, group_of)[0] == 2
    # the same scores under an encoder name without a language list count as they are
    assert rank("semantic", None, {"e5-small": e5, "other": use}, group_of)[0] == 1


# -- fixed blends and the unseen bound ---------------------------------------------------------


def test_fixed_alpha_bounds():
    enc = {"e": spread({1: 0.9, 2: 0.1, 3: 0.1})}
    group_of = dict.fromkeys(enc["e"], "ar")
    kw = [(2, 9.0), (3, 1.0)]
    assert rank("hybrid", kw, enc, group_of, alpha=1.0)[0] == 1
    assert rank("hybrid", kw, enc, group_of, alpha=0.0)[0] == 2


def test_unseen_bound_is_above_every_unseen_paragraph():
    scores = {i: 1.0 - 0.01 * i for i in range(50)}
    group_of = dict.fromkeys(scores, "ar")
    seen = dict(list(scores.items())[:20])
    dense = {"e": DenseRetrieved({"ar": list(seen.items())}, {"ar": 0.8}, 0.8)}
    kw = Retrieved([(30, 5.0), (1, 4.0)], True)
    ids = set(seen) | {30}
    raw = {"e": {i: scores[i] for i in ids}}
    scorer = build_scorer("hybrid", None, kw, dense, raw, group_of)
    bound = unseen_bound(scorer, kw, dense)
    unseen = [scorer.score(None, {"e": scores[i]}, "ar") for i in range(20, 50) if i != 30]
    assert all(u <= bound for u in unseen)
    assert isinstance(scorer, Scorer)


def test_unseen_bound_covers_a_credited_language_inside_the_pooled_group():
    # Greek is a small language, calibrated in the pooled group "*" but credited as a
    # language the keyword side cannot read: its unseen paragraphs get the credit too.
    ar = {i: 0.9 - 0.005 * i for i in range(40)}
    pooled = {100 + i: 0.7 - 0.005 * i for i in range(60)}
    group_of = {**dict.fromkeys(ar, "ar"), **dict.fromkeys(pooled, POOLED)}
    language_of = {**dict.fromkeys(ar, "ar"), **dict.fromkeys(pooled, "el")}
    seen_pooled = dict(list(pooled.items())[:20])
    dense = {
        "e": DenseRetrieved(
            {"ar": list(ar.items()), POOLED: list(seen_pooled.items())},
            {"ar": NEG_INF, POOLED: min(seen_pooled.values())},
            min(seen_pooled.values()),
        )
    }
    kw = Retrieved([(i, 9.0 - 0.2 * i) for i in range(40)], True)
    ids = set(ar) | set(seen_pooled)
    raw = {"e": {i: (ar | pooled)[i] for i in ids}}
    scorer = build_scorer("hybrid", None, kw, dense, raw, group_of, language_of)
    assert scorer.offsets["el"] < scorer.kw_floor  # credited
    bound = unseen_bound(scorer, kw, dense)
    unseen = [scorer.score(None, {"e": pooled[i]}, POOLED, "el") for i in pooled if i not in ids]
    assert max(unseen) <= bound
