"""Re-indexing with real processes: `dalil reindex` killed with SIGKILL at every stage leaves
the previous generation serving and the next run completes; a second run exits on the lock;
a real `dalil serve --reindex-every` answers queries in a loop, with zero failures, while new
generations are published (by its own schedule and by another process)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from paused_dalil import MARKER
from reindex_fixtures import (
    dalil_argv,
    dalil_env,
    feed_records,
    release,
    settings_for,
    write_config,
    write_feed,
)
from web_fixtures import free_port, wait_healthy

from dalil.indexer.build.reindex import reindex
from dalil.indexer.build.runs import last_runs
from dalil.indexer.generations.verify import verify_dir
from dalil.indexer.store import layout as gens
from dalil.indexer.store.index import Index

pytestmark = pytest.mark.slow  # dalil reindex and servers in other processes

PAUSED_DALIL = Path(__file__).with_name("paused_dalil.py")
# Bounds for waiting on events (a marker, a server answering, a release findable): generous,
# because a shared machine can be many times slower than a quiet one; never a fixed sleep.
PAUSE_TIMEOUT = 300.0
START_TIMEOUT = 300.0
EVENT_TIMEOUT = 300.0


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_feed(tmp_path / "feed" / "a.jsonl", feed_records())
    write_config(tmp_path)
    reindex(settings_for(tmp_path))  # gen-000001
    return tmp_path


def change_feed(root: Path, rid: str = "r-ports") -> None:
    records = feed_records()
    records[0]["text"] += "\nA closing paragraph about the trade deal was added."
    del records[1]
    records.append(release(rid, "ports", "The port authority opened two new container docks."))
    write_feed(root / "feed" / "a.jsonl", records)


def run_reindex(root: Path) -> subprocess.CompletedProcess[str]:
    """`dalil reindex` in another process, to the end (output captured)."""
    return subprocess.run(
        dalil_argv("reindex", "--no-progress"),
        cwd=root,
        env=dalil_env(root),
        capture_output=True,
        text=True,
        timeout=EVENT_TIMEOUT,
    )


def start_paused(root: Path, point: str) -> subprocess.Popen[str]:
    """`dalil reindex` stopped at ``point`` (it printed the marker and sleeps)."""
    process = subprocess.Popen(
        [sys.executable, str(PAUSED_DALIL), point, "reindex", "--no-progress"],
        cwd=root,
        env=dalil_env(root),
        stdin=subprocess.PIPE,  # it waits at the point until this is closed
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + PAUSE_TIMEOUT
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith(MARKER):
            return process
        if time.monotonic() > deadline:
            break
    process.kill()
    process.communicate()
    pytest.fail(f"dalil reindex never reached {point!r} (exit {process.returncode})")


def check_serves(root: Path) -> str:
    """The live generation opens, verifies and returns its name."""
    index_root = root / "index"
    with Index.open(index_root) as index:
        assert index.verify() == []
    assert verify_dir(gens.resolve(index_root)) == []
    return gens.current_name(index_root) or ""


@pytest.mark.parametrize(
    ("point", "published"),
    [
        ("probe", False),
        ("copy", False),
        ("read", False),
        ("encode", False),
        ("write_sqlite", False),
        ("write_whoosh", False),
        ("write_faiss", False),
        ("verify", False),
        ("publish", False),
        ("switch", False),
        ("collect", True),
    ],
)
def test_sigkill_at_every_stage(root: Path, point: str, published: bool) -> None:
    change_feed(root)
    process = start_paused(root, point)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=EVENT_TIMEOUT)  # reaps it and closes the pipes
    assert process.returncode == -signal.SIGKILL
    live = check_serves(root)
    assert live == ("gen-000002" if published else "gen-000001")
    with Index.open(root / "index") as index:
        assert index.docs.has_release("r-ports") is published
    run = reindex(settings_for(root))  # the next run completes
    assert run.status == ("unchanged" if published else "published")
    assert check_serves(root) == "gen-000002"
    with Index.open(root / "index") as index:
        assert index.docs.has_release("r-ports") and not index.docs.has_release("r-water")
    leftovers = [p.name for p in (root / "index").iterdir() if p.name.startswith(".staging")]
    assert leftovers == []


def test_second_run_exits_on_the_lock(root: Path) -> None:
    change_feed(root)
    first = start_paused(root, "read")
    try:
        second = run_reindex(root)
        assert second.returncode == 75, second.stderr
        assert "another dalil process is writing" in second.stderr
    finally:
        first.kill()
        first.communicate(timeout=EVENT_TIMEOUT)
    assert check_serves(root) == "gen-000001"


def test_served_queries_never_fail_while_generations_are_published(root: Path) -> None:
    port = free_port()
    log_path = root / "server.log"
    with log_path.open("w+", encoding="utf-8") as log:
        server = subprocess.Popen(
            dalil_argv(
                "serve", "--port", str(port), "--log-level", "warning", "--reindex-every", "1s"
            ),
            cwd=root,
            env=dalil_env(root),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(server, base, log, START_TIMEOUT)
            results: list[int] = []
            stop = threading.Event()

            def query_loop() -> None:
                with httpx.Client(base_url=base, timeout=120) as client:
                    n = 0
                    while not stop.is_set() and n < 5000:
                        mode = ("hybrid", "keyword", "semantic")[n % 3]
                        response = client.get(
                            "/api/search", params={"q": "ports trade water", "mode": mode}
                        )
                        results.append(response.status_code)
                        n += 1

            threads = [threading.Thread(target=query_loop) for _ in range(2)]
            for thread in threads:
                thread.start()
            try:
                change_feed(root, "r-ports")  # the server's own schedule publishes it
                _wait_findable(base, "r-ports")
                more = feed_records() + [release("r-rail", "rail", "A rail line opens.")]
                write_feed(root / "feed" / "a.jsonl", more)
                _reindex_from_outside(root, base, "r-rail")  # or the schedule publishes it
                _wait_findable(base, "r-rail")
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=EVENT_TIMEOUT)
            assert results and all(code == 200 for code in results), (
                f"{sum(c != 200 for c in results)} of {len(results)} queries failed"
            )
            # The whole run history, not /api/stats's window of the last few: a 1 s schedule
            # appends "unchanged" runs quickly on a loaded machine.
            history = last_runs(root / "index", n=1_000_000)
            assert any(r.trigger == "serve" and r.status == "published" for r in history)
            stats = httpx.get(f"{base}/api/stats", timeout=60).json()
            assert stats["generation"] >= "gen-000003"
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=EVENT_TIMEOUT)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    assert check_serves(root) >= "gen-000003"


def _findable(base: str, rid: str) -> bool:
    """A search for the release's topic (``r-ports`` -> ``ports``) finds it."""
    response = httpx.get(
        f"{base}/api/search", params={"q": rid.removeprefix("r-"), "k": 5}, timeout=60
    )
    return rid in [hit["id"] for hit in response.json()["results"]]


def _wait_findable(base: str, rid: str) -> None:
    deadline = time.monotonic() + EVENT_TIMEOUT
    while time.monotonic() < deadline:
        if _findable(base, rid):
            return
        time.sleep(0.2)
    pytest.fail(f"{rid} never became findable")


def _reindex_from_outside(root: Path, base: str, rid: str) -> None:
    """`dalil reindex` in another process until it has run (exit 0) or the server's own
    schedule -- which may hold the lock (75) every time we try on a slow machine -- has
    published the change (then there is nothing left for it to do)."""
    deadline = time.monotonic() + EVENT_TIMEOUT
    while time.monotonic() < deadline:
        done = run_reindex(root)
        if done.returncode == 0 or _findable(base, rid):
            return
        assert done.returncode == 75, done.stderr
        time.sleep(0.2)
    pytest.fail("dalil reindex kept finding the index locked and the change never showed")
