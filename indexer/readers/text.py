"""Plain-text (.txt) and Markdown (.md) press releases.

Front matter (see :mod:`dalil.indexer.readers.frontmatter`) may give the title and the other fields.
Without a title there, the first non-empty line is the title when it looks like a heading (a
Markdown heading, or at most :data:`HEADING_CHARS` characters not ending in a full stop, with
more text after it); it is then not repeated as a paragraph. Otherwise the first line stays a
paragraph and the title is that paragraph, shortened. Paragraphs are separated by blank lines,
or by line breaks in a text that has no blank lines. Markdown is reduced to plain text:
heading markers, emphasis markers, list bullets and link targets go.
"""

from __future__ import annotations

import re
from pathlib import Path

from dalil.indexer.errors import SourceError
from dalil.indexer.models import Release
from dalil.indexer.readers.dates import DEFAULT_YEARS
from dalil.indexer.readers.decode import decode_text, read_bytes
from dalil.indexer.readers.fields import release_from_record
from dalil.indexer.readers.frontmatter import split_front_matter
from dalil.indexer.readers.ids import path_id
from dalil.indexer.readers.paragraphs import clean, normalize_newlines, text_paragraphs

HEADING_CHARS = 200

_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_MD_BULLET = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+", re.MULTILINE)
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
_HAS_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_FULL_STOPS = (".", "۔")


def read_text_file(path: Path, root: Path, *, years: tuple[int, int] = DEFAULT_YEARS) -> Release:
    """A .txt press release. Raises SourceError or OSError."""
    return _read(path, root, markdown=False, years=years)


def read_markdown_file(
    path: Path, root: Path, *, years: tuple[int, int] = DEFAULT_YEARS
) -> Release:
    """A .md press release. Raises SourceError or OSError."""
    return _read(path, root, markdown=True, years=years)


def _read(path: Path, root: Path, *, markdown: bool, years: tuple[int, int]) -> Release:
    origin = str(path)
    text = normalize_newlines(decode_text(read_bytes(path), origin))
    fields, body = split_front_matter(text)
    given_title = fields.get("title")
    body = body.strip()
    if not body:
        raise SourceError(origin, "no text after the front matter")
    if isinstance(given_title, str) and given_title.strip():
        title: str | None = clean(given_title)
        paragraphs = _paragraphs(body, markdown=markdown)
        if len(paragraphs) > 1 and paragraphs[0] == title:
            paragraphs = paragraphs[1:]
    else:
        title, paragraphs = _title_from_first_line(body, markdown=markdown)
    record = {**fields, "title": title}
    return release_from_record(
        record,
        paragraphs=paragraphs,
        default_id=path_id(path, root),
        origin=origin,
        years=years,
    )


def _title_from_first_line(body: str, *, markdown: bool) -> tuple[str | None, list[str]]:
    """(title, paragraphs); title None means "use the first paragraph, shortened"."""
    first, _, rest = body.partition("\n")
    heading = _MD_HEADING.match(first) if markdown else None
    first_text = clean(_plain_markdown(first, separate_headings=False) if markdown else first)
    rest_paragraphs = _paragraphs(rest, markdown=markdown)
    looks_like_heading = heading is not None or not first_text.endswith(_FULL_STOPS)
    if rest_paragraphs and len(first_text) <= HEADING_CHARS and looks_like_heading:
        return first_text, rest_paragraphs
    return None, _paragraphs(body, markdown=markdown)


def _paragraphs(text: str, *, markdown: bool) -> list[str]:
    if markdown:
        text = _plain_markdown(text, separate_headings=bool(_HAS_BLANK_LINE.search(text)))
    return text_paragraphs(text)


def _plain_markdown(text: str, *, separate_headings: bool) -> str:
    """Markdown as plain text. With ``separate_headings`` a heading becomes a block of its own
    even when no blank line follows it."""
    heading = r"\n\n\1\n\n" if separate_headings else r"\1"
    text = _MD_HEADING.sub(heading, text)
    text = _MD_BULLET.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    return _MD_EMPHASIS.sub(r"\2", text)
