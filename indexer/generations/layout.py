"""Index generations: the on-disk layout that lets a run publish a whole new index atomically.

::

    index/                    the index root (``--index PATH``)
      CURRENT                 one line: the live generation's name, e.g. ``gen-000042``
      gen-000041/             a previous generation (kept for a while, then collected)
      gen-000042/             a complete index as :class:`indexer.index.Index` knows it
      .staging-gen-000043/    the next generation while a run builds it (never read)
      .lock                   the writer lock: one writing process at a time
      runs.jsonl              one line per re-indexing run (:mod:`indexer.runs`)

``CURRENT`` is replaced atomically (temp file, fsync, rename, directory fsync), so a reader
sees either the old or the new generation, never half of one. A generation is never modified
after it is published. A root holding ``manifest.json`` directly (the layout before
generations) is still read as it is; the first run that writes through generations migrates
it into ``gen-000001`` (see :mod:`indexer.publish`).

This module only knows paths; it never opens an index.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from dalil.indexer.errors import IndexCorruptError, IndexNotFoundError
from dalil.indexer.store.durable import atomic_write_text
from dalil.indexer.store.manifest import MANIFEST_NAME

CURRENT_NAME = "CURRENT"
GEN_PREFIX = "gen-"
STAGING_PREFIX = ".staging-"
_GEN_RE = re.compile(r"^gen-(\d{6,})$")


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
    """The directory of the live index under ``root`` (the generation ``CURRENT`` names, or
    the root itself in the old layout); None when there is no index."""
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


def stamp(root: Path) -> str | None:
    """A cheap token that changes whenever a new generation is published (the content of
    ``CURRENT``; ``"."`` for an old-layout root, None without an index). Servers poll it."""
    try:
        return current_name(root) or ("." if (Path(root) / MANIFEST_NAME).is_file() else None)
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
