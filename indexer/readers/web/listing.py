"""A listing page (a press room's index of releases): its links that match a pattern."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

import lxml.html
from lxml import etree

from dalil.indexer.readers.web.fetch import FetchError


def listing_links(body: bytes, url: str, final_url: str, pattern: str) -> list[str]:
    """Absolute URLs of the page's links whose URL matches ``pattern`` (``re.search``), in
    page order, each once. Raises FetchError for a page that cannot be parsed."""
    try:
        document = lxml.html.fromstring(body)
    except (etree.ParserError, ValueError) as exc:
        raise FetchError(url, f"cannot parse the listing page ({exc})") from None
    wanted = re.compile(pattern)
    seen: list[str] = []
    for element in document.iter("a"):
        href = element.get("href")
        if not href:
            continue
        link = urldefrag(urljoin(final_url, href.strip())).url
        if link.startswith(("http://", "https://")) and wanted.search(link) and link not in seen:
            seen.append(link)
    return seen
