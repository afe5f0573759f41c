"""The searcher: keyword + semantic retrieval, fusion, releases with highlighted snippets.

    searcher = Searcher.open(settings)
    response = searcher.search(Query(text="Bahrain NATO", k=10))
    searcher.similar(release_id, k=10)
    searcher.close()

Ranking (see :mod:`search.ranking` for why): keyword BM25F z-scores and each encoder's cosine
z-scores calibrated per language group, summed with per-query weights and the language-aware
keyword offsets (or a fixed ``alpha`` when the query gives one). Lists are
deepened until no unseen paragraph can beat the last release shown, so pages are exact.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from dalil.indexer.encoders.coverage import load_language_model, query_language, readers
from dalil.indexer.encoders.embedding import Encoder, load_encoders
from dalil.indexer.encoders.lazy import lazy_encoders
from dalil.indexer.generations.publish import migrate_legacy
from dalil.indexer.models import Filters, StoredParagraph
from dalil.indexer.store import clusters, release_stats
from dalil.indexer.store.docstore import StoredRelease
from dalil.indexer.store.index import Index
from dalil.search.calibration import STATS_DEPTH
from dalil.search.grouping import ReleaseGroup, group_by_release
from dalil.search.highlight import Highlighter
from dalil.search.listing import Entry, by_date, fold, split_matches
from dalil.search.models import Duplicate, FacetCounts, Mode, Query, SearchResponse
from dalil.search.narrowing import narrow
from dalil.search.query_syntax import parse_query
from dalil.search.ranking import NEG_INF, Scorer, build_scorer, unseen_bound
from dalil.search.relevance import approximate, threshold_for
from dalil.search.results import Ranked, Results, duplicates, raw_of
from dalil.search.retrievers import (
    POOLED,
    DenseRetrieved,
    Retrieved,
    Retrievers,
    language_key,
)
from dalil.search.timeline import timeline
from dalil.search.validation import MAX_K, check_int, validate_query

if TYPE_CHECKING:
    from dalil.indexer.settings import Settings


class Searcher:
    """Searches one open index with its encoders. Thread-safe for searching."""

    def __init__(
        self,
        index: Index,
        encoders: Mapping[str, Encoder],
        settings: Settings | None = None,
        *,
        owns_index: bool = False,
    ) -> None:
        missing = set(index.manifest.encoder_names) - set(encoders)
        if missing:
            raise ValueError(f"encoders {sorted(missing)} of the index were not given")
        self.index = index
        self.encoders = {name: encoders[name] for name in index.manifest.encoder_names}
        self.settings = settings
        self._owns_index = owns_index
        self._retrievers = Retrievers(index, self.encoders)
        self._highlighter = Highlighter()
        self._results = Results(index, self._retrievers, self._highlighter)
        self._totals: dict[Filters, tuple[object, int]] = {}
        index.keywords.warm()

    @classmethod
    def open(cls, settings: Settings, *, lazy: bool = False) -> Searcher:
        """Open ``settings.index`` and load the encoders its manifest names (explicitly set
        ``settings.encoders`` must match them: :class:`IndexMismatchError` otherwise).
        ``lazy``: load them on the first query that encodes (the CLI: keyword mode never
        loads one); a server loads them up front so that no query waits for a model."""
        explicit = "encoders" in settings.model_fields_set
        migrate_legacy(settings.index)
        index = Index.open(settings.index, settings.encoder_names if explicit else None)
        try:
            encoders: Mapping[str, Encoder]
            if lazy:
                dims = dict(index.manifest.encoders)
                encoders = lazy_encoders(dims, threads=settings.threads)
            else:
                names = list(index.manifest.encoder_names)
                encoders = load_encoders(names, threads=settings.threads)
                load_language_model(names)
        except BaseException:
            index.close()
            raise
        return cls(index, encoders, settings, owns_index=True)

    def close(self) -> None:
        self._retrievers.close()
        if self._owns_index:
            self.index.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def retrievers(self) -> Retrievers:
        """The keyword and semantic retrievers (for benchmarks and diagnostics)."""
        return self._retrievers

    def get_release(self, release_id: str) -> StoredRelease:
        """The stored release, or :class:`~dalil.indexer.errors.ReleaseNotFoundError`."""
        return self.index.docs.get_release(release_id)

    # -- searching ----------------------------------------------------------------------

    def search(self, query: Query) -> SearchResponse:
        """One page of results for ``query`` (validated: :class:`InvalidQueryError`; its text
        read with :mod:`search.query_syntax`): the matches (:mod:`search.relevance`), near-
        duplicates folded, in the query's order, with their facet counts and timeline."""
        validate_query(query)
        start = time.perf_counter()
        parsed = parse_query(query.text)
        filters = narrow(self.index, query.filters, parsed)
        weaker = query.weaker and query.sort == "relevance"
        need = query.offset + query.k if weaker else 0
        vectors = {}
        if query.mode != "keyword":
            vectors = self._encode(parsed.text, query.mode, filters, need)
        floor = threshold_for(query.mode)
        docs = self.index.docs
        while True:
            ranked = self.rank(
                parsed.text, vectors, query.mode, query.alpha, filters, need, floor=floor
            )
            threshold = threshold_for(query.mode, len(ranked.paragraphs))
            matches, below = split_matches(ranked.releases, query.mode, threshold)
            cluster_of = clusters.cluster_of(docs, (g.release_id for g in ranked.releases))
            if not weaker:
                entries = fold(matches, cluster_of)
                break
            entries = fold([*matches, *below], cluster_of, weak_from=len(matches))
            if ranked.exhaustive or len(entries) >= query.offset + query.k:
                break
            need *= 2
        match_ids = [g.release_id for g in matches]
        table = self._retrievers.release_table()
        if query.sort != "relevance":
            entries = by_date(entries, release_stats.dates(table, match_ids), query.sort)
        keys = self._highlighter.query_keys(parsed.text)
        hits = self._results.hits(ranked, entries[query.offset : query.offset + query.k], keys)
        total = len(matches)
        weaker_count = 0
        if query.mode != "keyword":
            weaker_count = max(0, self._total(query.mode, filters, ranked) - total)
        # the entries led by a match are those fold(matches) would give
        listed = sum(not e.weak for e in entries) + (weaker_count if weaker else 0)
        counts = release_stats.facet_counts(table, match_ids)
        unit, buckets = timeline(release_stats.month_counts(table, match_ids))
        took = (time.perf_counter() - start) * 1000.0
        return SearchResponse(
            query,
            tuple(hits),
            total,
            took,
            listed=listed,
            weaker=weaker_count,
            threshold=None if query.mode == "keyword" else threshold,
            approximate=approximate(query.mode),
            facets=FacetCounts(counts.sources, counts.languages, counts.categories, counts.years),
            timeline=buckets,
            timeline_unit=unit,
            searched=parsed.text,
        )

    def similar(self, release_id: str, k: int = 10) -> SearchResponse:
        """More like this: releases closest to the mean of this release's paragraph vectors
        (per encoder, fused as in semantic mode), the release itself and its near-duplicates
        excluded."""
        check_int("k", k, 1, MAX_K)
        start = time.perf_counter()
        release = self.get_release(release_id)
        own = np.asarray([p.id for p in release.paragraphs], dtype=np.int64)
        vectors = {}
        if own.size:
            for name in self.encoders:
                mean = self.index.vectors[name].reconstruct(own).mean(axis=0)
                norm = float(np.linalg.norm(mean))
                vectors[name] = (mean / norm if norm > 0 else mean).astype(np.float32)
        query = Query(text=release.title or release.id, mode="semantic", k=k)
        if not vectors:
            return SearchResponse(query, (), 0, (time.perf_counter() - start) * 1000.0)
        copies = self._copies(release_id)
        exclude = np.union1d(own, copies)
        ranked = self.rank(None, vectors, "semantic", None, Filters(), k, exclude=exclude)
        hits = self._results.hits(ranked, [Entry(g) for g in ranked.releases[:k]], frozenset())
        total = max(0, self.index.docs.counts()[0] - 1)
        return SearchResponse(query, tuple(hits), total, (time.perf_counter() - start) * 1000.0)

    def copies_of(self, release_id: str) -> tuple[Duplicate, ...]:
        """The other releases of this release's near-duplicate cluster, oldest first."""
        docs = self.index.docs
        cluster = clusters.cluster_of(docs, [release_id]).get(release_id)
        if cluster is None:
            return ()
        return duplicates(clusters.members(docs, [cluster]).get(cluster, ()), release_id)

    def _copies(self, release_id: str) -> np.ndarray:
        """Paragraph ids of the release's near-duplicates (not its own)."""
        others = [c.release_id for c in self.copies_of(release_id)]
        ids = [p.id for p in self.index.docs.release_paragraphs(others)] if others else []
        return np.asarray(ids, dtype=np.int64)

    def _encode(self, text: str, mode: Mode, filters: Filters, need: int) -> dict[str, np.ndarray]:
        """The query's vectors, with the lists :meth:`rank` reads first fetched while the
        slowest encoder still runs: each encoder's list as soon as its vector is ready, the
        keyword list on this thread (both sides keep recent lists, so rank's first pass
        finds them instead of searching again)."""
        retr = self._retrievers
        depth = _first_limit(need)

        def keyword_list() -> object:
            found = retr.keyword(text, STATS_DEPTH, filters)
            return retr.paragraphs((pid for pid, _ in found.ranking), {})

        def dense_list(name: str, vector: np.ndarray) -> object:
            return retr.dense(name, vector, depth, filters, {})

        return retr.query_vectors(
            text, meanwhile=keyword_list if mode == "hybrid" else None, then=dense_list
        )

    def rank(
        self,
        text: str | None,
        vectors: Mapping[str, np.ndarray],
        mode: Mode,
        alpha: float | None,
        filters: Filters,
        need: int,
        *,
        exclude: np.ndarray | None = None,
        floor: float | None = None,
    ) -> Ranked:
        """Releases ranked for a query, deepening the lists until the first ``need`` are
        exact (no paragraph left unseen could enter them) and, with ``floor``, until every
        release scoring at or above ``floor`` is there (no unseen paragraph reaches it)."""
        retr = self._retrievers
        language = query_language(vectors, text) if text else None
        # only the encoders trained on the query's language judge it
        vectors = {name: vectors[name] for name in readers(list(vectors), language)}
        query_key = language_key(language) if language else None
        known: dict[int, StoredParagraph] = {}
        size = max(1, self.index.manifest.paragraphs)
        limit = _first_limit(need)
        if mode == "keyword" and floor is not None and text:
            # keyword mode lists every match: read them all in one pass (one more than there
            # are, so the list knows it is exhausted)
            limit = max(limit, retr.keyword_matches(text, filters) + 1)
        while True:
            keyword: Retrieved | None = None
            if mode != "semantic" and text:
                keyword = retr.keyword(text, limit if mode == "keyword" else STATS_DEPTH, filters)
            dense: dict[str, DenseRetrieved] = {}
            if mode != "keyword":
                for name, vector in vectors.items():
                    dense[name] = retr.dense(name, vector, limit, filters, known, exclude)
            if mode == "keyword":
                scorer, releases = self._keyword_releases(keyword)
            else:
                scorer, releases = self._fused_releases(
                    mode, alpha, keyword, dense, vectors, known, query_key
                )
            bound = unseen_bound(scorer, keyword, dense)
            done = bound == NEG_INF
            enough = need <= 0 or (len(releases) >= need and releases[need - 1].score > bound)
            if done or (enough and (floor is None or bound < floor)):
                return Ranked(releases, scorer, vectors, known, done)
            if limit >= size:
                return Ranked(releases, scorer, vectors, known, True)
            limit *= 2

    def _fused_releases(
        self,
        mode: Mode,
        alpha: float | None,
        keyword: Retrieved | None,
        dense: Mapping[str, DenseRetrieved],
        vectors: Mapping[str, np.ndarray],
        known: dict[int, StoredParagraph],
        query_key: str | None,
    ) -> tuple[Scorer, list[ReleaseGroup]]:
        """Semantic and hybrid modes: every candidate's paragraph fetched into ``known``,
        scored by the one fusion formula, grouped into releases."""
        retr = self._retrievers
        ids = {d for d, _ in keyword.ranking} if keyword else set()
        for d in dense.values():
            for ranking in d.groups.values():
                ids.update(p for p, _ in ranking)
        retr.paragraphs(ids, known)
        ids = {i for i in ids if i in known}
        group_of = {i: retr.group_key(known[i].language) for i in ids}
        language_of = {i: language_key(known[i].language) for i in ids}
        raw = self._raw_scores(dense, vectors, ids)
        scorer = build_scorer(mode, alpha, keyword, dense, raw, group_of, language_of, query_key)
        fused = [(i, scorer.score(i, raw_of(raw, i), group_of[i], language_of[i])) for i in ids]
        return scorer, group_by_release(fused, {i: known[i].release_id for i in ids})

    def _keyword_releases(self, keyword: Retrieved | None) -> tuple[Scorer, list[ReleaseGroup]]:
        """Keyword mode's releases, each scored by its best paragraph's BM25F. Keyword mode
        lists every match: their releases come from the release table, not their rows."""
        ranking = keyword.ranking if keyword else []
        release_of = self._retrievers.release_table().release_of([pid for pid, _ in ranking])
        scorer = build_scorer("keyword", None, keyword, {}, {}, {})
        return scorer, group_by_release(ranking, release_of)

    def _raw_scores(
        self,
        dense: Mapping[str, DenseRetrieved],
        vectors: Mapping[str, np.ndarray],
        ids: set[int],
    ) -> dict[str, dict[int, float]]:
        """Every encoder's exact raw score for every candidate (list scores, plus the
        candidates it did not return, rescored from their stored vectors)."""
        raw: dict[str, dict[int, float]] = {}
        for name, d in dense.items():
            scores = {p: s for ranking in d.groups.values() for p, s in ranking}
            missing = [i for i in ids if i not in scores]
            scores.update(self._retrievers.rescore(name, vectors[name], missing))
            raw[name] = scores
        return raw

    # -- results ------------------------------------------------------------------------

    def _total(self, mode: Mode, filters: Filters, ranked: Ranked) -> int:
        """Releases that can be listed: for keyword mode those with a keyword match (a lower
        bound when the keyword list was not exhausted); otherwise every release passing the
        filters."""
        if mode == "keyword":
            return len(ranked.releases)
        if filters.is_empty():
            return self.index.docs.counts()[0]
        version = self.index.manifest
        cached = self._totals.get(filters)
        if cached is not None and cached[0] is version:
            return cached[1]
        count = self.index.docs.count_releases(filters)
        if len(self._totals) > 32:
            self._totals.clear()
        self._totals[filters] = (version, count)
        return count


def _first_limit(need: int) -> int:
    """How deep :meth:`Searcher.rank` reads every list first, for ``need`` exact releases."""
    return max(STATS_DEPTH, 2 * need)


__all__ = ["POOLED", "Ranked", "Searcher"]
