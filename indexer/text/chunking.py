"""Split a release into index paragraphs.

A release's own paragraphs are the starting point. Fragments shorter than ``min_chars`` merge
into the following one (the last into the previous one); fragments longer than ``max_chars``
split at sentence boundaries (Arabic and Latin punctuation, line breaks), packing whole
sentences up to ``max_chars``. A sentence longer than ``max_chars`` splits between words, and
only a word longer than ``max_chars`` is ever cut. Pieces are exact slices of the fragment
text, so nothing is rewritten. ``max_chars`` is a hard limit, ``min_chars`` a best effort: a
release shorter than ``min_chars`` still gives one paragraph.
"""

from __future__ import annotations

import re

from dalil.indexer.models import Paragraph, Release

Span = tuple[int, int]

# A sentence ends after terminal punctuation (with any closing quotes or brackets) followed by
# whitespace, or at a line break. ؟ Arabic question mark, ؛ Arabic semicolon, ۔ Urdu full stop.
_SENTENCE_END = re.compile(r"""[.!?؟؛…۔]+["'»”’)\]]*(?=\s)|\n""")
_WORD = re.compile(r"\S+")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_LINE_BREAKS = re.compile(r"\s*\n\s*")
_NEEDS_CLEANING = re.compile(r"\s\s|[^\S ]")  # two spaces in a row, or a tab, line break, ...


def split_release(release: Release, *, max_chars: int, min_chars: int) -> list[Paragraph]:
    """The release's index paragraphs, positions 0..n-1 in reading order; none is empty and
    none is longer than ``max_chars``. Raises ValueError for impossible limits."""
    _check_limits(max_chars, min_chars)
    fragments = [text for text in (_clean(p) for p in release.paragraphs) if text]
    pieces = [
        piece
        for fragment in _merge_short(fragments, min_chars)
        for piece in split_text(fragment, max_chars=max_chars, min_chars=min_chars)
    ]
    return [Paragraph(release.id, position, text) for position, text in enumerate(pieces)]


def split_text(text: str, *, max_chars: int, min_chars: int = 0) -> list[str]:
    """One text as pieces of at most ``max_chars``, cut at sentence boundaries where possible.
    A short last piece is merged into (or balanced with) the one before it."""
    _check_limits(max_chars, min_chars)
    text = text.strip()
    if not text:
        return []
    if len(text) <= max_chars:
        return [text]
    units: list[Span] = []
    for span in _sentence_spans(text):
        units.extend(_fit(text, span, max_chars))
    groups = _pack(units, max_chars)
    _balance_tail(groups, max_chars, min_chars)
    return [text[group[0][0] : group[-1][1]] for group in groups]


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, each stripped and keeping its closing punctuation. Boundaries:
    . ! ? ؟ ؛ … ۔ followed by whitespace, and line breaks."""
    return [text[start:end] for start, end in _sentence_spans(text)]


def _check_limits(max_chars: int, min_chars: int) -> None:
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    if min_chars < 0:
        raise ValueError(f"min_chars must not be negative, got {min_chars}")
    if min_chars > max_chars:
        raise ValueError(f"min_chars ({min_chars}) must not exceed max_chars ({max_chars})")


def _clean(text: str) -> str:
    """Runs of spaces and tabs become one space; blank lines and line-edge spaces go."""
    if not _NEEDS_CLEANING.search(text):
        return text.strip()  # the common case: a reader already cleaned it
    return _LINE_BREAKS.sub("\n", _HORIZONTAL_SPACE.sub(" ", text)).strip()


def _merge_short(fragments: list[str], min_chars: int) -> list[str]:
    merged: list[str] = []
    carry = ""
    for fragment in fragments:
        text = f"{carry}\n{fragment}" if carry else fragment
        if len(text) < min_chars:
            carry = text
        else:
            merged.append(text)
            carry = ""
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]}\n{carry}"
        else:
            merged.append(carry)
    return merged


def _stripped(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _sentence_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        span = _stripped(text, start, match.end())
        if span:
            spans.append(span)
        start = match.end()
    span = _stripped(text, start, len(text))
    if span:
        spans.append(span)
    return spans


def _fit(text: str, span: Span, max_chars: int) -> list[Span]:
    """A sentence as one unit if it fits, else its words (overlong words cut)."""
    start, end = span
    if end - start <= max_chars:
        return [span]
    units: list[Span] = []
    for word in _WORD.finditer(text, start, end):
        for cut in range(word.start(), word.end(), max_chars):
            units.append((cut, min(cut + max_chars, word.end())))
    return units


def _pack(units: list[Span], max_chars: int) -> list[list[Span]]:
    groups: list[list[Span]] = []
    current: list[Span] = []
    for unit in units:
        if current and unit[1] - current[0][0] > max_chars:
            groups.append(current)
            current = []
        current.append(unit)
    if current:
        groups.append(current)
    return groups


def _balance_tail(groups: list[list[Span]], max_chars: int, min_chars: int) -> None:
    """Merge a short last group into the previous one, or move units over to it."""
    if len(groups) < 2:
        return
    previous, last = groups[-2], groups[-1]
    if last[-1][1] - last[0][0] >= min_chars:
        return
    if last[-1][1] - previous[0][0] <= max_chars:
        groups[-2:] = [previous + last]
        return
    while (
        len(previous) > 1
        and last[-1][1] - last[0][0] < min_chars
        and last[-1][1] - previous[-1][0] <= max_chars
    ):
        last.insert(0, previous.pop())
