"""Checks on a :class:`~dalil.search.models.Query`; every failure is an
:class:`~dalil.search.errors.InvalidQueryError` naming the field."""

from __future__ import annotations

import math

from dalil.indexer.models import VALUE_FILTERS, Filters, iso_date
from dalil.search.errors import InvalidQueryError
from dalil.search.models import MODES, SORTS, Query

MAX_TEXT_CHARS = 1000
MAX_K = 100
MAX_OFFSET = 1000


def check_date(field: str, value: str | None) -> None:
    if value is None:
        return
    try:
        iso_date(value)
    except ValueError as exc:
        raise InvalidQueryError(field, str(exc)) from None


def check_filters(filters: Filters) -> None:
    if not isinstance(filters, Filters):
        raise InvalidQueryError("filters", f"must be Filters, got {type(filters).__name__}")
    check_date("date_from", filters.date_from)
    check_date("date_to", filters.date_to)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise InvalidQueryError(
            "date_from", f"{filters.date_from} is after date_to {filters.date_to}"
        )
    for name in VALUE_FILTERS:
        value = getattr(filters, name)
        if value is not None and not isinstance(value, str):
            raise InvalidQueryError(name, f"must be text, got {type(value).__name__}")


def check_int(field: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidQueryError(field, f"must be an integer from {low} to {high}, got {value!r}")


def validate_query(query: Query) -> None:
    """Raise :class:`InvalidQueryError` for the first bad field of ``query``."""
    if not isinstance(query.text, str) or not query.text.strip():
        raise InvalidQueryError("text", "must not be empty")
    if len(query.text) > MAX_TEXT_CHARS:
        raise InvalidQueryError(
            "text", f"is {len(query.text)} characters long; at most {MAX_TEXT_CHARS} allowed"
        )
    if query.mode not in MODES:
        raise InvalidQueryError("mode", f"must be one of {', '.join(MODES)}, got {query.mode!r}")
    if query.alpha is not None:
        alpha = query.alpha
        if (
            isinstance(alpha, bool)
            or not isinstance(alpha, int | float)
            or not math.isfinite(alpha)
            or not 0.0 <= alpha <= 1.0
        ):
            raise InvalidQueryError("alpha", f"must be a number from 0 to 1, got {alpha!r}")
    if query.sort not in SORTS:
        raise InvalidQueryError("sort", f"must be one of {', '.join(SORTS)}, got {query.sort!r}")
    if not isinstance(query.weaker, bool):
        raise InvalidQueryError("weaker", f"must be true or false, got {query.weaker!r}")
    check_int("k", query.k, 1, MAX_K)
    check_int("offset", query.offset, 0, MAX_OFFSET)
    check_filters(query.filters)
