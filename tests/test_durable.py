"""Durable writes: atomic replace, readable mode, no temp files left on failure."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest

from dalil.indexer.store.durable import atomic_write, atomic_write_text
from dalil.indexer.store.vector_store import VectorStore


def test_atomic_write_text_replaces_and_is_world_readable(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "CURRENT"
    atomic_write_text(target, "gen-000001\n")
    atomic_write_text(target, "gen-000002\n")
    assert target.read_text() == "gen-000002\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["CURRENT"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    atomic_write_text(target, "old")

    def broken(tmp: str) -> None:
        Path(tmp).write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_saved_faiss_file_is_readable_by_other_users(tmp_path: Path) -> None:
    store = VectorStore(4)
    store.add(np.array([1, 2], dtype=np.int64), np.eye(4, dtype=np.float32)[:2])
    path = tmp_path / "faiss" / "x.faiss"
    store.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert VectorStore.load(path).count == 2
