"""The web layer's one exception handler: every error becomes an HTTP status with a message.

JSON (``ErrorOut``) under ``/api``, a friendly HTML page everywhere else. A client mistake
is a 4xx naming the field; only a bug in dalil is a 500, and its details stay in the log.
Problems of the server's own index, encoders or disk (409, 503, 507) get a fixed public
message: their details (paths, FAISS internals) go to the log only.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dalil.indexer import (
    DalilError,
    DiskFullError,
    EncoderError,
    IndexError_,
    IndexLockedError,
    IndexNotFoundError,
    ReleaseNotFoundError,
    SourceError,
    disk_full,
)
from dalil.search import AlertConflictError, AlertNotFoundError, InvalidQueryError
from dalil.web.server.templating import SECURITY_HEADERS

log = logging.getLogger("dalil.web")

JSON_PREFIXES = ("/api", "/openapi.json", "/docs", "/redoc")


class WebError(DalilError):
    """Base class of errors raised by the web layer itself."""


class AuthRequiredError(WebError):
    """No API key, or a wrong one, was given for a write."""


class WritesDisabledError(WebError):
    """No API key is configured, so every write is refused."""


class ServerBusyError(WebError):
    """Every search slot stayed taken for the whole queue wait; try again shortly."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BadRequestError(WebError):
    """A request is well-formed but cannot be carried out; ``field`` names the culprit."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Problem:
    status: int
    kind: str
    message: str
    field: str | None = None
    title: str = "Something went wrong"


# Most specific first: the first class the exception is an instance of wins.
_DALIL_STATUS: tuple[tuple[type[DalilError], int, str, str], ...] = (
    (BadRequestError, 400, "bad_request", "Bad request"),
    (SourceError, 400, "bad_release", "Bad release"),
    (ReleaseNotFoundError, 404, "not_found", "Release not found"),
    (AlertNotFoundError, 404, "alert_not_found", "Alert not found"),
    (AlertConflictError, 409, "alert_conflict", "Alert conflict"),
    (AuthRequiredError, 401, "unauthorized", "API key needed"),
    (WritesDisabledError, 403, "writes_disabled", "Writes are disabled"),
    (IndexLockedError, 409, "index_locked", "Index busy"),
    (IndexNotFoundError, 503, "index_not_loaded", "No index yet"),
    (IndexError_, 503, "index_unavailable", "Index unavailable"),
    (EncoderError, 503, "encoder_unavailable", "Encoder unavailable"),
    (ServerBusyError, 503, "busy", "Busy"),
    (DiskFullError, 507, "insufficient_storage", "Disk full"),
)

# What anonymous clients are told instead of the exception's text (which names paths and
# internals; it is logged).
PUBLIC_MESSAGES: dict[type[DalilError], str] = {
    IndexLockedError: "another process is writing to the index; try again shortly",
    IndexNotFoundError: "no index is loaded yet; see the server log",
    IndexError_: "the index cannot be read right now; see the server log",
    EncoderError: "an encoder is not available; see the server log",
    DiskFullError: "the server's disk is full; nothing was written",
}


_API_FIELDS = {"text": "q"}
_SHAPE_ERRORS = frozenset({"list_type", "model_type", "model_attributes_type", "dict_type"})


def _is_location_noise(part: object) -> bool:
    """Where the value came from (query, body...) and pydantic's union branch tags
    (``SearchRequest``, ``list[...]``, ``function-after[...]``) are not field names."""
    if isinstance(part, int):
        return False
    text = str(part)
    return text in ("query", "body", "path", "header") or "[" in text or text[:1].isupper()


def _validation_problem(exc: RequestValidationError) -> Problem:
    """Name the first bad field: ``q``, ``k``, ``date_from``, ``[1].title`` ..."""
    errors = list(exc.errors())
    if not errors:
        return Problem(422, "invalid_request", "invalid request", title="Invalid request")
    # A body that is "one object or a list" fails both ways: report the way it was meant.
    errors = [e for e in errors if e.get("type") not in _SHAPE_ERRORS] or errors
    first = errors[0]
    parts = [p for p in first.get("loc", ()) if not _is_location_noise(p)]
    field = ""
    for part in parts:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if first.get("type") == "missing" and field:
        message = "field required"
    elif first.get("type") == "json_invalid":
        message = "request body is not valid JSON"
    text = f"{field}: {message}" if field else message
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return Problem(422, "invalid_request", text, field or None, "Invalid request")


def problem_for(exc: Exception) -> Problem:
    """Map any exception to its HTTP problem."""
    if isinstance(exc, RequestValidationError):
        return _validation_problem(exc)
    if isinstance(exc, StarletteHTTPException):
        title = "Page not found" if exc.status_code == 404 else "Request refused"
        kind = "not_found" if exc.status_code == 404 else "http_error"
        return Problem(exc.status_code, kind, str(exc.detail), title=title)
    if isinstance(exc, InvalidQueryError):
        field = _API_FIELDS.get(exc.field, exc.field)  # the searcher's names → the API's
        return Problem(400, "invalid_query", f"{field}: {exc.message}", field, "Invalid search")
    if isinstance(exc, DalilError):
        for cls, status, kind, title in _DALIL_STATUS:
            if isinstance(exc, cls):
                message = public_message(exc)
                return Problem(status, kind, message, getattr(exc, "field", None), title)
        log.error("unmapped dalil error: %r", exc)
        return Problem(500, "internal_error", "internal error: see the server log")
    full = disk_full(exc)
    if full is not None:
        log.error("disk full: %r", exc)
        return Problem(
            507, "insufficient_storage", PUBLIC_MESSAGES[DiskFullError], None, "Disk full"
        )
    if isinstance(exc, sqlite3.DatabaseError | OSError):  # a damaged or unreadable index file
        log.error("index read error: %r", exc)
        return Problem(
            503, "index_unavailable", PUBLIC_MESSAGES[IndexError_], None, "Index unavailable"
        )
    log.exception("unexpected error", exc_info=exc)
    return Problem(500, "internal_error", "internal error: see the server log")


def public_message(exc: DalilError) -> str:
    """The exception's message, or a fixed one (the detail logged) for server-side problems."""
    for cls, message in PUBLIC_MESSAGES.items():
        if isinstance(exc, cls):
            log.warning("%s: %s", type(exc).__name__, exc)
            return message
    return str(exc)


def wants_json(request: Request) -> bool:
    """JSON errors for the API and for feeds (machine clients; the OpenAPI schema documents
    JSON errors for every route it lists), an HTML page for people."""
    path = request.url.path
    return path.startswith(JSON_PREFIXES) or path.endswith(".atom")


async def handle_error(request: Request, exc: Exception) -> Response:
    """The one handler, registered for DalilError, validation and HTTP errors, and the rest."""
    problem = problem_for(exc)
    if problem.kind == "index_unavailable":
        request.app.state.read_errors.append((time.time(), type(exc).__name__))
    headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None
    if isinstance(exc, ServerBusyError):
        headers = {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, StarletteHTTPException) and exc.headers:
        headers = {**(headers or {}), **exc.headers}
    if wants_json(request):
        body = {"error": problem.kind, "message": problem.message, "field": problem.field}
        return JSONResponse(body, status_code=problem.status, headers=headers)
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"problem": problem, "page_title": problem.title},
        status_code=problem.status,
        headers={**SECURITY_HEADERS, **(headers or {})},
    )


def install_error_handler(app: FastAPI) -> None:
    for exc_class in (DalilError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(exc_class, handle_error)
