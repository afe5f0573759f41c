"""Arabic/English keyword analysis: folding, tokenising, stop words, stemming, offsets."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

from dalil.indexer.text.analysis import STOP_WORDS, normalize, terms, whoosh_analyzer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("مُحَمَّدٌ", "محمد"),  # harakat, shadda, tanween
        ("هٰذا", "هذا"),  # superscript alef
        ("ٱلْحَمْدُ", "الحمد"),  # alef wasla, sukun
        ("صلى الله عليه وسلمؐ", "صلي الله عليه وسلم"),  # Quranic honorific mark
        ("مـــرحبا", "مرحبا"),  # tatweel
        ("أحمد", "احمد"),
        ("إسطنبول", "اسطنبول"),
        ("آمال", "امال"),
        ("مؤتمر", "موتمر"),
        ("رئيس", "رييس"),
        ("مستشفى", "مستشفي"),
        ("مدرسة", "مدرسه"),
        ("٢٠١٨", "2018"),  # Arabic-Indic digits
        ("۱۳۹۷", "1397"),  # Persian digits
        ("ﻻ", "لا"),  # presentation-form ligature (NFKC)
        ("ＮＡＴＯ", "nato"),  # full-width Latin (NFKC), lower case
        ("Secretary-General", "secretary-general"),
    ],
)
def test_normalize_folds(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_keeps_word_boundaries() -> None:
    assert normalize("وزيرُ الخارجيّة، في المنامة.") == "وزير الخارجيه، في المنامه."


def test_arabic_stemming_conflates_inflections_and_spellings() -> None:
    assert terms("المدرسة") == terms("مدرسة") == terms("المدرسه") == terms("مدرسه")
    assert terms("العربية") == terms("العربيه")
    assert terms("كتابه") == terms("كتابة") == terms("الكتاب")
    assert terms("المعلمون") == terms("معلم")
    assert terms("يدرسون") == terms("سيدرسون")


def test_spelling_variants_give_the_same_terms() -> None:
    formal = "الأمين العامّ لحلف شمال الأطلسي يلتقي وزيرَ الخارجية في إسطنبول"
    informal = "الامين العام لحلف شمال الاطلسي يلتقي وزير الخارجيه في اسطنبول"
    assert terms(formal) == terms(informal)


def test_english_stemming() -> None:
    assert terms("Ministers meeting") == ["minist", "meet"]
    assert terms("cooperation") == terms("Cooperation")
    assert terms("initiatives") == terms("initiative")


def test_mixed_script_text_stems_each_token_by_its_script() -> None:
    got = terms("التقى وزير الخارجية Secretary-General of NATO في ٢٠١٨")
    assert got == terms("التقى وزير الخارجية") + ["secretari", "general", "nato", "2018"]


def test_stop_words_are_dropped_from_queries_only() -> None:
    assert terms("في المؤتمر") == terms("المؤتمر")
    assert terms("the meeting of ministers") == terms("meeting ministers")
    assert terms("في المؤتمر", stop=False)[0] == "في"
    assert terms("في من على إلى عن أن التي الذي مع هذا") == []
    assert terms("") == []


def test_stop_words_are_normalised() -> None:
    for word in ("في", "من", "على", "إلى", "عن", "أن", "التي", "الذي", "مع", "هذا", "the", "of"):
        assert normalize(word) in STOP_WORDS
    assert all(normalize(w) == w for w in STOP_WORDS)


def test_tokenizer_keeps_marks_inside_words_and_splits_underscores() -> None:
    assert len(terms("الخارجيّة", stop=False)) == 1
    assert terms("#عاصي_الحلاني") == terms("عاصي الحلاني")


def test_ligature_expanding_to_several_words_keeps_the_surface_offsets() -> None:
    text = "النبي ﷺ"
    tokens = [
        (t.text, t.startchar, t.endchar)
        for t in whoosh_analyzer(stop=False)(text, chars=True, positions=True)
    ]
    assert len(tokens) == 5  # النبي + صلى الله عليه وسلم
    assert {(start, end) for _, start, end in tokens[1:]} == {(6, 7)}


def test_analyzer_positions_and_chars_map_back_to_surface_words() -> None:
    text = "قالَ وزيرُ الخارجيّة في ٢٠١٨: The Ministers met."
    tokens = [
        (t.text, t.pos, text[t.startchar : t.endchar])
        for t in whoosh_analyzer()(text, positions=True, chars=True)
    ]
    surfaces = [surface for _, _, surface in tokens]
    assert surfaces == ["قالَ", "وزيرُ", "الخارجيّة", "٢٠١٨", "Ministers", "met"]
    assert [pos for _, pos, _ in tokens] == list(range(len(tokens)))  # renumbered after stops
    assert [term for term, _, _ in tokens] == terms(text)


def test_query_mode_analyzer_keeps_stop_words_when_indexing() -> None:
    analyzer = whoosh_analyzer(stop="query")
    assert [t.text for t in analyzer("في المؤتمر", mode="index")][0] == "في"
    assert [t.text for t in analyzer("في المؤتمر", mode="query")] == terms("المؤتمر")
    assert terms("في المؤتمر", analyzer=analyzer, stop=False) == terms("في المؤتمر", stop=False)


def test_analyzer_survives_pickling() -> None:
    analyzer = whoosh_analyzer(stop="query")
    text = "وزير الخارجية في إسطنبول with the Ministers"
    terms(text, analyzer=analyzer)  # warm the caches: they are not pickled
    clone = pickle.loads(pickle.dumps(analyzer))
    assert clone == analyzer
    assert terms(text, analyzer=clone) == terms(text, analyzer=analyzer)
    assert terms(text, analyzer=clone, stop=False) == terms(text, stop=False)


def test_shared_analyzer_is_thread_safe() -> None:
    texts = [f"وزراء الخارجية العرب يجتمعون في الدورة رقم {i} meetings" for i in range(200)]
    expected = [terms(t) for t in texts]
    analyzer = whoosh_analyzer(stop="query")
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda t: terms(t, analyzer=analyzer), texts))
    assert got == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("البحرين", "بحرين"),
        ("البحري", "بحري"),
        ("والمدرسه", "مدرسه"),
        ("للمدرسه", "مدرسه"),
        ("وبالناتو", "ناتو"),
        ("ومدرسه", "مدرسه"),
        ("وزن", "وزن"),  # a lone و is stripped only from longer words
        ("ال", "ال"),
        ("nato", "nato"),
    ],
)
def test_light_form_drops_proclitics_only(word: str, expected: str) -> None:
    from dalil.indexer.text.analysis import light_form

    assert light_form(word) == expected


def test_light_forms_keep_apart_what_snowball_conflates() -> None:
    # Snowball folds "maritime" and "Bahrain", "school" and "teacher" into one stem each
    stems = terms("البحري البحرين مدرسة مدرس", stop=False)
    assert stems[0] == stems[1] and stems[2] == stems[3]
    light = whoosh_analyzer(stop="query", stem="light")
    forms = [t.text for t in light("البحري البحرين مدرسة مدرس والمدرسة", mode="index")]
    assert len(set(forms[:4])) == 4 and forms[4] == forms[2]


def test_native_question_words_are_stop_words() -> None:
    assert terms("ماهي عاصمة البحرين؟") == terms("عاصمة البحرين")
    assert terms("بماذا تشتهر مصر") == terms("تشتهر مصر")
