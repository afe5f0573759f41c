"""search.fusion: RRF, normalisation, score fusion and the language-aware default."""

from __future__ import annotations

import math

import pytest

from dalil.search.fusion import (
    STATS_DEPTH,
    adaptive_hybrid,
    calibration,
    dense_z,
    fixed_hybrid,
    group_calibrations,
    keyword_offsets,
    keyword_z,
    language_preference,
    mean_scores,
    normalise,
    rrf,
    score_fusion,
    sort_ranking,
)


def ids(ranking):
    return [d for d, _ in ranking]


# -- rrf ----------------------------------------------------------------------------------


def test_rrf_empty_inputs():
    assert rrf([]) == []
    assert rrf([[], []]) == []


def test_rrf_one_side_empty_keeps_the_other_order():
    assert ids(rrf([[(3, 9.0), (1, 5.0), (2, 1.0)], []])) == [3, 1, 2]


def test_rrf_scores_and_agreement():
    fused = dict(rrf([[(1, 3.0), (2, 2.0)], [(2, 0.9), (1, 0.1)]], k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[1] == pytest.approx(fused[2])
    # both agree on 5 first: it wins over items each side has once
    assert ids(rrf([[(5, 1.0), (6, 0.5)], [(5, 1.0), (7, 0.5)]]))[0] == 5


def test_rrf_ties_share_a_rank_and_break_by_id():
    fused = rrf([[(9, 1.0), (4, 1.0), (7, 0.5)]])
    assert fused[0][1] == fused[1][1]
    assert ids(fused) == [4, 9, 7]


def test_rrf_weights_zero_and_one():
    a, b = [(1, 1.0), (2, 0.5)], [(3, 1.0), (2, 0.5)]
    assert ids(rrf([a, b], weights=[1, 0])) == [1, 2]
    assert ids(rrf([a, b], weights=[0, 1])) == [3, 2]
    with pytest.raises(ValueError):
        rrf([a, b], weights=[1])
    with pytest.raises(ValueError):
        rrf([a], weights=[-1])


def test_rrf_single_item_and_duplicates():
    assert rrf([[(1, 0.3)]]) == [(1, pytest.approx(1 / 61))]
    assert rrf([[(1, 0.9), (1, 0.1)]]) == [(1, pytest.approx(1 / 61))]


# -- normalisation and score fusion ----------------------------------------------------------


@pytest.mark.parametrize("method", ["minmax", "zscore", "rank"])
def test_normalise_empty_and_single(method):
    assert normalise([], method) == {}
    single = normalise([(4, 2.5)], method)
    assert list(single) == [4]


def test_normalise_all_equal_scores():
    ranking = [(1, 2.0), (2, 2.0), (3, 2.0)]
    assert set(normalise(ranking, "minmax").values()) == {1.0}
    assert set(normalise(ranking, "zscore").values()) == {0.0}
    assert set(normalise(ranking, "rank").values()) == {1.0}


def test_normalise_values():
    ranking = [(1, 10.0), (2, 6.0), (3, 2.0)]
    assert normalise(ranking, "minmax") == {1: 1.0, 2: 0.5, 3: 0.0}
    z = normalise(ranking, "zscore")
    assert z[2] == pytest.approx(0.0) and z[1] == pytest.approx(-z[3])
    assert normalise(ranking, "rank") == {1: 1.0, 2: pytest.approx(2 / 3), 3: pytest.approx(1 / 3)}
    with pytest.raises(ValueError):
        normalise(ranking, "softmax")  # type: ignore[arg-type]


def test_score_fusion_one_side_empty_and_weights():
    a = [(1, 5.0), (2, 1.0)]
    assert ids(score_fusion([a, []])) == [1, 2]
    b = [(2, 0.9), (3, 0.1)]
    assert ids(score_fusion([a, b], [1, 0])) == [1, 2]
    assert ids(score_fusion([a, b], [0, 1])) == [2, 3]
    both = dict(score_fusion([a, b], [1, 1]))
    assert both[2] == pytest.approx(1.0)  # 0 (a's worst) + 1 (b's best)
    assert both[1] == pytest.approx(1.0) and both[3] == pytest.approx(0.0)


def test_score_fusion_ties_break_by_id():
    assert ids(score_fusion([[(8, 1.0), (3, 1.0)]])) == [3, 8]


def test_sort_ranking_is_deterministic():
    assert sort_ranking({5: 1.0, 2: 1.0, 9: 3.0}) == [(9, 3.0), (2, 1.0), (5, 1.0)]


# -- calibration pieces ----------------------------------------------------------------------


def test_calibration_edge_cases():
    assert calibration([]) == (0.0, 1.0)
    assert calibration([(1, 0.4)]) == (0.4, 1.0)
    mean, std = calibration([(1, 3.0), (2, 1.0)])
    assert (mean, std) == (2.0, 1.0)
    # only the top `depth` items calibrate
    assert calibration([(1, 3.0), (2, 1.0), (3, -100.0)], depth=2) == (2.0, 1.0)


def test_keyword_z_floor_and_depth_independence():
    ranking = [(i, float(100 - i)) for i in range(150)]
    shallow, floor = keyword_z(ranking[:100])
    deep, floor_deep = keyword_z(ranking)
    assert floor == floor_deep < 0
    assert {d: deep[d] for d in shallow} == shallow
    assert all(deep[d] == floor for d in range(100, 150))  # below the floor: raised to it


def test_keyword_z_single_hit_and_empty():
    z, floor = keyword_z([(7, 3.2)])
    assert z == {7: 1.0} and floor == 0.0
    z, floor = keyword_z([(1, 2.0), (2, 2.0)])
    assert z == {1: 1.0, 2: 1.0}
    assert keyword_z([]) == ({}, 0.0)


def test_dense_z_per_group_removes_a_language_offset():
    # Two full groups (STATS_DEPTH items each): Arabic scores sit 0.3 above English ones.
    ar = [(i, 0.9 - i * 0.001) for i in range(STATS_DEPTH)]
    en = [(1000 + i, 0.6 - i * 0.001) for i in range(STATS_DEPTH)]
    groups = {"ar": ar, "en": en}
    scores = {d: s for r in groups.values() for d, s in r}
    group_of = {d: g for g, r in groups.items() for d, _ in r}
    z = dense_z(groups, scores, group_of)
    assert z[0] == pytest.approx(z[1000])
    assert z[STATS_DEPTH - 1] == pytest.approx(z[1000 + STATS_DEPTH - 1])


def test_a_small_language_group_is_not_lifted_for_being_the_best_of_its_language():
    # 100 Arabic paragraphs, 3 unrelated English ones with low scores: the best English one
    # must not outrank the best Arabic one just because it tops its own tiny group.
    ar = [(i, 0.9 - i * 0.003) for i in range(STATS_DEPTH)]
    en = [(1000, 0.30), (1001, 0.29), (1002, 0.28)]
    groups = {"ar": ar, "en": en}
    scores = {d: s for r in groups.values() for d, s in r}
    group_of = {d: g for g, r in groups.items() for d, _ in r}
    z = dense_z(groups, scores, group_of)
    assert z[1000] < z[0]
    assert z[1000] < z[STATS_DEPTH // 2]
    calib, pooled = group_calibrations(groups)
    assert calib["ar"] == pytest.approx(calibration(ar))  # a full group keeps its own
    assert abs(calib["en"][0] - pooled[0]) < abs(calib["en"][0] - calibration(en)[0])


def test_mean_scores():
    assert mean_scores([]) == {}
    assert mean_scores([{1: 1.0, 2: 3.0}, {1: 3.0}]) == {1: 2.0}
    assert mean_scores([{1: 1.0}, {1: 3.0}], [0, 1]) == {1: 3.0}


def test_language_preference():
    assert language_preference({1: 2.0, 2: 1.0}, {1: "ar", 2: "ar"}) == {"ar": 1.0}
    pref = language_preference({1: 3.0, 2: 1.0}, {1: "en", 2: "ar"}, tau=0.5)
    assert pref["en"] > 0.95 and pref["ar"] < 0.05
    even = language_preference({1: 1.0, 2: 1.0}, {1: "en", 2: "ar"})
    assert even == {"en": 0.5, "ar": 0.5}
    assert language_preference({}, {}) == {}


def test_keyword_offsets_blend_floor_and_best():
    kw = {1: 2.0, 2: 1.0}
    group_of = {1: "ar", 2: "ar", 3: "en"}
    assert keyword_offsets(kw, -1.0, group_of, {"ar": 1.0, "en": 0.0}) == {"ar": -1.0, "en": -1.0}
    assert keyword_offsets(kw, -1.0, group_of, {"ar": 0.0, "en": 1.0}) == {"ar": 2.0, "en": -1.0}


# -- the default hybrid -------------------------------------------------------------------


def test_adaptive_hybrid_one_language_is_a_weighted_sum():
    kw, floor = {1: 2.0, 2: 0.5}, -1.0
    dense = {1: 0.5, 2: 1.0, 3: 0.8}
    group_of = dict.fromkeys(dense, "ar")
    fused = adaptive_hybrid(kw, floor, dense, group_of, keyword_weight=0.5)
    assert fused == {
        1: pytest.approx(0.5 + 0.5 * 3.0),
        2: pytest.approx(1.0 + 0.5 * 1.5),
        3: pytest.approx(0.8),
    }


def test_adaptive_hybrid_keyword_cannot_bury_another_language():
    # Arabic query; the dense side clearly prefers an English paragraph (1) that the
    # keyword side cannot read; Arabic paragraphs merely share words with the query.
    dense = {1: 3.0, 2: 1.5, 3: 1.0}
    group_of = {1: "en", 2: "ar", 3: "ar"}
    kw, floor = {2: 3.0, 3: 2.0}, -0.5
    fused = adaptive_hybrid(kw, floor, dense, group_of)
    assert max(fused, key=fused.get) == 1
    assert fused[2] > fused[3]  # inside its language the keyword side still reorders
    plain = fixed_hybrid(kw, floor, dense, alpha=2 / 3)
    assert max(plain, key=plain.get) == 2  # what a fixed blend would have done


def test_adaptive_hybrid_keeps_keyword_when_its_language_is_preferred():
    dense = {1: 1.0, 2: 3.0, 3: 2.9}
    group_of = {1: "en", 2: "ar", 3: "ar"}
    kw, floor = {3: 3.0}, -0.5
    fused = adaptive_hybrid(kw, floor, dense, group_of)
    assert max(fused, key=fused.get) == 3


def test_fixed_hybrid_alpha_bounds():
    kw, floor, dense = {1: 2.0}, 0.0, {1: 0.0, 2: 1.0}
    assert fixed_hybrid(kw, floor, dense, 1.0) == {1: 0.0, 2: 1.0}
    assert fixed_hybrid(kw, floor, dense, 0.0) == {1: 2.0, 2: 0.0}
    with pytest.raises(ValueError):
        fixed_hybrid(kw, floor, dense, 1.5)
    assert not any(math.isnan(v) for v in fixed_hybrid({}, 0.0, {}, 0.5).values())
