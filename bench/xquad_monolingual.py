"""A check on languages no constant was chosen on: XQuAD's questions asked over the paragraphs
of their own language (Greek, Hindi, Romanian, Thai, Vietnamese), written as a corpus + queries
pair for ``dalil eval --corpus --queries``. The benchmark's sets ask these questions over the
Arabic paragraphs only; here the keyword side reads the question's language, as in an archive
of releases in that language.

    .venv/bin/python bench/xquad_monolingual.py --language th --out /tmp/th
    .venv/bin/dalil eval --corpus /tmp/th/corpus.jsonl --queries /tmp/th/queries.jsonl \\
        [--encoders use-m3]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from paths import DEFAULT_DATA

from dalil.search.evaluation.sets import read_xquad


def build(xquad: Path, language: str) -> tuple[list[dict], list[dict]]:
    """(corpus rows, query rows): one release per paragraph, each question's answer its own."""
    corpus, queries = [], []
    for paragraph in read_xquad(xquad):
        rid = f"xquad-{language}-{paragraph.article}-{paragraph.index}"
        corpus.append({"id": rid, "text": paragraph.text, "language": language})
        queries.extend({"id": qid, "query": q, "relevant": rid} for qid, q in paragraph.questions)
    return corpus, queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--language", required=True, help="el, hi, ro, th, vi (or ar, en)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    xquad = args.data / "xquad" / f"xquad.{args.language}.json"
    if not xquad.is_file():
        print(f"skipped: {xquad} not found (set --data or DALIL_SHARED_DATA)", file=sys.stderr)
        return 1
    corpus, queries = build(xquad, args.language)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        with open(args.out / name, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    print(f"{len(corpus)} paragraphs, {len(queries)} questions in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
