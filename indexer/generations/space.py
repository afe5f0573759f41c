"""Disk space: refuse a write before it starts when the disk cannot hold it, and recognise
a full disk in whatever form a part reports it (``OSError`` ENOSPC, SQLite's "database or
disk is full", FAISS's failed write) so that it reaches people as one clear line (CLI) or a
507 (API), never a traceback or a 500.

Estimates are deliberately generous (a run that would fit is sometimes refused rather than
the other way round): :data:`MARGIN_BYTES` stays free for SQLite's journal and the system.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from dalil.indexer.errors import DiskFullError

MARGIN_BYTES = 32 * 1024 * 1024
# Bytes written per character of new text: SQLite (text + index) and Whoosh (postings,
# stored fields), measured at about 2.5 on the sample corpus, rounded up.
BYTES_PER_TEXT_CHAR = 4

_FULL_MESSAGES = ("no space left", "disk is full", "disk full", "file too large")


def tree_bytes(path: Path) -> int:
    """Total size of the regular files under ``path`` (0 if it is missing)."""
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def free_bytes(path: Path) -> int:
    """Bytes free for this user on the disk holding ``path`` (or its nearest parent)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def ensure_space(path: Path, needed: int, what: str) -> None:
    """:class:`DiskFullError` when the disk holding ``path`` has less than ``needed`` bytes
    (plus the margin) free."""
    free = free_bytes(path)
    if needed + MARGIN_BYTES > free:
        raise DiskFullError(
            f"not enough disk space for {what}: about {_mb(needed + MARGIN_BYTES)} needed, "
            f"{_mb(free)} free on the disk holding {path}; free some space (older "
            "generations: keep_generations) and run again — the live index is untouched"
        )


def encoding_bytes(texts: Iterable[str], dims: Iterable[int], faiss_bytes: int) -> int:
    """Bytes a chunk of new paragraphs needs: their text in SQLite and Whoosh, and every FAISS
    file written again (beside the old one until the rename) with their vectors added."""
    texts = list(texts)
    vectors = len(texts) * sum(dims) * 4
    return BYTES_PER_TEXT_CHAR * sum(len(t) for t in texts) + faiss_bytes + vectors


def disk_full(exc: BaseException) -> str | None:
    """A one-line message when ``exc`` (or what caused it) is a full disk, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DiskFullError):
            return str(current)
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return _message()
        if isinstance(current, sqlite3.Error | RuntimeError | OSError) and any(
            m in str(current).lower() for m in _FULL_MESSAGES
        ):
            return _message()
        current = current.__cause__ or current.__context__
    return None


def _message() -> str:
    return (
        "the disk is full: nothing was published and the live index is untouched; free "
        "some space and run again"
    )


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"
