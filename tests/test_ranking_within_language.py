"""search.ranking: within the query's own language, the encoders trained to rank passages
order the paragraphs (WithinLanguage), to the extent the dense side prefers that language;
with no such encoder (use-m3 alone) the keyword side does, its matches raised there;
the language question, semantic mode and indexes of one encoder trained to rank are
unchanged; the bound on unseen paragraphs still holds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ranking_fixtures import dense_lists, rank, spread

from dalil.indexer.build.pipeline import apply_releases
from dalil.indexer.encoders.coverage import query_language, ranks_passages
from dalil.indexer.encoders.embedding import load_encoders
from dalil.indexer.models import Filters, Release
from dalil.indexer.settings import load_settings
from dalil.indexer.store.index import Index
from dalil.search.engine import Searcher
from dalil.search.ranking import build_scorer, unseen_bound
from dalil.search.retrievers import DenseRetrieved, Retrieved

# e5-small (trained to rank passages) prefers paragraph 2; use-m3 (trained for sentence
# similarity) prefers paragraph 1, by more: the mean of the two prefers 1.
E5 = spread({1: 0.70, 2: 0.74})
USE = spread({1: 0.95, 2: 0.60})
ARABIC = dict.fromkeys(E5, "ar")


def test_the_encoders_roles_come_from_their_documentation():
    assert not ranks_passages("use-m3") and not ranks_passages("hash-test")
    assert ranks_passages("e5-small")
    assert ranks_passages("some-sentence-transformers-model")
    # detected only when it can matter; Arabic by its script; undetermined is None
    assert query_language(["e5-small"], "أمن الطاقة") is None
    assert query_language(["e5-small", "use-m3"], "أمن الطاقة") == "ar"
    assert query_language(["use-m3"], "أمن الطاقة") == "ar"
    assert query_language(["use-m3"], "What did the ministry say about energy?") == "en"
    assert query_language(["e5-small", "use-m3"], "1234 5678") is None


def test_within_the_querys_language_the_encoder_trained_to_rank_orders_the_paragraphs():
    both = {"e5-small": E5, "use-m3": USE}
    assert rank("hybrid", None, both, ARABIC)[0] == 1  # query language unknown: as before
    assert rank("hybrid", None, both, ARABIC, query_language="ar")[0] == 2
    # semantic mode stays the encoders' mean; a query in another language changes nothing
    assert rank("semantic", None, both, ARABIC, query_language="ar")[0] == 1
    assert rank("hybrid", None, both, ARABIC, query_language="en")[0] == 1
    # two encoders trained to rank, or one encoder and no keyword list: nothing to reorder
    assert rank("hybrid", None, {"e5-small": E5, "mine": USE}, ARABIC, query_language="ar")[0] == 1
    assert rank("hybrid", None, {"use-m3": USE}, ARABIC, query_language="ar")[0] == 1


# paragraph 2 matches the query's words better than paragraph 1 does
KEYWORD = [(2, 2.5), (1, 2.0)] + [(100 + i, 1.5 - 0.01 * i) for i in range(20)]


def test_with_no_encoder_trained_to_rank_the_keyword_side_orders_the_querys_language():
    alone = {"use-m3": USE}
    assert rank("hybrid", KEYWORD, alone, ARABIC)[0] == 1  # language unknown: use-m3's order
    assert rank("hybrid", KEYWORD, alone, ARABIC, query_language="ar")[0] == 2
    scorer = scorer_for(alone, ARABIC, "ar", KEYWORD)
    assert scorer.order is not None and scorer.order.share == 1.0 and scorer.order.lift == 1.0
    # keyword matches are raised toward the language's best dense score (paragraph 1's): the
    # best match (2) all the way, a weaker one (110) part of it; nothing is lowered, and a
    # paragraph without a match (125) is not raised
    plain = replace(scorer, order=None)
    lift = {
        pid: scorer.score(pid, {"use-m3": USE[pid]}, "ar")
        - plain.score(pid, {"use-m3": USE[pid]}, "ar")
        for pid in (1, 2, 110, 125)
    }
    assert lift[1] == pytest.approx(0.0) and lift[125] == pytest.approx(0.0)
    assert lift[2] > 0 and lift[110] > 0
    assert scorer.dense({"use-m3": USE[2]}, "ar", "ar", scorer.kw[2]) == pytest.approx(
        scorer.dense({"use-m3": USE[1]}, "ar", "ar")
    )
    # semantic mode, another query language, or a ranker beside it: no lift
    assert rank("semantic", KEYWORD, alone, ARABIC, query_language="ar")[0] == 1
    assert rank("hybrid", KEYWORD, alone, ARABIC, query_language="en")[0] == 1
    both = scorer_for({"e5-small": E5, "use-m3": USE}, ARABIC, "ar", KEYWORD)
    assert both.order is not None and both.order.lift is None


def test_the_lift_fades_when_the_answer_is_probably_in_another_language():
    english = {200 + i: 0.2 - 0.002 * i for i in range(30)} | {300: 0.99}
    group_of = ARABIC | dict.fromkeys(english, "en")
    alone = {"use-m3": spread({1: 0.40, 2: 0.25}) | english}
    scorer = scorer_for(alone, group_of, "ar", KEYWORD)
    assert scorer.order is not None and scorer.order.lift is not None
    assert scorer.order.lift < 0.001  # the preference for Arabic is near 0
    ranked = rank("hybrid", KEYWORD, alone, group_of, query_language="ar")
    assert ranked[:3] == [300, 1, 2]
    assert ranked == rank("hybrid", KEYWORD, alone, group_of)  # as if the language were unknown


def scorer_for(encoders, group_of, query_language, keyword=None):
    kw = Retrieved(keyword, True) if keyword is not None else None
    dense = {n: dense_lists(s, group_of) for n, s in encoders.items()}
    raw = {n: {i: s[i] for i in group_of} for n, s in encoders.items()}
    return build_scorer("hybrid", None, kw, dense, raw, group_of, None, query_language)


def test_the_querys_language_keeps_its_level():
    # the group's best paragraph stands where all the encoders put the group's best
    both = {"e5-small": E5, "use-m3": USE}
    before = scorer_for(both, ARABIC, None)
    after = scorer_for(both, ARABIC, "ar")
    assert after.order is not None and after.order.share == 1.0
    top = max(before.score(i, {n: s[i] for n, s in both.items()}, "ar") for i in ARABIC)
    new = {i: after.score(i, {n: s[i] for n, s in both.items()}, "ar") for i in ARABIC}
    assert abs(max(new.values()) - top) < 1e-9
    assert max(new, key=new.__getitem__) == 2


def test_when_the_answer_is_probably_elsewhere_the_querys_language_is_ranked_as_before():
    # an Arabic query whose answer the dense side clearly places among the English paragraphs
    english = {200 + i: 0.2 - 0.002 * i for i in range(30)} | {300: 0.99}
    group_of = ARABIC | dict.fromkeys(english, "en")
    e5, use = spread({1: 0.30, 2: 0.31}), spread({1: 0.40, 2: 0.25})
    alone = {"e5-small": e5, "use-m3": use}
    assert rank("hybrid", None, alone, ARABIC, query_language="ar")[0] == 2  # reordered
    both = {"e5-small": e5 | english, "use-m3": use | english}
    scorer = scorer_for(both, group_of, "ar")
    assert scorer.order is not None and scorer.order.share < 0.01
    ranked = rank("hybrid", None, both, group_of, query_language="ar")
    assert ranked[0] == 300
    assert ranked.index(1) < ranked.index(2)  # all the encoders' order, as before


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=40, max_size=40),
    st.lists(st.floats(0.0, 1.0), min_size=40, max_size=40),
    st.integers(5, 30),
    st.lists(st.tuples(st.integers(0, 39), st.floats(0.1, 20.0)), max_size=8),
    st.booleans(),
)
def test_the_unseen_bound_holds_with_the_order_of_the_querys_language(e5, use, seen, kw, ranker):
    # with e5-small the rankers reorder; with use-m3 alone keyword matches are raised
    group_of = dict.fromkeys(range(40), "ar")
    scores = {"e5-small": dict(enumerate(e5)), "use-m3": dict(enumerate(use))}
    if not ranker:
        del scores["e5-small"]
    top = {n: sorted(s.items(), key=lambda p: (-p[1], p[0]))[:seen] for n, s in scores.items()}
    dense = {n: DenseRetrieved({"ar": t}, {"ar": t[-1][1]}, t[-1][1]) for n, t in top.items()}
    keyword = Retrieved(sorted(dict(kw).items(), key=lambda p: -p[1]), True)
    ids = {p for t in top.values() for p, _ in t} | {p for p, _ in keyword.ranking}
    raw = {n: {i: s[i] for i in ids} for n, s in scores.items()}
    scorer = build_scorer("hybrid", None, keyword, dense, raw, group_of, None, "ar")
    assert scorer.order is not None and (scorer.order.lift is None) == ranker
    bound = unseen_bound(scorer, keyword, dense)
    for i in set(range(40)) - ids:
        assert scorer.score(None, {n: s[i] for n, s in scores.items()}, "ar") <= bound + 1e-9


@pytest.mark.slow
def test_the_searcher_orders_the_querys_language_apart(tmp_path: Path) -> None:
    """Real e5-small and use-m3: the searcher passes an Arabic query's language to the
    ranking, which orders the Arabic paragraphs apart; an English query over Arabic
    paragraphs leaves them as they were; beside the hash-test double (trained for nothing,
    like use-m3 for ranking) the keyword side orders the Arabic paragraphs instead."""
    texts = (
        "وقعت الوزارة اتفاقية لأمن الطاقة مع الحلف.",
        "افتتح الوزير معرضا للكتاب في العاصمة.",
        "ناقش المجلس أسعار النفط وأمن الإمدادات.",
    )
    releases = [
        Release(f"ar{i}", f"خبر {i}", (text,), "t", language="ar") for i, text in enumerate(texts)
    ]
    orders = {}
    for names in (["e5-small", "use-m3"], ["hash-test", "use-m3"]):
        path = tmp_path / "-".join(names)
        settings = load_settings(index=path, encoders=",".join(names), threads=1)
        encoders = load_encoders(names, threads=1)
        index = Index.create(path, encoders)
        apply_releases(index, encoders, settings, releases)
        with Searcher(index, encoders, settings) as searcher:
            for text in (
                "ماذا قالت الوزارة عن أمن الطاقة؟",
                "What did the ministry say on energy?",
            ):
                vectors = searcher.retrievers.query_vectors(text)
                ranked = searcher.rank(text, vectors, "hybrid", None, Filters(), 3)
                orders[names[0], text[:5]] = ranked.scorer.order
                assert len(ranked.releases) == 3
        index.close()
    arabic = orders["e5-small", "ماذا "]
    assert arabic is not None and arabic.language == "ar" and arabic.share == 1.0
    assert orders["e5-small", "What "] is None
    lifted = orders["hash-test", "ماذا "]
    assert lifted is not None and lifted.lift is not None and lifted.language == "ar"
    assert orders["hash-test", "What "] is None
