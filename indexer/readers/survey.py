"""What a set of source paths holds, found by listing them (no file is read): the files that
will be read and the files skipped for their type, so a run can say so up front.

It walks folders with the walk :func:`dalil.indexer.readers.read_sources` uses
(:func:`~dalil.indexer.readers.walk_folder`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dalil.indexer.readers import walk_folder


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
            for found in walk_folder(given, visited, unsupported):
                if isinstance(found, Path):  # an unlistable folder: the read reports it
                    files.setdefault(os.path.realpath(found), found)
        else:
            files.setdefault(os.path.realpath(given), given)
    return Survey(tuple(files.values()), tuple(unsupported), tuple(missing))
