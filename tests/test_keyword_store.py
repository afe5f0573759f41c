"""The Whoosh keyword store: writes, transactions, BM25F search, filters, reopening."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from dalil.indexer.errors import IndexCorruptError, IndexLockedError, IndexNotFoundError
from dalil.indexer.models import Filters, StoredParagraph
from dalil.indexer.store.keyword_store import KeywordStore

TITLE_AR = "البحرين وحلف الناتو يبحثان مبادرة إسطنبول للتعاون"
TITLE_EN = "Bahrain and NATO discuss the Istanbul Cooperation Initiative"


def para(
    pid: int,
    release_id: str,
    text: str,
    *,
    title: str = "",
    date: str | None = "2024-05-01",
    source: str | None = "bna",
    language: str | None = "ar",
    category: str | None = "politics",
    position: int = 0,
) -> StoredParagraph:
    return StoredParagraph(pid, release_id, position, text, title, date, source, language, category)


PARAGRAPHS = [
    para(
        1,
        "r-ar",
        "التقى وزيرُ الخارجيّة الأمينَ العامَّ لحلف شمال الأطلسي في بروكسل.",
        title=TITLE_AR,
        date="2024-05-01",
        source="BNA",
        category="Politics",
    ),
    para(
        2,
        "r-ar",
        "وناقش الجانبان تعزيز الشراكة ضمن مبادرة إسطنبول للتعاون.",
        title=TITLE_AR,
        date="2024-05-01",
        source="BNA",
        category="Politics",
        position=1,
    ),
    para(
        3,
        "r-en",
        "The Minister of Foreign Affairs met the NATO Secretary-General in Brussels.",
        title=TITLE_EN,
        date="2024-06-15",
        source="MOFA",
        language="en",
        category="Diplomacy",
    ),
    para(
        4,
        "r-econ",
        "ارتفعت صادرات الألمنيوم في الربع الأول من عام ٢٠٢٤ بنسبة ١٢٪.",
        title="صادرات الألمنيوم",
        date="2023-12-31",
        source="Alba",
        category="Economy",
    ),
    para(
        5,
        "r-undated",
        "Aluminium exports rose in the first quarter.",
        date=None,
        source=None,
        language="en",
        category=None,
    ),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KeywordStore]:
    with KeywordStore.create(tmp_path / "whoosh") as ks:
        with ks.writer() as w:
            assert w.add(PARAGRAPHS) == len(PARAGRAPHS)
        yield ks


def ids_of(hits: list[tuple[int, float]]) -> list[int]:
    return [pid for pid, _ in hits]


def test_empty_store(tmp_path: Path) -> None:
    with KeywordStore.create(tmp_path / "empty") as ks:
        assert ks.count() == 0
        assert ks.ids() == set()
        assert ks.search("الناتو", 10) == []


def test_add_ids_count(store: KeywordStore) -> None:
    assert store.count() == 5
    assert store.ids() == {1, 2, 3, 4, 5}


def test_search_returns_best_first(store: KeywordStore) -> None:
    hits = store.search("الأمين العام لحلف الأطلسي", 10)
    assert hits[0][0] == 1
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(pid, int) and isinstance(s, float) for pid, s in hits)
    assert ids_of(store.search("NATO secretary general", 10))[0] == 3


def test_arabic_query_with_other_hamza_and_diacritics_finds_the_paragraph(
    store: KeywordStore,
) -> None:
    hits = ids_of(store.search("اسطنبول", 10))  # إسطنبول in text and title of 2, title of 1
    assert hits == [2, 1]
    assert ids_of(store.search("الامين العام", 1)) == [1]
    assert ids_of(store.search("الأَمِين العَامّ", 1)) == [1]
    assert ids_of(store.search("الشراكه", 1)) == [2]  # ة typed as ه
    assert ids_of(store.search("الالمنيوم ١٢", 1)) == [4]


def test_stemming_matches_other_inflections(store: KeywordStore) -> None:
    assert ids_of(store.search("صادرات", 10))[0] == 4
    assert ids_of(store.search("minister meeting", 10))[0] == 3


def test_title_words_match_every_paragraph_of_the_release(store: KeywordStore) -> None:
    assert set(ids_of(store.search("البحرين", 10))) == {1, 2}


def test_empty_and_all_stop_word_queries_return_nothing(store: KeywordStore) -> None:
    assert store.search("", 10) == []
    assert store.search("   ", 10) == []
    assert store.search("في من على the of", 10) == []
    assert store.query_terms("في من على") == []


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"NATO',
        "(",
        "NATO)",
        "AND",
        "NATO AND",
        "*",
        "NAT*",
        ":",
        "text:NATO",
        "a OR b",
        "[a TO z]",
        "\\",
        "NOT",
        "~2",
        "^",
        "{}",
        "NATO^3",
        "'",
    ],
)
def test_whoosh_syntax_characters_are_plain_text(store: KeywordStore, query: str) -> None:
    hits = store.search(query, 10)
    if "NATO" in query:
        assert 3 in ids_of(hits)


def test_limit(store: KeywordStore) -> None:
    assert len(store.search("الخارجية NATO Brussels", 1)) == 1
    with pytest.raises(ValueError, match="limit"):
        store.search("NATO", 0)


def test_query_terms(store: KeywordStore) -> None:
    assert store.query_terms("في اجتماع الناتو والاجتماع Meetings") == store.query_terms(
        "اجتماع الناتو والاجتماع Meetings"
    )
    terms = store.query_terms("الاجتماع اجتماع meeting meetings")
    assert len(terms) == len(set(terms)) == 2


FILTER_CASES = [
    (Filters(date_from="2024-05-01", date_to="2024-05-01"), {1, 2}),  # inclusive both ends
    (Filters(date_from="2024-05-02"), {3}),
    (Filters(date_to="2024-05-01"), {1, 2, 4}),
    (Filters(date_from="2023-12-31", date_to="2024-06-15"), {1, 2, 3, 4}),
    (Filters(date_from="2025-01-01"), set()),
    (Filters(source="bna"), {1, 2}),
    (Filters(source="MOFA"), {3}),
    (Filters(language="en"), {3, 5}),
    (Filters(category="ECONOMY"), {4}),
    (Filters(language="ar", date_from="2024-01-01"), {1, 2}),
    (Filters(source="bna", category="economy"), set()),
    (Filters(), {1, 2, 3, 4, 5}),
]


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
def test_filters(store: KeywordStore, filters: Filters, expected: set[int]) -> None:
    # A query matching every paragraph: each has at least one of these words.
    query = "الخارجية الشراكة الألمنيوم NATO Aluminium"
    assert set(ids_of(store.search(query, 10, filters))) == expected


def test_filters_apply_inside_the_search(store: KeywordStore) -> None:
    # The best match for this query is paragraph 3; with a filter the top hit must still be
    # a filtered one, not an empty page from post-filtering.
    assert ids_of(store.search("NATO Secretary General Brussels aluminium", 1))[0] == 3
    hits = store.search("NATO Secretary General Brussels aluminium", 1, Filters(language="ar"))
    assert hits == []  # no Arabic paragraph matches these words
    hits = store.search("NATO Brussels aluminium exports", 1, Filters(date_from="2025-01-01"))
    assert hits == []
    assert ids_of(store.search("NATO Brussels aluminium", 1, Filters(language="en")))[0] == 3
    assert ids_of(store.search("NATO Brussels aluminium", 1, Filters(source="bna"))) == []


def test_delete_ids(store: KeywordStore) -> None:
    with store.writer() as w:
        assert w.delete_ids([1, 3, 999]) == 2
    assert store.ids() == {2, 4, 5}
    assert store.count() == 3
    assert 3 not in ids_of(store.search("NATO", 10))


def test_delete_release(store: KeywordStore) -> None:
    with store.writer() as w:
        assert w.delete_release("r-ar") == 2
        assert w.delete_release("no-such-release") == 0
    assert store.ids() == {3, 4, 5}
    assert store.search("إسطنبول", 10) == []


def test_searcher_sees_every_commit(store: KeywordStore) -> None:
    assert store.search("aluminium", 10)
    with store.writer() as w:
        w.delete_ids([5])
    assert 5 not in ids_of(store.search("aluminium", 10))
    with store.writer() as w:
        w.add([para(6, "r6", "Aluminium smelter expansion", language="en")])
    with store.writer() as w:
        w.add([para(7, "r7", "More aluminium news", language="en")])
    assert set(ids_of(store.search("aluminium", 10))) == {6, 7}
    assert store.ids() == {1, 2, 3, 4, 6, 7}


def test_failed_transaction_leaves_previous_content(store: KeywordStore) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.writer() as w:
        w.add([para(10, "r10", "Aluminium prices")])
        w.delete_ids([1])
        w.delete_release("r-en")
        raise RuntimeError("boom")
    assert store.ids() == {1, 2, 3, 4, 5}
    with store.writer() as w:  # the lock was released
        w.add([para(11, "r11", "Aluminium prices")])
    assert store.ids() == {1, 2, 3, 4, 5, 11}


def test_second_writer_is_refused(store: KeywordStore) -> None:
    with store.writer(), pytest.raises(IndexLockedError, match="locked"), store.writer():
        pass


def test_reopen_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "whoosh"
    with KeywordStore.create(path) as ks, ks.writer() as w:
        w.add(PARAGRAPHS)
    with KeywordStore.open(path) as ks:
        assert ks.ids() == {1, 2, 3, 4, 5}
        assert ids_of(ks.search("الامين العام", 1)) == [1]
        assert ks.query_terms("في الاجتماع") == ks.query_terms("الاجتماع")
        with ks.writer() as w:
            w.delete_ids([1])
    with KeywordStore.open(str(path)) as ks:
        assert ks.ids() == {2, 3, 4, 5}


def test_large_ids_round_trip(tmp_path: Path) -> None:
    big = [2**40 + 7, 2**62, 0]
    with KeywordStore.create(tmp_path / "big") as ks:
        with ks.writer() as w:
            w.add(para(pid, f"r{pid}", f"aluminium {pid}") for pid in big)
        assert ks.ids() == set(big)
        assert set(ids_of(ks.search("aluminium", 10))) == set(big)
        with ks.writer() as w:
            assert w.delete_ids([2**62]) == 1
        assert ks.ids() == {2**40 + 7, 0}


def test_open_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="no keyword"):
        KeywordStore.open(tmp_path / "nowhere")
    (tmp_path / "empty-dir").mkdir()
    with pytest.raises(IndexNotFoundError):
        KeywordStore.open(tmp_path / "empty-dir")


def test_open_corrupt_index(tmp_path: Path) -> None:
    path = tmp_path / "whoosh"
    with KeywordStore.create(path) as ks, ks.writer() as w:
        w.add(PARAGRAPHS)
    for toc in path.glob("_MAIN_*.toc"):
        toc.write_bytes(b"not a whoosh table of contents")
    # Whoosh leaves the damaged file open when it fails to read it; free it here, quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(IndexCorruptError, match="cannot be read") as excinfo:
            KeywordStore.open(path)
        del excinfo
        gc.collect()


def test_open_index_with_missing_segment(tmp_path: Path) -> None:
    path = tmp_path / "whoosh"
    with KeywordStore.create(path) as ks, ks.writer() as w:
        w.add(PARAGRAPHS)
    for segment in path.glob("*.seg"):
        segment.unlink()
    with pytest.raises(IndexCorruptError):
        KeywordStore.open(path)


def test_parallel_writer(tmp_path: Path) -> None:
    with KeywordStore.create(tmp_path / "mp") as ks:
        with ks.writer(procs=2, multisegment=True) as w:
            w.add(PARAGRAPHS)
        assert ks.ids() == {1, 2, 3, 4, 5}
        assert ids_of(ks.search("الامين العام", 1)) == [1]


def test_light_fields_rank_the_query_word_above_its_stem_mates(tmp_path: Path) -> None:
    with KeywordStore.create(tmp_path / "kw") as store:
        with store.writer() as w:
            w.add(
                [
                    para(1, "maritime", "افتتح الميناء البحري الجديد أمس في الخليج."),
                    para(2, "bahrain", "افتتح الميناء الجديد أمس في البحرين."),
                ]
            )
        assert [p for p, _ in store.search("البحرين", 10)] == [2, 1]
        assert [p for p, _ in store.search("البحري", 10)] == [1, 2]
        assert [p for p, _ in store.search("بحرين", 10)][0] == 2  # no article in the query
