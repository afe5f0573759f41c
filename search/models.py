"""Records of the query layer: what is asked and what comes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dalil.indexer.models import Filters

Mode = Literal["keyword", "semantic", "hybrid"]
MODES: tuple[Mode, ...] = ("hybrid", "keyword", "semantic")
Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")


@dataclass(frozen=True)
class Query:
    """One search request. ``alpha`` (0..1) is the semantic side's weight in hybrid mode;
    ``None`` lets the fusion choose per query. ``offset``/``k`` page over results (releases,
    near-duplicates folded into one). ``text`` may use :mod:`search.query_syntax`.
    ``sort``: by relevance, or the matches newest / oldest first. ``weaker``: after the
    matches, list the releases below the relevance threshold too (relevance order)."""

    text: str
    mode: Mode = "hybrid"
    alpha: float | None = None
    k: int = 10
    offset: int = 0
    filters: Filters = field(default_factory=Filters)
    sort: Sort = "relevance"
    weaker: bool = False


@dataclass(frozen=True)
class Duplicate:
    """Another release of a hit's near-duplicate cluster (the same text from another outlet,
    or re-issued on another day)."""

    release_id: str
    title: str
    date: str | None = None
    source: str | None = None
    language: str | None = None


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
    duplicates: tuple[Duplicate, ...] = ()
    weak: bool = False  # below the relevance threshold (listed only when asked for)
    cluster: str | None = None

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
            "cluster": self.cluster,
            "duplicates": [
                {
                    "id": d.release_id,
                    "title": d.title,
                    "date": d.date,
                    "source": d.source,
                    "language": d.language,
                }
                for d in self.duplicates
            ],
            "weak": self.weak,
        }


@dataclass(frozen=True)
class FacetCounts:
    """Matching releases per value, most first: ``(value, count)`` pairs."""

    sources: tuple[tuple[str, int], ...] = ()
    languages: tuple[tuple[str, int], ...] = ()
    categories: tuple[tuple[str, int], ...] = ()
    years: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class TimelineBucket:
    """Matching releases in one month (``label`` YYYY-MM) or year (YYYY), with the inclusive
    date range that narrows a search to it."""

    label: str
    date_from: str
    date_to: str
    count: int


@dataclass(frozen=True)
class SearchResponse:
    """One page of results. ``total``: releases that match (keyword matches, or releases at
    or above ``threshold`` in semantic/hybrid mode, where it is an estimate); ``listed``:
    results that can be paged through (duplicates folded; with ``query.weaker`` the weaker
    ones too); ``weaker``: releases below the threshold (not counted as matches)."""

    query: Query
    hits: tuple[Hit, ...]
    total: int
    took_ms: float
    listed: int = 0
    weaker: int = 0
    threshold: float | None = None
    approximate: bool = False
    facets: FacetCounts = field(default_factory=FacetCounts)
    timeline: tuple[TimelineBucket, ...] = ()
    timeline_unit: str = "month"
    searched: str = ""  # the text searched after the query syntax was read
