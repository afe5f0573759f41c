"""Issue 16, damage containment: generations share no file, a truncated Whoosh segment under a
running server fails requests (503) instead of killing the process, a server whose live
generation is damaged at start-up serves the newest intact one, and verify fails without
checksums."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from web_fixtures import free_port, wait_healthy, web_settings

from dalil.indexer.build.generation import index_sources
from dalil.indexer.errors import IndexCorruptError
from dalil.indexer.generations.checksums import CHECKSUMS_NAME
from dalil.indexer.generations.publish import copy_index
from dalil.indexer.store.layout import live_dir
from dalil.web.cli.main import main
from dalil.web.server.app import create_app

TEXT = "The council agreed on a plan for water security, desalination and new ports."


def feed(path: Path, *ids: str) -> Path:
    lines = [json.dumps({"id": i, "title": f"Release {i}", "text": f"{TEXT} ({i})"}) for i in ids]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def two_generations(tmp_path: Path) -> Path:
    settings = web_settings(tmp_path / "index", "hash-test")
    index_sources(settings, [feed(tmp_path / "a.jsonl", "a1", "a2")], progress=False)
    index_sources(settings, [feed(tmp_path / "b.jsonl", "b1")], progress=False)
    assert (tmp_path / "index" / "CURRENT").read_text().strip() == "gen-000002"
    return tmp_path / "index"


def inodes(directory: Path) -> set[int]:
    return {p.stat().st_ino for p in directory.rglob("*") if p.is_file()}


def test_generations_share_no_file(two_generations: Path) -> None:
    first, second = two_generations / "gen-000001", two_generations / "gen-000002"
    assert inodes(first) and not inodes(first) & inodes(second)
    # damage to the older generation does not reach the live one
    segment = next((first / "whoosh").glob("*.seg"))
    segment.write_bytes(b"\0" * 10)
    assert main(["verify", "--index", str(two_generations)]) == 0


def test_a_damaged_live_file_is_not_copied_forward(two_generations: Path, tmp_path: Path) -> None:
    live = two_generations / "gen-000002"
    faiss_file = next((live / "faiss").glob("*.faiss"))
    data = bytearray(faiss_file.read_bytes())
    data[-8:] = b"\xff" * 8
    faiss_file.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="live generation is damaged"):
        copy_index(live, tmp_path / "staging")


def test_verify_fails_without_checksums(two_generations: Path) -> None:
    (two_generations / "gen-000002" / CHECKSUMS_NAME).unlink()
    assert main(["verify", "--index", str(two_generations)]) == 1


def test_startup_falls_back_to_the_newest_intact_generation(two_generations: Path) -> None:
    (two_generations / "gen-000002" / "docs.sqlite").write_bytes(b"not a database at all")
    app = create_app(web_settings(two_generations, "hash-test"))
    with TestClient(app) as client:
        health = client.get("/api/health").json()
        assert health["status"] == "degraded" and health["index"] == "gen-000001"
        assert "serving gen-000001" in health["error"]
        found = client.get("/api/search", params={"q": "water", "mode": "keyword"})
        assert found.status_code == 200
        assert {hit["id"] for hit in found.json()["results"]} == {"a1", "a2"}


def test_a_truncated_segment_under_a_running_server_is_a_503(two_generations: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALIL_")}
    env.update(
        {
            "DALIL_CONFIG": str(two_generations.parent / "none.toml"),
            "DALIL_INDEX": str(two_generations),
            "DALIL_ENCODERS": "hash-test",
            "DALIL_THREADS": "1",
        }
    )
    log_path = two_generations.parent / "server.log"
    with log_path.open("w+", encoding="utf-8") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "dalil.web.cli.main", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(server, base, log, 120)
            query = {"q": "water ports", "mode": "keyword"}
            assert httpx.get(f"{base}/api/search", params=query, timeout=30).status_code == 200
            live = live_dir(two_generations)
            assert live is not None
            for segment in (live / "whoosh").glob("*.seg"):
                with segment.open("r+b") as handle:
                    handle.truncate(16)
            statuses = {
                httpx.get(f"{base}/api/search", params=q, timeout=30).status_code
                for q in (query, {"q": "desalination", "mode": "keyword"})
            }
            assert server.poll() is None, "the server died"
            assert statuses <= {200, 503}
            health = httpx.get(f"{base}/api/health", timeout=30)
            assert health.status_code == 200
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
