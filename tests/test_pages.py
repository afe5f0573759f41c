"""The server-rendered pages (no JavaScript needed) with FastAPI's TestClient."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient
from web_fixtures import FOUNDING_ID, SCRIPT_ID

from dalil.web.server.i18n import Ui
from dalil.web.server.templating import excerpt, marked, safe_url, text_dir


def page(client: TestClient, url: str = "/", status: int = 200, **params: object) -> str:
    response = client.get(url, params=params)
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_empty_search_page(hash_client: TestClient) -> None:
    response = hash_client.get("/")
    assert response.status_code == 200
    html = response.text
    assert re.search(r'<input id="q" name="q" type="search"[^>]*autofocus', html)
    assert '<form id="search-form" class="search-form" action="/" method="get"' in html
    assert "Search press releases" in html and "releases in Arabic and English" in html
    assert 'id="mode-hybrid" value="hybrid" checked' in html
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_results_show_title_date_source_language_and_highlights(hash_client: TestClient) -> None:
    html = page(hash_client, q="vaccination campaign", mode="keyword")
    assert '<a href="/release/web-en-vaccines">Ministry of Health launches' in html
    assert '<time datetime="2020-01-20"><bdi>20 Jan 2020</bdi></time>' in html
    assert "Ministry of Health" in html and ">English<" in html
    assert "<mark>" in html
    assert re.search(r'<article class="hit" dir="ltr" lang="en">', html)
    assert 'value="vaccination campaign"' in html


def test_arabic_results_are_right_to_left(hash_client: TestClient) -> None:
    html = page(hash_client, q="الناتو", mode="keyword")
    assert re.search(r'<article class="hit" dir="rtl" lang="ar">', html)
    assert f'href="/release/{FOUNDING_ID}"' in html


def test_release_markup_is_always_escaped(hash_client: TestClient) -> None:
    html = page(hash_client, q="escaping user input web forms", mode="keyword")
    assert "Guidance on &lt;script&gt;alert(1)&lt;/script&gt; in web forms" in html
    assert "<script>alert" not in html
    view = page(hash_client, f"/release/{SCRIPT_ID}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in view and "<script>alert" not in view
    assert 'href="javascript:' not in view  # an unsafe url is shown, not linked
    nothing = page(hash_client, q="<script>alert(2)</script> zzqx", mode="keyword")
    assert "<script>alert(2)" not in nothing


def test_mode_and_filters_are_kept_in_the_form(hash_client: TestClient) -> None:
    html = page(
        hash_client,
        q="plan",
        mode="semantic",
        source="Chamber of Commerce",
        language="en",
        date_from="2019-01-01",
        weaker="1",
    )
    assert 'id="mode-semantic" value="semantic" checked' in html
    # the filters in force ride along with the next query, and show as active facets
    assert '<input type="hidden" name="source" value="Chamber of Commerce">' in html
    assert '<input type="hidden" name="language" value="en">' in html
    assert 'name="date_from" type="text"' in html and 'value="2019-01-01"' in html
    assert (
        '<span class="active-filters">from 1 Jan 2019, English, Chamber of Commerce</span>' in html
    )
    assert re.search(r'<li class="active"><a href="[^"]*" data-value="en" aria-current', html)
    assert "Clear filters" in html
    hrefs = re.findall(r'<a href="/release/([^"]+)"', html)
    assert set(hrefs) <= {"web-en-exhibition", "web-en-water"} and hrefs


def test_pagination_links_keep_the_query_and_options(hash_client: TestClient) -> None:
    html = page(hash_client, q="the ministry council", mode="hybrid", k=2)
    assert 'aria-current="page">1<' in html
    next_href = re.search(r'<a href="([^"]+)" rel="next"', html)
    assert next_href
    query = parse_qs(urlparse(next_href.group(1).replace("&amp;", "&")).query)
    assert query == {"q": ["the ministry council"], "mode": ["hybrid"], "k": ["2"], "page": ["2"]}
    second = page(hash_client, q="the ministry council", mode="hybrid", k=2, page=2)
    assert 'aria-current="page">2<' in second and 'rel="prev"' in second
    # the results' own titles (a folded copy's "also published" link is not a result)
    title_link = r'class="hit-title"><a href="/release/([^"]+)"'
    first_ids = re.findall(title_link, html)
    second_ids = re.findall(title_link, second)
    assert len(first_ids) == 2 and not set(first_ids) & set(second_ids)


def test_a_page_past_the_end_says_so_and_links_to_the_last(hash_client: TestClient) -> None:
    html = page(hash_client, q="the ministry council", k=2)
    last = max(int(n) for n in re.findall(r'<a href="[^"]*page=(\d+)"', html))
    past = page(hash_client, q="the ministry council", k=2, page=last + 3)
    assert f"Page {last + 3} is past the end" in past and "No releases match" not in past
    link = re.search(r'<a href="([^"]+)" rel="last">go to the last page \((\d+)\)', past)
    assert link and int(link.group(2)) == last
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    assert query["page"] == [str(last)] and query["q"] == ["the ministry council"]


def test_no_results_and_error_states(hash_client: TestClient) -> None:
    none = page(hash_client, q="zzqxv", mode="keyword")
    assert "No releases match" in none and "zzqxv" in none
    assert "semantic or hybrid" in none
    bad = page(hash_client, status=422, q="x", k=1000)
    assert 'role="alert"' in bad and "Check the k field" in bad
    bad_date = page(hash_client, status=422, q="x", date_from="2018-02-31")
    assert "date_from" in bad_date
    for junk in ("abc", "0", "-1", "2.5"):
        bad_page = page(hash_client, status=422, q="x", page=junk)
        assert "page: must be a whole number from 1 up" in bad_page
        assert '<a href="/?q=x">Show the first page</a>' in bad_page
    assert "results go up to page" in page(hash_client, status=400, q="x", page=999999)
    assert "k field: must be a whole number" in page(hash_client, status=422, q="x", k="ten")


def test_release_view(hash_client: TestClient) -> None:
    html = page(hash_client, f"/release/{FOUNDING_ID}")
    assert re.search(r'<article class="release" dir="rtl" lang="ar">', html)
    assert html.count('<p id="p') >= 3
    assert "Similar releases" in html
    assert "Back to results" in html
    sample = page(hash_client, "/release/AL-economy-747-20180605")
    assert "5 Jun 2018" in sample and 'rel="noopener noreferrer nofollow"' in sample


def test_unknown_release_is_a_friendly_404(hash_client: TestClient) -> None:
    html = page(hash_client, "/release/nope", status=404)
    assert "Release not found" in html and "nope" in html and "Back to search" in html
    assert "Page not found" in page(hash_client, "/no/such/page", status=404)


def test_static_files_and_no_external_requests(hash_client: TestClient) -> None:
    html = page(hash_client, q="vaccination")
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http:", "https:", "//")), url
    css = hash_client.get("/static/dalil.css")
    assert css.status_code == 200 and "Noto Naskh Arabic" in css.text
    assert "url(" not in css.text and "@import" not in css.text
    js = hash_client.get("/static/dalil.js")
    assert js.status_code == 200 and "http" not in js.text


def test_display_helpers() -> None:
    readable_date = Ui("en").date  # what the templates call as ui.date
    assert readable_date("2018-02-18") == "18 Feb 2018"
    assert readable_date("2018-06-05T12:00:00+04:00") == "5 Jun 2018"
    assert readable_date("sometime") == "sometime" and readable_date(None) == ""
    assert (text_dir("ar"), text_dir("en"), text_dir(None), text_dir("und")) == (
        "rtl",
        "ltr",
        "auto",
        "auto",
    )
    assert marked("a &lt;b&gt; <mark>c</mark>") == "a &lt;b&gt; <mark>c</mark>"
    assert marked("<script>x</script> <mark>y") == "&lt;script&gt;x&lt;/script&gt; <mark>y</mark>"
    assert marked("<b onclick=x>z</b>") == "&lt;b onclick=x&gt;z&lt;/b&gt;"


def test_excerpts_centre_on_the_first_highlight() -> None:
    long = "word " * 100 + "<mark>NATO</mark> &lt;b&gt; " + "tail " * 100
    short = str(excerpt(long, max_chars=120))
    assert short.startswith("… ") and short.endswith(" …")
    assert "<mark>NATO</mark> &lt;b&gt;" in short and len(short) < 200
    assert excerpt("brief &lt;i&gt; <mark>m</mark>") == "brief &lt;i&gt; <mark>m</mark>"
    assert str(excerpt("<mark>start</mark> " + "x " * 300, max_chars=50)).startswith("<mark>")


def test_only_http_urls_are_linked() -> None:
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url("javascript:alert(1)") == "" and safe_url("data:text/html,x") == ""
    assert safe_url(None) == ""
