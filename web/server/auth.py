"""API key check for the write endpoints.

The key comes from ``settings.api_key`` (env ``DALIL_API_KEY`` or ``api_key`` in dalil.toml).
Clients send it as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``. With no key
configured every write is refused (403), so a fresh install is read-only.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.datastructures import Headers

from dalil.indexer import Settings
from dalil.web.server.errors import AuthRequiredError, WritesDisabledError


def presented_key(request: Request | Headers) -> str | None:
    """The key the client sent, if any."""
    headers = request.headers if isinstance(request, Request) else request
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def require_api_key(request: Request) -> None:
    """FastAPI dependency: raise unless the request carries the configured API key."""
    check_key(request.headers, request.app.state.settings)


def check_key(headers: Headers, settings: Settings) -> None:
    """Raise unless ``headers`` carry the configured API key (also checked by
    :mod:`web.server.guards` before a write's body is read)."""
    configured = settings.api_key
    expected = configured.get_secret_value() if configured is not None else ""
    if not expected:
        raise WritesDisabledError("writes are disabled: set DALIL_API_KEY")
    given = presented_key(headers)
    if given is None:
        raise AuthRequiredError("an API key is required: send X-API-Key or Authorization: Bearer")
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise AuthRequiredError("the API key is not valid")
