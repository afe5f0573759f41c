# ruff: noqa: E501 - release texts read best on one line
"""Web sources end to end: `dalil reindex` over press rooms served on 127.0.0.1
(tests/press_room.py), with the real HTTP client, feedparser, trafilatura and the hash-test
encoder; what is indexed, what each URL's outcome is, what a second run costs, a changed
page, a failing source, delete_missing on a sitemap."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from press_room import MINISTRY, PressRoom, build, ministry_page, serving

from dalil.indexer.build.reindex import reindex
from dalil.indexer.build.runs import PUBLISHED, UNCHANGED, last_runs
from dalil.indexer.settings import Settings, SourceConfig, WebSettings
from dalil.indexer.store.layout import live_dir

# Fast and strict for tests: no politeness delay, quick retries, a short timeout for the
# slow page (which otherwise holds its answer until the server stops).
WEB = WebSettings(timeout=3, delay=0, per_host=4, backoff=0.01, retries=2, max_bytes=1_000_000)


@pytest.fixture
def room() -> Iterator[PressRoom]:
    with serving(PressRoom()) as served:
        yield build(served)


def settings_for(tmp_path: Path, room: PressRoom, *sources: SourceConfig) -> Settings:
    base = room.base
    default = (
        SourceConfig(feed=f"{base}/mofa/rss.xml", source="MOFA", category="statement"),
        SourceConfig(sitemap=f"{base}/agency/sitemap.xml", source="NEA", delete_missing=True),
        SourceConfig(pages=f"{base}/agency/press/", links=r"/news/[^/]+\.html$", source="NEA"),
        SourceConfig(feed=f"{base}/broken/feed.xml", source="Broken"),
    )
    return Settings.model_validate(
        {
            "index": tmp_path / "index",
            "encoders": "hash-test",
            "threads": 1,
            "web": WEB,
            "sources": sources or default,
        }
    )


def releases(tmp_path: Path) -> dict[str, dict[str, object]]:
    db = sqlite3.connect(live_dir(tmp_path / "index") / "docs.sqlite")
    try:
        rows = db.execute("SELECT id, title, date, language, source, category FROM releases")
        out = {
            r[0]: dict(zip(("title", "date", "language", "source", "category"), r[1:], strict=True))
            for r in rows
        }
        for rid, text in db.execute("SELECT release_id, text FROM paragraphs ORDER BY id"):
            out[rid].setdefault("paragraphs", []).append(text)  # type: ignore[union-attr]
    finally:
        db.close()
    return out


def outcomes(record: object) -> dict[str, list[str]]:
    by_url: dict[str, list[str]] = {}
    for line in record.web_urls:  # type: ignore[attr-defined]
        outcome, url, *rest = line.split(" ", 2)
        by_url.setdefault(url, []).append(f"{outcome} {' '.join(rest)}".strip())
    return by_url


@pytest.mark.slow  # reindex runs over a local press room, seconds each
def test_first_run_indexes_the_press_rooms_and_reports_every_url(
    tmp_path: Path, room: PressRoom
) -> None:
    record = reindex(settings_for(tmp_path, room), base=tmp_path)
    base = room.base
    assert record.status == PUBLISHED
    indexed = releases(tmp_path)
    ministry = {f"{base}/mofa/news/{slug}" for slug, *_ in MINISTRY}
    agency = {f"{base}/agency/news/{s}.html" for s in ("solar-tender", "grid-storage")}
    assert set(indexed) == ministry | agency  # ids are the canonical URLs
    first = indexed[f"{base}/mofa/news/release-1"]
    assert first["title"] == MINISTRY[0][2]
    assert first["date"] == "2025-03-02" and first["language"] == "ar"
    assert (first["source"], first["category"]) == ("MOFA", "statement")
    text = " ".join(first["paragraphs"])  # type: ignore[arg-type]
    assert MINISTRY[0][3][0] in text
    for chrome in ("جميع الحقوق محفوظة", "شارك", "اتصل بنا"):  # footer, share, navigation
        assert chrome not in text
    # the windows-1256 page reads as the same Arabic text
    second = indexed[f"{base}/mofa/news/release-2"]
    assert second["title"] == MINISTRY[1][2]
    assert MINISTRY[1][3][1] in " ".join(second["paragraphs"])  # type: ignore[arg-type]
    solar = indexed[f"{base}/agency/news/solar-tender.html"]
    assert solar["language"] == "en" and solar["date"] == "2025-04-01"
    assert not any("Share this" in p or "Privacy" in p for p in solar["paragraphs"])  # type: ignore[union-attr]

    seen = outcomes(record)
    news = f"{base}/mofa/news"
    assert seen[f"{news}/release-3"][0].startswith("fetched")  # after 500, 500, then 200
    assert seen[f"{news}/release-1"][0].startswith("fetched")
    failures = {f.origin: f.reason for f in record.failures}
    assert failures[f"{news}/gone"] == "HTTP 404 Not Found"
    assert failures[f"{news}/slow"].startswith("timed out")
    assert failures[f"{news}/loop"].startswith("too many redirects")
    assert failures[f"{news}/huge"].startswith("too large")
    assert failures[f"{news}/statement.pdf"] == "not HTML (Content-Type: application/pdf)"
    assert failures[f"{news}/empty"].startswith("no article text")
    assert failures[f"{base}/mofa/private/draft"].startswith("disallowed by robots.txt")
    assert failures[f"{base}/broken/feed.xml"].startswith("not an RSS or Atom feed")
    assert record.failed == len(failures) == 8
    assert record.duplicates == ()  # the sitemap and the listing name the same pages: read once
    hits = room.take_hits()
    assert [h.status for h in hits if h.path == "/mofa/news/release-3"] == [500, 500, 200]
    assert not any(h.path.startswith("/mofa/private/") for h in hits)  # robots obeyed
    assert {h.agent for h in hits} == {WEB.user_agent}
    # the report is in runs.jsonl too
    logged = last_runs(tmp_path / "index", 1)[0]
    assert logged.web_urls == record.web_urls and logged.web_cost["requests"] == len(hits)
    line = (tmp_path / "index" / "runs.jsonl").read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(line)["web_cost"]["not_modified"] == 0


@pytest.mark.slow  # reindex runs over a local press room, seconds each
def test_second_run_sends_only_conditional_requests_and_changes_nothing(
    tmp_path: Path, room: PressRoom
) -> None:
    settings = settings_for(tmp_path, room)
    reindex(settings, base=tmp_path)
    first = room.take_hits()
    answered = {h.path for h in first if h.status == 200} - {"/mofa/news/huge", "/mofa/news/slow"}
    generation = live_dir(tmp_path / "index")

    record = reindex(settings, base=tmp_path)
    again = room.take_hits()
    assert record.status == UNCHANGED and record.generation is None
    assert live_dir(tmp_path / "index") == generation
    assert (record.added, record.updated, record.deleted) == (0, 0, 0)
    for hit in again:
        if hit.path in answered:
            assert hit.conditional and hit.status == 304, hit
        else:  # only the URLs that never answered in full are asked again from scratch
            assert hit.path in {
                "/mofa/news/gone",
                "/mofa/news/loop",
                "/mofa/news/slow",
                "/mofa/news/huge",
            }, hit
    # pages a sitemap lists with an unchanged lastmod cost no request at all
    assert outcomes(record)[f"{room.base}/agency/news/grid-storage.html"][0].startswith("skipped")
    assert record.web_cost["not_modified"] == sum(h.status == 304 for h in again)
    assert record.web_cost["requests"] == len(again) < len(first)


@pytest.mark.slow  # reindex runs over a local press room, seconds each
def test_a_changed_page_updates_its_release(tmp_path: Path, room: PressRoom) -> None:
    settings = settings_for(tmp_path, room)
    reindex(settings, base=tmp_path)
    slug, date, title, paragraphs = MINISTRY[0]
    changed = (
        *paragraphs,
        "وأضاف البيان أن الجانبين اتفقا على عقد اجتماع اللجنة المشتركة في طوكيو خلال الربع الثالث من العام الجاري.",
    )
    room.put(
        f"/mofa/news/{slug}", ministry_page(slug, date, title, changed), "text/html; charset=utf-8"
    )

    record = reindex(settings, base=tmp_path)
    assert record.status == PUBLISHED and (record.added, record.updated) == (0, 1)
    release = releases(tmp_path)[f"{room.base}/mofa/news/{slug}"]
    assert "طوكيو" in " ".join(release["paragraphs"])  # type: ignore[arg-type]
    assert outcomes(record)[f"{room.base}/mofa/news/{slug}"][0].startswith("fetched")


@pytest.mark.slow  # reindex runs over a local press room, seconds each
def test_a_failing_source_loses_nothing_and_stops_no_other(tmp_path: Path, room: PressRoom) -> None:
    settings = settings_for(tmp_path, room)
    reindex(settings, base=tmp_path)
    before = set(releases(tmp_path))
    room.pages["/agency/sitemap.xml"].fail_first = 100  # the sitemap answers 500 from now on
    room.pages["/mofa/rss.xml"].fail_first = 100
    slug, date, title, paragraphs = MINISTRY[0]
    room.put(
        "/agency/news/solar-tender.html",
        "<html><body><article><h1>x</h1><p>"
        + "Updated text of the tender release, with new dates for the bids. " * 3
        + "</p></article></body></html>",
        "text/html",
    )

    record = reindex(settings, base=tmp_path)
    failures = "\n".join(map(str, record.failures))
    assert (
        f"{room.base}/agency/sitemap.xml: HTTP 500 Internal Server Error after 3 attempts"
        in failures
    )
    assert f"{room.base}/mofa/rss.xml: HTTP 500" in failures
    assert set(releases(tmp_path)) == before  # nothing deleted although delete_missing is set
    assert record.updated == 1  # the listing page source still read the changed page


@pytest.mark.slow  # reindex runs over a local press room, seconds each
def test_delete_missing_on_a_sitemap_deletes_what_it_no_longer_lists(
    tmp_path: Path, room: PressRoom
) -> None:
    base = room.base
    sitemap = SourceConfig(sitemap=f"{base}/agency/sitemap-2025.xml", delete_missing=True)
    feed = SourceConfig(feed=f"{base}/mofa/rss.xml")
    settings = settings_for(tmp_path, room, sitemap, feed)
    reindex(settings, base=tmp_path)
    room.put(
        "/agency/sitemap-2025.xml",
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>{base}/agency/news/solar-tender.html</loc><lastmod>2025-04-01</lastmod></url>"
        "</urlset>",
        "application/xml",
    )
    room.put(
        "/mofa/rss.xml",
        "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        f"<item><title>one</title><link>{base}/mofa/news/release-1</link></item></channel></rss>",
        "application/rss+xml",
    )
    record = reindex(settings, base=tmp_path)
    assert record.deleted == 1
    left = set(releases(tmp_path))
    assert f"{base}/agency/news/grid-storage.html" not in left
    assert f"{base}/mofa/news/release-2" in left  # a feed shows only the newest: never deletes


def test_max_pages_and_patterns_choose_the_pages(tmp_path: Path, room: PressRoom) -> None:
    feed = SourceConfig(
        feed=f"{room.base}/mofa/rss.xml", include=r"/release-\d$", exclude=r"release-2", max_pages=1
    )
    record = reindex(settings_for(tmp_path, room, feed), base=tmp_path)
    assert set(releases(tmp_path)) == {f"{room.base}/mofa/news/release-1"}
    assert record.failed == 0
    assert {h.path for h in room.take_hits()} == {
        "/robots.txt",
        "/mofa/rss.xml",
        "/mofa/news/release-1",
    }


def test_a_feed_that_carries_the_full_text_needs_no_page(tmp_path: Path, room: PressRoom) -> None:
    text = "The agency published its annual report on renewable energy and grid storage. " * 8
    room.put(
        "/wire/atom.xml",
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        "<title>Wire</title><id>urn:wire</id><updated>2025-05-01T00:00:00Z</updated>"
        f"<entry><title>Annual report</title><id>urn:w1</id><link href='{room.base}/wire/report'/>"
        f"<updated>2025-05-01T00:00:00Z</updated><content type='html'>&lt;p&gt;{text}&lt;/p&gt;"
        "</content></entry></feed>",
        "application/atom+xml",
    )
    feed = SourceConfig(feed=f"{room.base}/wire/atom.xml", source="Wire", language="en")
    record = reindex(settings_for(tmp_path, room, feed), base=tmp_path)
    release = releases(tmp_path)[f"{room.base}/wire/report"]
    assert release["title"] == "Annual report" and release["date"] == "2025-05-01"
    assert release["language"] == "en" and "annual report" in release["paragraphs"][0]  # type: ignore[index]
    assert record.failed == 0
    assert "/wire/report" not in {h.path for h in room.take_hits()}  # the page was not fetched


def test_a_host_that_refuses_connections_is_a_failure_of_its_own(
    tmp_path: Path, room: PressRoom
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    dead = SourceConfig(feed=f"http://127.0.0.1:{closed}/rss.xml")
    alive = SourceConfig(feed=f"{room.base}/mofa/rss.xml", include="/release-1$")
    record = reindex(settings_for(tmp_path, room, dead, alive), base=tmp_path)
    [failure] = map(str, record.failures)
    assert failure.startswith(f"http://127.0.0.1:{closed}/rss.xml: robots.txt cannot be read")
    assert "cannot connect" in failure
    assert set(releases(tmp_path)) == {f"{room.base}/mofa/news/release-1"}


def test_a_failing_child_sitemap_deletes_nothing(tmp_path: Path, room: PressRoom) -> None:
    base = room.base
    sitemap = SourceConfig(sitemap=f"{base}/agency/sitemap.xml", delete_missing=True)
    settings = settings_for(tmp_path, room, sitemap)
    reindex(settings, base=tmp_path)
    room.put(  # the index now also names a second sitemap, which fails
        "/agency/sitemap.xml",
        "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<sitemap><loc>{base}/agency/sitemap-2025.xml</loc></sitemap>"
        f"<sitemap><loc>{base}/agency/sitemap-2024.xml</loc></sitemap></sitemapindex>",
        "application/xml",
    )
    room.put(  # one release moved to the sitemap that fails: it must not count as gone
        "/agency/sitemap-2025.xml",
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>{base}/agency/news/solar-tender.html</loc><lastmod>2025-04-01</lastmod></url>"
        "</urlset>",
        "application/xml",
    )
    record = reindex(settings, base=tmp_path)
    assert record.deleted == 0
    assert f"{base}/agency/sitemap-2024.xml: HTTP 404 Not Found" in map(str, record.failures)
    assert len(releases(tmp_path)) == 2
