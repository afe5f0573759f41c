"""The FastAPI application factory. All state lives on ``app.state``; nothing is global.

``app.state``: ``settings``, ``holder`` (:class:`dalil.web.server.holder.SearcherHolder`:
the searcher requests lease, swapped on a new index generation), ``searcher`` (the holder's
current one; None while no index is loaded), ``load_error`` (why not), ``templates``,
``search_slots`` (:class:`dalil.web.server.slots.SearchSlots`), ``read_errors`` (recent index
read errors, for /api/health), ``fallback`` ((generation, why) when start-up fell back to an
older generation).

Middleware, outermost first: security headers on every answer, allowed Host names
(Starlette's TrustedHostMiddleware), HEAD / OPTIONS / Allow (:mod:`.methods`), body size and
the early API key check (:mod:`.guards`).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from dalil.indexer import DalilError, Settings, older_generations
from dalil.indexer.compat import check_all
from dalil.indexer.version import version
from dalil.search import Searcher
from dalil.web.server import alerts_api, api, atom, pages
from dalil.web.server.docs import install_docs
from dalil.web.server.errors import install_error_handler
from dalil.web.server.guards import RequestGuard
from dalil.web.server.headers import SecurityHeaders
from dalil.web.server.holder import SearcherHolder
from dalil.web.server.methods import MethodGuard
from dalil.web.server.replication import start_following
from dalil.web.server.scheduling import start_reindexing
from dalil.web.server.slots import SearchSlots
from dalil.web.server.templating import make_templates
from dalil.web.server.timing import install_request_clock

log = logging.getLogger("dalil.web")

STATIC_DIR = Path(__file__).parent / "static"

DESCRIPTION = """\
Semantic search over press releases in Arabic and English: keyword (BM25, Whoosh),
semantic (FAISS) and hybrid retrieval.

Writes (`POST`, `PUT`, `DELETE` on `/api/documents`) need the API key configured on the
server (`DALIL_API_KEY` or `api_key` in dalil.toml), sent as `X-API-Key: KEY` or
`Authorization: Bearer KEY`. Errors are JSON: `{"error", "message", "field"}`.
"""


def create_app(
    settings: Settings, searcher: Searcher | None = None, *, reindex_every: float | None = None
) -> FastAPI:
    """Build the app. With ``searcher`` given, the app uses it and leaves it open; otherwise
    the lifespan opens ``Searcher.open(settings)`` and closes it on shutdown. An index that
    cannot be opened does not stop the app: /api/health reports why, searches answer 503.
    A new index generation is picked up without a restart (:mod:`dalil.web.server.holder`);
    ``reindex_every`` (seconds) also re-indexes the configured sources in a background
    thread (:mod:`dalil.web.server.scheduling`). Third-party internals are checked first
    (:func:`dalil.indexer.compat.check_all`: a warning per fallback in use)."""
    check_all()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder: SearcherHolder = app.state.holder
        if app.state.searcher is None:
            try:
                holder.install(Searcher.open(settings), owned=True)
            except DalilError as exc:
                log.error("index not loaded: %s", exc)
                app.state.load_error = holder.load_error = str(exc)
                fallback = open_fallback(settings, exc)
                if fallback is not None:
                    searcher, name = fallback
                    holder.install(searcher, owned=True)
                    app.state.searcher = searcher
                    app.state.fallback = (name, "the live generation failed its checks")
            else:
                app.state.searcher = holder.searcher
                app.state.load_error = None
        else:
            holder.install(app.state.searcher, owned=False)
        scheduler = start_reindexing(app, reindex_every) if reindex_every else None
        follower = start_following(app) if settings.replica_of else None
        try:
            yield
        finally:
            if follower is not None:
                follower.shutdown(wait=True)
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            app.state.searcher = None
            holder.close()

    app = FastAPI(
        title="dalil",
        summary="Search press releases in Arabic and English.",
        description=DESCRIPTION,
        version=version(),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "search", "description": "Keyword, semantic and hybrid search."},
            {"name": "documents", "description": "Read, add, replace and delete releases."},
            {"name": "status", "description": "Health and index statistics."},
        ],
    )
    app.state.settings = settings
    app.state.searcher = searcher
    app.state.load_error = None
    app.state.holder = SearcherHolder(settings, on_swap=partial(_swapped, app))
    app.state.templates = make_templates()
    app.state.search_slots = SearchSlots(
        settings.max_concurrent_searches, settings.search_queue_seconds
    )
    app.state.read_errors = deque(maxlen=1000)
    app.state.fallback = None

    # add_middleware wraps: the last added is the outermost.
    app.add_middleware(RequestGuard, settings=settings)
    app.add_middleware(MethodGuard)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.host_names))
    app.add_middleware(SecurityHeaders)
    install_error_handler(app)
    install_request_clock(app)
    install_docs(app)
    app.include_router(api.router)
    app.include_router(alerts_api.router)
    app.include_router(pages.router)
    app.include_router(atom.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _swapped(app: FastAPI, searcher: Searcher) -> None:
    app.state.searcher = searcher
    app.state.load_error = None
    app.state.fallback = None  # a newly published generation is served again


def open_fallback(settings: Settings, why: DalilError) -> tuple[Searcher, str] | None:
    """The newest older generation that opens with its checks passing, when the live one
    does not: a server keeps answering from the last intact index instead of 503 to
    everything (logged loudly; /api/health says degraded until a new one is published)."""
    for directory in older_generations(Path(settings.index)):
        try:
            searcher = Searcher.open(settings.model_copy(update={"index": directory}))
        except DalilError as exc:
            log.error("older generation %s cannot be served either: %s", directory.name, exc)
            continue
        log.error("the live generation failed its checks (%s); serving %s", why, directory.name)
        return searcher, directory.name
    return None
