"""Stable release ids derived from file paths.

A file's id is its path relative to the source root given on the command line (a folder, or
the folder holding a file named directly), with forward slashes and without its format suffix:
``samples/bahrain-nato-istanbul-initiative.ar.txt`` read from ``data/`` is
``samples/bahrain-nato-istanbul-initiative.ar``. Records without an id of their own inside a
JSON / JSONL file get ``<file id>#<n>`` (list item or line number, from 1).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

# Longest first, so ".jsonl.gz" wins over ".gz".
SOURCE_SUFFIXES = (".jsonl.gz", ".json.gz", ".jsonl", ".json", ".txt", ".md", ".html", ".htm")


def source_suffix(name: str) -> str | None:
    """The supported format suffix ``name`` ends with (case-insensitive), or None."""
    lower = name.lower()
    return next((suffix for suffix in SOURCE_SUFFIXES if lower.endswith(suffix)), None)


def path_id(path: Path, root: Path) -> str:
    """Id of the file at ``path`` read from the source root ``root``."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        relative = Path(path.name)
    name = relative.as_posix()
    suffix = source_suffix(name)
    if suffix and len(name) > len(suffix):
        name = name[: -len(suffix)]
    return unicodedata.normalize("NFC", name)


def item_id(file_id: str, number: int) -> str:
    """Id of the ``number``-th record (from 1) of a file that gives it no id."""
    return f"{file_id}#{number}"
