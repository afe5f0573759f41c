"""Every search as an Atom feed: ``/search.atom?q=…`` with the filters of the search page and
``/api/search`` (mode, alpha, date_from, date_to, source, language, category). Its entries
are the newest of the search's best matches, newest first, each linking to the release
page; feed readers poll it to follow a subject. The results page links it
(``<link rel="alternate" type="application/atom+xml">``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from dalil.search import Hit
from dalil.web.server import convert
from dalil.web.server.api import ERRORS
from dalil.web.server.deps import SearcherDep, SlotsDep
from dalil.web.server.schemas import MAX_K, SearchRequest

router = APIRouter(include_in_schema=True, tags=["search"])

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
FEED_ENTRIES = 20  # entries in a feed: the newest of the MAX_K best matches
FEED_PARAMS = ("q", "mode", "alpha", "date_from", "date_to", "source", "language", "category")


def feed_href(params: dict[str, str]) -> str:
    """The feed's path and query for a search's parameters (others are dropped)."""
    return "/search.atom?" + urlencode({k: v for k, v in params.items() if k in FEED_PARAMS})


@router.get(
    "/search.atom",
    summary="A search as an Atom feed",
    response_class=Response,
    responses={
        200: {"content": {ATOM_TYPE: {}}, "description": "An Atom 1.0 feed."},
        # the errors of a search (an empty query is a 400, as on /api/search)
        **{code: ERRORS[code] for code in (400, 422, 503)},
    },
)
def search_feed(
    request: Request,
    params: Annotated[SearchRequest, Query()],
    searcher: SearcherDep,
    slots: SlotsDep,
) -> Response:
    """The newest releases among the best matches of the search, as Atom 1.0."""
    req = params.model_copy(update={"k": MAX_K, "offset": 0})
    with slots.take():  # a feed costs a search: it queues with the API's
        resp = searcher.search(convert.to_query(req))
    # an undated release is as new as its indexing
    stamps = {
        h.release_id: _timestamp(h.date)
        if h.date
        else searcher.get_release(h.release_id).indexed_at
        for h in resp.hits
    }
    hits = sorted(resp.hits, key=lambda h: stamps[h.release_id], reverse=True)[:FEED_ENTRIES]
    base = str(request.base_url).rstrip("/")
    query = {k: str(v) for k, v in req.model_dump(exclude_none=True).items() if k in FEED_PARAMS}
    body = atom_feed(hits, stamps, query, base)
    return Response(body, media_type=f"{ATOM_TYPE}; charset=utf-8")


def atom_feed(hits: list[Hit], stamps: dict[str, str], query: dict[str, str], base: str) -> bytes:
    """Atom 1.0 (RFC 4287) of ``hits`` (``stamps``: release id -> RFC 3339 time) for the
    search ``query``."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    self_url = base + feed_href(query)
    page_url = base + "/?" + urlencode({k: v for k, v in query.items() if k != "alpha"})
    _text(feed, "id", self_url)
    _text(feed, "title", f"dalil: {query['q']}")
    updated = max((stamps[h.release_id] for h in hits), default=_now())
    _text(feed, "updated", updated)
    _link(feed, "self", self_url, ATOM_TYPE)
    _link(feed, "alternate", page_url, "text/html")
    author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
    _text(author, "name", "dalil")
    _text(feed, "generator", "dalil")
    for hit in hits:
        entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        page = f"{base}/release/{quote(hit.release_id, safe='/')}"
        _text(entry, "id", page)
        title = _text(entry, "title", hit.title)
        if hit.language:
            title.set("{http://www.w3.org/XML/1998/namespace}lang", hit.language)
        _text(entry, "updated", stamps[hit.release_id])
        if hit.date:
            _text(entry, "published", _timestamp(hit.date))
        _link(entry, "alternate", page, "text/html")
        if hit.url:
            _link(entry, "via", hit.url, None)
        if hit.source:
            _text(ET.SubElement(entry, f"{{{ATOM_NS}}}author"), "name", hit.source)
        if hit.category:
            ET.SubElement(entry, f"{{{ATOM_NS}}}category", term=hit.category)
        summary = " … ".join(s.text for s in hit.snippets)
        if summary:
            _text(entry, "summary", summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}")
    element.text = value
    return element


def _link(parent: ET.Element, rel: str, href: str, kind: str | None) -> None:
    attrs: dict[str, Any] = {"rel": rel, "href": href}
    if kind:
        attrs["type"] = kind
    ET.SubElement(parent, f"{{{ATOM_NS}}}link", attrs)


def _timestamp(date: str) -> str:
    """An RFC 3339 timestamp for a release date (midnight UTC)."""
    return f"{date}T00:00:00Z"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
