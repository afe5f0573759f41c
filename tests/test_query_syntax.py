"""The query syntax parser (pure): phrases, exclusions, typed filters, friendly errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dalil.search.errors import InvalidQueryError
from dalil.search.query_syntax import QuerySyntaxError, parse_query


def test_plain_words_pass_through() -> None:
    parsed = parse_query("Bahrain NATO partnership")
    assert parsed.text == "Bahrain NATO partnership" and not parsed.has_operators


def test_phrases_in_both_languages_and_quote_styles() -> None:
    parsed = parse_query('"energy security" NATO «أمن الطاقة» “Gulf states”')
    assert parsed.phrases == ("energy security", "أمن الطاقة", "Gulf states")
    # the phrase's words are still searched (the semantic side is unchanged)
    assert parsed.text == "energy security NATO أمن الطاقة Gulf states"


def test_an_open_quote_runs_to_the_end() -> None:
    assert parse_query('oil "price cap').phrases == ("price cap",)


def test_exclusions_and_words_that_only_look_like_operators() -> None:
    parsed = parse_query('oil -Iran -"price cap" COVID-19 at 10:30 -')
    assert parsed.excluded == ("Iran", "price cap")
    assert parsed.text == "oil COVID-19 at 10:30 -"


def test_typed_filters() -> None:
    parsed = parse_query('budget source:"Foreign Ministry" lang:AR category:economy')
    assert (parsed.text, parsed.source, parsed.language, parsed.category) == (
        "budget",
        "Foreign Ministry",
        "ar",
        "economy",
    )


@pytest.mark.parametrize(
    ("typed", "date_from", "date_to"),
    [
        ("after:2019-03-05 before:2019-04-01", "2019-03-05", "2019-04-01"),
        ("after:2019-03 before:2019-03", "2019-03-01", "2019-03-31"),
        ("after:2020 before:2020", "2020-01-01", "2020-12-31"),
        ("before:2024-02", None, "2024-02-29"),
    ],
)
def test_dates(typed: str, date_from: str | None, date_to: str | None) -> None:
    parsed = parse_query(f"rain {typed}")
    assert (parsed.date_from, parsed.date_to) == (date_from, date_to)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("-oil -gas", "only_excluded"),
        ("source:CNN", "empty"),
        ("oil after:2019-13-01", "bad_date"),
        ("oil before:yesterday", "bad_date"),
        ("oil after:2020 before:2019", "date_order"),
    ],
)
def test_mistakes_get_a_named_message(raw: str, code: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(raw)
    assert caught.value.code == code and caught.value.field == "q"


@given(st.text(max_size=200))
def test_any_text_parses_or_says_why(raw: str) -> None:
    try:
        parsed = parse_query(raw)
    except InvalidQueryError as exc:
        assert isinstance(exc, QuerySyntaxError)
    else:
        assert parsed.text.strip()
