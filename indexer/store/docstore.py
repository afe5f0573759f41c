"""SQLite store of releases and their paragraphs: the index's source of truth.

Paragraph ids are ``INTEGER PRIMARY KEY AUTOINCREMENT`` rows, so an id is never reused; FAISS
and Whoosh hold the same ids. One connection is shared by all threads
(``check_same_thread=False``) and every operation holds the store's re-entrant lock, so a
FastAPI worker thread never sees another thread's half-done transaction. The database runs in
WAL mode, so other *processes* may read while one process writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from dalil.indexer.errors import IndexCorruptError, ReleaseNotFoundError
from dalil.indexer.models import VALUE_FILTERS, Filters, Paragraph, Release, StoredParagraph

SCHEMA_VERSION = 1
_BATCH = 500  # ids per IN (...) query, well under SQLite's variable limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    date         TEXT,
    source       TEXT,
    language     TEXT,
    url          TEXT,
    category     TEXT,
    origin       TEXT NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT NOT NULL,
    indexed_at   TEXT NOT NULL,
    minhash      BLOB,
    cluster      TEXT
);
CREATE TABLE IF NOT EXISTS paragraphs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    text       TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS releases_date ON releases(date);
CREATE INDEX IF NOT EXISTS releases_source ON releases(source);
CREATE INDEX IF NOT EXISTS releases_language ON releases(language);
CREATE INDEX IF NOT EXISTS releases_category ON releases(category);
CREATE INDEX IF NOT EXISTS paragraphs_release ON paragraphs(release_id, position);
"""

_PARAGRAPH_COLUMNS = (
    "p.id, p.release_id, p.position, p.text, r.title, r.date, r.source, r.language, r.category"
)


@dataclass(frozen=True)
class StoredRelease:
    """A release as stored: the :class:`~dalil.indexer.models.Release` fields (``paragraphs`` are
    the
    stored index paragraphs, in order) plus when it was indexed."""

    id: str
    title: str
    origin: str
    paragraphs: tuple[StoredParagraph, ...]
    date: str | None = None
    source: str | None = None
    language: str | None = None
    url: str | None = None
    category: str | None = None
    metadata: Mapping[str, Any] | None = None
    content_hash: str = ""
    indexed_at: str = ""

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


@dataclass(frozen=True)
class Facets:
    """What the filters can choose from: ``(value, release count)`` pairs, most frequent
    first, and the date range."""

    sources: tuple[tuple[str, int], ...]
    languages: tuple[tuple[str, int], ...]
    categories: tuple[tuple[str, int], ...]
    date_min: str | None
    date_max: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stored_paragraph(row: sqlite3.Row | tuple[Any, ...]) -> StoredParagraph:
    return StoredParagraph(
        id=int(row[0]),
        release_id=row[1],
        position=int(row[2]),
        text=row[3],
        title=row[4],
        date=row[5],
        source=row[6],
        language=row[7],
        category=row[8],
    )


def filter_clause(filters: Filters | None) -> tuple[str, list[str]]:
    """SQL condition on ``releases r`` (``"1"`` when empty) and its parameters."""
    if filters is None or filters.is_empty():
        return "1", []
    conditions: list[str] = []
    params: list[str] = []
    if filters.date_from:
        conditions.append("r.date >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        conditions.append("r.date <= ?")
        params.append(filters.date_to)
    for column in VALUE_FILTERS:
        value = getattr(filters, column)
        if value:
            conditions.append(f"r.{column} = ?")
            params.append(value)
    if filters.releases is not None:
        conditions.append("r.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(filters.releases), ensure_ascii=False))
    if filters.without:
        conditions.append("r.id NOT IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(filters.without), ensure_ascii=False))
    return " AND ".join(conditions), params


class DocStore:
    """Releases and paragraphs in one SQLite file. Use :meth:`open`; close with :meth:`close`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction()
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> DocStore:
        """Open (creating if needed) the store at ``path``."""
        path = Path(path)
        try:
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                db.close()
                raise IndexCorruptError(
                    f"{path}: schema version {version}, this dalil reads {SCHEMA_VERSION}"
                )
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{path}: not a readable SQLite database ({exc})") from exc
        return cls(db, path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[DocStore]:
        """Group writes: commit on success, roll back on error. A nested call is a savepoint
        of the outer transaction: its error undoes only its own writes (so one release that
        cannot be stored leaves the others of a chunk). Other threads wait until it ends."""
        with self._lock:
            if self._depth:
                savepoint = f"sp{self._depth}"
                self._db.execute(f"SAVEPOINT {savepoint}")
                self._depth += 1
                try:
                    yield self
                except BaseException:
                    self._db.execute(f"ROLLBACK TO {savepoint}")
                    raise
                finally:
                    self._depth -= 1
                    self._db.execute(f"RELEASE {savepoint}")
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise
                # a damaged file: this read fails (a 503 in the server), the process lives
                raise IndexCorruptError(f"{self.path}: cannot read ({exc})") from exc

    # -- writes -------------------------------------------------------------------------

    def replace_release(
        self, release: Release, paragraphs: Sequence[Paragraph]
    ) -> tuple[list[int], list[StoredParagraph]]:
        """Insert or replace ``release`` with ``paragraphs`` (in order). Returns the removed
        paragraph ids and the added paragraphs with their new ids."""
        with self.transaction():
            removed = self._delete(release.id)
            self._db.execute(
                "INSERT INTO releases (id, title, date, source, language, url, category, origin,"
                " metadata, content_hash, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    release.id,
                    release.title,
                    release.date,
                    release.source,
                    release.language,
                    release.url,
                    release.category,
                    release.origin,
                    json.dumps(dict(release.metadata), ensure_ascii=False, default=str),
                    release.content_hash,
                    _now(),
                ),
            )
            added = []
            for position, paragraph in enumerate(paragraphs):
                cursor = self._db.execute(
                    "INSERT INTO paragraphs (release_id, position, text, hash) VALUES (?,?,?,?)",
                    (release.id, position, paragraph.text, paragraph.hash),
                )
                added.append(
                    StoredParagraph(
                        id=int(cursor.lastrowid or 0),
                        release_id=release.id,
                        position=position,
                        text=paragraph.text,
                        title=release.title,
                        date=release.date,
                        source=release.source,
                        language=release.language,
                        category=release.category,
                    )
                )
        return removed, added

    def delete_release(self, release_id: str) -> list[int]:
        """Delete a release and its paragraphs; returns the removed paragraph ids (empty when
        there was no such release)."""
        with self.transaction():
            return self._delete(release_id)

    def _delete(self, release_id: str) -> list[int]:
        rows = self._db.execute(
            "SELECT id FROM paragraphs WHERE release_id = ? ORDER BY id", (release_id,)
        ).fetchall()
        self._db.execute("DELETE FROM releases WHERE id = ?", (release_id,))
        return [int(r[0]) for r in rows]

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one write statement for every row, in one transaction (used by
        :mod:`indexer.store.clusters`, which owns the near-duplicate columns)."""
        with self.transaction():
            self._db.executemany(sql, rows)

    # -- reads --------------------------------------------------------------------------

    def select(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query (the SQL of result counts and clusters lives in
        :mod:`indexer.store.release_stats` and :mod:`indexer.store.clusters`)."""
        return self._query(sql, params)

    def columns(self, table: str) -> set[str]:
        return {row[1] for row in self._query(f"PRAGMA table_info({table})")}

    def has_release(self, release_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM releases WHERE id = ?", (release_id,)))

    def release_hashes(self) -> dict[str, str]:
        """Release id -> content hash, for every stored release."""
        return dict(self._query("SELECT id, content_hash FROM releases"))

    def release_origins(self) -> dict[str, str]:
        """Release id -> origin (where it was read from), for every stored release."""
        return dict(self._query("SELECT id, origin FROM releases"))

    def get_release(self, release_id: str) -> StoredRelease:
        rows = self._query(
            "SELECT id, title, origin, date, source, language, url, category, metadata,"
            " content_hash, indexed_at FROM releases WHERE id = ?",
            (release_id,),
        )
        if not rows:
            raise ReleaseNotFoundError(f"no release with id {release_id!r} in the index")
        (rid, title, origin, date, source, language, url, category, meta, chash, at) = rows[0]
        paragraphs = self._query(
            f"SELECT {_PARAGRAPH_COLUMNS} FROM paragraphs p JOIN releases r"
            " ON r.id = p.release_id WHERE p.release_id = ? ORDER BY p.position",
            (release_id,),
        )
        return StoredRelease(
            id=rid,
            title=title,
            origin=origin,
            paragraphs=tuple(_stored_paragraph(r) for r in paragraphs),
            date=date,
            source=source,
            language=language,
            url=url,
            category=category,
            metadata=json.loads(meta or "{}"),
            content_hash=chash,
            indexed_at=at,
        )

    def paragraphs(self, ids: Iterable[int]) -> dict[int, StoredParagraph]:
        """Paragraphs by id (ids that don't exist are left out)."""
        rows = self._rows_in(
            f"SELECT {_PARAGRAPH_COLUMNS} FROM paragraphs p JOIN releases r"
            " ON r.id = p.release_id WHERE p.id IN ({marks})",
            sorted({int(i) for i in ids}),
        )
        return {paragraph.id: paragraph for paragraph in map(_stored_paragraph, rows)}

    def release_paragraphs(self, release_ids: Iterable[str]) -> list[StoredParagraph]:
        """Every paragraph of the given releases, in release then position order."""
        rows = self._rows_in(
            f"SELECT {_PARAGRAPH_COLUMNS} FROM paragraphs p JOIN releases r"
            " ON r.id = p.release_id WHERE p.release_id IN ({marks})"
            " ORDER BY p.release_id, p.position",
            sorted(set(release_ids)),
        )
        return [_stored_paragraph(r) for r in rows]

    def _rows_in(self, sql: str, values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql``, whose ``IN ({marks})`` takes ``values``, asked in batches of
        at most ``_BATCH`` (SQLite's limit on parameters); ``values`` sorted, so ordered
        rows stay in order across batches."""
        for start in range(0, len(values), _BATCH):
            chunk = values[start : start + _BATCH]
            yield from self._query(sql.format(marks=",".join("?" * len(chunk))), chunk)

    def paragraph_ids(self, filters: Filters | None = None) -> np.ndarray:
        """Sorted int64 ids of the paragraphs whose release passes ``filters`` (all when
        ``None`` or empty)."""
        if filters is None or filters.is_empty():
            rows = self._query("SELECT id FROM paragraphs ORDER BY id")
        else:
            where, params = filter_clause(filters)
            rows = self._query(
                "SELECT p.id FROM paragraphs p JOIN releases r ON r.id = p.release_id"
                f" WHERE {where} ORDER BY p.id",
                params,
            )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def count_releases(self, filters: Filters | None = None) -> int:
        """Releases (with at least one paragraph) that pass ``filters``."""
        where, params = filter_clause(filters)
        rows = self._query(
            f"SELECT COUNT(*) FROM releases r WHERE {where}"
            " AND EXISTS (SELECT 1 FROM paragraphs p WHERE p.release_id = r.id)",
            params,
        )
        return int(rows[0][0])

    def counts(self) -> tuple[int, int]:
        """(releases, paragraphs)."""
        releases = self._query("SELECT COUNT(*) FROM releases")[0][0]
        paragraphs = self._query("SELECT COUNT(*) FROM paragraphs")[0][0]
        return int(releases), int(paragraphs)

    def facets(self) -> Facets:
        def values(column: str) -> tuple[tuple[str, int], ...]:
            rows = self._query(
                f"SELECT {column}, COUNT(*) AS n FROM releases WHERE {column} IS NOT NULL"
                f" AND {column} != '' GROUP BY {column} ORDER BY n DESC, {column}"
            )
            return tuple((str(v), int(n)) for v, n in rows)

        date_min, date_max = self._query(
            "SELECT MIN(date), MAX(date) FROM releases WHERE date IS NOT NULL AND date != ''"
        )[0]
        return Facets(
            sources=values("source"),
            languages=values("language"),
            categories=values("category"),
            date_min=date_min,
            date_max=date_max,
        )


def stored_releases(path: Path) -> dict[str, tuple[str, str]]:
    """Release id -> (content hash, origin) of the store at ``path``, opened read-only (a
    published generation is never written)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id, content_hash, origin FROM releases").fetchall()
    except sqlite3.DatabaseError as exc:
        raise IndexCorruptError(f"{path}: not a readable SQLite database ({exc})") from exc
    finally:
        db.close()
    return {rid: (chash, origin) for rid, chash, origin in rows}


def stored_hashes(path: str | Path) -> dict[str, str]:
    """Release id -> content hash in the docs.sqlite at ``path``, read without writing
    anything (a published generation is never modified): for planning a run."""
    uri = f"{Path(path).absolute().as_uri()}?mode=ro&immutable=1"
    with closing(sqlite3.connect(uri, uri=True)) as db:
        return dict(db.execute("SELECT id, content_hash FROM releases"))
