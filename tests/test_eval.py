"""search.evaluation / search.benchmark: metrics, set building, an end-to-end run on a tiny
synthetic XQuAD with the hash-test encoder, and the embedding cache."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dalil.indexer.encoders.embedding import load_encoders
from dalil.indexer.settings import load_settings
from dalil.search.evaluation.runner import (
    CachingEncoder,
    EmbeddingCache,
    SetResult,
    format_summary,
    run_benchmark,
)
from dalil.search.evaluation.sets import (
    EvalQuery,
    build_sets,
    limited,
    mean_metrics,
    mrr_at,
    ndcg_at,
    query_metrics,
    recall_at,
)


def test_metrics():
    ranked = ["a", "b", "c"]
    assert ndcg_at(ranked, "a") == 1.0
    assert ndcg_at(ranked, "b") == pytest.approx(1 / np.log2(3))
    assert ndcg_at(ranked, "z") == 0.0
    assert ndcg_at(ranked, "c", k=2) == 0.0
    assert mrr_at(ranked, "c") == pytest.approx(1 / 3)
    assert recall_at(ranked, "b", 1) == 0.0 and recall_at(ranked, "b", 10) == 1.0
    assert query_metrics([], "a") == {"ndcg@10": 0, "mrr@10": 0, "r@1": 0, "r@10": 0}
    assert mean_metrics([query_metrics(["a"], "a"), query_metrics(["b"], "a")])["r@1"] == 0.5
    assert mean_metrics([])["ndcg@10"] == 0.0


def test_limited_is_deterministic_and_spread():
    qs = [EvalQuery(str(i), "q", "r") for i in range(10)]
    assert [q.id for q in limited(qs, 5)] == ["0", "2", "4", "6", "8"]
    assert limited(qs, None) == qs and limited(qs, 50) == qs


TOPICS = [
    ("The harbour handles container ships and cranes.", "الميناء يستقبل سفن الحاويات والرافعات."),
    ("The railway links the capital with the coast.", "السكة الحديدية تربط العاصمة بالساحل."),
    ("The hospital treats patients with heart disease.", "المستشفى يعالج مرضى القلب."),
    ("The museum shows ancient coins and pottery.", "المتحف يعرض العملات القديمة والفخار."),
]


def write_fake_data(root: Path) -> tuple[Path, Path]:
    xquad = root / "xquad"
    xquad.mkdir()
    for lang, col in (("en", 0), ("ar", 1)):
        data = {"data": []}
        for a, pair in enumerate(TOPICS):
            question = pair[col].split()[1] + "?"
            data["data"].append(
                {
                    "title": f"t{a}",
                    "paragraphs": [
                        {"context": pair[col], "qas": [{"id": f"q{a}", "question": question}]}
                    ],
                }
            )
        (xquad / f"xquad.{lang}.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    news = root / "news.jsonl.gz"
    with gzip.open(news, "wt", encoding="utf-8") as handle:
        for i in range(6):
            handle.write(
                json.dumps(
                    {
                        "id": f"n{i}",
                        "title": f"خبر {i}",
                        "date": "2018-02-18T21:35:43+04:00",
                        "source": "wire",
                        "category": "c",
                        "url": f"http://x/{i}",
                        "language": "ar",
                        "text": f"سطر أول في الخبر {i}\nسطر ثان عن السوق {i}",
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return xquad, news


def test_build_sets(tmp_path: Path):
    xquad, news = write_fake_data(tmp_path)
    archives, sets = build_sets(xquad, None)
    assert [s.name for s in sets] == ["ar>ar", "en>ar", "en>en"]
    assert {r.id for r in archives["xquad-ar"]} == {f"xquad-ar-{a}-0" for a in range(4)}
    en_ar = next(s for s in sets if s.name == "en>ar")
    assert en_ar.queries[0].relevant == "xquad-ar-0-0" and en_ar.queries[0].text.endswith("?")
    archives, sets = build_sets(xquad, news, news_paragraphs=5)
    assert len([r for r in archives["xquad-ar+news"] if r.id.startswith("ant-")]) == 3
    mixed = {r.id for r in archives["mixed"]}
    # even articles in Arabic, odd in English, never both
    assert {"xquad-ar-0-0", "xquad-en-1-0", "xquad-ar-2-0", "xquad-en-3-0"} <= mixed
    assert "xquad-en-0-0" not in mixed and "xquad-ar-1-0" not in mixed
    by_name = {s.name: s for s in sets}
    assert [q.relevant for q in by_name["mix:ar>en"].queries] == ["xquad-en-1-0", "xquad-en-3-0"]
    assert [q.relevant for q in by_name["mix:en>ar"].queries] == ["xquad-ar-0-0", "xquad-ar-2-0"]
    news_release = archives["mixed"][-1]
    assert news_release.date == "2018-02-18" and news_release.language == "ar"


def test_run_benchmark_end_to_end_and_cache(tmp_path: Path):
    xquad, news = write_fake_data(tmp_path)
    archives, sets = build_sets(xquad, news, news_paragraphs=6)
    settings = load_settings(index=tmp_path / "unused", encoders="hash-test", threads=1)
    encoders = load_encoders(["hash-test"], threads=1)
    out = io.StringIO()
    cache = tmp_path / "cache.sqlite"
    results = run_benchmark(archives, sets, encoders, settings, cache_path=cache, out=out)
    assert [r.name for r in results] == [s.name for s in sets]
    by_name = {r.name: r for r in results}
    # the keyword side finds monolingual answers in this toy set
    assert by_name["en>en"].metrics["keyword"]["r@1"] == 1.0
    assert by_name["en>en"].metrics["hybrid"]["ndcg@10"] == 1.0
    text = out.getvalue()
    assert "nDCG@10 summary" in text and "mix:ar>en" in text and "rrf60" in text
    assert format_summary(results).count("\n") == len(results) + 2
    assert cache.exists()
    # the per-query scores the paired test reads are the ones the means are made of
    for r in results:
        for method, values in r.per_query.items():
            assert len(values) == r.queries
            assert np.mean(values) == pytest.approx(r.metrics[method]["ndcg@10"])
    summary = text[text.index("nDCG@10 summary") :].splitlines()[3:]
    assert summary and all(", p=" in line or ", p<" in line for line in summary)


def test_ranking_lab_oracle_bounds_every_method(tmp_path: Path):
    """bench/ranking_lab.py over snapshots the benchmark saved: the oracle column (per-query
    best of the listed methods) is at least each method's mean, and hybrid's gap to the
    better part carries a p-value."""
    xquad, news = write_fake_data(tmp_path)
    archives, sets = build_sets(xquad, news, news_paragraphs=6)
    settings = load_settings(index=tmp_path / "unused", encoders="hash-test", threads=1)
    encoders = load_encoders(["hash-test"], threads=1)
    snaps = tmp_path / "snaps"
    printed = io.StringIO()
    run_benchmark(
        archives,
        sets,
        encoders,
        settings,
        cache_path=tmp_path / "c.sqlite",
        out=printed,
        snapshots=snaps,
        score=False,
    )
    # nothing was scored, so no table of zeros: each set says where its candidates went
    assert "nDCG@10" not in printed.getvalue() and "ndcg@10" not in printed.getvalue()
    assert f"candidates saved to {snaps / 'mix:ar-en.pkl'}" in printed.getvalue()
    lab = Path(__file__).parents[1] / "bench" / "ranking_lab.py"
    out = subprocess.run(
        [sys.executable, str(lab), str(snaps), "--methods", "keyword,semantic,hybrid", "--oracle"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.splitlines()
    assert out[0].split()[-4:] == ["keyword", "semantic", "hybrid", "oracle"]
    rows = out[1:]
    assert len(rows) == len(sets)
    for line in rows:
        fields = line.split()
        keyword, semantic, hybrid, oracle = map(float, fields[2:6])
        assert oracle >= max(keyword, semantic, hybrid) - 1e-9
        assert "hybrid vs" in line and ("(p=" in line or "(p<" in line)


def test_caching_encoder_returns_the_inner_vectors(tmp_path: Path):
    (inner,) = load_encoders(["hash-test"], threads=1).values()
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    enc = CachingEncoder(inner, cache)
    texts = ["one text", "نص آخر", "one text"]
    first = enc.encode_passages(texts)
    np.testing.assert_array_equal(first, inner.encode_passages(texts))
    again = CachingEncoder(_Exploding(inner), cache).encode_passages(texts)  # all cached
    np.testing.assert_array_equal(again, first)
    np.testing.assert_array_equal(enc.encode_queries(["q"]), inner.encode_queries(["q"]))
    cache.close()


class _Exploding:
    def __init__(self, inner):
        self.name, self.dim = inner.name, inner.dim

    def encode_passages(self, texts):
        raise AssertionError("should have been cached")

    encode_queries = encode_passages


def write_more_data(root: Path) -> tuple[Path, Path, Path]:
    """XQuAD in the six languages plus ro, ARCD and a headline news file, all tiny."""
    xquad, news = write_fake_data(root)
    en = json.loads((xquad / "xquad.en.json").read_text("utf-8"))
    for lang in ("el", "hi", "ro", "th", "vi"):
        (xquad / f"xquad.{lang}.json").write_text(json.dumps(en), "utf-8")
    arcd = root / "arcd.json"
    arcd.write_text((xquad / "xquad.ar.json").read_text("utf-8"), "utf-8")
    return xquad, news, arcd


def test_more_sets(tmp_path: Path):
    from dalil.search.evaluation.more_sets import all_sets

    xquad, news, arcd = write_more_data(tmp_path)
    archives, sets = all_sets(xquad, news, arcd, news_paragraphs=6)
    by_name = {s.name: s for s in sets}
    assert {"el>ar", "hi>ar", "ro>ar", "th>ar", "vi>ar", "six:ar>*", "six:en>*"} <= set(by_name)
    assert {"arcd:ar>ar", "news:title>ar"} <= set(by_name)
    # six languages, each article in one: article a in language a mod 6
    assert sorted(r.language or "" for r in archives["six"]) == ["ar", "el", "en", "hi"]
    assert [q.relevant for q in by_name["six:en>*"].queries] == [
        "xquad-ar-0-0",
        "xquad-en-1-0",
        "xquad-el-2-0",
        "xquad-hi-3-0",
    ]
    # headlines are held out of the index and every second one is a query
    headlines = archives["headlines"]
    assert all(r.title == "" for r in headlines) and len(headlines) == 6
    assert len(by_name["news:title>ar"].queries) == 3
    assert by_name["news:title>ar"].queries[0].text.startswith("خبر")


def test_jsonl_pair_and_multiple_relevant(tmp_path: Path):
    from dalil.search.evaluation.more_sets import read_jsonl_set

    corpus, queries = tmp_path / "c.jsonl", tmp_path / "q.jsonl"
    corpus.write_text(
        '{"id": "a", "text": "first\\n\\nsecond", "language": "en"}\n{"id": "b", "text": "x"}\n'
    )
    queries.write_text(
        '{"id": "1", "query": "first", "relevant": "a"}\n'
        '{"id": "2", "query": "x", "relevant": ["a", "b"]}\n'
    )
    releases, query_set = read_jsonl_set(corpus, queries)
    assert releases[0].paragraphs == ("first", "second")
    assert query_set.queries[1].relevant == ("a", "b")
    assert ndcg_at(["b", "z", "a"], ("a", "b")) == pytest.approx(
        (1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3))
    )
    assert recall_at(["b"], ("a", "b"), 10) == 0.5 and mrr_at(["z", "a"], ("a", "b")) == 0.5


def test_summary_says_why_a_set_misses() -> None:
    def result(name: str, keyword: float, semantic: float, hybrid: float) -> SetResult:
        values = {"keyword": keyword, "semantic": semantic, "rrf60": 0.0, "fixed2/3": 0.0}
        values["hybrid"] = hybrid
        return SetResult(name, 10, {m: {"ndcg@10": v} for m, v in values.items()})

    results = [result("ar>ar", 0.95, 0.90, 0.94), result("el>ar", 0.1, 0.8, 0.81)]
    lines = format_summary(results).splitlines()
    assert lines[-2].endswith("below parts (-0.010); below target")
    assert lines[-1].endswith("ok (+0.010)")
    # a miss below the third decimal is still a miss, shown with a fourth
    close = format_summary([result("th>ar", 0.1, 0.71931, 0.71912)], targets=False)
    assert close.splitlines()[-1].endswith("below parts (-0.0002)")
    # one-encoder runs: the default encoders' targets do not apply
    assert format_summary(results, targets=False).splitlines()[-2].endswith("below parts (-0.010)")


def test_summary_says_whether_a_gap_is_more_than_chance() -> None:
    """With per-query scores the gap to the better part carries the paired test's p-value:
    one question of 200 answered lower is chance; forty of 200, each lower, is not."""

    def result(hybrid: list[float], semantic: list[float]) -> SetResult:
        per_query = {"keyword": (0.0,) * len(hybrid), "semantic": tuple(semantic)}
        per_query |= {"rrf60": per_query["keyword"], "fixed2/3": per_query["keyword"]}
        per_query["hybrid"] = tuple(hybrid)
        means = {m: {"ndcg@10": float(np.mean(v))} for m, v in per_query.items()}
        return SetResult("el>ar", len(hybrid), means, per_query)

    one = format_summary([result([0.5] + [1.0] * 199, [1.0] * 200)], targets=False)
    assert one.splitlines()[-1].endswith("below parts (-0.002, p=1.000: a tie)")
    many = format_summary([result([0.5] * 40 + [1.0] * 160, [1.0] * 200)], targets=False)
    assert many.splitlines()[-1].endswith("below parts (-0.100, p<0.001)")
    above = format_summary([result([1.0] * 40 + [0.5] * 160, [0.5] * 200)], targets=False)
    assert above.splitlines()[-1].endswith("ok (+0.100, p<0.001)")
