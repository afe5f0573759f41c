"""BM25F for an OR of terms, scored with numpy over Whoosh's own postings.

Whoosh's matcher tree walks an OR query one posting at a time in Python, holding the GIL; a
query with a few common words over a large archive touches tens of thousands of postings
(timings: docs/benchmarks.md). Here each term's postings are read a *block* (up to 128
postings) at a time into arrays (through :mod:`dalil.indexer.compat.whoosh`, which falls
back to Whoosh's public interface when its internals change) and scored with the same
formula as :class:`whoosh.scoring.BM25F`
(``idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * fl / avgfl))``, Whoosh's idf, its byte-coded
field lengths, summed over terms and fields, times each term's boost), so rankings match
Whoosh's — tests compare both on real indexes.

Per leaf segment, field lengths are decoded once and cached by segment id (they never change;
deletions are applied per query from the segment's deleted set). Equal scores are ordered by
document number, so results are deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from dalil.indexer.compat import whoosh as compat_whoosh

B = 0.75  # whoosh.scoring.BM25F defaults
K1 = 1.2


@dataclass(frozen=True)
class WeightedTerm:
    """One clause of the OR: ``text`` in ``field``, its score multiplied by ``boost``."""

    field: str
    text: str
    boost: float = 1.0


def term_postings(leaf: Any, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, term frequencies) of a term in one leaf segment reader, ascending;
    empty arrays when the segment lacks the term. Deleted documents may be included (the
    scorer masks them)."""
    ids, tf, _ = leaf_postings(leaf, field, text)
    return ids, tf


def leaf_postings(leaf: Any, field: str, text: str) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`term_postings` and the term's document frequency in the segment as Whoosh
    counts it (deleted documents included), from one term lookup: on a large archive the
    lookups, one per term, field and segment, cost more than the postings."""
    try:
        matcher = leaf.postings(field, text)
    except TermNotFound:
        return np.empty(0, np.int64), np.empty(0, np.float64), 0
    # a block at a time where Whoosh's internals allow it (dalil.indexer.compat.whoosh),
    # else the public, posting-at-a-time interface: the same postings
    blocks = compat_whoosh.block_postings(matcher)
    ids, tf = blocks if blocks is not None else compat_whoosh.public_postings(matcher)
    if blocks is not None and not leaf.has_deletions():
        return ids, tf, int(ids.size)  # every posting read: the count is the frequency
    # Whoosh's deletion filter may have skipped deleted postings before the blocks were read
    return ids, tf, leaf.doc_frequency(field, text)


def field_lengths(leaf: Any, field: str) -> np.ndarray:
    """Every document's length in ``field`` as Whoosh's scorer sees it (byte-coded, 1 when
    missing), indexed by the segment's document number."""
    n = leaf.doc_count_all()
    return np.fromiter((leaf.doc_field_length(d, field, 1) for d in range(n)), np.float64, n)


@dataclass(frozen=True)
class Matches:
    """A query's matching document numbers (ascending) and their scores: kept whole, so that
    asking for a deeper list again costs a selection, not a second scoring pass."""

    docs: np.ndarray
    scores: np.ndarray

    def top(self, limit: int) -> list[tuple[int, float]]:
        """The best ``limit`` (document number, score) pairs, best first; equal scores by
        document number."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        docs, found = self.docs, self.scores
        if docs.size > limit:
            # keep every document tied with the limit-th score, then order exactly
            cut = np.partition(found, docs.size - limit)[docs.size - limit]
            keep = found >= cut
            docs, found = docs[keep], found[keep]
        order = np.lexsort((docs, -found))[:limit]
        return [(int(docs[i]), float(found[i])) for i in order]


class Bm25fScorer:
    """Scores OR queries over one Whoosh searcher. ``length_cache`` ((segment id, field) ->
    lengths) may be shared by the scorers of successive searchers of one index; entries of
    segments the searcher no longer has are dropped."""

    def __init__(
        self,
        searcher: Searcher,
        *,
        length_cache: dict[tuple[str, str], np.ndarray] | None = None,
        b: float = B,
        k1: float = K1,
    ) -> None:
        self.searcher = searcher
        self.b = b
        self.k1 = k1
        self._leaves = [(leaf, int(offset)) for leaf, offset in searcher.reader().leaf_readers()]
        self._lengths = length_cache if length_cache is not None else {}
        live = {_segment_id(leaf) for leaf, _ in self._leaves}
        for key in [k for k in self._lengths if k[0] not in live]:
            del self._lengths[key]  # segments merged away
        self.size = searcher.doc_count_all()
        self._deleted: np.ndarray | None = None
        self._deleted_known = False

    def _leaf_lengths(self, leaf: Any, field: str) -> np.ndarray:
        key = (_segment_id(leaf), field)
        lengths = self._lengths.get(key)
        if lengths is None:
            lengths = self._lengths[key] = field_lengths(leaf, field)
        return lengths

    def load_lengths(self, fields: Iterable[str]) -> None:
        """Decode the field lengths of every segment now (else: on first use)."""
        for field in fields:
            for leaf, _ in self._leaves:
                self._leaf_lengths(leaf, field)

    def deleted_mask(self) -> np.ndarray | None:
        """Global document numbers that are deleted (True), or None when none are. Computed
        once: a searcher's deletions never change."""
        if not self._deleted_known:
            mask = None
            for leaf, offset in self._leaves:
                if leaf.has_deletions():
                    if mask is None:
                        mask = np.zeros(self.size, dtype=bool)
                    deleted = compat_whoosh.deleted_docs(leaf)
                    mask[offset + deleted] = True
            self._deleted, self._deleted_known = mask, True
        return self._deleted

    def top(
        self, terms: Sequence[WeightedTerm], limit: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The best ``limit`` (global document number, score) pairs matching any term, best
        first. ``allowed``: a boolean mask over document numbers (None: all)."""
        return self.matches(terms, allowed).top(limit)

    def matches(self, terms: Sequence[WeightedTerm], allowed: np.ndarray | None = None) -> Matches:
        """Every live document matching any term (and ``allowed``), with its score."""
        scores = np.zeros(self.size, dtype=np.float64)
        matched = np.zeros(self.size, dtype=bool)
        for term in terms:
            self._add(term, scores, matched)
        deleted = self.deleted_mask()
        if deleted is not None:
            matched &= ~deleted
        if allowed is not None:
            matched &= allowed
        docs = np.flatnonzero(matched)
        return Matches(docs, scores[docs])

    def _add(self, term: WeightedTerm, scores: np.ndarray, matched: np.ndarray) -> None:
        found = [
            (leaf, offset, *leaf_postings(leaf, term.field, term.text))
            for leaf, offset in self._leaves
        ]
        df = sum(n for *_, n in found)
        if df == 0:
            return
        idf = math.log(self.size / (df + 1)) + 1
        avgfl = self.searcher.avg_field_length(term.field) or 1
        for leaf, offset, ids, tf, _ in found:
            if ids.size == 0:
                continue
            fl = self._leaf_lengths(leaf, term.field)[ids]
            norm = self.k1 * ((1 - self.b) + self.b * fl / avgfl)
            contribution = idf * ((tf * (self.k1 + 1)) / (tf + norm))
            if term.boost != 1.0:
                contribution *= term.boost
            scores[offset + ids] += contribution
            matched[offset + ids] = True


def _segment_id(leaf: Any) -> str:
    segment = leaf.segment()
    return segment.segment_id() if segment is not None else f"unsaved-{id(leaf)}"


def docs_matching(
    searcher: Searcher, field: str, accept: str | Collection[str] | Callable[[str], bool]
) -> np.ndarray:
    """Boolean mask over the searcher's document numbers: documents holding the term
    ``accept`` in ``field``, any of the terms in the collection ``accept``, or any term of the
    field for which ``accept(term)`` is true (deleted documents may be included). A
    collection is looked up term by term; a predicate reads the field's whole lexicon, so
    pass the terms when they are known (a quoted phrase's releases: thousands of lookups
    instead of a scan of every release id)."""
    mask = np.zeros(searcher.doc_count_all(), dtype=bool)
    for leaf, offset in searcher.reader().leaf_readers():
        terms: Iterable[str]
        if isinstance(accept, str):
            terms = [accept]
        elif callable(accept):
            terms = (
                [t for t in leaf.field_terms(field) if accept(t)] if field in leaf.schema else []
            )
        else:
            terms = accept
        for text in terms:
            ids, _ = term_postings(leaf, field, text)
            mask[offset + ids] = True
    return mask
