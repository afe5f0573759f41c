"""The JSON API with FastAPI's TestClient against real small indexes (tests/web_fixtures.py):
search, filters, pagination, documents, writes and auth, validation errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_fixtures import API_KEY, CRAFTED, FOUNDING_ID, SAMPLE_IDS, SCRIPT_ID, web_settings

from dalil.web.server.app import create_app

CORPUS_SIZE = 1 + len(SAMPLE_IDS) + len(CRAFTED)
AUTH = {"X-API-Key": API_KEY}


def search(client: TestClient, **params: object) -> dict:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body: dict) -> list[str]:
    return [hit["id"] for hit in body["results"]]


def assert_refused(response, status: int, field: str | None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "field"}
    assert body["field"] == field
    if field:
        assert field.split(".")[-1].strip("[]0123456789") in body["message"]
    return body


# -- status ----------------------------------------------------------------------------------


def test_health_reports_index_counts_and_encoder(hash_client: TestClient) -> None:
    body = hash_client.get("/api/health").json()
    assert body["status"] == "ok" and body["index_loaded"] is True
    assert body["releases"] == CORPUS_SIZE and body["paragraphs"] >= CORPUS_SIZE
    assert body["encoders"] == [{"name": "hash-test", "dim": 64}]
    assert body["writes_enabled"] is True


def test_stats_lists_facets(hash_client: TestClient) -> None:
    body = hash_client.get("/api/stats").json()
    assert body["releases"] == CORPUS_SIZE
    languages = {f["value"]: f["count"] for f in body["languages"]}
    assert languages["en"] >= 8 and languages["ar"] >= 10
    assert "Test Ministry" in {f["value"] for f in body["sources"]}
    assert body["date_min"] <= "2018-02-18" <= body["date_max"]


def test_openapi_documents_the_api(hash_client: TestClient) -> None:
    spec = hash_client.get("/openapi.json").json()
    for path in ("/api/search", "/api/documents", "/api/documents/{release_id}", "/api/health"):
        assert path in spec["paths"], path
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "mode", "alpha", "k", "offset", "date_from", "date_to", "source"} <= set(params)
    assert params["k"]["schema"]["maximum"] == 100
    assert params["q"]["description"]
    assert hash_client.get("/docs").status_code == 200


# -- search ----------------------------------------------------------------------------------


def test_docs_page_works_offline(hash_client: TestClient) -> None:
    page = hash_client.get("/docs")
    assert page.status_code == 200
    assert "/static/apidocs/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    redoc = hash_client.get("/redoc")
    assert redoc.status_code == 200 and "/static/apidocs/redoc.standalone.js" in redoc.text
    assert "cdn" not in redoc.text.lower() and "fonts.googleapis" not in redoc.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert hash_client.get(f"/static/apidocs/{asset}").status_code == 200
    # What a browser renders is checked in test_browser.py (test_api_docs_render_...).


def test_search_returns_hits_with_highlighted_snippets(hash_client: TestClient) -> None:
    body = search(hash_client, q="vaccination campaign", mode="keyword")
    assert ids(body)[0] == "web-en-vaccines"
    hit = body["results"][0]
    assert hit["title"] == "Ministry of Health launches a national vaccination campaign"
    assert hit["date"] == "2020-01-20" and hit["language"] == "en"
    assert hit["source"] == "Ministry of Health"
    assert any("<mark>" in s["html"] for s in hit["snippets"])
    assert body["total"] >= 1 and body["took_ms"] >= 0
    assert body["query"]["q"] == "vaccination campaign" and body["query"]["k"] == 10


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_every_mode_answers(hash_client: TestClient, mode: str) -> None:
    body = search(hash_client, q="water security desalination", mode=mode)
    assert body["query"]["mode"] == mode
    assert "web-en-water" in ids(body)


def test_snippets_escape_release_markup(hash_client: TestClient) -> None:
    body = search(hash_client, q="escaping user input web forms", mode="keyword")
    hit = next(h for h in body["results"] if h["id"] == SCRIPT_ID)
    assert hit["title"] == "Guidance on <script>alert(1)</script> in web forms"  # JSON: as is
    for snippet in hit["snippets"]:
        assert "<script>" not in snippet["html"]
    assert any("&lt;script&gt;" in s["html"] for s in hit["snippets"])


def test_language_filter(hash_client: TestClient) -> None:
    for language in ("en", "ar"):
        body = search(hash_client, q="ministry campaign news", mode="semantic", language=language)
        assert body["results"] and {h["language"] for h in body["results"]} == {language}


def test_source_and_category_filters(hash_client: TestClient) -> None:
    body = search(
        hash_client, q="plan exhibition", mode="semantic", weaker=True, source="Chamber of Commerce"
    )
    assert set(ids(body)) == {"web-en-exhibition", "web-en-water"}
    body = search(
        hash_client, q="plan exhibition", mode="semantic", weaker=True, category="environment"
    )
    assert ids(body) == ["web-en-water"]


def test_date_filters_are_inclusive(hash_client: TestClient) -> None:
    body = search(
        hash_client,
        q="guidance",
        mode="semantic",
        weaker=True,
        date_from="2018-02-18",
        date_to="2018-02-18",
    )
    assert ids(body) == [SCRIPT_ID]
    body = search(
        hash_client, q="council ministry", mode="semantic", weaker=True, date_from="2019-06-01"
    )
    assert body["results"] and all(h["date"] >= "2019-06-01" for h in body["results"])
    body = search(
        hash_client, q="council ministry", mode="semantic", weaker=True, date_to="2018-03-31"
    )
    assert body["results"] and all(h["date"] <= "2018-03-31" for h in body["results"])


def test_pagination_pages_do_not_overlap(hash_client: TestClient) -> None:
    first = search(hash_client, q="the ministry council", mode="hybrid", weaker=True, k=2)
    second = search(
        hash_client, q="the ministry council", mode="hybrid", weaker=True, k=2, offset=2
    )
    third = search(hash_client, q="the ministry council", mode="hybrid", weaker=True, k=2, offset=4)
    assert first["listed"] == second["listed"] == third["listed"] >= 5
    pages = [ids(first), ids(second), ids(third)]
    assert all(len(p) == 2 for p in pages)
    assert len({i for p in pages for i in p}) == 6
    everything = search(hash_client, q="the ministry council", mode="hybrid", weaker=True, k=6)
    assert ids(everything) == pages[0] + pages[1] + pages[2]
    beyond = search(hash_client, q="the ministry council", k=2, offset=first["listed"] + 10)
    assert beyond["results"] == [] and beyond["total"] == first["total"]


def test_post_search_takes_a_body_or_a_batch(hash_client: TestClient) -> None:
    get = search(hash_client, q="trade exhibition", mode="keyword", k=3)
    single = hash_client.post(
        "/api/search", json={"q": "trade exhibition", "mode": "keyword", "k": 3}
    )
    assert single.status_code == 200 and ids(single.json()) == ids(get)
    batch = hash_client.post(
        "/api/search",
        json=[{"q": "trade exhibition", "mode": "keyword", "k": 3}, {"q": "vaccination"}],
    )
    assert batch.status_code == 200
    results = batch.json()
    assert isinstance(results, list) and len(results) == 2
    assert ids(results[0]) == ids(get) and results[1]["query"]["q"] == "vaccination"


@pytest.mark.slow  # builds the test corpus with the real use-m3 encoder
def test_founding_release_first_for_english_query(m3_client: TestClient) -> None:
    """The real multilingual encoder finds the Arabic founding release for English words."""
    for mode in ("semantic", "hybrid"):
        body = search(m3_client, q="Bahrain NATO partnership", mode=mode, k=5)
        assert ids(body)[0] == FOUNDING_ID, (mode, ids(body))


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 1001}, "q"),
        ({"q": "x", "k": 0}, "k"),
        ({"q": "x", "k": 101}, "k"),
        ({"q": "x", "k": "ten"}, "k"),
        ({"q": "x", "offset": -1}, "offset"),
        ({"q": "x", "offset": 10001}, "offset"),
        ({"q": "x", "mode": "fuzzy"}, "mode"),
        ({"q": "x", "alpha": 1.5}, "alpha"),
        ({"q": "x", "date_from": "2018-13-01"}, "date_from"),
        ({"q": "x", "date_to": "yesterday"}, "date_to"),
        ({"q": "x", "date_from": "18/02/2018"}, "date_from"),
        ({"q": "x", "lang": "ar"}, "lang"),
    ],
)
def test_bad_search_parameters_are_422_naming_the_field(
    hash_client: TestClient, params: dict, field: str
) -> None:
    body = assert_refused(hash_client.get("/api/search", params=params), 422, field)
    assert body["error"] == "invalid_request"


def test_date_order_is_checked(hash_client: TestClient) -> None:
    response = hash_client.get(
        "/api/search", params={"q": "x", "date_from": "2019-01-01", "date_to": "2018-01-01"}
    )
    assert response.status_code == 422
    assert "date_from" in response.json()["message"]


def test_bad_post_search_bodies(hash_client: TestClient) -> None:
    assert_refused(hash_client.post("/api/search", json={"q": "x", "k": 500}), 422, "k")
    assert_refused(hash_client.post("/api/search", json=[{"q": "x"}, {"q": ""}]), 422, "[1].q")
    assert_refused(hash_client.post("/api/search", json=[{"q": "x"}] * 21), 422, None)
    assert_refused(hash_client.post("/api/search", json=[]), 422, None)
    bad_json = hash_client.post(
        "/api/search", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 422 and "JSON" in bad_json.json()["message"]


def test_client_mistakes_are_never_500(hash_client: TestClient) -> None:
    probes = [
        hash_client.get("/api/search", params={"q": "\x00\ufffd<>'\"%", "k": "1e9"}),
        hash_client.get("/api/search", params={"q": "x", "offset": "NaN"}),
        hash_client.get("/api/search", params={"q": "x", "alpha": "nan"}),
        hash_client.get("/api/search", params={"q": 'AND OR NOT ( " * ?'}),
        hash_client.get("/api/documents/%2e%2e%2fetc%2fpasswd"),
        hash_client.get("/api/documents/x/similar", params={"k": "-3"}),
        hash_client.get("/api/nowhere"),
        hash_client.put("/api/search"),
        hash_client.post("/api/documents", content=b"\xff\xfe", headers=AUTH),
    ]
    for response in probes:
        assert response.status_code < 500, (response.request.url, response.text)
        assert response.status_code == 200 or "message" in response.json()


# -- documents -------------------------------------------------------------------------------


def test_get_document_returns_paragraphs_and_metadata(hash_client: TestClient) -> None:
    body = hash_client.get(f"/api/documents/{FOUNDING_ID}").json()
    assert body["id"] == FOUNDING_ID and body["language"] == "ar"
    assert len(body["paragraphs"]) >= 3
    assert [p["position"] for p in body["paragraphs"]] == list(range(len(body["paragraphs"])))
    assert "ناتو" in " ".join(p["text"] for p in body["paragraphs"])
    sample = hash_client.get("/api/documents/AL-economy-747-20180605").json()
    assert sample["source"] == "alarabia" and sample["category"] == "economy"
    assert sample["date"] == "2018-06-05" and sample["url"].startswith("https://")


def test_unknown_document_is_404(hash_client: TestClient) -> None:
    body = assert_refused(hash_client.get("/api/documents/no-such-release"), 404, None)
    assert "no-such-release" in body["message"] and body["error"] == "not_found"
    assert hash_client.get("/api/documents/no-such-release/similar").status_code == 404


def test_similar_documents(hash_client: TestClient) -> None:
    body = hash_client.get("/api/documents/web-en-water/similar", params={"k": 3}).json()
    assert body["id"] == "web-en-water"
    assert 0 < len(body["results"]) <= 3 and "web-en-water" not in ids(body)
    assert_refused(hash_client.get("/api/documents/web-en-water/similar?k=0"), 422, "k")


# -- auth ------------------------------------------------------------------------------------

NEW_RELEASE = {
    "title": "Observatory records a rare lunar halo",
    "text": "Astronomers at the observatory recorded a rare lunar halo over the desert.\n\n"
    "The halo lasted forty minutes and was photographed by volunteers.",
    "date": "2021-04-02",
    "source": "Observatory",
    "language": "en",
}


def test_writes_need_the_api_key(hash_client: TestClient) -> None:
    for method, url in (("post", "/api/documents"), ("put", "/api/documents/x")):
        body = assert_refused(hash_client.request(method, url, json=NEW_RELEASE), 401, None)
        assert "API key" in body["message"]
        wrong = hash_client.request(method, url, json=NEW_RELEASE, headers={"X-API-Key": "nope"})
        assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert hash_client.delete("/api/documents/x").status_code == 401
    bearer = hash_client.delete("/api/documents/x", headers={"Authorization": "Bearer nope"})
    assert bearer.status_code == 401


def test_writes_are_refused_without_a_configured_key(hash_index: Path) -> None:
    app = create_app(web_settings(hash_index, "hash-test", api_key=None))
    with TestClient(app) as client:
        response = client.post("/api/documents", json=NEW_RELEASE, headers=AUTH)
        body = assert_refused(response, 403, None)
        assert body["message"] == "writes are disabled: set DALIL_API_KEY"
        assert client.delete(f"/api/documents/{FOUNDING_ID}", headers=AUTH).status_code == 403
        assert client.get("/api/health").json()["writes_enabled"] is False
        assert client.get(f"/api/documents/{FOUNDING_ID}").status_code == 200


# -- writes ----------------------------------------------------------------------------------


def test_post_makes_a_release_searchable_in_both_retrievers(write_client: TestClient) -> None:
    response = write_client.post(
        "/api/documents", json={**NEW_RELEASE, "id": "lunar-halo"}, headers=AUTH
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ids"] == ["lunar-halo"] and body["added"] == 1 and body["paragraphs"] >= 1
    stored = write_client.get("/api/documents/lunar-halo").json()
    assert stored["title"] == NEW_RELEASE["title"] and stored["date"] == "2021-04-02"
    for mode in ("keyword", "semantic", "hybrid"):
        found = search(write_client, q="rare lunar halo observatory", mode=mode, k=3)
        assert ids(found)[0] == "lunar-halo", mode
    health = write_client.get("/api/health").json()
    assert health["releases"] == CORPUS_SIZE + 1


def test_put_replaces_and_delete_removes_from_both_retrievers(write_client: TestClient) -> None:
    url = "/api/documents/lunar-halo"
    assert write_client.put(url, json=NEW_RELEASE, headers=AUTH).status_code == 200
    changed = {
        **NEW_RELEASE,
        "title": "Volunteers photograph a solar eclipse",
        "text": "A partial solar eclipse was photographed by volunteers near the coast.",
    }
    response = write_client.put(url, json=changed, headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 200 and response.json()["updated"] == 1
    assert write_client.get(url).json()["title"] == changed["title"]
    eclipse = search(write_client, q="partial solar eclipse", mode="keyword", k=3)
    assert ids(eclipse)[0] == "lunar-halo"
    assert "lunar-halo" not in ids(search(write_client, q="lunar halo", mode="keyword"))

    deleted = write_client.delete(url, headers=AUTH)
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert write_client.get(url).status_code == 404
    for mode in ("keyword", "semantic", "hybrid"):
        assert "lunar-halo" not in ids(search(write_client, q="partial solar eclipse", mode=mode))
    assert write_client.delete(url, headers=AUTH).status_code == 404
    assert write_client.get("/api/health").json()["releases"] == CORPUS_SIZE


def test_post_many_and_derived_ids(write_client: TestClient) -> None:
    many = [
        {
            "title": "Port handles record container traffic",
            "paragraphs": [
                "The port handled record container traffic in March.",
                "Volumes rose by a fifth.",
            ],
        },
        {
            "title": "ميناء يسجل رقما قياسيا في حركة الحاويات",
            "text": "سجل الميناء رقما قياسيا في حركة الحاويات خلال شهر مارس.",
        },
    ]
    response = write_client.post("/api/documents", json=many, headers=AUTH)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["added"] == 2 and all(i.startswith("api-") for i in body["ids"])
    arabic = write_client.get(f"/api/documents/{body['ids'][1]}").json()
    assert arabic["language"] == "ar"  # detected
    again = write_client.post("/api/documents", json=many, headers=AUTH).json()
    assert again["ids"] == body["ids"] and again["unchanged"] == 2


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"text": "no title"}, 422, "title"),
        ({"title": "   ", "text": "blank title"}, 422, "title"),
        ({"title": "No text"}, 422, None),
        ({"title": "Both", "text": "a", "paragraphs": ["b"]}, 422, None),
        ({"title": "Empty", "paragraphs": ["", "  "]}, 422, None),
        ({"title": "Date", "text": "t", "date": "2021-02-30"}, 422, "date"),
        ({"title": "Id", "text": "t", "id": "has space"}, 422, "id"),
        ({"title": "Extra", "text": "t", "colour": "red"}, 422, "colour"),
        (
            [{"title": "A", "text": "t", "id": "same"}, {"title": "B", "text": "u", "id": "same"}],
            400,
            "[1].id",
        ),
    ],
)
def test_bad_releases_are_refused_naming_the_field(
    write_client: TestClient, payload: object, status: int, field: str | None
) -> None:
    assert_refused(write_client.post("/api/documents", json=payload, headers=AUTH), status, field)


def test_searches_and_writes_run_side_by_side(write_client: TestClient) -> None:
    def read(_: int) -> int:
        return write_client.get("/api/search", params={"q": "water council"}).status_code

    def write(i: int) -> int:
        release = {**NEW_RELEASE, "id": f"side-{i}", "title": f"Side by side release {i}"}
        return write_client.post("/api/documents", json=release, headers=AUTH).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(read, i) for i in range(12)]
        futures += [pool.submit(write, i) for i in range(4)]
        codes = [f.result(timeout=120) for f in futures]
    assert codes == [200] * 12 + [201] * 4
    assert write_client.get("/api/health").json()["releases"] == CORPUS_SIZE + 4
    found = search(write_client, q="side by side release", mode="keyword", k=10)
    # the four releases are near-duplicates of each other: one result, the rest folded in
    shown = set(ids(found)) | {d["id"] for h in found["results"] for d in h["duplicates"]}
    assert {f"side-{i}" for i in range(4)} <= shown


def test_put_id_must_match_the_url(write_client: TestClient) -> None:
    response = write_client.put("/api/documents/a", json={**NEW_RELEASE, "id": "b"}, headers=AUTH)
    assert_refused(response, 400, "id")


# -- no index --------------------------------------------------------------------------------


def test_missing_index_degrades_to_503(tmp_path: Path) -> None:
    app = create_app(web_settings(tmp_path / "nothing", "hash-test"))
    with TestClient(app) as client:
        health = client.get("/api/health")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded" and health.json()["index_loaded"] is False
        assert "no index" in health.json()["error"]
        response = client.get("/api/search", params={"q": "x"})
        assert response.status_code == 503 and response.json()["error"] == "index_not_loaded"
        page = client.get("/", params={"q": "x"})
        assert page.status_code == 503 and "text/html" in page.headers["content-type"]
        assert "No index yet" in page.text


def test_took_ms_is_the_whole_request(write_client: TestClient) -> None:
    """A write's took_ms covers the generation it built (recorded in runs.jsonl) and more: it
    is counted from the request's arrival, not from inside the write."""
    from dalil.indexer import last_runs

    response = write_client.post(
        "/api/documents", json={**NEW_RELEASE, "id": "took-ms-check"}, headers=AUTH
    )
    assert response.status_code == 201, response.text
    settings = write_client.app.state.settings  # type: ignore[attr-defined]
    (run,) = last_runs(Path(settings.index), n=1)
    assert run.trigger == "api" and response.json()["took_ms"] >= run.seconds * 1000
    found = search(write_client, q="rare lunar halo observatory", mode="keyword")
    assert found["took_ms"] > 0
