"""The keyword index's fields: its Whoosh schema, how a paragraph is written into them, and
how filters read them.

Text and title are indexed twice: by Snowball stems (recall) and by light forms (the query's
own word ranks above its stem-mates: :func:`build_schema`). ``source``, ``language`` and
``category`` are stored lower-cased and matched case-insensitively; ``date`` is ISO
``YYYY-MM-DD``, compared as text, range inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.analysis import Analyzer
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from dalil.indexer.models import VALUE_FILTERS, Filters, StoredParagraph
from dalil.indexer.store.keyword_scoring import docs_matching
from dalil.indexer.text.analysis import whoosh_analyzer

FIELDS = ("pid", "release_id", "text", "title", "date", "source", "language", "category")
_KEYWORD_FIELDS = VALUE_FILTERS
LIGHT_FIELDS = {"text": "text_light", "title": "title_light"}


def build_schema(analyzer: Analyzer | None = None, *, light: bool = True) -> Schema:
    """The keyword index schema. ``analyzer`` defaults to ``whoosh_analyzer(stop="query")``
    (stop words kept in the index, dropped from queries); other analyzers are for benchmarks.

    ``light``: also index text and title by their light forms (``text_light``,
    ``title_light``; :func:`~indexer.analysis.light_form`, proclitics dropped, no
    stemming). A query term matching there too scores for both fields, so the paragraph
    with the query's own word (البحرين) ranks above one that only shares its Snowball stem
    (البحري), while the stem field keeps the recall of stemming."""
    analyzer = analyzer if analyzer is not None else whoosh_analyzer(stop="query")
    extra = {}
    if light:
        light_analyzer = whoosh_analyzer(stop="query", stem="light")
        extra = {
            name: TEXT(analyzer=light_analyzer, phrase=False) for name in LIGHT_FIELDS.values()
        }
    return Schema(
        **extra,
        pid=NUMERIC(numtype=int, bits=64, signed=True, stored=True, unique=True, sortable=True),
        release_id=ID(stored=True),
        # positions: quoted phrases are matched with them (an index built before they were
        # stored falls back to checking the stored text: :meth:`KeywordStore.phrase_releases`)
        text=TEXT(analyzer=analyzer, phrase=True),
        title=TEXT(analyzer=analyzer, phrase=True),
        date=ID(),
        source=ID(),
        language=ID(),
        category=ID(),
    )


def _keyword(value: str) -> str:
    return value.strip().lower()


def filter_mask(searcher: Searcher, filters: Filters) -> np.ndarray:
    """Boolean mask over ``searcher``'s document numbers selecting the paragraphs that pass
    ``filters``. Read from the filter fields' postings: a date range is the union of the
    dates in it, so any range costs about the same."""
    mask = np.ones(searcher.doc_count_all(), dtype=bool)
    if filters.date_from or filters.date_to:
        low, high = filters.date_from or "", filters.date_to or "\uffff"
        mask &= docs_matching(searcher, "date", lambda date: low <= date <= high)
    for name in _KEYWORD_FIELDS:
        value = getattr(filters, name)
        if value:
            mask &= docs_matching(searcher, name, _keyword(value))
    if filters.releases is not None:
        mask &= docs_matching(searcher, "release_id", filters.releases)
    if filters.without:
        mask &= ~docs_matching(searcher, "release_id", filters.without)
    return mask


class KeywordWriter:
    """Adds and deletes paragraphs inside one Whoosh write transaction."""

    def __init__(self, writer: IndexWriter) -> None:
        self._w = writer
        self._light = all(name in writer.schema for name in LIGHT_FIELDS.values())

    def add(self, paragraphs: Iterable[StoredParagraph]) -> int:
        """Index paragraphs (their ids must not be in the index yet). Returns how many."""
        count = 0
        for p in paragraphs:
            doc: dict[str, Any] = {
                "pid": int(p.id),
                "release_id": p.release_id,
                "text": p.text,
                "title": p.title or "",
            }
            if self._light:
                doc |= {LIGHT_FIELDS[name]: doc[name] for name in LIGHT_FIELDS}
            if p.date:
                doc["date"] = p.date.strip()
            for name in _KEYWORD_FIELDS:
                value = getattr(p, name)
                if value:
                    doc[name] = _keyword(value)
            self._w.add_document(**doc)
            count += 1
        return count

    def delete_ids(self, ids: Iterable[int]) -> int:
        """Delete paragraphs by id (unknown ids are ignored). Returns how many were deleted."""
        deleted = 0
        with self._w.searcher() as searcher:
            for pid in ids:
                for docnum in searcher.docs_for_query(wq.Term("pid", int(pid))):
                    self._w.delete_document(docnum)
                    deleted += 1
        return deleted

    def delete_release(self, release_id: str) -> int:
        """Delete every paragraph of a release. Returns how many were deleted."""
        return self._w.delete_by_term("release_id", release_id)
