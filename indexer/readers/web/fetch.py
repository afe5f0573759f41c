"""HTTP for web sources (httpx): timeouts, a size limit, redirects, retries with back-off on
429 and 5xx (``Retry-After`` honoured), a per-host limit of requests at once and a delay
between them, a clear User-Agent, robots.txt obeyed (:mod:`.robots`) and conditional GETs
(ETag / Last-Modified, :mod:`.cache`) so an unchanged URL costs one 304.

Every problem is a :class:`FetchError` with a one-line reason, for one URL; nothing here
stops a run.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from dalil.indexer.readers.web.cache import Cached, WebCache
from dalil.indexer.readers.web.outcomes import FetchLog
from dalil.indexer.settings import WebSettings

MAX_RETRY_AFTER = 60.0  # seconds: a server asking for a longer wait gets a failure instead
RETRIED = frozenset({429, 500, 502, 503, 504})


class FetchError(Exception):
    """One URL could not be fetched; ``reason`` says why in one line."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class Response:
    """A 200 answer (``body`` read in full, within the size limit) or a 304 one
    (``cached``: what the cache holds for the URL)."""

    url: str
    final_url: str
    status: int
    body: bytes
    content_type: str
    charset: str | None
    etag: str | None
    last_modified: str | None
    cached: Cached | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class HostGate:
    """At most ``per_host`` requests at once to a host, their starts ``delay`` s apart."""

    def __init__(self, per_host: int, delay: float) -> None:
        self._slots: defaultdict[str, threading.BoundedSemaphore] = defaultdict(
            lambda: threading.BoundedSemaphore(per_host)
        )
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self.delay = delay
        self.host_delay: dict[str, float] = {}  # robots.txt Crawl-delay, when longer

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            slot = self._slots[host]
        with slot:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next.get(host, now))
                self._next[host] = start + max(self.delay, self.host_delay.get(host, 0.0))
            if start > now:
                time.sleep(start - now)  # politeness towards the host, not a test wait
            yield


class Fetcher:
    """GETs for one run, shared by its threads. ``robots`` (set by :mod:`.robots`) decides
    whether a URL may be fetched."""

    def __init__(self, settings: WebSettings, cache: WebCache, log: FetchLog) -> None:
        self.settings = settings
        self.cache = cache
        self.log = log
        self.gate = HostGate(settings.per_host, settings.delay)
        self.client = httpx.Client(
            headers={"User-Agent": settings.user_agent},
            timeout=settings.timeout,
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            event_hooks={"request": [self._sent]},
        )

    def _sent(self, request: httpx.Request) -> None:
        self.log.request_sent()

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, *, conditional: bool = True, accept: str = "*/*") -> Response:
        """GET ``url`` (conditional when the cache knows it), retrying 429 / 5xx. Raises
        FetchError for anything but a 200 or a 304."""
        cached = self.cache.get(url) if conditional else None
        headers = {"Accept": accept, **(cached.validators() if cached else {})}
        host = urlsplit(url).netloc
        attempt = 0
        while True:
            with self.gate.slot(host):
                answer = self._once(url, headers)
            if answer.status in RETRIED and attempt < self.settings.retries:
                wait = _retry_after(answer.headers.get("retry-after"))
                wait = wait if wait is not None else self.settings.backoff * 2**attempt
                if wait > MAX_RETRY_AFTER:
                    raise FetchError(url, f"HTTP {answer.status}, asked to wait {wait:.0f} s")
                attempt += 1
                time.sleep(wait)  # back-off before a retry
                continue
            break
        if answer.status == 304 and cached is not None:
            return answer.response(url, cached)
        if answer.status != 200:
            tries = f" after {attempt + 1} attempts" if attempt else ""
            raise FetchError(url, f"HTTP {answer.status} {answer.reason}{tries}".rstrip())
        return answer.response(url, None)

    def _once(self, url: str, headers: dict[str, str]) -> _Answer:
        """One request (redirects followed); the body read only for a 200, up to the
        limit. Raises FetchError for network problems and oversized bodies."""
        limit = self.settings.max_bytes
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                body = bytearray()
                if response.status_code == 200:
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise FetchError(url, _too_large(int(declared), limit))
                    for chunk in response.iter_bytes():
                        body.extend(chunk)
                        if len(body) > limit:
                            raise FetchError(url, _too_large(None, limit))
                self.log.answered(response.status_code, len(body))
                return _Answer(
                    status=response.status_code,
                    reason=response.reason_phrase,
                    headers=response.headers,
                    final_url=str(response.url),
                    charset=response.charset_encoding,
                    body=bytes(body),
                )
        except httpx.TooManyRedirects:
            raise FetchError(url, "too many redirects (a redirect loop?)") from None
        except httpx.TimeoutException as exc:
            kind = type(exc).__name__.removesuffix("Timeout").lower() or "request"
            raise FetchError(url, f"timed out ({kind}) after {self.settings.timeout:g} s") from None
        except httpx.ConnectError as exc:
            raise FetchError(url, f"cannot connect: {_short(exc)}") from None
        except httpx.HTTPError as exc:
            raise FetchError(url, f"{type(exc).__name__}: {_short(exc)}") from None


@dataclass(frozen=True)
class _Answer:
    status: int
    reason: str
    headers: httpx.Headers
    final_url: str
    charset: str | None
    body: bytes

    def response(self, url: str, cached: Cached | None) -> Response:
        content_type = self.headers.get("content-type", "")
        return Response(
            url=url,
            final_url=self.final_url,
            status=self.status,
            body=self.body,
            content_type=content_type.split(";")[0].strip().lower(),
            charset=self.charset,
            etag=self.headers.get("etag"),
            last_modified=self.headers.get("last-modified"),
            cached=cached,
        )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _too_large(size: int | None, limit: int) -> str:
    got = f"{size:,} bytes" if size is not None else "more than that"
    return f"too large ({got}; the limit is {limit:,} bytes, web.max_bytes)"


def _short(exc: Any) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
