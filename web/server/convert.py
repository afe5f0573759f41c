"""Conversions between the API's pydantic models and dalil's frozen records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dalil.indexer import (
    Filters,
    RecordError,
    Release,
    StoredRelease,
    check_metadata,
    date_problem,
    detect_language,
    text_hash,
)
from dalil.search import Duplicate, Hit, Query, SearchResponse
from dalil.web.server.errors import BadRequestError
from dalil.web.server.schemas import (
    DuplicateOut,
    FacetOut,
    FacetsOut,
    HitOut,
    ParagraphOut,
    ReleaseIn,
    ReleaseOut,
    SearchOut,
    SearchRequest,
    TimelineBucketOut,
    TimelineOut,
)
from dalil.web.server.timing import took_ms

API_ORIGIN = "api"


def to_query(req: SearchRequest) -> Query:
    filters = Filters(
        date_from=req.date_from,
        date_to=req.date_to,
        source=req.source,
        language=req.language,
        category=req.category,
    )
    return Query(
        text=req.q,
        mode=req.mode,
        alpha=req.alpha,
        k=req.k,
        offset=req.offset,
        filters=filters,
        sort=req.sort,
        weaker=req.weaker,
    )


def hit_out(hit: Hit) -> HitOut:
    return HitOut.model_validate(hit.as_json())


def duplicate_out(copy: Duplicate) -> DuplicateOut:
    return DuplicateOut(
        id=copy.release_id,
        title=copy.title,
        date=copy.date,
        source=copy.source,
        language=copy.language,
    )


def search_out(req: SearchRequest, resp: SearchResponse) -> SearchOut:
    facets = resp.facets
    return SearchOut(
        query=req,
        results=[hit_out(h) for h in resp.hits],
        total=resp.total,
        total_is_estimate=resp.approximate,
        threshold=resp.threshold,
        listed=resp.listed,
        weaker=resp.weaker,
        searched=resp.searched,
        facets=FacetsOut(
            source=_facet(facets.sources),
            language=_facet(facets.languages),
            category=_facet(facets.categories),
            year=_facet(facets.years),
        ),
        timeline=TimelineOut(
            unit="year" if resp.timeline_unit == "year" else "month",
            buckets=[
                TimelineBucketOut(
                    period=b.label, date_from=b.date_from, date_to=b.date_to, count=b.count
                )
                for b in resp.timeline
            ],
        ),
        took_ms=took_ms(),
    )


def _facet(pairs: tuple[tuple[str, int], ...]) -> list[FacetOut]:
    return [FacetOut(value=v, count=n) for v, n in pairs]


def release_out(stored: StoredRelease) -> ReleaseOut:
    return ReleaseOut(
        id=stored.id,
        title=stored.title,
        date=stored.date,
        source=stored.source,
        language=stored.language,
        url=stored.url,
        category=stored.category,
        origin=stored.origin,
        metadata=servable_metadata(stored.metadata or {}),
        paragraphs=[
            ParagraphOut(id=p.id, position=p.position, text=p.text) for p in stored.paragraphs
        ],
    )


def servable_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Stored metadata as served; metadata stored before it was bounded (nested hundreds of
    levels deep: serialising it overflowed the stack, a 500 on every read) is replaced by a
    note, so the release still reads."""
    try:
        check_metadata(dict(metadata))
    except (RecordError, RecursionError, ValueError) as exc:
        return {"metadata_error": f"not shown: {exc}"[:300]}
    return dict(metadata)


def derived_id(body: ReleaseIn) -> str:
    """A stable id for a release sent without one: same content, same id."""
    return "api-" + text_hash(body.title + "\n" + "\n".join(body.body_paragraphs()))[:16]


def to_release(
    body: ReleaseIn, release_id: str | None = None, *, years: tuple[int, int] | None = None
) -> Release:
    """The release record to index; ``release_id`` (from the URL) wins over ``body.id``.
    ``years``: the plausible release years (settings); a date outside them is a 400, as it
    is refused from files."""
    if years is not None and body.date:
        problem = date_problem(body.date, years)
        if problem:
            raise BadRequestError("date", f"{body.date!r}: {problem}")
    paragraphs = body.body_paragraphs()
    language = body.language or detect_language(body.title + "\n" + "\n".join(paragraphs))
    metadata: dict[str, Any] = dict(body.metadata)
    rid = release_id or body.id or derived_id(body)
    return Release(
        id=rid,
        title=body.title,
        paragraphs=tuple(paragraphs),
        origin=f"{API_ORIGIN}:{rid}",
        date=body.date,
        source=body.source,
        language=language if language and language != "und" else None,
        url=body.url,
        category=body.category,
        metadata=metadata,
    )
