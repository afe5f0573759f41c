"""Request-scoped access to the app's state (FastAPI dependencies)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from dalil.indexer import Settings
from dalil.search import Searcher
from dalil.web.server.holder import SearcherHolder
from dalil.web.server.slots import SearchSlots


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_searcher(request: Request) -> Iterator[Searcher]:
    """The current searcher, leased for the whole request (a new index generation published
    meanwhile does not close it under the request), or a 503 (IndexNotFoundError) saying
    why none is loaded."""
    holder: SearcherHolder = request.app.state.holder
    if holder.searcher is None and request.app.state.searcher is not None:
        yield request.app.state.searcher  # an app whose lifespan has not run
        return
    with holder.lease() as searcher:
        yield searcher


def get_slots(request: Request) -> SearchSlots:
    return request.app.state.search_slots


def get_holder(request: Request) -> SearcherHolder:
    return request.app.state.holder


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[SearcherHolder, Depends(get_holder)]
SlotsDep = Annotated[SearchSlots, Depends(get_slots)]
