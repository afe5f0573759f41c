"""One FAISS index of paragraph vectors per encoder, keyed by paragraph id.

Scores are inner products (= cosine, since encoders emit unit vectors).

Index type by size (:meth:`VectorStore.fit_to_size`, called by the pipeline at every
commit): exact ``IDMap2,Flat`` below ``EXACT_MAX`` vectors, ``IDMap2,SQfp16`` above -- the
same full scan over half the bytes (vectors stored as float16), so it stays complete under
any filter, at a recall@10 against exact search that docs/benchmarks.md records. An
``IndexIVFFlat`` is kept as an option (``large="ivf"``): keyed natively by paragraph id,
with a hash-table direct map for ``reconstruct`` and ``remove``; it is not the default
because USE vectors cluster poorly (it needs many lists probed for good recall). Stores
must support ``remove_ids`` (releases are replaced in place), which rules out HNSW; another
FAISS factory string can be given to the constructor, but only Flat, SQfp16 and IVF stores
change type with size.

Filters (``allowed_ids``) are applied inside the search, so ``k`` results come back
whenever ``k`` allowed vectors exist: a small allowed set (up to ``SMALL_FILTER`` ids) is
scored exactly with numpy on its reconstructed vectors, which beats building a FAISS
selector for so few ids; a large one goes through a FAISS ``IDSelectorBatch`` (which skips
the distances of ids not allowed). Approximate indexes lose results under selective
filters, so they take the exact numpy path further.

Not thread-safe for writes: searches may run concurrently, ``add`` / ``remove`` / ``save``
need the caller's exclusive lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np

from dalil.indexer.compat import faiss as compat_faiss
from dalil.indexer.errors import DalilError, IndexCorruptError, IndexNotFoundError
from dalil.indexer.store.durable import atomic_write

# Allowed sets up to this size are scored with numpy; for approximate (non-Flat) indexes
# also any set of at most 1/APPROX_FRACTION of the store.
SMALL_FILTER = 1024
APPROX_FRACTION = 10

# Index type by size: exact below EXACT_MAX vectors, IVF from there (back to exact only
# below EXACT_MAX / 2, so a store near the threshold does not flip at every commit).
EXACT_MAX = 100_000
LARGE = "sqfp16"  # the type above EXACT_MAX: "sqfp16" or "ivf"
IVF_POINTS_PER_LIST = 256  # nlist ~ n / 256 at build time, a power of two in [64, 2048]
IVF_TRAIN_PER_LIST = 48  # k-means sample: nlist * 48 vectors, 10 iterations
IVF_NPROBE_FRACTION = 16  # nprobe = nlist / 16 (recall: bench/query_speed.py --recall-only)
IVF_MIN_NPROBE = 16
FEW_QUERIES = 20  # searches of fewer queries run single-threaded (FAISS's BLAS cut-over too)
MEMO_SIZE = 16
EXACT_BLOCK = 1024  # rows per numpy product in filtered exact search: OpenBLAS stays 1 thread


class VectorStoreError(DalilError, ValueError):
    """Ids or vectors of the wrong shape, type or dimension, or unknown ids."""


class VectorStore:
    """Paragraph vectors in a FAISS ``IndexIDMap2`` (inner-product metric)."""

    def __init__(self, dim: int, *, factory: str = "Flat", threads: int | None = None) -> None:
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
            raise VectorStoreError(f"dim must be a positive integer, got {dim!r}")
        try:
            index = faiss.index_factory(int(dim), f"IDMap2,{factory}", faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            raise VectorStoreError(f"bad FAISS factory string {factory!r}: {exc}") from exc
        self._init(index, threads)

    def _init(self, index: Any, threads: int | None) -> None:
        # faiss.IndexIDMap2 over Flat (or another factory), or an IndexIVF keyed by the ids
        # themselves (see fit_to_size); their SWIG stubs are incomplete.
        self._index: Any = index
        self.dim = int(index.d)
        self._ivf: Any = index if isinstance(index, faiss.IndexIVF) else None
        inner = None if self._ivf is not None else faiss.downcast_index(index.index)
        self.exact = isinstance(inner, faiss.IndexFlat)
        # full scans (Flat, scalar quantizers) stay complete under any filter
        self._full_scan = self.exact or isinstance(inner, faiss.IndexScalarQuantizer)
        self._search_params: Any = None
        if self._ivf is not None:
            self._ivf.nprobe = default_nprobe(int(self._ivf.nlist))
            self._search_params = faiss.SearchParametersIVF(nprobe=int(self._ivf.nprobe))  # type: ignore[call-arg]
        self._sorted: np.ndarray | None = None  # sorted ids, dropped on every write
        # allowed-id arrays seen by search: id(array) -> (array, stored subset, selector)
        self._memo: dict[int, tuple[np.ndarray, np.ndarray, Any]] = {}
        if threads is not None:
            if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
                raise VectorStoreError(f"threads must be an integer >= 1, got {threads!r}")
            faiss.omp_set_num_threads(threads)  # FAISS's OpenMP pool, process-wide default

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def kind(self) -> str:
        """The index type: "flat", "ivf<nlist>" or the inner FAISS index's class name."""
        if self._ivf is not None:
            return f"ivf{int(self._ivf.nlist)}"
        inner = faiss.downcast_index(self._index.index)
        if (
            isinstance(inner, faiss.IndexScalarQuantizer)
            and inner.sq.qtype == faiss.ScalarQuantizer.QT_fp16
        ):
            return "sqfp16"
        return "flat" if self.exact else type(inner).__name__

    @property
    def nprobe(self) -> int | None:
        """Lists an IVF search visits (None for other index types)."""
        return None if self._ivf is None else int(self._ivf.nprobe)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if self._ivf is None:
            raise VectorStoreError("nprobe applies to IVF stores only")
        value = max(1, min(int(value), int(self._ivf.nlist)))
        self._ivf.nprobe = value
        self._search_params = faiss.SearchParametersIVF(nprobe=value)  # type: ignore[call-arg]

    def ids(self) -> np.ndarray:
        """Every stored id (int64; insertion order for IDMap2 stores, by list for IVF)."""
        if self._ivf is not None:
            return _ivf_ids(self._ivf)
        return faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=False)

    def fit_to_size(self, exact_max: int = EXACT_MAX, large: str = LARGE) -> bool:
        """Switch the index type to suit the number of stored vectors: from ``exact_max``
        vectors ``large`` ("sqfp16": float16 full scan, or "ivf"), exact (Flat) again below
        ``exact_max // 2``. Only Flat, SQfp16 and IVF stores switch. Returns whether the
        type changed."""
        n = self.count
        if self.exact and n >= exact_max:
            ids, vectors = self.ids(), self._all_vectors()
            if large == "ivf":
                self._init(build_ivf(ids, vectors), None)
            else:
                index = faiss.index_factory(self.dim, "IDMap2,SQfp16", faiss.METRIC_INNER_PRODUCT)
                index.train(vectors[:1])  # float16 needs no statistics
                for start in range(0, n, 65_536):
                    index.add_with_ids(vectors[start : start + 65_536], ids[start : start + 65_536])
                self._init(index, None)
            return True
        if (self._ivf is not None or self.kind == "sqfp16") and n < exact_max // 2:
            ids = self.ids()
            vectors = self.reconstruct(ids) if ids.size else np.zeros((0, self.dim), np.float32)
            flat = faiss.index_factory(self.dim, "IDMap2,Flat", faiss.METRIC_INNER_PRODUCT)
            if ids.size:
                flat.add_with_ids(vectors, ids)
            self._init(flat, None)
            return True
        return False

    def _all_vectors(self) -> np.ndarray:
        """Every stored vector, in :meth:`ids` order (exact stores)."""
        n = self.count
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        inner = faiss.downcast_index(self._index.index)
        return np.ascontiguousarray(inner.reconstruct_n(0, n), dtype=np.float32)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under new ids (an id already stored, or twice in ``ids``, is refused)."""
        ids = _as_ids(ids)
        vectors = self._as_matrix(vectors, "vectors")
        if vectors.shape[0] != ids.size:
            raise VectorStoreError(f"{ids.size} ids for {vectors.shape[0]} vectors")
        if ids.size == 0:
            return
        if np.unique(ids).size != ids.size:
            raise VectorStoreError("duplicate ids in one add")
        clash = ids[self._contains(ids)]
        if clash.size:
            raise VectorStoreError(f"ids already stored: {clash[:10].tolist()}")
        if not self._index.is_trained:
            raise VectorStoreError("this FAISS index type must be trained before add")
        self._sorted = None
        self._memo = {}
        self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> int:
        """Remove ``ids`` (unknown ones are ignored); returns how many were removed."""
        ids = _as_ids(ids)
        if ids.size == 0 or self.count == 0:
            return 0
        self._sorted = None
        self._memo = {}
        # IVF's hash-table direct map removes by an explicit id array only
        selector = (
            faiss.IDSelectorArray(ids) if self._ivf is not None else faiss.IDSelectorBatch(ids)
        )
        try:
            return int(self._index.remove_ids(selector))
        except RuntimeError as exc:  # e.g. HNSW does not support removal
            raise VectorStoreError(f"this FAISS index type cannot remove ids: {exc}") from exc

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, (len(ids), dim) float32, in the given order."""
        ids = _as_ids(ids)
        missing = ids[~self._contains(ids)]
        if missing.size:
            raise VectorStoreError(f"ids not in the vector store: {missing[:10].tolist()}")
        if ids.size == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.ascontiguousarray(self._index.reconstruct_batch(ids), dtype=np.float32)

    def search(
        self, query_vec: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` best (id, score) pairs for one query vector, best first, only among
        ``allowed_ids`` when given."""
        query = np.asarray(query_vec)
        if query.ndim == 2 and query.shape[0] != 1:
            raise VectorStoreError(f"search takes one query vector, got shape {query.shape}")
        return self.search_batch(query.reshape(1, -1), k, allowed_ids)[0]

    def search_batch(
        self, query_matrix: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> list[list[tuple[int, float]]]:
        """:meth:`search` for each row of ``query_matrix``."""
        queries = self._as_matrix(query_matrix, "query_matrix")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
            raise VectorStoreError(f"k must be an integer >= 0, got {k!r}")
        k = min(int(k), self.count)
        if k == 0 or queries.shape[0] == 0:
            return [[] for _ in range(queries.shape[0])]
        if queries.shape[0] < FEW_QUERIES:
            # OpenMP's thread count is per calling thread: a query or two is scanned by this
            # thread alone, since OpenMP threads waiting on busy cores cost far more than
            # they give on one query (docs/benchmarks.md)
            faiss.omp_set_num_threads(1)
        if allowed_ids is None:
            if self._search_params is not None:
                return _results(*self._index.search(queries, k, params=self._search_params))
            return _results(*self._index.search(queries, k))
        allowed, selector = self._allowed(allowed_ids)
        if allowed.size == 0:
            return [[] for _ in range(queries.shape[0])]
        small = (
            SMALL_FILTER if self._full_scan else max(SMALL_FILTER, self.count // APPROX_FRACTION)
        )
        if allowed.size <= small:
            return _exact(queries, allowed, self.reconstruct(allowed), k)
        if selector is None:
            selector = self._selector(allowed_ids, allowed)
        if self._ivf is not None:
            params = faiss.SearchParametersIVF(sel=selector, nprobe=int(self._ivf.nprobe))  # type: ignore[call-arg]
        else:
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg,assignment]
        return _results(*self._index.search(queries, min(k, allowed.size), params=params))

    def _allowed(self, allowed_ids: np.ndarray) -> tuple[np.ndarray, Any]:
        """``allowed_ids`` sorted, unique and stored, with its FAISS selector if built before.
        Memoised by array identity (the retrievers pass the same cached array for the same
        filter; dropped on every write), so a filter costs its sort and hash set once."""
        memo = self._memo.get(id(allowed_ids))
        if memo is not None and memo[0] is allowed_ids:
            return memo[1], memo[2]
        allowed = np.unique(_as_ids(allowed_ids))
        allowed = allowed[self._contains(allowed)]
        if isinstance(allowed_ids, np.ndarray):
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[id(allowed_ids)] = (allowed_ids, allowed, None)
        return allowed, None

    def _selector(self, allowed_ids: np.ndarray, allowed: np.ndarray) -> Any:
        selector = faiss.IDSelectorBatch(allowed)
        memo = self._memo.get(id(allowed_ids))
        if memo is not None and memo[0] is allowed_ids:
            self._memo[id(allowed_ids)] = (allowed_ids, allowed, selector)
        return selector

    def save(self, path: str | Path) -> None:
        """Write atomically: a temp file in the same directory, fsync, then rename."""
        atomic_write(Path(path), lambda tmp: faiss.write_index(self._index, tmp))

    @classmethod
    def load(cls, path: str | Path, *, threads: int | None = None) -> VectorStore:
        """Read a store written by :meth:`save`. Raises :class:`IndexNotFoundError` for a
        missing file, :class:`IndexCorruptError` (naming the path) for a damaged one."""
        path = Path(path)
        if not path.is_file():
            raise IndexNotFoundError(f"no vector store at {path}")
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
            raise IndexCorruptError(f"{path}: damaged FAISS file ({reason})") from exc
        if isinstance(index, faiss.IndexIVF):
            if index.direct_map.type != faiss.DirectMap.Hashtable:  # type: ignore[attr-defined]
                raise IndexCorruptError(f"{path}: IVF index without its id hash table")
        elif not isinstance(index, faiss.IndexIDMap2):
            raise IndexCorruptError(f"{path}: not an IDMap2 index ({type(index).__name__})")
        elif faiss.vector_to_array(index.id_map).size != index.ntotal:
            raise IndexCorruptError(f"{path}: id map and vectors disagree in size")
        if index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise IndexCorruptError(f"{path}: the index does not use the inner-product metric")
        store = cls.__new__(cls)
        store._init(index, threads)
        return store

    def _contains(self, ids: np.ndarray) -> np.ndarray:
        """Boolean mask: which of ``ids`` are stored."""
        if self._sorted is None:
            self._sorted = np.sort(self.ids())
        stored = self._sorted
        if stored.size == 0:
            return np.zeros(ids.shape, dtype=bool)
        at = np.minimum(np.searchsorted(stored, ids), stored.size - 1)
        return stored[at] == ids

    def _as_matrix(self, values: np.ndarray, what: str) -> np.ndarray:
        array = np.asarray(values)
        if array.ndim == 1 and array.size == self.dim:
            array = array.reshape(1, -1)
        if array.ndim != 2 or array.shape[1] != self.dim:
            raise VectorStoreError(f"{what} must have shape (n, {self.dim}), got {array.shape}")
        if not np.issubdtype(array.dtype, np.floating):
            raise VectorStoreError(f"{what} must be floating point, got {array.dtype}")
        array = np.ascontiguousarray(array, dtype=np.float32)
        if not np.isfinite(array).all():
            raise VectorStoreError(f"{what} contain NaN or infinite values")
        return array


def ivf_nlist(n: int) -> int:
    """IVF lists for ``n`` vectors: a power of two near n / IVF_POINTS_PER_LIST, in [64, 2048]."""
    target = max(1, n // IVF_POINTS_PER_LIST)
    return int(min(2048, max(64, 1 << (target.bit_length() - 1))))


def default_nprobe(nlist: int) -> int:
    return int(min(nlist, max(IVF_MIN_NPROBE, nlist // IVF_NPROBE_FRACTION)))


def build_ivf(
    ids: np.ndarray, vectors: np.ndarray, nlist: int | None = None, seed: int = 1234
) -> Any:
    """An inner-product ``IndexIVFFlat`` holding ``vectors`` under ``ids`` (hash-table direct
    map: reconstruct and remove by id), trained on a seeded sample of them."""
    n, dim = vectors.shape
    nlist = nlist or ivf_nlist(n)
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    compat_faiss.hand_over(ivf, quantizer)
    ivf.cp.niter = 10
    ivf.cp.seed = seed
    ivf.cp.max_points_per_centroid = IVF_TRAIN_PER_LIST
    rng = np.random.default_rng(seed)
    take = min(n, nlist * IVF_TRAIN_PER_LIST)
    sample = vectors[np.sort(rng.choice(n, size=take, replace=False))] if take < n else vectors
    ivf.train(np.ascontiguousarray(sample, dtype=np.float32))
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
    step = 65_536
    for start in range(0, n, step):
        ivf.add_with_ids(
            np.ascontiguousarray(vectors[start : start + step], dtype=np.float32),
            np.ascontiguousarray(ids[start : start + step], dtype=np.int64),
        )
    ivf.nprobe = default_nprobe(nlist)
    return ivf


def _ivf_ids(ivf: Any) -> np.ndarray:
    lists = ivf.invlists
    parts = [
        compat_faiss.list_ids(lists, i, size)
        for i in range(int(ivf.nlist))
        if (size := lists.list_size(i))
    ]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _as_ids(ids: np.ndarray) -> np.ndarray:
    array = np.asarray(ids)
    if array.ndim != 1:
        raise VectorStoreError(f"ids must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise VectorStoreError(f"ids must be integers, got {array.dtype}")
    array = np.ascontiguousarray(array, dtype=np.int64)
    if array.size and array.min() < 0:
        raise VectorStoreError("ids must be >= 0")
    return array


def _results(scores: np.ndarray, labels: np.ndarray) -> list[list[tuple[int, float]]]:
    """FAISS output as (id, score) lists, dropping the -1 padding of short results."""
    return [
        [(int(i), float(s)) for i, s in zip(label_row, score_row, strict=True) if i >= 0]
        for label_row, score_row in zip(labels, scores, strict=True)
    ]


def _exact(
    queries: np.ndarray, ids: np.ndarray, vectors: np.ndarray, k: int
) -> list[list[tuple[int, float]]]:
    # in blocks small enough that OpenBLAS does not start threads: its threaded products
    # lose badly on shared cores for one query (docs/benchmarks.md)
    scores = np.empty((queries.shape[0], vectors.shape[0]), dtype=np.float32)
    for start in range(0, vectors.shape[0], EXACT_BLOCK):
        block = vectors[start : start + EXACT_BLOCK]
        np.matmul(queries, block.T, out=scores[:, start : start + block.shape[0]])
    k = min(k, ids.size)
    results = []
    for row in scores:
        top = np.argpartition(-row, k - 1)[:k] if k < row.size else np.arange(row.size)
        top = top[np.argsort(-row[top], kind="stable")]
        results.append([(int(ids[j]), float(row[j])) for j in top])
    return results
