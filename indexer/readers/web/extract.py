"""A release page's article (trafilatura): title, date, language, canonical URL and the main
text without navigation, footers or share buttons. Pages in UTF-8 or in the encoding their
HTTP header or ``<meta charset>`` names (e.g. windows-1256), else as charset-normalizer
guesses."""

from __future__ import annotations

import codecs
from typing import Any
from urllib.parse import urldefrag, urljoin

import lxml.html
import trafilatura
from charset_normalizer import from_bytes
from lxml import etree

from dalil.indexer.errors import SourceError
from dalil.indexer.readers.decode import decode_html
from dalil.indexer.readers.paragraphs import clean
from dalil.indexer.readers.web.fetch import FetchError

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Less than this is navigation or a stub, not a press release.
MIN_ARTICLE_CHARS = 100
PAGE_TYPES = "text/html, application/xhtml+xml;q=0.9"


def page_text(body: bytes, url: str, charset: str | None) -> str:
    """The page as text: the HTTP charset, else UTF-8 or the declared encoding, else a
    guess. Raises FetchError when nothing decodes it."""
    if charset:
        try:
            return body.decode(codecs.lookup(charset).name)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return decode_html(body, url)
    except SourceError:
        best = from_bytes(body).best()
        if best is None:
            raise FetchError(url, "the page's text encoding cannot be read") from None
        return str(best)


def extract_page(
    body: bytes, url: str, final_url: str, content_type: str, charset: str | None
) -> dict[str, Any]:
    """The release record of a page (JSON-able: id, url, title, date, language,
    paragraphs). Raises FetchError for a page that is not HTML or has no article text."""
    if content_type and content_type not in HTML_TYPES:
        raise FetchError(url, f"not HTML (Content-Type: {content_type})")
    html = page_text(body, url, charset)
    document = trafilatura.bare_extraction(
        html,
        url=final_url,
        with_metadata=True,
        include_comments=False,
        include_images=False,
        favor_precision=True,
    )
    text = getattr(document, "text", None) if document is not None else None
    if not text or len(text.strip()) < MIN_ARTICLE_CHARS:
        found = len(text.strip()) if text else 0
        raise FetchError(url, f"no article text found on the page ({found} characters)")
    title = clean(getattr(document, "title", None) or "") or None
    paragraphs = [p for p in (clean(line) for line in text.splitlines()) if p]
    if title and len(paragraphs) > 1 and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    canonical = _canonical(html, final_url)
    return {
        "id": canonical,
        "url": canonical,
        "title": title,
        "date": getattr(document, "date", None),
        "language": _html_lang(html),
        "paragraphs": paragraphs,
    }


def entry_record(entry: dict[str, Any], url: str) -> dict[str, Any]:
    """The release record of a feed entry that carries the full text."""
    try:
        root = lxml.html.fromstring(entry["content"])
    except (etree.ParserError, ValueError):
        raise FetchError(url, "the feed entry's content cannot be parsed") from None
    blocks = [clean(el.text_content()) for el in root.iter("p", "li", "h2", "h3", "blockquote")]
    paragraphs = [b for b in blocks if b] or [clean(root.text_content())]
    return {
        "id": url,
        "url": url,
        "title": entry.get("title") or None,
        "date": entry.get("date"),
        "language": None,
        "paragraphs": [p for p in paragraphs if p],
    }


def _canonical(html: str, final_url: str) -> str:
    """``<link rel=canonical>`` when it names an http(s) URL, else the URL fetched (after
    redirects); without its #fragment. This is the release's id."""
    try:
        root = lxml.html.fromstring(html)
        hrefs = root.xpath("//link[@rel='canonical']/@href")
    except (etree.ParserError, ValueError):
        hrefs = []
    for href in hrefs:
        absolute = urljoin(final_url, str(href).strip())
        if absolute.startswith(("http://", "https://")):
            return urldefrag(absolute).url
    return urldefrag(final_url).url


def _html_lang(html: str) -> str | None:
    try:
        root = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    return lang.strip() if lang and lang.strip() else None
