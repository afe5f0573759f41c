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
    members: dict[str, list[tuple[int, float]]] = {}
    for pid, score in best.items():
        members.setdefault(release_of[pid], []).append((pid, score))
    groups = []
    for release_id, paragraphs in members.items():
        paragraphs.sort(key=lambda p: (-p[1], p[0]))
        groups.append(
            ReleaseGroup(release_id, paragraphs[0][1], tuple(paragraphs[:max_paragraphs]))
        )
    groups.sort(key=lambda g: (-g.score, g.release_id))
    return groups
