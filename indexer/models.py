"""Typed, frozen records that cross package boundaries."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from types import MappingProxyType
from typing import Any


def text_hash(text: str) -> str:
    """Stable content hash (hex SHA-1) of a text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class Release:
    """One press release as read from a source, before splitting.

    ``paragraphs`` are the source's own paragraph boundaries (blank lines, block elements,
    JSON text lines); :mod:`dalil.indexer.text.chunking` merges and splits them into index
    paragraphs.
    ``date`` is ISO ``YYYY-MM-DD`` or None. ``origin`` says where it came from (path, or
    ``path:line`` for JSONL). ``content_hash`` covers everything that is indexed.
    """

    id: str
    title: str
    paragraphs: tuple[str, ...]
    origin: str
    date: str | None = None
    source: str | None = None
    language: str | None = None
    url: str | None = None
    category: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    content_hash: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", _frozen_mapping(self.metadata))
        object.__setattr__(self, "paragraphs", tuple(self.paragraphs))
        if not self.content_hash:
            object.__setattr__(self, "content_hash", release_hash(self))

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def release_hash(release: Release) -> str:
    """Hash over every field that reaches the index (so a metadata change re-indexes)."""
    parts = [
        release.id,
        release.title,
        release.text,
        release.date or "",
        release.source or "",
        release.language or "",
        release.url or "",
        release.category or "",
        repr(sorted((str(k), repr(v)) for k, v in release.metadata.items())),
    ]
    return text_hash("\x1f".join(parts))


@dataclass(frozen=True)
class Paragraph:
    """One index paragraph: the unit that is embedded and keyword-indexed."""

    release_id: str
    position: int
    text: str

    @property
    def hash(self) -> str:
        return text_hash(self.text)


@dataclass(frozen=True)
class StoredParagraph:
    """A paragraph as stored: its integer id (shared by FAISS, Whoosh and SQLite) and the
    release fields the retrievers filter on."""

    id: int
    release_id: str
    position: int
    text: str
    title: str
    date: str | None
    source: str | None
    language: str | None
    category: str | None


@dataclass(frozen=True)
class Filters:
    """Search filters, applied inside both retrievers. Dates are ISO ``YYYY-MM-DD``,
    inclusive. ``None`` means no constraint. ``releases``: only these release ids (a quoted
    phrase's releases); ``without``: never these (the releases of an excluded word)."""

    date_from: str | None = None
    date_to: str | None = None
    source: str | None = None
    language: str | None = None
    category: str | None = None
    # set by the query syntax (:mod:`search.narrowing`), never by a form or a JSON field
    releases: frozenset[str] | None = field(default=None, metadata={"derived": True})
    without: frozenset[str] = field(default=frozenset(), metadata={"derived": True})

    def is_empty(self) -> bool:
        return not any(
            (self.date_from, self.date_to, self.source, self.language, self.category, self.without)
        ) and (self.releases is None)


# Filter fields, declared once: every layer (query parsing, SQL, Whoosh, API, page) reads them
# from here. The value filters match a release field exactly; the dates bound ``date``.
FILTER_FIELDS = tuple(f.name for f in fields(Filters) if not f.metadata.get("derived"))
VALUE_FILTERS = ("source", "language", "category")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(value: str) -> str:
    """``value`` if it is a real calendar date written ``YYYY-MM-DD``; ValueError otherwise
    (the one date check of queries and filters, wherever they come from)."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"must be a date YYYY-MM-DD, got {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"is not a real date: {value!r}") from None
    return value


@dataclass(frozen=True)
class ReadFailure:
    """A file or record that could not be read; it is skipped and counted as failed."""

    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"
