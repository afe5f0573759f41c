"""The consistency check of one index directory (``dalil verify``, and every run before it
publishes a generation): the manifest reads and its counts are right, SQLite passes its
``quick_check``, SQLite, Whoosh and every FAISS file hold the same paragraph ids, and the
files match ``checksums.json``."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from dalil.indexer.errors import IndexError_, IndexNotFoundError
from dalil.indexer.generations.checksums import check_checksums
from dalil.indexer.store.index import Index
from dalil.indexer.store.layout import DOCS_NAME, MANIFEST_NAME, resolve
from dalil.indexer.store.manifest import Manifest, read_manifest


def verify_dir(directory: Path, *, checksums: bool = True) -> list[str]:
    """Every problem found in the index at ``directory`` (one line each); empty when sound.
    ``checksums=False`` skips re-hashing the files (right after they were recorded)."""
    directory = Path(directory)
    problems = _quick_check(directory / DOCS_NAME)
    if problems:
        return problems
    try:
        index = Index.open(directory, check=False)
    except IndexError_ as exc:
        return [str(exc)]
    try:
        problems.extend(index.verify())
    finally:
        index.close()
    if checksums:
        problems.extend(check_checksums(directory))
    return problems


def _quick_check(path: Path) -> list[str]:
    if not path.is_file():
        return [f"{path}: missing"]
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute("PRAGMA quick_check").fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        return [f"{path}: not a readable SQLite database ({exc})"]
    bad = [str(r[0]) for r in rows if r[0] != "ok"]
    return [f"{path}: {line}" for line in bad[:10]]


@dataclass(frozen=True)
class Verdict:
    """``dalil verify``'s answer for one generation: where, what it holds, what is wrong."""

    directory: Path
    problems: tuple[str, ...]
    manifest: Manifest | None


def verify_index(root: Path, generation: str | None = None) -> Verdict:
    """Check the live generation under ``root`` (or the one named ``generation``)."""
    root = Path(root)
    directory = root / generation if generation else resolve(root)
    if not (directory / MANIFEST_NAME).is_file() and not (directory / DOCS_NAME).exists():
        raise IndexNotFoundError(f"no index at {directory}")
    problems = tuple(verify_dir(directory))
    manifest = None if problems else read_manifest(directory / MANIFEST_NAME)
    return Verdict(directory, problems, manifest)
