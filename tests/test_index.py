"""The on-disk index: create/open, encoder mismatch, corruption, missing index, writer lock,
repair after an interrupted commit."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from dalil.indexer.build.generation import index_sources
from dalil.indexer.encoders.embedding import load_encoder
from dalil.indexer.errors import (
    IndexCorruptError,
    IndexError_,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
)
from dalil.indexer.settings import load_settings
from dalil.indexer.store.index import Index, faiss_path
from dalil.indexer.store.layout import resolve


def write_corpus(root: Path) -> Path:
    root.mkdir()
    for name, title, body in (
        ("one", "Ministry hosts trade talks", "Trade ministers met to discuss tariffs and steel."),
        ("two", "Council reviews water plan", "The council reviewed the regional water plan."),
        ("three", "Agency opens an office", "The agency opened a new office in the capital."),
    ):
        (root / f"{name}.txt").write_text(
            f"{title}\n\n{body}\n\nA second paragraph about {name}, with more words in it.\n",
            encoding="utf-8",
        )
    return root


@pytest.fixture
def encoders():
    return {"hash-test": load_encoder("hash-test", threads=1)}


@pytest.fixture
def built(tmp_path: Path, encoders) -> Path:
    settings = load_settings(index=tmp_path / "index", encoders="hash-test", threads=1)
    index_sources(settings, [write_corpus(tmp_path / "src")], encoders=encoders, progress=False)
    return resolve(tmp_path / "index")  # the live generation's directory


def test_create_and_open_empty(tmp_path: Path, encoders) -> None:
    path = tmp_path / "idx"
    index = Index.create(path, encoders)
    index.close()
    for part in ("manifest.json", "docs.sqlite", "whoosh"):
        assert (path / part).exists()
    assert faiss_path(path, "hash-test") == path / "faiss" / "hash-test.faiss"
    assert faiss_path(path, "hash-test").is_file()
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["encoders"] == [{"name": "hash-test", "dim": encoders["hash-test"].dim}]
    with Index.open(path, ["hash-test"]) as index:
        assert index.docs.counts() == (0, 0)
        assert index.verify() == []
        assert set(index.vectors) == {"hash-test"}
    with pytest.raises(IndexError_, match="already exists"):
        Index.create(path, encoders)


def test_not_found(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="dalil index SOURCE"):
        Index.open(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFoundError):
        Index.open(tmp_path / "empty")


def test_other_encoders_mismatch(built: Path) -> None:
    with pytest.raises(IndexMismatchError) as err:
        Index.open(built, ["e5-small", "use-m3"])
    message = str(err.value)
    assert "hash-test" in message and "e5-small, use-m3" in message


def test_sound_index_opens(built: Path) -> None:
    with Index.open(built, ["hash-test"]) as index:
        assert index.docs.counts() == (3, index.keywords.count())
        assert index.verify() == []


def _one_paragraph_id(path: Path) -> int:
    with Index.open(path) as index:
        return int(index.docs.paragraph_ids()[0])


def test_corrupt_whoosh(built: Path) -> None:
    pid = _one_paragraph_id(built)
    with Index.open(built) as index, index.keywords.writer() as writer:
        writer.delete_ids([pid])
    with pytest.raises(IndexCorruptError, match=r"whoosh .*1 paragraph\(s\) missing"):
        Index.open(built)
    with Index.open(built, check=False) as index:
        assert any("whoosh" in p for p in index.verify())


def test_corrupt_faiss(built: Path) -> None:
    pid = _one_paragraph_id(built)
    with Index.open(built) as index:
        store = index.vectors["hash-test"]
        store.remove(np.asarray([pid], dtype=np.int64))
        store.save(faiss_path(built, "hash-test"))
    with pytest.raises(IndexCorruptError, match=r"faiss/hash-test .*1 paragraph\(s\) missing"):
        Index.open(built)


def test_corrupt_sqlite(built: Path) -> None:
    pid = _one_paragraph_id(built)
    db = sqlite3.connect(built / "docs.sqlite")
    with db:
        db.execute("DELETE FROM paragraphs WHERE id = ?", (pid,))
    db.close()
    with pytest.raises(IndexCorruptError, match=r"1 extra") as err:
        Index.open(built)
    assert "whoosh" in str(err.value) and "faiss/hash-test" in str(err.value)


def test_damaged_files(built: Path) -> None:
    faiss_path(built, "hash-test").write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError, match="FAISS"):
        Index.open(built)
    faiss_path(built, "hash-test").unlink()
    with pytest.raises(IndexCorruptError, match="no vectors"):
        Index.open(built)


def test_damaged_live_generation_is_refused_not_republished(
    tmp_path: Path, built: Path, encoders
) -> None:
    """Parts that disagree in the live generation (damage after publication): opening
    refuses, and the next write refuses to publish a copy of it; the live generation stays
    and `--rebuild` makes a sound one."""
    from dalil.indexer.models import Paragraph, Release
    from dalil.indexer.store.docstore import DocStore

    docs = DocStore.open(built / "docs.sqlite")
    release = Release(id="one", title="Changed", paragraphs=("New text.",), origin="one.txt")
    docs.replace_release(release, [Paragraph("one", 0, "New text about the ministry.")])
    docs.close()
    with pytest.raises(IndexCorruptError, match="missing") as err:
        Index.open(built)
    assert "extra" in str(err.value)

    root = built.parent
    settings = load_settings(index=root, encoders="hash-test", threads=1)
    with pytest.raises(IndexCorruptError, match="rebuild"):
        index_sources(settings, [tmp_path / "src"], encoders=encoders, progress=False)
    assert resolve(root) == built
    report = index_sources(
        settings, [tmp_path / "src"], encoders=encoders, progress=False, rebuild=True
    )
    assert report.added == 3
    with Index.open(root) as index:
        assert index.path != built and index.verify() == []


def test_stale_manifest_counts_are_reported(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    manifest["releases"] = 99
    (built / "manifest.json").write_text(json.dumps(manifest))
    with Index.open(built) as index:  # the parts agree: results are right, so it opens
        assert any("stale" in p for p in index.verify())


def test_writer_lock(built: Path) -> None:
    first = Index.open(built)
    second = Index.open(built)
    try:
        with first.writing():
            with first.writing():  # re-entrant for the holder
                pass
            with pytest.raises(IndexLockedError, match="another dalil process"), second.writing():
                pass
        with second.writing():  # free again
            pass
    finally:
        first.close()
        second.close()


def test_another_writer_publishes_a_new_generation(tmp_path: Path, built: Path, encoders) -> None:
    """A reader keeps its generation, unchanged, while another writer publishes the next;
    opening the root again gives the new one."""
    root = built.parent
    reader = Index.open(root)
    try:
        assert reader.path == built and reader.root == root
        before = reader.vectors["hash-test"].count
        extra = tmp_path / "more"
        extra.mkdir()
        (extra / "four.txt").write_text(
            "Fourth release\n\nA fourth release with its own text.\n", encoding="utf-8"
        )
        settings = load_settings(index=root, encoders="hash-test", threads=1)
        index_sources(settings, [extra], encoders=encoders, progress=False)
        assert reader.vectors["hash-test"].count == before and reader.compare_parts() == []
        with Index.open(root) as fresh:
            assert fresh.path != built
            assert fresh.vectors["hash-test"].count > before and fresh.compare_parts() == []
    finally:
        reader.close()
