"""Follow a published index (``dalil serve --replica-of URL``): poll ``CURRENT``, download
a new generation into staging, check it, switch the local ``CURRENT``.

Each :meth:`Replica.poll` reads ``CURRENT`` conditionally (an unchanged one costs a 304).
When it names a new listing, every file is placed in a local staging directory -- hard-linked
(SQLite: copied) from the live local generation when its SHA-256 is the same, else
downloaded -- and checked against the listing's SHA-256 and size; then ``checksums.json`` and
the whole index are verified (:func:`indexer.generations.verify.verify_dir`). Only then is the
staging directory renamed to a generation and the local ``CURRENT`` replaced atomically; the
server's holder swaps searchers on its next look (:mod:`web.server.holder`). A missing blob
(half uploaded) or a damaged one refuses the generation: the old one stays live, and the
refused one is tried again only every ``RETRY_REFUSED_EVERY`` polls.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from dalil.indexer.errors import IndexLockedError
from dalil.indexer.generations.checksums import file_sha256
from dalil.indexer.generations.publish import writer_lock
from dalil.indexer.generations.remote import (
    LOCAL_LISTING_NAME,
    FileRef,
    Listing,
    ReplicationError,
)
from dalil.indexer.generations.stores import Store
from dalil.indexer.generations.verify import verify_dir
from dalil.indexer.store import layout as gens
from dalil.indexer.store.durable import atomic_write_text, fsync_path, fsync_tree
from dalil.indexer.store.layout import DOCS_NAME

log = logging.getLogger("dalil.replica")

RETRY_REFUSED_EVERY = 10  # polls

UNCHANGED, SWITCHED, REFUSED, BUSY, EMPTY = "unchanged", "switched", "refused", "busy", "empty"


@dataclass(frozen=True)
class PollResult:
    status: str  # UNCHANGED, SWITCHED, REFUSED, BUSY (local writer lock held), EMPTY
    generation: str | None = None  # the local generation switched to
    detail: str = ""
    downloaded: int = 0  # files fetched from the store
    linked: int = 0  # files taken from the live local generation

    @property
    def switched(self) -> bool:
        return self.status == SWITCHED


class Replica:
    """A local index root that follows ``store``."""

    def __init__(self, store: Store, root: Path, *, keep: int = 3) -> None:
        self.store = store
        self.root = Path(root)
        self.keep = keep
        self.polls = 0
        self.last_switch: int | None = None  # the poll (number) that last switched
        self._etag: str | None = None
        self._refused: dict[str, int] = {}  # listing key -> poll count when refused

    def poll(self) -> PollResult:
        """One look at ``CURRENT``; switch to a new generation when there is one."""
        self.polls += 1
        read = self.store.read_current(self._etag)
        if not read.modified:
            return PollResult(UNCHANGED)
        current = read.current
        if current is None:
            return PollResult(EMPTY, detail=f"{self.store.url} has no CURRENT yet")
        if current.key == self._live_listing_key():
            self._etag = current.etag
            return PollResult(UNCHANGED)
        refused_at = self._refused.get(current.key)
        if refused_at is not None and self.polls - refused_at < RETRY_REFUSED_EVERY:
            return PollResult(REFUSED, detail=f"{current.key} was refused")
        try:
            result = self._install(current.key)
        except IndexLockedError as exc:
            return PollResult(BUSY, detail=str(exc))
        except ReplicationError as exc:
            if refused_at is None:
                log.error("refusing %s, keeping the live generation: %s", current.key, exc)
            self._refused[current.key] = self.polls
            return PollResult(REFUSED, detail=str(exc))
        self._refused.pop(current.key, None)
        self._etag = current.etag
        self.last_switch = self.polls
        log.info("replica now holds %s (%s)", result.generation, current.key)
        return result

    def _live_listing_key(self) -> str | None:
        live = gens.live_dir(self.root) if self.root.is_dir() else None
        if live is None:
            return None
        try:
            data = (live / LOCAL_LISTING_NAME).read_bytes()
        except FileNotFoundError:
            return None
        return Listing.from_bytes(data, str(live / LOCAL_LISTING_NAME)).key

    def _install(self, key: str) -> PollResult:
        listing = Listing.from_bytes(self.store.get_bytes(key), f"{self.store.url}/{key}")
        if listing.key != key:
            raise ReplicationError(f"{key}: the listing's content does not match its name")
        self.root.mkdir(parents=True, exist_ok=True)
        with writer_lock(self.root):
            gens.remove_leftovers(self.root)
            live = gens.live_dir(self.root)
            number = max(
                gens.next_number(self.root), gens.generation_number(listing.generation) or 0
            )
            staging = gens.staging_dir(self.root, number)
            staging.mkdir()
            try:
                downloaded, linked = self._fill(staging, listing, live)
                atomic_write_text(staging / LOCAL_LISTING_NAME, listing.to_bytes().decode())
                problems = verify_dir(staging)
                if problems:
                    raise ReplicationError(f"{key} fails verification: " + "; ".join(problems))
                fsync_tree(staging)
                name = gens.generation_name(number)
                staging.rename(self.root / name)
                fsync_path(self.root)
                gens.write_current(self.root, name)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            gens.collect_garbage(self.root, self.keep)
        return PollResult(SWITCHED, name, key, downloaded, linked)

    def _fill(self, staging: Path, listing: Listing, live: Path | None) -> tuple[int, int]:
        local = _local_files(live)
        downloaded = linked = 0
        for rel, ref in listing.files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            source = local.get(ref.sha256)
            if source is not None and _reuse(source, target, copy=rel == DOCS_NAME, ref=ref):
                linked += 1
                continue
            self.store.get_file(ref.key, target)
            _check(target, ref, rel)
            downloaded += 1
        return downloaded, linked


def _local_files(live: Path | None) -> dict[str, Path]:
    """SHA-256 -> file of the live local generation (from its listing copy)."""
    if live is None:
        return {}
    try:
        data = (live / LOCAL_LISTING_NAME).read_bytes()
        listing = Listing.from_bytes(data, str(live / LOCAL_LISTING_NAME))
    except (FileNotFoundError, ReplicationError):
        return {}
    return {ref.sha256: live / rel for rel, ref in listing.files.items()}


def _reuse(source: Path, target: Path, *, copy: bool, ref: FileRef) -> bool:
    """Take ``source`` (checked against ``ref``) instead of downloading; False if it fails."""
    try:
        if copy:  # SQLite: never share an inode a server has open
            shutil.copyfile(source, target)
        else:
            os.link(source, target)
        _check(target, ref, str(source))
    except (OSError, ReplicationError):
        target.unlink(missing_ok=True)
        return False
    return True


def _check(path: Path, ref: FileRef, what: str) -> None:
    size = path.stat().st_size
    if size != ref.size:
        raise ReplicationError(f"{what}: {size} bytes, the listing says {ref.size}")
    if file_sha256(path) != ref.sha256:
        raise ReplicationError(f"{what}: SHA-256 differs from the listing's (damaged blob)")
