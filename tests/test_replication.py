"""Replicas from object storage: ``dalil publish --to URL`` and ``dalil serve --replica-of
URL`` against a real S3-compatible server (moto's, on 127.0.0.1, driven by boto3) and a
plain shared directory. Real indexes (hash-test encoder), real uvicorn servers."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import uvicorn
from moto.server import ThreadedMotoServer

from dalil.indexer.build.generation import index_sources
from dalil.indexer.build.reindex import reindex
from dalil.indexer.generations.checksums import read_checksums
from dalil.indexer.generations.remote import (
    BLOBS,
    CURRENT_KEY,
    Listing,
    PublishConflictError,
)
from dalil.indexer.generations.replica import REFUSED, SWITCHED, UNCHANGED, Replica
from dalil.indexer.generations.replicate import publish_generation
from dalil.indexer.generations.stores import Current, Store, open_store
from dalil.indexer.settings import PublishConfig, Settings, SourceConfig
from dalil.indexer.store import layout as gens
from dalil.indexer.store.layout import CHECKSUMS_NAME
from dalil.web.cli.main import main

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "indexer" / "sample_data" / "ant-sample.jsonl"
POLL = 0.3  # seconds between a test replica's polls
WAIT = 60.0  # bound of every wait loop (seconds)


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible HTTP server on 127.0.0.1 (a free port)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, s3_endpoint: str) -> str:
    """Dummy credentials and the endpoint through the standard AWS variables."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return s3_endpoint


@pytest.fixture
def bucket(aws_env: str) -> str:
    name = f"dalil-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["s3", "dir"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "s3":
        return f"s3://{request.getfixturevalue('bucket')}/press/index"
    return str(tmp_path / "shared")


def sample_lines(start: int, stop: int) -> str:
    return "".join(SAMPLE.read_text(encoding="utf-8").splitlines(True)[start:stop])


def settings_for(index: Path, **extra: object) -> Settings:
    values: dict[str, object] = {"index": index, "encoders": "hash-test", "threads": 1, **extra}
    return Settings.model_validate(values)


def index_more(index: Path, tmp_path: Path, start: int, stop: int) -> str:
    """Index sample releases [start, stop) into ``index``; its new live generation."""
    source = tmp_path / f"releases-{start}-{stop}.jsonl"
    source.write_text(sample_lines(start, stop), encoding="utf-8")
    report = index_sources(settings_for(index), [source], progress=False)
    assert report.added == stop - start
    name = gens.current_name(index)
    assert name is not None
    return name


class Recording:
    """A store that records the writes made through it (the order of a publication)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.url = inner.url
        self.writes: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def put_if_absent(self, key: str, path: Path) -> bool:
        written = self.inner.put_if_absent(key, path)
        if written:
            self.writes.append(key)
        return written

    def swap_current(self, key: str, expected: Current | None) -> None:
        self.inner.swap_current(key, expected)
        self.writes.append(CURRENT_KEY)


def files_of(directory: Path) -> dict[str, str]:
    recorded = read_checksums(directory)
    assert recorded is not None
    return {rel: f["sha256"] for rel, f in recorded["files"].items()} | {"docs": recorded["docs"]}


# -- publishing -----------------------------------------------------------------------------


def test_publish_uploads_new_content_once_checksums_last_then_current(
    tmp_path: Path, store_url: str
) -> None:
    index = tmp_path / "index"
    first = index_more(index, tmp_path, 0, 20)
    store = Recording(open_store(store_url))
    up = publish_generation(index, store)
    assert up.generation == first and up.moved and up.reused == 0 and up.uploaded >= 5
    checksums_blob = (
        f"{BLOBS}{json.loads(store.get_bytes(up.listing_key))['files'][CHECKSUMS_NAME]['sha256']}"
    )
    assert store.writes[-3:] == [checksums_blob, up.listing_key, CURRENT_KEY]
    assert all(key.startswith(BLOBS) for key in store.writes[:-2])

    again = publish_generation(index, Recording(open_store(store_url)))
    assert (again.uploaded, again.moved, again.listing_key) == (0, False, up.listing_key)

    second = index_more(index, tmp_path, 20, 30)
    store = Recording(open_store(store_url))
    up2 = publish_generation(index, store)
    assert up2.generation == second != first and up2.moved
    # the first generation's Whoosh segment was not uploaded again
    assert up2.reused >= 1 and up2.uploaded < up2.uploaded + up2.reused
    listing = Listing.from_bytes(store.get_bytes(up2.listing_key), "test")
    old = Listing.from_bytes(store.get_bytes(up.listing_key), "test")
    unchanged = {r for r in listing.files if old.files.get(r) == listing.files[r]}
    assert any(r.startswith("whoosh/") for r in unchanged)
    assert not any(f"{BLOBS}{listing.files[r].sha256}" in store.writes for r in unchanged)
    assert store.read_current().current.key == up2.listing_key  # type: ignore[union-attr]


def test_a_stale_publisher_cannot_move_current(tmp_path: Path, store_url: str) -> None:
    index = tmp_path / "index"
    index_more(index, tmp_path, 0, 5)
    store = open_store(store_url)
    publish_generation(index, store)
    stale = store.read_current().current
    assert stale is not None
    store.swap_current("generations/other.json", stale)  # another publisher moves it
    with pytest.raises(PublishConflictError, match="CURRENT changed"):
        store.swap_current("generations/mine.json", stale)
    with pytest.raises(PublishConflictError):
        store.swap_current("generations/mine.json", None)  # "absent" is stale too


def test_publish_cli_needs_a_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "index"
    index_more(index, tmp_path, 0, 3)
    assert main(["publish", "--index", str(index)]) == 2
    assert "give --to s3://BUCKET/PREFIX" in capsys.readouterr().err
    assert main(["publish", "--index", str(index), "--to", str(tmp_path / "shared")]) == 0
    assert "now CURRENT" in capsys.readouterr().out


def test_every_reindex_publishes_with_a_publish_table(tmp_path: Path, bucket: str) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(sample_lines(0, 8), encoding="utf-8")
    url = f"s3://{bucket}/ministry"
    settings = settings_for(
        tmp_path / "index",
        sources=(SourceConfig(path=str(feed)),),
        publish=PublishConfig(to=url),
    )
    record = reindex(settings, base=tmp_path)
    assert record.generation is not None
    current = open_store(url).read_current().current
    assert current is not None and current.key.startswith(f"generations/{record.generation}-")


# -- following ------------------------------------------------------------------------------


def test_a_replica_downloads_checks_and_switches_reusing_unchanged_files(
    tmp_path: Path, store_url: str
) -> None:
    index, local = tmp_path / "index", tmp_path / "replica"
    first = index_more(index, tmp_path, 0, 20)
    publish_generation(index, open_store(store_url))
    replica = Replica(open_store(store_url), local)
    result = replica.poll()
    assert (result.status, result.generation, result.linked) == (SWITCHED, first, 0)
    assert files_of(gens.resolve(local)) == files_of(gens.resolve(index))
    assert replica.poll().status == UNCHANGED  # a conditional read: nothing downloaded

    index_more(index, tmp_path, 20, 30)
    publish_generation(index, open_store(store_url))
    result = replica.poll()
    assert result.status == SWITCHED and result.linked >= 1  # unchanged Whoosh / FAISS files
    assert files_of(gens.resolve(local)) == files_of(gens.resolve(index))
    assert not [p for p in local.iterdir() if p.name.startswith(".staging")]


def _break_blob(store_url: str, key: str, action: str) -> None:
    if store_url.startswith("s3://"):
        bucket, _, prefix = store_url.removeprefix("s3://").partition("/")
        client = boto3.client("s3")
        if action == "delete":
            client.delete_object(Bucket=bucket, Key=f"{prefix}/{key}")
        else:
            data = client.get_object(Bucket=bucket, Key=f"{prefix}/{key}")["Body"].read()
            client.put_object(Bucket=bucket, Key=f"{prefix}/{key}", Body=flipped(data))
    else:
        path = Path(store_url) / key
        if action == "delete":
            path.unlink()
        else:
            path.write_bytes(flipped(path.read_bytes()))


def flipped(data: bytes) -> bytes:
    """The same size, one byte changed (only the SHA-256 can tell)."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


@pytest.mark.parametrize("action", ["corrupt", "delete"])
def test_a_corrupted_or_half_uploaded_generation_is_refused(
    tmp_path: Path, store_url: str, action: str
) -> None:
    index, local = tmp_path / "index", tmp_path / "replica"
    first = index_more(index, tmp_path, 0, 20)
    publish_generation(index, open_store(store_url))
    replica = Replica(open_store(store_url), local)
    assert replica.poll().status == SWITCHED
    index_more(index, tmp_path, 20, 30)
    store = open_store(store_url)
    up = publish_generation(index, store)
    listing = Listing.from_bytes(store.get_bytes(up.listing_key), "test")
    faiss = next(ref for rel, ref in listing.files.items() if rel.startswith("faiss/"))
    _break_blob(store_url, faiss.key, action)

    result = replica.poll()
    assert result.status == REFUSED
    assert ("SHA-256" if action == "corrupt" else "missing") in result.detail
    assert gens.current_name(local) == first  # the old one stays live
    assert sorted(p.name for p in local.iterdir() if p.name.startswith((".staging", "gen-"))) == [
        first
    ]
    assert replica.poll().status == REFUSED  # not downloaded again at every poll


# -- two replicas and a publisher, queries running throughout -------------------------------


class Server:
    """A real uvicorn server over ``app`` in a thread of this process, on a free port."""

    def __init__(self, app: object) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        wait_for(lambda: self.server.started, "the server to start")
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(WAIT)


def wait_for(check: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


class Queries:
    """Searches against every replica in a loop until stopped; counts answers and failures."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self.ok = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(b,)) for b in bases]

    def _run(self, base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while not self._stop.is_set():
                for q in ("الاقتصاد", "كرة القدم", "economy"):
                    try:
                        r = client.get("/api/search", params={"q": q, "mode": "hybrid"})
                        if r.status_code == 200 and "results" in r.json():
                            self.ok += 1
                        else:
                            self.failures.append(f"{base} {r.status_code} {r.text[:200]}")
                    except httpx.HTTPError as exc:
                        self.failures.append(f"{base} {exc!r}")

    def __enter__(self) -> Queries:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(WAIT)


def generation_of(base: str) -> str | None:
    """The generation a server answers from (None while it has none)."""
    response = httpx.get(f"{base}/api/stats", timeout=30)
    return response.json()["generation"] if response.status_code == 200 else None


@pytest.mark.slow  # two live servers and three publications (seconds)
def test_two_replicas_follow_a_publisher_without_a_failed_query(
    tmp_path: Path, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from dalil.web.server.app import create_app

    url = f"s3://{bucket}/agency"
    index = tmp_path / "publisher"
    first = index_more(index, tmp_path, 0, 20)
    assert main(["publish", "--index", str(index), "--to", url]) == 0
    apps = [
        create_app(settings_for(tmp_path / f"replica-{i}", replica_of=url, poll_interval=POLL))
        for i in (1, 2)
    ]
    with Server(apps[0]) as one, Server(apps[1]) as two:
        bases = [one, two]
        wait_for(lambda: all(generation_of(b) == first for b in bases), "the first generation")
        with Queries(bases) as queries:
            figures = serve_and_switch(apps, bases, index, tmp_path, url, queries)
    assert queries.failures == []
    print(f"replica figures: {queries.ok} queries, {len(queries.failures)} failed; {figures}")


def serve_and_switch(
    apps: list[Any], bases: list[str], index: Path, tmp_path: Path, url: str, queries: Queries
) -> str:
    """Publish a second generation (both replicas switch), then a damaged third (both
    refuse it); returns the figures."""
    wait_for(lambda: queries.ok >= 20 or queries.failures, "queries on the first generation")
    assert queries.failures == []
    second = index_more(index, tmp_path, 20, 40)
    polls_before: list[int] = []  # polls started when CURRENT moved
    publish_generation(
        index,
        OnSwap(open_store(url), lambda: polls_before.extend(a.state.replica.polls for a in apps)),
    )
    moved = time.monotonic()
    switched_after: list[float] = []
    for base in bases:
        wait_for(lambda b=base: generation_of(b) == second, f"{base} to serve {second}")
        switched_after.append(time.monotonic() - moved)
    # within two poll intervals: the switch came from a poll running when CURRENT moved
    # (0) or from one of the next two
    polls = [a.state.replica.last_switch - b for a, b in zip(apps, polls_before, strict=True)]
    assert all(0 <= p <= 2 for p in polls), polls
    served_second = queries.ok

    # a broken publisher: docs.sqlite damaged in the store before CURRENT moves
    index_more(index, tmp_path, 40, 50)
    publish_generation(index, BreakBeforeSwap(open_store(url), url))
    refused_from = [app.state.replica.polls for app in apps]
    wait_for(
        lambda: all(
            a.state.replica.polls >= r + 3 for a, r in zip(apps, refused_from, strict=True)
        ),
        "three more polls",
    )
    assert all(generation_of(b) == second for b in bases)
    wait_for(lambda: queries.ok >= served_second + 20, "queries after the refusal")
    return (
        f"switched {', '.join(f'{s:.2f}' for s in switched_after)} s after CURRENT moved "
        f"(poll interval {POLL} s), polls used {polls}"
    )


class OnSwap(Recording):
    """Calls ``then()`` right after CURRENT moved."""

    def __init__(self, inner: Store, then: Callable[[], object]) -> None:
        super().__init__(inner)
        self.then = then

    def swap_current(self, key: str, expected: Current | None) -> None:
        super().swap_current(key, expected)
        self.then()


class BreakBeforeSwap(Recording):
    """Damages the new generation's docs.sqlite blob, then moves CURRENT."""

    def __init__(self, inner: Store, url: str) -> None:
        super().__init__(inner)
        self.store_url = url

    def swap_current(self, key: str, expected: Current | None) -> None:
        listing = Listing.from_bytes(self.inner.get_bytes(key), key)
        _break_blob(self.store_url, listing.files["docs.sqlite"].key, "corrupt")
        super().swap_current(key, expected)


def test_a_replica_does_not_also_reindex(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["serve", "--index", str(tmp_path / "r"), "--replica-of", str(tmp_path / "shared")]
    assert main([*argv, "--reindex-every", "1m"]) == 2
    assert "cannot also --reindex-every" in capsys.readouterr().err
