"""The query syntax people already type, parsed into a frozen record (pure; no index access).

    "exact phrase"        releases holding these words next to each other, in this order
    -word  -"a phrase"    releases without this word (or phrase)
    source:NAME           only this source (quote a name with spaces: source:"Foreign Ministry")
    lang:ar  language:en  only this language
    category:NAME         only this category
    after:YYYY-MM-DD      released on or after that day (also YYYY-MM or YYYY)
    before:YYYY-MM-DD     released on or before that day (also YYYY-MM or YYYY)

Everything else is searched as typed. Quotes may be ASCII ``"`` or typographic (“ ” « »).
A quote left open runs to the end of the query. A word like ``COVID-19`` or ``10:30`` is not
an operator. A mistake that has no sensible reading (a date that is not a date, a query of
nothing but exclusions) raises :class:`QuerySyntaxError`, whose ``code`` names the message
the interface shows.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from dalil.search.errors import InvalidQueryError

_OPEN_QUOTES = '"“”«»„'
_CLOSE_OF = {'"': '"', "“": "”", "”": "”", "«": "»", "»": "«", "„": "“"}
_FIELDS = {
    "source": "source",
    "lang": "language",
    "language": "language",
    "category": "category",
    "after": "after",
    "before": "before",
}
_FIELD = re.compile(r"(?i)^(source|lang|language|category|after|before):(.*)$", re.S)
_QUOTED_FIELD = re.compile(r"(?i)((?:source|lang|language|category|after|before):)[\"“«]")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class QuerySyntaxError(InvalidQueryError):
    """A query the syntax cannot read; ``code`` keys the interface's message."""

    def __init__(self, code: str, message: str, value: str = "") -> None:
        super().__init__("q", message)
        self.code = code
        self.value = value


@dataclass(frozen=True)
class ParsedQuery:
    """What a query box asked for. ``text`` is what is searched (the phrases' words included,
    operators removed); the rest narrows the releases."""

    text: str
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    source: str | None = None
    language: str | None = None
    category: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    @property
    def has_operators(self) -> bool:
        return bool(
            self.phrases
            or self.excluded
            or self.source
            or self.language
            or self.category
            or self.date_from
            or self.date_to
        )


@dataclass(frozen=True)
class _Token:
    text: str
    quoted: bool
    negated: bool


def _tokens(raw: str) -> list[_Token]:
    """Split on white space, keeping quoted runs (and ``field:"quoted value"``) whole."""
    out: list[_Token] = []
    i, n = 0, len(raw)
    while i < n:
        if raw[i].isspace():
            i += 1
            continue
        negated = raw[i] == "-" and i + 1 < n and not raw[i + 1].isspace()
        start = i + 1 if negated else i
        prefix = ""
        field = _QUOTED_FIELD.match(raw, start)
        if field:
            prefix, start = field[1], field.end(1)
        if start < n and raw[start] in _OPEN_QUOTES:
            close = _CLOSE_OF.get(raw[start], '"')
            end = start + 1
            while end < n and raw[end] != close and raw[end] not in '"”»':
                end += 1
            body = raw[start + 1 : end]
            out.append(_Token(prefix + body, quoted=not prefix, negated=negated))
            i = end + 1
            continue
        end = start
        while end < n and not raw[end].isspace():
            end += 1
        out.append(_Token(raw[start:end], quoted=False, negated=negated))
        i = end
    return out


def _day(value: str, *, last: bool, operator: str) -> str:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as a day: the first of the period, or the last
    with ``last``."""
    match = _DATE.match(value.strip())
    if not match:
        raise QuerySyntaxError(
            "bad_date", f"{operator}: needs a date like 2020-01-31 (or 2020-01, 2020)", value
        )
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if month is None:
            return date(year, 12 if last else 1, 31 if last else 1).isoformat()
        m = int(month)
        if day is None:
            return date(year, m, calendar.monthrange(year, m)[1] if last else 1).isoformat()
        return date(year, m, int(day)).isoformat()
    except ValueError:
        raise QuerySyntaxError(
            "bad_date", f"{operator}: {value} is not a real date", value
        ) from None


def parse_query(raw: str) -> ParsedQuery:
    """Read ``raw``; raises :class:`QuerySyntaxError` when nothing is left to search for or a
    date operator holds no date."""
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    fields: dict[str, str] = {}
    for token in _tokens(raw):
        body = " ".join(token.text.split())
        if not body:
            continue
        field = None if token.quoted else _FIELD.match(body)
        if field and not token.negated and field[2].strip():
            fields[_FIELDS[field[1].lower()]] = field[2].strip()
            continue
        if token.negated:
            excluded.append(body)
        elif token.quoted:
            phrases.append(body)
            words.append(body)
        else:
            words.append(body)
    if fields.get("after"):
        fields["after"] = _day(fields["after"], last=False, operator="after")
    if fields.get("before"):
        fields["before"] = _day(fields["before"], last=True, operator="before")
    after, before = fields.get("after"), fields.get("before")
    if after and before and after > before:
        raise QuerySyntaxError("date_order", f"after:{after} is later than before:{before}")
    text = " ".join(words)
    if not text:
        if excluded:
            raise QuerySyntaxError("only_excluded", "add at least one word to search for")
        raise QuerySyntaxError("empty", "type a word or a question to search for")
    language = fields.get("language")
    return ParsedQuery(
        text=text,
        phrases=tuple(dict.fromkeys(phrases)),
        excluded=tuple(dict.fromkeys(excluded)),
        source=fields.get("source"),
        language=language.lower() if language else None,
        category=fields.get("category"),
        date_from=after,
        date_to=before,
    )
