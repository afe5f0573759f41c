"""Keyword retrieval quality on XQuAD and Arabic analysis throughput.

XQuAD as a retrieval set: each of the 240 paragraphs is a document, each of the 1,190
questions a query whose one relevant document is its paragraph. Prints nDCG@10, MRR@10,
Recall@1 and Recall@10 for ar→ar and en→en with several analyzers, then times Arabic analysis
on ANT news paragraphs.

    .venv/bin/python bench/keyword_quality.py [--data ../shared/data] [--news-lines 5000]

Data: ../shared/data (or $DALIL_SHARED_DATA); skipped with a message when absent.
XQuAD: CC BY-SA 4.0, Artetxe et al. (ACL 2020). ANT corpus v2.1: Chouigui, Ben Khiroun and
Elayeb, Arabian Journal for Science and Engineering 46(8), 2021.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paths import DEFAULT_DATA
from whoosh.analysis import Analyzer, StandardAnalyzer

from dalil.indexer.models import StoredParagraph
from dalil.indexer.store.keyword_store import KeywordStore
from dalil.indexer.text.analysis import NormalizeFilter, WordTokenizer, whoosh_analyzer

VARIANTS: dict[str, Callable[[], Analyzer]] = {
    "(a) whoosh StandardAnalyzer": StandardAnalyzer,
    "(b) normalise": lambda: WordTokenizer() | NormalizeFilter(),
    "(c) normalise+stem": lambda: whoosh_analyzer(stop=False),
    "(d) + query stop words [default]": lambda: whoosh_analyzer(stop="query"),
    "(e) + index&query stop words": lambda: whoosh_analyzer(stop=True),
}


@dataclass(frozen=True)
class Scores:
    ndcg10: float
    mrr10: float
    recall1: float
    recall10: float
    index_s: float
    query_ms: float


def load_xquad(path: Path) -> tuple[list[str], list[tuple[str, int]]]:
    """Paragraphs, and (question, index of its paragraph) pairs."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    docs: list[str] = []
    queries: list[tuple[str, int]] = []
    for article in data:
        for paragraph in article["paragraphs"]:
            docs.append(paragraph["context"])
            queries.extend((qa["question"], len(docs) - 1) for qa in paragraph["qas"])
    return docs, queries


def evaluate(analyzer: Analyzer, docs: list[str], queries: list[tuple[str, int]]) -> Scores:
    with tempfile.TemporaryDirectory() as tmp, KeywordStore.create(tmp, analyzer=analyzer) as ks:
        start = time.perf_counter()
        with ks.writer() as w:
            w.add(
                StoredParagraph(i, str(i), 0, text, "", None, None, None, None)
                for i, text in enumerate(docs)
            )
        index_s = time.perf_counter() - start
        ndcg = mrr = r1 = r10 = 0.0
        start = time.perf_counter()
        for question, relevant in queries:
            ranked = [pid for pid, _ in ks.search(question, 10)]
            if relevant in ranked:
                rank = ranked.index(relevant) + 1
                ndcg += 1 / math.log2(rank + 1)
                mrr += 1 / rank
                r1 += rank == 1
                r10 += 1
        query_ms = (time.perf_counter() - start) * 1000 / len(queries)
    n = len(queries)
    return Scores(ndcg / n, mrr / n, r1 / n, r10 / n, index_s, query_ms)


def read_news_paragraphs(path: Path, limit: int) -> list[str]:
    paragraphs: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            paragraphs.extend(p for p in json.loads(line)["text"].split("\n") if p.strip())
            if len(paragraphs) >= limit:
                break
    return paragraphs[:limit]


def throughput(paragraphs: list[str]) -> tuple[float, float, int]:
    """Paragraphs/s with cold caches (a fresh analyzer), with warm caches, and tokens seen."""
    analyzer = whoosh_analyzer(stop="query")
    rates = []
    tokens = 0
    for _ in range(2):
        start = time.perf_counter()
        tokens = sum(1 for p in paragraphs for _ in analyzer(p, mode="index"))
        rates.append(len(paragraphs) / (time.perf_counter() - start))
    return rates[0], rates[1], tokens


def indexing_rate(paragraphs: list[str]) -> float:
    """Paragraphs/s written to a fresh KeywordStore in one transaction (cold caches)."""
    records = [
        StoredParagraph(i, f"r{i // 8}", i % 8, text, "", "2018-01-01", "ant", "ar", "news")
        for i, text in enumerate(paragraphs)
    ]
    with tempfile.TemporaryDirectory() as tmp, KeywordStore.create(tmp) as ks:
        start = time.perf_counter()
        with ks.writer() as w:
            w.add(records)
        return len(records) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--news-lines", type=int, default=5000)
    parser.add_argument("--langs", default="ar,en")
    args = parser.parse_args(argv)
    xquad = args.data / "xquad"
    news = args.data / "news" / "ant-v2.1-arabic-news.jsonl.gz"
    if not xquad.is_dir():
        sys.stderr.write(f"skipped: shared data not found at {args.data} (use --data)\n")
        return 0

    print("| task | analyzer | nDCG@10 | MRR@10 | R@1 | R@10 | index s | ms/query |")
    print("|---|---|---|---|---|---|---|---|")
    for lang in args.langs.split(","):
        docs, queries = load_xquad(xquad / f"xquad.{lang}.json")
        for name, factory in VARIANTS.items():
            s = evaluate(factory(), docs, queries)
            print(
                f"| {lang}→{lang} | {name} | {s.ndcg10:.3f} | {s.mrr10:.3f} | {s.recall1:.3f} "
                f"| {s.recall10:.3f} | {s.index_s:.2f} | {s.query_ms:.2f} |",
                flush=True,
            )

    if news.exists():
        paragraphs = read_news_paragraphs(news, args.news_lines)
        cold, warm, tokens = throughput(paragraphs)
        print(
            f"\nArabic analysis, {len(paragraphs)} ANT news paragraphs "
            f"({tokens / len(paragraphs):.1f} tokens each): {cold:,.0f} paragraphs/s with "
            f"cold caches, {warm:,.0f} paragraphs/s warm"
        )
        print(
            f"KeywordStore indexing, same paragraphs, one transaction: "
            f"{indexing_rate(paragraphs):,.0f} paragraphs/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
