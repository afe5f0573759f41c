# ruff: noqa: E501 - feed fixtures read best on one line
"""The pure parts of web sources: feeds (RSS 2.0, RSS 1.0, Atom, full text), sitemaps
(gzipped, indexes, not XML), listing links, page extraction and decoding, Retry-After, and
the settings that configure them."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from dalil.indexer.errors import SettingsError
from dalil.indexer.readers.web.extract import extract_page, page_text
from dalil.indexer.readers.web.feeds import feed_entries
from dalil.indexer.readers.web.fetch import FetchError, _retry_after
from dalil.indexer.readers.web.listing import listing_links
from dalil.indexer.readers.web.sitemaps import parse_sitemap
from dalil.indexer.settings import SourceConfig, load_settings

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel rdf:about="http://x/"><title>Agency</title><link>http://x/</link><description>d</description></channel>
 <item rdf:about="http://x/a"><title>First</title><link>/news/a</link><dc:date>2025-02-03T10:00:00Z</dc:date></item>
</rdf:RDF>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Ministry</title><id>urn:x</id><updated>2025-01-01T00:00:00Z</updated>
 <entry><title>Short</title><id>urn:1</id><link rel="alternate" href="https://m.example/n/1"/><updated>2025-01-05T00:00:00Z</updated>
  <summary>just a teaser</summary></entry>
 <entry><title>Full</title><id>urn:2</id><link href="https://m.example/n/2"/><updated>2025-01-06T00:00:00Z</updated>
  <content type="html">&lt;p&gt;%s&lt;/p&gt;&lt;p&gt;Second paragraph of the full text.&lt;/p&gt;</content></entry>
</feed>""" % (b"The ministry announced a long programme of works. " * 10)


def test_rss1_and_atom_entries() -> None:
    [entry] = feed_entries(RSS1, "http://x/feed", "http://x/feed")
    assert entry["url"] == "http://x/news/a" and entry["date"] == "2025-02-03"
    assert entry["title"] == "First" and entry["content"] == ""
    short, full = feed_entries(ATOM, "https://m.example/atom", "https://m.example/atom")
    assert short["url"] == "https://m.example/n/1" and short["content"] == ""  # a teaser
    assert full["url"] == "https://m.example/n/2" and "long programme" in full["content"]


def test_not_a_feed() -> None:
    with pytest.raises(FetchError, match="not an RSS or Atom feed"):
        feed_entries(b"<html><body>hello", "http://x/f", "http://x/f")


def test_sitemaps() -> None:
    urlset = (
        b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        b"<url><loc>/a</loc><lastmod>2025-01-02</lastmod></url><url><loc>http://s/b</loc></url>"
        b"</urlset>"
    )
    parsed = parse_sitemap(gzip.compress(urlset), "http://s/sm.xml.gz", "http://s/sm.xml.gz", 10**6)
    assert parsed == {"sitemaps": [], "urls": [["http://s/a", "2025-01-02"], ["http://s/b", None]]}
    index = b"<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><sitemap><loc>http://s/1.xml</loc></sitemap></sitemapindex>"
    assert parse_sitemap(index, "u", "http://s/", 10**6)["sitemaps"] == ["http://s/1.xml"]
    with pytest.raises(FetchError, match="not XML"):
        parse_sitemap(b"<html><p>x", "u", "u", 10**6)
    with pytest.raises(FetchError, match="root element <rss>"):
        parse_sitemap(b"<rss/>", "u", "u", 10**6)
    with pytest.raises(FetchError, match="too large once unzipped"):
        parse_sitemap(gzip.compress(b" " * 5000 + urlset), "u", "u", 2000)


def test_listing_links_match_the_pattern_once_each() -> None:
    page = b"""<html><body><nav><a href="/">Home</a><a href="/about">About</a></nav>
    <a href="/news/1.html">One</a><a href="news/2.html#top">Two</a><a href="/news/1.html">again</a>
    <a href="mailto:x@y">mail</a></body></html>"""
    links = listing_links(page, "u", "http://s/press/", r"/news/\d+\.html$")
    assert links == ["http://s/news/1.html", "http://s/press/news/2.html"]


def test_page_decoding_and_extraction() -> None:
    arabic = "بيان صحفي عن التعاون الاقتصادي بين البلدين في مجالات الطاقة والمياه والتعليم. " * 3
    html = (
        "<html lang='ar'><head><meta charset='windows-1256'><title>بيان</title></head><body>"
        f"<nav>الرئيسية</nav><article><h1>بيان</h1><p>{arabic}</p></article></body></html>"
    )
    data = html.encode("windows-1256")
    assert arabic in page_text(data, "u", None)  # the declared encoding
    assert arabic in page_text(data, "u", "windows-1256")  # the HTTP header's
    record = extract_page(data, "u", "http://s/x?utm=1#p", "text/html", None)
    assert record["id"] == "http://s/x?utm=1" and record["language"] == "ar"
    assert record["title"] == "بيان" and arabic.strip() in " ".join(record["paragraphs"])
    with pytest.raises(FetchError, match="not HTML"):
        extract_page(b"%PDF", "u", "u", "application/pdf", None)
    with pytest.raises(FetchError, match="no article text"):
        extract_page(b"<html><body><nav>Home</nav></body></html>", "u", "u", "text/html", None)


def test_retry_after() -> None:
    assert _retry_after("7") == 7.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert _retry_after("soon") is None and _retry_after(None) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "give exactly one of path, feed, sitemap, pages"),
        ({"path": "a", "feed": "http://x/f"}, "got path, feed"),
        ({"feed": "ftp://x/f"}, "http:// or https:// URL"),
        ({"pages": "http://x/"}, "needs `links`"),
        ({"feed": "http://x/f", "delete_missing": True}, "lists every release"),
        ({"sitemap": "http://x/s", "include": "("}, "not a regular expression"),
    ],
)
def test_source_settings_are_checked(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SourceConfig.model_validate(fields)


def test_settings_file_errors_name_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "dalil.toml"
    config.write_text(
        '[[sources]]\nsitemap = "https://agency.example/sitemap.xml"\n\n'
        '[[alerts]]\nname = "x"\nquery = "q"\nwebhook = "hook"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("DALIL_CONFIG", str(config))
    with pytest.raises(SettingsError, match=r"\[\[alerts\]\] table #1 .* key 'webhook'"):
        load_settings()
    config.write_text(
        '[web]\ndelay = 0.5\nper_host = 1\n[[sources]]\nfeed = "https://m.example/rss"\n'
    )
    settings = load_settings()
    assert settings.web.delay == 0.5 and settings.sources[0].kind == "feed"


def test_alert_names_must_differ() -> None:
    hook = {"query": "q", "webhook": "http://h/x"}
    with pytest.raises(SettingsError, match="is used twice"):
        load_settings(alerts=({"name": "a", **hook}, {"name": "a", **hook}))
