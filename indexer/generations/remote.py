"""The layout of published generations in an object store (or a shared directory), and the
listing record that names a generation's files.

::

    s3://BUCKET/PREFIX/
      blobs/<sha256>                    a file's bytes, keyed by their SHA-256 (write-once)
      generations/<gen>-<digest>.json   a generation's listing (write-once)
      CURRENT                           the key of the live listing (moved by conditional writes)

Blobs are content-addressed, so a Whoosh segment or FAISS file that did not change between
two generations is stored (and uploaded, and downloaded) once. A listing names every file of
a generation with its SHA-256 and size; ``checksums.json`` is one of them, uploaded last.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from dalil.indexer.errors import DalilError

CURRENT_KEY = "CURRENT"
BLOBS = "blobs/"
LISTINGS = "generations/"
LOCAL_LISTING_NAME = ".listing.json"  # a replica's copy of its generation's listing
LISTING_FORMAT = 1


class ReplicationError(DalilError):
    """Publishing to, or following, an object store failed."""


class ObjectMissingError(ReplicationError):
    """An object the listing (or CURRENT) names is not in the store."""


class PublishConflictError(ReplicationError):
    """CURRENT moved while this publisher was uploading (another publisher)."""


@dataclass(frozen=True)
class FileRef:
    sha256: str
    size: int

    @property
    def key(self) -> str:
        return blob_key(self.sha256)


@dataclass(frozen=True)
class Listing:
    """A generation's files (path inside the generation -> its blob)."""

    generation: str
    files: Mapping[str, FileRef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))

    def to_bytes(self) -> bytes:
        data = {
            "format": LISTING_FORMAT,
            "generation": self.generation,
            "files": {rel: {"sha256": f.sha256, "size": f.size} for rel, f in self.files.items()},
        }
        return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> Listing:
        try:
            raw = json.loads(data)
            if raw.get("format") != LISTING_FORMAT:
                raise ValueError(f"format {raw.get('format')!r}, expected {LISTING_FORMAT}")
            files = {
                str(rel): FileRef(str(f["sha256"]), int(f["size"]))
                for rel, f in raw["files"].items()
            }
            listing = cls(str(raw["generation"]), files)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ReplicationError(f"{where}: not a generation listing ({exc})") from exc
        for rel in listing.files:
            if rel.startswith("/") or ".." in rel.split("/"):
                raise ReplicationError(f"{where}: unsafe path {rel!r}")
        return listing

    @property
    def key(self) -> str:
        """Where the listing is stored: named by its generation and content."""
        digest = hashlib.sha256(self.to_bytes()).hexdigest()[:16]
        return f"{LISTINGS}{self.generation}-{digest}.json"


def blob_key(sha256: str) -> str:
    return f"{BLOBS}{sha256}"
