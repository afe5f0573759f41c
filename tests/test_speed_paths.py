"""The speed paths: the overlapped keyword writer (same index as the sequential path), the
FAISS index type chosen by size, and IVF recall against exact search. No timings here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dalil.indexer.build import pipeline
from dalil.indexer.build.outcomes import Outcomes
from dalil.indexer.encoders import base as encoders_base
from dalil.indexer.encoders.embedding import load_encoders
from dalil.indexer.models import Release, StoredParagraph
from dalil.indexer.settings import Settings
from dalil.indexer.store.index import Index
from dalil.indexer.store.keyword_store import KeywordStore
from dalil.indexer.store.keyword_writer import KeywordWriteError, KeywordWriterProcess
from dalil.indexer.store.vector_store import VectorStore, build_ivf, default_nprobe, ivf_nlist
from dalil.indexer.timing import StageClock

WORDS = [
    *[
        "وزارة",
        "الخارجية",
        "البحرين",
        "الحلف",
        "مبادرة",
        "التعاون",
        "الاقتصاد",
        "النفط",
        "الطاقة",
        "المياه",
        "الصحة",
    ],
    *[
        "ministry",
        "trade",
        "agreement",
        "council",
        "water",
        "security",
        "budget",
        "energy",
        "health",
        "school",
        "port",
    ],
]


def _releases(n: int, *, seed: int, version: int = 0) -> list[Release]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        paragraphs = [
            " ".join(rng.choice(WORDS, size=int(rng.integers(8, 20))))
            + (f" v{version}" if version and j == 0 else "")
            for j in range(int(rng.integers(1, 5)))
        ]
        out.append(
            Release(
                id=f"r{i}",
                title=" ".join(rng.choice(WORDS, size=4)),
                paragraphs=tuple(paragraphs),
                date=f"2020-01-{1 + i % 28:02d}",
                source="test",
                language="ar" if i % 3 else "en",
                category="politics",
                origin=f"test#{i}",
            )
        )
    return out


def _run(index: Index, encoders, settings: Settings, releases, commit_releases: int) -> None:
    with index.writing():
        run = pipeline._Run(index, encoders, settings, StageClock(), Outcomes())
        run.consume(releases, commit_releases=commit_releases)


def _snapshot(path: Path) -> dict:
    """What an index holds, id-independent: paragraphs (release, position, text), their
    vectors, and keyword hits by (release, position) for a few queries."""
    with Index.open(path) as index:
        ids = index.docs.paragraph_ids()
        rows = index.docs.paragraphs(ids.tolist())
        key = {i: (rows[i].release_id, rows[i].position) for i in rows}
        store = index.vectors["hash-test"]
        vectors = store.reconstruct(ids)
        by_key = {
            key[int(i)]: (rows[int(i)].text, vectors[n].round(5).tobytes())
            for n, i in enumerate(ids)
        }
        hits = {
            q: sorted((key[p], round(s, 4)) for p, s in index.keywords.search(q, 50))
            for q in ("وزارة الخارجية", "water security", "النفط budget", "steel v1")
        }
        assert set(index.keywords.ids()) == set(ids.tolist())
        return {"rows": by_key, "hits": hits, "count": index.keywords.count()}


@pytest.mark.slow  # a keyword writer child process
@pytest.mark.parametrize("overlap_min", [1, 10**9])
def test_overlapped_writer_builds_the_same_index(tmp_path, monkeypatch, overlap_min) -> None:
    encoders = load_encoders(["hash-test"], threads=1)
    settings = Settings(encoders="hash-test", threads=1)
    first = _releases(60, seed=1)
    # updates (some releases changed, one repeated across chunks) and new releases
    second = _releases(20, seed=1, version=1) + _releases(60, seed=1)[40:] + first[:3]

    built = {}
    for name, minimum in (("sequential", 10**9), ("overlapped", overlap_min)):
        monkeypatch.setattr(pipeline, "OVERLAP_MIN_PARAGRAPHS", minimum)
        path = tmp_path / name
        index = Index.create(path, encoders)
        try:
            _run(index, encoders, settings, first, commit_releases=7)
            _run(index, encoders, settings, second, commit_releases=5)
        finally:
            index.close()
        built[name] = _snapshot(path)
    assert built["overlapped"] == built["sequential"]
    assert built["sequential"]["count"] == len(built["sequential"]["rows"])


@pytest.mark.slow  # a keyword writer child process
def test_writer_process_reports_failures(tmp_path) -> None:
    # no index there: the child dies on open
    with pytest.raises(KeywordWriteError), KeywordWriterProcess(tmp_path / "missing") as proc:
        proc.submit([], [])
        proc.wait()
    KeywordStore.create(tmp_path / "kw").close()
    row = StoredParagraph(1, "r", 0, "نص", "t", None, None, None, None)
    with KeywordWriterProcess(tmp_path / "kw") as proc:
        proc.submit([], [row])
        assert proc.wait()[0] == 1
        proc.submit([], [row])  # the same unique pid twice is fine for Whoosh; a bad row:
        proc.wait()
        proc.submit([], [StoredParagraph("x", "r", 0, "t", "t", None, None, None, None)])
        with pytest.raises(KeywordWriteError, match="failed in the writer process"):
            proc.wait()


@pytest.mark.slow  # a keyword writer child process
def test_encoders_leave_a_core_only_while_the_writer_process_works(tmp_path, monkeypatch) -> None:
    KeywordStore.create(tmp_path / "kw").close()
    monkeypatch.setattr(pipeline, "usable_cores", lambda: 2)
    monkeypatch.setattr(encoders_base._shared, "free", lambda: 64.0)  # an idle machine
    run = pipeline._Run.__new__(pipeline._Run)  # only the thread policy is under test
    run._keyword_proc = None
    assert run._encoder_threads() == 2  # small runs without a writer process: every core
    # a server encoding while it serves (API writes, scheduled re-index) keeps a core free
    monkeypatch.setattr(encoders_base, "usable_cores", lambda: 2)
    limit = encoders_base.ThreadLimit(2)
    with encoders_base.threads_at_most(run._encoder_threads):
        assert limit.threads_for(32) == 2
        with encoders_base.leaving_a_core_free():
            assert limit.threads_for(32) == 1
    rows = [
        StoredParagraph(
            i, f"r{i}", 0, f"فقرة رقم {i} عن الأمن والطاقة", "عنوان", None, None, None, None
        )
        for i in range(1, 301)
    ]
    with KeywordWriterProcess(tmp_path / "kw") as proc:
        run._keyword_proc = proc
        assert not proc.working()
        assert run._encoder_threads() == 2  # writer idle: every core
        proc.submit([], rows)
        assert proc.working()
        assert run._encoder_threads() == 1
        assert proc.wait()[0] == 300
        assert not proc.working()
        assert run._encoder_threads() == 2


def _clustered(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors around 256 fixed centres (like text embeddings, unlike uniform noise)."""
    centres = np.random.default_rng(0).normal(size=(256, dim))
    rng = np.random.default_rng(seed)
    x = centres[rng.integers(0, 256, size=n)] + 0.35 * rng.normal(size=(n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


@pytest.mark.parametrize("large", ["sqfp16", "ivf"])
def test_index_type_follows_size(tmp_path, large) -> None:
    x = _clustered(3000, 32, seed=2)
    ids = np.arange(3000, dtype=np.int64) * 3 + 11
    store = VectorStore(32)
    store.add(ids[:1000], x[:1000])
    assert not store.fit_to_size(exact_max=2000, large=large) and store.kind == "flat"
    store.add(ids[1000:], x[1000:])
    assert store.fit_to_size(exact_max=2000, large=large)
    assert store.kind.startswith(large) and not store.exact
    assert (store.nprobe is not None) == (large == "ivf")
    np.testing.assert_array_equal(np.sort(store.ids()), ids)
    np.testing.assert_allclose(store.reconstruct(ids[[5, 2500]]), x[[5, 2500]], atol=1e-3)
    # writes keep working on IVF: remove, add, filtered search, save / load
    assert store.remove(ids[:10]) == 10
    assert store.count == 2990
    store.add(ids[:5], x[:5])
    top = store.search(x[3], 1)
    assert top[0][0] == ids[3]
    allowed = ids[2000:2100]
    assert {i for i, _ in store.search(x[2050], 5, allowed)} <= set(allowed.tolist())
    store.save(tmp_path / "s.faiss")
    loaded = VectorStore.load(tmp_path / "s.faiss")
    assert loaded.kind == store.kind and loaded.count == store.count
    np.testing.assert_array_equal(np.sort(loaded.ids()), np.sort(store.ids()))
    assert loaded.search(x[3], 1)[0][0] == ids[3]
    assert not loaded.fit_to_size(exact_max=2000, large=large)  # stays above exact_max // 2
    loaded.remove(loaded.ids()[:2000])
    assert loaded.fit_to_size(exact_max=2000, large=large)
    assert loaded.kind == "flat" and loaded.exact
    assert loaded.count == 995
    kept = int(loaded.ids()[0])
    assert loaded.search(x[(kept - 11) // 3], 1)[0][0] == kept


def test_ivf_recall_against_exact() -> None:
    n, dim = 20_000, 64
    x = _clustered(n, dim, seed=3)
    ids = np.arange(n, dtype=np.int64)
    exact = VectorStore(dim)
    exact.add(ids, x)
    approx = VectorStore(dim)
    approx._init(build_ivf(ids, x), None)
    assert approx.kind == f"ivf{ivf_nlist(n)}"
    assert approx.nprobe == default_nprobe(ivf_nlist(n))
    queries = _clustered(200, dim, seed=4)
    recall = []
    for q in queries:
        truth = {i for i, _ in exact.search(q, 10)}
        got = {i for i, _ in approx.search(q, 10)}
        recall.append(len(truth & got) / 10)
    assert float(np.mean(recall)) >= 0.98


def test_nlist_and_nprobe_bounds() -> None:
    assert ivf_nlist(10) == 64
    assert ivf_nlist(100_000) == 256
    assert ivf_nlist(252_715) == 512
    assert ivf_nlist(10**8) == 2048
    assert default_nprobe(64) == 16 and default_nprobe(2048) == 128
