"""``dalil reindex``: bring the index in line with the configured sources.

Under the root's writer lock: read every source and compare content hashes with the live
generation (the *probe*: no copy, no encoder loaded). Nothing new, changed or to delete: the
run ends there and no generation is made. Otherwise the next generation is built from a copy
of the live one (:mod:`dalil.indexer.generations.publish`): new and changed releases are
indexed (only paragraphs whose embedded text changed are re-embedded,
:mod:`dalil.indexer.build.reuse`), releases gone from a ``delete_missing`` source are deleted,
and the generation is verified and published. Every run, whatever its outcome, is appended
to ``runs.jsonl``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from dalil.indexer.build.generation import Change, build_next_generation
from dalil.indexer.build.runs import FAILED, LOCKED, UNCHANGED, RunRecord, append_run
from dalil.indexer.errors import IndexLockedError, SettingsError
from dalil.indexer.generations.publish import migrate_legacy, writer_lock
from dalil.indexer.models import ReadFailure
from dalil.indexer.readers.sources import (
    ReadLog,
    Source,
    configured,
    drain,
    missing_releases,
    read_configured,
)
from dalil.indexer.readers.web import WebSession
from dalil.indexer.settings import config_path
from dalil.indexer.store.docstore import stored_releases
from dalil.indexer.store.layout import DOCS_NAME, WEB_CACHE_NAME, live_dir
from dalil.indexer.store.manifest import now_iso
from dalil.indexer.timing import StageClock

if TYPE_CHECKING:
    from dalil.indexer.encoders.embedding import Encoder
    from dalil.indexer.settings import Settings

log = logging.getLogger("dalil.reindex")

MAX_URLS_RECORDED = 500  # per-URL outcomes of web sources kept in runs.jsonl


def reindex(
    settings: Settings,
    *,
    encoders: Mapping[str, Encoder] | None = None,
    trigger: str = "cli",
    base: Path | None = None,
    progress: bool = False,
    on_published: Callable[[str], None] | None = None,
    on_failure: Callable[[ReadFailure], None] | None = None,
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
    web = (
        WebSession(settings.web, root / WEB_CACHE_NAME)
        if any(s.is_web for s in settings.sources)
        else None
    )
    sources = configured(settings.sources, (base or config_path().absolute().parent), web)
    started = now_iso()
    clock = StageClock()
    try:
        record = _run(
            settings, root, sources, encoders, clock, started, trigger, progress, on_failure
        )
        record = _with_web(record, web)
    except IndexLockedError as exc:
        append_run(root, _failed(started, clock, trigger, LOCKED, str(exc)))
        raise
    except BaseException as exc:
        if root.is_dir():
            append_run(root, _failed(started, clock, trigger, FAILED, f"{exc!r}"))
        raise
    finally:
        if web is not None:
            web.close()
    append_run(root, record)
    if record.generation and on_published is not None:
        on_published(record.generation)
    if record.generation and settings.publish is not None:  # [publish] in dalil.toml
        from dalil.indexer.generations.replicate import publish_generation
        from dalil.indexer.generations.stores import open_store

        upload = publish_generation(root, open_store(settings.publish.to, settings))
        log.info("%s", upload.summary(settings.publish.to))
    return record


def _with_web(record: RunRecord, web: WebSession | None) -> RunRecord:
    """The run's web cost and per-URL outcomes (the first MAX_URLS_RECORDED)."""
    if web is None:
        return record
    cost = web.cost()
    return replace(
        record,
        web_cost={
            "requests": cost.requests,
            "not_modified": cost.not_modified,
            "bytes": cost.bytes,
            "seconds": round(cost.seconds, 3),
        },
        web_urls=tuple(str(o) for o in web.log.outcomes[:MAX_URLS_RECORDED]),
    )


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
    on_failure: Callable[[ReadFailure], None] | None = None,
) -> RunRecord:
    with writer_lock(root):
        migrate_legacy(root)
        live = live_dir(root)
        with clock.stage("probe"):
            probe = ReadLog()
            hashes, failures = drain(read_configured(sources, probe, settings.years), on_failure)
            stored = stored_releases(live / DOCS_NAME) if live is not None else {}
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
                failures=tuple(failures),
            )
        seen = ReadLog()
        change = Change(
            releases=lambda: read_configured(sources, seen, settings.years),
            deletions=lambda index: missing_releases(sources, index.docs.release_origins(), seen),
        )
        record = build_next_generation(
            settings,
            change,
            encoders=given,
            progress=progress,
            clock=clock,
            locked=True,
            trigger=trigger,
            on_failure=on_failure,
        )
    return replace(record, started=started)
