"""Near-duplicate releases: the same press release carried by several outlets, or re-issued
with a changed date. Pure: MinHash signatures of word shingles (datasketch) and clusters of
releases whose estimated Jaccard similarity reaches :data:`THRESHOLD`, found with LSH.

The threshold and shingle size are measured on the ANT news file (``bench/near_duplicates.py``;
docs/benchmarks.md): republished copies differ in a byline, a dateline or a closing line, so
their 3-word shingle sets overlap far more than two stories on the same event do.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping

import numpy as np
from datasketch import MinHash, MinHashLSH

from dalil.indexer.text.analysis import normalize

NUM_PERM = 64  # permutations per signature (256 bytes a release: uint32)
SHINGLE_WORDS = 3
THRESHOLD = 0.7  # estimated Jaccard of the shingle sets
MIN_SHINGLES = 8  # shorter texts are never folded: too little text to tell copies apart
SEED = 1
SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def _crc32(data: bytes) -> int:
    # stable across processes and ~10x faster than datasketch's default SHA-1 (the input
    # hash only needs 32 well-mixed bits: the affine32 scheme mixes it again)
    return zlib.crc32(data)


_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The text's overlapping ``size``-word runs, normalised (Arabic letter variants and
    diacritics, case), as bytes."""
    words = _WORD.findall(normalize(text))
    if len(words) < size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (``NUM_PERM`` uint32) of ``text``; None when it has fewer than
    :data:`MIN_SHINGLES` shingles."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    minhash = _minhash()
    minhash.update_batch(list(grams))
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


def _minhash(values: np.ndarray | None = None) -> MinHash:
    return MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        scheme=SCHEME,
        permutations=_PERMUTATIONS,
        hashvalues=values,
        hashfunc=_crc32,
    )


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / float(len(a))


def clusters(signatures: Mapping[str, np.ndarray], threshold: float = THRESHOLD) -> dict[str, str]:
    """Release id -> cluster id (the smallest id among its near-duplicates) for every release
    with at least one near-duplicate; releases without one are left out. Candidates come
    from LSH and are kept when their estimated similarity reaches ``threshold``; clusters
    are the connected components of those pairs."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    hashes: dict[str, MinHash] = {}
    for rid, values in signatures.items():
        minhash = _minhash(values)
        hashes[rid] = minhash
        lsh.insert(rid, minhash)
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for rid, minhash in hashes.items():
        for other in lsh.query(minhash):
            if other != rid and similarity(signatures[rid], signatures[other]) >= threshold:
                a, b = root(rid), root(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for rid in hashes:
        members.setdefault(root(rid), []).append(rid)
    out: dict[str, str] = {}
    for group in members.values():
        if len(group) > 1:
            lead = min(group)
            out.update(dict.fromkeys(group, lead))
    return out


def pairs(cluster_of: Mapping[str, str]) -> dict[str, list[str]]:
    """Cluster id -> its release ids (sorted)."""
    out: dict[str, list[str]] = {}
    for rid, cluster in sorted(cluster_of.items()):
        out.setdefault(cluster, []).append(rid)
    return out


def release_text(title: str, paragraphs: Iterable[str]) -> str:
    """What is compared: the title and the body."""
    return "\n".join([title, *paragraphs])
