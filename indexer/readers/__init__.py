"""Read press releases from files and folders.

``read_sources(paths)`` yields a :class:`~dalil.indexer.models.Release` per press release and a
:class:`~dalil.indexer.models.ReadFailure` (origin + one-line reason) per file or record that cannot
be read; it never raises for bad input. Formats: .txt and .md (:mod:`.text`), .html / .htm
(:mod:`.html`), .json, .jsonl and their .gz versions (:mod:`.jsonl`).

Folders are read recursively in sorted order. Inside folders, hidden files and folders, files
of other types and housekeeping files (README, LICENSE, ATTRIBUTION, ... of any supported type)
are skipped silently; a file named explicitly is always read, and one of an unsupported type is
a failure. A file reached twice is read once; a release id seen before is a failure. Any
error while reading one file or record skips it with a one-line reason (:mod:`.isolation`).
Dates are taken only when their year lies in ``years`` (the ``date_years`` setting).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from dalil.indexer.errors import SourceError
from dalil.indexer.models import ReadFailure, Release
from dalil.indexer.readers.dates import DEFAULT_YEARS
from dalil.indexer.readers.html import read_html_file
from dalil.indexer.readers.ids import SOURCE_SUFFIXES, source_suffix
from dalil.indexer.readers.isolation import unexpected_reason
from dalil.indexer.readers.jsonl import read_json_file, read_jsonl_file
from dalil.indexer.readers.text import read_markdown_file, read_text_file

__all__ = ["SOURCE_SUFFIXES", "HOUSEKEEPING_NAMES", "read_sources", "reader_for", "walk_folder"]

log = logging.getLogger("dalil.readers")

Item = Release | ReadFailure
Reader = Callable[..., Iterable[Item]]  # (path, root, *, years) -> items

# File names (before the first dot, case-insensitive) skipped inside folders.
HOUSEKEEPING_NAMES = frozenset(
    (  # noqa: SIM905
        "readme license licence copying notice attribution changelog contributing authors"
    ).split()
)


def _single(read: Callable[..., Release]) -> Reader:
    return lambda path, root, **options: (read(path, root, **options),)


_READERS: dict[str, Reader] = {
    ".txt": _single(read_text_file),
    ".md": _single(read_markdown_file),
    ".html": _single(read_html_file),
    ".htm": _single(read_html_file),
    ".json": read_json_file,
    ".json.gz": read_json_file,
    ".jsonl": read_jsonl_file,
    ".jsonl.gz": read_jsonl_file,
}


def reader_for(path: Path) -> Reader | None:
    """The reader for ``path``'s format, or None for an unsupported file type."""
    suffix = source_suffix(path.name)
    return _READERS[suffix] if suffix else None


def read_sources(
    paths: Iterable[str | Path], *, years: tuple[int, int] = DEFAULT_YEARS
) -> Iterator[Item]:
    """Releases and failures from ``paths`` (files and folders), in order."""
    first_origin: dict[str, str] = {}
    seen_files: set[str] = set()
    for given in paths:
        for item in _read_path(Path(given), seen_files, years):
            if isinstance(item, Release):
                first = first_origin.setdefault(item.id, item.origin)
                if first != item.origin:
                    item = ReadFailure(
                        item.origin, f"duplicate release id {item.id!r} (first read from {first})"
                    )
            yield item


def _read_path(path: Path, seen_files: set[str], years: tuple[int, int]) -> Iterator[Item]:
    if not os.path.lexists(path):
        yield ReadFailure(str(path), "no such file or folder")
        return
    if path.is_dir():
        found = False
        for entry in walk_folder(path, set()):
            if isinstance(entry, ReadFailure):
                yield entry
                continue
            found = True
            yield from _read_file(entry, path, seen_files, years)
        if not found:
            supported = ", ".join(sorted(SOURCE_SUFFIXES))
            yield ReadFailure(str(path), f"no files to read in this folder ({supported})")
        return
    yield from _read_file(path, path.parent, seen_files, years)


def walk_folder(
    folder: Path, visited: set[str], unsupported: list[Path] | None = None
) -> Iterator[Path | ReadFailure]:
    """Readable-looking files under ``folder``, depth first in name order (hidden entries
    skipped, housekeeping files such as README left out, symlinked folders followed once:
    ``visited`` holds the real paths of folders walked). Files of a type no reader takes are
    appended to ``unsupported`` when it is given; a folder that cannot be listed is a
    :class:`ReadFailure`."""
    real = os.path.realpath(folder)
    if real in visited:
        return
    visited.add(real)
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        yield ReadFailure(str(folder), f"cannot list folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            yield from walk_folder(path, visited, unsupported)
        elif entry.name.split(".", 1)[0].lower() in HOUSEKEEPING_NAMES:
            continue
        elif reader_for(path) is None:
            if unsupported is not None:
                unsupported.append(path)
        else:
            yield path


def _read_file(
    path: Path, root: Path, seen_files: set[str], years: tuple[int, int]
) -> Iterator[Item]:
    resolved = os.path.realpath(path)
    if resolved in seen_files:
        return
    seen_files.add(resolved)
    reader = reader_for(path)
    if reader is None:
        supported = ", ".join(sorted(SOURCE_SUFFIXES))
        yield ReadFailure(str(path), f"unsupported file type (supported: {supported})")
        return
    try:
        yield from reader(path, root, years=years)
    except SourceError as exc:
        yield ReadFailure(exc.origin, exc.reason)
    except OSError as exc:
        yield ReadFailure(str(path), f"cannot read: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 - one bad file never stops a run
        log.debug("unexpected error reading %s", path, exc_info=exc)
        yield ReadFailure(str(path), unexpected_reason(exc))
