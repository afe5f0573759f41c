"""Where generations are published for replicas: the :class:`Store` protocol, a plain shared
directory (:class:`DirStore`) and :func:`open_store` (``s3://BUCKET/PREFIX`` -> the boto3
backend in :mod:`indexer.generations.s3`, anything else -> a directory).

Every object is written once (``put_if_absent``); only ``CURRENT`` changes, by a
compare-and-swap on its ETag (S3: ``If-Match`` / ``If-None-Match: *``), and readers poll it
with a conditional read (``If-None-Match``: an unchanged ``CURRENT`` costs no body).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from filelock import FileLock

from dalil.indexer.generations.remote import (
    CURRENT_KEY,
    ObjectMissingError,
    PublishConflictError,
    ReplicationError,
)
from dalil.indexer.store.durable import atomic_write, fsync_path

if TYPE_CHECKING:
    from dalil.indexer.settings import Settings


@dataclass(frozen=True)
class Current:
    """What ``CURRENT`` holds (the live listing's key) and its ETag."""

    key: str
    etag: str


@dataclass(frozen=True)
class CurrentRead:
    """A conditional read of ``CURRENT``: ``modified`` False means the ETag given still
    matches (``current`` is then None); otherwise ``current`` is None when there is none."""

    modified: bool
    current: Current | None


class Store(Protocol):
    url: str

    def exists(self, key: str) -> bool: ...

    def put_if_absent(self, key: str, path: Path) -> bool:
        """Store the file at ``path`` as ``key`` unless ``key`` exists; True if written."""
        ...

    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; :class:`ObjectMissingError` when absent."""
        ...

    def get_file(self, key: str, target: Path) -> None:
        """Write the object into ``target``; :class:`ObjectMissingError` when absent."""
        ...

    def read_current(self, etag: str | None = None) -> CurrentRead: ...

    def swap_current(self, key: str, expected: Current | None) -> None:
        """Point ``CURRENT`` at ``key`` if it still is ``expected`` (None: absent); else
        :class:`PublishConflictError`."""
        ...


def open_store(url: str, settings: Settings | None = None) -> Store:
    """The store at ``url``: ``s3://BUCKET/PREFIX`` or a directory path."""
    if url.startswith("s3://"):
        from dalil.indexer.generations.s3 import S3Store

        return S3Store.from_url(url, endpoint_url=settings.s3_endpoint_url if settings else None)
    if "://" in url:
        raise ReplicationError(f"{url}: use s3://BUCKET/PREFIX or a directory path")
    return DirStore(Path(url))


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


class DirStore:
    """The same layout in a directory (e.g. an NFS mount shared by the replicas)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.url = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / key

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def put_if_absent(self, key: str, path: Path) -> bool:
        target = self._path(key)
        if target.is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        try:
            shutil.copyfile(path, tmp)
            fsync_path(Path(tmp))
            os.link(tmp, target)  # fails if another writer got there first: write-once
        except FileExistsError:
            return False
        finally:
            Path(tmp).unlink(missing_ok=True)
        fsync_path(target.parent)
        return True

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectMissingError(f"{self.url}: {key} is missing") from None

    def get_file(self, key: str, target: Path) -> None:
        try:
            shutil.copyfile(self._path(key), target)
        except FileNotFoundError:
            raise ObjectMissingError(f"{self.url}: {key} is missing") from None

    def read_current(self, etag: str | None = None) -> CurrentRead:
        try:
            data = self._path(CURRENT_KEY).read_bytes()
        except FileNotFoundError:
            return CurrentRead(True, None)
        tag = _etag(data)
        if tag == etag:
            return CurrentRead(False, None)
        return CurrentRead(True, Current(data.decode().strip(), tag))

    def swap_current(self, key: str, expected: Current | None) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.root / f".{CURRENT_KEY}.lock")):
            now = self.read_current().current
            if (now.etag if now else None) != (expected.etag if expected else None):
                raise PublishConflictError(
                    f"{self.url}: CURRENT changed while publishing (another publisher?); retry"
                )
            path = self._path(CURRENT_KEY)
            atomic_write(path, lambda tmp: Path(tmp).write_text(key + "\n", encoding="utf-8"))
