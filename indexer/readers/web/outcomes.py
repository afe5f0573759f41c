"""What a run did on the web: one outcome per URL and the cost (requests, 304s, bytes)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

FETCHED, NOT_MODIFIED, SKIPPED, FAILED = "fetched", "not-modified", "skipped", "failed"


@dataclass(frozen=True)
class UrlOutcome:
    """One URL's outcome: ``fetched`` (200, parsed), ``not-modified`` (304, taken from the
    cache), ``skipped`` (its sitemap lastmod says unchanged: no request) or ``failed``."""

    url: str
    outcome: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.outcome} {self.url}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class WebCost:
    requests: int = 0
    not_modified: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"web: {self.requests} requests, {self.not_modified} not modified (304), "
            f"{self.bytes / 1000:.1f} kB in {self.seconds:.2f} s"
        )


class FetchLog:
    """Outcomes and counters of one run, shared by the fetching threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.outcomes: list[UrlOutcome] = []
        self.requests = 0
        self.not_modified = 0
        self.bytes = 0
        self._started: float | None = None
        self._seconds = 0.0

    def request_sent(self) -> None:
        with self._lock:
            self.requests += 1

    def answered(self, status: int, size: int) -> None:
        with self._lock:
            self.not_modified += status == 304
            self.bytes += size

    def note(self, url: str, outcome: str, detail: str = "") -> None:
        with self._lock:
            self.outcomes.append(UrlOutcome(url, outcome, detail))

    def timing(self) -> _Timer:
        return _Timer(self)

    def add_seconds(self, seconds: float) -> None:
        with self._lock:
            self._seconds += seconds

    def cost(self) -> WebCost:
        with self._lock:
            return WebCost(self.requests, self.not_modified, self.bytes, self._seconds)


class _Timer:
    def __init__(self, log: FetchLog) -> None:
        self._log = log
        self._start = 0.0

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._log.add_seconds(time.perf_counter() - self._start)
