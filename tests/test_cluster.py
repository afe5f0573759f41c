"""Encoding on a Dask cluster (``--workers N``): the same index, byte for byte, as on one
machine; a worker with other encoder versions is refused by name; a killed worker's tasks
rerun elsewhere; a persistent failure ends the run with exit 2 and the live generation as
it was. Real Dask LocalClusters of 2 single-thread worker processes, real encoders."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
from web_fixtures import REPO, write_corpus

from dalil.indexer.build.generation import index_sources
from dalil.indexer.encoders import embedding
from dalil.indexer.encoders.cluster import TEST_FAIL_ENV as ENV_FAIL
from dalil.indexer.encoders.cluster import (
    ClusterEncoder,
    ClusterError,
    ClusterMismatchError,
    ClusterProgress,
    task_slices,
)
from dalil.indexer.settings import Settings
from dalil.indexer.store import layout as gens
from dalil.web.cli.main import main

SAMPLE = REPO / "indexer" / "sample_data" / "ant-sample.jsonl"


def settings_for(index: Path, encoders: str, **extra: object) -> Settings:
    values: dict[str, object] = {"index": index, "encoders": encoders, "threads": 1, **extra}
    return Settings.model_validate(values)


def sqlite_rows(gen: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(f"file:{gen / 'docs.sqlite'}?mode=ro", uri=True)
    try:
        return {
            "releases": db.execute(
                "SELECT id, title, date, source, language, url, category, origin, metadata, "
                "content_hash FROM releases ORDER BY id"  # all but indexed_at (run time)
            ).fetchall(),
            "paragraphs": db.execute(
                "SELECT id, release_id, position, text, hash FROM paragraphs ORDER BY id"
            ).fetchall(),
        }
    finally:
        db.close()


def search_json(index: Path, query: str, capsys: pytest.CaptureFixture[str]) -> object:
    capsys.readouterr()
    assert main(["search", "--index", str(index), "--json", "-k", "10", query]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits, query
    return hits


def test_task_boundaries_fall_on_batch_boundaries() -> None:
    slices = task_slices(100, 3, batches=4)
    assert [(s.start, s.stop) for s in slices] == [(0, 12), (12, 24), (24, 36), (36, 48),
                                                   (48, 60), (60, 72), (72, 84), (84, 96),
                                                   (96, 100)]  # fmt: skip
    assert all(s.start % 3 == 0 for s in slices)


def test_without_workers_dask_is_not_imported(tmp_path: Path) -> None:
    """The one-machine path never imports Dask (a fresh interpreter indexes with hash-test)."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dalil.indexer.build.generation import index_sources\n"
        "from dalil.indexer.settings import Settings\n"
        f"s = Settings.model_validate({{'index': {str(tmp_path / 'i')!r}, "
        "'encoders': 'hash-test', 'threads': 1})\n"
        f"r = index_sources(s, [Path({str(SAMPLE)!r})], progress=False)\n"
        "assert r.added > 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_two_workers_give_the_same_index_and_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """use-m3 (whose output depends on how a batch is composed) and hash-test, small
    batches so that a chunk spans many tasks: FAISS files byte-identical, SQLite content
    equal, `dalil search --json` identical."""
    sources = write_corpus(tmp_path / "corpus")
    local, spread = tmp_path / "local", tmp_path / "cluster"
    encoders = "use-m3,hash-test"
    one = index_sources(settings_for(local, encoders, batch_size=4), sources, progress=False)
    two = index_sources(
        settings_for(spread, encoders, batch_size=4, workers=2), sources, progress=False
    )
    assert one.added == two.added > 0 and one.failed == two.failed == 0
    assert one.paragraphs_embedded == two.paragraphs_embedded > 4 * 8  # more than one task
    assert "encode:cluster" in two.stage_seconds and "cluster_start" in two.stage_seconds
    assert "encode:cluster" not in one.stage_seconds
    a, b = gens.resolve(local), gens.resolve(spread)
    names = sorted(p.name for p in (a / "faiss").iterdir())
    assert names == sorted(p.name for p in (b / "faiss").iterdir()) and len(names) == 2
    for name in names:
        assert (a / "faiss" / name).read_bytes() == (b / "faiss" / name).read_bytes(), name
    assert sqlite_rows(a) == sqlite_rows(b)
    for query in ("Bahrain NATO", "الاقتصاد والتجارة", "vaccination campaign"):
        assert search_json(local, query, capsys) == search_json(spread, query, capsys)


def hash_texts(n: int) -> list[str]:
    return [f"paragraph {i}: " + "كلمة " * (i % 7) + "word " * (i % 5) for i in range(n)]


class _OtherVersion:
    """hash-test with different vectors: the driver of a worker fleet that does not match."""

    def __init__(self, inner: embedding.Encoder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim

    @property
    def max_chars(self) -> int:
        return self.inner.max_chars

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        out = self.inner.encode_passages(texts)
        return np.asarray(np.roll(out, 1, axis=1), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)


@pytest.fixture
def hash_encoders() -> Mapping[str, embedding.Encoder]:
    return embedding.load_encoders(["hash-test"], threads=1)


@pytest.fixture
def cluster(hash_encoders: Mapping[str, embedding.Encoder]) -> Iterator[ClusterEncoder]:
    with ClusterEncoder(hash_encoders, workers=2) as encoder:
        yield encoder


@pytest.mark.slow  # starts a Dask LocalCluster (seconds)
def test_a_worker_with_other_encoder_versions_stops_the_run_by_name(
    hash_encoders: Mapping[str, embedding.Encoder],
) -> None:
    driver = {"hash-test": _OtherVersion(hash_encoders["hash-test"])}
    with (
        ClusterEncoder(driver, workers=2) as encoder,
        pytest.raises(ClusterMismatchError) as caught,
    ):
        encoder.encode(hash_texts(10), 4)
    message = str(caught.value)
    assert "worker tcp://127.0.0.1:" in message and "hash-test" in message
    assert "install the same" in message


@pytest.mark.slow  # starts a Dask LocalCluster (seconds)
def test_a_killed_worker_s_tasks_rerun_elsewhere(
    cluster: ClusterEncoder, hash_encoders: Mapping[str, embedding.Encoder]
) -> None:
    texts = hash_texts(400)
    expected = embedding.encode_passages(hash_encoders["hash-test"], texts, 2)
    cluster.start()
    client = cluster._client
    assert client is not None
    pids = client.run(os.getpid)
    seen: list[ClusterProgress] = []

    def progress(p: ClusterProgress) -> None:
        if not seen:  # after the first task: kill the worker of a task still running
            victim = next(iter(pids))
            os.kill(pids[victim], signal.SIGKILL)
        seen.append(p)

    out = cluster.encode(texts, 2, progress)
    assert np.array_equal(out["hash-test"], expected)
    assert seen[-1].done == seen[-1].total == 400
    assert [p.done for p in seen] == sorted(p.done for p in seen)  # what the progress bar shows
    assert all(0 <= p.busy <= p.workers <= 2 for p in seen) and seen[0].workers >= 1
    assert len(seen) == len(task_slices(400, 2))
    assert set(client.run(os.getpid).values()) != set(pids.values())  # one was replaced


@pytest.mark.slow  # starts a Dask LocalCluster (seconds)
def test_bounded_work_in_flight(cluster: ClusterEncoder) -> None:
    cluster.start()
    assert cluster.worker_count() == 2
    assert cluster.in_flight() == 4  # 2 per worker thread


@pytest.mark.slow  # starts a Dask LocalCluster (seconds)
def test_a_persistent_failure_ends_the_run_with_exit_2_and_the_live_generation_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    first = tmp_path / "first.jsonl"
    first.write_text("".join(SAMPLE.read_text(encoding="utf-8").splitlines(True)[:5]))
    common = ["--index", str(index), "--encoders", "hash-test", "--no-progress"]
    assert main(["index", *common, str(first)]) == 0
    live = gens.current_name(index)
    before = sorted(p.name for p in index.iterdir())
    monkeypatch.setenv(ENV_FAIL, "cluster_task")  # inherited by the worker processes
    capsys.readouterr()
    assert main(["index", *common, "--workers", "2", str(SAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "on the cluster failed after 2 retries" in err and "failing on purpose" in err
    assert gens.current_name(index) == live
    assert sorted(p.name for p in index.iterdir()) == before  # no staging left behind


def test_cluster_and_workers_are_exclusive(tmp_path: Path) -> None:
    from dalil.indexer.errors import SettingsError
    from dalil.indexer.settings import load_settings

    with pytest.raises(SettingsError, match="both set"):
        load_settings(index=tmp_path, workers=2, cluster="tcp://127.0.0.1:8786")


def test_an_unreachable_scheduler_is_a_clear_error(
    hash_encoders: Mapping[str, embedding.Encoder],
) -> None:
    with (
        ClusterEncoder(hash_encoders, address="tcp://127.0.0.1:9", start_timeout=2) as encoder,
        pytest.raises(ClusterError, match="cannot start or reach tcp://127.0.0.1:9"),
    ):
        encoder.encode(hash_texts(3), 4)
