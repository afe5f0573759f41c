"""Every use of Whoosh internals, behind a start-up check and a public fallback.

:func:`block_postings` reads a term's postings a *block* (up to 128 postings) at a time
from ``whoosh.codec.whoosh3.W3LeafMatcher``: its private block state and loaders
(whoosh-reloaded 2.7.x). Whoosh's public matcher interface walks postings one at a time in
Python, so the block reader is what makes the numpy BM25F scorer fast
(``indexer/store/keyword_scoring.py``). When an upgrade renames or drops any attribute in
:data:`ATTRIBUTES`, :func:`check` says which, and :func:`block_postings` returns None so
callers use the public interface (:func:`public_postings`): the same postings, Whoosh's
speed.

:func:`deleted_docs` reads ``SegmentReader.deleted_docs_set`` (not part of the
``IndexReader`` interface); the fallback asks ``is_deleted`` document by document.

:func:`is_damage` tells a damaged segment file from a bug: Whoosh reports some damage as
``struct``/``zlib``/OS errors and some as a bare ``Exception`` raised in its own code (e.g.
"Block tag error" when a posting block's header is gone).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

FALLBACK = (
    "Whoosh's public interface (keyword scoring reads postings one at a time, deleted "
    "documents through is_deleted)"
)

# what the block reader touches on a W3LeafMatcher (methods and attributes set by its
# __init__ / reset), what unwraps a leaf matcher from Whoosh's wrappers, and the reader's
# deleted set
MATCHER_CLASS = "whoosh.codec.whoosh3.W3LeafMatcher"
MATCHER_ATTRIBUTES = ("_byteids", "_atend", "_blocklength", "_data", "_read_data", "_next_block")
WRAPPER_ATTRIBUTE = "child"  # whoosh.matching.WrappingMatcher (e.g. the deletion filter)
READER_ATTRIBUTE = "deleted_docs_set"  # whoosh.reading.SegmentReader
READER_LABEL = f"SegmentReader.{READER_ATTRIBUTE}"
ATTRIBUTES = (
    MATCHER_CLASS,
    *(f"W3LeafMatcher.{name}" for name in MATCHER_ATTRIBUTES),
    f"WrappingMatcher.{WRAPPER_ATTRIBUTE}",
    READER_LABEL,
)


class _State:
    """What :func:`check` found (None: not checked yet)."""

    blocks: bool | None = None
    deleted_set: bool | None = None
    matcher_class: Any = None  # W3LeafMatcher when the block reader can be used


def _matcher_class() -> Any:
    try:
        from whoosh.codec.whoosh3 import W3LeafMatcher
    except ImportError:
        return None
    return W3LeafMatcher


def check() -> list[str]:
    """The names in :data:`ATTRIBUTES` this Whoosh lacks (empty: every internal is there).
    Probes a real two-document index in memory (most of the matcher's attributes exist only
    on instances), then deletes a document to probe the deleted set; decides which path
    :func:`block_postings` and :func:`deleted_docs` take from now on."""
    from whoosh.fields import TEXT, Schema
    from whoosh.filedb.filestore import RamStorage
    from whoosh.matching import WrappingMatcher

    ix = RamStorage().create_index(Schema(text=TEXT))
    with ix.writer() as w:
        w.add_document(text="probe")
        w.add_document(text="probe")
    block_missing: list[str] = []
    matcher_class = _matcher_class()
    if matcher_class is None:
        block_missing.append(MATCHER_CLASS)
    else:
        with ix.reader() as reader:  # no deletions yet: the leaf matcher itself
            matcher = reader.leaf_readers()[0][0].postings("text", "probe")
            if not isinstance(matcher, matcher_class):
                block_missing.append(MATCHER_CLASS)
            else:
                block_missing += [
                    f"W3LeafMatcher.{name}"
                    for name in MATCHER_ATTRIBUTES
                    if not hasattr(matcher, name)
                ]
            if not hasattr(WrappingMatcher(matcher), WRAPPER_ATTRIBUTE):
                block_missing.append(f"WrappingMatcher.{WRAPPER_ATTRIBUTE}")
    w = ix.writer()
    w.delete_document(1)
    w.commit(merge=False)
    with ix.reader() as reader:
        deleted = getattr(reader.leaf_readers()[0][0], READER_ATTRIBUTE, None)
        deleted_ok = deleted is not None and set(deleted) == {1}
    _State.blocks = not block_missing
    _State.matcher_class = matcher_class if not block_missing else None
    _State.deleted_set = deleted_ok
    return block_missing + ([] if deleted_ok else [READER_LABEL])


def _checked() -> None:
    if _State.blocks is None or _State.deleted_set is None:
        check()


def _unwrap(matcher: Any) -> Any:
    """The innermost matcher under Whoosh's wrappers (e.g. the FilterMatcher skipping
    deleted documents)."""
    while hasattr(matcher, WRAPPER_ATTRIBUTE):
        matcher = getattr(matcher, WRAPPER_ATTRIBUTE)
    return matcher


def block_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(document numbers, weights) of a fresh matcher from ``leaf.postings(field, text)``,
    read block by block and including deleted documents; None when the block reader cannot
    be used (internals missing, or another codec): then use :func:`public_postings`."""
    _checked()
    if not _State.blocks:
        return None
    leaf_matcher = _unwrap(matcher)
    if not isinstance(leaf_matcher, _State.matcher_class):
        return None
    return _read_blocks(leaf_matcher)


def _read_blocks(m: Any) -> tuple[np.ndarray, np.ndarray]:
    if m._byteids:  # ids of term vectors, not postings: never for a field's terms
        raise ValueError("not a postings matcher")
    id_blocks: list[np.ndarray] = []
    weight_blocks: list[np.ndarray] = []
    while not m._atend:
        n = m._blocklength
        if m._data is None:
            m._read_data()
        deltas, weights = m._data[0], m._data[1]
        id_blocks.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
        if weights is None:
            weight_blocks.append(np.ones(n))
        elif isinstance(weights, float):
            weight_blocks.append(np.full(n, weights))
        else:
            weight_blocks.append(np.asarray(weights, dtype=np.float64))
        m._next_block()
    if not id_blocks:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    return np.concatenate(id_blocks), np.concatenate(weight_blocks)


def public_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, weights) through Whoosh's public matcher interface, one posting
    at a time (deleted documents skipped)."""
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, np.int64), np.asarray(weights, np.float64)


def deleted_docs(leaf: Any) -> np.ndarray:
    """The deleted document numbers of one segment reader (int64, any order)."""
    _checked()
    if _State.deleted_set:
        return np.fromiter(getattr(leaf, READER_ATTRIBUTE), dtype=np.int64)
    n = leaf.doc_count_all()
    return np.fromiter((d for d in range(n) if leaf.is_deleted(d)), dtype=np.int64)


# What a truncated or overwritten segment file raises while it is read.
READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    struct.error,
    zlib.error,
    ValueError,
    IndexError,
)


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc``, raised while reading an index, means a damaged file: one of
    :data:`READ_ERRORS`, or a bare ``Exception`` raised inside the whoosh package."""
    if isinstance(exc, READ_ERRORS):
        return True
    if type(exc) is not Exception:
        return False
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last is not None and "whoosh" in Path(last.tb_frame.f_code.co_filename).parts
