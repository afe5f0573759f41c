"""Plain text → paragraphs, whitespace normalisation, short titles."""

from __future__ import annotations

import re
import unicodedata

TITLE_CHARS = 120  # a title made from body text is cut at a word boundary near this length

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


def clean(text: str) -> str:
    """NFC-normalised, runs of whitespace (line breaks included) as one space, stripped."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def normalize_newlines(text: str) -> str:
    """CRLF, CR and the Unicode line/paragraph separators as ``\\n`` / ``\\n\\n``."""
    return (
        text.replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\u2029", "\n\n")
        .replace("\u2028", "\n")
    )


def text_paragraphs(text: str) -> list[str]:
    """Paragraphs of a plain text: blocks separated by blank lines (a block's lines are joined
    with spaces), or, in a text without blank lines, its lines. Empty paragraphs are dropped."""
    text = normalize_newlines(text).strip()
    blocks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    return [paragraph for paragraph in (clean(block) for block in blocks) if paragraph]


def shorten(text: str, limit: int = TITLE_CHARS) -> str:
    """``text`` (cleaned) if it fits in ``limit`` characters, else cut at the last word
    boundary before the limit with "…" appended."""
    text = clean(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:،؛-–—") + "…"
