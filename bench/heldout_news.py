"""A held-out real-news check for ``dalil eval --corpus --queries``: whole ANT articles (every
paragraph, not the two-line leads of the benchmark's ``news:title>ar`` set), none of the
articles that set uses, drawn in another fixed order; headlines held out of the index, every
third one a query whose one relevant release is its article.

    .venv/bin/python bench/heldout_news.py --out /tmp/heldout [--per-source 500]
    .venv/bin/dalil eval --corpus /tmp/heldout/corpus.jsonl --queries /tmp/heldout/queries.jsonl \\
        --encoders use-m3

No ranking constant was chosen on this set: it exists to check the formula on news it was never
tuned on (articles of several paragraphs, the same events told by several papers).

``--query-words N`` keeps the first N words of each headline: short queries such as a search box
gets, which no benchmark set asks. The one relevant release stays the article, so other articles
on the subject count as misses: compare methods on it, not absolute values.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

from paths import DEFAULT_DATA, news_file

from dalil.search.evaluation.more_sets import headline_set

SALT = "heldout"
QUERY_EVERY = 3


def _title(row: dict) -> str:
    return str(row.get("title") or "").strip()


def articles(path: Path) -> list[dict]:
    """ANT rows whose headline is unique in the file (a repeated headline would have several
    answers), outside the benchmark's headline set, in a fixed pseudo-random order."""
    used = {release.id for release in headline_set(path)[0]}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    titles = Counter(_title(r) for r in rows)
    rows = [
        r for r in rows if _title(r) and titles[_title(r)] == 1 and f"ant-{r['id']}" not in used
    ]
    rows.sort(key=lambda r: hashlib.sha1(f"{SALT}:{r['id']}".encode()).hexdigest())
    return rows


def build(
    path: Path, per_source: int, max_paragraphs: int, query_words: int = 0
) -> tuple[list[dict], list[dict]]:
    """(corpus rows, query rows): ``per_source`` articles of each paper, at most
    ``max_paragraphs`` paragraphs each, in ``read_jsonl_set``'s format; each query the first
    ``query_words`` words of its headline (0: all of it)."""
    taken: Counter[str] = Counter()
    corpus: list[dict] = []
    queries: list[dict] = []
    for row in articles(path):
        source = str(row.get("source"))
        lines = [x.strip() for x in str(row.get("text", "")).split("\n") if x.strip()]
        if taken[source] >= per_source or len(lines) < 2:
            continue
        taken[source] += 1
        rid = f"ant-{row['id']}"
        corpus.append(
            {
                "id": rid,
                "paragraphs": lines[:max_paragraphs],
                "language": row.get("language") or "ar",
                "source": source,
                "date": str(row.get("date") or "")[:10] or None,
            }
        )
        if len(corpus) % QUERY_EVERY == 1:
            words = row["title"].split()
            text = " ".join(words[:query_words] if query_words else words)
            queries.append({"id": f"title:{row['id']}", "query": text, "relevant": rid})
    return corpus, queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-source", type=int, default=500)
    parser.add_argument("--max-paragraphs", type=int, default=12)
    parser.add_argument("--query-words", type=int, default=0, help="0: whole headlines")
    args = parser.parse_args()
    news = news_file(args.data)
    if news is None:
        return 0
    corpus, queries = build(news, args.per_source, args.max_paragraphs, args.query_words)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        with open(args.out / name, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    paragraphs = sum(len(r["paragraphs"]) for r in corpus)
    print(f"{len(corpus)} articles, {paragraphs} paragraphs, {len(queries)} queries -> {args.out}")
    print(
        f".venv/bin/dalil eval --corpus {args.out}/corpus.jsonl "
        f"--queries {args.out}/queries.jsonl --encoders use-m3"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
