"""``dalil reindex``: bring the index in line with the configured sources.

Under the root's writer lock: read every source and compare content hashes with the live
generation (the *probe*: no copy, no encoder loaded). Nothing new, changed or to delete: the
run ends there and no generation is made. Otherwise the next generation is built from a copy
of the live one (:mod:`indexer.publish`): new and changed releases are indexed (only
paragraphs whose embedded text changed are re-embedded, :mod:`indexer.embed_cache`),
releases gone from a ``delete_missing`` source are deleted, and the generation is verified and
published. Every run, whatever its outcome, is appended to ``runs.jsonl``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dalil.indexer.encoders import embedding
from dalil.indexer.generations.checksums import DOCS_NAME
from dalil.indexer.errors import IndexLockedError, SettingsError
from dalil.indexer.generations.layout import live_dir
from dalil.indexer.store.index import Index
from dalil.indexer.store.manifest import MANIFEST_NAME, now_iso, read_manifest
from dalil.indexer.build.pipeline import delete_releases, encoder_names_for, index_items
from dalil.indexer.generations.publish import publish_next, writer_lock
from dalil.indexer.build.report import IndexReport, StageClock
from dalil.indexer.build.runs import FAILED, LOCKED, PUBLISHED, UNCHANGED, RunRecord, append_run
from dalil.indexer.settings import config_path
from dalil.indexer.readers.sources import ReadLog, Source, configured, drain, missing_releases, read_configured

if TYPE_CHECKING:
    from dalil.indexer.encoders.embedding import Encoder
    from dalil.indexer.settings import Settings

log = logging.getLogger("dalil.reindex")

MAX_FAILURES_RECORDED = 20


class _LazyEncoders:
    """The index's encoders, loaded the first time a text has to be encoded (an unchanged
    paragraph needs none)."""

    def __init__(self, names: Sequence[str], threads: int) -> None:
        self.names = list(names)
        self.threads = threads
        self._loaded: dict[str, Encoder] | None = None

    def get(self, name: str) -> Encoder:
        if self._loaded is None:
            self._loaded = dict(embedding.load_encoders(self.names, threads=self.threads))
        return self._loaded[name]


class _LazyEncoder:
    def __init__(self, name: str, dim: int, pool: _LazyEncoders) -> None:
        self.name = name
        self.dim = dim
        self._pool = pool

    @property
    def max_chars(self) -> int:
        return self._pool.get(self.name).max_chars

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._pool.get(self.name).encode_passages(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._pool.get(self.name).encode_queries(texts)


def reindex(
    settings: Settings,
    *,
    encoders: Mapping[str, Encoder] | None = None,
    trigger: str = "cli",
    base: Path | None = None,
    progress: bool = False,
    on_published: Callable[[str], None] | None = None,
) -> RunRecord:
    """One run over ``settings.sources`` (relative paths from ``base``, default: the
    directory of dalil.toml). Returns the run's record (also appended to runs.jsonl);
    raises :class:`IndexLockedError` when another process writes (recorded as ``locked``)
    and re-raises any other error after recording it as ``failed``."""
    if not settings.sources:
        raise SettingsError(
            f"no sources configured: add [[sources]] tables (path = ...) to {config_path()}"
        )
    root = Path(settings.index).absolute()
    sources = configured(settings.sources, (base or config_path().absolute().parent))
    started = now_iso()
    clock = StageClock()
    try:
        record = _run(settings, root, sources, encoders, clock, started, trigger, progress)
    except IndexLockedError as exc:
        append_run(root, _failed(started, clock, trigger, LOCKED, str(exc)))
        raise
    except BaseException as exc:
        if root.is_dir():
            append_run(root, _failed(started, clock, trigger, FAILED, f"{exc!r}"))
        raise
    append_run(root, record)
    if record.generation and on_published is not None:
        on_published(record.generation)
    return record


def _failed(started: str, clock: StageClock, trigger: str, status: str, error: str) -> RunRecord:
    return RunRecord(
        started=started,
        finished=now_iso(),
        status=status,
        trigger=trigger,
        seconds=clock.elapsed(),
        stage_seconds=clock.seconds,
        error=error,
    )


def _run(
    settings: Settings,
    root: Path,
    sources: Sequence[Source],
    given: Mapping[str, Encoder] | None,
    clock: StageClock,
    started: str,
    trigger: str,
    progress: bool,
) -> RunRecord:
    with writer_lock(root):
        live = live_dir(root)
        with clock.stage("probe"):
            probe = ReadLog()
            hashes, failures = drain(read_configured(sources, probe))
            stored = _stored_releases(live / DOCS_NAME) if live is not None else {}
        changed = sum(1 for rid, h in hashes.items() if stored.get(rid, (None,))[0] != h)
        origins = {rid: origin for rid, (_, origin) in stored.items()}
        doomed = missing_releases(sources, origins, probe)
        if live is not None and not changed and not doomed:
            return RunRecord(
                started=started,
                finished=now_iso(),
                status=UNCHANGED,
                trigger=trigger,
                unchanged=len(hashes),
                failed=len(failures),
                seconds=clock.elapsed(),
                stage_seconds=clock.seconds,
                failures=tuple(str(f) for f in failures[:MAX_FAILURES_RECORDED]),
            )
        names = encoder_names_for(settings, root, given)

        def build(staging: Path, live: Path | None) -> tuple[IndexReport, int]:
            if given is not None:
                encoders: Mapping[str, Encoder] = dict(given)
            elif live is None:
                with clock.stage("load_encoders"):
                    encoders = embedding.load_encoders(names, threads=settings.threads)
            else:
                dims = dict(read_manifest(staging / MANIFEST_NAME).encoders)
                pool = _LazyEncoders(names, settings.threads)
                encoders = {n: _LazyEncoder(n, dims[n], pool) for n in names}
            index = (
                Index.create(staging, encoders)
                if live is None
                else Index.open(staging, encoder_names=names, check=False)
            )
            try:
                seen = ReadLog()
                items = read_configured(sources, seen)
                report = index_items(
                    index, encoders, settings, items, clock=clock, progress=progress
                )
                gone = missing_releases(sources, index.docs.release_origins(), seen)
                with clock.stage("delete"):
                    deleted = delete_releases(index, gone) if gone else 0
            finally:
                index.close()
            return report, deleted

        def any_change(result: tuple[IndexReport, int]) -> bool:
            report, deleted = result
            return live is None or bool(
                report.added or report.updated or report.repaired or deleted
            )

        published = publish_next(
            root,
            build,
            keep=settings.keep_generations,
            changed=any_change,
            lock=False,
            clock=clock,
        )
    report, deleted = published.result
    return RunRecord(
        started=started,
        finished=now_iso(),
        status=PUBLISHED if published.generation else UNCHANGED,
        trigger=trigger,
        generation=published.generation,
        added=report.added,
        updated=report.updated,
        deleted=deleted,
        unchanged=report.unchanged,
        failed=report.failed,
        paragraphs_embedded=report.paragraphs_embedded,
        paragraphs_reused=report.paragraphs_reused,
        seconds=clock.elapsed(),
        stage_seconds=clock.seconds,
        failures=tuple(str(f) for f in report.failures[:MAX_FAILURES_RECORDED]),
    )


def _stored_releases(path: Path) -> dict[str, tuple[str, str]]:
    """Release id -> (content hash, origin) of the live generation, read-only."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id, content_hash, origin FROM releases").fetchall()
    finally:
        db.close()
    return {rid: (chash, origin) for rid, chash, origin in rows}
