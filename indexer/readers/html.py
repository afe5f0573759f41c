"""HTML press releases (.html, .htm), parsed with BeautifulSoup + lxml.

Title: the first ``<h1>`` of the main content, else ``<title>``, else ``og:title``, else the
first paragraph shortened. Scripts, styles, navigation, page headers and footers, asides and
forms are dropped; the text comes from ``<main>`` or ``<article>`` when present, else from the
body. Every block element (p, li, h2-h6, blockquote, pre, td, div with text of its own, ...)
gives a paragraph; two ``<br>`` in a row also end one. Date, language, URL, source, category,
description, keywords and author come from ``<html lang>``, ``<meta>``, ``<link
rel=canonical>`` and ``<time datetime>`` when present.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, Tag
from bs4 import ProcessingInstruction as Instruction
from bs4.exceptions import ParserRejectedMarkup

from dalil.indexer.errors import SourceError
from dalil.indexer.models import Release
from dalil.indexer.readers.dates import DEFAULT_YEARS
from dalil.indexer.readers.decode import decode_html, read_bytes
from dalil.indexer.readers.fields import release_from_record
from dalil.indexer.readers.ids import path_id
from dalil.indexer.readers.paragraphs import clean

DROPPED = (  # noqa: SIM905 - a word list reads best as words
    "script style noscript template nav header footer aside form button iframe svg canvas "
    "object embed select option head"
).split()
BLOCKS = frozenset(
    (  # noqa: SIM905
        "address article blockquote body caption center dd details dialog div dl dt fieldset "
        "figcaption figure h1 h2 h3 h4 h5 h6 hgroup hr html li main ol p pre section summary "
        "table tbody td tfoot th thead tr ul"
    ).split()
)
_SKIPPED_STRINGS = (Comment, Declaration, Doctype, Instruction)
_LINE_BREAK = "\u2028"  # stands for <br> until paragraphs are cut
_DOUBLE_BREAK = re.compile(r"\u2028\s*\u2028")

# <meta> keys (name / property / itemprop / http-equiv, lower-cased), first found wins.
_META_KEYS = {
    "date": (
        "article:published_time",
        "datepublished",
        "date",
        "dc.date",
        "dc.date.issued",
        "dcterms.date",
        "dcterms.created",
        "dcterms.issued",
        "pubdate",
        "publishdate",
        "publish-date",
        "og:published_time",
        "parsely-pub-date",
        "sailthru.date",
    ),
    "language": ("content-language", "language", "dc.language", "og:locale"),
    "url": ("og:url",),
    "source": ("og:site_name", "publisher", "dc.publisher"),
    "category": ("article:section", "category"),
    "description": ("description", "og:description", "dc.description"),
    "keywords": ("keywords", "news_keywords"),
    "author": ("author", "article:author", "dc.creator"),
}


def read_html_file(path: Path, root: Path, *, years: tuple[int, int] = DEFAULT_YEARS) -> Release:
    """An HTML press release. Raises SourceError or OSError."""
    origin = str(path)
    text = decode_html(read_bytes(path), origin)
    try:
        soup = BeautifulSoup(text, "lxml")
    except (ParserRejectedMarkup, ValueError) as exc:
        raise SourceError(origin, f"cannot parse HTML: {exc}") from None
    record = _page_fields(soup)
    region = _main_region(soup)
    title = _title(soup, region)
    for tag in soup.find_all(DROPPED):
        if not tag.decomposed:
            tag.decompose()
    paragraphs = list(_block_texts(region))
    if title and len(paragraphs) > 1 and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    if not paragraphs:
        raise SourceError(origin, "no text in the HTML body")
    record["title"] = title
    return release_from_record(
        record,
        paragraphs=paragraphs,
        default_id=path_id(path, root),
        origin=origin,
        years=years,
    )


def _main_region(soup: BeautifulSoup) -> Tag:
    for name in ("main", "article", "body"):
        found = soup.find(name)
        if isinstance(found, Tag):
            return found
    return soup


def _text(tag: Any) -> str:
    return clean(tag.get_text(" ")) if isinstance(tag, Tag) else ""


def _title(soup: BeautifulSoup, region: Tag) -> str | None:
    og_title = soup.find("meta", attrs={"property": "og:title"})
    candidates = (
        _text(region.find("h1")),
        _text(soup.title),
        clean(str(og_title.get("content") or "")) if isinstance(og_title, Tag) else "",
        _text(soup.find("h1")),
    )
    return next((c for c in candidates if c), None)


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("property") or tag.get("name") or tag.get("itemprop")
        key = key or tag.get("http-equiv")
        content = tag.get("content")
        if isinstance(key, str) and isinstance(content, str) and content.strip():
            found.setdefault(key.strip().lower(), content.strip())
    return found


def _page_fields(soup: BeautifulSoup) -> dict[str, Any]:
    meta = _meta(soup)
    record: dict[str, Any] = {}
    for field, keys in _META_KEYS.items():
        value = next((meta[k] for k in keys if k in meta), None)
        if value:
            record[field] = value
    html = soup.find("html")
    lang = html.get("lang") if isinstance(html, Tag) else None
    if isinstance(lang, str) and lang.strip():
        record["language"] = lang
    canonical = soup.find("link", rel="canonical")
    href = canonical.get("href") if isinstance(canonical, Tag) else None
    if isinstance(href, str) and href.strip():
        record["url"] = href
    if "date" not in record:
        time = soup.find("time", datetime=True)
        if isinstance(time, Tag) and isinstance(time.get("datetime"), str):
            record["date"] = time["datetime"]
    return record


class _Flush:
    """Marker on the walk stack: the block element opened here ends."""


_FLUSH = _Flush()


def _block_texts(region: Tag) -> Iterator[str]:
    """Texts of the block elements under ``region``, in document order (iterative walk, so
    deeply nested pages cannot exhaust the stack)."""
    buffer: list[str] = []
    stack: list[Any] = [region]
    while stack:
        node = stack.pop()
        if node is _FLUSH or (isinstance(node, Tag) and node.name in BLOCKS):
            yield from _cut(buffer)
            buffer.clear()
            if node is _FLUSH:
                continue
            stack.append(_FLUSH)
        if isinstance(node, NavigableString):
            if not isinstance(node, _SKIPPED_STRINGS):
                buffer.append(str(node))
        elif isinstance(node, Tag):
            if node.name == "br":
                buffer.append(_LINE_BREAK)
            else:
                stack.extend(reversed(node.contents))
    yield from _cut(buffer)


def _cut(buffer: list[str]) -> Iterator[str]:
    for part in _DOUBLE_BREAK.split("".join(buffer)):
        text = clean(part)
        if text:
            yield text
