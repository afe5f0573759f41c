"""Configured sources (``[[sources]]`` in dalil.toml): what they hold now, with their defaults
applied, and which indexed releases they own (for ``delete_missing``).

A source's ``path`` is a file, a folder or a glob (``*``, ``?``, ``[`` and ``**``); relative
paths are taken from ``base`` (the directory of dalil.toml). Files are read by absolute path,
so a release's ``origin`` (``path``, ``path:line`` or ``path#n``) tells which source it came
from; releases indexed otherwise (``dalil index``, the API) belong to no source and are never
deleted by a re-index.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from dalil.indexer.models import VALUE_FILTERS, ReadFailure, Release
from dalil.indexer.readers import read_sources
from dalil.indexer.readers.dates import DEFAULT_YEARS
from dalil.indexer.readers.web import WebSession
from dalil.indexer.settings import SourceConfig

_GLOB_CHARS = re.compile(r"[*?\[]")
_ORIGIN_SUFFIX = re.compile(r"(:\d+|#\d+)$")


@dataclass(frozen=True)
class Source:
    """A configured source with its path made absolute (a web source: its URL, and the
    run's :class:`WebSession` that fetches it)."""

    config: SourceConfig
    pattern: str  # absolute file, folder or glob; or a URL
    web: WebSession | None = field(default=None, compare=False)

    @property
    def is_glob(self) -> bool:
        return not self.config.is_web and bool(_GLOB_CHARS.search(self.pattern))

    def paths(self) -> list[Path]:
        """What to read now: the path itself, or the glob's matches (sorted)."""
        if self.is_glob:
            return [Path(p) for p in sorted(glob.glob(self.pattern, recursive=True))]
        return [Path(self.pattern)]

    def owns(self, origin_file: str) -> bool:
        if self.config.is_web:  # a sitemap owns the pages it may list (the protocol's rule)
            return _under_sitemap(origin_file, self.pattern) and self._wanted(origin_file)
        if self.is_glob:
            return fnmatch.fnmatchcase(origin_file, self.pattern)
        if origin_file == self.pattern:
            return True
        return origin_file.startswith(self.pattern.rstrip(os.sep) + os.sep)

    def _wanted(self, url: str) -> bool:
        include, exclude = self.config.include, self.config.exclude
        return (include is None or bool(re.search(include, url))) and (
            exclude is None or not re.search(exclude, url)
        )


def _under_sitemap(url: str, sitemap: str) -> bool:
    """Whether ``url`` is in the sitemap's folder or below: the URLs a sitemap may list."""
    page, listed = urlsplit(url), urlsplit(sitemap)
    folder = listed.path.rsplit("/", 1)[0] + "/"
    return (page.scheme, page.netloc) == (listed.scheme, listed.netloc) and (
        page.path.startswith(folder)
    )


@dataclass
class ReadLog:
    """What a pass over the sources saw: release ids, and which sources and files failed."""

    seen: set[str] = field(default_factory=set)
    failed_files: set[str] = field(default_factory=set)
    unreadable: set[int] = field(default_factory=set)  # positions of sources that read nothing


def configured(
    configs: Sequence[SourceConfig], base: Path, web: WebSession | None = None
) -> list[Source]:
    """The sources with absolute paths; web sources are read through ``web`` (one session
    per run; without one they cannot be read)."""
    out = []
    for config in configs:
        if config.is_web:
            out.append(Source(config, config.location, web))
            continue
        path = os.path.expanduser(config.location)
        absolute = path if os.path.isabs(path) else os.path.join(base, path)
        out.append(Source(config, os.path.normpath(absolute)))
    return out


def origin_file(origin: str) -> str:
    """The file part of a release or failure origin (``path:12`` and ``path#3`` -> ``path``;
    a URL is its own file)."""
    if origin.startswith(("http://", "https://")):
        return origin
    return _ORIGIN_SUFFIX.sub("", origin)


def with_defaults(release: Release, config: SourceConfig) -> Release:
    """Fill the fields the release lacks from the source's defaults (re-hashing it)."""
    changes = {
        name: getattr(config, name)
        for name in VALUE_FILTERS
        if getattr(config, name) and not getattr(release, name)
    }
    if not changes:
        return release
    return replace(release, **changes, content_hash="")


def read_configured(
    sources: Sequence[Source], log: ReadLog, years: tuple[int, int] = DEFAULT_YEARS
) -> Iterator[Release | ReadFailure]:
    """Every release of every source (defaults applied) and every failure, noting in ``log``
    the ids seen, the files that failed and the sources that yielded nothing."""
    for position, source in enumerate(sources):
        if source.config.is_web:
            yield from _read_web(position, source, log)
            continue
        paths = source.paths()
        if not paths:
            log.unreadable.add(position)
            yield ReadFailure(source.pattern, "no files match this source's path")
            continue
        found = False
        for item in read_sources(paths, years=years):
            if isinstance(item, ReadFailure):
                log.failed_files.add(origin_file(item.origin))
                yield item
                continue
            found = True
            log.seen.add(item.id)
            yield with_defaults(item, source.config)
        if not found:
            log.unreadable.add(position)


def _read_web(position: int, source: Source, log: ReadLog) -> Iterator[Release | ReadFailure]:
    if source.web is None:
        log.unreadable.add(position)
        yield ReadFailure(source.pattern, "web sources are read by `dalil reindex` only")
        return
    found = False
    for item in source.web.read(source.config):
        if isinstance(item, ReadFailure):
            log.failed_files.add(item.origin)
            yield item
            continue
        found = True
        log.seen.add(item.id)
        yield with_defaults(item, source.config)
    log.failed_files.update(source.web.unread(source.config))  # listed, kept
    if not found or not source.web.complete(source.config):
        log.unreadable.add(position)  # deletes nothing


def missing_releases(
    sources: Sequence[Source], origins: Mapping[str, str], log: ReadLog
) -> list[str]:
    """Ids of indexed releases (``origins``: id -> origin) to delete: owned by a readable
    source with ``delete_missing``, not seen in this pass, and not from a file that failed."""
    deleting = [
        s for i, s in enumerate(sources) if s.config.delete_missing and i not in log.unreadable
    ]
    if not deleting:
        return []
    doomed = []
    for release_id, origin in origins.items():
        if release_id in log.seen:
            continue
        file = origin_file(origin)
        if file in log.failed_files:
            continue
        if any(s.owns(file) for s in deleting):
            doomed.append(release_id)
    return sorted(doomed)


def drain(
    items: Iterable[Release | ReadFailure],
    on_failure: Callable[[ReadFailure], None] | None = None,
) -> tuple[dict[str, str], list[ReadFailure]]:
    """Content hash per release id (the later one wins) and the failures (each also given
    to ``on_failure`` as it is met)."""
    hashes: dict[str, str] = {}
    failures: list[ReadFailure] = []
    for item in items:
        if isinstance(item, ReadFailure):
            failures.append(item)
            if on_failure is not None:
                on_failure(item)
        else:
            hashes[item.id] = item.content_hash
    return hashes, failures
