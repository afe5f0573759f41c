"""Arabic/English keyword analysis, shared by indexing and queries.

One pipeline, built from Whoosh's own blocks so that Whoosh runs it at index and query time::

    WordTokenizer       Unicode words (no "_"); Arabic marks stay inside the word;
                        positions and start/end chars refer to the raw text
    | NormalizeFilter   normalize(): NFKC, lower case, Arabic folding, digits → ASCII
    | StopWordFilter    STOP_WORDS (normalised form): always, or only for queries
    | ScriptStemFilter  Snowball "arabic" for Arabic-script tokens, "english" for Latin

Stop words are dropped from queries, not from the index (``whoosh_analyzer(stop="query")``,
what :mod:`dalil.indexer.store.keyword_store` uses). On XQuAD (bench/keyword_quality.py) dropping
them
from queries adds +0.017 nDCG@10 ar→ar and +0.006 en→en and halves query time; dropping them
from the index as well changes nothing measurable, and keeping them there means the stop list
can change without re-indexing (it is not pickled into the index). Folding makes على ("on",
a stop word) and علي ("Ali") one term, so "علي" alone is an all-stop-word query.

``ANALYSIS_VERSION`` changes whenever indexed terms change (an index built with another
version must be rebuilt).
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import unicodedata
from collections.abc import Iterator
from typing import Any, Literal

import snowballstemmer
from whoosh.analysis import Analyzer, Filter, RegexTokenizer, StopFilter

# Combining marks that belong inside a word: Latin combining diacritics, Arabic tashkeel and
# Quranic annotation marks, superscript alef; plus joiners and soft hyphen.
_MARKS = (
    "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8"
    "\u06ea-\u06ed\u08d3-\u08e1\u08e3-\u08ff\u00ad\u200c\u200d"
)
# A word: letters and digits (not "_"), with any marks inside.
WORD_PATTERN = rf"(?:[^\W_]|[{_MARKS}])+"
_WORD = re.compile(WORD_PATTERN)

_DELETED = (
    [chr(c) for c in range(0x0610, 0x061B)]  # Quranic honorifics and marks
    + [chr(c) for c in range(0x064B, 0x0660)]  # tashkeel: tanween, harakat, shadda, sukun, ...
    + ["\u0670", "\u0640"]  # superscript alef, tatweel
    + [chr(c) for c in range(0x06D6, 0x06DD)]  # Quranic small high ligatures
    + [chr(c) for c in range(0x06DF, 0x06E9)]
    + [chr(c) for c in range(0x06EA, 0x06EE)]
    + [chr(c) for c in range(0x08D3, 0x08E2)]
    + [chr(c) for c in range(0x08E3, 0x0900)]
    + ["\u00ad", "\u200c", "\u200d", "\ufeff"]  # soft hyphen, ZWNJ, ZWJ, BOM
)
_FOLDED = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ؤ": "و",
    "ئ": "ي",
    "ى": "ي",
    "ة": "ه",
}
_DIGITS = {chr(zero + i): str(i) for zero in (0x0660, 0x06F0) for i in range(10)}
_TABLE = str.maketrans(_FOLDED | _DIGITS | dict.fromkeys(_DELETED, None))

_ARABIC_STOP = """
في من الى إلى على عن أن إن ان التي الذي الذين اللذين اللتين اللاتي اللواتي ما ماذا مع هذا
هذه هذان هاتان هؤلاء ذلك تلك أولئك هو هي هم هما هن أنا نحن أنت انتم كان كانت كانوا يكون
تكون لا لم لن قد بعد قبل خلال حيث كما أو أم او بين كل الا إلا غير عبر له لها لهم فيه فيها
فيهم به بها بهم منه منها منهم عليه عليها عليهم إليه اليه حتى منذ فيما عند عندما هناك هنا
أيضا ايضا لكن لكنه ثم بل إذا اذا إذ لو أي اي و ف ب ل ك وفي ومن وهو وهي وقد ولا ولم وان وأن
وكان وكانت وذلك انه إنه أنه انها إنها أنها كم كيف متى أين هل لماذا ليس ليست
ماهو ماهي بماذا عما مما ممن بمن لمن وما ومن وكم ومتى وأين وكيف وهل ال تم يتم
"""
_ENGLISH_STOP = """
a an and are as at be been being but by can could did do does for from had has have he her
his how i if in into is it its of on or our she so than that the their them then there these
they this those to was we were what when where which while who whom whose why with would you
your
"""


def normalize(text: str) -> str:
    """Character-level folding: NFKC, lower case, Arabic diacritics and tatweel removed,
    alef/hamza variants, alef maqsura and ta marbuta folded, Arabic-Indic and Persian digits
    to ASCII. Word boundaries are unchanged apart from removed marks."""
    return unicodedata.normalize("NFKC", text).lower().translate(_TABLE)


STOP_WORDS: frozenset[str] = frozenset(normalize(w) for w in (_ARABIC_STOP + _ENGLISH_STOP).split())

ANALYSIS_VERSION = 1
CACHE_SIZE = 200_000


class WordTokenizer(RegexTokenizer):
    """Whoosh tokenizer for :data:`WORD_PATTERN`; positions and offsets refer to the raw text."""

    def __init__(self) -> None:
        super().__init__(WORD_PATTERN)


class _CachingFilter(Filter):
    """A filter memoising :meth:`_compute` in a per-instance LRU cache (thread-safe).
    The cache is not pickled: Whoosh pickles the analyzer into the index's schema."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self.cache_size = cache_size
        self._setup()

    def _setup(self) -> None:
        self._cached = functools.lru_cache(maxsize=self.cache_size)(self._compute)

    def _compute(self, text: str) -> Any:
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        return {"cache_size": self.cache_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.cache_size = state.get("cache_size", CACHE_SIZE)
        self._setup()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.cache_size == self.cache_size  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]


class NormalizeFilter(_CachingFilter):
    """Applies :func:`normalize` to each token. A token whose normalised form is several
    words (NFKC of a ligature such as ﷺ) yields one token per word, all with the surface
    token's position and offsets; a token that normalises to nothing is dropped."""

    def _compute(self, surface: str) -> tuple[str, ...]:
        norm = normalize(surface)
        return (norm,) if _WORD.fullmatch(norm) else tuple(_WORD.findall(norm))

    def __call__(self, tokens: Any) -> Any:
        words = self._cached
        for t in tokens:
            for word in words(t.text):
                t.text = word
                yield t


def script_of(word: str) -> str | None:
    """Snowball language for a normalised token: "arabic", "english" (Latin), or None."""
    for ch in word:
        if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\u08a0" <= ch <= "\u08ff":
            return "arabic"
        if "a" <= ch <= "z" or ("\u00e0" <= ch <= "\u024f" and ch.isalpha()):
            return "english"
    return None


class ScriptStemFilter(_CachingFilter):
    """Snowball stemming chosen per token script ("arabic" / "english"; others unchanged).
    Stems are cached per instance; each thread gets its own stemmers (they keep state).

    Tokens arrive folded, so a word-final ه may be a folded ة. Snowball strips the feminine
    ending only as ة (and strips a pronoun ه either way), so the Arabic stemmer sees a final
    ه as ة and its output is folded again: +0.007 nDCG@10 on XQuAD ar→ar over stemming the
    folded word, and the same score when queries write ة as ه."""

    is_morph = True

    def _setup(self) -> None:
        super()._setup()
        self._local = threading.local()

    def _stemmer(self, language: str) -> Any:
        stemmer = getattr(self._local, language, None)
        if stemmer is None:
            stemmer = snowballstemmer.stemmer(language)
            setattr(self._local, language, stemmer)
        return stemmer

    def _compute(self, word: str) -> str:
        language = script_of(word)
        if language == "arabic":
            if len(word) > 2 and word[-1] == "ه":
                word = word[:-1] + "ة"
            stem = self._stemmer(language).stemWord(word).translate(_TABLE)
            return stem or word.translate(_TABLE)
        if language == "english":
            return self._stemmer(language).stemWord(word) or word
        return word

    def stem(self, word: str) -> str:
        """The stem of one normalised word."""
        return self._cached(word)

    def __call__(self, tokens: Any) -> Any:
        stem = self._cached
        for t in tokens:
            t.text = stem(t.text)
            yield t


# Proclitics a light form drops: the article with an optional conjunction or preposition
# before it (longest first), else a lone conjunction. Only prefixes: suffixes are what tell
# البحرين "Bahrain" from البحري "maritime", which Snowball folds into one stem.
_ARTICLES = ("وبال", "فبال", "وكال", "وال", "فال", "بال", "كال", "ولل", "فلل", "ال", "لل")
_CONJUNCTIONS = ("و", "ف")


def light_form(word: str) -> str:
    """A normalised word without its proclitics (Arabic) — والمدرسه, المدرسه and مدرسه
    give مدرسه, البحرين gives بحرين — or the word itself (other scripts). At least two
    letters are always left (three after a lone conjunction: وزن stays)."""
    if script_of(word) != "arabic":
        return word
    for prefix in _ARTICLES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    if word.startswith(_CONJUNCTIONS) and len(word) >= 5:
        return word[1:]
    return word


class LightFilter(_CachingFilter):
    """:func:`light_form` for each token: the index's second, surface-near field, which
    keeps apart the words Snowball's Arabic stemmer conflates."""

    def _compute(self, word: str) -> str:
        return light_form(word)

    def __call__(self, tokens: Any) -> Any:
        light = self._cached
        for t in tokens:
            t.text = light(t.text)
            yield t


class StopWordFilter(StopFilter):
    """Whoosh's StopFilter over :data:`STOP_WORDS`, optionally only for queries (tokens whose
    ``mode`` is "query"; Whoosh indexes with mode "index")."""

    def __init__(self, *, query_only: bool = False) -> None:
        super().__init__(stoplist=STOP_WORDS, minsize=1)
        self.query_only = query_only

    def __getstate__(self) -> dict[str, Any]:
        return {"query_only": self.query_only}  # the current STOP_WORDS on unpickling

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(query_only=state.get("query_only", False))  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and self.query_only == other.query_only  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __call__(self, tokens: Any) -> Any:
        if not self.query_only:
            return super().__call__(tokens)
        return self._query_only(iter(tokens))

    def _query_only(self, tokens: Iterator[Any]) -> Iterator[Any]:
        first = next(tokens, None)
        if first is None:
            return
        stream = itertools.chain([first], tokens)
        yield from super().__call__(stream) if first.mode == "query" else stream


def whoosh_analyzer(
    stop: bool | Literal["query"] = True, stem: bool | Literal["light"] = True
) -> Analyzer:
    """A fresh analyzer (own caches and stemmers); supports ``positions=True, chars=True``.

    ``stop``: drop :data:`STOP_WORDS` always (True), never (False) or only when called with
    ``mode="query"`` ("query", what the keyword store indexes with). ``stem``: Snowball
    (True), :func:`light_form` ("light") or neither (False)."""
    analyzer = WordTokenizer() | NormalizeFilter()
    if stop:
        analyzer = analyzer | StopWordFilter(query_only=stop == "query")
    if stem == "light":
        analyzer = analyzer | LightFilter()
    elif stem:
        analyzer = analyzer | ScriptStemFilter()
    return analyzer


def terms(text: str, *, stop: bool = True, analyzer: Analyzer | None = None) -> list[str]:
    """The terms of ``text``, in order, repeats kept: with ``stop=True`` what a query is
    searched with (stop words dropped), with ``stop=False`` what a paragraph is indexed as.
    Pass a long-lived ``analyzer`` from ``whoosh_analyzer(stop="query")`` to reuse its caches
    (``stop`` then picks the mode it is called with: "query" or "index")."""
    if analyzer is None:
        analyzer = whoosh_analyzer(stop="query")
    return [t.text for t in analyzer(text, mode="query" if stop else "index")]
