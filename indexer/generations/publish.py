"""Build the next generation beside the live one and publish it atomically.

:func:`publish_next`, under the root's writer lock: remove what interrupted runs left, check
there is room for a copy, copy the live generation into a staging directory (SQLite through
its backup API; Whoosh and FAISS files copied byte for byte and checked against the live
generation's recorded SHA-256 on the way — never hard-linked, so damage to one generation's
file cannot spread to the next or back), let ``build`` write into the copy, checkpoint
SQLite, record ``checksums.json``, verify, rename the staging directory to ``gen-NNNNNN``,
fsync, point ``CURRENT`` at it, and collect old generations. Killed at any point before
``CURRENT`` is replaced, the previous generation stays live untouched and the next run starts
over; after it, the new one is live.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from filelock import FileLock

from dalil.indexer.errors import IndexCorruptError
from dalil.indexer.generations.checksums import copy_checked, read_checksums, write_checksums
from dalil.indexer.generations.space import ensure_space, tree_bytes
from dalil.indexer.generations.verify import verify_dir
from dalil.indexer.store import layout as gens
from dalil.indexer.store.durable import fsync_path, fsync_tree
from dalil.indexer.store.index import locked
from dalil.indexer.store.layout import (
    DOCS_NAME,
    FAISS_DIR,
    LOCK_NAME,
    MANIFEST_NAME,
    PART_NAMES,
    WHOOSH_DIR,
    WHOOSH_LOCK_MARK,
)
from dalil.indexer.timing import StageClock

T = TypeVar("T")

DEFAULT_KEEP = 3


@dataclass(frozen=True)
class Published(Generic[T]):
    """What :func:`publish_next` did: ``build``'s result, the generation it published (None
    when the build changed nothing and no generation was made) and the ones collected."""

    result: T
    generation: str | None
    collected: tuple[str, ...] = ()


@contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """Hold the root's writer lock; :class:`IndexLockedError` at once if another holds it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with locked(FileLock(str(root / LOCK_NAME), timeout=0), root):
        yield


def copy_index(source: Path, target: Path) -> None:
    """Copy the index in ``source`` into the empty directory ``target``: every file a new
    inode; a Whoosh or FAISS file whose bytes differ from ``source``'s recorded checksum
    raises :class:`IndexCorruptError` (the live generation is damaged)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / MANIFEST_NAME, target / MANIFEST_NAME)
    _backup_sqlite(source / DOCS_NAME, target / DOCS_NAME)
    try:
        recorded = (read_checksums(source) or {}).get("files", {})
    except IndexCorruptError:
        recorded = {}
    for part in (WHOOSH_DIR, FAISS_DIR):
        (target / part).mkdir()
        for path in sorted((source / part).iterdir()):
            if path.is_file() and not _is_lock(path.name):
                copy_checked(path, target / part / path.name, recorded.get(f"{part}/{path.name}"))


def _is_lock(name: str) -> bool:
    return WHOOSH_LOCK_MARK in name or name.endswith((".lock", ".tmp")) or name.startswith(".")


def _backup_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise IndexCorruptError(f"{source}: cannot copy the SQLite store ({exc})") from exc
    finally:
        src.close()


def checkpoint_sqlite(path: Path) -> None:
    """Fold the WAL into the database file so the generation is self-contained."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def publish_next(
    root: Path,
    build: Callable[[Path, Path | None], T],
    *,
    fresh: bool = False,
    keep: int = DEFAULT_KEEP,
    changed: Callable[[T], bool] | None = None,
    lock: bool = True,
    clock: StageClock | None = None,
) -> Published[T]:
    """Build and publish the next generation under ``root``.

    ``build(staging, live)`` must leave a complete, closed index in ``staging``: a copy of
    the live index (``live``, None when there is none) unless ``fresh``, in which case
    ``staging`` is empty and ``build`` creates the index there. When ``changed(result)`` is
    false nothing is published. A generation that fails verification is refused
    (:class:`IndexCorruptError`) and the live one stays. ``lock=False``: the caller already
    holds the writer lock (:func:`writer_lock`).
    """
    root = Path(root).absolute()
    clock = clock if clock is not None else StageClock()
    with writer_lock(root) if lock else nullcontext():
        gens.remove_leftovers(root)
        if gens.is_legacy(root):
            _migrate(root)
        live = gens.live_dir(root)
        number = gens.next_number(root)
        staging = gens.staging_dir(root, number)
        try:
            if live is not None and not fresh:
                ensure_space(root, tree_bytes(live), "a copy of the live index generation")
                with clock.stage("copy"):
                    copy_index(live, staging)
            else:
                staging.mkdir()
            result = build(staging, None if fresh else live)
            if changed is not None and not changed(result):
                shutil.rmtree(staging, ignore_errors=True)
                return Published(result, None)
            with clock.stage("verify"):
                _seal(staging, live)
            name = gens.generation_name(number)
            with clock.stage("publish"):
                staging.rename(root / name)
                fsync_path(root)
            with clock.stage("switch"):
                gens.write_current(root, name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        with clock.stage("collect"):
            collected = gens.collect_garbage(root, keep)
    return Published(result, name, tuple(collected))


def _seal(staging: Path, live: Path | None) -> None:
    """Checkpoint, record checksums, fsync and verify the staged generation."""
    checkpoint_sqlite(staging / DOCS_NAME)
    write_checksums(staging, live)
    fsync_tree(staging)
    problems = verify_dir(staging, checksums=False)
    if problems:
        raise IndexCorruptError(
            "refusing to publish a generation that fails verification: "
            + "; ".join(problems)
            + ". The live generation is unchanged; if it is damaged, rebuild the index:"
            " `dalil index --rebuild SOURCE...`"
        )


def migrate_legacy(root: Path) -> bool:
    """Once, when dalil opens it: an index in the layout before generations (its files
    directly in ``root``) becomes ``gen-000001`` with ``CURRENT`` pointing at it, through the
    same copy, seal and switch as every publication. Returns whether it migrated."""
    root = Path(root).absolute()
    if not gens.is_legacy(root):
        return False
    with writer_lock(root):
        if not gens.is_legacy(root):  # another process migrated it meanwhile
            return False
        _migrate(root)
    return True


def _migrate(root: Path) -> None:
    number = gens.next_number(root)
    staging = gens.staging_dir(root, number)
    try:
        copy_index(root, staging)
        _seal(staging, None)
        name = gens.generation_name(number)
        staging.rename(root / name)
        fsync_path(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    gens.write_current(root, name)
    _remove_legacy(root)


def _remove_legacy(root: Path) -> None:
    """Delete the index files of the layout before generations from ``root`` (after its
    content was copied into a generation). The writer lock file stays."""
    (root / MANIFEST_NAME).unlink(missing_ok=True)
    for name in PART_NAMES:
        part = root / name
        if part.is_dir():
            shutil.rmtree(part, ignore_errors=True)
        else:
            part.unlink(missing_ok=True)
