"""`dalil serve` as a real uvicorn server on 127.0.0.1 (a subprocess on a free port)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_fixtures import API_KEY, FOUNDING_ID, free_port, wait_healthy

pytestmark = pytest.mark.slow  # a real uvicorn server in a subprocess over a use-m3 index

START_TIMEOUT = 300.0  # bounds on waiting for events: generous for a busy machine
STOP_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def served(m3_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m web.cli serve` over a copy of the use-m3 index; yields its base URL."""
    root = tmp_path_factory.mktemp("serve")
    index = root / "index"
    shutil.copytree(m3_index, index, ignore=shutil.ignore_patterns(".lock"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALIL_")}
    env.update(DALIL_CONFIG=str(root / "no-dalil.toml"), DALIL_API_KEY=API_KEY, DALIL_THREADS="1")
    log = (root / "server.log").open("w+", encoding="utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dalil.web.cli.main",
            "serve",
            "--index",
            str(index),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, base, log, START_TIMEOUT)
        yield base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)
        log.close()


def test_server_binds_loopback_and_answers(served: str) -> None:
    health = httpx.get(f"{served}/api/health", timeout=10).json()
    assert health["status"] == "ok" and health["encoders"][0]["name"] == "use-m3"
    response = httpx.get(
        f"{served}/api/search", params={"q": "Bahrain NATO partnership"}, timeout=30
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == FOUNDING_ID
    page = httpx.get(served + "/", params={"q": "Bahrain NATO partnership"}, timeout=30)
    assert page.status_code == 200 and f'href="/release/{FOUNDING_ID}"' in page.text
    assert httpx.get(f"{served}/static/dalil.css", timeout=10).status_code == 200


def test_server_write_then_search(served: str) -> None:
    release = {
        "id": "served-release",
        "title": "Lighthouse restored after a century",
        "text": "The old lighthouse on the northern cape was restored and lit again.",
        "language": "en",
    }
    refused = httpx.post(f"{served}/api/documents", json=release, timeout=30)
    assert refused.status_code == 401
    written = httpx.post(
        f"{served}/api/documents", json=release, headers={"X-API-Key": API_KEY}, timeout=60
    )
    assert written.status_code == 201, written.text
    for mode in ("keyword", "semantic"):
        found = httpx.get(
            f"{served}/api/search",
            params={"q": "lighthouse restored", "mode": mode, "k": 3},
            timeout=30,
        ).json()
        assert found["results"][0]["id"] == "served-release", mode


def test_serve_refuses_a_taken_port(m3_index: Path, tmp_path: Path, served: str) -> None:
    port = served.rsplit(":", 1)[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALIL_")}
    env["DALIL_CONFIG"] = str(tmp_path / "no-dalil.toml")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dalil.web.cli.main",
            "serve",
            "--index",
            str(m3_index),
            "--port",
            port,
            "--log-level",
            "critical",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 1
