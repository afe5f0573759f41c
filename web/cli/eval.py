"""``dalil eval``: the retrieval-quality benchmark (XQuAD, with news distractors and mixed
ar/en archives): nDCG@10, MRR@10, Recall@1/10 for keyword, semantic, RRF k=60, a fixed
blend and the default hybrid. See :mod:`dalil.search.evaluation.runner`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dalil.web.cli.options import add_command

if TYPE_CHECKING:
    from dalil.indexer import Settings

DEFAULT_DATA = Path("../shared/data")


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "eval",
        help="measure retrieval quality on XQuAD",
        description=(
            "Build each benchmark archive into a temporary index (real pipeline, real "
            "encoders, embeddings cached on disk) and print nDCG@10, MRR@10, Recall@1 and "
            "Recall@10 per method. Needs XQuAD (xquad.ar.json, xquad.en.json) and, for the "
            "distractor and mixed-language sets, the ANT news file."
        ),
    )
    parser.add_argument(
        "--xquad",
        type=Path,
        default=DEFAULT_DATA / "xquad",
        help="directory with xquad.ar.json and xquad.en.json",
    )
    parser.add_argument(
        "--news",
        type=Path,
        default=DEFAULT_DATA / "news" / "ant-v2.1-arabic-news.jsonl.gz",
        help="ANT news JSONL.gz for distractors ('none' to skip)",
    )
    parser.add_argument(
        "--news-paragraphs",
        type=int,
        default=2500,
        help="news paragraphs mixed in as distractors (default 2500)",
    )
    parser.add_argument(
        "--arcd",
        type=Path,
        default=DEFAULT_DATA / "arcd" / "arcd-train.json",
        help="ARCD train JSON for the native Arabic question set ('none' to skip)",
    )
    parser.add_argument("--corpus", type=Path, help="your corpus JSONL (with --queries)")
    parser.add_argument(
        "--queries", type=Path, help='your queries JSONL: {"id", "query", "relevant"}'
    )
    parser.add_argument(
        "--snapshots", type=Path, help="also save each set's retrieved candidates here"
    )
    parser.add_argument(
        "--snapshots-only",
        action="store_true",
        help="only save the candidates (for bench/ranking_lab.py), score nothing",
    )
    parser.add_argument("--sets", help="comma-separated set names to run (default: all)")
    parser.add_argument("--limit", type=int, help="at most this many queries per set")
    parser.add_argument("--encoders", help="encoders to evaluate (default e5-small,use-m3)")
    parser.add_argument("--threads", type=int, help="threads per encoder")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("bench/results/embeddings.sqlite"),
        help="embedding cache file (default bench/results/embeddings.sqlite)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from dalil.indexer import load_encoders
    from dalil.search import run_benchmark

    if args.limit is not None and args.limit < 1:
        return _error("--limit must be at least 1")
    if (args.corpus is None) != (args.queries is None):
        return _error("--corpus and --queries go together")
    if args.corpus is not None:
        from dalil.search import read_jsonl_set

        for path in (args.corpus, args.queries):
            if not Path(path).is_file():
                return _error(f"no file at {path}")
        corpus, query_set = read_jsonl_set(Path(args.corpus), Path(args.queries))
        archives, sets = {query_set.archive: corpus}, [query_set]
    else:
        loaded = _benchmark_sets(args)
        if isinstance(loaded, int):
            return loaded
        archives, sets = loaded
    if args.sets:
        wanted = {s.strip() for s in args.sets.split(",") if s.strip()}
        unknown = wanted - {s.name for s in sets}
        if unknown:
            return _error(
                f"unknown sets {sorted(unknown)}; known: {', '.join(s.name for s in sets)}"
            )
        sets = [s for s in sets if s.name in wanted]
    encoders = load_encoders(list(settings.encoder_names), threads=settings.threads)
    print(f"# dalil eval: encoders {', '.join(encoders)}; limit {args.limit or 'none'}", flush=True)
    run_benchmark(
        archives,
        sets,
        encoders,
        settings,
        cache_path=args.cache,
        limit=args.limit,
        out=sys.stdout,
        snapshots=args.snapshots,
        score=not (args.snapshots_only and args.snapshots),
    )
    return 0


def _benchmark_sets(args: argparse.Namespace) -> tuple[dict, list] | int:
    from dalil.search import all_sets

    xquad = Path(args.xquad)
    if not (xquad / "xquad.ar.json").is_file() or not (xquad / "xquad.en.json").is_file():
        return _error(f"no XQuAD files in {xquad} (use --xquad DIR)")
    news = None if str(args.news).lower() == "none" else Path(args.news)
    if news is not None and not news.is_file():
        return _error(f"no news file at {news} (--news none skips it)")
    arcd = None if str(args.arcd).lower() == "none" else Path(args.arcd)
    if arcd is not None and not arcd.is_file():
        return _error(f"no ARCD file at {arcd} (--arcd none skips it)")
    return all_sets(xquad, news, arcd, news_paragraphs=args.news_paragraphs)


def _error(message: str) -> int:
    print(f"dalil eval: error: {message}", file=sys.stderr)
    return 2
