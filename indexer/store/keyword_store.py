"""The Whoosh keyword index of paragraphs: BM25F over paragraph text and release title.

Queries are plain words, never Whoosh query syntax: the query text goes through the index's
own analyzer (:mod:`dalil.indexer.text.analysis`, stop words dropped) and becomes an OR of its
terms over ``text`` and ``title`` (title boosted) and their light forms, scored with Whoosh's
BM25F formula by :mod:`dalil.indexer.store.keyword_scoring` (numpy over Whoosh's postings:
much faster than Whoosh's own matchers on a large archive, same ranking; docs/benchmarks.md).
Filters become a document mask read from the filter fields' postings (cached per searcher),
so the top ``limit`` hits all satisfy them. The fields, and how paragraphs and filters map
onto them, are :mod:`dalil.indexer.store.keyword_fields`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import Analyzer
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from dalil.indexer.compat import whoosh as compat_whoosh
from dalil.indexer.errors import IndexCorruptError, IndexLockedError, IndexNotFoundError
from dalil.indexer.models import Filters
from dalil.indexer.store.keyword_fields import (
    FIELDS,
    LIGHT_FIELDS,
    KeywordWriter,
    build_schema,
    filter_mask,
)
from dalil.indexer.store.keyword_scoring import (
    Bm25fScorer,
    Matches,
    WeightedTerm,
)
from dalil.indexer.store.layout import WHOOSH_TOC_GLOB

TITLE_BOOST = 1.5
LIGHT_BOOST = 1.0  # a light-form match counts as much again as the stem match it implies
_MASK_CACHE = 32  # filter masks kept per searcher
MAX_SEGMENTS = 4  # more after a run, and the run merges them into one (merge_segments)
# queries whose matches are kept per searcher: a search deepening its list asks again
_MATCHES_CACHE = 16


def _holds_run(terms: list[str], words: list[str]) -> bool:
    n = len(words)
    return any(terms[i : i + n] == words for i in range(len(terms) - n + 1))


class KeywordStore:
    """A Whoosh index of paragraphs. Use :meth:`create` or :meth:`open`; close when done
    (or use it as a context manager). Thread-safe: searches share one searcher, refreshed
    when a writer has committed."""

    def __init__(self, ix: Any, path: Path, *, title_boost: float = TITLE_BOOST) -> None:
        self._ix = ix
        self.path = path
        self.title_boost = title_boost
        self._schema: Schema = ix.schema  # read from disk on every access: keep one
        self._analyzer: Analyzer = self._schema["text"].analyzer
        # An index built before the light fields existed is searched by stems alone.
        self._light: Analyzer | None = (
            self._schema["text_light"].analyzer
            if all(name in self._schema for name in LIGHT_FIELDS.values())
            else None
        )
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._scorer: Bm25fScorer | None = None
        self._lengths: dict[tuple[str, str], np.ndarray] = {}  # (segment, field) -> lengths
        # for the current scorer's searcher: filter masks, recent queries' matches, and the
        # paragraph id of every document number (one array read instead of a column read
        # per hit)
        self._masks: dict[Filters, np.ndarray] = {}
        self._matches: dict[tuple[tuple[WeightedTerm, ...], Filters | None], Matches] = {}
        self._pids: np.ndarray | None = None

    @classmethod
    def create(
        cls, path: str | Path, *, analyzer: Analyzer | None = None, title_boost: float = TITLE_BOOST
    ) -> KeywordStore:
        """Create an empty index at ``path`` (replacing any Whoosh index there)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        ix = _storage(path).create_index(build_schema(analyzer))
        return cls(ix, path, title_boost=title_boost)

    @classmethod
    def open(cls, path: str | Path, *, title_boost: float = TITLE_BOOST) -> KeywordStore:
        """Open an existing index. Raises :class:`IndexNotFoundError` when there is none at
        ``path`` and :class:`IndexCorruptError` when it cannot be read."""
        path = Path(path)
        if not path.is_dir() or not any(path.glob(WHOOSH_TOC_GLOB)):
            raise IndexNotFoundError(f"no keyword (Whoosh) index at {path}")
        # Damaged files surface as anything from unpickling or struct errors to OSError.
        try:
            ix = _storage(path).open_index()
            schema = ix.schema
        except Exception as exc:
            raise IndexCorruptError(f"keyword index at {path} cannot be read: {exc!r}") from exc
        missing = [name for name in FIELDS if name not in schema]
        if missing:
            raise IndexCorruptError(f"keyword index at {path} lacks fields {missing}")
        store = cls(ix, path, title_boost=title_boost)
        try:
            store.count()  # opens every segment
        except Exception as exc:
            store.close()
            raise IndexCorruptError(f"keyword index at {path} cannot be read: {exc!r}") from exc
        return store

    @contextmanager
    def writer(
        self,
        *,
        procs: int = 1,
        limitmb: int = 256,
        multisegment: bool = False,
        timeout: float = 0.0,
    ) -> Iterator[KeywordWriter]:
        """One write transaction: commits when the block ends, cancels if it raises.

        ``procs`` > 1 analyses in that many processes; ``multisegment`` then skips the final
        merge (faster bulk loads, more segments); ``limitmb`` is the indexing pool's memory
        per process; ``timeout`` is how long to wait for another writer's lock."""
        options: dict[str, Any] = {"limitmb": limitmb, "timeout": timeout}
        if procs > 1:
            options |= {"procs": procs, "multisegment": multisegment}
        w = self._whoosh_writer(**options)
        if procs == 1:
            # The writer unpickled its own copy of the schema; give it ours (same fields)
            # so that every transaction and query shares one analyzer and its warm caches.
            w.schema = self._schema
        with w:  # Whoosh: commit on success, cancel on exception
            yield KeywordWriter(w)

    def segments(self) -> int:
        """How many segments the index has now."""
        with self._lock:
            return len(self._current_searcher().reader().leaf_readers())

    def merge_segments(self, *, most: int | None = None, timeout: float = 0.0) -> bool:
        """Merge every segment into one when there are more than ``most`` (default
        :data:`MAX_SEGMENTS`): a bulk load leaves one large segment per few commits, which
        Whoosh's merge policy keeps. A query reads each term once per segment, so on a large
        archive the lookups, not the postings, become the keyword side's cost. Returns
        whether it merged."""
        if self.segments() <= (MAX_SEGMENTS if most is None else most):
            return False
        self._whoosh_writer(timeout=timeout).commit(optimize=True)
        return True

    def _whoosh_writer(self, **options: Any) -> IndexWriter:
        """Whoosh's writer; :class:`IndexLockedError` when another writer holds the lock."""
        try:
            return self._ix.writer(**options)
        except whoosh_index.LockError as exc:
            raise IndexLockedError(
                f"keyword index at {self.path} is locked by another writer"
            ) from exc

    def query_terms(self, query: str) -> list[str]:
        """The distinct terms ``query`` is searched with, in order (stop words dropped)."""
        return list(dict.fromkeys(self.analyse(query)))

    def analyse(self, query: str) -> list[str]:
        """Every term of ``query`` as searched (stop words dropped), repeats kept: a term
        typed twice counts twice."""
        return [t.text for t in self._analyzer(query, mode="query")]

    def clauses(self, query: str) -> list[WeightedTerm]:
        """What :meth:`search` scores: each distinct term over ``text`` and ``title``,
        boosted by its count (``title`` also by ``title_boost``); [] without terms."""
        clauses = [
            clause
            for term, n in Counter(self.analyse(query)).items()
            for clause in (
                WeightedTerm("text", term, float(n)),
                WeightedTerm("title", term, n * self.title_boost),
            )
        ]
        if self._light is not None and clauses:
            light = Counter(t.text for t in self._light(query, mode="query"))
            clauses += [
                clause
                for term, n in light.items()
                for clause in (
                    WeightedTerm(LIGHT_FIELDS["text"], term, n * LIGHT_BOOST),
                    WeightedTerm(LIGHT_FIELDS["title"], term, n * LIGHT_BOOST * self.title_boost),
                )
            ]
        return clauses

    def matching(self, query: str, filters: Filters | None = None) -> int:
        """How many paragraphs match ``query`` (and ``filters``): what a list of every match
        would hold. Free after :meth:`search` asked the same (its matches are kept)."""
        terms = self.clauses(query)
        if not terms:
            return 0
        with self._reading():
            return int(self._matches_for(terms, filters).docs.size)

    def search(
        self, query: str, limit: int, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """Paragraph ids and BM25F scores, best first; [] for a query without terms."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        terms = self.clauses(query)
        if not terms:
            return []
        with self._reading():
            top = self._matches_for(terms, filters).top(limit)
            if not top:
                return []
            pids = self._pids_of(self._current_searcher())
            return [(int(pids[docnum]), score) for docnum, score in top]

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Hold the lock to read the index; a damaged segment file (truncated, overwritten)
        raises :class:`IndexCorruptError` (the request fails with a 503 and the process lives
        on: no mmap, so no SIGBUS)."""
        with self._lock:
            try:
                yield
            except Exception as exc:
                if not compat_whoosh.is_damage(exc):
                    raise
                raise IndexCorruptError(
                    f"keyword index at {self.path} cannot be read: {exc!r}"
                ) from exc

    def _matches_for(self, terms: list[WeightedTerm], filters: Filters | None) -> Matches:
        """The query's matches, scored once per searcher (the lock held)."""
        searcher = self._current_searcher()
        scorer = self._scorer_for(searcher)
        key = (tuple(terms), filters)
        matches = self._matches.get(key)
        if matches is None:
            matches = scorer.matches(terms, self._filter_mask(searcher, filters))
            if len(self._matches) >= _MATCHES_CACHE:
                del self._matches[next(iter(self._matches))]  # the oldest
            self._matches[key] = matches
        return matches

    def phrase_releases(
        self, phrase: str, text_of: Callable[[Iterable[str]], dict[str, str]]
    ) -> set[str]:
        """Ids of the releases whose text or title holds ``phrase``: its analysed words
        (stop words kept), next to each other in this order. Read from the stored positions;
        an index built before positions were stored is checked against the releases' text
        (``text_of(release ids) -> {id: title + text}``) among those holding every word."""
        words = [t.text for t in self._analyzer(phrase, mode="index")]
        if not words:
            return set()
        with self._reading():
            searcher = self._current_searcher()
            fields = ("text", "title")
            if len(words) == 1:
                found = self._releases_of(searcher, wq.Or([wq.Term(f, words[0]) for f in fields]))
                return found
            if all(self._schema[f].supports("positions") for f in fields):
                phrase_query = wq.Or([wq.Phrase(f, words) for f in fields])
                return self._releases_of(searcher, phrase_query)
            every = wq.Or([wq.And([wq.Term(f, w) for w in words]) for f in fields])
            candidates = self._releases_of(searcher, every)
        return {
            rid
            for rid, text in text_of(candidates).items()
            if _holds_run(self.analyse_index(text), words)
        }

    def analyse_index(self, text: str) -> list[str]:
        """``text``'s terms as indexed (stop words kept), in order."""
        return [t.text for t in self._analyzer(text, mode="index")]

    @staticmethod
    def _releases_of(searcher: Searcher, query: wq.Query) -> set[str]:
        return {
            searcher.stored_fields(docnum)["release_id"]
            for docnum in searcher.docs_for_query(query)
        }

    def warm(self) -> None:
        """Load now what the first query would: the searcher and every segment's field
        lengths (a noticeable pause on a large archive), so no user's query pays for it."""
        with self._lock:
            fields = ("text", "title") + (tuple(LIGHT_FIELDS.values()) if self._light else ())
            searcher = self._current_searcher()
            self._scorer_for(searcher).load_lengths(fields)
            self._pids_of(searcher)

    def _scorer_for(self, searcher: Searcher) -> Bm25fScorer:
        scorer = self._scorer
        if scorer is None or scorer.searcher is not searcher:
            scorer = self._scorer = Bm25fScorer(searcher, length_cache=self._lengths)
            # per searcher, like the scorer
            self._masks, self._matches, self._pids = {}, {}, None
        return scorer

    def _pids_of(self, searcher: Searcher) -> np.ndarray:
        """Paragraph id by document number for ``searcher`` (the lock held)."""
        self._scorer_for(searcher)  # drops the array of an earlier searcher
        if self._pids is None:
            reader = searcher.reader()
            size = reader.doc_count_all()
            column = reader.column_reader("pid") if size else ()
            self._pids = np.fromiter(iter(column), np.int64, size)
        return self._pids

    def whoosh_query(self, query: str) -> wq.Query | None:
        """:meth:`clauses` as a Whoosh query (None without terms), for running the same
        query through Whoosh's own matchers in comparisons."""
        clauses = self.clauses(query)
        if not clauses:
            return None
        return wq.Or([wq.Term(c.field, c.text, boost=c.boost) for c in clauses])

    def _filter_mask(self, searcher: Searcher, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        mask = self._masks.get(filters)
        if mask is None:
            if len(self._masks) >= _MASK_CACHE:
                self._masks.clear()
            mask = self._masks[filters] = filter_mask(searcher, filters)
        return mask

    def ids(self) -> set[int]:
        """Every paragraph id in the index."""
        with self._lock:
            searcher = self._current_searcher()
            pids = self._pids_of(searcher)
            live = np.fromiter(searcher.reader().all_doc_ids(), np.int64)
            return set(pids[live].tolist())

    def count(self) -> int:
        """Number of paragraphs in the index."""
        with self._lock:
            return self._current_searcher().doc_count()

    def _current_searcher(self) -> Searcher:
        # One searcher, replaced when a writer has committed. Not Searcher.refresh(): in
        # whoosh-reloaded 2.7.5 its reader reuse keeps deleted and merged-away documents.
        current = self._searcher
        if current is not None and not current.up_to_date():
            current.close()
            current = None
        if current is None:
            current = self._searcher = self._ix.searcher(weighting=BM25F())
        return current

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._ix.close()

    def __enter__(self) -> KeywordStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _storage(path: Path) -> FileStorage:
    """Whoosh's file storage without mmap: a segment file truncated under a running server
    would kill it with SIGBUS when a mapped page past the new end is read; plain reads raise
    an error that the request maps to a 503 instead."""
    return FileStorage(str(path), supports_mmap=False)
