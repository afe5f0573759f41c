"""What a result list holds (pure): the matches (releases at or above the relevance
threshold), near-duplicates folded into one entry, in relevance or date order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dalil.search.grouping import ReleaseGroup
from dalil.search.models import Mode, Sort
from dalil.search.relevance import is_match


@dataclass(frozen=True)
class Entry:
    """One result: the release shown (``lead``, the best-scoring of its cluster in the list)
    and the other releases of its cluster found in the list (``folded``)."""

    lead: ReleaseGroup
    folded: tuple[ReleaseGroup, ...] = ()
    cluster: str | None = None
    weak: bool = False


def split_matches(
    releases: Sequence[ReleaseGroup], mode: Mode, threshold: float | None = None
) -> tuple[list[ReleaseGroup], list[ReleaseGroup]]:
    """``(matches, weaker)`` of a best-first release list."""
    matches = [g for g in releases if is_match(g.score, mode, threshold)]
    weaker = [g for g in releases if not is_match(g.score, mode, threshold)]
    return matches, weaker


def fold(
    releases: Sequence[ReleaseGroup],
    cluster_of: Mapping[str, str],
    *,
    weak_from: int | None = None,
) -> list[Entry]:
    """One entry per cluster (releases without a cluster are their own), at the place of its
    best release; ``releases`` must be best first. Entries whose lead comes at or after
    position ``weak_from`` are marked weak."""
    leads: list[tuple[ReleaseGroup, str | None, bool]] = []
    folded: dict[str, list[ReleaseGroup]] = {}  # a cluster's releases after its lead
    for position, group in enumerate(releases):
        cluster = cluster_of.get(group.release_id)
        if cluster is not None and cluster in folded:
            folded[cluster].append(group)
            continue
        if cluster is not None:
            folded[cluster] = []
        leads.append((group, cluster, weak_from is not None and position >= weak_from))
    return [
        Entry(lead, tuple(folded[cluster]) if cluster is not None else (), cluster, weak)
        for lead, cluster, weak in leads
    ]


def by_date(entries: Sequence[Entry], dates: Mapping[str, str | None], sort: Sort) -> list[Entry]:
    """``entries`` newest or oldest first by their lead's date (undated ones last; ties by
    relevance, as listed); ``relevance`` keeps them as they are."""
    if sort == "relevance":
        return list(entries)
    dated = [(dates.get(e.lead.release_id) or "", i, e) for i, e in enumerate(entries)]
    with_date = [d for d in dated if d[0]]
    without = [d[2] for d in dated if not d[0]]
    if sort == "newest":
        with_date.sort(key=lambda d: (_reverse(d[0]), d[1]))
    else:
        with_date.sort(key=lambda d: (d[0], d[1]))
    return [d[2] for d in with_date] + without


def _reverse(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)
