"""The on-disk layout of an index: every file and directory name dalil writes, in one place,
and the paths of the generations that let a run publish a whole new index atomically.

::

    index/                    the index root (``--index PATH``)
      CURRENT                 one line: the live generation's name, e.g. ``gen-000042``
      gen-000041/             a previous generation (kept for a while, then collected)
      gen-000042/             a complete index (:class:`dalil.indexer.store.index.Index`):
        manifest.json         encoders, counts; written last in every commit
        docs.sqlite           releases + paragraphs (the source of truth)
        whoosh/               keyword index of the paragraphs (segments ``_MAIN_*``)
        faiss/<slug>.faiss    one IndexIDMap2 per encoder
        checksums.json        recorded at publication
      .staging-gen-000043/    the next generation while a run builds it (never read)
      .lock                   the writer lock: one writing process at a time
      runs.jsonl              one line per write run (:mod:`dalil.indexer.build.runs`)
      web-cache.sqlite        web sources' conditional-GET cache (:mod:`dalil.indexer.readers.web`)
      alerts.sqlite           alert state (:mod:`dalil.search.alerts`), .alerts.lock its lock

``CURRENT`` is replaced atomically (temp file, fsync, rename, directory fsync), so a reader
sees either the old or the new generation, never half of one. A generation is never modified
after it is published. A root holding ``manifest.json`` directly (the layout before
generations) is migrated into ``gen-000001`` the first time dalil opens it
(:func:`dalil.indexer.generations.publish.migrate_legacy`).

This module only knows paths; it never opens an index.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from dalil.indexer.errors import IndexCorruptError, IndexNotFoundError
from dalil.indexer.store.durable import atomic_write_text

# The index root
CURRENT_NAME = "CURRENT"
GEN_PREFIX = "gen-"
STAGING_PREFIX = ".staging-"
LOCK_NAME = ".lock"
RUNS_NAME = "runs.jsonl"
WEB_CACHE_NAME = "web-cache.sqlite"  # web sources: validators + parsed answer per URL
ALERTS_NAME = "alerts.sqlite"  # alerts made through the API, ids held, sent, deliveries
ALERTS_LOCK_NAME = ".alerts.lock"  # one alert dispatch at a time
# One generation
MANIFEST_NAME = "manifest.json"
DOCS_NAME = "docs.sqlite"
WHOOSH_DIR = "whoosh"
FAISS_DIR = "faiss"
CHECKSUMS_NAME = "checksums.json"
PART_NAMES = (DOCS_NAME, f"{DOCS_NAME}-wal", f"{DOCS_NAME}-shm", WHOOSH_DIR, FAISS_DIR)
# Whoosh's own names inside whoosh/: its table of contents and its writer lock
WHOOSH_TOC_GLOB = "_MAIN_*.toc"
WHOOSH_LOCK_MARK = "WRITELOCK"
_GEN_RE = re.compile(r"^gen-(\d{6,})$")
_SAFE_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def encoder_slug(name: str) -> str:
    """A safe file name for an encoder: short lower-case names as they are (``e5-small``,
    ``use-m3``); anything path-like or unusual becomes its last part plus a hash of the
    whole name (``all-minilm-l6-v2-3f2a9c1d0b``)."""
    if _SAFE_SLUG.match(name) and ".." not in name:
        return name
    tail = re.sub(r"[^a-z0-9._-]+", "-", name.rstrip("/\\").rsplit("/", 1)[-1].lower())
    tail = tail.strip(".-_")[:40] or "encoder"
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    return f"{tail}-{digest}"


def faiss_path(directory: Path, encoder_name: str) -> Path:
    """The FAISS file of ``encoder_name`` in the generation ``directory``."""
    return Path(directory) / FAISS_DIR / f"{encoder_slug(encoder_name)}.faiss"


def generation_name(number: int) -> str:
    return f"{GEN_PREFIX}{number:06d}"


def generation_number(name: str) -> int | None:
    """The number of a generation directory name, or None when it is not one."""
    match = _GEN_RE.match(name)
    return int(match.group(1)) if match else None


def current_name(root: Path) -> str | None:
    """The generation ``CURRENT`` names, or None when the root has no ``CURRENT``."""
    try:
        text = (Path(root) / CURRENT_NAME).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if generation_number(text) is None:
        raise IndexCorruptError(f"{Path(root) / CURRENT_NAME}: not a generation name: {text!r}")
    return text


def is_legacy(root: Path) -> bool:
    """A root in the layout before generations: ``manifest.json`` directly inside."""
    root = Path(root)
    return not (root / CURRENT_NAME).exists() and (root / MANIFEST_NAME).is_file()


def live_dir(root: Path) -> Path | None:
    """The directory of the live index under ``root``: the generation ``CURRENT`` names, or
    ``root`` itself when it is an index directory (a generation opened directly); None when
    there is no index."""
    root = Path(root)
    name = current_name(root)
    if name is not None:
        directory = root / name
        if not (directory / MANIFEST_NAME).is_file():
            raise IndexCorruptError(
                f"{root / CURRENT_NAME} names {name}, but {directory} holds no index"
            )
        return directory
    if (root / MANIFEST_NAME).is_file():
        return root
    return None


def resolve(root: str | Path) -> Path:
    """Like :func:`live_dir`, but raises :class:`IndexNotFoundError` when there is no index."""
    directory = live_dir(Path(root))
    if directory is None:
        raise IndexNotFoundError(
            f"no index at {root}: run `dalil index SOURCE` or `dalil reindex` first "
            "(or pass --index PATH)"
        )
    return directory


def live_stamp(root: Path) -> str | None:
    """A cheap token that changes whenever a new generation is published (the content of
    ``CURRENT``; None without an index). Servers poll it."""
    try:
        return current_name(root)
    except IndexCorruptError:
        return None


def generations(root: Path) -> list[int]:
    """Numbers of the generation directories under ``root``, ascending."""
    root = Path(root)
    if not root.is_dir():
        return []
    numbers = (generation_number(p.name) for p in root.iterdir() if p.is_dir())
    return sorted(n for n in numbers if n is not None)


def next_number(root: Path) -> int:
    existing = generations(root)
    current = current_name(root)
    highest = max([*existing, (generation_number(current) or 0) if current else 0, 0])
    return highest + 1


def staging_dir(root: Path, number: int) -> Path:
    return Path(root) / f"{STAGING_PREFIX}{generation_name(number)}"


def write_current(root: Path, name: str) -> None:
    """Point ``CURRENT`` at ``name``: temp file + fsync + rename + directory fsync."""
    if generation_number(name) is None:
        raise ValueError(f"not a generation name: {name!r}")
    atomic_write_text(Path(root) / CURRENT_NAME, name + "\n")


def remove_leftovers(root: Path) -> list[str]:
    """Remove what interrupted runs left: staging directories, ``CURRENT`` temp files and
    generations newer than ``CURRENT`` (built but never published; without a ``CURRENT``
    no generation is touched). Call under the writer lock. Returns the names removed."""
    root = Path(root)
    if not root.is_dir():
        return []
    removed = []
    current = current_name(root)
    live = generation_number(current) if current else None
    for path in root.iterdir():
        number = generation_number(path.name)
        stale = (
            path.name.startswith(STAGING_PREFIX)
            or path.name.startswith(f".{CURRENT_NAME}.")
            or (number is not None and live is not None and number > live)
        )
        if not stale:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


def collect_garbage(root: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` generations up to the live one (the live one is
    always kept). Readers of a deleted generation that still hold its files open keep
    working on Linux; servers move to the new generation within about a second. Returns the
    names removed."""
    root = Path(root)
    current = current_name(root)
    if current is None:
        return []
    live = generation_number(current) or 0
    older = [n for n in generations(root) if n < live]
    doomed = older[: max(0, len(older) - max(0, keep - 1))]
    for number in doomed:
        shutil.rmtree(root / generation_name(number), ignore_errors=True)
    return [generation_name(n) for n in doomed]


def older_generations(root: Path) -> list[Path]:
    """The generations under ``root`` other than the live one, newest first (what a server
    may fall back to when the live one fails its checks)."""
    live = current_name(root)
    names = (generation_name(n) for n in sorted(generations(root), reverse=True))
    return [root / name for name in names if name != live]
