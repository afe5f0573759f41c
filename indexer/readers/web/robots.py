"""robots.txt, read once per host and run (conditionally, like any URL) and obeyed.

Following RFC 9309: a robots.txt that is missing or answers 4xx allows everything; one that
cannot be read (5xx after retries, network errors) allows nothing on that host this run.
A ``Crawl-delay`` longer than ``web.delay`` is honoured.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from dalil.indexer.readers.web.fetch import Fetcher, FetchError


class Robots:
    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self._agent = fetcher.settings.user_agent.split("/")[0].split()[0]
        self._rules: dict[str, RobotFileParser | str] = {}  # host -> rules, or why refused
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}

    def check(self, url: str) -> None:
        """Raise FetchError if robots.txt forbids ``url`` (or cannot be read)."""
        parts = urlsplit(url)
        rules = self._rules_for(f"{parts.scheme}://{parts.netloc}")
        if isinstance(rules, str):
            raise FetchError(url, rules)
        if not rules.can_fetch(self._agent, url):
            raise FetchError(url, f"disallowed by robots.txt for {self._agent}")

    def _rules_for(self, origin: str) -> RobotFileParser | str:
        with self._lock:
            lock = self._host_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self._rules:
                self._rules[origin] = self._read(origin)
            return self._rules[origin]

    def _read(self, origin: str) -> RobotFileParser | str:
        url = f"{origin}/robots.txt"
        parser = RobotFileParser(url)
        try:
            response = self._fetcher.get(url, accept="text/plain")
        except FetchError as exc:
            if exc.reason.startswith("HTTP 4"):
                parser.parse([])  # no rules: everything allowed
                return parser
            return f"robots.txt cannot be read ({exc.reason}), so nothing on this host is fetched"
        if response.not_modified and response.cached is not None:
            text = str(response.cached.product)
        else:
            text = response.body.decode("utf-8", errors="replace")
            self._fetcher.cache.put(
                url, text, etag=response.etag, last_modified=response.last_modified
            )
        parser.parse(text.splitlines())
        delay = parser.crawl_delay(self._agent)
        if delay:
            host = urlsplit(origin).netloc
            self._fetcher.gate.host_delay[host] = float(delay)
        return parser
