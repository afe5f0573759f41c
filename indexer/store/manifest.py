"""The index's ``manifest.json``: format version, encoders with their dimensions, counts and
timestamps. Written atomically (temp file + fsync + ``os.replace``), last in every commit."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dalil.indexer.errors import IndexCorruptError, IndexMismatchError
from dalil.indexer.store.durable import atomic_write_text
from dalil.indexer.store.layout import MANIFEST_NAME, encoder_slug

__all__ = [
    "MANIFEST_NAME",
    "Manifest",
    "encoder_slug",
    "now_iso",
    "read_manifest",
    "write_manifest",
]

FORMAT_VERSION = 1


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Manifest:
    format_version: int
    encoders: tuple[tuple[str, int], ...]  # (name, dim), in the order given at creation
    releases: int
    paragraphs: int
    built_at: str
    updated_at: str

    @classmethod
    def new(cls, encoders: tuple[tuple[str, int], ...]) -> Manifest:
        at = now_iso()
        return cls(FORMAT_VERSION, tuple(encoders), 0, 0, at, at)

    @property
    def encoder_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.encoders)

    def with_counts(self, releases: int, paragraphs: int) -> Manifest:
        return replace(self, releases=releases, paragraphs=paragraphs, updated_at=now_iso())

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "encoders": [{"name": n, "dim": d} for n, d in self.encoders],
            "releases": self.releases,
            "paragraphs": self.paragraphs,
            "built_at": self.built_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_json(cls, data: Any, *, where: str = MANIFEST_NAME) -> Manifest:
        try:
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                raise IndexMismatchError(
                    f"{where}: index format {version}, this dalil reads format "
                    f"{FORMAT_VERSION}; rebuild it with `dalil index --rebuild SOURCE...`"
                )
            encoders = tuple((str(e["name"]), int(e["dim"])) for e in data["encoders"])
            return cls(
                format_version=version,
                encoders=encoders,
                releases=int(data["releases"]),
                paragraphs=int(data["paragraphs"]),
                built_at=str(data["built_at"]),
                updated_at=str(data.get("updated_at", data["built_at"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexCorruptError(f"{where}: malformed manifest ({exc!r})") from exc


def read_manifest(path: Path) -> Manifest:
    """Read ``manifest.json`` at ``path`` (a file). Raises ``FileNotFoundError`` if absent."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise IndexCorruptError(f"{path}: malformed manifest ({exc})") from exc
    return Manifest.from_json(data, where=str(path))


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Write atomically: a crash leaves either the old or the new manifest, never half."""
    atomic_write_text(path, json.dumps(manifest.to_json(), indent=2) + "\n")
