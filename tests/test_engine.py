"""search.engine end to end on small real indexes built with the pipeline: modes, filters
inside both retrievers, pagination, validation, more-like-this, the founding release."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from dalil.indexer.build.pipeline import apply_releases
from dalil.indexer.encoders.embedding import load_encoders
from dalil.indexer.errors import ReleaseNotFoundError
from dalil.indexer.models import Filters, Release
from dalil.indexer.readers import read_sources
from dalil.indexer.settings import load_settings
from dalil.indexer.store.index import Index
from dalil.indexer.store.keyword_scoring import Bm25fScorer
from dalil.search.engine import Searcher
from dalil.search.errors import InvalidQueryError
from dalil.search.models import Query

TOPICS = ["harbour", "railway", "school", "hospital", "museum", "airport"]


def corpus() -> list[Release]:
    """36 releases: 6 topics x 6, half English, half Arabic; two sources; dates
    spread over January 2020. Every release mentions "ministry"."""
    arabic = {
        "harbour": "ميناء",
        "railway": "سكة الحديد",
        "school": "مدرسة",
        "hospital": "مستشفى",
        "museum": "متحف",
        "airport": "مطار",
    }
    out = []
    for i in range(36):
        topic = TOPICS[i % 6]
        english = (i // 6) % 2 == 0
        if english:
            body = (
                f"The ministry opened the new {topic} number {i} today, officials said.",
                f"Work on the {topic} took {i + 2} months and employed local companies.",
            )
        else:
            body = (
                f"افتتحت الوزارة {arabic[topic]} الجديد رقم {i} اليوم بحضور المسؤولين.",
                f"استغرق العمل في {arabic[topic]} مدة {i + 2} شهرا بمشاركة شركات محلية.",
            )
        out.append(
            Release(
                id=f"r{i:02d}",
                title=f"{topic} {i}" if english else f"{arabic[topic]} {i}",
                paragraphs=body,
                origin="test",
                date=f"2020-01-{i % 28 + 1:02d}",
                source="agency-a" if i < 18 else "agency-b",
                language="en" if english else "ar",
                category=topic,
                url=f"https://example.org/{i}",
            )
        )
    return out


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    path = tmp_path_factory.mktemp("engine") / "index"
    settings = load_settings(index=path, encoders="hash-test", threads=1)
    encoders = load_encoders(["hash-test"], threads=1)
    index = Index.create(path, encoders)
    apply_releases(index, encoders, settings, corpus())
    index.close()
    s = Searcher.open(settings)
    yield s
    s.close()


def release_ids(response) -> list[str]:
    return [h.release_id for h in response.hits]


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_modes_return_each_release_once_with_snippets(searcher: Searcher, mode: str) -> None:
    resp = searcher.search(Query(text="new harbour ministry", mode=mode, k=10, weaker=True))
    ids = release_ids(resp)
    assert len(ids) == len(set(ids)) == 10
    assert ids[0] in {"r00", "r12", "r24"}  # an English harbour release
    hit = resp.hits[0]
    assert hit.title and hit.url and hit.language == "en" and hit.category == "harbour"
    assert 1 <= len(hit.snippets) <= 3
    assert "<mark>harbour</mark>" in hit.snippets[0].html
    assert resp.took_ms >= 0
    assert [h.score for h in resp.hits] == sorted((h.score for h in resp.hits), reverse=True)


def test_the_first_lists_are_fetched_while_the_query_encodes(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the dense list on the encoder's thread as soon as the vector is ready, the keyword
    # list on the caller's thread meanwhile; rank's first pass finds both, searching none
    # again
    dense: list[str] = []
    keyword: list[str] = []
    store_type = type(searcher.index.vectors["hash-test"])
    search_vectors, score = store_type.search, Bm25fScorer.matches

    def vectors_spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        dense.append(threading.current_thread().name)
        return search_vectors(self, *args, **kwargs)

    def keyword_spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        keyword.append(threading.current_thread().name)
        return score(self, *args, **kwargs)

    monkeypatch.setattr(store_type, "search", vectors_spy)
    monkeypatch.setattr(Bm25fScorer, "matches", keyword_spy)
    text = "museum visitors on the opening day"  # no other test asks it: nothing kept yet
    response = searcher.search(Query(text=text, mode="hybrid", k=5))
    assert response.hits
    assert len(dense) == 1 and dense[0].startswith("dalil-encode")
    assert keyword == [threading.current_thread().name]
    # the same page as ranking from scratch
    vectors = searcher.retrievers.query_vectors(text)
    ranked = searcher.rank(text, vectors, "hybrid", None, Filters(), 5)
    shown = [h.release_id for h in response.hits]
    assert shown == [g.release_id for g in ranked.releases[: len(shown)]]


def test_totals(searcher: Searcher) -> None:
    # semantic: the matches above the relevance threshold; the rest are "weaker"
    semantic = searcher.search(Query(text="harbour", mode="semantic"))
    assert 0 < semantic.total < 36 and semantic.total + semantic.weaker == 36
    # keyword: only releases with a keyword match
    assert searcher.search(Query(text="harbour", mode="keyword")).total == 3
    filtered = searcher.search(Query(text="harbour", filters=Filters(source="agency-b")))
    assert filtered.total + filtered.weaker == 18


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_filters_apply_inside_both_retrievers(searcher: Searcher, mode: str) -> None:
    # "museum" matches few releases in the keyword side; with a filter the engine must still
    # return k releases that pass it (semantic/hybrid rank every release passing the filter)
    filters = Filters(language="ar", source="agency-b", date_from="2020-01-05")
    resp = searcher.search(
        Query(text="museum ministry", mode=mode, k=5, filters=filters, weaker=True)
    )
    for hit in resp.hits:
        assert hit.language == "ar" and hit.source == "agency-b" and hit.date >= "2020-01-05"
    expected = sum(
        1
        for r in corpus()
        if r.language == "ar" and r.source == "agency-b" and r.date >= "2020-01-05"
    )
    if mode == "keyword":
        assert resp.hits == ()  # no Arabic release contains the English words
    else:
        assert len(resp.hits) == min(5, expected) == 5


def test_keyword_filter_returns_k_when_k_match(searcher: Searcher) -> None:
    filters = Filters(category="school", date_to="2020-01-31")
    resp = searcher.search(Query(text="ministry", mode="keyword", k=3, filters=filters))
    assert len(resp.hits) == 3
    assert all(h.category == "school" and h.language == "en" for h in resp.hits)


def test_date_range_filter(searcher: Searcher) -> None:
    filters = Filters(date_from="2020-01-10", date_to="2020-01-12")
    resp = searcher.search(Query(text="ministry", k=10, filters=filters, weaker=True))
    assert resp.hits and all("2020-01-10" <= h.date <= "2020-01-12" for h in resp.hits)
    assert len(resp.hits) == resp.total + resp.weaker


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_page_two_continues_page_one(searcher: Searcher, mode: str) -> None:
    text = "ministry opened new school officials"
    whole = release_ids(searcher.search(Query(text=text, mode=mode, k=35)))
    pages = []
    for offset in range(0, 35, 7):
        page = searcher.search(Query(text=text, mode=mode, k=7, offset=offset))
        pages.extend(release_ids(page))
    assert pages == whole
    assert len(set(pages)) == len(pages)


def test_offset_past_the_end(searcher: Searcher) -> None:
    resp = searcher.search(Query(text="harbour", mode="keyword", k=10, offset=500))
    assert resp.hits == ()


def test_fixed_alpha(searcher: Searcher) -> None:
    dense = release_ids(searcher.search(Query(text="railway", mode="semantic", k=5)))
    assert release_ids(searcher.search(Query(text="railway", alpha=1.0, k=5))) == dense
    kw = searcher.search(Query(text="railway", alpha=0.0, k=3))
    assert all(h.category == "railway" for h in kw.hits)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (Query(text=""), "text"),
        (Query(text="   \n"), "text"),
        (Query(text="x" * 1001), "text"),
        (Query(text="a", k=0), "k"),
        (Query(text="a", k=101), "k"),
        (Query(text="a", offset=-1), "offset"),
        (Query(text="a", offset=1001), "offset"),
        (Query(text="a", mode="fuzzy"), "mode"),  # type: ignore[arg-type]
        (Query(text="a", alpha=1.5), "alpha"),
        (Query(text="a", alpha=-0.1), "alpha"),
        (Query(text="a", filters=Filters(date_from="2020-13-01")), "date_from"),
        (Query(text="a", filters=Filters(date_to="yesterday")), "date_to"),
        (
            Query(text="a", filters=Filters(date_from="2020-02-01", date_to="2020-01-01")),
            "date_from",
        ),
    ],
)
def test_validation(searcher: Searcher, query: Query, field: str) -> None:
    with pytest.raises(InvalidQueryError) as info:
        searcher.search(query)
    assert info.value.field == field


def test_text_of_exactly_1000_chars_is_fine(searcher: Searcher) -> None:
    assert searcher.search(Query(text=("harbour " * 200)[:1000], k=1)).hits


def test_similar_excludes_itself(searcher: Searcher) -> None:
    resp = searcher.similar("r00", k=5)
    ids = release_ids(resp)
    assert "r00" not in ids and len(ids) == 5
    assert ids[0] in {"r12", "r24"}  # another English harbour release
    with pytest.raises(ReleaseNotFoundError):
        searcher.similar("nope")
    with pytest.raises(InvalidQueryError):
        searcher.similar("r00", k=0)


def test_get_release(searcher: Searcher) -> None:
    assert searcher.get_release("r03").title.endswith("3")
    with pytest.raises(ReleaseNotFoundError):
        searcher.get_release("missing")


@pytest.mark.slow
def test_founding_release_cross_lingual(tmp_path: Path, founding_release: Path) -> None:
    """English "Bahrain NATO partnership" finds the Arabic founding release first, among
    Arabic and English releases that share single words with the query (real use-m3)."""
    releases = [r for r in read_sources([founding_release]) if isinstance(r, Release)]
    assert len(releases) == 1
    distractors = [
        ("Bahrain Grand Prix", "en", "The Bahrain Grand Prix drew record crowds to the circuit."),
        ("Partnership fair", "en", "Local firms signed a partnership to build a new bakery."),
        ("طقس", "ar", "تشهد مملكة البحرين طقسا حارا ورطبا خلال الأيام المقبلة."),
        ("كرة القدم", "ar", "فاز المنتخب في مباراة كرة القدم أمس بهدفين."),
        ("اقتصاد", "ar", "ارتفعت أسعار النفط في الأسواق العالمية اليوم."),
        ("Weather", "en", "Heavy rain is expected across the region this weekend."),
    ]
    for i, (title, lang, text) in enumerate(distractors):
        releases.append(Release(f"d{i}", title, (text,), "test", language=lang))
    path = tmp_path / "index"
    settings = load_settings(index=path, encoders="use-m3", threads=1)
    encoders = load_encoders(["use-m3"], threads=1)
    index = Index.create(path, encoders)
    apply_releases(index, encoders, settings, releases)
    with Searcher(index, encoders, settings) as searcher:
        for mode in ("hybrid", "semantic"):
            resp = searcher.search(Query(text="Bahrain NATO partnership", mode=mode, k=3))
            assert resp.hits[0].release_id == releases[0].id, mode
    index.close()


def test_deep_pages_are_consistent(tmp_path: Path) -> None:
    """Past the first list depth the engine deepens its lists; pages of different sizes
    must still tile the same ranking."""
    words = ["port", "rail", "grain", "solar", "water", "trade", "roads", "bank", "tax"]
    releases = [
        Release(
            f"g{i:03d}",
            f"item {i}",
            (
                f"{words[i % 9]} {words[(i * 7) % 9]} {words[(i * 5) % 9]} project {i} "
                f"announced by the ministry for region {i % 13}",
            ),
            "test",
            language="en" if i % 3 else "ar",
        )
        for i in range(600)
    ]
    path = tmp_path / "index"
    settings = load_settings(index=path, encoders="hash-test", threads=1)
    encoders = load_encoders(["hash-test"], threads=1)
    index = Index.create(path, encoders)
    apply_releases(index, encoders, settings, releases)
    with Searcher(index, encoders, settings) as searcher:
        for mode in ("hybrid", "semantic", "keyword"):
            small, large = [], []
            for offset in range(0, 240, 20):
                small += release_ids(
                    searcher.search(
                        Query("port solar ministry", mode, k=20, offset=offset, weaker=True)
                    )
                )
            for offset in range(0, 240, 80):
                large += release_ids(
                    searcher.search(
                        Query("port solar ministry", mode, k=80, offset=offset, weaker=True)
                    )
                )
            assert small == large, mode
            assert len(small) == len(set(small)) == 240, mode
        # keyword mode counts every match: it reads all of them in one pass
        limits: list[int] = []
        keyword = searcher.retrievers.keyword

        def spy(text: str, limit: int, filters: Filters | None) -> Any:
            limits.append(limit)
            return keyword(text, limit, filters)

        searcher.retrievers.keyword = spy  # type: ignore[method-assign]
        response = searcher.search(Query("ministry", "keyword", k=10))
        assert response.total == 600
        assert limits == [searcher.retrievers.keyword_matches("ministry", Filters()) + 1]
    index.close()


def test_writes_through_the_searcher_are_seen(tmp_path: Path) -> None:
    path = tmp_path / "index"
    settings = load_settings(index=path, encoders="hash-test", threads=1)
    encoders = load_encoders(["hash-test"], threads=1)
    index = Index.create(path, encoders)
    apply_releases(index, encoders, settings, corpus()[:6])
    with Searcher(index, encoders, settings) as searcher:
        filters = Filters(source="late-wire")
        assert searcher.search(Query("volcano", filters=filters)).hits == ()
        before = searcher.search(Query("volcano", "keyword"))  # reads the release table
        assert "late-wire" not in dict(before.facets.sources)
        fresh = Release(
            "new",
            "Volcano",
            ("A volcano erupted near the coast.",),
            "t",
            source="late-wire",
            language="en",
        )
        apply_releases(searcher.index, encoders, settings, [fresh])
        resp = searcher.search(Query("volcano", filters=filters, weaker=True))
        assert release_ids(resp) == ["new"] and resp.total + resp.weaker == 1
        assert "<mark>volcano</mark>" in resp.hits[0].snippets[0].html
        # keyword mode groups and counts off a table read once per index version: the
        # write made a new version, so the new release is found, counted and dated
        after = searcher.search(Query("volcano", "keyword", k=50))
        assert "new" in release_ids(after) and after.total == before.total + 1
        assert dict(after.facets.sources)["late-wire"] == 1
    index.close()
