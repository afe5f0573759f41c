"""Publication dates as ISO ``YYYY-MM-DD``.

Accepted: ISO 8601 dates and datetimes (``2018-02-18``, ``2018-02-18T21:35:43+04:00``,
``20180218``; the date is taken as written, not shifted to UTC), ``2018/02/18``,
day-first numeric dates (``18/02/2018``, ``18-02-2018``, ``18.02.2018``; month-first only when
the first number cannot be a month), and dates with English or Arabic month names
(``18 February 2018``, ``Feb 18, 2018``, ``18 فبراير 2018``, ``18 شباط 2018``). Arabic-Indic
digits are read as digits.
"""

from __future__ import annotations

import re
from datetime import date, datetime

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

_MONTHS = {
    **{
        name: number
        for number, names in enumerate(
            (
                ("january", "jan"),
                ("february", "feb"),
                ("march", "mar"),
                ("april", "apr"),
                ("may",),
                ("june", "jun"),
                ("july", "jul"),
                ("august", "aug"),
                ("september", "sep", "sept"),
                ("october", "oct"),
                ("november", "nov"),
                ("december", "dec"),
            ),
            start=1,
        )
        for name in names
    },
    # Egyptian / Gulf month names, with and without hamza.
    **{
        name: number
        for number, names in enumerate(
            (
                ("يناير",),
                ("فبراير",),
                ("مارس",),
                ("أبريل", "ابريل", "إبريل"),
                ("مايو",),
                ("يونيو", "يونيه"),
                ("يوليو", "يوليه"),
                ("أغسطس", "اغسطس"),
                ("سبتمبر",),
                ("أكتوبر", "اكتوبر"),
                ("نوفمبر",),
                ("ديسمبر",),
            ),
            start=1,
        )
        for name in names
    },
    # Levantine / Iraqi month names (two-word names are joined with a space).
    "كانون الثاني": 1,
    "شباط": 2,
    "آذار": 3,
    "اذار": 3,
    "نيسان": 4,
    "أيار": 5,
    "ايار": 5,
    "حزيران": 6,
    "تموز": 7,
    "آب": 8,
    "اب": 8,
    "أيلول": 9,
    "ايلول": 9,
    "تشرين الأول": 10,
    "تشرين الاول": 10,
    "تشرين الثاني": 11,
    "كانون الأول": 12,
    "كانون الاول": 12,
}

_MONTH_NAME = r"([^\W\d_]+(?: [^\W\d_]+)?)"
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_YEAR_LAST = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}})\.? (?:of )?{_MONTH_NAME},? (\d{{4}})(?!\d)")
_MONTH_DAY_YEAR = re.compile(rf"{_MONTH_NAME}\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})(?!\d)")


def normalize_date(value: object) -> str | None:
    """``value`` as ``YYYY-MM-DD``, or None when it is empty or not a recognisable date."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    text = " ".join(value.translate(_DIGITS).split())
    if not text:
        return None
    parsed = _iso(text) or _numeric(text) or _named(text.lower())
    return parsed.isoformat() if parsed else None


def _iso(text: str) -> date | None:
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric(text: str) -> date | None:
    match = _YEAR_FIRST.search(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _make(year, month, day)
    match = _YEAR_LAST.search(text)
    if match:
        first, second, year = (int(g) for g in match.groups())
        if first <= 12 < second:  # 02/18/2018: month first
            return _make(year, first, second)
        return _make(year, second, first)
    return None


def _named(text: str) -> date | None:
    match = _DAY_MONTH_YEAR.search(text)
    if match:
        day, name, year = match.groups()
        month = _month(name)
        if month:
            return _make(int(year), month, int(day))
    match = _MONTH_DAY_YEAR.search(text)
    if match:
        name, day, year = match.groups()
        month = _month(name)
        if month:
            return _make(int(year), month, int(day))
    return None


def _month(name: str) -> int | None:
    """Month number of a (possibly two-word) name; falls back to the last word alone."""
    return _MONTHS.get(name) or _MONTHS.get(name.rsplit(" ", 1)[-1])
