"""The one write path: build the next generation from the live one, apply a change, publish.

``dalil index``, ``dalil reindex`` (and its schedules) and the API's writes all call
:func:`build_next_generation` with a :class:`Change`: releases to add or replace (read only
when the build runs, inside the writer lock) and releases to delete (chosen once the staged
copy is open, so a source that lists everything can compare against it). The generation is
published only when something changed (:func:`dalil.indexer.generations.publish.publish_next`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dalil.indexer.build.pipeline import COMMIT_RELEASES, apply_releases, delete_releases
from dalil.indexer.build.progress import Plan
from dalil.indexer.build.runs import PUBLISHED, UNCHANGED, RunRecord, append_run
from dalil.indexer.encoders import embedding
from dalil.indexer.encoders.lazy import lazy_encoders
from dalil.indexer.errors import IndexMismatchError
from dalil.indexer.generations.publish import migrate_legacy, publish_next
from dalil.indexer.models import ReadFailure, Release
from dalil.indexer.readers import read_sources
from dalil.indexer.store.index import Index
from dalil.indexer.store.layout import live_dir
from dalil.indexer.store.manifest import MANIFEST_NAME, now_iso, read_manifest
from dalil.indexer.timing import StageClock

if TYPE_CHECKING:
    from dalil.indexer.encoders.embedding import Encoder
    from dalil.indexer.settings import Settings


def _nothing(_: Index) -> Iterable[str]:
    return ()


@dataclass(frozen=True)
class Change:
    """What one write applies to the next generation."""

    releases: Callable[[], Iterable[Release | ReadFailure]] = tuple
    deletions: Callable[[Index], Iterable[str]] = _nothing


def build_next_generation(
    settings: Settings,
    change: Change,
    *,
    encoders: Mapping[str, Encoder] | None = None,
    rebuild: bool = False,
    progress: bool | Plan = False,
    clock: StageClock | None = None,
    locked: bool = False,
    trigger: str = "cli",
    commit_releases: int = COMMIT_RELEASES,
    on_failure: Callable[[ReadFailure], None] | None = None,
) -> RunRecord:
    """Apply ``change`` to a copy of the live generation of ``settings.index`` (an empty one
    with ``rebuild`` or when there is none) and publish it if anything changed.

    Encoders: ``encoders`` if given, else loaded the first time a text must be encoded (a run
    that changes nothing loads none). ``locked``: the caller holds the writer lock already.
    Returns the run's record (status ``published`` with the generation, or ``unchanged``).
    ``on_failure`` hears of each skipped file or record as the run meets it.
    """
    started = now_iso()
    root = Path(settings.index).absolute()
    clock = clock if clock is not None else StageClock()
    migrate_legacy(root)
    names = encoder_names_for(settings, root, encoders, rebuild=rebuild)
    created = False

    def build(staging: Path, live: Path | None) -> RunRecord:
        nonlocal created
        if live is None:
            created = True
            with clock.stage("load_encoders"):
                loaded = dict(encoders) if encoders is not None else _load(names, settings)
            index = Index.create(staging, loaded)
        else:
            loaded = dict(encoders) if encoders is not None else _lazy(names, staging, settings)
            index = Index.open(staging, encoder_names=names, check=False)
        try:
            report = apply_releases(
                index,
                loaded,
                settings,
                change.releases(),
                clock=clock,
                progress=progress,
                commit_releases=commit_releases,
                on_failure=on_failure,
            )
            with clock.stage("delete"):
                doomed = list(change.deletions(index))
                deleted = delete_releases(index, doomed) if doomed else 0
        finally:
            index.close()
        return replace(report, deleted=deleted, seconds=clock.elapsed())

    def changed(report: RunRecord) -> bool:
        return created or bool(report.added or report.updated or report.deleted)

    published = publish_next(
        root,
        build,
        fresh=rebuild,
        keep=settings.keep_generations,
        changed=changed,
        lock=not locked,
        clock=clock,
    )
    return replace(
        published.result,
        started=started,
        finished=now_iso(),
        status=PUBLISHED if published.generation else UNCHANGED,
        trigger=trigger,
        generation=published.generation,
        seconds=clock.elapsed(),
        stage_seconds=clock.seconds,
    )


def encoder_names_for(
    settings: Settings,
    root: Path,
    encoders: Mapping[str, Encoder] | None = None,
    *,
    rebuild: bool = False,
) -> list[str]:
    """Given encoders, else explicitly set ones (flag, env, dalil.toml), else the live
    index's, else the default. Explicit ones that differ from the index's need ``rebuild``
    (:class:`IndexMismatchError` otherwise)."""
    explicit = "encoders" in settings.model_fields_set
    if encoders is not None:
        return list(encoders)
    live = live_dir(root)
    if live is None or (rebuild and explicit):
        return list(settings.encoder_names)
    built_with = read_manifest(live / MANIFEST_NAME).encoder_names
    if explicit and set(settings.encoder_names) != set(built_with):
        raise IndexMismatchError(
            f"the index at {root} was built with encoders {', '.join(built_with)}, not "
            f"{', '.join(settings.encoder_names)}; to change encoders rebuild it: "
            f"`dalil index --rebuild --encoders {settings.encoders} SOURCE...`"
        )
    return list(built_with)


def _load(names: Sequence[str], settings: Settings) -> dict[str, Encoder]:
    return dict(embedding.load_encoders(list(names), threads=settings.threads))


def _lazy(names: Sequence[str], staging: Path, settings: Settings) -> dict[str, Encoder]:
    """The index's encoders, loaded the first time a text has to be encoded (an unchanged
    paragraph needs none)."""
    dims = dict(read_manifest(staging / MANIFEST_NAME).encoders)
    return dict(lazy_encoders({name: dims[name] for name in names}, threads=settings.threads))


def index_sources(
    settings: Settings,
    sources: Iterable[str | Path],
    *,
    encoders: Mapping[str, Encoder] | None = None,
    progress: bool | Plan = True,
    rebuild: bool = False,
    commit_releases: int = COMMIT_RELEASES,
    on_failure: Callable[[ReadFailure], None] | None = None,
) -> RunRecord:
    """``dalil index``: add new and changed releases read from files and folders; the run is
    recorded in ``runs.jsonl``. ``on_failure`` hears of each skipped file or record as the
    run meets it."""
    paths = list(sources)
    record = build_next_generation(
        settings,
        Change(releases=lambda: read_sources(paths, years=settings.years)),
        encoders=encoders,
        rebuild=rebuild,
        progress=progress,
        commit_releases=commit_releases,
        on_failure=on_failure,
    )
    append_run(Path(settings.index), record)
    return record
