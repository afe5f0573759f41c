"""Request-scoped access to the app's state (FastAPI dependencies)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from indexer.errors import IndexNotFoundError
from indexer.settings import Settings
from search.engine import Searcher
from web.concurrency import ReadWriteLock


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_lock(request: Request) -> ReadWriteLock:
    return request.app.state.lock


def get_searcher(request: Request) -> Searcher:
    """The open searcher, or a 503 (IndexNotFoundError) saying why none is loaded."""
    searcher = request.app.state.searcher
    if searcher is None:
        reason = request.app.state.load_error or "the index is not loaded"
        raise IndexNotFoundError(reason)
    return searcher


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
LockDep = Annotated[ReadWriteLock, Depends(get_lock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
