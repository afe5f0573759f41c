"""The search page in a real headless Chromium (Debian's /usr/bin/chromium driven by
playwright; never a browser download), at desktop and phone sizes. Screenshots go to
tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from web_fixtures import FOUNDING_ID, SCRIPT_ID

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
TIMEOUT_MS = 30_000
ENGLISH_QUERY = "Bahrain NATO partnership"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt install chromium)"
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watcher:
    """Fails the test on a console error, a page error, a dialog (an alert() that ran) or a
    request that leaves the test server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.problems: list[str] = []

    def attach(self, page: object) -> None:
        page.on(
            "console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}")
        )
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on(
            "request",
            lambda r: (
                r.url.startswith((self.base, "data:"))
                or self.problems.append(f"external request: {r.url}")
            ),
        )


@pytest.fixture(params=list(SIZES))
def session(request: pytest.FixtureRequest, browser: object, live_server: str) -> Iterator[tuple]:
    """(page, size name, watcher) in a fresh context of the given size."""
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watcher = Watcher(live_server)
    watcher.attach(page)
    try:
        yield page, request.param, watcher
    finally:
        context.close()
    assert watcher.problems == []


def shot(page: object, size: str, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{size}-{name}.png"), full_page=True)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def result_ids(page: object) -> list[str]:
    hrefs = page.locator("article.hit .hit-title a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    return [h.removeprefix("/release/") for h in hrefs]


def assert_fits(page: object, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"page is {scroll}px wide in a {width}px window"


def test_search_flow(session: tuple, live_server: str) -> None:
    page, size, _ = session
    width = SIZES[size][0]
    page.goto(live_server + "/")
    assert page.evaluate("document.activeElement.id") == "q"  # focused on load
    assert_fits(page, width)
    shot(page, size, "1-empty")

    # Type a query and submit with Enter: the founding (Arabic) release comes first.
    page.keyboard.type(ENGLISH_QUERY)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert query_of(page.url)["q"] == [ENGLISH_QUERY]
    assert "mode" in query_of(page.url)
    assert result_ids(page)[0] == FOUNDING_ID
    first = page.locator("article.hit").first
    assert first.get_attribute("dir") == "rtl" and first.get_attribute("lang") == "ar"
    assert page.locator("#summary").is_visible()
    assert_fits(page, width)
    shot(page, size, "2-results")

    # Switch mode: the switch applies at once and the URL says so.
    with page.expect_navigation():
        page.locator("label[for=mode-keyword]").click()
    assert query_of(page.url)["mode"] == ["keyword"]
    assert page.locator("#mode-keyword").is_checked()
    assert page.locator("#q").input_value() == ENGLISH_QUERY
    with page.expect_navigation():
        page.locator("label[for=mode-semantic]").click()
    assert query_of(page.url)["mode"] == ["semantic"]
    assert result_ids(page)[0] == FOUNDING_ID
    shot(page, size, "3-semantic")

    # Filter by language with its facet (the panel is collapsed on a phone).
    facet = page.locator("#facet-language a").first
    if size == "phone":
        assert not facet.is_visible()
        page.locator("#filter-panel summary").click()
        shot(page, size, "4-filters-open")
    language = facet.get_attribute("data-value")
    with page.expect_navigation():
        facet.click()
    assert query_of(page.url)["language"] == [language]
    langs = page.locator("article.hit").evaluate_all("els => els.map(e => e.lang)")
    assert langs and set(langs) == {language}
    assert "q" in query_of(page.url) and "date_from" not in query_of(page.url)  # no empty fields

    # A date range, applied with the button.
    page.goto(f"{live_server}/?q=ministry+council+water+exhibition&mode=keyword")
    if size == "phone":
        page.locator("#filter-panel summary").click()
    page.locator("#date_from").fill("2019-01-01")
    with page.expect_navigation():
        page.locator(".filter-actions button").click()
    dates = page.locator("article.hit .meta time").evaluate_all("els => els.map(e => e.dateTime)")
    assert dates and all(d >= "2019-01-01" for d in dates)
    assert_fits(page, width)
    shot(page, size, "5-filtered")

    # Clear the filters again.
    assert "1 Jan 2019" in page.locator("#summary").inner_text()
    if size == "phone":
        page.locator("#filter-panel summary").click()
    with page.expect_navigation():
        page.locator("a.clear").first.click()
    assert "date_from" not in query_of(page.url)


def test_pagination_and_back_button(session: tuple, live_server: str) -> None:
    page, size, _ = session
    page.goto(f"{live_server}/?q=ministry+council+news&mode=hybrid&k=2")
    first = result_ids(page)
    assert len(first) == 2 and page.locator(".pagination").is_visible()
    with page.expect_navigation():
        page.locator("a[rel=next]").click()
    assert query_of(page.url)["page"] == ["2"]
    second = result_ids(page)
    assert len(second) == 2 and not set(first) & set(second)
    assert page.locator(".pagination [aria-current=page]").inner_text() == "2"
    shot(page, size, "6-page-2")
    page.go_back()
    page.wait_for_load_state()
    assert result_ids(page) == first
    page.go_forward()
    page.wait_for_load_state()
    assert result_ids(page) == second


def test_open_a_release_and_come_back(session: tuple, live_server: str) -> None:
    page, size, _ = session
    width = SIZES[size][0]
    page.goto(f"{live_server}/?q={ENGLISH_QUERY.replace(' ', '+')}&mode=hybrid")
    search_url = page.url
    with page.expect_navigation():
        page.locator("article.hit .hit-title a").first.click()
    assert page.url.endswith(f"/release/{FOUNDING_ID}")
    article = page.locator("article.release")
    assert article.get_attribute("dir") == "rtl" and article.get_attribute("lang") == "ar"
    assert "ناتو" in article.inner_text()
    assert page.locator("article.release p").count() >= 3
    assert_fits(page, width)
    shot(page, size, "7-release")
    assert page.locator("a[data-back]").get_attribute("href") == search_url.removeprefix(
        live_server
    )
    with page.expect_navigation():
        page.locator("a[data-back]").click()
    assert result_ids(page)[0] == FOUNDING_ID


def test_release_markup_shows_as_text(session: tuple, live_server: str) -> None:
    page, size, watcher = session
    page.goto(f"{live_server}/?q=escaping+user+input+web+forms&mode=keyword")
    titles = page.locator("article.hit .hit-title").all_inner_texts()
    assert "Guidance on <script>alert(1)</script> in web forms" in titles
    page.goto(f"{live_server}/release/{SCRIPT_ID}")
    assert "<script>alert(1)</script>" in page.locator("h1").inner_text()
    shot(page, size, "8-escaped")
    assert not [p for p in watcher.problems if p.startswith("dialog")]


def test_states_and_no_javascript(browser: object, live_server: str) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(live_server + "/?mode=keyword")
        page.locator("#q").fill("zzqxv")
        with page.expect_navigation():
            page.locator("#q").press("Enter")
        assert "No releases match" in page.locator(".state").inner_text()
        shot(page, "desktop", "9-no-results")
        page.goto(f"{live_server}/?q=x&date_from=2018-02-31")
        assert page.locator("[role=alert]").is_visible()
        assert "date_from" in page.locator("[role=alert]").inner_text()
        shot(page, "desktop", "9-error")
        page.goto(f"{live_server}/release/nope")
        assert "Release not found" in page.locator("h1").inner_text()
        page.goto(live_server + "/")
        page.locator("#q").fill(ENGLISH_QUERY)
        page.locator("label[for=mode-semantic]").click()
        with page.expect_navigation():
            page.locator("button.primary").click()
        assert result_ids(page)[0] == FOUNDING_ID
        assert re.search(r"mode=semantic", page.url)
    finally:
        context.close()


def test_results_page_links_its_atom_feed(session: tuple, live_server: str) -> None:
    """The results page names its feed in <head> and shows a link to it; the feed parses
    with feedparser and its entries open release pages."""
    import feedparser

    page, _, _ = session
    page.goto(live_server + "/?" + urlencode({"q": ENGLISH_QUERY, "language": "ar"}))
    head = page.locator("head link[rel=alternate][type='application/atom+xml']")
    href = head.get_attribute("href")
    assert href == page.locator("a.feed-link").get_attribute("href")
    assert page.locator("a.feed-link").is_visible()
    assert query_of(href) == {"q": [ENGLISH_QUERY], "mode": ["hybrid"], "language": ["ar"]} or (
        query_of(href) == {"q": [ENGLISH_QUERY], "language": ["ar"]}
    )
    answer = page.request.get(live_server + href)
    assert answer.ok and answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.body())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title == f"dalil: {ENGLISH_QUERY}"
    ids = [entry.link.split("/release/", 1)[1] for entry in feed.entries]
    assert FOUNDING_ID in ids
    with page.expect_navigation():
        page.goto(feed.entries[0].link)
    assert page.locator("h1").first.is_visible()


# -- API docs ----------------------------------------------------------------------------


def spec_operations(live_server: str) -> set[tuple[str, str]]:
    import httpx

    spec = httpx.get(f"{live_server}/openapi.json", timeout=30).json()
    assert spec["openapi"].startswith("3.1")  # what Swagger UI 4 could not render
    return {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}


def test_api_docs_render_every_operation(browser: object, live_server: str) -> None:
    """/docs in Chromium lists every operation of /openapi.json (not a blank page with
    "Unable to render this definition"), shows a search's parameters with their example,
    and loads nothing from outside."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watcher = Watcher(live_server)
    watcher.attach(page)
    try:
        page.goto(f"{live_server}/docs")
        page.wait_for_selector(".opblock")
        shown = page.locator(".opblock").evaluate_all(
            """els => els.map(e => [
                e.querySelector('.opblock-summary-method').textContent.trim(),
                e.querySelector('.opblock-summary-path').getAttribute('data-path')])"""
        )
        assert {tuple(op) for op in shown} == spec_operations(live_server)
        assert "Unable to render" not in page.content()
        page.locator(".opblock-get .opblock-summary-path[data-path='/api/search']").click()
        page.wait_for_selector("tr[data-param-name='q']")
        params = page.locator("tr[data-param-name]").evaluate_all(
            "els => els.map(e => e.getAttribute('data-param-name'))"
        )
        assert {"q", "mode", "k", "offset", "date_from", "source", "language"} <= set(params)
        q_input = page.locator("tr[data-param-name='q'] input")
        assert q_input.input_value() == "Bahrain NATO partnership"  # the example, ready to run
        shot(page, "desktop", "7-api-docs")
    finally:
        context.close()
    assert watcher.problems == []


def test_redoc_renders_every_operation(browser: object, live_server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watcher = Watcher(live_server)
    watcher.attach(page)
    try:
        page.goto(f"{live_server}/redoc")
        page.wait_for_selector("[data-section-id^='tag/']")
        operations = page.locator("[data-section-id^='operation/']").count()
        assert operations == len(spec_operations(live_server))
        shot(page, "desktop", "8-redoc")
    finally:
        context.close()
    # ReDoc always asks for Redocly's logo; the page's Content-Security-Policy blocks it
    # before it leaves the browser (Chromium says so in the console). Nothing else may go out.
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    blocked = [p for p in watcher.problems if logo in p and "Content Security Policy" in p]
    assert blocked, watcher.problems
    rest = [
        p
        for p in watcher.problems
        if logo not in p and not p.startswith(f"external request: blob:{live_server}/")
    ]
    assert rest == []
