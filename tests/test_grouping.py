"""search.grouping: paragraphs into releases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dalil.search.grouping import ReleaseGroup, group_by_release

RELEASE_OF = {1: "a", 2: "a", 3: "b", 4: "a", 5: "a", 6: "c"}


def test_each_release_once_scored_by_its_best_paragraph():
    groups = group_by_release([(1, 0.9), (3, 0.8), (2, 0.7), (6, 0.1)], RELEASE_OF)
    assert [g.release_id for g in groups] == ["a", "b", "c"]
    assert groups[0] == ReleaseGroup("a", 0.9, ((1, 0.9), (2, 0.7)))


def test_at_most_three_paragraphs_best_first():
    ranking = [(5, 0.2), (1, 0.5), (4, 0.9), (2, 0.7)]
    (group,) = group_by_release(ranking, RELEASE_OF)
    assert group.paragraphs == ((4, 0.9), (2, 0.7), (1, 0.5))
    assert group_by_release(ranking, RELEASE_OF, max_paragraphs=1)[0].paragraphs == ((4, 0.9),)


def test_max_not_sum_a_long_release_does_not_win_by_length():
    ranking = [(1, 0.5), (2, 0.5), (4, 0.5), (5, 0.5), (3, 0.6)]
    assert [g.release_id for g in group_by_release(ranking, RELEASE_OF)] == ["b", "a"]


def test_ties_unknown_ids_duplicates_and_empty():
    assert group_by_release([], RELEASE_OF) == []
    groups = group_by_release([(6, 1.0), (3, 1.0), (99, 5.0), (3, 0.2)], RELEASE_OF)
    assert [g.release_id for g in groups] == ["b", "c"]  # tie: by id; 99 unknown
    assert groups[0].paragraphs == ((3, 1.0),)
    with pytest.raises(ValueError):
        group_by_release([(1, 1.0)], RELEASE_OF, max_paragraphs=0)


@given(
    st.lists(st.tuples(st.integers(0, 30), st.sampled_from([0.0, 0.5, 1.0, 2.5, -1.0]))),
    st.integers(1, 4),
)
def test_matches_its_definition_for_any_ranking(ranking, k):
    release_of = {pid: f"r{pid % 7}" for pid in range(25)}  # 25..30 unknown
    best: dict[int, float] = {}
    for pid, score in ranking:
        if pid in release_of:
            best[pid] = max(score, best.get(pid, score))
    want = []
    for rid in set(release_of[p] for p in best):
        kept = sorted(
            ((p, s) for p, s in best.items() if release_of[p] == rid), key=lambda p: (-p[1], p[0])
        )
        want.append(ReleaseGroup(rid, kept[0][1], tuple(kept[:k])))
    want.sort(key=lambda g: (-g.score, g.release_id))
    assert group_by_release(ranking, release_of, max_paragraphs=k) == want
