"""The `dalil` command line, run as a subprocess against a temporary index."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from dalil import search as search_layer
from dalil.indexer.models import Filters
from dalil.indexer.store.index import Index
from dalil.search.models import Hit, Query, SearchResponse, Snippet
from dalil.web.cli.main import build_parser, main
from dalil.web.cli.terminal import make_console, print_response, snippet_text, truncate

REPO = Path(__file__).resolve().parents[1]


def dalil(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALIL_")}
    env["DALIL_CONFIG"] = str(cwd / "no-dalil.toml")  # never a dalil.toml from elsewhere
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "dalil.web.cli.main", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "trade.txt").write_text(
        "Ministry signs trade agreement\n\nThe ministry signed a trade agreement on steel "
        "tariffs with its partners.\n",
        encoding="utf-8",
    )
    (root / "water.txt").write_text(
        "Council meets on water security\n\nThe council agreed on a plan for water security "
        "and desalination.\n",
        encoding="utf-8",
    )
    return root


def test_help_lists_commands() -> None:
    parser = build_parser()
    text = parser.format_help()
    assert "index" in text and "search" in text
    args = parser.parse_args(["index", "x", "--index", "/tmp/i", "--encoders", "hash-test"])
    assert str(args.index) == "/tmp/i" and args.encoders == "hash-test"


@pytest.mark.slow  # `dalil index` in a subprocess
def test_index_then_unchanged(tmp_path: Path, corpus: Path) -> None:
    index = tmp_path / "idx"
    first = dalil("index", corpus, "--index", index, "--encoders", "hash-test", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("added 2, updated 0, unchanged 0, failed 0 — ")
    assert "paragraphs/s" in first.stdout
    second = dalil("index", corpus, "--index", index, "-v", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("added 0, updated 0, unchanged 2, failed 0 — 0 paragraphs")
    assert "stages:" in second.stdout
    with Index.open(index, ["hash-test"]) as opened:
        assert opened.docs.counts()[0] == 2


@pytest.mark.slow  # `dalil index` in a subprocess
def test_failures_exit_1_and_rest_indexed(tmp_path: Path, corpus: Path) -> None:
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "blob.txt").write_bytes(bytes(range(256)) * 4)
    (corpus / "feed.jsonl").write_text(
        '{"id": "j1", "title": "Good line", "text": "A good record with enough text."}\n{broken\n',
        encoding="utf-8",
    )
    index = tmp_path / "idx"
    result = dalil("index", corpus, "--index", index, "--encoders", "hash-test", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 3
    assert any("empty.txt: " in line for line in skipped)
    assert any("blob.txt: " in line for line in skipped)
    assert any("feed.jsonl" in line for line in skipped)
    assert result.stdout.startswith("added 3, updated 0, unchanged 0, failed 3")


@pytest.mark.slow  # `dalil index` in a subprocess
def test_lock_prevents_a_second_writer(tmp_path: Path, corpus: Path) -> None:
    index = tmp_path / "idx"
    built = dalil("index", corpus, "--index", index, "--encoders", "hash-test", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    opened = Index.open(index)
    try:
        with opened.writing():
            result = dalil("index", corpus, "--index", index, cwd=tmp_path)
    finally:
        opened.close()
    assert result.returncode == 2
    assert result.stderr.startswith("dalil: error: another dalil process is writing")


@pytest.mark.slow  # `dalil index` in a subprocess
def test_other_encoders_need_rebuild(tmp_path: Path, corpus: Path) -> None:
    index = tmp_path / "idx"
    dalil("index", corpus, "--index", index, "--encoders", "hash-test", cwd=tmp_path)
    result = dalil("index", corpus, "--index", index, "--encoders", "e5-small", cwd=tmp_path)
    assert result.returncode == 2
    assert "built with encoders hash-test" in result.stderr and "--rebuild" in result.stderr


def test_bad_setting(tmp_path: Path, corpus: Path) -> None:
    result = dalil("index", corpus, "--index", tmp_path / "i", "--batch-size", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("dalil: error: setting 'batch_size'")
    assert not (tmp_path / "i").exists()


def test_search_without_index(tmp_path: Path) -> None:
    result = dalil("search", "anything", "--index", tmp_path / "nowhere", cwd=tmp_path)
    assert result.returncode == 2
    assert "dalil: error: no index at" in result.stderr and "dalil index SOURCE" in result.stderr


def _response() -> SearchResponse:
    html = "<mark>وأكد</mark> " + "وأكد " * 99
    snippet = Snippet(paragraph_id=7, position=0, text="وأكد " * 100, html=html)
    hit = Hit(
        release_id="samples/bahrain",
        title="البحرين والناتو",
        score=0.8765,
        snippets=(snippet,),
        date="2019-12-10",
        source="mofa",
        language="ar",
    )
    return SearchResponse(query=Query(text="الناتو"), hits=(hit,), total=1, took_ms=12.0)


def render(response: SearchResponse, *, terminal: bool, width: int = 60) -> str:
    out = io.StringIO()
    console = make_console(out)
    if terminal:  # what a terminal of ``width`` columns gets
        console = Console(file=out, width=width, force_terminal=True, color_system="standard")
    print_response(response, console)
    return out.getvalue()


def test_text_and_json_output() -> None:
    response = _response()
    text = render(response, terminal=False)
    assert "  1. 0.8765  samples/bahrain  2019-12-10  mofa" in text
    assert "البحرين والناتو" in text and text.rstrip().endswith("…")
    assert "\x1b[" not in text  # piped: plain text
    data = response.hits[0].as_json()
    assert data["id"] == "samples/bahrain" and data["language"] == "ar"
    assert data["snippets"][0]["text"].startswith("وأكد")
    assert data["snippets"][0]["paragraph_id"] == 7
    json.dumps(data, ensure_ascii=False)
    assert truncate("short") == "short"
    assert len(truncate("word " * 200, 50)) <= 52


def test_terminal_output_fits_the_width_and_marks_matches() -> None:
    text = " ".join(["The ministry said"] + ["that"] * 30 + ["<mark>NATO</mark> talks went on"])
    snippet = Snippet(paragraph_id=1, position=0, text="", html=text)
    hit = Hit(release_id="r1", title="A title", score=1.0, snippets=(snippet,))
    response = SearchResponse(query=Query(text="NATO"), hits=(hit,), total=1, took_ms=3.0)
    shown = render(response, terminal=True, width=50)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in shown.splitlines()]
    assert max(len(line) for line in lines) <= 50
    assert re.search(r"\x1b\[[0-9;]*1[0-9;]*mNATO\x1b\[0m", shown)  # bold (and coloured)
    assert snippet_text("a <mark>b&amp;c</mark> d").plain == "a b&c d"
    piped = render(response, terminal=False)
    assert "NATO" in piped and "\x1b[" not in piped


def test_version_and_a_mistyped_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("dalil ")
    with pytest.raises(SystemExit) as done:
        main(["search", "water", "--kk", "3"])
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert err.startswith("usage: dalil search ")  # the command's usage, not dalil's
    assert "unrecognized arguments: --kk 3 (did you mean -k?)" in err


def test_bad_search_options_fail_before_the_index_is_opened(tmp_path: Path) -> None:
    nowhere = tmp_path / "nowhere"  # opening it would fail with "no index at"
    for args, message in (
        (["-k", "500"], "-k: must be an integer from 1 to 100, got 500"),
        (["--date-from", "2019-13-01"], "--date-from: "),
        (["--offset", "-1"], "--offset: "),
    ):
        result = dalil("search", "water", "--index", nowhere, *args, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "usage: dalil search" in result.stderr and "no index" not in result.stderr


def test_keyword_search_loads_no_encoder(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from dalil.indexer.encoders import embedding

    index = tmp_path / "idx"
    built = dalil("index", corpus, "--index", index, "--encoders", "hash-test", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    monkeypatch.setenv("DALIL_CONFIG", str(tmp_path / "none.toml"))
    loaded: list[list[str]] = []
    real = embedding.load_encoders

    def spy(names, **kwargs):
        loaded.append(list(names))
        return real(names, **kwargs)

    monkeypatch.setattr(embedding, "load_encoders", spy)
    assert main(["search", "steel tariffs", "--index", str(index), "--mode", "keyword"]) == 0
    assert "trade" in capsys.readouterr().out and loaded == []
    assert main(["search", "steel tariffs", "--index", str(index), "--mode", "semantic"]) == 0
    assert loaded == [["hash-test"]]


def test_index_refuses_a_missing_source_and_reports_unsupported_files(
    tmp_path: Path, corpus: Path
) -> None:
    index = tmp_path / "idx"
    missing = dalil("index", tmp_path / "no-such-folder", "--index", index, cwd=tmp_path)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    assert not index.exists()  # nothing written: no empty generation
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4")
    (corpus / "notes.docx").write_bytes(b"PK")
    args = ("index", corpus, "--index", index, "--encoders", "hash-test")
    built = dalil(*args, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "skipped 2 file(s) of unsupported types (.docx, .pdf) (-v lists them)" in built.stderr
    assert "scan.pdf" not in built.stderr
    verbose = dalil(*args, "-v", cwd=tmp_path)
    assert "unsupported: " in verbose.stderr and "scan.pdf" in verbose.stderr


class FakeSearcher:
    """Stands in for search.engine.Searcher: records the query, answers one hit."""

    queries: list[Query] = []
    closed = False

    @classmethod
    def open(cls, settings, lazy=False):
        cls.settings = settings
        return cls()

    def search(self, query: Query) -> SearchResponse:
        FakeSearcher.queries.append(query)
        return replace(_response(), query=query)

    def close(self) -> None:
        FakeSearcher.closed = True


def test_search_command_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(search_layer, "Searcher", FakeSearcher, raising=False)
    monkeypatch.setenv("DALIL_CONFIG", str(tmp_path / "none.toml"))
    FakeSearcher.queries = []
    args = ["search", "الناتو", "--index", str(tmp_path / "idx"), "--mode", "keyword"]
    args += ["-k", "5", "--offset", "5", "--language", "ar", "--date-from", "2019-01-01"]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["id"] == "samples/bahrain" and out[0]["score"] == 0.8765
    query = FakeSearcher.queries[0]
    assert (query.text, query.mode, query.k, query.offset) == ("الناتو", "keyword", 5, 5)
    assert query.filters == Filters(language="ar", date_from="2019-01-01")
    assert FakeSearcher.closed and FakeSearcher.settings.index == tmp_path / "idx"

    assert main(args) == 0
    text = capsys.readouterr().out
    assert "  6. 0.8765  samples/bahrain" in text  # ranks continue after the offset

    assert main(["search", "--index", str(tmp_path / "idx")]) == 2
    assert "give a QUERY" in capsys.readouterr().err


@pytest.mark.slow  # `dalil index` in a subprocess
def test_index_then_search_end_to_end(tmp_path: Path, corpus: Path) -> None:
    index = tmp_path / "idx"
    built = dalil("index", corpus, "--index", index, "--encoders", "hash-test", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    found = dalil("search", "water security", "--index", index, "--json", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits and hits[0]["id"] == "water"
    assert "water" in hits[0]["snippets"][0]["text"].lower()
    assert {"title", "date", "source", "language", "score", "snippets"} <= set(hits[0])
    text = dalil("search", "steel tariffs", "--index", index, "--mode", "keyword", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "  1. " in text.stdout and "trade" in text.stdout
    bad = dalil("search", "x", "--index", index, "-k", "0", cwd=tmp_path)
    assert bad.returncode == 2 and "dalil search: error: -k: must be an integer" in bad.stderr


@pytest.mark.slow  # `dalil index` in a subprocess
def test_search_queries_file(tmp_path: Path, corpus: Path) -> None:
    index = tmp_path / "idx"
    built = dalil("index", corpus, "--index", index, "--encoders", "hash-test", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"id": "q1", "query": "water security"}\n{"id": "q2", "query": "steel"}\n',
        encoding="utf-8",
    )
    result = dalil("search", "--queries", queries, "--index", index, "-k", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2"]
    assert lines[0]["results"][0]["id"] == "water"
