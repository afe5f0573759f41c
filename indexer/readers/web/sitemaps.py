"""Sitemaps (urlset) and sitemap indexes (sitemapindex), gzipped or not, with ``lastmod``."""

from __future__ import annotations

import gzip
import zlib
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from dalil.indexer.readers.web.fetch import FetchError

SITEMAP_TYPES = "application/xml, text/xml;q=0.9, */*;q=0.5"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


def parse_sitemap(body: bytes, url: str, final_url: str, max_bytes: int) -> dict[str, Any]:
    """``{"sitemaps": [url, ...], "urls": [[url, lastmod or None], ...]}``. Raises
    FetchError for a body that is not a sitemap."""
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body, url, max_bytes)
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise FetchError(url, f"not a sitemap (not XML: {exc})") from None
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise FetchError(url, f"not a sitemap (root element <{kind}>)")
    found: dict[str, Any] = {"sitemaps": [], "urls": []}
    for item in root:
        if not isinstance(item.tag, str):
            continue
        loc = _child(item, "loc")
        if not loc:
            continue
        absolute = urljoin(final_url, loc)
        if kind == "sitemapindex":
            found["sitemaps"].append(absolute)
        else:
            found["urls"].append([absolute, _child(item, "lastmod")])
    return found


def _child(item: Any, name: str) -> str | None:
    for child in item:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip() or None
    return None


def _gunzip(body: bytes, url: str, max_bytes: int) -> bytes:
    unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = unpack.decompress(body, max_bytes + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise FetchError(url, f"not a gzipped sitemap ({exc})") from None
    if len(data) > max_bytes:
        raise FetchError(url, f"too large once unzipped (the limit is {max_bytes:,} bytes)")
    return data
