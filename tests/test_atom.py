"""/search.atom: every search as an Atom 1.0 feed (feedparser reads it), newest first, with
the search page's filters, each entry linking to its release page; the results page names
it in <head>."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import feedparser
from fastapi.testclient import TestClient

from dalil.web.server.atom import ATOM_NS


def test_search_feed_is_valid_atom_sorted_by_date(hash_client: TestClient) -> None:
    answer = hash_client.get("/search.atom", params={"q": "NATO partnership"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "dalil: NATO partnership"
    assert feed.feed.id.startswith("http://testserver/search.atom?")
    assert feed.entries, "the search matches releases"
    dates = [e.updated for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    for entry in feed.entries:
        assert entry.link.startswith("http://testserver/release/")
        assert entry.id == entry.link and entry.title
        assert hash_client.get(entry.link.removeprefix("http://testserver")).status_code == 200
    # RFC 4287: a feed has id, title, updated; each entry id, title, updated
    root = ET.fromstring(answer.content)
    for required in ("id", "title", "updated"):
        assert root.find(f"{{{ATOM_NS}}}{required}") is not None
    for entry in root.iter(f"{{{ATOM_NS}}}entry"):
        assert all(entry.find(f"{{{ATOM_NS}}}{n}") is not None for n in ("id", "title", "updated"))


def test_search_feed_applies_the_filters(hash_client: TestClient) -> None:
    everything = feedparser.parse(hash_client.get("/search.atom", params={"q": "NATO"}).content)
    arabic = feedparser.parse(
        hash_client.get("/search.atom", params={"q": "NATO", "language": "ar"}).content
    )
    assert arabic.entries and len(arabic.entries) < len(everything.entries)
    assert all(e.title_detail.language == "ar" for e in arabic.entries)


def test_bad_feed_parameters_answer_422(hash_client: TestClient) -> None:
    answer = hash_client.get("/search.atom", params={"q": " "})
    assert answer.status_code == 422
    assert "q" in answer.text


def test_a_query_of_no_words_is_a_documented_400(hash_client: TestClient) -> None:
    # "»" passes the parameter check but holds no word to search for (found by schemathesis)
    answer = hash_client.get("/search.atom", params={"q": "»"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_query"
    documented = hash_client.get("/openapi.json").json()["paths"]["/search.atom"]["get"]
    assert {"400", "422", "503"} <= set(documented["responses"])


def test_results_page_names_its_feed(hash_client: TestClient) -> None:
    html = hash_client.get("/", params={"q": "NATO", "language": "ar"}).text
    link = re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', html)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith("/search.atom?") and "language=ar" in href and "q=NATO" in href
    assert 'class="feed-link"' in html
    assert "application/atom+xml" not in hash_client.get("/").text  # no search, no feed
