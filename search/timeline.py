"""Matches over time (pure): releases per month, or per year when the matches span more
than :data:`MAX_MONTHS` months, every period between the first and the last one included
(empty ones with 0), each with the date range that narrows a search to it."""

from __future__ import annotations

import calendar
from collections.abc import Mapping

from dalil.search.models import TimelineBucket

MAX_MONTHS = 36


def _month_index(label: str) -> int:
    year, month = int(label[:4]), int(label[5:7])
    return year * 12 + month - 1


def timeline(months: Mapping[str, int]) -> tuple[str, tuple[TimelineBucket, ...]]:
    """``(unit, buckets)`` from ``YYYY-MM -> count``; unit is ``month`` or ``year``."""
    valid = {m: n for m, n in months.items() if _is_month(m)}
    if not valid:
        return "month", ()
    first, last = min(map(_month_index, valid)), max(map(_month_index, valid))
    if last - first + 1 > MAX_MONTHS:
        years: dict[int, int] = {}
        for label, n in valid.items():
            years[int(label[:4])] = years.get(int(label[:4]), 0) + n
        return "year", tuple(
            TimelineBucket(str(y), f"{y:04d}-01-01", f"{y:04d}-12-31", years.get(y, 0))
            for y in range(min(years), max(years) + 1)
        )
    buckets = []
    for index in range(first, last + 1):
        year, month = divmod(index, 12)
        month += 1
        label = f"{year:04d}-{month:02d}"
        end = calendar.monthrange(year, month)[1]
        buckets.append(
            TimelineBucket(label, f"{label}-01", f"{label}-{end:02d}", valid.get(label, 0))
        )
    return "month", tuple(buckets)


def _is_month(label: str) -> bool:
    return (
        len(label) == 7
        and label[:4].isdigit()
        and label[4] == "-"
        and label[5:].isdigit()
        and 1 <= int(label[5:]) <= 12
    )
