"""JSON routes under /api: search, documents, health and stats."""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError

from dalil.indexer import IndexError_, IndexNotFoundError, ReleaseNotFoundError, last_runs
from dalil.search import Searcher
from dalil.web.server import convert, writes
from dalil.web.server.auth import require_api_key
from dalil.web.server.deps import HolderDep, SearcherDep, SettingsDep, SlotsDep
from dalil.web.server.errors import BadRequestError
from dalil.web.server.schemas import (
    MAX_BATCH,
    MAX_K,
    MAX_RELEASES_PER_WRITE,
    DeleteOut,
    EncoderOut,
    ErrorOut,
    FacetOut,
    HealthOut,
    ReleaseIn,
    ReleaseOut,
    RunOut,
    SearchOut,
    SearchRequest,
    SimilarOut,
    StatsOut,
    WriteOut,
    check_write_id,
)
from dalil.web.server.slots import SearchSlots
from dalil.web.server.timing import took_ms

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (400, "The request cannot be carried out (the message names the field)."),
        (404, "No release with this id."),
        (413, "The request body is larger than the server takes (max_body_bytes)."),
        (422, "A parameter is missing or out of bounds (the message names the field)."),
        (503, "No index is loaded, the index cannot be read, or the server is busy."),
    )
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorOut, "description": "No API key, or a wrong one."},
    403: {"model": ErrorOut, "description": "Writes are disabled: no API key is configured."},
    409: {"model": ErrorOut, "description": "Another process is writing to the index."},
    507: {"model": ErrorOut, "description": "The server's disk is full; nothing was written."},
}

router = APIRouter(prefix="/api", responses=ERRORS)

log = logging.getLogger("dalil.web")

STATS_RUNS = 5  # re-indexing runs shown by /api/stats
READ_ERROR_WINDOW = 300  # seconds during which a read error keeps /api/health degraded

ReleaseId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=300,
        description="Release id (ids read from files may hold '/' and '#': percent-encode them).",
    ),
]
SearchBody = Annotated[
    SearchRequest | Annotated[list[SearchRequest], Body(min_length=1, max_length=MAX_BATCH)],
    Body(description=f"One search, or a list of up to {MAX_BATCH} searches run as a batch."),
]
ReleaseBody = Annotated[
    ReleaseIn | Annotated[list[ReleaseIn], Body(min_length=1, max_length=MAX_RELEASES_PER_WRITE)],
    Body(description=f"One release, or a list of up to {MAX_RELEASES_PER_WRITE}."),
]


def _search(searcher: Searcher, slots: SearchSlots, req: SearchRequest) -> SearchOut:
    with slots.take():
        resp = searcher.search(convert.to_query(req))
    return convert.search_out(req, resp)


def check_cost(requests: list[SearchRequest], limit: int) -> None:
    """400 when the searches of one request ask for more result rows (k + offset each,
    summed) than ``max_search_cost``: deep pages cost the server in proportion."""
    cost = sum(req.k + req.offset for req in requests)
    if cost > limit:
        raise BadRequestError(
            None,
            f"this request asks for {cost:,} result rows (k + offset over its searches); at "
            f"most {limit:,} per request (setting max_search_cost): send fewer or smaller "
            "searches",
        )


@router.get("/search", tags=["search"], summary="Search releases")
def search_get(
    params: Annotated[SearchRequest, Query()],
    searcher: SearcherDep,
    slots: SlotsDep,
    settings: SettingsDep,
) -> SearchOut:
    """Releases best matching ``q``, with highlighted snippets, one page at a time."""
    check_cost([params], settings.max_search_cost)
    return _search(searcher, slots, params)


@router.post("/search", tags=["search"], summary="Search releases (one or a batch)")
def search_post(
    body: SearchBody, searcher: SearcherDep, slots: SlotsDep, settings: SettingsDep
) -> SearchOut | list[SearchOut]:
    """The same as GET /api/search with a JSON body; a list of searches answers a list."""
    batch = body if isinstance(body, list) else [body]
    check_cost(batch, settings.max_search_cost)
    if isinstance(body, list):
        return [_search(searcher, slots, req) for req in body]
    return _search(searcher, slots, body)


@router.get(
    "/documents/{release_id:path}/similar", tags=["documents"], summary="Releases like this one"
)
def similar(
    release_id: ReleaseId,
    searcher: SearcherDep,
    slots: SlotsDep,
    k: Annotated[int, Query(ge=1, le=MAX_K, description=f"How many releases (1 to {MAX_K}).")] = 10,
) -> SimilarOut:
    """More-like-this: the releases whose paragraphs are closest to this release's."""
    with slots.take():
        resp = searcher.similar(release_id, k=k)
    return SimilarOut(
        id=release_id,
        results=[convert.hit_out(h) for h in resp.hits],
        total=resp.total,
        took_ms=took_ms(),
    )


@router.get("/documents/{release_id:path}", tags=["documents"], summary="One release")
def get_document(release_id: ReleaseId, searcher: SearcherDep) -> ReleaseOut:
    """The release with its paragraphs (as indexed) and metadata."""
    stored = searcher.get_release(release_id)
    return convert.release_out(stored)


@router.post(
    "/documents",
    tags=["documents"],
    summary="Add or replace releases",
    status_code=201,
    responses=WRITE_ERRORS,
    dependencies=[Depends(require_api_key)],
)
def post_documents(
    body: ReleaseBody,
    searcher: SearcherDep,
    settings: SettingsDep,
    holder: HolderDep,
) -> WriteOut:
    """Index one release or a list; a release whose id exists replaces it. Searchable in
    both retrievers when the call returns."""
    items = body if isinstance(body, list) else [body]
    releases = [convert.to_release(item, years=settings.years) for item in items]
    seen: set[str] = set()
    for position, release in enumerate(releases):
        if release.id in seen:
            field = f"[{position}].id" if isinstance(body, list) else "id"
            raise BadRequestError(field, f"release id {release.id!r} is given twice")
        seen.add(release.id)
    return writes.upsert(holder, releases)


@router.put(
    "/documents/{release_id:path}",
    tags=["documents"],
    summary="Add or replace one release",
    responses=WRITE_ERRORS,
    dependencies=[Depends(require_api_key)],
)
def put_document(
    release_id: ReleaseId,
    body: Annotated[ReleaseIn, Body()],
    searcher: SearcherDep,
    settings: SettingsDep,
    holder: HolderDep,
) -> WriteOut:
    """Store the release under this id (the body's id, if any, must be the same). The id
    follows the same rule as a body's ``id`` in POST (so no '/')."""
    try:
        check_write_id(release_id)
    except ValueError as exc:
        error = {"type": "value_error", "loc": ("path", "id"), "msg": str(exc)}
        raise RequestValidationError([error]) from None
    if body.id is not None and body.id != release_id:
        raise BadRequestError("id", f"the body's id {body.id!r} is not the URL's {release_id!r}")
    return writes.upsert(holder, [convert.to_release(body, release_id, years=settings.years)])


@router.delete(
    "/documents/{release_id:path}",
    tags=["documents"],
    summary="Delete one release",
    responses=WRITE_ERRORS,
    dependencies=[Depends(require_api_key)],
)
def delete_document(release_id: ReleaseId, searcher: SearcherDep, holder: HolderDep) -> DeleteOut:
    """Remove the release from the index (both retrievers) when the call returns."""
    removed = writes.delete(holder, release_id)
    if removed is None:
        raise ReleaseNotFoundError(f"no release with id {release_id!r} in the index")
    return DeleteOut(id=release_id, paragraphs=removed)


@router.get("/health", tags=["status"], summary="Is the service up?")
def health(request: Request) -> HealthOut:
    """Process up; index loaded; its counts and encoders. 200 even when degraded:
    ``degraded`` when no index is loaded, when the server fell back to an older generation
    at start-up, or when requests met read errors in the index in the last
    :data:`READ_ERROR_WINDOW` seconds (details in the server log, never here)."""
    state = request.app.state
    settings = state.settings
    base: dict[str, Any] = {
        "writes_enabled": settings.api_key is not None
        and bool(settings.api_key.get_secret_value()),
    }
    try:
        with state.holder.lease() as searcher:
            releases, paragraphs = searcher.index.docs.counts()
            encoders = _encoders(searcher)
            generation = _generation(searcher) or "index"
    except IndexNotFoundError:
        return HealthOut(status="degraded", index_loaded=False, error="no index is loaded", **base)
    except (IndexError_, sqlite3.DatabaseError, OSError) as exc:
        log.error("health: the index cannot be read: %r", exc)
        state.read_errors.append((time.time(), "health"))
        return HealthOut(
            status="degraded",
            index_loaded=True,
            error="the index cannot be read (see the server log; run dalil verify)",
            **base,
        )
    problems = []
    if state.fallback is not None:
        generation = state.fallback[0]
        problems.append(f"serving {generation}: {state.fallback[1]}")
    recent = [t for t, _ in list(state.read_errors) if t > time.time() - READ_ERROR_WINDOW]
    if recent:
        problems.append(
            f"{len(recent)} request(s) met read errors in the index in the last "
            f"{READ_ERROR_WINDOW} s (see the server log; run dalil verify)"
        )
    return HealthOut(
        status="degraded" if problems else "ok",
        index_loaded=True,
        index=generation,
        releases=releases,
        paragraphs=paragraphs,
        encoders=encoders,
        error="; ".join(problems) or None,
        **base,
    )


@router.get("/stats", tags=["status"], summary="What the index holds")
def stats(searcher: SearcherDep, settings: SettingsDep) -> StatsOut:
    """Counts, encoders, date range, the sources, languages and categories, the live index
    generation and the last re-indexing runs (newest first)."""
    releases, paragraphs = searcher.index.docs.counts()
    facets = searcher.index.docs.facets()
    return StatsOut(
        releases=releases,
        paragraphs=paragraphs,
        encoders=_encoders(searcher),
        built_at=searcher.index.manifest.built_at,
        date_min=facets.date_min,
        date_max=facets.date_max,
        sources=[FacetOut(value=v, count=n) for v, n in facets.sources],
        languages=[FacetOut(value=v, count=n) for v, n in facets.languages],
        categories=[FacetOut(value=v, count=n) for v, n in facets.categories],
        generation=_generation(searcher),
        runs=[_public_run(r.to_json()) for r in last_runs(settings.index, STATS_RUNS)],
    )


def _public_run(run: dict[str, Any]) -> RunOut:
    """A run as anonymous clients see it: counts and status; its error and failures (which
    quote paths and release text) stay in runs.jsonl on the server."""
    error = run.get("error")
    public = {k: v for k, v in run.items() if k in RunOut.model_fields and k != "error"}
    return RunOut(**public, error="see runs.jsonl on the server" if error else None)


def _generation(searcher: Searcher) -> str | None:
    index = searcher.index
    return index.path.name if index.path != index.root else None


def _encoders(searcher: Searcher) -> list[EncoderOut]:
    return [EncoderOut(name=n, dim=d) for n, d in searcher.index.manifest.encoders]
