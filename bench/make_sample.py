"""Regenerate the sample corpus in indexer/sample_data/ from ../shared/data.

    .venv/bin/python bench/make_sample.py [--shared ../shared/data] [--out indexer/sample_data]

Writes ``ant-sample.jsonl`` (a deterministic, varied selection of ANT v2.1 articles: round
robin over source x category, spread over the months of 2018, moderate lengths, no duplicate
texts) and ``xquad-en-sample.jsonl`` (English XQuAD paragraphs as releases), then reads the
whole sample back with the project's own reader and splitter and prints its size. The founding
release and ATTRIBUTION.md are not touched. Same inputs, same output, byte for byte.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = Path(os.environ.get("DALIL_SHARED_DATA", REPO.parent / "shared" / "data"))
ANT_FILE = Path("news/ant-v2.1-arabic-news.jsonl.gz")
XQUAD_FILE = Path("xquad/xquad.en.json")

MIN_TEXT_CHARS = 500
MAX_TEXT_CHARS = 1800
MAX_LINES = 7
MONTHS = tuple(f"2018-{m:02d}" for m in range(2, 11))  # the bulk of the corpus: Feb-Oct 2018
LOOKAHEAD = 30  # candidates of a stratum considered when choosing the least-used month
MAX_PARAGRAPHS = 1500
MAX_CHARS, MIN_CHARS = 1200, 60  # the default index settings


def _rank(key: str) -> str:
    """A stable pseudo-random order that does not depend on the file's order."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def ant_candidates(path: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Moderate-length 2018 articles by (source, category), each list in a stable order."""
    strata: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            text = article["text"]
            if (
                article["date"][:7] in MONTHS
                and MIN_TEXT_CHARS <= len(text) <= MAX_TEXT_CHARS
                and 2 <= text.count("\n") + 1 <= MAX_LINES
                and article["title"].strip()
            ):
                strata[(article["source"], article["category"])].append(article)
    for articles in strata.values():
        articles.sort(key=lambda a: _rank(a["id"]))
    return strata


def select_ant(strata: dict[tuple[str, str], list[dict[str, Any]]], count: int) -> list[dict]:
    """Round robin over the strata; within one, the candidate of the least-used month."""
    chosen: list[dict[str, Any]] = []
    months: Counter[str] = Counter()
    seen_texts: set[str] = set()
    queues = {key: list(articles) for key, articles in sorted(strata.items())}
    while len(chosen) < count and any(queues.values()):
        for queue in queues.values():
            if len(chosen) == count or not queue:
                continue
            window = queue[:LOOKAHEAD]
            best = min(window, key=lambda a: (months[a["date"][:7]], _rank(a["id"])))
            queue.remove(best)
            digest = _rank(best["text"])
            if digest in seen_texts:
                continue
            seen_texts.add(digest)
            months[best["date"][:7]] += 1
            chosen.append(best)
    return sorted(chosen, key=lambda a: a["id"])


def xquad_releases(path: Path, count: int) -> Iterator[dict[str, Any]]:
    """The first paragraph of ``count`` articles spread evenly over XQuAD's 48."""
    articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    for k in range(count):
        index = k * len(articles) // count
        article = articles[index]
        title = article["title"].replace("_", " ")
        yield {
            "id": f"xquad-en-{index}-0",
            "title": title,
            "source": "xquad",
            "category": "wikipedia",
            "language": "en",
            "url": f"https://en.wikipedia.org/wiki/{article['title']}",
            "text": article["paragraphs"][0]["context"],
            "dataset": "XQuAD (CC BY-SA 4.0), Artetxe et al. 2020",
        }


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=REPO / "indexer" / "sample_data")
    parser.add_argument("--count", type=int, default=250, help="ANT articles")
    parser.add_argument("--xquad", type=int, default=20, help="XQuAD English paragraphs")
    args = parser.parse_args(argv)

    strata = ant_candidates(args.shared / ANT_FILE)
    ant = select_ant(strata, args.count)
    write_jsonl(args.out / "ant-sample.jsonl", ant)
    write_jsonl(
        args.out / "xquad-en-sample.jsonl",
        list(xquad_releases(args.shared / XQUAD_FILE, args.xquad)),
    )

    from dalil.indexer.models import Release
    from dalil.indexer.readers import read_sources
    from dalil.indexer.text.chunking import split_release

    items = list(read_sources([args.out]))
    failed = [str(item) for item in items if not isinstance(item, Release)]
    releases = [item for item in items if isinstance(item, Release)]
    paragraphs = sum(
        len(split_release(r, max_chars=MAX_CHARS, min_chars=MIN_CHARS)) for r in releases
    )
    languages = Counter(r.language for r in releases)
    print(f"{len(releases)} releases, {paragraphs} paragraphs, languages {dict(languages)}")
    print("ANT by source:", dict(Counter(a["source"] for a in ant)))
    print("ANT by category:", dict(Counter(a["category"] for a in ant)))
    print("ANT by month:", dict(sorted(Counter(a["date"][:7] for a in ant).items())))
    if failed:
        print("failures:", *failed, sep="\n  ", file=sys.stderr)
        return 1
    if paragraphs > MAX_PARAGRAPHS:
        print(f"sample too large: {paragraphs} > {MAX_PARAGRAPHS} paragraphs", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
