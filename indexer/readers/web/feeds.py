"""RSS 2.0, RSS 1.0 and Atom feeds (feedparser) -> the releases they link to."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urljoin

import feedparser

from dalil.indexer.readers.web.fetch import FetchError

FEED_TYPES = (
    "application/atom+xml, application/rss+xml, application/rdf+xml, application/xml;q=0.9, "
    "*/*;q=0.5"
)
FULL_TEXT_CHARS = 400  # entry content at least this long (as text) is the release's text


def feed_entries(body: bytes, url: str, final_url: str) -> list[dict[str, Any]]:
    """The entries of a feed, newest first as the feed lists them: ``url`` (absolute),
    ``title``, ``date`` (ISO) and ``content`` (HTML of the full text when the feed carries
    it, else empty). Raises FetchError for a body that is not a feed."""
    parsed = feedparser.parse(body, response_headers={"content-location": final_url})
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        why = f": {str(problem).splitlines()[0][:160]}" if problem else ""
        raise FetchError(url, f"not an RSS or Atom feed (no entries{why})")
    out = []
    for entry in parsed.entries:
        link = entry.get("link") or _alternate(entry)
        if not link:
            continue
        out.append(
            {
                "url": urljoin(final_url, link),
                "title": entry.get("title", ""),
                "date": _date(entry),
                "content": _full_text(entry),
            }
        )
    return out


def _alternate(entry: Any) -> str | None:
    for link in entry.get("links", ()):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _date(entry: Any) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return time.strftime("%Y-%m-%d", parsed) if parsed else None


def _full_text(entry: Any) -> str:
    """``content:encoded`` / Atom ``content`` when it is long enough to be the release."""
    for content in entry.get("content", ()):
        value = str(content.get("value", ""))
        if len(_plain(value)) >= FULL_TEXT_CHARS:
            return value
    return ""


def _plain(html: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "lxml").get_text(" ", strip=True) if html.strip() else ""
