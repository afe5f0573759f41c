"""What a set of source paths holds, found by listing them (no file is read): the files that
will be read and the files skipped for their type, so a run can say so up front.

It walks folders the way :func:`dalil.indexer.readers.read_sources` does (hidden entries
skipped, housekeeping files such as README or LICENSE left out silently, symlinked folders
followed once).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dalil.indexer.readers import HOUSEKEEPING_NAMES, reader_for


@dataclass(frozen=True)
class Survey:
    """``files``: files that will be read; ``unsupported``: files inside the folders that
    are skipped for their type; ``missing``: paths given that do not exist."""

    files: tuple[Path, ...]
    unsupported: tuple[Path, ...]
    missing: tuple[Path, ...]


def survey(paths: Iterable[str | Path]) -> Survey:
    files: dict[str, Path] = {}
    unsupported: list[Path] = []
    missing: list[Path] = []
    visited: set[str] = set()
    for given in map(Path, paths):
        if not os.path.lexists(given):
            missing.append(given)
        elif given.is_dir():
            _walk(given, visited, files, unsupported)
        else:
            files.setdefault(os.path.realpath(given), given)
    return Survey(tuple(files.values()), tuple(unsupported), tuple(missing))


def _walk(folder: Path, visited: set[str], files: dict[str, Path], unsupported: list[Path]) -> None:
    real = os.path.realpath(folder)
    if real in visited:
        return
    visited.add(real)
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError:
        return  # the read reports it
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            _walk(path, visited, files, unsupported)
        elif entry.name.split(".", 1)[0].lower() in HOUSEKEEPING_NAMES:
            continue
        elif reader_for(path) is None:
            unsupported.append(path)
        else:
            files.setdefault(os.path.realpath(path), path)
