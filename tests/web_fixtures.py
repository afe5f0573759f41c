"""Fixtures of the web tests: small real indexes built once per session with the real
pipeline, apps over them, and a live uvicorn server on 127.0.0.1.

The corpus: the founding release (committed .txt), a few dozen committed sample releases
(Arabic news, English Wikipedia paragraphs) and crafted ones: English releases, one holding
``<script>alert(1)</script>``, distinct dates, sources and languages for the filters.
Imported by tests/conftest.py so every test module sees these fixtures.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest
from fastapi.testclient import TestClient

from dalil.indexer.build.generation import index_sources
from dalil.indexer.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "indexer" / "sample_data"
FOUNDING_FILE = SAMPLE_DIR / "bahrain-nato-istanbul-initiative.ar.txt"
FOUNDING_ID = "bahrain-nato-istanbul-initiative.ar"
API_KEY = "test-key-5c1f"
SERVER_START_TIMEOUT = 300.0  # a bound on waiting for the event, generous for a busy machine

# Committed sample releases the test corpus takes (by id), across sources, months and
# categories; short ones, so that the real encoder indexes them in seconds.
SAMPLE_IDS = (
    "AL-economy-747-20180605",
    "AL-internationalNews-1892-20180711",
    "AL-internationalNews-1324-20180525",
    "AL-sport-2424-20180721",
    "AL-technology-93-20180310",
    "BB-culture-187-20180604",
    "BB-economy-249-20180930",
    "BB-internationalNews-542-20180521",
    "CN-sport-262-20180502",
    "CN-technology-16-20180206",
    "FR-culture-94-20180613",
    "SK-economy-1415-20181010",
    "SK-middleEast-3556-20180907",
    "SK-sport-19-20180217",
    "xquad-en-4-0",
    "xquad-en-24-0",
    "xquad-en-38-0",
    "xquad-en-31-0",
)

SCRIPT_ID = "web-script"
CRAFTED = (
    {
        "id": SCRIPT_ID,
        "title": "Guidance on <script>alert(1)</script> in web forms",
        "date": "2018-02-18",
        "source": "Test Ministry",
        "category": "technology",
        "language": "en",
        "url": "javascript:alert(1)",
        "text": "The agency warned that <script>alert(1)</script> must never run in a reader's "
        "browser.\nIt published guidance on escaping user input in web forms.",
    },
    {
        "id": "web-en-vaccines",
        "title": "Ministry of Health launches a national vaccination campaign",
        "date": "2020-01-20",
        "source": "Ministry of Health",
        "category": "health",
        "language": "en",
        "text": "The Ministry of Health launched a national vaccination campaign for children "
        "and older citizens.\nMobile clinics will visit schools and villages over six weeks.",
    },
    {
        # the vaccination release as a wire service republished it two days later: a
        # near-duplicate, folded under the original in result lists
        "id": "web-en-vaccines-wire",
        "title": "Ministry of Health launches a national vaccination campaign",
        "date": "2020-01-22",
        "source": "National News Agency",
        "category": "health",
        "language": "en",
        "text": "The Ministry of Health launched a national vaccination campaign for children "
        "and older citizens.\nMobile clinics will visit schools and villages over six weeks.\n"
        "The agency carried the statement on Wednesday.",
    },
    {
        "id": "web-en-exhibition",
        "title": "Trade exhibition opens with two hundred exhibitors",
        "date": "2019-03-05",
        "source": "Chamber of Commerce",
        "category": "economy",
        "language": "en",
        "text": "A trade exhibition opened on Monday with two hundred exhibitors from twenty "
        "countries.\nThe chamber expects thirty thousand visitors and new export contracts.",
    },
    {
        "id": "web-en-water",
        "title": "Council approves a water security plan",
        "date": "2019-11-12",
        "source": "Chamber of Commerce",
        "category": "environment",
        "language": "en",
        "text": "The council approved a plan for water security, desalination and the reuse "
        "of treated water in agriculture.",
    },
)


def write_corpus(root: Path) -> list[Path]:
    """The sources to index: the founding .txt and one JSONL of sample + crafted releases."""
    root.mkdir(parents=True, exist_ok=True)
    wanted = set(SAMPLE_IDS)
    records = []
    for name in ("ant-sample.jsonl", "xquad-en-sample.jsonl"):
        path = SAMPLE_DIR / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                if record.get("id") in wanted:
                    records.append(record)
    records.extend(CRAFTED)
    corpus = root / "web-corpus.jsonl"
    corpus.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return [FOUNDING_FILE, corpus]


def web_settings(index: Path, encoders: str, **overrides: object) -> Settings:
    """Settings for a test app: nothing from the environment or a dalil.toml leaks in."""
    values: dict[str, object] = {
        "index": index,
        "encoders": encoders,
        "threads": 1,
        "api_key": API_KEY,
        "allowed_hosts": "testserver,127.0.0.1,localhost",  # TestClient sends Host: testserver
        **overrides,
    }
    return Settings.model_validate(values)


def build_index(root: Path, encoders: str) -> Path:
    sources = write_corpus(root / "corpus")
    index = root / "index"
    report = index_sources(web_settings(index, encoders), sources, progress=False)
    assert report.failed == 0, report.failures
    return index


@pytest.fixture(scope="session")
def hash_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test corpus indexed with the fast ``hash-test`` encoder (read-only: copy it)."""
    return build_index(tmp_path_factory.mktemp("web-hash"), "hash-test")


@pytest.fixture(scope="session")
def m3_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test corpus indexed with the real ``use-m3`` encoder (read-only)."""
    return build_index(tmp_path_factory.mktemp("web-m3"), "use-m3")


def _client(settings: Settings) -> Iterator[TestClient]:
    from dalil.web.server.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def hash_client(hash_index: Path) -> Iterator[TestClient]:
    """A TestClient over the hash-test index; never write through it."""
    yield from _client(web_settings(hash_index, "hash-test"))


@pytest.fixture(scope="session")
def m3_client(m3_index: Path) -> Iterator[TestClient]:
    """A TestClient over the use-m3 index; never write through it."""
    yield from _client(web_settings(m3_index, "use-m3"))


@pytest.fixture
def write_client(hash_index: Path, tmp_path: Path) -> Iterator[TestClient]:
    """A TestClient over a private copy of the hash-test index, for writes."""
    copy = tmp_path / "index"
    shutil.copytree(hash_index, copy, ignore=shutil.ignore_patterns(".lock"))
    yield from _client(web_settings(copy, "hash-test"))


def wait_healthy(server: subprocess.Popen[bytes], base: str, log: IO[str], timeout: float) -> None:
    """Wait until a ``dalil serve`` subprocess answers /api/health with its index loaded;
    fail the test with its log if it exits or does not answer within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            pytest.fail(f"dalil serve exited with {server.returncode}:\n{log.read()}")
        try:
            if httpx.get(f"{base}/api/health", timeout=30).json()["index_loaded"]:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("dalil serve did not answer /api/health in time")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(m3_index: Path) -> Iterator[str]:
    """uvicorn serving the use-m3 index on 127.0.0.1 in a thread; yields the base URL."""
    import uvicorn

    from dalil.web.server.app import create_app

    port = free_port()
    app = create_app(web_settings(m3_index, "use-m3"))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="dalil-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
