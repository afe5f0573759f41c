"""DocStore (SQLite) and manifest: CRUD, filters, facets, transactions, atomic manifest."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from dalil.indexer.errors import IndexCorruptError, IndexMismatchError, ReleaseNotFoundError
from dalil.indexer.models import Filters, Paragraph, Release
from dalil.indexer.store.docstore import DocStore, StoredRelease
from dalil.indexer.store.manifest import (
    FORMAT_VERSION,
    Manifest,
    encoder_slug,
    read_manifest,
    write_manifest,
)


def release(rid: str, *texts: str, **fields: object) -> Release:
    return Release(
        id=rid,
        title=str(fields.pop("title", f"Title {rid}")),
        paragraphs=texts,
        origin=f"{rid}.txt",
        **fields,  # type: ignore[arg-type]
    )


def paragraphs(r: Release) -> list[Paragraph]:
    return [Paragraph(r.id, i, t) for i, t in enumerate(r.paragraphs)]


@pytest.fixture
def store(tmp_path: Path):
    s = DocStore.open(tmp_path / "docs.sqlite")
    yield s
    s.close()


def put(store: DocStore, r: Release):
    return store.replace_release(r, paragraphs(r))


def test_insert_get_and_counts(store: DocStore) -> None:
    r = release(
        "a",
        "first paragraph",
        "second paragraph",
        date="2019-12-10",
        source="mofa",
        language="ar",
        url="https://example.org/a",
        category="diplomacy",
        metadata={"author": "مكتب", "n": 3},
    )
    removed, added = put(store, r)
    assert removed == []
    assert [p.position for p in added] == [0, 1]
    assert added[0].title == "Title a" and added[0].language == "ar"

    got = store.get_release("a")
    assert isinstance(got, StoredRelease)
    assert (got.title, got.date, got.source, got.language) == (
        "Title a",
        "2019-12-10",
        "mofa",
        "ar",
    )
    assert got.url == "https://example.org/a" and got.category == "diplomacy"
    assert dict(got.metadata or {}) == {"author": "مكتب", "n": 3}
    assert got.content_hash == r.content_hash and got.indexed_at
    assert [p.text for p in got.paragraphs] == ["first paragraph", "second paragraph"]
    assert got.text == "first paragraph\n\nsecond paragraph"
    assert store.counts() == (1, 2)
    assert store.release_hashes() == {"a": r.content_hash}
    assert store.has_release("a") and not store.has_release("b")


def test_replace_gives_new_ids_never_reused(store: DocStore) -> None:
    _, first = put(store, release("a", "one", "two"))
    removed, second = put(store, release("a", "one changed", "two", "three"))
    assert removed == [p.id for p in first]
    assert min(p.id for p in second) > max(removed)
    assert store.counts() == (1, 3)
    # Deleting the newest rows must not let SQLite hand their ids out again.
    assert store.delete_release("a") == [p.id for p in second]
    _, third = put(store, release("b", "x"))
    assert third[0].id > max(p.id for p in second)


def test_delete_and_missing(store: DocStore) -> None:
    put(store, release("a", "one"))
    assert store.delete_release("nope") == []
    assert len(store.delete_release("a")) == 1
    assert store.counts() == (0, 0)
    with pytest.raises(ReleaseNotFoundError, match="'a'"):
        store.get_release("a")


def test_paragraphs_by_id_batches(store: DocStore) -> None:
    _, added = put(store, release("big", *[f"paragraph {i}" for i in range(1200)]))
    ids = [p.id for p in added]
    got = store.paragraphs(ids + [10**9])
    assert len(got) == 1200
    assert got[ids[777]].text == "paragraph 777"
    assert store.paragraphs([]) == {}


def test_paragraph_ids_filters(store: DocStore) -> None:
    _, a = put(store, release("a", "x", "y", date="2019-01-05", source="s1", language="ar"))
    _, b = put(store, release("b", "z", date="2019-06-01", source="s2", language="en"))
    _, c = put(store, release("c", "w", source="s1", language="en", category="econ"))
    ids = store.paragraph_ids()
    assert ids.dtype == np.int64
    assert ids.tolist() == sorted(p.id for p in a + b + c)
    assert store.paragraph_ids(Filters()).tolist() == ids.tolist()
    assert store.paragraph_ids(Filters(language="ar")).tolist() == [p.id for p in a]
    assert store.paragraph_ids(Filters(source="s1")).tolist() == [p.id for p in a + c]
    assert store.paragraph_ids(Filters(date_from="2019-02-01")).tolist() == [b[0].id]
    assert store.paragraph_ids(Filters(date_to="2019-06-01")).tolist() == [p.id for p in a + b]
    assert store.paragraph_ids(Filters(category="econ", language="en")).tolist() == [c[0].id]
    assert store.paragraph_ids(Filters(source="none")).tolist() == []
    # releases passing the filters, counted in SQL (the same as counting the releases of
    # those paragraphs)
    for filters in (
        None,
        Filters(),
        Filters(language="ar"),
        Filters(source="s1"),
        Filters(date_from="2019-02-01"),
        Filters(date_to="2019-06-01"),
        Filters(category="econ", language="en"),
        Filters(source="none"),
    ):
        by_paragraphs = {
            p.release_id for p in store.paragraphs(store.paragraph_ids(filters).tolist()).values()
        }
        assert store.count_releases(filters) == len(by_paragraphs)


def test_facets(store: DocStore) -> None:
    put(store, release("a", "x", date="2019-01-05", source="s1", language="ar"))
    put(store, release("b", "x", date="2018-06-01", source="s1", language="en"))
    put(store, release("c", "x", source="s2", language="ar", category="econ"))
    facets = store.facets()
    assert facets.sources == (("s1", 2), ("s2", 1))
    assert facets.languages == (("ar", 2), ("en", 1))
    assert facets.categories == (("econ", 1),)
    assert (facets.date_min, facets.date_max) == ("2018-06-01", "2019-01-05")


def test_transaction_rolls_back(store: DocStore) -> None:
    put(store, release("a", "one"))
    with pytest.raises(RuntimeError), store.transaction():
        put(store, release("b", "two"))
        store.delete_release("a")
        raise RuntimeError("boom")
    assert store.counts() == (1, 1)
    assert store.has_release("a") and not store.has_release("b")


def test_usable_from_threads(store: DocStore) -> None:
    put(store, release("a", "one"))
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                put(store, release(f"t{n}-{i}", "text"))
                store.counts()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.counts() == (81, 81)


def test_reopen_keeps_data_and_rejects_garbage(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite"
    s = DocStore.open(path)
    put(s, release("a", "one"))
    s.close()
    s = DocStore.open(path)
    assert s.counts() == (1, 1)
    s.close()
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexCorruptError):
        DocStore.open(bad)


# -- manifest ---------------------------------------------------------------------------


def test_manifest_roundtrip(tmp_path: Path) -> None:
    m = Manifest.new((("e5-small", 384), ("use-m3", 512))).with_counts(3, 10)
    path = tmp_path / "manifest.json"
    write_manifest(path, m)
    assert read_manifest(path) == m
    data = json.loads(path.read_text())
    assert data["encoders"] == [{"name": "e5-small", "dim": 384}, {"name": "use-m3", "dim": 512}]
    assert data["format_version"] == FORMAT_VERSION
    assert m.encoder_names == ("e5-small", "use-m3")
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]  # no temp file left


def test_manifest_bad(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text("{not json")
    with pytest.raises(IndexCorruptError):
        read_manifest(path)
    path.write_text(json.dumps({"format_version": FORMAT_VERSION}))
    with pytest.raises(IndexCorruptError, match="malformed"):
        read_manifest(path)
    data = Manifest.new((("hash-test", 8),)).to_json() | {"format_version": 999}
    path.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError, match="999"):
        read_manifest(path)


def test_encoder_slug() -> None:
    assert encoder_slug("e5-small") == "e5-small"
    assert encoder_slug("use-m3") == "use-m3"
    slug = encoder_slug("sentence-transformers/all-MiniLM-L6-v2")
    assert slug.startswith("all-minilm-l6-v2-") and "/" not in slug
    assert encoder_slug("/models/x/") != encoder_slug("/other/x/")
    assert "/" not in encoder_slug("../../etc") and not encoder_slug("..").startswith(".")
