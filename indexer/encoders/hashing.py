"""``hash-test``: a deterministic fake encoder -- a TEST DOUBLE, never a default.

It hashes the normalised words of a text (case-folded, Arabic diacritics and tatweel
removed) into 64 signed buckets and L2-normalises the counts: texts sharing words get
a positive cosine, nothing else is semantic. Fast and dependency-free, for unit tests of
storage, fusion and pipeline logic. Queries and passages are encoded the same way.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from dalil.indexer.encoders.base import check_texts, check_threads, empty

NAME = "hash-test"
DIM = 64
MAX_CHARS = 100_000
_WORD = re.compile(r"\w+")
_ARABIC_MARKS = re.compile("[\u0640\u064b-\u065f\u0670]")


def words(text: str) -> list[str]:
    """The normalised words of ``text``."""
    text = _ARABIC_MARKS.sub("", unicodedata.normalize("NFKC", text).casefold())
    return _WORD.findall(text)


def _bucket(word: str) -> tuple[int, float]:
    digest = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "big")
    return digest % DIM, (1.0 if (digest >> 32) & 1 else -1.0)


def hash_vector(text: str) -> np.ndarray:
    """One unit vector; a text without words (or whose buckets cancel) maps to the
    bucket of the empty word."""
    vec = np.zeros(DIM, dtype=np.float32)
    for word in words(text):
        index, sign = _bucket(word)
        vec[index] += sign
    norm = float(np.linalg.norm(vec))
    if norm == 0.0:
        vec[_bucket("")[0]] = 1.0
        return vec
    return vec / norm


class HashEncoder:
    """The ``hash-test`` double (see module docstring)."""

    def __init__(self, threads: int = 1) -> None:
        check_threads(threads)
        self.name = NAME
        self.dim = DIM
        self.max_chars = MAX_CHARS

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        items = check_texts(texts, NAME)
        if not items:
            return empty(DIM)
        return np.ascontiguousarray(np.stack([hash_vector(t) for t in items]), dtype=np.float32)
