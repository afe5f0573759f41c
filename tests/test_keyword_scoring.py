"""The numpy BM25F scorer against Whoosh's own BM25F search on a real multi-segment index
(sample corpus paragraphs, the dalil analyzer), with deletions and filters."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import query as wq

from dalil.indexer import compat
from dalil.indexer.compat import whoosh as compat_whoosh
from dalil.indexer.models import Filters, StoredParagraph
from dalil.indexer.store.keyword_fields import KeywordWriter
from dalil.indexer.store.keyword_scoring import Bm25fScorer, WeightedTerm, term_postings
from dalil.indexer.store.keyword_store import KeywordStore

SAMPLE = Path(__file__).resolve().parents[1] / "indexer" / "sample_data" / "ant-sample.jsonl"

QUERIES = [
    "العالم",
    "رحيل عالم مصري أنقذ مئات الملايين حول العالم",
    "زلزال بقوة 7 درجات",
    "مباراة كرة القدم في الدوري",
    "الرئيس الأمريكي ترامب",
    "أسعار النفط",
    "فيسبوك",
    "هاتف آيفون الجديد من أبل",
    "لا توجد كلمة كهذه إطلاقا قزحلبوت",
]


def sample_paragraphs() -> list[StoredParagraph]:
    out: list[StoredParagraph] = []
    categories = ["sport", "tech", "world"]
    for n, line in enumerate(SAMPLE.read_text(encoding="utf-8").splitlines()):
        article = json.loads(line)
        title = article.get("title") or ""
        body = [p for p in (article.get("text") or "").split("\n") if p.strip()]
        for position, text in enumerate(body):
            out.append(
                StoredParagraph(
                    len(out) + 1,
                    f"r{n}",
                    position,
                    text,
                    title,
                    f"2018-0{1 + n % 9}-15",
                    "ant",
                    "ar",
                    categories[n % 3],
                )
            )
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeywordStore]:
    paragraphs = sample_paragraphs()
    store = KeywordStore.create(tmp_path_factory.mktemp("kw") / "whoosh")
    third = len(paragraphs) // 3
    for part in (paragraphs[:third], paragraphs[third : 2 * third], paragraphs[2 * third :]):
        with store._ix.writer() as w:  # no merge: several segments, like a grown index
            w.merge = False
            KeywordWriter(w).add(part)
    with store.writer() as w:  # deletions in an old segment
        w.delete_ids(range(5, 400, 7))
    yield store
    store.close()  # its segment files are open (Whoosh reads them without mmap)


def whoosh_filter(filters: Filters | None) -> wq.Query | None:
    """The filters as Whoosh's own filter query (values are indexed lower-cased)."""
    if filters is None or filters.is_empty():
        return None
    parts: list[wq.Query] = []
    if filters.date_from or filters.date_to:
        parts.append(wq.TermRange("date", filters.date_from, filters.date_to))
    for name in ("source", "language", "category"):
        value = getattr(filters, name)
        if value:
            parts.append(wq.Term(name, value.strip().lower()))
    if filters.releases is not None:
        parts.append(wq.Or([wq.Term("release_id", rid) for rid in sorted(filters.releases)]))
    if filters.without:
        without = wq.Or([wq.Term("release_id", rid) for rid in sorted(filters.without)])
        parts.append(wq.And([wq.Every(), wq.Not(without)]))
    return parts[0] if len(parts) == 1 else wq.And(parts)


def whoosh_search(store: KeywordStore, text: str, limit: int, filters: Filters | None):
    q = store.whoosh_query(text)
    if q is None:
        return []
    searcher = store._current_searcher()
    results = searcher.search(q, limit=limit, filter=whoosh_filter(filters))
    pids = searcher.reader().column_reader("pid")
    return [(int(pids[d]), float(s)) for s, d in results.top_n]


def assert_same_ranking(ours: list, theirs: list) -> None:
    assert len(ours) == len(theirs)
    assert np.allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-12, atol=1e-9)
    if not ours:
        return
    last = theirs[-1][1]
    # identical except for the order of equal scores (and which tie the limit cuts)
    above = [(pid, round(s, 8)) for pid, s in ours if s > last + 1e-9]
    assert sorted(above) == sorted((pid, round(s, 8)) for pid, s in theirs if s > last + 1e-9)


def test_index_has_several_segments_and_deletions(store: KeywordStore) -> None:
    reader = store._current_searcher().reader()
    leaves = reader.leaf_readers()
    assert len(leaves) >= 3
    assert any(leaf.has_deletions() for leaf, _ in leaves)


@pytest.mark.parametrize("limit", [1, 10, 100, 5000])
@pytest.mark.parametrize("query", QUERIES)
def test_same_ranking_as_whoosh(store: KeywordStore, query: str, limit: int) -> None:
    assert_same_ranking(store.search(query, limit), whoosh_search(store, query, limit, None))


@pytest.mark.parametrize(
    "filters",
    [
        Filters(category="sport"),
        Filters(date_from="2018-03-01", date_to="2018-05-31"),
        Filters(date_from="2018-03-15"),
        Filters(date_to="2018-03-15", category="world"),
        Filters(category="TECH", source="ANT"),
        Filters(language="en"),
    ],
)
def test_same_ranking_as_whoosh_with_filters(store: KeywordStore, filters: Filters) -> None:
    for query in QUERIES:
        ours = store.search(query, 50, filters)
        assert_same_ranking(ours, whoosh_search(store, query, 50, filters))
    if filters.language == "en":
        assert store.search("العالم", 50, filters) == []


@pytest.mark.parametrize(
    "filters",
    [
        Filters(releases=frozenset({"r0", "r3", "r7", "r11", "no-such-release"})),
        Filters(without=frozenset({"r0", "r1", "r2"})),
        Filters(releases=frozenset({"r2", "r5"}), category="world"),
    ],
)
def test_release_filters_match_whoosh(store: KeywordStore, filters: Filters) -> None:
    # a quoted phrase's releases (and an excluded word's) are looked up id by id
    for query in QUERIES:
        ours = store.search(query, 50, filters)
        assert_same_ranking(ours, whoosh_search(store, query, 50, filters))
    assert any(store.search(query, 50, filters) for query in QUERIES)  # not vacuous


def test_a_deeper_list_is_not_scored_again(
    store: KeywordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    scored: list[int] = []
    matches = Bm25fScorer.matches

    def counting(self: Bm25fScorer, *args: Any, **kwargs: Any) -> Any:
        scored.append(1)
        return matches(self, *args, **kwargs)

    monkeypatch.setattr(Bm25fScorer, "matches", counting)
    query = "الاقتصاد العالمي " + QUERIES[1]  # in no other test: nothing kept for it yet
    first = store.search(query, 5)
    deeper = store.search(query, 500)
    assert len(scored) == 1
    assert deeper[:5] == first
    assert_same_ranking(deeper, whoosh_search(store, query, 500, None))
    store.search(query, 5, Filters(category="world"))  # other filters: scored anew
    assert len(scored) == 2


def test_merging_segments_keeps_the_matches(tmp_path: Path) -> None:
    paragraphs = sample_paragraphs()[:300]
    store = KeywordStore.create(tmp_path / "whoosh")
    try:
        for n in range(3):
            with store._ix.writer() as w:
                w.merge = False
                KeywordWriter(w).add(paragraphs[n::3])
        assert store.segments() == 3
        before = {query: dict(store.search(query, 5000)) for query in QUERIES}
        assert store.merge_segments(most=3) is False
        assert store.merge_segments(most=2) is True
        assert store.segments() == 1
        for query, hits in before.items():
            # the same matches, scored as Whoosh scores them; Whoosh re-adds the byte-coded
            # lengths when merging, so the average field length (and every score) moves a
            # little
            after = store.search(query, 5000)
            assert_same_ranking(after, whoosh_search(store, query, 5000, None))
            assert {pid for pid, _ in after} == set(hits)
            assert np.allclose([s for _, s in after], [hits[pid] for pid, _ in after], rtol=0.03)
    finally:
        store.close()


def test_deleted_paragraphs_never_come_back(store: KeywordStore) -> None:
    deleted = set(range(5, 400, 7))
    for query in QUERIES:
        assert not deleted & {pid for pid, _ in store.search(query, 5000)}


def test_term_postings_match_whoosh_matcher(store: KeywordStore) -> None:
    reader = store._current_searcher().reader()
    for leaf, _ in reader.leaf_readers():
        for term in ("عالم", "مصر", "قدم"):
            ids, tf = term_postings(leaf, "text", term)
            if ("text", term) not in leaf:
                assert ids.size == 0
                continue
            m = leaf.postings("text", term)  # public API: skips deleted documents
            expected = []
            while m.is_active():
                expected.append((m.id(), m.weight()))
                m.next()
            deleted = leaf.deleted_docs_set
            ours = [
                (d, w) for d, w in zip(ids.tolist(), tf.tolist(), strict=True) if d not in deleted
            ]
            assert ours == expected


def test_scorer_edge_cases(store: KeywordStore) -> None:
    searcher = store._current_searcher()
    scorer = Bm25fScorer(searcher)
    assert scorer.top([], 10) == []
    with pytest.raises(ValueError, match="limit"):
        scorer.top([WeightedTerm("text", "عالم")], 0)
    assert scorer.top([WeightedTerm("text", "قزحلبوت")], 10) == []
    nothing = np.zeros(scorer.size, dtype=bool)
    assert scorer.top([WeightedTerm("text", "عالم")], 10, nothing) == []
    top = scorer.top([WeightedTerm("text", "عالم")], 3)
    doubled = scorer.top([WeightedTerm("text", "عالم", 2.0)], 3)
    assert [d for d, _ in top] == [d for d, _ in doubled]
    assert [2 * s for _, s in top] == pytest.approx([s for _, s in doubled])


def test_ties_are_ordered_by_document_number(tmp_path: Path) -> None:
    store = KeywordStore.create(tmp_path / "whoosh")
    with store.writer() as w:
        w.add(
            StoredParagraph(i, f"r{i}", 0, "نص متطابق تماما", "", None, None, "ar", None)
            for i in (30, 10, 20)
        )
    hits = store.search("متطابق", 10)
    assert [pid for pid, _ in hits] == [30, 10, 20]  # insertion (document) order
    assert len({s for _, s in hits}) == 1
    store.close()


@pytest.fixture
def rechecked() -> Iterator[None]:
    """Runs the Whoosh compat check again after the test, with the real Whoosh."""
    yield
    assert compat_whoosh.check() == []


def hide(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make one of the internals in compat_whoosh.ATTRIBUTES absent, as an upgrade would."""
    from whoosh import matching
    from whoosh.codec import whoosh3

    owner, _, attribute = name.rpartition(".")
    if owner == "SegmentReader":  # Whoosh's own postings() reads it: hide it from compat only
        monkeypatch.setattr(compat_whoosh, "READER_ATTRIBUTE", f"{attribute}_renamed")
        return
    if name == compat_whoosh.MATCHER_CLASS:
        monkeypatch.delattr(whoosh3, "W3LeafMatcher")
        return
    cls = {
        "W3LeafMatcher": whoosh3.W3LeafMatcher,
        "WrappingMatcher": matching.WrappingMatcher,
    }[owner]
    if attribute in vars(cls):  # a method or property
        monkeypatch.delattr(cls, attribute)
        return
    init = cls.__init__  # an attribute each instance sets

    def without(self: object, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)
        delattr(self, attribute)

    monkeypatch.setattr(cls, "__init__", without)


def test_every_whoosh_internal_used_is_there() -> None:
    assert compat_whoosh.check() == []


@pytest.mark.parametrize("name", compat_whoosh.ATTRIBUTES)
def test_without_an_internal_the_public_fallback_gives_the_same_scores(
    store: KeywordStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    rechecked: None,
    name: str,
) -> None:
    store._scorer = None
    fast = {q: store.search(q, 100) for q in QUERIES}
    with monkeypatch.context() as patch:
        hide(patch, name)
        assert name in compat_whoosh.check()
        with caplog.at_level(logging.WARNING, logger="dalil.compat"):
            problems = compat.check_all()
    assert len(problems) == 1 and name in problems[0]
    assert compat_whoosh.FALLBACK in caplog.text
    if name != "SegmentReader.deleted_docs_set":  # the block reader must not run
        monkeypatch.setattr(compat_whoosh, "_read_blocks", None)
    store._scorer = None
    for query in QUERIES:
        assert store.search(query, 100) == fast[query]  # identical scores and order


def test_warm_loads_every_segment_before_the_first_query(store: KeywordStore) -> None:
    store._scorer = None
    store._lengths.clear()
    store.warm()
    leaves = store._current_searcher().reader().leaf_readers()
    # text and title of every segment, by stem and by light form
    assert len(store._lengths) == 4 * len(leaves)
    assert store.search("العالم", 5)  # and searching still works from the warm cache
