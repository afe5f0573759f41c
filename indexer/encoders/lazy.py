"""Encoders loaded the first time they encode: a searcher opened for keyword queries (or a
command that fails on its arguments) never pays for loading a model.

:func:`lazy_encoders` returns stand-ins that know their name and dimension (from the index
manifest) at once and load the real encoders -- all of them together, as
:func:`~dalil.indexer.encoders.embedding.load_encoders` would -- on the first call that needs
one.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from dalil.indexer.encoders import embedding

if TYPE_CHECKING:
    from dalil.indexer.encoders.embedding import Encoder


class _Loader:
    def __init__(self, names: Sequence[str], threads: int) -> None:
        self.names = list(names)
        self.threads = threads
        self._loaded: dict[str, Encoder] | None = None
        self._lock = threading.Lock()  # server worker threads may ask at once

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def get(self, name: str) -> Encoder:
        with self._lock:
            if self._loaded is None:
                self._loaded = dict(embedding.load_encoders(self.names, threads=self.threads))
            return self._loaded[name]


class LazyEncoder:
    """An :class:`~dalil.indexer.encoders.embedding.Encoder` that loads on first use."""

    def __init__(self, name: str, dim: int, loader: _Loader) -> None:
        self.name = name
        self.dim = int(dim)
        self._loader = loader

    @property
    def loaded(self) -> bool:
        return self._loader.loaded

    @property
    def max_chars(self) -> int:
        return self._loader.get(self.name).max_chars

    def load(self) -> Encoder:
        return self._loader.get(self.name)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._loader.get(self.name).encode_passages(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._loader.get(self.name).encode_queries(texts)


def lazy_encoders(dims: Mapping[str, int], *, threads: int) -> dict[str, LazyEncoder]:
    """Stand-ins for the encoders ``dims`` names (name -> dimension, in order)."""
    loader = _Loader(list(dims), threads)
    return {name: LazyEncoder(name, dim, loader) for name, dim in dims.items()}


def load_encoders_now(encoders: Mapping[str, object]) -> None:
    """Load the lazy ones among ``encoders`` now (e.g. before timing a query)."""
    for encoder in encoders.values():
        if isinstance(encoder, LazyEncoder):
            encoder.load()
