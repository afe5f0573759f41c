"""indexer.language: script fast path, py3langid for the rest, "und" for too little text."""

from __future__ import annotations

import pytest

from dalil.indexer.text.language import detect_language, normalize_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("اجتمع وكيل وزارة الخارجية مع الأمين العام لحلف شمال الأطلسي في الكويت.", "ar"),
        ("مرحبا", "ar"),
        (
            "The Ministry of Foreign Affairs announced today that the minister met the "
            "Secretary General of NATO in Kuwait.",
            "en",
        ),
        (
            "Le ministère des Affaires étrangères a annoncé aujourd'hui que le ministre a "
            "rencontré le secrétaire général de l'OTAN au Koweït.",
            "fr",
        ),
        ("این یک متن فارسی است که باید به درستی تشخیص داده شود و عربی نیست.", "fa"),
    ],
)
def test_detects_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_mostly_arabic_text_with_latin_names_is_arabic() -> None:
    text = "التقى الوزير مع ينس ستولتنبرج (Jens Stoltenberg) الأمين العام لحلف NATO في الكويت."
    assert detect_language(text) == "ar"


@pytest.mark.parametrize("text", ["", "   ", "12345 678", "ok", "!!!", "Hello"])
def test_too_little_text_is_undetermined(text: str) -> None:
    assert detect_language(text) == "und"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("ar", "ar"),
        ("AR", "ar"),
        ("ar-BH", "ar"),
        ("en_US", "en"),
        ("Arabic", "ar"),
        ("eng", "en"),
        ("fr-FR", "fr"),
        ("und", "und"),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_normalize_language(tag: str | None, expected: str | None) -> None:
    assert normalize_language(tag) == expected
