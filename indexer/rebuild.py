"""Rebuild an index out of place: build a fresh one in a temporary directory beside it while
holding the old one's writer lock, then swap the directories. Searchers of the old index are
never shown a half-built one; a failed build leaves the old index as it was."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TypeVar

from filelock import FileLock

from indexer.index import LOCK_NAME, PART_NAMES, locked
from indexer.manifest import MANIFEST_NAME

T = TypeVar("T")

_OWN_NAMES = frozenset((MANIFEST_NAME, LOCK_NAME, *PART_NAMES))


def rebuild_beside(path: Path, build: Callable[[Path], T]) -> T:
    """Call ``build(fresh_dir)`` to build a complete index in a new directory beside
    ``path``, then put it at ``path``. Raises :class:`IndexLockedError` if another process
    writes to the old index."""
    path = Path(path).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.parent / f".{path.name}.rebuild-{os.getpid()}"
    if fresh.exists():
        shutil.rmtree(fresh)
    old_lock = FileLock(str(path / LOCK_NAME), timeout=0) if path.is_dir() else None
    with locked(old_lock, path) if old_lock is not None else nullcontext():
        try:
            result = build(fresh)
            _swap(fresh, path)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
    return result


def _swap(fresh: Path, path: Path) -> None:
    """Put the index built in ``fresh`` at ``path``. Files of the old directory that aren't
    the index's own (e.g. a README) are carried over."""
    if not path.exists():
        fresh.rename(path)
        return
    for item in path.iterdir():
        if item.name in _OWN_NAMES or item.name.startswith("."):
            continue
        target = fresh / item.name
        if not target.exists():
            if item.is_dir():
                shutil.copytree(item, target)
            else:
                shutil.copy2(item, target)
    old = path.parent / f".{path.name}.old-{os.getpid()}"
    path.rename(old)
    fresh.rename(path)
    shutil.rmtree(old, ignore_errors=True)
