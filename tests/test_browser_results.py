"""The result page's reader features in a real headless Chromium (Debian's, via playwright),
at desktop and phone sizes, in both interface languages: facets narrow and their counts add
up, timeline bars filter, date order holds across pages, phrases and exclusions, folded
duplicates open and close, no horizontal overflow, no console errors (the Watcher of
tests/test_browser.py). Screenshots go to tests/artifacts/."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from test_browser import (  # noqa: F401  (browser and session are fixtures)
    SIZES,
    assert_fits,
    browser,
    pytestmark,
    query_of,
    result_ids,
    session,
    shot,
)

SORTED = "water ministry exhibition council guidance"


def total(page: object) -> int:
    return int(page.locator("#total").get_attribute("data-total"))


def open_filters(page: object, size: str) -> None:
    if size == "phone":
        page.locator("#filter-panel summary").click()


def use_interface(page: object, live_server: str, lang: str) -> None:
    """Choose the interface language with the page's own toggle (a cookie remembers it)."""
    page.goto(live_server + "/")
    if page.locator("html").get_attribute("lang") != lang:
        with page.expect_navigation():
            page.locator("#ui-switch").click()
    assert page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_facets_timeline_and_duplicates(session: tuple, live_server: str, lang: str) -> None:  # noqa: F811
    page, size, _ = session
    width = SIZES[size][0]
    use_interface(page, live_server, lang)
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    page.goto(f"{live_server}/?q={quote_plus(SORTED + ' vaccination')}&mode=keyword")
    assert page.locator("html").get_attribute("lang") == lang  # remembered
    assert_fits(page, width)
    shot(page, size, f"r1-{lang}-results")

    # The wire copy of the vaccination release is folded under it; it opens and closes.
    folded = page.locator("article.hit details.dups")
    assert folded.count() == 1
    copy_link = folded.locator('a[href="/release/web-en-vaccines-wire"]')
    assert not copy_link.is_visible()
    folded.locator("summary").click()
    assert copy_link.is_visible()
    assert "National News Agency" in folded.locator("summary").inner_text()
    shot(page, size, f"r2-{lang}-duplicates-open")
    folded.locator("summary").click()
    assert not copy_link.is_visible()
    assert "web-en-vaccines-wire" not in result_ids(page)

    # Facet counts add up to the total, and a facet narrows the results to its count.
    matches = total(page)
    open_filters(page, size)
    counts = page.locator("#facet-source .count").evaluate_all(
        "els => els.map(e => Number(e.dataset.count))"
    )
    assert sum(counts) == matches
    facet = page.locator("#facet-source a").first
    value, count = (
        facet.get_attribute("data-value"),
        int(facet.locator(".count").get_attribute("data-count")),
    )
    with page.expect_navigation():
        facet.click()
    assert query_of(page.url)["source"] == [value] and total(page) == count
    sources = page.locator("article.hit .source").all_inner_texts()
    assert sources and set(sources) == {value}
    open_filters(page, size)
    with page.expect_navigation():
        page.locator("#facet-source li.active a").click()  # remove it again
    assert "source" not in query_of(page.url) and total(page) == matches

    # A timeline bar narrows the dates to its period.
    bars = page.locator("#timeline svg a")
    assert bars.count() >= 2
    assert_fits(page, width)
    with page.expect_navigation():
        bars.first.click()
    params = query_of(page.url)
    start, end = params["date_from"][0], params["date_to"][0]
    dates = page.locator("article.hit .meta time").evaluate_all("els => els.map(e => e.dateTime)")
    assert dates and all(start <= d <= end for d in dates)
    shot(page, size, f"r3-{lang}-timeline-filtered")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_sort_phrase_and_exclusion(session: tuple, live_server: str, lang: str) -> None:  # noqa: F811
    page, size, _ = session
    width = SIZES[size][0]
    use_interface(page, live_server, lang)
    page.goto(f"{live_server}/?q={quote_plus(SORTED)}&mode=keyword&k=2")
    with page.expect_navigation():
        page.locator('.sort a[data-sort="newest"]').click()
    assert query_of(page.url)["sort"] == ["newest"]
    seen: list[str] = []
    while True:
        seen += page.locator("article.hit .meta time").evaluate_all(
            "els => els.map(e => e.dateTime)"
        )
        following = page.locator("a[rel=next]")
        if not following.count():
            break
        with page.expect_navigation():
            following.click()
    assert len(seen) >= 4 and seen == sorted(seen, reverse=True)
    shot(page, size, f"r4-{lang}-newest-last-page")

    # An exact phrase and an excluded word, typed in the box.
    box = page.locator("#q")
    box.fill('"water security" plan')
    with page.expect_navigation():
        box.press("Enter")
    assert result_ids(page) == ["web-en-water"]
    box = page.locator("#q")
    box.fill("ministry vaccination campaign -wire -agency")
    with page.expect_navigation():
        box.press("Enter")
    ids = result_ids(page)
    # the wire copy says "agency": left out, so the original is no longer folded with it
    assert "web-en-vaccines-wire" not in ids and "web-en-vaccines" in ids
    # the search tips explain the syntax
    page.locator("#syntax-help summary").click()
    assert page.locator("#syntax-help dl").is_visible()
    assert_fits(page, width)
    shot(page, size, f"r5-{lang}-syntax-help")
    # a malformed query: a message in the page, not an error page
    box.fill("rain after:2019-13")
    with page.expect_navigation():
        box.press("Enter")
    assert page.locator("[role=alert]").is_visible()
    assert page.locator("html").get_attribute("lang") == lang
