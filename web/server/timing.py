"""``took_ms`` in every answer means one thing: the time since the request reached the app
(routing, body parsing and validation, the work itself), up to the moment the answer is
built -- not only the search or the write inside it.

:func:`install_request_clock` adds an ASGI middleware that notes when each request arrives
in a context variable; route code (in the threadpool, which copies the context) reads it with
:func:`took_ms`.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI

_STARTED: ContextVar[float | None] = ContextVar("dalil_request_started", default=None)


def took_ms(fallback_start: float | None = None) -> float:
    """Milliseconds since this request arrived (outside a request: since
    ``fallback_start``, a ``time.perf_counter()`` value), rounded to 0.01 ms."""
    start = _STARTED.get()
    if start is None:
        start = fallback_start if fallback_start is not None else time.perf_counter()
    return round((time.perf_counter() - start) * 1000, 2)


class _RequestClock:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _STARTED.set(time.perf_counter())
        try:
            await self.app(scope, receive, send)
        finally:
            _STARTED.reset(token)


def install_request_clock(app: FastAPI) -> None:
    app.add_middleware(_RequestClock)
