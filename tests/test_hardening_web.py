"""Issue 16, server side: no client input gives a 500 or an unreadable record, limits answer
with clear 4xx before any cost, nothing internal leaks, HEAD / OPTIONS / headers are right,
and damage to the index is contained.

In-process tests use FastAPI's TestClient over a private copy of the hash-test index; the
tests about bytes on the wire (body limits, slow clients, Host) use a real uvicorn on
127.0.0.1 with the same options `dalil serve` uses.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from web_fixtures import API_KEY, FOUNDING_ID, free_port, web_settings

from dalil.indexer.generations import space
from dalil.indexer.generations.publish import writer_lock
from dalil.indexer.store.layout import live_dir
from dalil.web.server.app import create_app
from dalil.web.server.slowclients import uvicorn_options

AUTH = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
TEXT = "The ministry received a delegation and discussed energy security and trade."


def release(**fields: object) -> dict[str, object]:
    return {"id": "hx-1", "title": "A title", "text": TEXT, **fields}


def raw_post(client: TestClient, path: str, body: str, method: str = "POST") -> httpx.Response:
    """Send ``body`` as it is (JSON escapes such as \\ud800 reach the server unchanged)."""
    return client.request(method, path, content=body.encode("utf-8"), headers=AUTH)


# -- defect 2: client input never gives a 500 ------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"id": "s1", "title": "t", "text": "@T", "metadata": {"k": "\\ud800"}}'.replace(
            "@T", TEXT
        ),
        '{"id": "s2", "title": "t", "text": "@T", "metadata": {"\\udc00": 1}}'.replace("@T", TEXT),
        '{"id": "s3", "title": "t", "text": "@T", "metadata": {"k": ["a", "\\udfff"]}}'.replace(
            "@T", TEXT
        ),
        '[{"id": "s4", "title": "t", "text": "@T", "metadata": {"k": {"j": "\\ud83d"}}}]'.replace(
            "@T", TEXT
        ),
        '{"id": "s5", "title": "bad \\ud800", "text": "@T"}'.replace("@T", TEXT),
        '{"id": "s6", "title": "t", "text": "@T \\udc00"}'.replace("@T", TEXT),
    ],
)
def test_lone_surrogates_are_422_not_500(write_client: TestClient, body: str) -> None:
    response = raw_post(write_client, "/api/documents", body)
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert "lone surrogate" in message or "unicode string" in message


def test_a_surrogate_in_put_and_search_is_422(write_client: TestClient) -> None:
    put = raw_post(
        write_client,
        "/api/documents/s7",
        '{"title": "t", "text": "@T", "metadata": {"k": "\\ud800"}}'.replace("@T", TEXT),
        method="PUT",
    )
    assert put.status_code == 422, put.text
    search = raw_post(write_client, "/api/search", '{"q": "energy \\ud800"}')
    assert search.status_code == 422, search.text


@pytest.mark.parametrize("depth", [9, 300, 900])
def test_deep_metadata_is_refused_at_the_door(write_client: TestClient, depth: int) -> None:
    nested = '{"a": ' * depth + "1" + "}" * depth
    body = '{"id": "deep", "title": "t", "text": "@T", "metadata": @N}'
    body = body.replace("@T", TEXT).replace("@N", nested)
    response = raw_post(write_client, "/api/documents", body)
    assert response.status_code == 422, response.text
    assert "nested deeper than" in response.json()["message"]


def test_accepted_metadata_reads_back_through_every_route(write_client: TestClient) -> None:
    metadata = {"a": {"b": {"c": [1, 2.5, None, True, "نص"]}}, "tags": ["x"]}
    created = write_client.post("/api/documents", json=release(metadata=metadata), headers=AUTH)
    assert created.status_code == 201, created.text
    got = write_client.get("/api/documents/hx-1")
    assert got.status_code == 200 and got.json()["metadata"] == metadata
    assert write_client.get("/api/documents/hx-1/similar").status_code == 200
    assert write_client.get("/release/hx-1").status_code == 200  # the page


def test_metadata_size_and_language_are_bounded(write_client: TestClient) -> None:
    big = release(metadata={"blob": "x" * 70_000})
    too_big = write_client.post("/api/documents", json=big, headers=AUTH)
    assert too_big.status_code == 422 and "bytes as JSON" in too_big.json()["message"]
    bad_language = write_client.post("/api/documents", json=release(language="<b>"), headers=AUTH)
    assert bad_language.status_code == 422 and bad_language.json()["field"] == "language"


@pytest.mark.parametrize("path", ["/api/documents/a%2Fb", "/api/documents/x/similar"])
def test_put_follows_the_post_id_rule(write_client: TestClient, path: str) -> None:
    response = write_client.put(path, json={"title": "t", "text": TEXT}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert "release id" in response.json()["message"]


@pytest.mark.parametrize("rid", [".", "..", "a/b", "a b", "a#b"])
def test_post_refuses_the_same_ids(write_client: TestClient, rid: str) -> None:
    response = write_client.post("/api/documents", json=release(id=rid), headers=AUTH)
    assert response.status_code == 422, response.text


def test_dot_ids_in_put_are_refused(write_client: TestClient) -> None:
    for rid in ("%2E", "%2E%2E"):
        response = write_client.put(
            f"/api/documents/{rid}", json={"title": "t", "text": TEXT}, headers=AUTH
        )
        assert response.status_code == 422, response.text


# -- defect 3: limits ------------------------------------------------------------------------


def test_a_costly_batch_is_refused_before_any_search(write_client: TestClient) -> None:
    batch = [{"q": f"energy {i}", "k": 100, "offset": 900} for i in range(20)]
    response = write_client.post("/api/search", json=batch)
    assert response.status_code == 400, response.text
    assert "max_search_cost" in response.json()["message"]
    fine = write_client.post("/api/search", json=[{"q": "energy", "k": 10}] * 20)
    assert fine.status_code == 200


def test_busy_search_slots_answer_503_with_retry_after(hash_index: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(hash_index, copy, ignore=shutil.ignore_patterns(".lock"))
    settings = web_settings(copy, "hash-test", max_concurrent_searches=1, search_queue_seconds=0)
    app = create_app(settings)
    with TestClient(app) as client:
        with app.state.search_slots.take():  # the one slot is busy
            busy = client.get("/api/search", params={"q": "energy"})
            feed = client.get("/search.atom", params={"q": "energy"})
            page = client.get("/", params={"q": "energy"})
        free = client.get("/api/search", params={"q": "energy"})
        free_page = client.get("/", params={"q": "energy"})
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert busy.json()["error"] == "busy"
    assert feed.status_code == 503 and page.status_code == 503  # they queue with the API
    assert free.status_code == 200 and free_page.status_code == 200


@pytest.fixture
def guarded_server(hash_index: Path, tmp_path: Path) -> Iterator[str]:
    """uvicorn on 127.0.0.1 with dalil serve's options and small limits."""
    copy = tmp_path / "index"
    shutil.copytree(hash_index, copy, ignore=shutil.ignore_patterns(".lock"))
    settings = web_settings(
        copy,
        "hash-test",
        max_body_bytes=100_000,
        header_timeout_seconds=0.5,
        allowed_hosts="127.0.0.1",
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="on",
        **uvicorn_options(settings),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def exchange(address: str, head: str, timeout: float = 30) -> bytes:
    """Send a request head (no body) and read what the server answers until it closes."""
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):  # the refusals close the connection
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_large_body_is_413_before_it_is_sent(guarded_server: str) -> None:
    head = (
        "POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 200000000\r\n\r\n"
    )
    answer = exchange(guarded_server, head)  # no body sent at all: answered anyway
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"max_body_bytes" in answer


def test_a_chunked_body_is_cut_off_at_the_limit(guarded_server: str) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 10_000

    response = httpx.post(
        f"http://{guarded_server}/api/search",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413


def test_an_anonymous_write_is_refused_before_its_body_is_read(guarded_server: str) -> None:
    head = (
        "POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 90000\r\n\r\n"
    )
    answer = exchange(guarded_server, head)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]


def test_a_half_sent_head_is_closed(guarded_server: str) -> None:
    host, port = guarded_server.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert sock.recv(1024) == b""  # closed by the server (within the 30 s bound)


def test_an_unknown_host_is_refused(guarded_server: str) -> None:
    response = httpx.get(
        f"http://{guarded_server}/api/health", headers={"Host": "evil.example"}, timeout=10
    )
    assert response.status_code == 400
    assert httpx.get(f"http://{guarded_server}/api/health", timeout=10).status_code == 200


# -- defects 8 and 9: exposure, headers, HEAD / OPTIONS, OpenAPI ------------------------------


def test_health_and_errors_show_no_paths(write_client: TestClient, hash_index: Path) -> None:
    health = write_client.get("/api/health").json()
    assert "/" not in json.dumps(health).replace("\\/", "")
    root = Path(write_client.app.state.settings.index)  # type: ignore[attr-defined]
    with writer_lock(root):
        locked = write_client.post("/api/documents", json=release(), headers=AUTH)
    assert locked.status_code == 409
    assert str(root) not in locked.text and "/" not in locked.json()["message"]


@pytest.mark.parametrize("path", ["/api/health", "/docs", "/", "/openapi.json", "/api/nothing"])
def test_security_headers_everywhere(write_client: TestClient, path: str) -> None:
    response = write_client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_head_works_wherever_get_does(write_client: TestClient) -> None:
    for path in (
        "/api/health",
        "/api/stats",
        f"/api/documents/{FOUNDING_ID}",
        f"/api/documents/{FOUNDING_ID}/similar",
        "/api/search?q=energy",
        "/",
        "/?q=energy",
        f"/release/{FOUNDING_ID}",
        "/docs",
        "/openapi.json",
    ):
        get = write_client.get(path)
        head = write_client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b""


def test_options_lists_every_method(write_client: TestClient) -> None:
    response = write_client.options("/api/documents/x")
    assert response.status_code == 204
    assert response.headers["Allow"] == "GET, HEAD, PUT, DELETE, OPTIONS"
    patch = write_client.patch("/api/documents/x")
    assert patch.status_code == 405 and "PUT" in patch.headers["Allow"]


def test_openapi_declares_date_formats(write_client: TestClient) -> None:
    schema = write_client.get("/openapi.json").json()
    params = {p["name"]: p for p in schema["paths"]["/api/search"]["get"]["parameters"]}
    assert {"type": "string", "format": "date"} in params["date_from"]["schema"]["anyOf"]
    assert {"type": "string", "format": "date"} in params["date_to"]["schema"]["anyOf"]
    release_in = schema["components"]["schemas"]["ReleaseIn"]["properties"]["date"]
    assert {"type": "string", "format": "date"} in release_in["anyOf"]


# -- defect 4 and 5: damage and a full disk ----------------------------------------------------


def test_sqlite_damage_is_503_and_health_says_so(write_client: TestClient) -> None:
    root = Path(write_client.app.state.settings.index)  # type: ignore[attr-defined]
    docs = (live_dir(root) or root) / "docs.sqlite"
    data = bytearray(docs.read_bytes())
    for offset in range(4096, len(data), 4096):  # every page after the first: garbage
        data[offset : offset + 100] = b"\xff" * 100
    docs.write_bytes(bytes(data))
    response = write_client.get(f"/api/documents/{FOUNDING_ID}")
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "index_unavailable"
    assert "docs.sqlite" not in response.text
    health = write_client.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert "run dalil verify" in health.json()["error"]


def test_a_full_disk_is_507_for_a_write(
    write_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(space, "free_bytes", lambda path: 1000)
    response = write_client.post("/api/documents", json=release(), headers=AUTH)
    assert response.status_code == 507, response.text
    assert response.json()["error"] == "insufficient_storage"
    assert write_client.get("/api/documents/hx-1").status_code == 404  # nothing written


def test_a_release_stored_with_deep_metadata_still_reads(write_client: TestClient) -> None:
    """Metadata stored before the bound (written straight into SQLite here) reads as a note."""
    created = write_client.post("/api/documents", json=release(), headers=AUTH)
    assert created.status_code == 201
    root = Path(write_client.app.state.settings.index)  # type: ignore[attr-defined]
    import sqlite3

    db = sqlite3.connect((live_dir(root) or root) / "docs.sqlite")
    deep = '{"a": ' * 900 + "1" + "}" * 900
    db.execute("UPDATE releases SET metadata = ? WHERE id = 'hx-1'", (f'{{"m": {deep}}}',))
    db.commit()
    db.close()
    got = write_client.get("/api/documents/hx-1")
    assert got.status_code == 200, got.text
    assert "nested deeper than" in got.json()["metadata"]["metadata_error"]


def test_feed_errors_are_json_as_documented(write_client: TestClient) -> None:
    """Found by the schemathesis suite: a bad feed request answered an HTML page."""
    response = write_client.get("/search.atom", params={"q": "energy", "k": "nil"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/json")


def test_api_release_dates_keep_the_year_range(write_client) -> None:
    """The API refuses a date outside the plausible years, as the file readers do."""
    body = {
        "id": "far-future",
        "title": "A release",
        "text": "Some text about ports.",
        "date": "9999-01-01",
    }
    refused = write_client.post("/api/documents", json=body, headers=AUTH)
    assert refused.status_code == 400
    assert refused.json()["field"] == "date" and "date_max_year" in refused.json()["message"]
    fine = write_client.post("/api/documents", json={**body, "date": "2019-05-06"}, headers=AUTH)
    assert fine.status_code == 201
