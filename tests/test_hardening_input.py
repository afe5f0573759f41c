"""Issue 16, input side: no bad record stops a run, exit codes mean what the README says,
dates and languages are taken only when valid, and the disk is checked before encoding.

Each reproducer of the issue is a case here, run through the real readers, pipeline and CLI
(the ``hash-test`` encoder keeps them fast).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dalil.indexer.build.generation import index_sources
from dalil.indexer.errors import DiskFullError
from dalil.indexer.generations import space
from dalil.indexer.models import ReadFailure, Release
from dalil.indexer.readers import read_sources
from dalil.indexer.readers.dates import normalize_date
from dalil.indexer.settings import load_settings
from dalil.indexer.store.index import Index
from dalil.web.cli.main import EXIT_INTERNAL, main

GOOD = "The ministry signed a trade agreement on steel tariffs with its partners today."


def good_line(rid: str) -> str:
    return json.dumps({"id": rid, "title": f"Release {rid}", "text": GOOD})


# The reproducers of defect 1, as raw JSONL lines (written as they would be in a file).
BAD_LINES = {
    "deep": '{"id": "deep", "title": "t", "text": "x", "meta": ' + "[" * 1000 + "]" * 1000 + "}",
    "bigint": '{"id": "bigint", "title": "t", "text": "x", "n": ' + "9" * 5000 + "}",
    "surrogate-title": '{"id": "s1", "title": "bad \\ud800 title", "text": "' + GOOD + '"}',
    "surrogate-text": '{"id": "s2", "title": "t", "text": "bad \\udfff text"}',
    "surrogate-meta": '{"id": "s3", "title": "t", "text": "' + GOOD + '", "tag": "\\ud83d"}',
    "nested-meta": '{"id": "n1", "title": "t", "text": "'
    + GOOD
    + '", "m": '
    + '{"a": ' * 300
    + "1"
    + "}" * 300
    + "}",
    "nan": '{"id": "nan", "title": "t", "text": "' + GOOD + '", "score": NaN}',
}


@pytest.fixture
def bad_feed(tmp_path: Path) -> Path:
    lines = [good_line("g1"), *BAD_LINES.values(), good_line("g2")]
    path = tmp_path / "feed" / "news.jsonl"
    path.parent.mkdir()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_bad_record_is_skipped_with_a_reason(bad_feed: Path) -> None:
    items = list(read_sources([bad_feed]))
    good = [i.id for i in items if isinstance(i, Release)]
    failures = {f.origin.rsplit(":", 1)[1]: f.reason for f in items if isinstance(f, ReadFailure)}
    assert good == ["g1", "g2"]
    assert len(failures) == len(BAD_LINES)
    reasons = list(failures.values())
    assert "nested too deeply" in reasons[0]
    assert "too many digits" in reasons[1]
    assert "lone surrogate U+D800" in reasons[2] and reasons[2].startswith("title")
    assert "lone surrogate U+DFFF" in reasons[3]
    assert "metadata.tag" in reasons[4]
    assert "nested deeper than" in reasons[5]
    assert "NaN" in reasons[6]
    assert all("\n" not in r and len(r) < 300 for r in reasons)


def test_a_json_document_nested_too_deep_is_one_failure(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    (failure,) = read_sources([path])
    assert isinstance(failure, ReadFailure) and "nested too deeply" in failure.reason


def test_the_run_goes_on_and_publishes_the_good_releases(bad_feed: Path, tmp_path: Path) -> None:
    settings = load_settings(index=tmp_path / "index", encoders="hash-test", threads=1)
    seen: list[ReadFailure] = []
    report = index_sources(settings, [bad_feed], progress=False, on_failure=seen.append)
    assert report.added == 2 and report.failed == len(BAD_LINES)
    assert seen == list(report.failures)  # told as they happened
    with Index.open(settings.index, ["hash-test"]) as index:
        assert index.docs.has_release("g1") and index.docs.has_release("g2")


def cli(*args: str | Path, cwd: Path, env: dict[str, str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DALIL_")}
    clean.update({"DALIL_CONFIG": str(cwd / "none.toml"), "PYTHONIOENCODING": "utf-8"})
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dalil.web.cli.main", *map(str, args)],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_exits_1_with_live_skip_lines_and_a_summary(bad_feed: Path, tmp_path: Path) -> None:
    done = cli("index", bad_feed, "--encoders", "hash-test", "--no-progress", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == len(BAD_LINES)
    assert "Traceback" not in done.stderr
    assert "added 2," in done.stdout and f"failed {len(BAD_LINES)}" in done.stdout


def test_an_unexpected_error_is_one_line_and_never_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("dalil.indexer.index_sources", broken, raising=False)  # the face
    status = main(["index", str(tmp_path), "--index", str(tmp_path / "ix")])
    err = capsys.readouterr().err
    assert status == EXIT_INTERNAL
    assert "dalil: internal error (RuntimeError): a bug" in err and "Traceback" not in err


def test_a_full_disk_is_refused_before_encoding_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "a.jsonl"
    feed.write_text(good_line("g1") + "\n", encoding="utf-8")
    encoded: list[int] = []
    monkeypatch.setattr(space, "free_bytes", lambda path: 1000)
    monkeypatch.setattr(
        "dalil.indexer.build.pipeline.encode_texts",
        lambda *a, **k: encoded.append(1),  # must never be reached
    )
    # --no-progress: off a terminal progress prints a line per stage (to do, embedding ...)
    argv = ["index", str(feed), "--index", str(tmp_path / "ix"), "--encoders", "hash-test"]
    status = main([*argv, "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and not encoded, err
    assert len(err) == 1 and err[0].startswith("dalil: error: not enough disk space")
    assert not (tmp_path / "ix" / "CURRENT").exists()


def test_disk_full_is_recognised_in_every_form() -> None:
    import errno
    import sqlite3

    assert space.disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert space.disk_full(sqlite3.OperationalError("database or disk is full"))
    wrapped = RuntimeError("write failed")
    wrapped.__cause__ = OSError(errno.ENOSPC, "No space left on device")
    assert space.disk_full(wrapped)
    assert space.disk_full(DiskFullError("x")) == "x"
    assert space.disk_full(ValueError("other")) is None


# -- dates and languages (defect 7) --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("99999-01-01", None),
        ("12019-05-06", None),
        ("released 2018-02-18 in Manama", None),
        ("ref 18/02/2018-bis", None),
        ("1850-01-01", None),
        ("2018-02-18", "2018-02-18"),
        ("Sunday, 18 February 2018 10:30", "2018-02-18"),
    ],
)
def test_only_whole_plausible_dates(raw: str, expected: str | None) -> None:
    assert normalize_date(raw) == expected


def test_a_refused_date_and_language_are_kept_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    record = {"id": "a", "text": GOOD, "date": "99999-01-01", "language": "<script>"}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (release,) = read_sources([path])
    assert isinstance(release, Release)
    assert release.date is None and release.metadata["date_raw"] == "99999-01-01"
    assert (
        "year 99999" in release.metadata["date_note"]
        or "not a whole date" in (release.metadata["date_note"])
    )
    assert release.language == "en" and release.metadata["language_raw"] == "<script>"


def test_the_year_range_is_a_setting(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "a", "text": GOOD, "date": "1850-03-01"}) + "\n")
    (old,) = read_sources([path], years=(1800, 2100))
    assert isinstance(old, Release) and old.date == "1850-03-01"
    settings = load_settings(index=tmp_path / "i", date_min_year=1800)
    assert settings.years == (1800, 2100)


# -- legacy encodings (defect 6) -----------------------------------------------------------

ARABIC = (
    "وزير الخارجية يستقبل وفد حلف الناتو\n\n"
    "استقبل وزير الخارجية اليوم وفدا من حلف شمال الأطلسي وبحث معه أمن الطاقة في المنطقة."
)


@pytest.mark.parametrize("encoding", ["cp1256", "iso8859_6", "cp720"])
def test_legacy_arabic_text_is_detected_and_decoded(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "release.txt"
    path.write_bytes(ARABIC.encode(encoding))
    (release,) = read_sources([path])
    assert isinstance(release, Release), release
    assert release.title == "وزير الخارجية يستقبل وفد حلف الناتو"
    assert release.language == "ar"


def test_html_without_a_charset_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    html = f"<html><body><h1>بيان صحفي</h1><p>{ARABIC.splitlines()[-1]}</p></body></html>"
    path.write_bytes(html.encode("cp1256"))
    (release,) = read_sources([path])
    assert isinstance(release, Release), release
    assert release.title == "بيان صحفي"


def test_cli_names_the_detected_encoding_with_v(tmp_path: Path) -> None:
    path = tmp_path / "release.txt"
    path.write_bytes(ARABIC.encode("cp1256"))
    done = cli("index", path, "--encoders", "hash-test", "--no-progress", "-v", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"note: {path}: not UTF-8; decoded as windows-1256 (detected)" in done.stderr


def test_undecodable_bytes_still_get_a_clear_reason(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(bytes(range(128, 256)) * 20)
    (failure,) = read_sources([path])
    assert isinstance(failure, ReadFailure)
    assert "no legacy Arabic encoding fits" in failure.reason
    assert "save the file as UTF-8" in failure.reason
