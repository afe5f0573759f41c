"""Retrieval-quality evaluation: metrics (pure) and the benchmark's retrieval sets.

Sets, built from XQuAD (240 Wikipedia paragraphs, 1,190 questions, the same in Arabic and
English) and ANT Arabic news. Every XQuAD paragraph is a release of one paragraph; every
question a query whose one relevant release is the paragraph it was asked about. News
articles are releases too (their own paragraphs), used as distractors.

* ``ar>ar``, ``en>ar``, ``en>en``: questions over the 240 paragraphs of one language.
* ``ar>ar+news``, ``en>ar+news``: the Arabic paragraphs mixed into ~2,500 news paragraphs.
* ``ar>en+news``: Arabic questions over the English paragraphs mixed into Arabic news: the
  relevant release is English, everything that shares words with the question is Arabic.
* ``mix:*``: one archive in two languages. XQuAD's 48 articles are split by parity: even
  articles contribute their Arabic paragraphs, odd ones their English paragraphs, plus the
  Arabic news. A paragraph is never in the archive in both languages, so a question's only
  relevant release is the one paragraph it was asked about, in one language; questions are
  asked in both languages: ``mix:en>ar`` (English questions, Arabic answers, English
  paragraphs of other articles and Arabic news around), ``mix:ar>en``, and the same-language
  controls ``mix:ar>ar`` and ``mix:en>en``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dalil.indexer.models import Release

METRICS = ("ndcg@10", "mrr@10", "r@1", "r@10")
DEFAULT_NEWS_PARAGRAPHS = 2500


# -- metrics (binary relevance; XQuAD-style sets have one relevant release per query) ------

Relevant = str | tuple[str, ...]


def _relevant(relevant: Relevant) -> tuple[str, ...]:
    return (relevant,) if isinstance(relevant, str) else tuple(relevant)


def rank_of(ranked: Sequence[str], relevant: Relevant) -> int | None:
    """1-based rank of the first relevant release in ``ranked``, None when absent."""
    wanted = set(_relevant(relevant))
    for position, item in enumerate(ranked, start=1):
        if item in wanted:
            return position
    return None


def ndcg_at(ranked: Sequence[str], relevant: Relevant, k: int = 10) -> float:
    wanted = set(_relevant(relevant))
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in wanted)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(wanted))))
    return dcg / ideal if ideal else 0.0


def mrr_at(ranked: Sequence[str], relevant: Relevant, k: int = 10) -> float:
    rank = rank_of(ranked[:k], relevant)
    return 0.0 if rank is None else 1.0 / rank


def recall_at(ranked: Sequence[str], relevant: Relevant, k: int) -> float:
    wanted = set(_relevant(relevant))
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def query_metrics(ranked: Sequence[str], relevant: Relevant) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at(ranked, relevant, 10),
        "mrr@10": mrr_at(ranked, relevant, 10),
        "r@1": recall_at(ranked, relevant, 1),
        "r@10": recall_at(ranked, relevant, 10),
    }


def mean_metrics(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return dict.fromkeys(METRICS, 0.0)
    return {m: sum(r[m] for r in rows) / len(rows) for m in METRICS}


# -- data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class XquadParagraph:
    article: int
    index: int
    text: str
    questions: tuple[tuple[str, str], ...]  # (question id, question)


@dataclass(frozen=True)
class EvalQuery:
    id: str
    text: str
    relevant: Relevant  # release id(s)


@dataclass(frozen=True)
class QuerySet:
    name: str
    archive: str
    queries: tuple[EvalQuery, ...]


def read_xquad(path: Path) -> list[XquadParagraph]:
    """Paragraphs of an XQuAD file (SQuAD v1.1 format), in file order."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            questions = tuple((q["id"], q["question"]) for q in paragraph["qas"])
            out.append(XquadParagraph(a, p, paragraph["context"], questions))
    return out


def xquad_release(paragraph: XquadParagraph, language: str) -> Release:
    return Release(
        id=f"xquad-{language}-{paragraph.article}-{paragraph.index}",
        title="",
        paragraphs=(paragraph.text,),
        origin=f"xquad.{language}.json",
        language=language,
        source="xquad",
    )


def read_news(path: Path, paragraphs: int = DEFAULT_NEWS_PARAGRAPHS) -> list[Release]:
    """ANT news articles as releases, chosen in a fixed pseudo-random order (by the hash of
    their id) until they hold about ``paragraphs`` source paragraphs."""
    articles = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                articles.append(json.loads(line))
    articles.sort(key=lambda a: hashlib.sha1(str(a["id"]).encode()).hexdigest())
    out: list[Release] = []
    total = 0
    for article in articles:
        if total >= paragraphs:
            break
        lines = tuple(x.strip() for x in str(article.get("text", "")).split("\n") if x.strip())
        if not lines:
            continue
        total += len(lines)
        out.append(
            Release(
                id=f"ant-{article['id']}",
                title=str(article.get("title") or ""),
                paragraphs=lines,
                origin="ant-v2.1-arabic-news.jsonl.gz",
                date=(str(article.get("date") or "")[:10] or None),
                source=article.get("source"),
                language=article.get("language") or "ar",
                url=article.get("url"),
                category=article.get("category"),
            )
        )
    return out


# -- sets -------------------------------------------------------------------------------


def _queries(
    paragraphs: Sequence[XquadParagraph], language: str, keep: set[int] | None = None
) -> tuple[EvalQuery, ...]:
    return tuple(
        EvalQuery(f"{qid}:{language}", question, f"xquad-{language}-{p.article}-{p.index}")
        for p in paragraphs
        if keep is None or p.article in keep
        for qid, question in p.questions
    )


def build_sets(
    xquad_dir: Path, news_path: Path | None, news_paragraphs: int = DEFAULT_NEWS_PARAGRAPHS
) -> tuple[dict[str, list[Release]], list[QuerySet]]:
    """The benchmark's archives (name -> releases) and query sets. Without ``news_path``
    only the three plain XQuAD sets are built."""
    ar = read_xquad(Path(xquad_dir) / "xquad.ar.json")
    en = read_xquad(Path(xquad_dir) / "xquad.en.json")
    ar_releases = [xquad_release(p, "ar") for p in ar]
    en_releases = [xquad_release(p, "en") for p in en]
    archives = {"xquad-ar": ar_releases, "xquad-en": en_releases}
    # A question's relevant release is its paragraph in the archive's language.
    sets = [
        QuerySet("ar>ar", "xquad-ar", _retarget(_queries(ar, "ar"), "ar")),
        QuerySet("en>ar", "xquad-ar", _retarget(_queries(en, "en"), "ar")),
        QuerySet("en>en", "xquad-en", _retarget(_queries(en, "en"), "en")),
    ]
    if news_path is None:
        return archives, sets
    news = read_news(Path(news_path), news_paragraphs)
    even = {p.article for p in ar if p.article % 2 == 0}
    odd = {p.article for p in ar} - even
    archives["xquad-ar+news"] = ar_releases + news
    archives["xquad-en+news"] = en_releases + news
    archives["mixed"] = (
        [r for r, p in zip(ar_releases, ar, strict=True) if p.article in even]
        + [r for r, p in zip(en_releases, en, strict=True) if p.article in odd]
        + news
    )
    sets += [
        QuerySet("ar>ar+news", "xquad-ar+news", _retarget(_queries(ar, "ar"), "ar")),
        QuerySet("en>ar+news", "xquad-ar+news", _retarget(_queries(en, "en"), "ar")),
        QuerySet("ar>en+news", "xquad-en+news", _retarget(_queries(ar, "ar"), "en")),
        QuerySet("mix:en>ar", "mixed", _retarget(_queries(en, "en", even), "ar")),
        QuerySet("mix:ar>en", "mixed", _retarget(_queries(ar, "ar", odd), "en")),
        QuerySet("mix:ar>ar", "mixed", _retarget(_queries(ar, "ar", even), "ar")),
        QuerySet("mix:en>en", "mixed", _retarget(_queries(en, "en", odd), "en")),
    ]
    return archives, sets


def _retarget(queries: tuple[EvalQuery, ...], language: str) -> tuple[EvalQuery, ...]:
    """Point each query at its paragraph's release in ``language``."""
    out = []
    for q in queries:
        _, _, article, index = str(q.relevant).split("-")
        out.append(EvalQuery(q.id, q.text, f"xquad-{language}-{article}-{index}"))
    return tuple(out)


def limited(queries: Sequence[EvalQuery], limit: int | None) -> list[EvalQuery]:
    """At most ``limit`` queries, spread evenly over the set (deterministic)."""
    if limit is None or limit >= len(queries):
        return list(queries)
    step = len(queries) / limit
    return [queries[int(i * step)] for i in range(limit)]


def iter_archive_sets(
    archives: dict[str, list[Release]], sets: Sequence[QuerySet]
) -> Iterator[tuple[str, list[Release], list[QuerySet]]]:
    """Archives in first-use order, each with the sets that query it."""
    for name in dict.fromkeys(s.archive for s in sets):
        yield name, archives[name], [s for s in sets if s.archive == name]
