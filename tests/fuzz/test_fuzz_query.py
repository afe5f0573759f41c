"""Fuzzing the query side: any search request either is refused with a validation error
naming a field, or runs through the real searcher (hash-test index) without an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from web_fixtures import web_settings

from dalil.indexer.text.analysis import normalize, terms
from dalil.search.engine import Searcher
from dalil.search.errors import InvalidQueryError
from dalil.web.server import convert
from dalil.web.server.schemas import SearchRequest

TEXT = st.text(alphabet=st.characters(codec=None), max_size=120)
REQUESTS = st.fixed_dictionaries(
    {"q": TEXT},
    optional={
        "mode": st.sampled_from(["hybrid", "keyword", "semantic", "other", ""]),
        "k": st.integers(-5, 120),
        "offset": st.integers(-5, 1100),
        "alpha": st.one_of(st.floats(), st.none()),
        "date_from": st.one_of(st.text(max_size=12), st.dates().map(str)),
        "date_to": st.one_of(st.text(max_size=12), st.dates().map(str)),
        "language": TEXT,
        "source": TEXT,
        "category": TEXT,
    },
)


@pytest.fixture(scope="module")
def searcher(hash_index: Path):  # type: ignore[no-untyped-def]
    opened = Searcher.open(web_settings(hash_index, "hash-test"))
    yield opened
    opened.close()


@given(TEXT)
def test_analysis_of_any_text(text: str) -> None:
    normalize(text)
    for term in terms(text):
        assert term and term == term.strip()


@given(REQUESTS)
def test_any_search_request(searcher: Searcher, fields: dict[str, object]) -> None:
    try:
        request = SearchRequest.model_validate(fields)
    except ValidationError:
        return
    try:
        response = searcher.search(convert.to_query(request))
    except InvalidQueryError as exc:
        assert exc.field
        return
    assert len(response.hits) <= request.k
    convert.search_out(request, response).model_dump_json()
