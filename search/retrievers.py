"""Paragraph retrieval: keyword (Whoosh BM25F) and semantic (one FAISS store per encoder).

Filters are applied inside both retrievers, so a list of ``limit`` comes back whenever
``limit`` matching paragraphs exist: the keyword side masks documents by the filter fields'
postings (:mod:`dalil.indexer.store.keyword_store`, cached per searcher); the semantic side
passes FAISS the ``allowed_ids`` of the matching paragraphs from SQLite (cached per filter
and index manifest).

The semantic side is retrieved per *language group* (see :func:`group_key`): a global search,
then a search restricted to each language that the global list under-represents, so every
language's own top paragraphs are there to calibrate it (:mod:`search.calibration`). Without this,
an encoder's same-language bias would keep e.g. English paragraphs out of the candidates of
an Arabic query altogether.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from dalil.indexer.encoders.embedding import Encoder
from dalil.indexer.models import Filters, StoredParagraph
from dalil.indexer.store.index import Index
from dalil.indexer.store.release_table import ReleaseTable
from dalil.search.calibration import STATS_DEPTH

MIN_GROUP_RELEASES = 20  # languages with fewer releases share the pooled group
POOLED = "*"
_CACHE_SIZE = 32
_KEPT_LISTS = 16  # recent dense lists kept (per encoder and query): fetched ahead once
_KEPT_PARAGRAPHS = 4096  # recently fetched paragraphs kept: a few queries' candidates


def language_key(language: str | None) -> str:
    """A paragraph's language as the keyword offsets compare it (lower case; POOLED when
    unknown)."""
    return language.strip().lower() if language and language.strip() else POOLED


@dataclass(frozen=True)
class Retrieved:
    """A best-first ``(paragraph id, score)`` list. ``exhausted``: it holds every paragraph
    the retriever could return (fewer than asked for)."""

    ranking: list[tuple[int, float]]
    exhausted: bool


@dataclass(frozen=True)
class DenseRetrieved:
    """One encoder's lists for one query: per language group, the group's best paragraphs
    (best first), and the raw score below which unseen paragraphs of the group lie
    (``-inf`` when the group's list is exhaustive); ``last`` is that score for groups
    without a list of their own (the global list's last score)."""

    groups: dict[str, list[tuple[int, float]]]
    floors: dict[str, float]
    last: float


class Retrievers:
    """Keyword and semantic retrieval over one open :class:`~dalil.indexer.store.index.Index`.
    Caches
    (filtered id sets, language counts) are keyed by the index manifest, so they refresh
    after every committed write."""

    def __init__(
        self,
        index: Index,
        encoders: Mapping[str, Encoder],
        *,
        min_group_releases: int = MIN_GROUP_RELEASES,
    ) -> None:
        self.index = index
        self.encoders = dict(encoders)
        self.min_group_releases = min_group_releases
        self._lock = threading.Lock()
        # filters -> (manifest it was computed for, ids); valid while that manifest object
        # is the index's current one (every committed write replaces it)
        self._ids_cache: dict[Filters, tuple[object, np.ndarray]] = {}
        self._lang_cache: tuple[object, dict[str, int]] | None = None
        self._table: tuple[object, ReleaseTable] | None = None
        self._table_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None  # encodes queries; started on first use
        self._dense_kept: dict[tuple[object, ...], DenseRetrieved] = {}
        self._kept_version: object = None
        self._kept_paragraphs: dict[int, StoredParagraph] = {}

    # -- shared helpers -------------------------------------------------------------------

    def _version(self) -> object:
        return self.index.manifest

    def allowed_ids(self, filters: Filters | None) -> np.ndarray | None:
        """Sorted ids of the paragraphs passing ``filters``; None when there are none to
        apply (every paragraph is allowed)."""
        if filters is None or filters.is_empty():
            return None
        version = self._version()
        with self._lock:
            cached = self._ids_cache.get(filters)
        if cached is not None and cached[0] is version:
            return cached[1]
        ids = self.index.docs.paragraph_ids(filters)
        with self._lock:
            if len(self._ids_cache) >= _CACHE_SIZE:
                self._ids_cache.clear()
            self._ids_cache[filters] = (version, ids)
        return ids

    def language_counts(self) -> dict[str, int]:
        """Releases per (lower-cased) language in the whole index."""
        version = self._version()
        with self._lock:
            if self._lang_cache is not None and self._lang_cache[0] is version:
                return self._lang_cache[1]
        counts: dict[str, int] = {}
        for language, n in self.index.docs.facets().languages:
            key = language.strip().lower()
            counts[key] = counts.get(key, 0) + n
        with self._lock:
            self._lang_cache = (version, counts)
        return counts

    def release_table(self) -> ReleaseTable:
        """Every paragraph's release and every release's facet columns, read once per index
        version: keyword mode groups, counts and dates thousands of matches with it."""
        version = self._version()
        # read under its own lock: after a write every query in flight needs the new table,
        # and one read serves them all (the other caches' lock is not held while reading)
        with self._table_lock:
            if self._table is None or self._table[0] is not version:
                self._table = (version, ReleaseTable.read(self.index.docs))
            return self._table[1]

    def group_key(self, language: str | None) -> str:
        """A paragraph's language group: its language when the index holds at least
        ``min_group_releases`` releases in it, else the pooled group."""
        if not language:
            return POOLED
        key = language.strip().lower()
        return key if self.language_counts().get(key, 0) >= self.min_group_releases else POOLED

    def paragraphs(
        self, ids: Iterable[int], known: dict[int, StoredParagraph]
    ) -> dict[int, StoredParagraph]:
        """Fetch the paragraphs of ``ids`` not in ``known`` into it; returns ``known``.
        The last few thousand fetched are kept (per index version): a search fetches most
        of its candidates twice, once on the thread that retrieved them ahead
        (:meth:`dense`) and once when ranking them."""
        missing = [int(i) for i in ids if int(i) not in known]
        if not missing:
            return known
        version = self._version()
        with self._lock:
            if self._kept_version is not version:
                self._kept_version, self._kept_paragraphs = version, {}
            kept = self._kept_paragraphs
            found = {i: kept[i] for i in missing if i in kept}
        rest = [i for i in missing if i not in found]
        if rest:
            fetched = self.index.docs.paragraphs(rest)
            found.update(fetched)
            with self._lock:
                if self._kept_version is version:
                    if len(kept) + len(fetched) > _KEPT_PARAGRAPHS:
                        kept.clear()
                    kept.update(fetched)
        known.update(found)
        return known

    # -- keyword ----------------------------------------------------------------------------

    def keyword(self, text: str, limit: int, filters: Filters | None) -> Retrieved:
        ranking = self.index.keywords.search(text, limit, filters)
        return Retrieved(ranking, len(ranking) < limit)

    def keyword_matches(self, text: str, filters: Filters | None) -> int:
        """How many paragraphs the keyword side matches for ``text``."""
        return self.index.keywords.matching(text, filters)

    def query_terms(self, text: str) -> list[str]:
        return list(self.index.keywords.query_terms(text))

    # -- semantic ---------------------------------------------------------------------------

    def query_vectors(
        self,
        text: str,
        *,
        meanwhile: Callable[[], object] | None = None,
        then: Callable[[str, np.ndarray], object] | None = None,
    ) -> dict[str, np.ndarray]:
        """One L2-normalised query vector per encoder. The encoders run on worker threads
        (their native code, like FAISS's, releases the GIL); ``then(name, vector)`` runs on
        an encoder's thread as soon as its vector is ready, and ``meanwhile`` on this thread
        while they encode. A query's encoding is most of a search's time: its keyword side
        and the faster encoders' searches fit on the other core in the meantime."""
        if not self.encoders:
            if meanwhile is not None:
                meanwhile()
            return {}
        pool = self._encoding_pool()
        pending = {
            n: pool.submit(_encode_query, enc, text, partial(then, n) if then else None)
            for n, enc in self.encoders.items()
        }
        if meanwhile is not None:
            meanwhile()
        return {name: future.result() for name, future in pending.items()}

    def _encoding_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=len(self.encoders), thread_name_prefix="dalil-encode"
                )
            return self._pool

    def close(self) -> None:
        """Stop the encoding threads (a later query starts them again)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def dense(
        self,
        name: str,
        vector: np.ndarray,
        limit: int,
        filters: Filters | None,
        known: dict[int, StoredParagraph],
        exclude: np.ndarray | None = None,
    ) -> DenseRetrieved:
        """The encoder's best ``limit`` paragraphs overall, plus, for each language group with
        fewer than ``min(limit, STATS_DEPTH)`` of them, that group's own best ``limit``.
        ``exclude``: paragraph ids never to return (a release's own, for more-like-this).

        The last few results are kept (per index version), so a list fetched ahead -- on an
        encoding thread, as soon as the query's vector is ready -- is not searched again;
        their paragraphs are then fetched into ``known`` by the caller's next
        :meth:`paragraphs`."""
        if exclude is not None:
            return self._dense(name, vector, limit, filters, known, exclude)
        key = (self._version(), name, vector.tobytes(), limit, filters)
        with self._lock:
            kept = self._dense_kept.get(key)
        if kept is not None:
            return kept
        found = self._dense(name, vector, limit, filters, known, None)
        with self._lock:
            if len(self._dense_kept) >= _KEPT_LISTS:
                del self._dense_kept[next(iter(self._dense_kept))]  # the oldest
            self._dense_kept[key] = found
        return found

    def _dense(
        self,
        name: str,
        vector: np.ndarray,
        limit: int,
        filters: Filters | None,
        known: dict[int, StoredParagraph],
        exclude: np.ndarray | None,
    ) -> DenseRetrieved:
        store = self.index.vectors[name]
        allowed = self.allowed_ids(filters)
        if exclude is not None and exclude.size:
            base = allowed if allowed is not None else store.ids()
            allowed = np.setdiff1d(base, exclude)
        ranking = store.search(vector, limit, allowed)
        exhausted = len(ranking) < limit
        self.paragraphs((d for d, _ in ranking), known)
        groups: dict[str, list[tuple[int, float]]] = {}
        for doc, score in ranking:
            if doc in known:
                groups.setdefault(self.group_key(known[doc].language), []).append((doc, score))
        last = ranking[-1][1] if ranking else float("-inf")
        floors = dict.fromkeys(groups, float("-inf") if exhausted else last)
        if exhausted:
            return DenseRetrieved(groups, floors, float("-inf"))
        want = min(limit, STATS_DEPTH)
        for language in self.language_counts():
            group = self.group_key(language)
            if group == POOLED or len(groups.get(group, ())) >= want:
                continue
            if (
                filters is not None
                and filters.language
                and group != self.group_key(filters.language)
            ):
                continue
            own = self._group_ids(filters, language, exclude)
            if own.size == 0:
                continue
            extra = store.search(vector, limit, own)
            self.paragraphs((d for d, _ in extra), known)
            groups[group] = [(d, s) for d, s in extra if d in known]
            floors[group] = float("-inf") if len(extra) < limit else extra[-1][1]
        return DenseRetrieved(groups, floors, last)

    def _group_ids(
        self, filters: Filters | None, language: str, exclude: np.ndarray | None
    ) -> np.ndarray:
        narrowed = replace(filters or Filters(), language=language)
        ids = self.allowed_ids(narrowed)
        own = ids if ids is not None else np.zeros(0, dtype=np.int64)
        if exclude is not None and exclude.size:
            own = np.setdiff1d(own, exclude)
        return own

    def rescore(self, name: str, vector: np.ndarray, ids: Iterable[int]) -> dict[int, float]:
        """Exact scores of ``ids`` against ``vector`` (vectors reconstructed from FAISS)."""
        wanted = np.asarray(sorted({int(i) for i in ids}), dtype=np.int64)
        if wanted.size == 0:
            return {}
        vectors = self.index.vectors[name].reconstruct(wanted)
        scores = vectors @ np.asarray(vector, dtype=np.float32)
        return {int(d): float(s) for d, s in zip(wanted, scores, strict=True)}


def _encode_query(
    encoder: Encoder, text: str, then: Callable[[np.ndarray], object] | None
) -> np.ndarray:
    vector = np.asarray(encoder.encode_queries([text]), dtype=np.float32)[0]
    if then is not None:
        then(vector)
    return vector
