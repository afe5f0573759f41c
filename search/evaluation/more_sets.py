"""More retrieval sets for the quality benchmark, of other kinds than translated XQuAD:

* ``arcd:ar>ar``: ARCD train, 693 questions written by native Arabic speakers over 231
  Arabic Wikipedia paragraphs (every paragraph a release).
* ``el>ar``, ``hi>ar``, ``ro>ar``, ``th>ar``, ``vi>ar``: XQuAD questions in another language
  (every second one: 595 each) over the 240 Arabic paragraphs (archive ``xquad-ar``).
* ``six:ar>*``, ``six:en>*``: one archive in six languages (ar, en, el, hi, th, vi): XQuAD
  article ``a`` contributes its paragraphs in language ``a mod 6`` only, so each paragraph
  is there in one language; every question is asked in Arabic and in English.
* ``news:title>ar``: known-item search for real Arabic news articles by their headline.
  1,000 ANT articles, from every source in equal numbers, headlines held out of the index (the
  release has no title), each article's lead (its first :data:`LEAD_LINES` lines); the
  headline of every second article is a query whose one relevant release is that article.
* any corpus + queries JSONL pair (:func:`read_jsonl_set`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from dalil.indexer.models import Release
from dalil.search.evaluation.sets import (
    EvalQuery,
    QuerySet,
    XquadParagraph,
    read_xquad,
    xquad_release,
)

OTHER_LANGUAGES = ("el", "hi", "ro", "th", "vi")
SIX_LANGUAGES = ("ar", "en", "el", "hi", "th", "vi")
HEADLINE_ARTICLES = 1000
LEAD_LINES = 2
OTHER_LANGUAGE_STEP = 2  # every second question: 595 per language keeps e5 encoding short


def _questions(
    paragraphs: Sequence[XquadParagraph], language: str, relevant_language: dict[int, str]
) -> tuple[EvalQuery, ...]:
    """Each question of ``paragraphs`` (in ``language``), relevant: its paragraph in the
    language its article has in the archive (``relevant_language[article]``)."""
    return tuple(
        EvalQuery(
            f"{qid}:{language}",
            question,
            f"xquad-{relevant_language[p.article]}-{p.article}-{p.index}",
        )
        for p in paragraphs
        if p.article in relevant_language
        for qid, question in p.questions
    )


def xquad_language_sets(xquad_dir: Path) -> tuple[dict[str, list[Release]], list[QuerySet]]:
    """Other-language questions over the Arabic paragraphs, and the six-language archive.
    Languages whose file is missing are left out."""
    xquad_dir = Path(xquad_dir)
    read = {
        lang: read_xquad(xquad_dir / f"xquad.{lang}.json")
        for lang in dict.fromkeys(("ar", "en", *OTHER_LANGUAGES, *SIX_LANGUAGES))
        if (xquad_dir / f"xquad.{lang}.json").is_file()
    }
    archives: dict[str, list[Release]] = {}
    sets: list[QuerySet] = []
    if "ar" not in read:
        return archives, sets
    all_ar = {p.article: "ar" for p in read["ar"]}
    for lang in OTHER_LANGUAGES:
        if lang in read:
            questions = _questions(read[lang], lang, all_ar)[::OTHER_LANGUAGE_STEP]
            sets.append(QuerySet(f"{lang}>ar", "xquad-ar", questions))
    six = [lang for lang in SIX_LANGUAGES if lang in read]
    if len(six) == len(SIX_LANGUAGES) and "en" in read:
        language_of = {p.article: SIX_LANGUAGES[p.article % 6] for p in read["ar"]}
        archives["six"] = [
            xquad_release(p, language_of[p.article])
            for lang in SIX_LANGUAGES
            for p in read[lang]
            if language_of[p.article] == lang
        ]
        sets += [
            QuerySet("six:ar>*", "six", _questions(read["ar"], "ar", language_of)),
            QuerySet("six:en>*", "six", _questions(read["en"], "en", language_of)),
        ]
    return archives, sets


def arcd_set(path: Path) -> tuple[list[Release], QuerySet]:
    """ARCD (SQuAD v1.1 format): every paragraph a release, every question a query."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    releases: list[Release] = []
    queries: list[EvalQuery] = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            rid = f"arcd-{a}-{p}"
            releases.append(
                Release(
                    id=rid,
                    title="",
                    paragraphs=(paragraph["context"],),
                    origin="arcd-train.json",
                    language="ar",
                    source="arcd",
                )
            )
            queries += [
                EvalQuery(f"arcd:{q['id']}", q["question"].strip(), rid) for q in paragraph["qas"]
            ]
    return releases, QuerySet("arcd:ar>ar", "arcd", tuple(queries))


def headline_set(
    path: Path, articles: int = HEADLINE_ARTICLES, lead_lines: int = LEAD_LINES
) -> tuple[list[Release], QuerySet]:
    """ANT articles without their headlines, and every second headline as a query. Articles
    are taken in a fixed pseudo-random order (hash of the id), the same number per source;
    articles sharing a headline are skipped (the query would have several answers)."""
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
    titles = Counter(str(r.get("title") or "").strip() for r in rows)
    rows = [r for r in rows if titles[str(r.get("title") or "").strip()] == 1]
    rows.sort(key=lambda r: hashlib.sha1(f"headline:{r['id']}".encode()).hexdigest())
    sources = sorted({str(r.get("source")) for r in rows})
    per_source = articles // max(1, len(sources))
    taken: Counter[str] = Counter()
    releases: list[Release] = []
    queries: list[EvalQuery] = []
    for r in rows:
        source = str(r.get("source"))
        lines = tuple(x.strip() for x in str(r.get("text", "")).split("\n") if x.strip())
        if taken[source] >= per_source or not lines or not str(r.get("title") or "").strip():
            continue
        taken[source] += 1
        rid = f"ant-{r['id']}"
        releases.append(
            Release(
                id=rid,
                title="",
                paragraphs=lines[:lead_lines],
                origin="ant-v2.1-arabic-news.jsonl.gz",
                date=(str(r.get("date") or "")[:10] or None),
                source=r.get("source"),
                language=r.get("language") or "ar",
                category=r.get("category"),
            )
        )
        if len(releases) % 2 == 1:
            queries.append(EvalQuery(f"title:{r['id']}", str(r["title"]).strip(), rid))
    return releases, QuerySet("news:title>ar", "headlines", tuple(queries))


def read_jsonl_set(
    corpus: Path, queries: Path, name: str = "custom"
) -> tuple[list[Release], QuerySet]:
    """A user's corpus and queries. Corpus lines: ``{"id", "text"}`` plus optional
    ``title``, ``language``, ``source``, ``date`` (``text`` may hold several paragraphs
    separated by blank lines, or ``paragraphs`` a list). Query lines: ``{"id", "query",
    "relevant"}``, ``relevant`` one release id or a list of them."""
    releases = []
    for row in _jsonl(corpus):
        paragraphs = row.get("paragraphs") or [
            part.strip() for part in str(row.get("text", "")).split("\n\n") if part.strip()
        ]
        releases.append(
            Release(
                id=str(row["id"]),
                title=str(row.get("title") or ""),
                paragraphs=tuple(str(p) for p in paragraphs),
                origin=corpus.name,
                language=row.get("language"),
                source=row.get("source"),
                date=row.get("date"),
            )
        )
    out = []
    for row in _jsonl(queries):
        relevant = row["relevant"]
        rel = (relevant,) if isinstance(relevant, str) else tuple(str(r) for r in relevant)
        out.append(EvalQuery(str(row["id"]), str(row["query"]), rel[0] if len(rel) == 1 else rel))
    return releases, QuerySet(name, name, tuple(out))


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def all_sets(
    xquad_dir: Path,
    news_path: Path | None,
    arcd_path: Path | None,
    *,
    news_paragraphs: int,
) -> tuple[dict[str, list[Release]], list[QuerySet]]:
    """Every benchmark archive and set: the XQuAD sets of :func:`build_sets`, then the other
    languages, the six-language archive, ARCD and the headlines (each when its data is
    there)."""
    from dalil.search.evaluation.sets import build_sets

    archives, sets = build_sets(xquad_dir, news_path, news_paragraphs)
    more, language_sets = xquad_language_sets(xquad_dir)
    archives |= more
    sets += language_sets
    if arcd_path is not None and Path(arcd_path).is_file():
        archives["arcd"], arcd = arcd_set(arcd_path)
        sets.append(arcd)
    if news_path is not None:
        archives["headlines"], headlines = headline_set(news_path)
        sets.append(headlines)
    return archives, sets
