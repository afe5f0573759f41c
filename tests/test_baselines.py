"""search.baselines: reciprocal rank fusion, the benchmark's baseline."""

from __future__ import annotations

import pytest

from dalil.search.evaluation.baselines import rrf


def ids(ranking):
    return [d for d, _ in ranking]


def test_rrf_empty_inputs():
    assert rrf([]) == []
    assert rrf([[], []]) == []


def test_rrf_one_side_empty_keeps_the_other_order():
    assert ids(rrf([[(3, 9.0), (1, 5.0), (2, 1.0)], []])) == [3, 1, 2]


def test_rrf_scores_and_agreement():
    fused = dict(rrf([[(1, 3.0), (2, 2.0)], [(2, 0.9), (1, 0.1)]], k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[1] == pytest.approx(fused[2])
    assert ids(rrf([[(5, 1.0), (6, 0.5)], [(5, 1.0), (7, 0.5)]]))[0] == 5


def test_rrf_ties_share_a_rank_and_break_by_id():
    fused = rrf([[(9, 1.0), (4, 1.0), (7, 0.5)]])
    assert fused[0][1] == fused[1][1]
    assert ids(fused) == [4, 9, 7]


def test_rrf_single_item_duplicates_and_bad_k():
    assert rrf([[(1, 0.3)]]) == [(1, pytest.approx(1 / 61))]
    assert rrf([[(1, 0.9), (1, 0.1)]]) == [(1, pytest.approx(1 / 61))]
    with pytest.raises(ValueError):
        rrf([[(1, 1.0)]], k=-1)
