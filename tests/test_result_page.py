"""What a reader gets around the ranking, through the API and the page of a real app (the
web corpus, hash-test encoder): honest counts and the threshold, facets and a timeline over
the matches, date sorting with exact pages, phrases / exclusions / typed filters, folded
near-duplicates, and the page in Arabic or English -- and page and API agreeing."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from web_fixtures import FOUNDING_ID

from dalil.web.server.i18n import choose, from_accept_language

SORTED_QUERY = "water ministry exhibition council guidance"


def api(client: TestClient, **params: object) -> dict:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body: dict) -> list[str]:
    return [h["id"] for h in body["results"]]


def test_keyword_counts_facets_timeline_and_folding(hash_client: TestClient) -> None:
    body = api(hash_client, q='"vaccination campaign"', mode="keyword")
    assert body["total"] == 2 and body["total_is_estimate"] is False
    assert body["threshold"] is None and body["weaker"] == 0
    # the wire copy is folded under the original: one result, the copy listed with it
    assert body["listed"] == 1 and ids(body) == ["web-en-vaccines"]
    hit = body["results"][0]
    assert [d["id"] for d in hit["duplicates"]] == ["web-en-vaccines-wire"]
    assert hit["duplicates"][0]["source"] == "National News Agency"
    assert hit["cluster"] == "web-en-vaccines"
    # facets and timeline count the matching releases, and add up to the total
    facets = body["facets"]
    assert {f["value"]: f["count"] for f in facets["source"]} == {
        "Ministry of Health": 1,
        "National News Agency": 1,
    }
    for name in ("source", "language", "category", "year"):
        assert sum(f["count"] for f in facets[name]) == body["total"], name
    timeline = body["timeline"]
    assert timeline["unit"] == "month"
    assert [(b["period"], b["count"]) for b in timeline["buckets"]] == [("2020-01", 2)]
    assert timeline["buckets"][0]["date_from"] == "2020-01-01"
    assert timeline["buckets"][0]["date_to"] == "2020-01-31"


def test_a_facet_narrows_to_its_count(hash_client: TestClient) -> None:
    body = api(hash_client, q="ministry", mode="keyword")
    for facet in body["facets"]["source"]:
        narrowed = api(hash_client, q="ministry", mode="keyword", source=facet["value"])
        assert narrowed["total"] == facet["count"], facet
        shown = {h["id"] for h in narrowed["results"]}
        assert all(h["source"] == facet["value"] for h in narrowed["results"]) and shown
    year = body["facets"]["year"][0]
    narrowed = api(
        hash_client,
        q="ministry",
        mode="keyword",
        date_from=f"{year['value']}-01-01",
        date_to=f"{year['value']}-12-31",
    )
    assert narrowed["total"] == year["count"]


def test_sorting_by_date_holds_across_pages(hash_client: TestClient) -> None:
    for sort in ("newest", "oldest"):
        whole = api(hash_client, q=SORTED_QUERY, mode="keyword", sort=sort, k=50)
        dates = [h["date"] for h in whole["results"]]
        assert dates == sorted(dates, reverse=sort == "newest") and len(dates) >= 4, dates
        pages: list[str] = []
        for offset in range(0, whole["listed"], 2):
            body = api(
                hash_client,
                q=SORTED_QUERY,
                mode="keyword",
                sort=sort,
                k=2,
                offset=offset,
            )
            pages += ids(body)
        assert pages == ids(whole)


def test_phrases_exclusions_and_typed_filters(hash_client: TestClient) -> None:
    assert ids(api(hash_client, q='"water security"', mode="keyword")) == ["web-en-water"]
    assert api(hash_client, q='"security water"', mode="keyword")["results"] == []
    # an Arabic phrase: its words next to each other, in order
    arabic = api(hash_client, q='"مبادرة إسطنبول"', mode="keyword")
    assert ids(arabic) == [FOUNDING_ID]
    assert api(hash_client, q='"إسطنبول مبادرة"', mode="keyword")["results"] == []
    # a phrase narrows the semantic side too
    semantic = api(hash_client, q='"water security"', mode="semantic", weaker=True)
    assert ids(semantic) == ["web-en-water"]
    # exclusion: both sides
    for mode in ("keyword", "hybrid"):
        body = api(hash_client, q="ministry campaign -vaccination", mode=mode, weaker=True, k=50)
        assert body["results"] and not {"web-en-vaccines", "web-en-vaccines-wire"} & set(ids(body))
    typed = api(hash_client, q='council source:"Chamber of Commerce" after:2019-06', mode="keyword")
    assert ids(typed) == ["web-en-water"]
    assert typed["searched"] == "council"


def test_malformed_queries_get_a_message_not_an_error_page(hash_client: TestClient) -> None:
    response = hash_client.get("/api/search", params={"q": "-vaccination"})
    assert response.status_code == 400 and response.json()["field"] == "q"
    page = hash_client.get("/", params={"q": "rain after:2019-13"})
    assert page.status_code == 200 and 'role="alert"' in page.text
    assert "is not a date: write dates as 2018-01-31" in page.text
    arabic = hash_client.get("/", params={"q": "-مطر"}, headers={"accept-language": "ar,en;q=0.5"})
    assert arabic.status_code == 200 and "أضف كلمة واحدة على الأقل" in arabic.text


def test_semantic_counts_the_matches_above_the_threshold(hash_client: TestClient) -> None:
    body = api(hash_client, q="ministry of health vaccination", mode="semantic", k=50)
    everything = hash_client.get("/api/health").json()["releases"]
    assert body["total_is_estimate"] is True and body["threshold"] > 0
    assert 0 < body["total"] < everything
    assert body["total"] + body["weaker"] == everything
    assert all(h["score"] >= body["threshold"] for h in body["results"])
    assert not any(h["weak"] for h in body["results"])
    more = api(hash_client, q="ministry of health vaccination", mode="semantic", k=100, weaker=True)
    flags = [h["weak"] for h in more["results"]]
    assert flags == sorted(flags) and flags.count(False) == body["listed"]
    assert all(h["score"] < body["threshold"] for h in more["results"] if h["weak"])


def test_page_and_api_agree(hash_client: TestClient) -> None:
    for params in (
        {"q": "ministry", "mode": "keyword"},
        {"q": "water security plan", "mode": "hybrid"},
        {"q": SORTED_QUERY, "mode": "keyword", "sort": "oldest", "source": "Chamber of Commerce"},
    ):
        body = api(hash_client, **params)
        html = hash_client.get("/", params=params).text
        assert body["results"], params
        assert f'data-total="{body["total"]}"' in html
        page_ids = re.findall(r'<h2 class="hit-title"><a href="/release/([^"]+)"', html)
        assert page_ids == ids(body)
        counts = re.findall(r'id="facet-source".*?</section>', html, flags=re.S)
        if body["facets"]["source"]:
            shown = dict(
                re.findall(r'data-value="([^"]+)".*?data-count="(\d+)"', counts[0], flags=re.S)
            )
            assert {k: int(v) for k, v in shown.items()} == {
                f["value"]: f["count"] for f in body["facets"]["source"]
            }


def test_interface_language(hash_client: TestClient) -> None:
    assert choose(None, "ar-BH,ar;q=0.9,en;q=0.8") == "ar"
    assert choose(None, "fr-FR,en;q=0.7,ar;q=0.5") == "en"
    assert choose("en", "ar") == "en" and choose("xx", None) == "en"
    assert from_accept_language("de") is None
    arabic = hash_client.get(
        "/", params={"q": "vaccination", "mode": "keyword"}, headers={"accept-language": "ar"}
    ).text
    assert '<html lang="ar" dir="rtl">' in arabic
    assert "٢٠ يناير ٢٠٢٠" in arabic  # the release's date, in Arabic
    assert "بيانان مطابقان" in arabic and "التصفية" in arabic
    assert '<article class="hit" dir="ltr" lang="en">' in arabic  # a release keeps its own
    english = hash_client.get("/", params={"q": "vaccination", "mode": "keyword"}).text
    assert '<html lang="en" dir="ltr">' in english and "20 Jan 2020" in english
    toggle = hash_client.get("/ui", params={"lang": "ar", "next": "/?q=x"}, follow_redirects=False)
    assert toggle.status_code == 303 and toggle.headers["location"] == "/?q=x"
    assert "dalil_ui=ar" in toggle.headers["set-cookie"]
    away = hash_client.get(
        "/ui", params={"lang": "ar", "next": "//evil.example/"}, follow_redirects=False
    )
    assert away.headers["location"] == "/"
    hash_client.cookies.set("dalil_ui", "ar")
    with_cookie = hash_client.get("/").text
    assert 'dir="rtl"' in with_cookie and "ابحث في البيانات الصحفية" in with_cookie
    hash_client.cookies.clear()


def test_release_view_lists_its_copies_not_as_similar(hash_client: TestClient) -> None:
    html = hash_client.get("/release/web-en-vaccines").text
    copies, _, similar = html.partition('id="similar-heading"')
    assert "The same release, published again" in copies
    assert '<a href="/release/web-en-vaccines-wire">' in copies
    assert "web-en-vaccines-wire" not in similar
    body = hash_client.get("/api/documents/web-en-vaccines/similar", params={"k": 30}).json()
    assert "web-en-vaccines-wire" not in [h["id"] for h in body["results"]]
