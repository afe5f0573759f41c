"""Pydantic request and response models of the HTTP API (they are its OpenAPI documentation).

Bounds mirror what the searcher accepts (``dalil.search.errors.InvalidQueryError``), so a client
mistake is refused here with a 422 naming the field before it reaches the searcher. Every
string must be valid Unicode (no lone surrogates) and metadata is bounded in depth and size
(:mod:`dalil.indexer.records`), so whatever is accepted can be stored and read back.

Release ids written through the API (``id`` in a body, ``{id}`` in PUT) follow one rule,
:func:`check_write_id`; the read routes accept any id the index holds (files give ids with
``/`` and ``#``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from dalil.indexer import (
    MAX_METADATA_BYTES,
    MAX_METADATA_DEPTH,
    RecordError,
    check_text,
    is_language_tag,
    iso_date,
    release_problem,
)
from dalil.search import MAX_K, MAX_OFFSET
from dalil.search import MAX_TEXT_CHARS as MAX_QUERY_CHARS

MAX_BATCH = 20
MAX_RELEASES_PER_WRITE = 100
MAX_TITLE_CHARS = 1000
MAX_TEXT_CHARS = 1_000_000
MAX_SHORT_FIELD = 200
TOOK_MS = "Milliseconds from the request's arrival to its answer (the whole request)."

Mode = Literal["hybrid", "keyword", "semantic"]
Sort = Literal["relevance", "newest", "oldest"]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_SHORT_FIELD)]
# Strings with an OpenAPI format (RFC 3339 full-date / date-time); parsed as strings.
DateText = Annotated[str, Field(json_schema_extra={"format": "date"})]
DateTimeText = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
_WRITE_ID = re.compile(r"[^\s/?#\x00-\x1f\x7f]+")
WRITE_ID_RULE = (
    f"1 to {MAX_SHORT_FIELD} characters, no whitespace, control characters, '/', '?' or '#', "
    "not '.' or '..'"
)


def check_write_id(value: str) -> str:
    """A release id a client may write: :data:`WRITE_ID_RULE`."""
    if (
        not 1 <= len(value) <= MAX_SHORT_FIELD
        or value in (".", "..")
        or not _WRITE_ID.fullmatch(value)
    ):
        raise ValueError(f"a release id must have {WRITE_ID_RULE}, got {value[:50]!r}")
    check_text(value, "id")
    return value


def check_strings(values: dict[str, Any]) -> None:
    """ValueError naming the first string field that is not valid Unicode."""
    for name, value in values.items():
        if isinstance(value, str):
            try:
                check_text(value, name)
            except RecordError as exc:
                raise ValueError(str(exc)) from None


def check_date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` that is a real calendar date, or None for an empty value."""
    if value is None or not value.strip():
        return None
    return iso_date(value.strip())


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class SearchRequest(BaseModel):
    """One search: the query text, the retrieval mode and optional filters."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        description=f"The query, in Arabic or English (1 to {MAX_QUERY_CHARS} characters).",
        examples=["Bahrain NATO partnership"],
    )
    mode: Mode = Field("hybrid", description="hybrid (default), keyword (BM25) or semantic.")
    alpha: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="Weight of the semantic side in hybrid mode (0..1); empty: chosen per query.",
    )
    k: int = Field(10, ge=1, le=MAX_K, description=f"Releases per page (1 to {MAX_K}).")
    offset: int = Field(
        0, ge=0, le=MAX_OFFSET, description=f"Releases to skip (0 to {MAX_OFFSET})."
    )
    date_from: DateText | None = Field(None, description="Earliest release date, YYYY-MM-DD.")
    date_to: DateText | None = Field(
        None, description="Latest release date, YYYY-MM-DD (inclusive)."
    )
    source: ShortText | None = Field(None, description="Only releases from this source.")
    language: ShortText | None = Field(None, description="Only releases in this language (ar, en).")
    category: ShortText | None = Field(None, description="Only releases in this category.")
    sort: Sort = Field(
        "relevance",
        description="relevance (default), or the matches newest or oldest first.",
    )
    weaker: bool = Field(
        False,
        description="After the matches, list the releases below the relevance threshold too "
        "(relevance order; not counted in total).",
    )

    @field_validator("q")
    @classmethod
    def _q_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("q must not be empty or blank")
        return value

    @field_validator(
        "alpha", "source", "language", "category", "date_from", "date_to", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("date_from", "date_to")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        return check_date(value)

    @model_validator(mode="after")
    def _valid_unicode(self) -> SearchRequest:
        check_strings(self.__dict__)
        return self

    @model_validator(mode="after")
    def _date_order(self) -> SearchRequest:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        return self


class SnippetOut(BaseModel):
    paragraph_id: int = Field(description="Id of the paragraph in the index.")
    position: int = Field(description="Position of the paragraph in its release (0-based).")
    text: str = Field(description="The paragraph's plain text.")
    html: str = Field(description="The paragraph, HTML-escaped, with <mark> around matches.")


class DuplicateOut(BaseModel):
    id: str = Field(description="Release id of the other copy.")
    title: str
    date: str | None = None
    source: str | None = None
    language: str | None = None


class HitOut(BaseModel):
    id: str = Field(description="Release id (use it with /api/documents/{id}).")
    title: str
    score: float = Field(description="Fused relevance score (higher is better).")
    date: DateText | None = Field(None, description="Release date, YYYY-MM-DD.")
    source: str | None = None
    language: str | None = Field(None, description="ISO 639-1 code, e.g. ar or en.")
    category: str | None = None
    url: str | None = None
    snippets: list[SnippetOut] = Field(description="Best matching paragraphs (up to 3).")
    cluster: str | None = Field(
        None, description="Near-duplicate cluster id (None: the release has no copies)."
    )
    duplicates: list[DuplicateOut] = Field(
        default_factory=list,
        description="The other releases of its near-duplicate cluster, folded into this one.",
    )
    weak: bool = Field(False, description="Below the relevance threshold (a weaker match).")


class FacetsOut(BaseModel):
    source: list[FacetOut] = Field(description="Matching releases per source.")
    language: list[FacetOut] = Field(description="Matching releases per language.")
    category: list[FacetOut] = Field(description="Matching releases per category.")
    year: list[FacetOut] = Field(description="Matching releases per year, newest first.")


class TimelineBucketOut(BaseModel):
    period: str = Field(description="YYYY-MM (months) or YYYY (years).")
    date_from: str = Field(description="First day of the period (a date_from filter).")
    date_to: str = Field(description="Last day of the period (a date_to filter).")
    count: int = Field(description="Matching releases in the period.")


class TimelineOut(BaseModel):
    unit: Literal["month", "year"]
    buckets: list[TimelineBucketOut]


class SearchOut(BaseModel):
    query: SearchRequest = Field(description="The request as understood.")
    results: list[HitOut]
    total: int = Field(
        description="Releases that match: keyword matches, or (semantic, hybrid) releases at "
        "or above the relevance threshold, an estimate (total_is_estimate)."
    )
    total_is_estimate: bool = Field(description="True in semantic and hybrid mode: 'about N'.")
    threshold: float | None = Field(
        description="The relevance threshold on the fused score (None in keyword mode)."
    )
    listed: int = Field(
        description="Results to page through: matches with near-duplicates folded (plus the "
        "weaker releases when weaker=true)."
    )
    weaker: int = Field(description="Releases below the threshold, not counted in total.")
    searched: str = Field(description="The text searched, after the query syntax was read.")
    facets: FacetsOut
    timeline: TimelineOut
    took_ms: float = Field(description=TOOK_MS)


class SimilarOut(BaseModel):
    id: str = Field(description="The release the results are similar to.")
    results: list[HitOut]
    total: int
    took_ms: float = Field(description=TOOK_MS)


class ParagraphOut(BaseModel):
    id: int = Field(description="Paragraph id in the index.")
    position: int
    text: str


class ReleaseOut(BaseModel):
    id: str
    title: str
    date: DateText | None = None
    source: str | None = None
    language: str | None = None
    url: str | None = None
    category: str | None = None
    origin: str | None = Field(None, description="Where the release was read from.")
    metadata: dict[str, Any] = Field(default_factory=dict)
    paragraphs: list[ParagraphOut]


class ReleaseIn(BaseModel):
    """A release to add or replace. Give ``text`` (paragraphs separated by newlines) or
    ``paragraphs``; ``id`` is derived from the content when absent."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_SHORT_FIELD,
        description=f"Release id ({WRITE_ID_RULE}); derived from the content if absent.",
        examples=["mofa-2026-11-29"],
    )
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS, description="The headline.")
    text: str | None = Field(
        None,
        max_length=MAX_TEXT_CHARS,
        description="Body text; paragraphs are separated by blank lines or newlines.",
    )
    paragraphs: list[str] | None = Field(
        None, max_length=10_000, description="Body as a list of paragraphs (instead of text)."
    )
    date: DateText | None = Field(None, description="Release date, YYYY-MM-DD.")
    source: ShortText | None = Field(None, description="Publisher, e.g. a ministry or agency.")
    language: ShortText | None = Field(
        None,
        description="A language tag (ar, en, ar-BH); detected from the text when absent.",
        examples=["ar"],
    )
    url: str | None = Field(None, max_length=2000, description="Where the release is published.")
    category: ShortText | None = None
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            f"Any other fields: JSON nested at most {MAX_METADATA_DEPTH} levels, at most "
            f"{MAX_METADATA_BYTES:,} bytes."
        ),
    )

    @field_validator("id")
    @classmethod
    def _id_rule(cls, value: str | None) -> str | None:
        return None if value is None else check_write_id(value)

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str | None) -> str | None:
        if value is not None and not is_language_tag(value):
            raise ValueError(f"must be a language tag such as ar, en or ar-BH, got {value!r}")
        return value

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("title must not be blank")
        return value

    @field_validator("date", "source", "language", "url", "category", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("date")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        return check_date(value)

    @model_validator(mode="after")
    def _has_body(self) -> ReleaseIn:
        if self.text is not None and self.paragraphs is not None:
            raise ValueError("give either text or paragraphs, not both")
        if not self.body_paragraphs():
            raise ValueError("text (or paragraphs) must contain some text")
        texts = {
            name: getattr(self, name)
            for name in ("id", "title", "source", "language", "url", "category")
        }
        problem = release_problem(texts, self.body_paragraphs(), self.metadata)
        if problem is not None:
            raise ValueError(str(problem))
        return self

    def body_paragraphs(self) -> list[str]:
        """The body as non-empty paragraphs, whitespace tidied."""
        raw = self.paragraphs if self.paragraphs is not None else (self.text or "").splitlines()
        return [" ".join(p.split()) for p in raw if p and p.strip()]


class WriteOut(BaseModel):
    ids: list[str] = Field(description="Ids of the releases written, in request order.")
    added: int = Field(0, description="Releases that were new.")
    updated: int = Field(0, description="Releases that replaced an existing one.")
    unchanged: int = Field(0, description="Releases identical to the stored one.")
    paragraphs: int = Field(0, description="Paragraphs now indexed for these releases.")
    took_ms: float = Field(description=TOOK_MS)


class DeleteOut(BaseModel):
    id: str
    deleted: bool = True
    paragraphs: int = Field(0, description="Paragraphs removed from both retrievers.")


class EncoderOut(BaseModel):
    name: str
    dim: int


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="ok when the index is loaded.")
    index_loaded: bool
    index: str | None = Field(
        None, description="The live index generation (e.g. gen-000007), when one is loaded."
    )
    releases: int = 0
    paragraphs: int = 0
    encoders: list[EncoderOut] = Field(default_factory=list)
    writes_enabled: bool = Field(description="Whether an API key is configured.")
    error: str | None = Field(None, description="Why the index is not loaded.")


class FacetOut(BaseModel):
    value: str
    count: int


class RunOut(BaseModel):
    """One write run (``dalil index``, ``dalil reindex``, a schedule, the server's own
    schedule or an API write): the OpenAPI schema of ``RunRecord.to_json()``."""

    started: DateTimeText
    finished: DateTimeText
    status: str = Field(description="published, unchanged, failed or locked.")
    trigger: str = Field(description="cli, schedule, serve or api.")
    generation: str | None = Field(None, description="The generation it published, if any.")
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    paragraphs_embedded: int = 0
    paragraphs_reused: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    error: str | None = Field(None, description="Whether the run failed (details on the server).")
    duplicates: list[str] = Field(
        default_factory=list, description="Release ids met more than once (the later kept)."
    )
    web_cost: dict[str, float] = Field(
        default_factory=dict,
        description="Web sources: requests, not_modified (304s), bytes, seconds.",
    )
    web_urls: list[str] = Field(
        default_factory=list,
        description="Web sources: each URL's outcome (fetched, not-modified, skipped, failed).",
    )


class StatsOut(BaseModel):
    releases: int
    paragraphs: int
    encoders: list[EncoderOut]
    built_at: DateTimeText | None = None
    date_min: DateText | None = None
    date_max: DateText | None = None
    sources: list[FacetOut] = Field(default_factory=list)
    languages: list[FacetOut] = Field(default_factory=list)
    categories: list[FacetOut] = Field(default_factory=list)
    generation: str | None = Field(
        None, description="The live index generation (None for an index without generations)."
    )
    runs: list[RunOut] = Field(
        default_factory=list, description="The last re-indexing runs, newest first."
    )


class ErrorOut(BaseModel):
    """Every error response of the API."""

    error: str = Field(description="A short machine-readable kind, e.g. invalid_request.")
    message: str = Field(description="What went wrong, naming the field when there is one.")
    field: str | None = Field(None, description="The request field at fault, if any.")
