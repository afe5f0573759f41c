"""Security headers on every response (pages, JSON, errors, /docs, static files), added by a
pure ASGI middleware where a response has not set its own.

JSON and other non-HTML answers get a CSP that allows nothing (``default-src 'none'``): a
browser tricked into rendering one runs nothing. The pages set their own CSP
(:data:`web.server.templating.CSP`); /docs needs Swagger UI's inline start-up script.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dalil.web.server.templating import CSP

NONE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def csp_for(path: str, content_type: str) -> str:
    if path == "/docs" or path.startswith("/docs/"):
        return DOCS_CSP
    if content_type.startswith("text/html"):
        return CSP
    return NONE_CSP


class SecurityHeaders:
    """ASGI middleware adding :data:`ALWAYS` and a Content-Security-Policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    if name not in headers:
                        headers[name] = value
                if "content-security-policy" not in headers:
                    csp = csp_for(scope["path"], headers.get("content-type", ""))
                    headers["Content-Security-Policy"] = csp
            await send(message)

        await self.app(scope, receive, send_with_headers)
