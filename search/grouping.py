"""Pure grouping of a paragraph ranking into releases: each release once, scored by its best
paragraph, with its best paragraphs (at most ``max_paragraphs``) kept for snippets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_SNIPPETS = 3


@dataclass(frozen=True)
class ReleaseGroup:
    """One release in a grouped ranking. ``paragraphs`` are ``(paragraph id, score)``,
    best first; ``score`` is the best paragraph's score."""

    release_id: str
    score: float
    paragraphs: tuple[tuple[int, float], ...]


def group_by_release(
    ranking: Sequence[tuple[int, float]],
    release_of: Mapping[int, str],
    max_paragraphs: int = MAX_SNIPPETS,
) -> list[ReleaseGroup]:
    """Group a paragraph ranking (best first or not) into releases, best release first.

    A release's score is its best paragraph's score (max, not sum: a long release must not
    outrank a short one just for having more paragraphs). Paragraph ids missing from
    ``release_of`` (deleted since retrieval) are skipped; a repeated paragraph id counts
    once, with its best score. Ties: releases by id, paragraphs by id, both ascending.
    """
    if max_paragraphs < 1:
        raise ValueError(f"max_paragraphs must be at least 1, got {max_paragraphs}")
    best: dict[int, float] = {}
    for pid, score in ranking:
        if pid in release_of and (pid not in best or score > best[pid]):
            best[pid] = float(score)
    # one sort of every paragraph, best first: each release's paragraphs then arrive in
    # order, and the releases in the order of their best paragraph (keyword mode groups
    # every match of a common word: thousands of releases, so no sort per release)
    members: dict[str, list[tuple[int, float]]] = {}
    for pid, score in sorted(best.items(), key=_best_first):
        release_id = release_of[pid]
        kept = members.get(release_id)
        if kept is None:
            members[release_id] = [(pid, score)]
        elif len(kept) < max_paragraphs:
            kept.append((pid, score))
    groups = [ReleaseGroup(rid, kept[0][1], tuple(kept)) for rid, kept in members.items()]
    groups.sort(key=_release_order)  # already by score: this breaks ties by release id
    return groups


def _best_first(paragraph: tuple[int, float]) -> tuple[float, int]:
    return -paragraph[1], paragraph[0]


def _release_order(group: ReleaseGroup) -> tuple[float, str]:
    return -group.score, group.release_id
