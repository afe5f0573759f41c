"""What a request may cost, checked at the door (a pure ASGI middleware, before FastAPI reads
or parses anything):

* the body: a ``Content-Length`` over ``max_body_bytes`` is answered 413 before a byte of
  the body is read; a body sent without one (chunked) is counted as it arrives and cut off
  with 413 at the limit;
* writes (``POST``/``PUT``/``DELETE`` under ``/api/documents``): the API key is checked
  before the body is read, so an anonymous client cannot make the server read and parse
  megabytes (the route's own dependency checks it again).

Host names are checked by Starlette's ``TrustedHostMiddleware`` in front of this one
(``allowed_hosts``), slow clients by :mod:`web.server.slowclients`, the cost of searches by
:mod:`web.server.api` (``max_search_cost``, ``max_concurrent_searches``).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dalil.indexer import DalilError, Settings
from dalil.web.server.auth import check_key
from dalil.web.server.errors import problem_for

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
WRITE_PREFIX = "/api/documents"


class RequestGuard:
    """ASGI middleware: body size limit and the early API key check."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.settings.max_body_bytes
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(scope, receive, send, 413, "body_too_large", _too_large(limit))
            return
        if scope["method"] in WRITE_METHODS and scope["path"].startswith(WRITE_PREFIX):
            try:
                check_key(headers, self.settings)
            except DalilError as exc:
                problem = problem_for(exc)
                extra = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else {}
                await _refuse(
                    scope, receive, send, problem.status, problem.kind, problem.message, extra
                )
                return
        received = 0
        too_large = False

        async def counting_receive() -> Message:
            # Past the limit the app is told the body ended (it answers some error about
            # it, which replying_send replaces with the 413); nothing more is read.
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def replying_send(message: Message) -> None:
            if not too_large:
                await send(message)
            elif message["type"] == "http.response.start":
                await _refuse(scope, receive, send, 413, "body_too_large", _too_large(limit))

        await self.app(scope, counting_receive, replying_send)


def _too_large(limit: int) -> str:
    return (
        f"the request body is larger than {limit:,} bytes (setting max_body_bytes); send "
        "fewer releases per request"
    )


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    kind: str,
    message: str,
    headers: dict[str, Any] | None = None,
) -> None:
    # "Connection: close": the unread body must not be taken for the next request.
    response = JSONResponse(
        {"error": kind, "message": message, "field": None},
        status_code=status,
        headers={"Connection": "close", **(headers or {})},
    )
    await response(scope, receive, send)
