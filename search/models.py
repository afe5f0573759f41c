"""Records of the query layer: what is asked and what comes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dalil.indexer.models import Filters

Mode = Literal["keyword", "semantic", "hybrid"]
MODES: tuple[Mode, ...] = ("hybrid", "keyword", "semantic")


@dataclass(frozen=True)
class Query:
    """One search request. ``alpha`` (0..1) is the semantic side's weight in hybrid mode;
    ``None`` lets the fusion choose per query. ``offset``/``k`` page over releases."""

    text: str
    mode: Mode = "hybrid"
    alpha: float | None = None
    k: int = 10
    offset: int = 0
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True)
class Snippet:
    """A paragraph shown under a hit; ``html`` is the escaped text with ``<mark>`` around
    the surface words whose normalised stems matched the query."""

    paragraph_id: int
    position: int
    text: str
    html: str


@dataclass(frozen=True)
class Hit:
    """One release in a result list, with its best paragraphs as snippets."""

    release_id: str
    title: str
    score: float
    snippets: tuple[Snippet, ...]
    date: str | None = None
    source: str | None = None
    language: str | None = None
    category: str | None = None
    url: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The one JSON shape of a hit: ``dalil search --json``, batch output and the API."""
        return {
            "id": self.release_id,
            "score": round(float(self.score), 6),
            "title": self.title,
            "snippets": [
                {
                    "paragraph_id": s.paragraph_id,
                    "position": s.position,
                    "text": s.text,
                    "html": s.html,
                }
                for s in self.snippets
            ],
            "date": self.date,
            "source": self.source,
            "language": self.language,
            "category": self.category,
            "url": self.url,
        }


@dataclass(frozen=True)
class SearchResponse:
    query: Query
    hits: tuple[Hit, ...]
    total: int
    took_ms: float
