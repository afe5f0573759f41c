"""Generations, publication, verification, the embedding cache and `dalil reindex` in process
(hash-test encoder). Real processes: tests/test_reindex_processes.py."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from reindex_fixtures import feed_records, release, settings_for, write_config, write_feed

from dalil.indexer.build.generation import index_sources
from dalil.indexer.build.reindex import reindex
from dalil.indexer.build.runs import last_runs
from dalil.indexer.build.schedule import parse_duration
from dalil.indexer.errors import IndexCorruptError, IndexLockedError, SettingsError
from dalil.indexer.generations.publish import migrate_legacy, publish_next, writer_lock
from dalil.indexer.generations.verify import verify_dir
from dalil.indexer.settings import load_settings
from dalil.indexer.store import layout as gens
from dalil.indexer.store.index import Index
from dalil.search.engine import Searcher


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_feed(tmp_path / "feed" / "a.jsonl", feed_records())
    write_config(tmp_path)
    return tmp_path


def ids_in(root: Path) -> set[str]:
    with Index.open(root / "index") as index:
        return set(index.docs.release_hashes())


def test_first_run_then_unchanged_makes_no_generation(root: Path) -> None:
    settings = settings_for(root)
    first = reindex(settings)
    assert (first.status, first.added, first.generation) == ("published", 5, "gen-000001")
    live = gens.resolve(root / "index")
    assert live.name == "gen-000001" and verify_dir(live) == []
    with Index.open(root / "index") as index:
        assert index.docs.get_release("r-trade").source == "Test Office"  # the default
    again = reindex(settings)
    assert (again.status, again.unchanged, again.generation) == ("unchanged", 5, None)
    assert set(again.stage_seconds) == {"probe"}  # no copy, no encoder, no write
    assert gens.generations(root / "index") == [1]
    runs = last_runs(root / "index")
    assert [r.status for r in runs] == ["unchanged", "published"]


def test_changes_add_update_delete_and_reuse_vectors(root: Path) -> None:
    settings = settings_for(root)
    reindex(settings)
    records = feed_records()
    records[0]["text"] += "\nA new closing paragraph about the trade deal was added today."
    del records[1]  # r-water disappears
    records.append(release("r-roads", "roads", "The transport ministry paved new roads."))
    write_feed(root / "feed" / "a.jsonl", records)
    run = reindex(settings)
    assert (run.added, run.updated, run.deleted, run.unchanged) == (1, 1, 1, 3)
    assert run.paragraphs_reused >= 1  # r-trade's unchanged paragraphs were not re-embedded
    assert run.generation == "gen-000002" and gens.current_name(root / "index") == "gen-000002"
    assert ids_in(root) == {"r-trade", "r-health", "r-energy", "r-schools", "r-roads"}
    assert verify_dir(gens.resolve(root / "index")) == []
    for key in ("probe", "copy", "read", "write_sqlite", "verify", "switch"):
        assert key in run.stage_seconds


def test_reused_vectors_equal_fresh_ones(root: Path) -> None:
    settings = settings_for(root)
    reindex(settings)
    records = feed_records()
    records[2]["title"] = "A new title"  # position 0 re-embedded (title prefix), rest reused
    write_feed(root / "feed" / "a.jsonl", records)
    run = reindex(settings)
    assert run.updated == 1 and run.paragraphs_reused > 0
    fresh = root / "fresh"
    shutil.copytree(root / "feed", fresh / "feed")
    reindex(settings_for(fresh))
    with Index.open(root / "index") as a, Index.open(fresh / "index") as b:
        ra, rb = a.docs.get_release("r-health"), b.docs.get_release("r-health")
        va = a.vectors["hash-test"].reconstruct([p.id for p in ra.paragraphs])
        vb = b.vectors["hash-test"].reconstruct([p.id for p in rb.paragraphs])
        assert va.tolist() == vb.tolist()


def test_unreadable_source_deletes_nothing(root: Path) -> None:
    settings = settings_for(root)
    reindex(settings)
    shutil.rmtree(root / "feed")
    run = reindex(settings)
    assert run.deleted == 0 and run.failed == 1 and run.status == "unchanged"
    assert len(ids_in(root)) == 5


def test_keep_generations_and_leftovers(root: Path) -> None:
    settings = settings_for(root, keep_generations=2)
    reindex(settings)
    for n in range(3):
        records = feed_records() + [release(f"extra-{n}", "extra", f"Extra release {n}.")]
        write_feed(root / "feed" / "a.jsonl", records)
        reindex(settings)
    index_root = root / "index"
    assert gens.generations(index_root) == [3, 4] and gens.current_name(index_root) == "gen-000004"
    (index_root / ".staging-gen-000009").mkdir()
    (index_root / "gen-000007").mkdir()
    write_feed(root / "feed" / "a.jsonl", feed_records())
    assert reindex(settings).generation == "gen-000005"  # leftovers removed, numbers go on
    assert not (index_root / ".staging-gen-000009").exists()
    assert not (index_root / "gen-000007").exists()


@pytest.mark.parametrize("opener", ["searcher", "write"])
def test_legacy_root_is_migrated_once_on_open(tmp_path: Path, root: Path, opener: str) -> None:
    """An index in the layout before generations becomes gen-000001 the first time dalil
    opens it (to search or to write); a write then publishes gen-000002 as usual."""
    legacy = tmp_path / "legacy"
    Index.create(legacy, {"hash-test": _encoder()}).close()
    (legacy / "README.txt").write_text("keep me", encoding="utf-8")
    settings = load_settings(index=legacy, encoders="hash-test", threads=1)
    if opener == "searcher":
        Searcher.open(settings).close()
        assert gens.current_name(legacy) == "gen-000001"
    index_sources(settings, [root / "feed"], progress=False)
    assert gens.current_name(legacy) == "gen-000002"
    assert (legacy / "gen-000001" / "manifest.json").is_file()
    assert not (legacy / "manifest.json").exists() and not (legacy / "docs.sqlite").exists()
    assert (legacy / "README.txt").read_text(encoding="utf-8") == "keep me"
    with Index.open(legacy) as index:
        assert index.manifest.releases == 5 and index.verify() == []
    assert migrate_legacy(legacy) is False  # once


def test_refuses_to_publish_a_generation_that_fails_verification(root: Path) -> None:
    reindex(settings_for(root))
    index_root = root / "index"

    def bad_build(staging: Path, live: Path | None) -> int:
        with Index.open(staging, check=False) as index:
            store = index.vectors["hash-test"]
            store.remove(store.ids()[:1])
            store.save(staging / "faiss" / "hash-test.faiss")
        return 1

    with pytest.raises(IndexCorruptError, match="refusing to publish"):
        publish_next(index_root, bad_build)
    assert gens.current_name(index_root) == "gen-000001"
    assert [p.name for p in index_root.iterdir() if p.name.startswith(".staging")] == []


def test_verify_finds_damaged_files(root: Path) -> None:
    from dalil.web.cli.main import main

    reindex(settings_for(root))
    live = gens.resolve(root / "index")
    assert main(["verify", "--index", str(root / "index")]) == 0
    segment = max((live / "whoosh").glob("*.seg"), key=lambda p: p.stat().st_size)
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0xFF
    segment.write_bytes(bytes(data))
    problems = verify_dir(live)
    assert any("SHA-256" in p and segment.name in p for p in problems)
    assert main(["verify", "--index", str(root / "index")]) == 1
    assert main(["verify", "--index", str(root / "nothing")]) == 2


def test_writer_lock_refuses_a_second_run(root: Path) -> None:
    settings = settings_for(root)
    with writer_lock(root / "index"), pytest.raises(IndexLockedError, match="another dalil"):
        reindex(settings)
    assert last_runs(root / "index", 1)[0].status == "locked"


def test_no_sources_and_bad_source_tables(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(SettingsError, match=r"no sources configured"):
        reindex(load_settings(index=tmp_path / "i", encoders="hash-test", threads=1))
    config = tmp_path / "dalil.toml"
    config.write_text('[[sources]]\npath = "x"\ndelete_mising = true\n', encoding="utf-8")
    monkeypatch.setenv("DALIL_CONFIG", str(config))
    with pytest.raises(SettingsError, match=r"\[\[sources\]\] table #1 .*delete_mising"):
        load_settings()


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), ("1d", 86400), ("90s", 90)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15 minutes", "-5m", "0s", "1w", "5", "90"])
def test_parse_duration_errors(text: str) -> None:
    with pytest.raises(SettingsError, match="duration"):
        parse_duration(text)


def test_app_swaps_generations_and_shows_runs(root: Path) -> None:
    """In-flight requests finish on the old searcher; the next ones see the new generation;
    /api/stats shows the generation and the last runs."""
    from dalil.web.server.app import create_app

    settings = settings_for(root, api_key="k")
    reindex(settings)
    app = create_app(settings)
    with TestClient(app) as client:
        holder = app.state.holder
        holder.interval = 0.0
        stats = client.get("/api/stats").json()
        assert stats["generation"] == "gen-000001" and stats["runs"][0]["status"] == "published"
        with holder.lease() as old:  # a request in flight
            write_feed(root / "feed" / "b.jsonl", [release("r-ports", "ports", "New ports open.")])
            assert reindex(settings).generation == "gen-000002"
            hit = client.get("/api/search", params={"q": "ports", "mode": "keyword"}).json()
            assert hit["results"][0]["id"] == "r-ports"
            assert old.index.docs.counts()[0] == 5  # still open, still its generation
        post = client.post(
            "/api/documents",
            json={"id": "api-1", "title": "Posted", "text": "Posted through the API."},
            headers={"X-API-Key": "k"},
        )
        assert post.status_code == 201
        stats = client.get("/api/stats").json()
        assert stats["generation"] == "gen-000003" and stats["releases"] == 7
        assert client.delete("/api/documents/api-1", headers={"X-API-Key": "k"}).status_code == 200
        assert client.get("/api/documents/api-1").status_code == 404
    assert verify_dir(gens.resolve(root / "index")) == []


def test_runs_log_is_jsonl(root: Path) -> None:
    reindex(settings_for(root))
    lines = (root / "index" / "runs.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[-1])
    assert record["status"] == "published" and record["added"] == 5
    assert isinstance(record["stage_seconds"], dict)


def test_server_reindexes_in_background(root: Path) -> None:
    from dalil.web.server.app import create_app

    settings = settings_for(root)
    app = create_app(settings, reindex_every=3600)  # the first run starts at once
    with TestClient(app) as client:
        done = threading.Event()
        for _ in range(200):
            if client.get("/api/health").json()["index_loaded"]:
                done.set()
                break
            threading.Event().wait(0.05)
        assert done.is_set()
        assert client.get("/api/stats").json()["runs"][0]["trigger"] == "serve"


def _encoder():
    from dalil.indexer.encoders.embedding import load_encoder

    return load_encoder("hash-test", threads=1)
