"""A ranking turned into the hits a page shows: each release read back, its near-duplicates
listed, its best paragraphs scored exactly by the query's own scorer and highlighted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dalil.indexer.models import StoredParagraph
from dalil.indexer.store import clusters
from dalil.indexer.store.docstore import StoredRelease
from dalil.indexer.store.index import Index
from dalil.search.grouping import MAX_SNIPPETS, ReleaseGroup
from dalil.search.highlight import Highlighter
from dalil.search.listing import Entry
from dalil.search.models import Duplicate, Hit, Snippet
from dalil.search.ranking import Scorer
from dalil.search.retrievers import Retrievers, language_key


@dataclass(frozen=True)
class Ranked:
    """A query's releases (best first, at least ``need`` when that many match), the scorer
    that ranked them and the paragraphs fetched on the way (keyword mode fetches none)."""

    releases: list[ReleaseGroup]
    scorer: Scorer
    vectors: Mapping[str, np.ndarray]
    paragraphs: Mapping[int, StoredParagraph]
    exhaustive: bool


class Results:
    """Builds the hits of one open index (thread-safe: it only reads)."""

    def __init__(self, index: Index, retrievers: Retrievers, highlighter: Highlighter) -> None:
        self.index = index
        self._retrievers = retrievers
        self._highlighter = highlighter

    def hits(self, ranked: Ranked, entries: Sequence[Entry], keys: frozenset[str]) -> list[Hit]:
        """One hit per entry, in order; ``keys``: the query's highlight keys."""
        docs = self.index.docs
        members = clusters.members(docs, {e.cluster for e in entries if e.cluster})
        hits = []
        for entry in entries:
            group = entry.lead
            release = docs.get_release(group.release_id)
            copies = duplicates(members.get(entry.cluster or "", ()), group.release_id)
            scored = self.paragraph_scores(ranked, release, group)
            snippets = tuple(
                Snippet(p.id, p.position, p.text, self._highlighter.highlight(p.text, keys))
                for p, _ in scored[:MAX_SNIPPETS]
            )
            hits.append(
                Hit(
                    release_id=release.id,
                    title=release.title,
                    score=group.score,
                    snippets=snippets,
                    date=release.date,
                    source=release.source,
                    language=release.language,
                    category=release.category,
                    url=release.url,
                    duplicates=copies,
                    weak=entry.weak,
                    cluster=entry.cluster,
                )
            )
        return hits

    def paragraph_scores(
        self, ranked: Ranked, release: StoredRelease, group: ReleaseGroup
    ) -> list[tuple[StoredParagraph, float]]:
        """The release's paragraphs with exact fused scores, best first (keyword mode: only
        the paragraphs that matched, by BM25)."""
        by_id = {p.id: p for p in release.paragraphs}
        if ranked.scorer.mode == "keyword":
            return [(by_id[p], s) for p, s in group.paragraphs if p in by_id]
        retr = self._retrievers
        ids = list(by_id)
        raw = {name: retr.rescore(name, vector, ids) for name, vector in ranked.vectors.items()}
        pairs = [
            (
                p,
                ranked.scorer.score(
                    p.id, raw_of(raw, p.id), retr.group_key(p.language), language_key(p.language)
                ),
            )
            for p in release.paragraphs
        ]
        pairs.sort(key=lambda x: (-x[1], x[0].position))
        return pairs


def duplicates(members: Iterable[clusters.Member], release_id: str) -> tuple[Duplicate, ...]:
    """A cluster's releases other than ``release_id``, as a hit lists them."""
    return tuple(
        Duplicate(m.release_id, m.title, m.date, m.source, m.language)
        for m in members
        if m.release_id != release_id
    )


def raw_of(raw: Mapping[str, Mapping[int, float]], pid: int) -> dict[str, float]:
    """One paragraph's raw score from each encoder that has one."""
    return {name: scores[pid] for name, scores in raw.items() if pid in scores}


__all__ = ["Ranked", "Results", "duplicates", "raw_of"]
