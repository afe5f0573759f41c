"""The FastAPI application factory. All state lives on ``app.state``; nothing is global.

``app.state``: ``settings``, ``holder`` (:class:`dalil.web.server.holder.SearcherHolder`:
the searcher requests lease, swapped on a new index generation), ``searcher`` (the holder's
current one; None while no index is loaded), ``load_error`` (why not), ``templates``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dalil.indexer import DalilError, Settings
from dalil.indexer.compat import check_all
from dalil.indexer.version import version
from dalil.search import Searcher
from dalil.web.server import alerts_api, api, atom, pages
from dalil.web.server.docs import install_docs
from dalil.web.server.errors import install_error_handler
from dalil.web.server.holder import SearcherHolder
from dalil.web.server.replication import start_following
from dalil.web.server.scheduling import start_reindexing
from dalil.web.server.templating import make_templates

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

    install_error_handler(app)
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
