"""``<index root>/alerts.sqlite``: the alerts created through the API, which releases the
index held at the last dispatch (so "new in this generation" is exact), which releases each
alert was sent (never twice), which are waiting for a retry, and every delivery."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dalil.indexer.settings import AlertConfig
from dalil.indexer.store.layout import ALERTS_NAME
from dalil.indexer.store.manifest import now_iso

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (name TEXT PRIMARY KEY, config TEXT NOT NULL,
                                   created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS known (release_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS sent (alert TEXT NOT NULL, release_id TEXT NOT NULL,
                                 delivery INTEGER NOT NULL, PRIMARY KEY (alert, release_id));
CREATE TABLE IF NOT EXISTS pending (alert TEXT NOT NULL, release_id TEXT NOT NULL,
                                    PRIMARY KEY (alert, release_id));
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY, alert TEXT NOT NULL, generation TEXT, at TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL, http_status INTEGER,
    releases TEXT NOT NULL, error TEXT);
"""
DELIVERED, FAILED = "delivered", "failed"


@dataclass(frozen=True)
class Delivery:
    """One POST of one alert's new matches (``status``: delivered / failed)."""

    id: int
    alert: str
    generation: str | None
    at: str
    status: str
    attempts: int
    http_status: int | None
    releases: tuple[str, ...]
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "releases": list(self.releases)}

    def __str__(self) -> str:
        code = f" HTTP {self.http_status}" if self.http_status else ""
        why = f" ({self.error})" if self.error else ""
        return (
            f"alert {self.alert}: {self.status}{code}, {len(self.releases)} release(s), "
            f"{self.attempts} attempt(s){why}"
        )


class AlertStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    @classmethod
    def at_root(cls, root: Path) -> AlertStore:
        return cls(Path(root) / ALERTS_NAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> AlertStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- alerts made through the API --------------------------------------------------

    def saved(self) -> list[AlertConfig]:
        with self._lock:
            rows = self._db.execute("SELECT config FROM alerts ORDER BY name").fetchall()
        return [AlertConfig.model_validate_json(row[0]) for row in rows]

    def save(self, alert: AlertConfig) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO alerts VALUES (?, ?, ?)",
                (alert.name, alert.model_dump_json(), now_iso()),
            )

    def delete(self, name: str) -> bool:
        with self._lock, self._transaction():
            gone = self._db.execute("DELETE FROM alerts WHERE name = ?", (name,)).rowcount
            self._db.execute("DELETE FROM pending WHERE alert = ?", (name,))
        return bool(gone)

    # -- what the index held at the last dispatch -------------------------------------

    def started(self) -> bool:
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM meta WHERE key = 'started'").fetchone() is not None
            )

    def new_releases(self, ids: Iterable[str]) -> set[str]:
        """Ids not held at the last dispatch; then remember ``ids`` as held."""
        current = set(ids)
        with self._lock, self._transaction():
            known = {r[0] for r in self._db.execute("SELECT release_id FROM known")}
            self._db.execute("DELETE FROM known")
            self._db.executemany("INSERT INTO known VALUES (?)", ((i,) for i in current))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('started', ?)", (now_iso(),))
        return current - known

    # -- deliveries ---------------------------------------------------------------------

    def already_sent(self, alert: str) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT release_id FROM sent WHERE alert = ?", (alert,))
            return {r[0] for r in rows}

    def pending(self, alert: str) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT release_id FROM pending WHERE alert = ?", (alert,))
            return {r[0] for r in rows}

    def record(
        self,
        alert: str,
        generation: str | None,
        status: str,
        attempts: int,
        http_status: int | None,
        releases: list[str],
        error: str | None,
    ) -> Delivery:
        """Record a delivery: delivered releases are marked sent (and no longer pending),
        failed ones pending (tried again with the next dispatch)."""
        at = now_iso()
        with self._lock, self._transaction():
            cursor = self._db.execute(
                "INSERT INTO deliveries (alert, generation, at, status, attempts, http_status,"
                " releases, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (alert, generation, at, status, attempts, http_status, json.dumps(releases), error),
            )
            delivery = int(cursor.lastrowid or 0)
            if status == DELIVERED:
                self._db.executemany(
                    "INSERT OR IGNORE INTO sent VALUES (?, ?, ?)",
                    ((alert, r, delivery) for r in releases),
                )
                self._db.executemany(
                    "DELETE FROM pending WHERE alert = ? AND release_id = ?",
                    ((alert, r) for r in releases),
                )
            else:
                self._db.executemany(
                    "INSERT OR IGNORE INTO pending VALUES (?, ?)", ((alert, r) for r in releases)
                )
        return Delivery(
            delivery, alert, generation, at, status, attempts, http_status, tuple(releases), error
        )

    def deliveries(self, alert: str | None = None, limit: int = 20) -> list[Delivery]:
        """The last deliveries, newest first."""
        where, args = ("WHERE alert = ?", (alert,)) if alert else ("", ())
        with self._lock:
            rows = self._db.execute(
                "SELECT id, alert, generation, at, status, attempts, http_status, releases, error"
                f" FROM deliveries {where} ORDER BY id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
        return [
            Delivery(
                id=row[0],
                alert=row[1],
                generation=row[2],
                at=row[3],
                status=row[4],
                attempts=row[5],
                http_status=row[6],
                releases=tuple(json.loads(row[7])),
                error=row[8],
            )
            for row in rows
        ]

    def _transaction(self) -> Any:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *exc: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")
