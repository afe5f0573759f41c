"""HEAD and OPTIONS on every route, and an honest ``Allow`` header (pure ASGI middleware).

* ``HEAD`` is answered as ``GET`` without the body (headers, Content-Length included, as GET
  would send them);
* ``OPTIONS`` answers 204 with ``Allow`` listing every method of every route matching the
  path (FastAPI answers 405 naming one route's methods);
* a method no route of the path takes gets 405 with that full ``Allow`` list.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


PROBED = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(scope: Scope) -> set[str] | None:
    """Methods some route takes at ``scope``'s path, found by asking the router's routes
    (included routers too) whether each method fully matches. None when no route matches or
    every method does (a mount such as /static: left to the app)."""
    routes = scope["app"].router.routes
    methods = {
        method
        for method in PROBED
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in routes)
    }
    if not methods or methods == set(PROBED):
        return None
    if "GET" in methods:
        methods.add("HEAD")
    return methods | {"OPTIONS"}


def allow_header(methods: set[str]) -> str:
    return ", ".join(m for m in ORDER if m in methods)


class MethodGuard:
    """ASGI middleware: HEAD as GET without a body, OPTIONS, full Allow on 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "app" not in scope:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        methods = allowed_methods(scope)
        if methods is not None and method == "OPTIONS":
            await Response(status_code=204, headers={"Allow": allow_header(methods)})(
                scope, receive, send
            )
            return
        if methods is not None and method not in methods:
            body = {
                "error": "method_not_allowed",
                "message": f"{method} is not allowed here; allowed: {allow_header(methods)}",
                "field": None,
            }
            await JSONResponse(body, 405, headers={"Allow": allow_header(methods)})(
                scope, receive, send
            )
            return
        if method != "HEAD":
            await self.app(scope, receive, send)
            return

        async def no_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, no_body)
