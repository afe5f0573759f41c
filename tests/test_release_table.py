"""indexer.store.release_table and release_stats: a query's matches counted off the table read
once per index version, as SQLite would count them."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dalil.indexer.encoders.embedding import load_encoders
from dalil.indexer.models import Paragraph, Release
from dalil.indexer.store import release_stats
from dalil.indexer.store.docstore import DocStore
from dalil.indexer.store.index import Index
from dalil.indexer.store.release_table import NO_RELEASE, ReleaseTable
from dalil.search.retrievers import Retrievers

VALUES = st.sampled_from([None, "", "وزارة", "mofa", "MOFA", "b", " "])
DATES = st.sampled_from([None, "", "2019", "2019-05", "2019-05-03", "2020-01-31", "19", "2021-1"])


def put(store: DocStore, rid: str, n: int = 1, **fields: object) -> list[int]:
    release = Release(
        id=rid,
        title=rid,
        paragraphs=tuple(f"{rid} {i}" for i in range(n)),
        origin=f"{rid}.txt",
        **fields,
    )  # type: ignore[arg-type]
    _, added = store.replace_release(
        release, [Paragraph(rid, i, t) for i, t in enumerate(release.paragraphs)]
    )
    return [p.id for p in added]


@pytest.fixture
def store(tmp_path: Path):
    s = DocStore.open(tmp_path / "docs.sqlite")
    yield s
    s.close()


def test_every_paragraph_finds_its_release_and_unknown_ids_none(store: DocStore) -> None:
    a = put(store, "a", 3)
    b = put(store, "b", 2)
    old = put(store, "c", 2)
    new = put(store, "c", 1)  # replaced: the old paragraphs are gone
    table = ReleaseTable.read(store)
    assert table.ids == ("a", "b", "c")
    at = table.positions_of([*a, *b, *new, *old, -1, 10**9]).tolist()
    assert at == [0, 0, 0, 1, 1, 2, *[NO_RELEASE] * (len(old) + 2)]
    assert table.positions(["c", "zz", "a", "c"]) == [0, 2]
    assert table.release_of([b[0], old[0], a[1]]) == {b[0]: "b", a[1]: "a"}


def test_an_empty_store(store: DocStore) -> None:
    table = ReleaseTable.read(store)
    assert table.positions_of([0, 5]).tolist() == [NO_RELEASE, NO_RELEASE]
    assert release_stats.facet_counts(table, ["x"]).sources == ()
    assert release_stats.month_counts(table, []) == {}


def sql_counts(store: DocStore, ids: list[str]) -> tuple[object, ...]:
    """What the counts were before the table: SQLite's GROUP BY over the same ids."""
    marks = ",".join("?" * len(ids)) or "NULL"

    def values(column: str) -> tuple[tuple[str, int], ...]:
        rows = store.select(
            f"SELECT {column}, COUNT(*) AS n FROM releases WHERE id IN ({marks})"
            f" AND {column} IS NOT NULL AND {column} != '' GROUP BY {column}"
            f" ORDER BY n DESC, {column}",
            ids,
        )
        return tuple((str(v), int(n)) for v, n in rows)

    def by(width: int) -> list[tuple[str, int]]:
        return store.select(
            f"SELECT substr(date, 1, {width}) AS y, COUNT(*) FROM releases WHERE id IN ({marks})"
            f" AND date IS NOT NULL AND length(date) >= {width} GROUP BY y ORDER BY y DESC",
            ids,
        )

    dates = dict(store.select(f"SELECT id, date FROM releases WHERE id IN ({marks})", ids))
    return values("source"), values("language"), values("category"), by(4), dict(by(7)), dates


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    releases=st.lists(st.tuples(VALUES, VALUES, VALUES, DATES), min_size=0, max_size=12),
    chosen=st.sets(st.integers(0, 14)),
)
def test_counts_match_sqlite_over_any_subset(store: DocStore, releases, chosen) -> None:
    store.execute_many("DELETE FROM releases WHERE id LIKE ?", [("r%",)])
    for i, (source, language, category, date) in enumerate(releases):
        put(store, f"r{i:02d}", source=source, language=language, category=category, date=date)
    ids = sorted(f"r{i:02d}" for i in chosen)  # some of them absent from the store
    table = ReleaseTable.read(store)
    counts = release_stats.facet_counts(table, [*ids, *ids[:2]])  # repeats count once
    got = (
        counts.sources,
        counts.languages,
        counts.categories,
        [tuple(y) for y in counts.years],
        release_stats.month_counts(table, ids),
        release_stats.dates(table, ids),
    )
    want = sql_counts(store, ids)
    assert got == (want[0], want[1], want[2], [tuple(y) for y in want[3]], want[4], want[5])


def test_a_searcher_reads_the_table_once_per_version_however_many_queries_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a write, every query in flight needs the new table: one reads it, the others
    wait for it (each reading its own would multiply the read by the number of clients)."""
    encoders = load_encoders(["hash-test"], threads=1)
    index = Index.create(tmp_path / "index", encoders)
    put(index.docs, "a", 2)
    retrievers = Retrievers(index, encoders)
    reads = []
    second = threading.Barrier(2, timeout=2.0)  # met only if two threads read at once
    real_read = ReleaseTable.read.__func__  # type: ignore[attr-defined]

    def read(cls: type[ReleaseTable], docs: DocStore) -> ReleaseTable:
        reads.append(threading.get_ident())
        with contextlib.suppress(threading.BrokenBarrierError):
            second.wait()
        return real_read(cls, docs)

    monkeypatch.setattr(ReleaseTable, "read", classmethod(read))
    start = threading.Barrier(6)

    def ask() -> ReleaseTable:
        start.wait()
        return retrievers.release_table()

    with ThreadPoolExecutor(6) as pool:
        tables = list(pool.map(lambda _: ask(), range(6)))
    assert len(reads) == 1 and all(t is tables[0] for t in tables)
    assert tables[0].ids == ("a",)
    index.close()
