"""One bad record never stops a run: :func:`isolated` turns any error while reading one
record (or file) into a :class:`~dalil.indexer.models.ReadFailure` with a one-line reason.

A :class:`~dalil.indexer.errors.SourceError` is a refusal with its own reason; anything else
(a bug, or input no check foresaw: ``RecursionError``, ``UnicodeError``, ``ValueError`` ...)
is reported as an unexpected error naming the exception, and logged with its traceback
(logger ``dalil.readers``) for the maintainers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dalil.indexer.errors import SourceError
from dalil.indexer.models import ReadFailure

log = logging.getLogger("dalil.readers")

REASON_CHARS = 200  # an exception's message is cut here: a reason is one line


@dataclass
class Outcome:
    """Set by :func:`isolated`: the failure, when the block raised."""

    failure: ReadFailure | None = None


@contextmanager
def isolated(origin: str) -> Iterator[Outcome]:
    """Run a block for one record; an exception in it becomes ``outcome.failure``."""
    outcome = Outcome()
    try:
        yield outcome
    except SourceError as exc:
        outcome.failure = ReadFailure(exc.origin, exc.reason)
    except Exception as exc:  # noqa: BLE001 - isolating any error is the point
        log.debug("unexpected error reading %s", origin, exc_info=exc)
        outcome.failure = ReadFailure(origin, unexpected_reason(exc))


def unexpected_reason(exc: BaseException) -> str:
    """``unexpected error (RecursionError): maximum recursion depth exceeded``, one line."""
    message = " ".join(str(exc).split())
    if len(message) > REASON_CHARS:
        message = message[: REASON_CHARS - 1] + "…"
    return f"unexpected error ({type(exc).__name__}): {message}".rstrip(": ")
