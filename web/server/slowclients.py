"""Slow clients cannot hold connections open: uvicorn's h11 protocol with a deadline for the
request head (slow-loris: a client sending a header line every few seconds, or never
finishing its head, keeps a connection forever in plain uvicorn, whose keep-alive timer is
reset by every byte received).

A connection must deliver a complete request head within ``header_timeout_seconds`` of
opening (or of its previous response); otherwise it is closed. Idle keep-alive connections
close after ``keep_alive_seconds`` (uvicorn's ``timeout_keep_alive``); heads are at most
uvicorn's ``h11_max_incomplete_event_size`` (16 KiB by default; larger ones get 400), and
open connections beyond ``max_connections`` get 503 (uvicorn's ``limit_concurrency``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeadDeadlineProtocol(H11Protocol):
    """H11Protocol closing a connection whose request head is not complete in time."""

    head_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.head_timeout, self._deadline)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _deadline(self) -> None:
        self._head_timer = None
        # IDLE: h11 has not seen a complete request head since the connection opened or
        # the last response ended (a request being served is never cut off here).
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def protocol_with_deadline(head_timeout: float) -> type[HeadDeadlineProtocol]:
    """A protocol class for ``uvicorn.run(http=...)`` with this head deadline."""
    return type("DalilH11Protocol", (HeadDeadlineProtocol,), {"head_timeout": head_timeout})


def uvicorn_options(settings: Any) -> dict[str, Any]:
    """The uvicorn keyword arguments that bound what slow or many clients may hold."""
    return {
        "http": protocol_with_deadline(settings.header_timeout_seconds),
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.max_connections,
    }
