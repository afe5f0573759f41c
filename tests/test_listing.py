"""search.listing.fold: near-duplicates folded into one entry, in the list's order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dalil.search.grouping import ReleaseGroup
from dalil.search.listing import Entry, fold

# a best-first list of releases, each in one of a few clusters or none
lists = st.lists(st.one_of(st.none(), st.sampled_from("abcd")), max_size=40)


def releases_of(clusters: list[str | None]) -> tuple[list[ReleaseGroup], dict[str, str]]:
    groups = [ReleaseGroup(f"r{i}", float(-i), ()) for i in range(len(clusters))]
    return groups, {f"r{i}": c for i, c in enumerate(clusters) if c is not None}


@given(lists, st.integers(min_value=0, max_value=40))
def test_every_release_once_one_entry_per_cluster_in_order(
    clusters: list[str | None], weak_from: int
) -> None:
    groups, cluster_of = releases_of(clusters)
    entries = fold(groups, cluster_of, weak_from=weak_from)
    shown = [g.release_id for e in entries for g in (e.lead, *e.folded)]
    assert sorted(shown) == sorted(g.release_id for g in groups)
    clustered = [e.cluster for e in entries if e.cluster is not None]
    assert len(clustered) == len(set(clustered)) == len(set(cluster_of.values()))
    position = {g.release_id: i for i, g in enumerate(groups)}
    leads = [position[e.lead.release_id] for e in entries]
    assert leads == sorted(leads)  # each entry at its best release's place
    for e in entries:
        assert all(cluster_of[g.release_id] == e.cluster for g in e.folded)
        members = [position[g.release_id] for g in (e.lead, *e.folded)]
        assert members == sorted(members)
        assert e.weak == (position[e.lead.release_id] >= weak_from)


@given(lists, st.integers(min_value=0, max_value=40))
def test_entries_led_by_a_match_are_the_matches_folded(
    clusters: list[str | None], matches: int
) -> None:
    # what the search page counts as "listed" matches
    groups, cluster_of = releases_of(clusters)
    everything = fold(groups, cluster_of, weak_from=matches)
    assert sum(not e.weak for e in everything) == len(fold(groups[:matches], cluster_of))


def test_a_cluster_folds_under_its_best_release() -> None:
    groups, cluster_of = releases_of(["a", None, "a", "a"])
    assert fold(groups, cluster_of) == [
        Entry(groups[0], (groups[2], groups[3]), "a"),
        Entry(groups[1]),
    ]
