"""The web sources' conditional-GET cache (``<index root>/web-cache.sqlite``, named in
:mod:`dalil.indexer.store.layout`).

Per URL: the validators of its last 200 answer (ETag, Last-Modified), the sitemap
``lastmod`` it was listed with, and what was made of its body (a feed's entries, a sitemap's
URLs, a listing's links, a page's extracted release, robots.txt's text) as JSON. A 304 answer
then costs no parsing and no extraction. It lives at the index root, beside the generations,
because it describes the web, not one generation: a run that fails to publish leaves it
valid (a 304 still yields the release from here, and the next run indexes it).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Bump when what is stored for a URL changes meaning (e.g. extraction): older rows are ignored.
FORMAT = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    url           TEXT PRIMARY KEY,
    format        INTEGER NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    lastmod       TEXT,
    product       TEXT NOT NULL,
    fetched_at    TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Cached:
    """What the cache holds for one URL."""

    url: str
    etag: str | None
    last_modified: str | None
    lastmod: str | None
    product: Any

    def validators(self) -> dict[str, str]:
        """Headers of a conditional GET for this URL."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class WebCache:
    """A small SQLite table shared by the fetching threads of one run."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def get(self, url: str) -> Cached | None:
        with self._lock:
            row = self._db.execute(
                "SELECT etag, last_modified, lastmod, product FROM responses"
                " WHERE url = ? AND format = ?",
                (url, FORMAT),
            ).fetchone()
        if row is None:
            return None
        return Cached(url, row[0], row[1], row[2], json.loads(row[3]))

    def put(
        self,
        url: str,
        product: Any,
        *,
        etag: str | None,
        last_modified: str | None,
        lastmod: str | None = None,
    ) -> None:
        data = json.dumps(product, ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
                (url, FORMAT, etag, last_modified, lastmod, data, _now()),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
