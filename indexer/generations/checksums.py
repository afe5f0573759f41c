"""``checksums.json``: what a generation held when it was published, to detect damage later.

* every write-once file (``manifest.json``, ``faiss/*.faiss``, the Whoosh files): size and
  SHA-256 of its bytes;
* ``docs.sqlite``: a digest of its *content* (release ids and content hashes, paragraph
  ids, release ids, positions and text hashes, in id order). Its bytes are not hashed: SQLite
  may rewrite pages (WAL checkpoints) without changing the content.

A generation holds its own copy of every file (:mod:`.publish` copies, it never hard-links),
so damage to one generation's file cannot reach another's. The copy is checked against the
previous generation's recorded digest as it is made (:func:`copy_checked`), so a damaged
live generation is never carried forward silently. A generation without ``checksums.json`` is
a problem (its damage could not be detected); only the layout before generations has none.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dalil.indexer.errors import IndexCorruptError
from dalil.indexer.store.durable import atomic_write_text
from dalil.indexer.store.layout import CHECKSUMS_NAME, DOCS_NAME, WHOOSH_LOCK_MARK

_SKIP_SUFFIXES = (".lock", ".tmp", "-wal", "-shm", "-journal")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileSum:
    size: int
    sha256: str
    inode: int
    mtime_ns: int


def tracked_files(directory: Path) -> list[str]:
    """Relative paths of the files whose bytes are checksummed, sorted."""
    out = []
    for path in directory.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(directory).as_posix()
        name = path.name
        if (
            rel in (CHECKSUMS_NAME, DOCS_NAME)
            or name.startswith(".")
            or WHOOSH_LOCK_MARK in name
            or name.endswith(_SKIP_SUFFIXES)
        ):
            continue
        out.append(rel)
    return sorted(out)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def docs_digest(path: Path) -> str:
    """SHA-256 over the SQLite store's content (read-only connection)."""
    digest = hashlib.sha256()
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise IndexCorruptError(f"{path}: cannot open ({exc})") from exc
    try:
        for row in db.execute("SELECT id, content_hash FROM releases ORDER BY id"):
            digest.update(f"r\x1f{row[0]}\x1f{row[1]}\n".encode())
        for row in db.execute("SELECT id, release_id, position, hash FROM paragraphs ORDER BY id"):
            digest.update(f"p\x1f{row[0]}\x1f{row[1]}\x1f{row[2]}\x1f{row[3]}\n".encode())
    except sqlite3.Error as exc:
        raise IndexCorruptError(f"{path}: cannot read ({exc})") from exc
    finally:
        db.close()
    return digest.hexdigest()


def read_checksums(directory: Path) -> dict[str, Any] | None:
    """The recorded checksums, or None when the directory has none."""
    path = directory / CHECKSUMS_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"{path}: unreadable ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise IndexCorruptError(f"{path}: malformed")
    return data


def _sums(directory: Path, previous: dict[str, Any] | None) -> dict[str, FileSum]:
    old_files = (previous or {}).get("files", {})
    sums = {}
    for rel in tracked_files(directory):
        stat = (directory / rel).stat()
        old = old_files.get(rel)
        if (
            isinstance(old, dict)
            and old.get("inode") == stat.st_ino
            and old.get("size") == stat.st_size
            and old.get("mtime_ns") == stat.st_mtime_ns
        ):
            sha = str(old["sha256"])
        else:
            sha = file_sha256(directory / rel)
        sums[rel] = FileSum(stat.st_size, sha, stat.st_ino, stat.st_mtime_ns)
    return sums


def copy_checked(source: Path, target: Path, recorded: dict[str, Any] | None) -> str:
    """Copy ``source`` to ``target`` (a new inode), hashing the bytes on the way; when
    ``recorded`` (its entry in the source generation's checksums) is given and the bytes
    differ, remove the copy and raise :class:`IndexCorruptError`. Returns the SHA-256."""
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    sha = digest.hexdigest()
    if recorded is not None and sha != recorded.get("sha256"):
        target.unlink(missing_ok=True)
        raise IndexCorruptError(
            f"{source}: differs from its recorded checksum: the live generation is damaged; "
            "roll back to an older generation or rebuild (dalil index --rebuild)"
        )
    return sha


def write_checksums(directory: Path, previous_dir: Path | None = None) -> None:
    """Record the checksums of the (closed, complete) index in ``directory``."""
    previous = None
    if previous_dir is not None:
        try:
            previous = read_checksums(previous_dir)
        except IndexCorruptError:
            previous = None
    sums = _sums(directory, previous)
    data = {
        "files": {
            rel: {"size": s.size, "sha256": s.sha256, "inode": s.inode, "mtime_ns": s.mtime_ns}
            for rel, s in sums.items()
        },
        "docs": docs_digest(directory / DOCS_NAME),
    }
    atomic_write_text(directory / CHECKSUMS_NAME, json.dumps(data, indent=1) + "\n")


def check_checksums(directory: Path) -> list[str]:
    """Problems found comparing the files with ``checksums.json`` (one line each). Only a
    directory that is not a generation (an index from before generations) may lack one."""
    try:
        recorded = read_checksums(directory)
    except IndexCorruptError as exc:
        return [str(exc)]
    if recorded is None:
        if directory.name.startswith("gen-"):
            return [
                f"{directory / CHECKSUMS_NAME}: missing, so damage to this generation cannot "
                "be detected; publish a new generation (dalil index / reindex) or rebuild"
            ]
        return []
    problems = []
    files: dict[str, Any] = recorded["files"]
    present = set(tracked_files(directory))
    for rel in sorted(set(files) - present):
        problems.append(f"{rel}: missing (recorded in {CHECKSUMS_NAME})")
    for rel in sorted(present - set(files)):
        problems.append(f"{rel}: not recorded in {CHECKSUMS_NAME}")
    for rel in sorted(present & set(files)):
        path = directory / rel
        expected = files[rel]
        size = path.stat().st_size
        if size != expected.get("size"):
            problems.append(f"{rel}: size {size}, recorded {expected.get('size')}")
        elif file_sha256(path) != expected.get("sha256"):
            problems.append(f"{rel}: SHA-256 differs from the recorded one")
    docs = directory / DOCS_NAME
    try:
        if docs_digest(docs) != recorded.get("docs"):
            problems.append(f"{DOCS_NAME}: content differs from the recorded digest")
    except IndexCorruptError as exc:
        problems.append(str(exc))
    return problems
