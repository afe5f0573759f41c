"""Arabic-aware highlighting: the surface words of a paragraph whose normalised stems match
a query term are wrapped in ``<mark>``; everything else is HTML-escaped.

Matching goes through :mod:`indexer.analysis` (the keyword index's own normalisation,
Snowball stemming and light forms), so a word is marked when the keyword side would have
matched it, by its stem or by its light form (بحرين marks البحرين though Snowball stems
them apart). Because
Snowball's Arabic stemmer does not strip every clitic the same way (المدرسة, والمدرسة and
مدرسة get three different stems), each Arabic word is also compared after removing its
proclitics (و/ف, then ب/ك/ل, then ال or لل): a word matches when any of its forms, or their
stems, is one of the query's.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import lru_cache

from whoosh.analysis import Analyzer

from dalil.indexer.text.analysis import (
    STOP_WORDS,
    ScriptStemFilter,
    light_form,
    script_of,
    whoosh_analyzer,
)

MARK_OPEN = "<mark>"
MARK_CLOSE = "</mark>"
_CONJUNCTIONS = ("و", "ف")
_PREPOSITIONS = ("ب", "ك", "ل")
_MIN_ARABIC = 2  # letters left after stripping a clitic
KEYS_CACHE = 65_536  # words whose match keys a highlighter keeps


def arabic_forms(word: str) -> set[str]:
    """A normalised Arabic word and its forms without proclitics: وبالمدرسه → {وبالمدرسه,
    بالمدرسه, المدرسه, مدرسه}. Forms shorter than two letters are not produced."""
    forms = {word}
    frontier = {word}
    for prefixes in (_CONJUNCTIONS, _PREPOSITIONS):
        stripped = {
            w[len(p) :]
            for w in frontier
            for p in prefixes
            if w.startswith(p) and len(w) - len(p) >= _MIN_ARABIC + 1
        }
        forms |= stripped
        frontier = frontier | stripped
    articles = set()
    for w in frontier:
        # ال, or لل (ل + ال with the alef dropped)
        if w.startswith(("ال", "لل")) and len(w) - 2 >= _MIN_ARABIC:
            articles.add(w[2:])
    return forms | articles


class Highlighter:
    """Marks query terms in paragraph text. Holds its own analyzer and stem cache (create one
    per searcher; cheap and thread-safe for reading)."""

    def __init__(self, analyzer: Analyzer | None = None) -> None:
        # Tokenize + normalise only; stemming is done here on every clitic-free form.
        if analyzer is None:
            analyzer = whoosh_analyzer(stop=False, stem=False)
        self._analyzer = analyzer
        self._stemmer = ScriptStemFilter()
        # a page marks a few thousand words, most of them seen on earlier pages
        self.keys = lru_cache(maxsize=KEYS_CACHE)(self._keys)

    def _keys(self, word: str) -> frozenset[str]:
        """Every form a normalised word can match by: itself, its stem, and for Arabic its
        proclitic-free forms and their stems."""
        forms = arabic_forms(word) | {light_form(word)} if script_of(word) == "arabic" else {word}
        return frozenset(forms | {self._stemmer.stem(f) for f in forms})

    def query_keys(self, query: str) -> frozenset[str]:
        """The match keys of a query's words (stop words dropped, like the keyword search)."""
        keys: set[str] = set()
        for token in self._analyzer(query, mode="query"):
            if token.text not in STOP_WORDS:
                keys |= self.keys(token.text)
        return frozenset(keys)

    def spans(self, text: str, keys: Iterable[str]) -> list[tuple[int, int]]:
        """Character spans ``[start, end)`` of the surface words of ``text`` that match
        ``keys``, in order, non-overlapping."""
        wanted = frozenset(keys)
        if not wanted or not text:
            return []
        spans: list[tuple[int, int]] = []
        for token in self._analyzer(text, mode="index", chars=True):
            start, end = token.startchar, token.endchar
            if spans and start < spans[-1][1]:
                continue  # one surface word normalised into several tokens
            if token.text in STOP_WORDS and token.text not in wanted:
                continue
            if self.keys(token.text) & wanted:
                spans.append((start, end))
        return spans

    def highlight(self, text: str, keys: Iterable[str]) -> str:
        """``text`` as escaped HTML with ``<mark>`` around every matching surface word."""
        return mark_spans(text, self.spans(text, keys))


def mark_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Escape ``text`` for HTML and wrap each span in ``<mark>``. Spans must be in order and
    not overlap; out-of-range parts are clipped."""
    out: list[str] = []
    cursor = 0
    for start, end in spans:
        start, end = max(start, cursor), min(end, len(text))
        if start >= end:
            continue
        out.append(html.escape(text[cursor:start]))
        out.append(MARK_OPEN + html.escape(text[start:end]) + MARK_CLOSE)
        cursor = end
    out.append(html.escape(text[cursor:]))
    return "".join(out)
