"""search.highlight: Arabic-aware <mark> highlighting with HTML escaping."""

from __future__ import annotations

import pytest

from dalil.search.highlight import Highlighter, arabic_forms, mark_spans


@pytest.fixture(scope="module")
def hl() -> Highlighter:
    return Highlighter()


def marked(html: str) -> list[str]:
    out = []
    rest = html
    while "<mark>" in rest:
        rest = rest.split("<mark>", 1)[1]
        word, rest = rest.split("</mark>", 1)
        out.append(word)
    return out


def test_hamza_and_diacritic_variants(hl):
    keys = hl.query_keys("أحمد")
    html = hl.highlight("التقى احمد وإحمد وأَحْمَد", keys)
    # the whole surface word is marked, clitic and diacritics included
    assert marked(html) == ["احمد", "وإحمد", "وأَحْمَد"]


def test_arabic_prefixes_wal_bal_lil(hl):
    keys = hl.query_keys("مدرسة")
    text = "والمدرسة الجديدة بالمدرسة وللمدرسة مدارس"
    assert marked(hl.highlight(text, keys)) == ["والمدرسة", "بالمدرسة", "وللمدرسة"]
    keys = hl.query_keys("التعاون")
    assert marked(hl.highlight("في إطار التعاون والتعاون", keys)) == ["التعاون", "والتعاون"]


def test_the_founding_release_words(hl):
    keys = hl.query_keys("البحرين ناتو")
    text = 'العلاقات بين مملكة البحرين وحلف شمال الأطلسي "ناتو"'
    assert marked(hl.highlight(text, keys)) == ["البحرين", "ناتو"]


def test_english_stems_and_case(hl):
    keys = hl.query_keys("partnerships")
    assert marked(hl.highlight("A Partnership, partnerships and partner.", keys)) == [
        "Partnership",
        "partnerships",
    ]


def test_stop_words_are_not_highlighted(hl):
    keys = hl.query_keys("the NATO of")
    assert marked(hl.highlight("the summit of NATO", keys)) == ["NATO"]


def test_html_is_escaped(hl):
    keys = hl.query_keys("script")
    html = hl.highlight('<script>alert("x")</script> & script', keys)
    assert "<script>" not in html
    assert html.startswith("&lt;<mark>script</mark>&gt;alert(&quot;x&quot;)")
    assert html.endswith("&amp; <mark>script</mark>")
    assert hl.highlight("<b>bold</b>", frozenset()) == "&lt;b&gt;bold&lt;/b&gt;"


def test_no_keys_or_empty_text(hl):
    assert hl.spans("", hl.query_keys("x")) == []
    assert hl.highlight("plain text", hl.query_keys("في")) == "plain text"


def test_mark_spans_clips_and_skips_overlaps():
    assert mark_spans("abcdef", [(0, 2), (1, 3), (4, 99)]) == (
        "<mark>ab</mark><mark>c</mark>d<mark>ef</mark>"
    )


def test_arabic_forms():
    assert arabic_forms("وبالمدرسه") >= {"وبالمدرسه", "بالمدرسه", "المدرسه", "مدرسه"}
    assert arabic_forms("لله") == {"لله"}  # too short to strip


def test_light_forms_highlight_what_the_light_field_matched() -> None:
    from dalil.search.highlight import Highlighter

    h = Highlighter()
    # Snowball stems بحرين (no article) to حرين and البحرين to بحر; the light field matches
    assert h.highlight("زار البحرين", h.query_keys("بحرين")) == "زار <mark>البحرين</mark>"
