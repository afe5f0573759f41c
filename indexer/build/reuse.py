"""Reuse the vectors of paragraphs whose embedded text did not change.

When a release changes, most of its paragraphs usually stay the same. Before encoding, the
pipeline asks :func:`vectors_for` which of the texts to embed the index already holds a vector
for: the stored paragraphs of the same releases are keyed by the hash of their embedded text
(:func:`dalil.indexer.build.pipeline.embedding_text`: title + first paragraph, or the
paragraph), and the vectors of matching ones are read back from each encoder's FAISS file. No
separate cache file: the index is the cache, so it can never disagree with it. Work is
proportional to the releases being replaced, not to the corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dalil.indexer.models import text_hash
from dalil.indexer.store.index import Index
from dalil.indexer.store.vector_store import VectorStoreError


@dataclass(frozen=True)
class CachedVectors:
    """Which texts have stored vectors. ``found[name]`` is (len(found_at), dim) in the order
    of ``found_at``; ``missing_at`` are the positions (into the texts asked for) to encode."""

    total: int
    found_at: tuple[int, ...]
    missing_at: tuple[int, ...]
    found: Mapping[str, np.ndarray]

    def missing_texts(self, texts: Sequence[str]) -> list[str]:
        return [texts[i] for i in self.missing_at]

    def complete(self, encoded: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """All vectors, in the order of the texts asked for: the stored ones plus ``encoded``
        (each encoder's vectors of :meth:`missing_texts`, in order)."""
        out = {}
        for name, new in encoded.items():
            dim = new.shape[1]
            full = np.empty((self.total, dim), dtype=np.float32)
            if self.missing_at:
                full[list(self.missing_at)] = new
            if self.found_at:
                full[list(self.found_at)] = self.found[name]
            out[name] = full
        return out


def vectors_for(
    index: Index,
    release_ids: Iterable[str],
    texts: Sequence[str],
    embedded_text: Callable[[str, int, str], str],
) -> CachedVectors:
    """Look ``texts`` up among the stored paragraphs of ``release_ids`` in ``index``
    (``embedded_text(title, position, text)`` is what was embedded for a stored paragraph)."""
    stored: dict[str, int] = {}
    for p in index.docs.release_paragraphs(release_ids):
        stored.setdefault(text_hash(embedded_text(p.title, p.position, p.text)), p.id)
    found_at: list[int] = []
    found_ids: list[int] = []
    missing_at: list[int] = []
    for position, text in enumerate(texts):
        pid = stored.get(text_hash(text)) if stored else None
        if pid is None:
            missing_at.append(position)
        else:
            found_at.append(position)
            found_ids.append(pid)
    found: dict[str, np.ndarray] = {}
    if found_ids:
        ids = np.asarray(found_ids, dtype=np.int64)
        for name, store in index.vectors.items():
            try:
                found[name] = store.reconstruct(ids)
            except VectorStoreError:  # a vector missing from FAISS: encode everything
                return CachedVectors(len(texts), (), tuple(range(len(texts))), {})
    return CachedVectors(len(texts), tuple(found_at), tuple(missing_at), found)
