"""Near-duplicate detection (MinHash/LSH from datasketch) and its storage: signatures and
clusters written on the write path, the migration of an index made before them, folding
in the searcher and "more like this" leaving copies out."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dalil.indexer.build.pipeline import apply_releases, delete_releases
from dalil.indexer.encoders.embedding import load_encoders
from dalil.indexer.models import Release
from dalil.indexer.settings import load_settings
from dalil.indexer.store import clusters
from dalil.indexer.store.index import Index
from dalil.indexer.text import near_duplicates as nd
from dalil.search.engine import Searcher
from dalil.search.models import Query

STORY = (
    "The ministry of water announced on Sunday a plan to build three desalination plants "
    "on the eastern coast, with a combined capacity of half a million cubic metres a day. "
    "Construction starts next spring and the first plant should open within two years, "
    "the minister told reporters at a press conference in the capital."
)
OTHER = (
    "The football federation confirmed that the national team will play two friendly "
    "matches in March against regional rivals before the qualifiers, and named a squad "
    "of twenty-six players including four newcomers from the domestic league."
)


def releases() -> list[Release]:
    return [
        Release(
            "a-wire", "Water plan", (STORY,), "t", source="Wire", language="en", date="2021-01-03"
        ),
        Release(
            "b-paper",
            "Desalination plants planned",
            (STORY + " Reporting by staff.",),
            "t",
            source="Paper",
            language="en",
            date="2021-01-04",
        ),
        Release(
            "c-sport", "Friendlies", (OTHER,), "t", source="Wire", language="en", date="2021-01-05"
        ),
    ]


def test_copies_cluster_and_other_stories_do_not() -> None:
    sigs = {r.id: nd.signature(nd.release_text(r.title, r.paragraphs)) for r in releases()}
    assert all(s is not None for s in sigs.values())
    found = nd.clusters({k: v for k, v in sigs.items() if v is not None})
    assert found == {"a-wire": "a-wire", "b-paper": "a-wire"}
    assert nd.signature("too short to tell") is None


def build(tmp_path: Path) -> tuple[Index, dict]:
    path = tmp_path / "index"
    settings = load_settings(index=path, encoders="hash-test", threads=1)
    encoders = load_encoders(["hash-test"], threads=1)
    index = Index.create(path, encoders)
    apply_releases(index, encoders, settings, releases())
    return index, encoders


def test_write_path_stores_clusters_and_searcher_folds(tmp_path: Path) -> None:
    index, encoders = build(tmp_path)
    try:
        assert clusters.cluster_of(index.docs, ["a-wire", "b-paper", "c-sport"]) == {
            "a-wire": "a-wire",
            "b-paper": "a-wire",
        }
        searcher = Searcher(index, encoders)
        resp = searcher.search(Query("desalination plants", mode="keyword"))
        assert len(resp.hits) == 1 and resp.total == 2 and resp.listed == 1
        hit = resp.hits[0]
        assert hit.cluster == "a-wire"
        assert [d.release_id for d in hit.duplicates] == [
            r for r in ("a-wire", "b-paper") if r != hit.release_id
        ]
        # more like this never offers a copy of the release itself
        similar = [h.release_id for h in searcher.similar("a-wire", k=5).hits]
        assert "b-paper" not in similar and "c-sport" in similar
        # deleting a copy dissolves the cluster
        delete_releases(index, ["b-paper"])
        assert clusters.cluster_of(index.docs, ["a-wire"]) == {}
    finally:
        index.close()


def test_an_index_made_before_clusters_is_searched_then_migrated(tmp_path: Path) -> None:
    index, encoders = build(tmp_path)
    db_path = index.docs.path
    index.close()
    db = sqlite3.connect(db_path)  # the release table as it was before the two columns
    db.execute("DROP INDEX IF EXISTS releases_cluster")
    db.execute("ALTER TABLE releases DROP COLUMN cluster")
    db.execute("ALTER TABLE releases DROP COLUMN minhash")
    db.commit()
    db.close()
    index = Index.open(tmp_path / "index", check=False)
    try:
        assert not clusters.has_clusters(index.docs)
        searcher = Searcher(index, encoders)
        old = searcher.search(Query("desalination plants", mode="keyword"))
        assert len(old.hits) == 2 and all(not h.duplicates for h in old.hits)
        assert clusters.refresh(index.docs) == 3 + 2  # three signed, two clustered
        assert clusters.refresh(index.docs) == 0  # nothing left to do
        new = searcher.search(Query("desalination plants", mode="keyword"))
        assert len(new.hits) == 1 and len(new.hits[0].duplicates) == 1
    finally:
        index.close()
