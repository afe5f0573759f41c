"""bench/heldout_news.py: the held-out real-news pair it writes is one `dalil eval --corpus
--queries` reads, and holds none of the benchmark's own headline articles."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from dalil.search.evaluation.more_sets import headline_set, read_jsonl_set

REPO = Path(__file__).resolve().parents[1]


def _ant(path: Path, per_source: int) -> None:
    rows = []
    for source in ("a", "b"):
        for i in range(per_source):
            rows.append(
                {
                    "id": f"{source}{i}",
                    "source": source,
                    "title": f"headline {source} {i}",
                    "text": f"first line {source}{i}\nsecond line\nthird line",
                    "date": "2020-01-02T00:00:00",
                }
            )
    rows.append({"id": "dup1", "source": "a", "title": "same", "text": "x\ny"})
    rows.append({"id": "dup2", "source": "b", "title": "same", "text": "x\ny"})
    rows.append({"id": "short", "source": "a", "title": "one line only", "text": "x"})
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in rows)


def test_heldout_pair_skips_the_benchmark_articles_and_reads_back(tmp_path: Path):
    news = tmp_path / "data" / "news" / "ant-v2.1-arabic-news.jsonl.gz"
    _ant(news, per_source=600)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "heldout_news.py"), "--data", str(tmp_path / "data")]
        + ["--out", str(out), "--per-source", "50", "--max-paragraphs", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "100 articles, 200 paragraphs, 34 queries" in done.stdout
    releases, query_set = read_jsonl_set(out / "corpus.jsonl", out / "queries.jsonl")
    ids = {r.id for r in releases}
    assert len(ids) == 100
    # none of the benchmark's 1,000 headline articles, no repeated headline, no one-line text
    assert not ids & {r.id for r in headline_set(news)[0]}
    assert not ids & {"ant-dup1", "ant-dup2", "ant-short"}
    assert all(len(r.paragraphs) == 2 for r in releases)
    assert {r.source for r in releases} == {"a", "b"}
    # every query's answer is in the corpus, and its headline is not
    texts = {p for r in releases for p in r.paragraphs}
    for q in query_set.queries:
        assert q.relevant in ids
        assert q.text not in texts and q.text.startswith("headline ")


def test_short_queries_keep_the_first_words_of_each_headline(tmp_path: Path):
    news = tmp_path / "data" / "news" / "ant-v2.1-arabic-news.jsonl.gz"
    _ant(news, per_source=600)
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "heldout_news.py"), "--data", str(tmp_path / "data")]
        + ["--out", str(out), "--per-source", "50", "--query-words", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    _, query_set = read_jsonl_set(out / "corpus.jsonl", out / "queries.jsonl")
    assert len(query_set.queries) == 34
    assert {q.text for q in query_set.queries} <= {"headline a", "headline b"}
