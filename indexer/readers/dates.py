"""Publication dates as ISO ``YYYY-MM-DD``.

Accepted: ISO 8601 dates and datetimes (``2018-02-18``, ``2018-02-18T21:35:43+04:00``,
``20180218``; the date is taken as written, not shifted to UTC), ``2018/02/18``,
day-first numeric dates (``18/02/2018``, ``18-02-2018``, ``18.02.2018``; month-first only when
the first number cannot be a month), and dates with English or Arabic month names
(``18 February 2018``, ``Feb 18, 2018``, ``18 فبراير 2018``, ``18 شباط 2018``). Arabic-Indic
digits are read as digits.

Only a value that is a date as a whole is taken (an optional weekday before it and a time of
day after it are allowed): ``released 2018-02-18 in Manama`` or ``12019-05-06`` is not one.
Years outside ``years`` (a setting, default :data:`DEFAULT_YEARS`) are refused. A value that
is not taken is kept by the reader as ``metadata["date_raw"]`` with ``date_note`` saying why.
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

DEFAULT_YEARS = (1900, 2100)  # plausible publication years, inclusive

_WEEKDAYS = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs"
    "|fri|sat|sun|الإثنين|الاثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|السبت|الأحد|الاحد"
)
_WEEKDAY = rf"(?:(?:{_WEEKDAYS})\.?,?،? )?"
_TIME = (  # ", 10:30", " at 10.30 pm", " 10:00:00 GMT", " 10:00 +04:00"
    r"(?:,? (?:at )?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?: ?[ap]\.?m\.?)?"
    r"(?: [a-z]{2,5}| ?[+-]\d{2}:?\d{2})?)?"
)
_MONTH_NAME = r"([^\W\d_]+(?: [^\W\d_]+)?)"
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_YEAR_LAST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_DAY_MONTH_YEAR = re.compile(rf"(\d{{1,2}})\.? (?:of )?{_MONTH_NAME},? (\d{{4}})")
_MONTH_DAY_YEAR = re.compile(rf"{_MONTH_NAME}\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})")


def _whole(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` as the whole value, with an optional weekday before and time after."""
    return re.compile(rf"{_WEEKDAY}{pattern.pattern}{_TIME}", re.IGNORECASE)


_YEAR_FIRST, _YEAR_LAST, _DAY_MONTH_YEAR, _MONTH_DAY_YEAR = (
    _whole(p) for p in (_YEAR_FIRST, _YEAR_LAST, _DAY_MONTH_YEAR, _MONTH_DAY_YEAR)
)


def normalize_date(value: object, years: tuple[int, int] = DEFAULT_YEARS) -> str | None:
    """``value`` as ``YYYY-MM-DD``, or None when it is empty, not a date as a whole, or its
    year is outside ``years`` (inclusive)."""
    parsed = parse_date(value)
    if parsed is None or not years[0] <= parsed.year <= years[1]:
        return None
    return parsed.isoformat()


def date_problem(value: object, years: tuple[int, int] = DEFAULT_YEARS) -> str | None:
    """Why ``value`` is not taken as a date (None when it is)."""
    parsed = parse_date(value)
    if parsed is None:
        return "not a whole date (YYYY-MM-DD, 18/02/2018, 18 February 2018, ...)"
    if not years[0] <= parsed.year <= years[1]:
        return (
            f"year {parsed.year} is outside {years[0]}-{years[1]} "
            "(settings date_min_year, date_max_year)"
        )
    return None


def parse_date(value: object) -> date | None:
    """The date ``value`` holds as a whole, whatever its year; None otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) > 100:
        return None
    text = " ".join(value.translate(_DIGITS).split())
    if not text:
        return None
    return _iso(text) or _numeric(text) or _named(text.lower())


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
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _make(year, month, day)
    match = _YEAR_LAST.fullmatch(text)
    if match:
        first, second, year = (int(g) for g in match.groups())
        if first <= 12 < second:  # 02/18/2018: month first
            return _make(year, first, second)
        return _make(year, second, first)
    return None


def _named(text: str) -> date | None:
    match = _DAY_MONTH_YEAR.fullmatch(text)
    if match:
        day, name, year = match.groups()
        month = _month(name)
        if month:
            return _make(int(year), month, int(day))
    match = _MONTH_DAY_YEAR.fullmatch(text)
    if match:
        name, day, year = match.groups()
        month = _month(name)
        if month:
            return _make(int(year), month, int(day))
    return None


def _month(name: str) -> int | None:
    """Month number of a (possibly two-word) name; falls back to the last word alone."""
    return _MONTHS.get(name) or _MONTHS.get(name.rsplit(" ", 1)[-1])
