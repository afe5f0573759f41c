"""Encoder threads on a shared machine: a batch runs on no more threads than the cores other
processes leave free, and on at least one."""

from __future__ import annotations

import os

import pytest

from dalil.indexer.encoders import base
from dalil.indexer.encoders.base import SMALL_BATCH, SharedCores, ThreadLimit, threads_left_free


@pytest.mark.parametrize(
    ("free", "threads", "expected"),
    [(None, 4, 4), (0.2, 2, 1), (0.0, 2, 1), (1.4, 4, 1), (1.6, 4, 2), (8.0, 2, 2), (0.0, 1, 1)],
)
def test_threads_follow_the_free_cores(monkeypatch, free, threads, expected) -> None:
    monkeypatch.setattr(base._shared, "free", lambda: free)
    assert threads_left_free(threads) == expected
    limit = ThreadLimit(threads)
    assert limit.threads_for(SMALL_BATCH) == expected
    assert limit.threads_for(1) == 1  # queries: always one


def test_shared_cores_counts_other_processes_only(monkeypatch) -> None:
    """Two looks 1 s apart: all cores busy 1.5 CPU-s, 0.5 of them ours -> 1 core used by
    others, the rest free."""
    samples = iter([(0.0, 100.0, 50.0, 10.0), (1.0, 104.0, 52.5, 10.5)])
    watch = SharedCores()
    monkeypatch.setattr(watch, "_sample", lambda: next(samples))
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert watch.free() is None  # one look is not a measurement
    assert watch.free() == pytest.approx(3.0)


def test_shared_cores_reads_this_machine() -> None:
    watch = SharedCores()
    watch.WINDOW = 0.0
    watch.free()
    sum(i * i for i in range(200_000))  # some CPU time of our own between the looks
    free = watch.free()
    assert free is None or 0.0 <= free <= (os.cpu_count() or 1)
