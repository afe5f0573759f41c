"""Language identification: the ISO 639-1 code of a text ("ar", "en", "fr", ...).

Arabic is recognised from its script (fast, reliable even for a headline); everything else goes
to py3langid's naive Bayes model, loaded once per process on first use. Too little text, or a
guess the model is unsure of, gives ``"und"`` (undetermined).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

UNDETERMINED = "und"

SAMPLE_CHARS = 2000  # the first characters of a text are enough to tell its language
MIN_ARABIC_LETTERS = 2
MIN_LETTERS = 8  # fewer letters than this (not in Arabic script): "und"
MIN_CONFIDENCE = 0.3  # py3langid's normalised probability below which we say "und"
ARABIC_SHARE = 0.6  # share of letters in Arabic script above which the text is Arabic
NON_ARABIC_SHARE = 0.02  # Persian/Urdu letters above this share: let the model decide

# Letters of the Arabic script that Arabic itself does not use (Persian, Urdu, Pashto, ...).
_NON_ARABIC_LETTERS = frozenset("پچژگکیہےٹڈڑںۀۃۓڤڭ")

# py3langid labels without an ISO 639-1 code that have a natural one.
_LABEL_ALIASES = {
    "arz": "ar",
    "ary": "ar",
    "gug": "gn",
    "uzs": "uz",
    "yue": "zh",
    "wuu": "zh",
    "fuv": "ff",
    "sdh": "ku",
    "hbo": "he",
    "grc": "el",
    "zxx": UNDETERMINED,
}

# Language names and ISO 639-2/3 codes that sources use instead of ISO 639-1.
_TAG_ALIASES = {
    "arabic": "ar",
    "ara": "ar",
    "عربي": "ar",
    "العربية": "ar",
    "english": "en",
    "eng": "en",
    "french": "fr",
    "fra": "fr",
    "fre": "fr",
    "français": "fr",
    "francais": "fr",
    "german": "de",
    "deu": "de",
    "ger": "de",
    "spanish": "es",
    "spa": "es",
}


def _is_arabic_script(char: str) -> bool:
    code = ord(char)
    return (
        0x0600 <= code <= 0x06FF
        or 0x0750 <= code <= 0x077F
        or 0x08A0 <= code <= 0x08FF
        or 0xFB50 <= code <= 0xFDFF
        or 0xFE70 <= code <= 0xFEFF
    )


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    """py3langid's model with normalised probabilities (loaded once: it is slow to load)."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load_model() -> None:
    """Load the language model now rather than on the first text that needs it."""
    _identifier()


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` ("ar", "en", ...), or ``"und"`` when it cannot be told.

    Languages without an ISO 639-1 code come back as py3langid's ISO 639-3 label.
    """
    sample = text[:SAMPLE_CHARS]
    letters = arabic = non_arabic = 0
    for char in sample:
        if char.isalpha():
            letters += 1
            if _is_arabic_script(char):
                arabic += 1
                if char in _NON_ARABIC_LETTERS:
                    non_arabic += 1
    if (
        arabic >= MIN_ARABIC_LETTERS
        and arabic >= ARABIC_SHARE * letters
        and non_arabic <= NON_ARABIC_SHARE * arabic
    ):
        return "ar"
    if letters < MIN_LETTERS:
        return UNDETERMINED
    label, confidence = _identifier().classify(sample)
    if confidence < MIN_CONFIDENCE:
        return UNDETERMINED
    return _LABEL_ALIASES.get(label, label)


# A BCP 47 language tag (RFC 5646, simplified): a 2-3 letter primary language (ISO 639),
# then subtags of 1-8 letters or digits (script, region, variant); "_" is read as "-".
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:[-_][a-z0-9]{1,8})*", re.ASCII)


def is_language_tag(tag: str) -> bool:
    """Whether ``tag`` is a language tag ("ar", "en-US", "zh_Hant_TW") or a language name
    dalil knows ("Arabic", "العربية")."""
    value = unicodedata.normalize("NFC", tag).strip().lower()
    return value in _TAG_ALIASES or _LANGUAGE_TAG.fullmatch(value) is not None


def normalize_language(tag: str | None) -> str | None:
    """A source's language tag as a lower-case ISO 639-1 code: "ar-BH" → "ar",
    "en_US" → "en", "Arabic" → "ar". None, blank or not a language tag → None; "und" stays
    "und"."""
    if tag is None:
        return None
    value = unicodedata.normalize("NFC", str(tag)).strip().lower()
    if not value or not is_language_tag(value):
        return None
    if value in _TAG_ALIASES:
        return _TAG_ALIASES[value]
    primary = value.replace("_", "-").split("-", 1)[0].strip()
    return _TAG_ALIASES.get(primary, _LABEL_ALIASES.get(primary, primary))
