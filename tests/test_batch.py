"""search.batch: JSONL batch queries."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from dalil.indexer.build.pipeline import apply_releases
from dalil.indexer.encoders.embedding import load_encoders
from dalil.indexer.models import Filters, Release
from dalil.indexer.settings import load_settings
from dalil.indexer.store.index import Index
from dalil.search.batch import parse_line, run_batch
from dalil.search.errors import InvalidQueryError
from dalil.search.models import Hit, Query, SearchResponse, Snippet
from dalil.search.validation import validate_query
from dalil.web.cli.search import defaults_from_args
from dalil.web.cli.search import run_queries_file as run_cli

DEFAULTS = Query(text="-", mode="hybrid", k=10, filters=Filters(source="wire"))


def test_parse_line_fields_and_defaults():
    qid, q = parse_line('{"id": 7, "query": "النفط"}', DEFAULTS)
    assert qid == 7 and q.text == "النفط" and q.k == 10 and q.filters.source == "wire"
    line = json.dumps(
        {
            "id": "a",
            "query": "oil",
            "mode": "keyword",
            "alpha": 0.3,
            "k": 3,
            "offset": 2,
            "date_from": "2020-01-01",
            "filters": {"language": "ar", "source": None},
        }
    )
    _, q = parse_line(line, DEFAULTS)
    assert (q.mode, q.alpha, q.k, q.offset) == ("keyword", 0.3, 3, 2)
    assert q.filters == Filters(date_from="2020-01-01", language="ar")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("not json", "line"),
        ("[1, 2]", "line"),
        ('{"id": 1}', "query"),
        ('{"query": "x", "filters": 3}', "filters"),
    ],
)
def test_parse_line_errors(line, field):
    with pytest.raises(InvalidQueryError) as info:
        parse_line(line, DEFAULTS)
    assert info.value.field == field


class FakeSearcher:
    def __init__(self):
        self.queries = []

    def search(self, query: Query) -> SearchResponse:
        validate_query(query)
        self.queries.append(query)
        snippet = Snippet(1, 0, "a <b> text", "a &lt;b&gt; <mark>text</mark>")
        hit = Hit("rel-1", "Title", 1.25, (snippet,), date="2020-01-02", language="en")
        return SearchResponse(query, (hit,), 1, 3.0)


def test_run_batch_writes_one_line_per_query_and_continues_after_errors():
    lines = [
        '{"id": "q1", "query": "oil"}\n',
        "\n",
        '{"id": "q2", "query": "", "k": 5}\n',
        "{broken\n",
        '{"id": "q3", "query": "gas", "k": 500}\n',
        '{"id": "q4", "query": "gas", "mode": "semantic"}\n',
    ]
    out = io.StringIO()
    searcher = FakeSearcher()
    failures = run_batch(searcher, lines, DEFAULTS, out)
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert failures == 3
    assert [r["id"] for r in rows] == ["q1", "q2", None, "q3", "q4"]
    first = rows[0]
    assert first["results"][0]["id"] == "rel-1"
    assert set(first["results"][0]) >= {"id", "score", "title", "snippets"}
    assert first["results"][0]["snippets"][0]["html"].endswith("<mark>text</mark>")
    assert rows[1]["error"]["field"] == "text" and rows[1]["line"] == 3
    assert rows[2]["error"]["field"] == "line" and rows[2]["line"] == 4
    assert rows[3]["error"]["field"] == "k"
    assert searcher.queries[-1].mode == "semantic"


def test_defaults_from_args():
    args = argparse.Namespace(
        mode="keyword",
        k=4,
        offset=0,
        alpha=None,
        language="ar",
        date_from=None,
        date_to=None,
        source=None,
        category=None,
    )
    assert defaults_from_args(args) == Query(
        text="-", mode="keyword", k=4, filters=Filters(language="ar")
    )


def test_defaults_from_args_keep_an_explicit_zero_k_for_validation():
    args = argparse.Namespace(mode=None, k=0, offset=None, alpha=None)
    query = defaults_from_args(args)
    assert (query.k, query.mode, query.offset) == (0, "hybrid", 0)


def test_run_cli_on_a_real_index(tmp_path: Path, capsys):
    path = tmp_path / "index"
    settings = load_settings(index=path, encoders="hash-test", threads=1)
    encoders = load_encoders(["hash-test"], threads=1)
    index = Index.create(path, encoders)
    releases = [
        Release(
            "oil",
            "Oil",
            ("Oil prices rose sharply on Monday in world markets.",),
            "t",
            language="en",
        ),
        Release("gas", "Gas", ("Gas exports grew by ten percent this year.",), "t", language="en"),
    ]
    apply_releases(index, encoders, settings, releases)
    index.close()
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"id": 1, "query": "oil prices"}\n{"id": 2, "query": "gas exports", "k": 1}\n',
        encoding="utf-8",
    )
    args = argparse.Namespace(
        queries=str(queries),
        mode="hybrid",
        k=10,
        offset=0,
        alpha=None,
        date_from=None,
        date_to=None,
        source=None,
        language=None,
        category=None,
    )
    assert run_cli(args, settings) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rows[0]["id"] == 1 and rows[0]["results"][0]["id"] == "oil"
    assert rows[1]["id"] == 2 and [r["id"] for r in rows[1]["results"]] == ["gas"]
    args.queries = str(tmp_path / "missing.jsonl")
    assert run_cli(args, settings) == 2
