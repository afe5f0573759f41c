"""VectorStore: FAISS IDMap2 with inner-product search, filters, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dalil.indexer.errors import DalilError, IndexCorruptError, IndexNotFoundError
from dalil.indexer.store import vector_store
from dalil.indexer.store.vector_store import VectorStore, VectorStoreError

DIM = 16


def unit_rows(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def brute_force(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = vectors @ query
    return [int(ids[i]) for i in np.argsort(-scores, kind="stable")[:k]]


@pytest.fixture
def filled() -> tuple[VectorStore, np.ndarray, np.ndarray]:
    ids = np.arange(500, dtype=np.int64) * 7 + 3  # sparse, non-contiguous ids
    vectors = unit_rows(500)
    store = VectorStore(DIM, threads=1)
    store.add(ids, vectors)
    return store, ids, vectors


def test_add_search_returns_exact_neighbours(filled) -> None:
    store, ids, vectors = filled
    assert store.count == 500
    query = vectors[42]
    hits = store.search(query, 5)
    assert [i for i, _ in hits] == brute_force(vectors, ids, query, 5)
    assert hits[0] == (int(ids[42]), pytest.approx(1.0, abs=1e-5))
    assert all(isinstance(i, int) and isinstance(s, float) for i, s in hits)
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)


def test_search_batch_matches_single_searches(filled) -> None:
    store, _, vectors = filled
    batch = store.search_batch(vectors[:3], 4)
    assert batch == [store.search(v, 4) for v in vectors[:3]]


def test_k_larger_than_count_and_zero() -> None:
    store = VectorStore(DIM)
    assert store.search(unit_rows(1)[0], 3) == []
    store.add(np.array([1, 2], dtype=np.int64), unit_rows(2))
    assert {i for i, _ in store.search(unit_rows(1, seed=9)[0], 10)} == {1, 2}
    assert store.search(unit_rows(1)[0], 0) == []


def test_remove(filled) -> None:
    store, ids, vectors = filled
    assert store.remove(np.array([ids[42], 999_999], dtype=np.int64)) == 1
    assert store.count == 499
    assert int(ids[42]) not in {i for i, _ in store.search(vectors[42], 10)}
    assert int(ids[42]) not in set(store.ids().tolist())
    assert store.remove(np.array([], dtype=np.int64)) == 0


@pytest.mark.parametrize("n_allowed", [3, 50, 400])
def test_filter_returns_k_allowed_results(filled, n_allowed: int, monkeypatch) -> None:
    store, ids, vectors = filled
    allowed = ids[np.random.default_rng(1).choice(ids.size, n_allowed, replace=False)]
    query = vectors[0]
    k = 10
    want = brute_force(vectors[np.isin(ids, allowed)], ids[np.isin(ids, allowed)], query, k)
    # Both strategies: numpy on reconstructed vectors, and the FAISS id selector.
    for small in (10_000, 0):
        monkeypatch.setattr(vector_store, "SMALL_FILTER", small)
        hits = store.search(query, k, allowed_ids=allowed)
        assert [i for i, _ in hits] == want
        assert len(hits) == min(k, n_allowed)


def test_filter_scores_agree_between_strategies(filled, monkeypatch) -> None:
    store, ids, vectors = filled
    allowed = ids[::3]
    monkeypatch.setattr(vector_store, "SMALL_FILTER", 10_000)
    by_numpy = store.search(vectors[5], 7, allowed_ids=allowed)
    monkeypatch.setattr(vector_store, "SMALL_FILTER", 0)
    by_faiss = store.search(vectors[5], 7, allowed_ids=allowed)
    assert [i for i, _ in by_numpy] == [i for i, _ in by_faiss]
    np.testing.assert_allclose([s for _, s in by_numpy], [s for _, s in by_faiss], atol=1e-5)


def test_filter_with_unknown_or_no_ids(filled) -> None:
    store, ids, vectors = filled
    assert store.search(vectors[0], 5, allowed_ids=np.array([], dtype=np.int64)) == []
    assert store.search(vectors[0], 5, allowed_ids=np.array([1, 2], dtype=np.int64)) == []
    hits = store.search(vectors[0], 5, allowed_ids=np.array([1, ids[7], ids[7]]))
    assert [i for i, _ in hits] == [int(ids[7])]


def test_ids_and_reconstruct(filled) -> None:
    store, ids, vectors = filled
    np.testing.assert_array_equal(np.sort(store.ids()), np.sort(ids))
    assert store.ids().dtype == np.int64
    got = store.reconstruct(ids[[5, 1, 5]])
    np.testing.assert_allclose(got, vectors[[5, 1, 5]], atol=1e-7)
    assert got.dtype == np.float32 and got.flags["C_CONTIGUOUS"]
    assert store.reconstruct(np.array([], dtype=np.int64)).shape == (0, DIM)
    with pytest.raises(VectorStoreError, match="not in the vector store"):
        store.reconstruct(np.array([1], dtype=np.int64))


def test_save_load_roundtrip(filled, tmp_path: Path) -> None:
    store, ids, vectors = filled
    path = tmp_path / "faiss" / "e5-small.faiss"
    store.save(path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    loaded = VectorStore.load(path, threads=1)
    assert loaded.count == store.count and loaded.dim == DIM and loaded.exact
    np.testing.assert_array_equal(loaded.ids(), store.ids())
    assert loaded.search(vectors[3], 5) == store.search(vectors[3], 5)
    loaded.add(np.array([10**9], dtype=np.int64), unit_rows(1, seed=5))  # still writable
    store.save(path)  # overwrite in place
    assert VectorStore.load(path).count == 500


@pytest.mark.parametrize(
    "damage", [b"", b"not a faiss index at all" * 10, "truncate"], ids=["empty", "junk", "cut"]
)
def test_load_damaged_file(filled, tmp_path: Path, damage) -> None:
    store, _, _ = filled
    path = tmp_path / "v.faiss"
    store.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else damage)
    with pytest.raises(IndexCorruptError, match=str(path)):
        VectorStore.load(path)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="no vector store"):
        VectorStore.load(tmp_path / "absent.faiss")


def test_wrong_shapes_raise_clear_errors() -> None:
    store = VectorStore(DIM)
    ids = np.array([1, 2], dtype=np.int64)
    with pytest.raises(VectorStoreError, match=r"shape \(n, 16\)"):
        store.add(ids, unit_rows(2, dim=8))
    with pytest.raises(VectorStoreError, match="2 ids for 3 vectors"):
        store.add(ids, unit_rows(3))
    with pytest.raises(VectorStoreError, match="integers"):
        store.add(np.array([1.0, 2.0]), unit_rows(2))
    with pytest.raises(VectorStoreError, match="one-dimensional"):
        store.add(ids.reshape(2, 1), unit_rows(2))
    with pytest.raises(VectorStoreError, match="floating point"):
        store.add(ids, np.ones((2, DIM), dtype=np.int32))
    with pytest.raises(VectorStoreError, match="NaN"):
        store.add(ids, np.full((2, DIM), np.nan, dtype=np.float32))
    with pytest.raises(VectorStoreError, match=">= 0"):
        store.add(np.array([-1, 2]), unit_rows(2))
    with pytest.raises(VectorStoreError, match=r"shape \(n, 16\)"):
        store.search(np.ones(8, dtype=np.float32), 3)
    with pytest.raises(VectorStoreError, match="k must be"):
        store.search(unit_rows(1)[0], -1)
    with pytest.raises(VectorStoreError, match="dim must be"):
        VectorStore(0)
    with pytest.raises(VectorStoreError, match="factory"):
        VectorStore(DIM, factory="NoSuchIndex")
    assert issubclass(VectorStoreError, DalilError)


def test_duplicate_ids_refused(filled) -> None:
    store, ids, _ = filled
    with pytest.raises(VectorStoreError, match="already stored"):
        store.add(ids[:1], unit_rows(1))
    with pytest.raises(VectorStoreError, match="duplicate"):
        store.add(np.array([10**6, 10**6]), unit_rows(2))
    assert store.count == 500


def test_float64_vectors_are_accepted() -> None:
    store = VectorStore(DIM)
    store.add(np.array([4]), unit_rows(1).astype(np.float64))
    assert store.search(unit_rows(1).astype(np.float64)[0], 1)[0][0] == 4


def test_approximate_factory_keeps_filtered_results(tmp_path: Path) -> None:
    ids = np.arange(2000, dtype=np.int64)
    vectors = unit_rows(2000, seed=3)
    store = VectorStore(DIM, factory="HNSW16")
    assert not store.exact
    store.add(ids, vectors)
    allowed = ids[:40]  # selective filter: scored exactly with numpy
    hits = store.search(vectors[1000], 10, allowed_ids=allowed)
    assert [i for i, _ in hits] == brute_force(vectors[:40], allowed, vectors[1000], 10)
    store.save(tmp_path / "h.faiss")
    assert not VectorStore.load(tmp_path / "h.faiss").exact
