"""One run's reading of the web sources: each source is fetched once per run (``dalil
reindex`` reads its sources twice: the probe, then the build) and yields the same
:class:`Release` / :class:`ReadFailure` records as the file readers, so the pipeline's
content hashes decide what is re-embedded.

Per source: its feed, sitemap (index) or listing page gives the release URLs (include /
exclude patterns applied, at most ``max_pages``); each page is fetched conditionally, and a
304 (or, in a sitemap, a ``lastmod`` no newer than the one it was fetched with) takes the
release from the cache without extraction. A release's id is its canonical URL; its origin
the URL it was listed under.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from dalil.indexer.errors import SourceError
from dalil.indexer.models import ReadFailure, Release
from dalil.indexer.readers.fields import release_from_record
from dalil.indexer.readers.web.cache import WebCache
from dalil.indexer.readers.web.extract import PAGE_TYPES, entry_record, extract_page
from dalil.indexer.readers.web.feeds import FEED_TYPES, feed_entries
from dalil.indexer.readers.web.fetch import Fetcher, FetchError, Response
from dalil.indexer.readers.web.listing import listing_links
from dalil.indexer.readers.web.outcomes import (
    FAILED,
    FETCHED,
    NOT_MODIFIED,
    SKIPPED,
    FetchLog,
    WebCost,
)
from dalil.indexer.readers.web.robots import Robots
from dalil.indexer.readers.web.sitemaps import SITEMAP_TYPES, parse_sitemap
from dalil.indexer.settings import SourceConfig, WebSettings

Item = Release | ReadFailure
MAX_SITEMAPS = 50  # child sitemaps of an index read per run


class WebSession:
    """Fetches web sources for one run; ``close()`` when the run ends."""

    def __init__(self, settings: WebSettings, cache_path: Path) -> None:
        self.log = FetchLog()
        self.cache = WebCache(cache_path)
        self.fetcher = Fetcher(settings, self.cache, self.log)
        self.robots = Robots(self.fetcher)
        self._read: dict[SourceConfig, list[Item]] = {}
        self._unread: dict[SourceConfig, list[str]] = {}
        self._partial: set[SourceConfig] = set()  # a child sitemap failed: delete nothing
        self._claimed: set[str] = set()  # release URLs an earlier source of the run listed
        self._pages: dict[str, dict[str, Any] | FetchError] = {}  # a page read once per run

    def close(self) -> None:
        self.fetcher.close()
        self.cache.close()

    def __enter__(self) -> WebSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cost(self) -> WebCost:
        return self.log.cost()

    def read(self, config: SourceConfig) -> list[Item]:
        """The source's releases and failures (fetched on the first call of the run)."""
        if config not in self._read:
            with self.log.timing():
                self._read[config] = list(self._fetch_source(config))
        return self._read[config]

    def unread(self, config: SourceConfig) -> list[str]:
        """URLs the source listed beyond ``max_pages`` this run (not read, not gone)."""
        return self._unread.get(config, [])

    def complete(self, config: SourceConfig) -> bool:
        """Whether the source's whole list was read this run (every child sitemap)."""
        return config not in self._partial

    def _fetch_source(self, config: SourceConfig) -> Iterator[Item]:
        child_failures: list[FetchError] = []
        try:
            candidates = self._candidates(config, child_failures)
        except FetchError as exc:
            self.log.note(exc.url, FAILED, exc.reason)
            yield ReadFailure(exc.url, exc.reason)
            return
        for failure in child_failures:
            self._partial.add(config)
            yield ReadFailure(failure.url, failure.reason)
        include = re.compile(config.include) if config.include else None
        exclude = re.compile(config.exclude) if config.exclude else None
        wanted = [
            c
            for c in candidates
            if (include is None or include.search(c["url"]))
            and (exclude is None or not exclude.search(c["url"]))
        ]
        chosen = wanted[: config.max_pages]
        self._unread[config] = [c["url"] for c in wanted[config.max_pages :]]
        if not chosen:
            yield ReadFailure(config.location, "lists no release URLs (after include/exclude)")
            return
        # a page two sources list is read and indexed once, by the first
        chosen = [c for c in chosen if c["url"] not in self._claimed]
        self._claimed.update(c["url"] for c in chosen)
        workers = max(1, self.fetcher.settings.per_host)
        with ThreadPoolExecutor(workers, thread_name_prefix="dalil-web") as pool:
            yield from pool.map(self._release, chosen)

    # -- the list of release URLs ----------------------------------------------------

    def _candidates(
        self, config: SourceConfig, child_failures: list[FetchError]
    ) -> list[dict[str, Any]]:
        url = config.location
        if config.feed:
            entries = self._parsed(
                url, FEED_TYPES, lambda r: feed_entries(r.body, url, r.final_url)
            )
            return list(entries)
        if config.pages:
            pattern = str(config.links)
            links = self._parsed(
                url, PAGE_TYPES, lambda r: listing_links(r.body, url, r.final_url, pattern)
            )
            return [{"url": link} for link in links]
        return self._sitemap_urls(url, child_failures)

    def _sitemap_urls(self, url: str, failures: list[FetchError]) -> list[dict[str, Any]]:
        limit = self.fetcher.settings.max_bytes
        found: list[dict[str, Any]] = []
        queue, seen = [url], {url}
        while queue and len(seen) <= MAX_SITEMAPS:
            current = queue.pop(0)

            def parse(response: Response, at: str = current) -> Any:
                return parse_sitemap(response.body, at, response.final_url, limit)

            try:
                parsed = self._parsed(current, SITEMAP_TYPES, parse)
            except FetchError as exc:
                if current == url:
                    raise
                self.log.note(exc.url, FAILED, exc.reason)  # one child sitemap: go on
                failures.append(exc)
                continue
            found.extend({"url": u, "lastmod": lastmod} for u, lastmod in parsed["urls"])
            for child in parsed["sitemaps"]:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        # newest first, so max_pages keeps the recent releases
        found.sort(key=lambda c: c.get("lastmod") or "", reverse=True)
        return found

    def _parsed(self, url: str, accept: str, parse: Callable[[Response], Any]) -> Any:
        """A listing's parsed content: from the cache on a 304, else parsed and cached."""
        self.robots.check(url)
        response = self.fetcher.get(url, accept=accept)
        if response.not_modified and response.cached is not None:
            product = _stored(url, response.cached.product)
            self.log.note(url, NOT_MODIFIED)
            return product
        try:
            product = parse(response)
        except FetchError as exc:  # remembered: an unchanged broken listing costs a 304
            product = {"failure": exc.reason}
        self.cache.put(url, product, etag=response.etag, last_modified=response.last_modified)
        product = _stored(url, product)
        self.log.note(url, FETCHED, f"{len(response.body):,} bytes")
        return product

    # -- one release ------------------------------------------------------------------

    def _release(self, candidate: dict[str, Any]) -> Item:
        url = candidate["url"]
        try:
            record = self._record(candidate)
            paragraphs = record.pop("paragraphs")
            return release_from_record(record, paragraphs=paragraphs, default_id=url, origin=url)
        except FetchError as exc:
            return ReadFailure(url, exc.reason)
        except SourceError as exc:
            self.log.note(url, FAILED, exc.reason)
            return ReadFailure(url, exc.reason)

    def _record(self, candidate: dict[str, Any]) -> dict[str, Any]:
        """The page's release record; a page two sources list is read once per run."""
        url = candidate["url"]
        if url not in self._pages:
            try:
                self._pages[url] = self._read_page(candidate)
            except FetchError as exc:
                self._pages[url] = self._noted(url, exc)
        found = self._pages[url]
        if isinstance(found, FetchError):
            raise found
        return dict(found)

    def _read_page(self, candidate: dict[str, Any]) -> dict[str, Any]:
        url, lastmod = candidate["url"], candidate.get("lastmod")
        if candidate.get("content"):  # the feed carries the full text
            self.log.note(url, SKIPPED, "full text in the feed")
            return entry_record(candidate, url)
        cached = self.cache.get(url)
        if cached is not None and lastmod and cached.lastmod and lastmod <= cached.lastmod:
            self.log.note(url, SKIPPED, f"sitemap lastmod {lastmod} unchanged")
            return dict(_stored(url, cached.product))
        self.robots.check(url)
        response = self.fetcher.get(url, accept=PAGE_TYPES)
        if response.not_modified and response.cached is not None:
            record = dict(_stored(url, response.cached.product))
            self.log.note(url, NOT_MODIFIED)
            return record
        try:
            record = extract_page(
                response.body, url, response.final_url, response.content_type, response.charset
            )
        except FetchError as exc:  # remembered, so an unchanged page is not extracted again
            record = {"failure": exc.reason}
        if candidate.get("date") and not record.get("date") and "failure" not in record:
            record["date"] = candidate["date"]
        self.cache.put(
            url, record, etag=response.etag, last_modified=response.last_modified, lastmod=lastmod
        )
        if "failure" in record:
            raise FetchError(url, record["failure"])
        self.log.note(url, FETCHED, f"{len(response.body):,} bytes")
        return dict(record)

    def _noted(self, url: str, exc: FetchError) -> FetchError:
        self.log.note(url, FAILED, exc.reason)
        return exc


def _stored(url: str, product: Any) -> Any:
    """A cached product, or its remembered failure raised again."""
    if isinstance(product, dict) and "failure" in product:
        raise FetchError(url, str(product["failure"]))
    return product
