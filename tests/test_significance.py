"""The paired randomization test the benchmark reports beside every gap
(:mod:`dalil.search.evaluation.significance`)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dalil.search.evaluation.significance import paired_difference


def exact_sign_flip_p(diffs: list[float]) -> float:
    """The test's definition, enumerated: the share of all sign patterns of the differing
    queries whose |sum| is at least the observed one."""
    d = [x for x in diffs if abs(x) > 1e-12]
    observed = abs(sum(d))
    patterns = list(itertools.product((1, -1), repeat=len(d)))
    hits = sum(
        abs(sum(s * x for s, x in zip(signs, d, strict=True))) >= observed - 1e-9
        for signs in patterns
    )
    return hits / len(patterns)


scores = st.lists(st.sampled_from([0.0, 0.3, 0.5, 1.0]), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_p_value_is_the_exact_sign_flip_test_for_few_differing_queries(data) -> None:
    a = data.draw(scores)
    b = data.draw(st.lists(st.sampled_from([0.0, 0.3, 0.5, 1.0]), min_size=len(a), max_size=len(a)))
    differing = sum(abs(x - y) > 1e-12 for x, y in zip(a, b, strict=True))
    if differing > 10:  # beyond that scipy samples; the definition is enumerated below it
        return
    diff = paired_difference(a, b)
    assert diff.gap == pytest.approx(float(np.mean(a)) - float(np.mean(b)))
    assert diff.differing == differing
    assert diff.p_value == pytest.approx(
        exact_sign_flip_p([x - y for x, y in zip(a, b, strict=True)])
    )


def test_p_value_is_symmetric_and_ignores_agreeing_queries() -> None:
    a = [1.0] * 30 + [0.5] * 10 + [0.2] * 5
    b = [0.5] * 30 + [1.0] * 10 + [0.2] * 5
    forward, backward = paired_difference(a, b), paired_difference(b, a)
    assert forward.gap == pytest.approx(-backward.gap)
    assert forward.p_value == pytest.approx(backward.p_value)
    padded = paired_difference(a + [0.7] * 500, b + [0.7] * 500)
    assert padded.p_value == pytest.approx(forward.p_value)
    assert padded.differing == forward.differing == 40


def test_a_consistent_gap_is_significant_and_a_lone_one_is_not() -> None:
    assert paired_difference([1.0] * 25 + [0.0] * 5, [0.0] * 30).significant
    lone = paired_difference([0.0] + [1.0] * 594, [1.0] * 595)
    assert not lone.significant and lone.p_value == 1.0
    assert paired_difference([0.4, 0.6], [0.4, 0.6]).p_value == 1.0


def test_a_report_says_when_a_gap_is_a_tie() -> None:
    assert paired_difference([1.0] * 25 + [0.0] * 5, [0.0] * 30).describe() == "p<0.001"
    assert paired_difference([0.0] + [1.0] * 9, [1.0] * 10).describe() == "p=1.000: a tie"


def test_unpaired_scores_are_refused() -> None:
    with pytest.raises(ValueError, match="one pair per query"):
        paired_difference([1.0, 0.0], [1.0])
