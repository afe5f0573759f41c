"""A record's fields (JSON object, front matter, HTML meta) → a :class:`Release`.

Known fields: ``id``, ``title``, ``date``, ``source``, ``language``, ``url``, ``category``;
``text`` is read by the format reader; every other field goes into ``metadata``. A date that
is not a whole, plausible date is kept as ``metadata["date_raw"]`` with ``date_note`` saying
why (the release keeps no date); a language that is not a language tag is kept as
``metadata["language_raw"]`` and the language is detected. A missing language is detected
from the text; an undetermined one is None. A record that cannot be stored (invalid Unicode,
metadata nested too deep or too large: :mod:`dalil.indexer.records`) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dalil.indexer.errors import SourceError
from dalil.indexer.models import Release
from dalil.indexer.readers.dates import DEFAULT_YEARS, date_problem, normalize_date
from dalil.indexer.readers.paragraphs import clean, shorten
from dalil.indexer.records import release_problem
from dalil.indexer.text.language import UNDETERMINED, detect_language, normalize_language

KNOWN_FIELDS = ("id", "title", "date", "source", "language", "url", "category")
TEXT_FIELD = "text"
DETECT_CHARS = 1000  # characters of title + text used to detect a missing language


def release_from_record(
    record: Mapping[str, Any],
    *,
    paragraphs: Sequence[str],
    default_id: str,
    origin: str,
    years: tuple[int, int] = DEFAULT_YEARS,
) -> Release:
    """Build a release from ``record``'s fields and the already split ``paragraphs``.

    Raises SourceError (origin, reason) when there is no text or a known field is not a
    string or number, or the record cannot be stored.
    """
    if not paragraphs:
        raise SourceError(origin, "no text")
    values = {name: _scalar(record.get(name), name, origin) for name in KNOWN_FIELDS}
    metadata = {
        str(key): value
        for key, value in record.items()
        if key not in KNOWN_FIELDS and key != TEXT_FIELD
    }
    problem = release_problem(values, paragraphs, metadata)
    if problem is not None:
        raise SourceError(origin, str(problem))
    date = normalize_date(values["date"], years) if values["date"] else None
    if values["date"] and date is None:
        metadata["date_raw"] = values["date"]
        metadata["date_note"] = date_problem(values["date"], years)
    title = values["title"] or shorten(paragraphs[0])
    language = normalize_language(values["language"])
    if values["language"] and language is None:
        metadata["language_raw"] = values["language"]
    if language is None:
        language = detect_language(f"{title}\n{' '.join(paragraphs)[:DETECT_CHARS]}")
    return Release(
        id=values["id"] or default_id,
        title=title,
        paragraphs=tuple(paragraphs),
        origin=origin,
        date=date,
        source=values["source"],
        language=None if language == UNDETERMINED else language,
        url=values["url"],
        category=values["category"],
        metadata=metadata,
    )


def _scalar(value: Any, name: str, origin: str) -> str | None:
    """A known field as cleaned text; None when absent or blank."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        kind = "true/false" if isinstance(value, bool) else type(value).__name__
        raise SourceError(origin, f"field {name!r} must be a string, not {kind}")
    return clean(str(value)) or None
