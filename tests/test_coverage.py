"""indexer.encoders.coverage: which encoders read which languages, and the searcher ranking a
query with only those."""

from __future__ import annotations

from pathlib import Path

import pytest

from dalil.indexer.build.pipeline import apply_releases
from dalil.indexer.encoders.coverage import covers, reader_probes, readers
from dalil.indexer.encoders.embedding import load_encoders
from dalil.indexer.models import Filters, Release
from dalil.indexer.settings import load_settings
from dalil.indexer.store.index import Index
from dalil.search.engine import Searcher


@pytest.mark.parametrize(
    ("encoder", "language", "expected"),
    [
        ("use-m3", "ar", True),
        ("use-m3", "en", True),
        ("use-m3", "zh-TW", True),
        ("use-m3", "th", True),
        ("use-m3", "el", False),
        ("use-m3", "hi", False),
        ("use-m3", "vi", False),
        ("use-m3", "und", True),  # undetermined: no reason to drop an encoder
        ("use-m3", None, True),
        ("use-m3", "*", True),  # the pooled group of unknown languages
        ("e5-small", "el", True),  # no list: reads everything
        ("./my-model", "hi", True),
    ],
)
def test_covers(encoder: str, language: str | None, expected: bool) -> None:
    assert covers(encoder, language) is expected


def test_readers_keep_order_and_fall_back_to_all() -> None:
    both = ["use-m3", "e5-small"]
    assert readers(both, "ar") == both
    assert readers(both, "el") == ["e5-small"]
    assert readers(["use-m3"], "el") == ["use-m3"]  # a noisy list beats none


def test_reader_probes_give_one_language_per_reader_set() -> None:
    probes = reader_probes(["e5-small", "use-m3"])
    assert {tuple(readers(["e5-small", "use-m3"], p)) for p in probes} == {
        ("e5-small", "use-m3"),
        ("e5-small",),
    }
    assert reader_probes(["use-m3"]) == [None]
    assert reader_probes(["e5-small", "mine"]) == [None]


@pytest.mark.slow
def test_the_searcher_ranks_with_the_encoders_that_read_the_query(tmp_path: Path) -> None:
    """Real use-m3 beside the deterministic test encoder: a Greek query is judged by the
    test encoder alone (use-m3 was not trained on Greek), an Arabic one by both."""
    releases = [
        Release("ar1", "طاقة", ("وقعت الوزارة اتفاقية لأمن الطاقة مع الحلف.",), "t", language="ar"),
        Release(
            "el1",
            "Ενέργεια",
            ("Το υπουργείο υπέγραψε συμφωνία για την ενέργεια.",),
            "t",
            language="el",
        ),
    ]
    path = tmp_path / "index"
    settings = load_settings(index=path, encoders="hash-test,use-m3", threads=1)
    encoders = load_encoders(["hash-test", "use-m3"], threads=1)
    index = Index.create(path, encoders)
    apply_releases(index, encoders, settings, releases)
    with Searcher(index, encoders, settings) as searcher:
        for text, expected in (
            ("Τι είπε το υπουργείο για την ενέργεια;", {"hash-test"}),
            ("ماذا قالت الوزارة عن أمن الطاقة؟", {"hash-test", "use-m3"}),
        ):
            vectors = searcher.retrievers.query_vectors(text)
            ranked = searcher.rank(text, vectors, "hybrid", None, Filters(), 2)
            assert set(ranked.vectors) == expected, text
            assert {g.release_id for g in ranked.releases} == {"ar1", "el1"}
    index.close()


def test_an_index_of_encoders_trained_to_rank_never_loads_the_language_model() -> None:
    """Without a language list or an encoder trained only for similarity the query's language
    changes nothing; use-m3, even alone, needs it (the keyword side orders its language)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from dalil.indexer.encoders.coverage import query_language, query_readers\n"
        "assert query_readers(['e5-small'], 'Xin chào') == ['e5-small']\n"
        "assert query_readers(['e5-small', 'mine'], 'Xin chào') == ['e5-small', 'mine']\n"
        "assert 'dalil.indexer.text.language' not in sys.modules\n"
        "assert query_readers(['e5-small', 'use-m3'], 'Πόσους πόντους') == ['e5-small']\n"
        "assert 'dalil.indexer.text.language' in sys.modules\n"
        "assert query_readers(['use-m3'], 'Xin chào các bạn') == ['use-m3']\n"
        "assert query_language(['use-m3'], 'Xin chào các bạn') == 'vi'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
