"""Every use of FAISS's SWIG-level details, behind a start-up check and a public fallback.

Two spots in ``indexer/store/vector_store.py`` go below FAISS's Python API:

- :func:`hand_over` gives an IVF index ownership of its quantizer through the SWIG proxy
  (``quantizer.this.disown()`` with ``own_fields``), so the C++ index frees it. Fallback:
  the IVF index's Python object keeps a reference to the quantizer
  (``referenced_objects``, what FAISS's own constructors do), which lives as long as the
  store holds the index.
- :func:`list_ids` copies one inverted list's ids out of C++ memory in one call
  (``faiss.rev_swig_ptr`` over ``InvertedLists.get_ids``). Fallback:
  ``InvertedLists.get_single_id`` id by id (same ids, slower).
"""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np

FALLBACK = "IVF quantizers are kept alive from Python; IVF ids are read one at a time"

PROXY_ATTRIBUTE = "this"  # a SWIG proxy's handle on its C++ object
DISOWN_METHOD = "disown"  # SwigPyObject: Python stops owning (freeing) the C++ object
ATTRIBUTES = (
    f"SwigPyObject.{PROXY_ATTRIBUTE}.{DISOWN_METHOD}",
    "faiss.rev_swig_ptr",
    "InvertedLists.get_ids",
)


class _State:
    """What :func:`check` found (None: not checked yet)."""

    disown: bool | None = None
    bulk_ids: bool | None = None


def check() -> list[str]:
    """The names in :data:`ATTRIBUTES` this FAISS lacks (empty: every detail is there).
    Probes a real index of one vector; decides which path :func:`hand_over` and
    :func:`list_ids` take from now on."""
    missing = []
    probe = faiss.IndexFlatIP(1)
    _State.disown = hasattr(getattr(probe, PROXY_ATTRIBUTE, None), DISOWN_METHOD)
    if not _State.disown:
        missing.append(ATTRIBUTES[0])
    has_ptr = hasattr(faiss, "rev_swig_ptr")
    has_get_ids = hasattr(faiss.InvertedLists, "get_ids")
    if not has_ptr:
        missing.append(ATTRIBUTES[1])
    if not has_get_ids:
        missing.append(ATTRIBUTES[2])
    _State.bulk_ids = has_ptr and has_get_ids
    return missing


def _checked() -> None:
    if _State.disown is None or _State.bulk_ids is None:
        check()


def hand_over(ivf: Any, quantizer: Any) -> None:
    """Make sure ``quantizer`` lives as long as the IVF index built over it."""
    _checked()
    if _State.disown:
        ivf.own_fields = True
        getattr(getattr(quantizer, PROXY_ATTRIBUTE), DISOWN_METHOD)()  # the IVF index frees it
        return
    referenced = list(getattr(ivf, "referenced_objects", None) or [])
    if not any(obj is quantizer for obj in referenced):
        ivf.referenced_objects = [*referenced, quantizer]


def list_ids(lists: Any, list_no: int, size: int) -> np.ndarray:
    """The ``size`` ids of inverted list ``list_no``, int64."""
    _checked()
    if _State.bulk_ids:
        return np.asarray(faiss.rev_swig_ptr(lists.get_ids(list_no), size), dtype=np.int64).copy()
    return np.fromiter(
        (lists.get_single_id(list_no, offset) for offset in range(size)), np.int64, size
    )
