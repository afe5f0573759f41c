"""Incremental indexing end to end on real SQLite / Whoosh / FAISS with the fake encoder."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from dalil.indexer.build.generation import index_sources
from dalil.indexer.build.pipeline import (
    apply_releases,
    delete_releases,
    embedding_text,
    encode_texts,
)
from dalil.indexer.encoders.embedding import load_encoder, load_encoders
from dalil.indexer.errors import IndexMismatchError
from dalil.indexer.models import Release
from dalil.indexer.settings import Settings, load_settings
from dalil.indexer.store import keyword_store
from dalil.indexer.store.index import Index
from dalil.indexer.store.keyword_fields import KeywordWriter

ALPHA = """Alpha ministry signs a trade agreement

The ministry of trade signed an agreement with its partners on Monday, covering tariffs on
steel and aluminium for the next three years.

The agreement follows two years of negotiations between the delegations.
"""

BETA = """---
title: Beta council meets on water security
date: 2019-03-04
source: council
language: en
---

The council met to discuss water security in the region and agreed on a shared plan.

Members also reviewed the budget for desalination plants along the coast.
"""

ARABIC = (
    "اجتمع وكيل وزارة الخارجية مع الأمين العام لحلف شمال الأطلسي على هامش احتفالات مبادرة "
    "إسطنبول للتعاون.\n\nوأكد حرص مملكة البحرين على تعزيز علاقاتها مع الحلف في إطار المبادرة."
)


class CountingEncoder:
    """Wraps an encoder and counts the texts it was asked to encode."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.passages = 0

    def encode_passages(self, texts):
        self.passages += len(texts)
        return self.inner.encode_passages(texts)

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)


@pytest.fixture
def encoder() -> CountingEncoder:
    return CountingEncoder(load_encoder("hash-test", threads=1))


def jsonl_record(rid: str, title: str, *paragraphs: str, **fields: str) -> str:
    return json.dumps({"id": rid, "title": title, "text": "\n".join(paragraphs), **fields})


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    (root / "beta.md").write_text(BETA, encoding="utf-8")
    (root / "news.jsonl").write_text(
        jsonl_record(
            "n1",
            "Ministry welcomes NATO delegation",
            "The delegation discussed the Istanbul Cooperation Initiative with the ministry.",
            "Both sides praised fifteen years of cooperation in security and training.",
            date="2019-12-10",
            source="mofa",
            language="en",
        )
        + "\n"
        + jsonl_record("n2", "البحرين والناتو", ARABIC, source="mofa", language="ar")
        + "\n",
        encoding="utf-8",
    )
    return root


def make_settings(tmp_path: Path, **overrides) -> Settings:
    return load_settings(index=tmp_path / "index", encoders="hash-test", threads=1, **overrides)


def run(settings: Settings, encoder, *sources: Path, **kwargs):
    return index_sources(
        settings, list(sources), encoders={encoder.name: encoder}, progress=False, **kwargs
    )


def assert_parts_agree(index: Index, expected_paragraphs: int) -> None:
    ids = set(index.docs.paragraph_ids().tolist())
    assert len(ids) == expected_paragraphs
    assert index.keywords.ids() == ids
    for store in index.vectors.values():
        assert set(store.ids().tolist()) == ids
    assert index.compare_parts() == []
    assert index.verify() == []


def test_first_then_unchanged_run(tmp_path: Path, corpus: Path, encoder) -> None:
    settings = make_settings(tmp_path)
    first = run(settings, encoder, corpus)
    assert (first.added, first.updated, first.unchanged, first.failed) == (4, 0, 0, 0)
    assert first.paragraphs_embedded == encoder.passages > 0
    assert first.seconds > 0 and first.paragraphs_per_second > 0
    for stage in ("read", "split", "encode:hash-test", "write_sqlite", "write_whoosh"):
        assert stage in first.stage_seconds
    assert "write_faiss" in first.stage_seconds
    assert first.summary().startswith("added 4, updated 0, unchanged 0, failed 0 — ")

    with Index.open(settings.index, ["hash-test"]) as index:
        releases, paragraphs = index.docs.counts()
        assert releases == 4 and paragraphs == first.paragraphs_embedded
        assert_parts_agree(index, paragraphs)
        assert (index.manifest.releases, index.manifest.paragraphs) == (4, paragraphs)
        beta = index.docs.get_release("beta")
        assert (beta.title, beta.date, beta.source) == (
            "Beta council meets on water security",
            "2019-03-04",
            "council",
        )

    encoder.passages = 0
    second = run(settings, encoder, corpus)
    assert (second.added, second.updated, second.unchanged, second.failed) == (0, 0, 4, 0)
    assert second.paragraphs_embedded == 0
    assert encoder.passages == 0  # nothing re-split or re-embedded


def test_changed_and_new_files(tmp_path: Path, corpus: Path, encoder) -> None:
    settings = make_settings(tmp_path)
    run(settings, encoder, corpus)
    with Index.open(settings.index) as index:
        old_ids = {p.id for p in index.docs.get_release("alpha").paragraphs}
        beta_ids = {p.id for p in index.docs.get_release("beta").paragraphs}

    (corpus / "alpha.txt").write_text(
        ALPHA.replace("three years", "five years") + "\nA new closing paragraph was added.\n",
        encoding="utf-8",
    )
    (corpus / "gamma.txt").write_text(
        "Gamma agency opens an office\n\nThe agency opened a regional office in Manama.\n",
        encoding="utf-8",
    )
    encoder.passages = 0
    report = run(settings, encoder, corpus)
    assert (report.added, report.updated, report.unchanged, report.failed) == (1, 1, 3, 0)
    assert encoder.passages == report.paragraphs_embedded

    with Index.open(settings.index) as index:
        alpha = index.docs.get_release("alpha")
        assert "five years" in alpha.text
        new_ids = {p.id for p in alpha.paragraphs}
        assert not new_ids & old_ids
        everywhere = set(index.docs.paragraph_ids().tolist())
        assert not old_ids & everywhere
        assert not old_ids & index.keywords.ids()
        assert not old_ids & set(index.vectors["hash-test"].ids().tolist())
        assert beta_ids <= everywhere  # unchanged release kept its ids
        assert_parts_agree(index, len(everywhere))
        found = [pid for pid, _ in index.keywords.search("five years", 5)]
        assert found and found[0] in new_ids


def test_bad_files_fail_and_the_rest_is_indexed(tmp_path: Path, corpus: Path, encoder) -> None:
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "broken.jsonl").write_text(
        jsonl_record("ok1", "A fine record", "This record is fine and long enough to index.")
        + "\n{not json at all\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path)
    report = run(settings, encoder, corpus)
    assert report.added == 5  # 4 good releases + the good line of broken.jsonl
    assert report.failed == 3
    origins = " ".join(f.origin for f in report.failures)
    assert "empty.txt" in origins and "binary.txt" in origins and "broken.jsonl" in origins
    with Index.open(settings.index) as index:
        assert index.docs.counts()[0] == 5


def test_duplicate_id_in_sources_is_reported(tmp_path: Path, encoder) -> None:
    """The readers turn a release id met again into a failure (the first one is kept)."""
    root = tmp_path / "dups"
    root.mkdir()
    (root / "feed.jsonl").write_text(
        jsonl_record("same", "First version", "The first version of this release text.")
        + "\n"
        + jsonl_record("same", "Second version", "The second version of this release text.")
        + "\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path)
    report = run(settings, encoder, root)
    assert (report.added, report.failed) == (1, 1)
    assert "duplicate" in report.failures[0].reason


def _release(rid: str, title: str, text: str) -> Release:
    return Release(id=rid, title=title, paragraphs=(text,), origin=f"{rid}-{title}")


def test_duplicate_id_later_wins_across_commits(
    tmp_path: Path, encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release id met twice in one run (within a commit or across commits): the later one
    wins and the id is reported, not silently dropped."""
    releases = [_release(f"r{i}", f"Release {i}", f"Text of release number {i}.") for i in range(5)]
    releases.insert(1, _release("r0", "Release 0 again", "A later text for release zero."))
    releases.append(_release("r1", "Release 1 again", "A later text for release one."))
    monkeypatch.setattr(
        "dalil.indexer.build.generation.read_sources", lambda paths, **_: iter(releases)
    )
    settings = make_settings(tmp_path)
    report = run(settings, encoder, tmp_path, commit_releases=2)
    assert (report.added, report.updated, report.failed) == (5, 0, 0)
    assert report.duplicates == ("r0", "r1")
    assert "2 release id(s) seen more than once" in report.summary()
    with Index.open(settings.index) as index:
        assert index.docs.get_release("r0").title == "Release 0 again"
        assert index.docs.get_release("r1").title == "Release 1 again"
        assert_parts_agree(index, 5)


def test_gzipped_jsonl_and_commit_chunks(tmp_path: Path, encoder) -> None:
    root = tmp_path / "gz"
    root.mkdir()
    records = [
        jsonl_record(f"g{i}", f"Release {i}", f"Paragraph one of release {i}.", "Paragraph two.")
        for i in range(7)
    ]
    with gzip.open(root / "feed.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write("\n".join(records) + "\n")
    settings = make_settings(tmp_path)
    report = run(settings, encoder, root, commit_releases=3)
    assert report.added == 7
    with Index.open(settings.index) as index:
        assert_parts_agree(index, index.docs.counts()[1])


def test_existing_index_keeps_its_encoders(tmp_path: Path, corpus: Path, encoder) -> None:
    settings = make_settings(tmp_path)
    run(settings, encoder, corpus)
    with pytest.raises(IndexMismatchError, match="hash-test") as err:
        index_sources(
            load_settings(index=settings.index, encoders="e5-small", threads=1),
            [corpus],
            progress=False,
        )
    assert "--rebuild" in str(err.value)


def test_rebuild_swaps_in_a_fresh_index(tmp_path: Path, corpus: Path, encoder) -> None:
    settings = make_settings(tmp_path)
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "README.md").write_text("keep me", encoding="utf-8")
    run(settings, encoder, corpus)
    only = tmp_path / "only"
    only.mkdir()
    (only / "alpha.txt").write_text(ALPHA, encoding="utf-8")
    report = run(settings, encoder, only, rebuild=True)
    assert report.added == 1
    with Index.open(settings.index) as index:
        assert index.docs.counts()[0] == 1
        assert_parts_agree(index, index.docs.counts()[1])
    assert (tmp_path / "index" / "README.md").read_text(encoding="utf-8") == "keep me"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".index")]
    assert leftovers == []


def test_upsert_and_delete(tmp_path: Path, corpus: Path, encoder) -> None:
    settings = make_settings(tmp_path)
    run(settings, encoder, corpus)
    index = Index.open(settings.index, ["hash-test"])
    try:
        new = Release(
            id="api-1",
            title="Posted through the API",
            paragraphs=("A release posted through the web API, long enough to stand alone.",),
            origin="api",
            language="en",
        )
        report = apply_releases(index, {"hash-test": encoder}, settings, [new])
        assert report.added == 1
        again = apply_releases(index, {"hash-test": encoder}, settings, [new])
        assert again.unchanged == 1 and again.paragraphs_embedded == 0
        ids = {p.id for p in index.docs.get_release("api-1").paragraphs}
        assert ids <= index.keywords.ids()

        assert delete_releases(index, ["api-1", "alpha", "no-such-release"]) == 2
        assert not ids & index.keywords.ids()
        assert not ids & set(index.vectors["hash-test"].ids().tolist())
        assert index.manifest.releases == 3
        assert index.verify() == []
    finally:
        index.close()
    with Index.open(settings.index) as reopened:
        assert reopened.docs.counts()[0] == 3


def test_a_run_merges_a_keyword_index_left_in_many_segments(
    tmp_path: Path, corpus: Path, encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    run(settings, encoder, corpus)
    index = Index.open(settings.index, ["hash-test"])
    try:
        store = index.keywords
        paragraphs = list(index.docs.paragraphs(sorted(store.ids())).values())
        # the state a bulk load leaves: the same paragraphs, in segments Whoosh keeps apart
        with store.writer() as w:
            w.delete_ids(p.id for p in paragraphs)
        for n in range(3):
            with store._ix.writer() as w:
                w.merge = False
                KeywordWriter(w).add(paragraphs[n::3])
        # the run's own commit merges small segments as Whoosh does, never all of them
        monkeypatch.setattr(keyword_store, "MAX_SEGMENTS", 1)
        new = Release(
            id="late",
            title="A late release",
            paragraphs=("The ministry published one more agreement on water in the region.",),
            origin="api",
            language="en",
        )
        report = apply_releases(index, {"hash-test": encoder}, settings, [new])
        assert report.added == 1 and "merge_whoosh" in report.stage_seconds
        assert store.segments() == 1
        assert_parts_agree(index, len(paragraphs) + 1)
    finally:
        index.close()


def test_embedding_text_and_encode_texts(encoder) -> None:
    assert embedding_text("Title", 0, "Body") == "Title\nBody"
    assert embedding_text("Title", 1, "Body") == "Body"
    assert embedding_text("Title", 0, "Title and body") == "Title and body"
    vectors = encode_texts(encoder, [f"text {i}" for i in range(7)], batch_size=3)
    assert vectors.shape == (7, encoder.dim) and vectors.dtype == np.float32
    assert encode_texts(encoder, [], batch_size=3).shape == (0, encoder.dim)


@pytest.mark.slow
def test_founding_release_with_use_m3(tmp_path: Path, founding_release: Path) -> None:
    """The real multilingual encoder, end to end on the founding Arabic release."""
    encoders = load_encoders(["use-m3"], threads=1)
    settings = load_settings(index=tmp_path / "index", encoders="use-m3", threads=1)
    report = index_sources(settings, [founding_release], encoders=encoders, progress=False)
    assert (report.added, report.failed) == (1, 0)
    assert report.paragraphs_embedded >= 3
    with Index.open(settings.index, ["use-m3"]) as index:
        assert_parts_agree(index, report.paragraphs_embedded)
        release = index.docs.get_release("bahrain-nato-istanbul-initiative.ar")
        assert release.language == "ar"
        assert "ناتو" in release.text
        query = encoders["use-m3"].encode_queries(["NATO Istanbul Cooperation Initiative"])
        hits = index.vectors["use-m3"].search(query[0], 3)
        assert hits and {pid for pid, _ in hits} <= {p.id for p in release.paragraphs}
        assert hits[0][1] > 0.2
        keyword = index.keywords.search("حلف شمال الأطلسي", 3)
        assert keyword and keyword[0][0] in {p.id for p in release.paragraphs}
    again = index_sources(settings, [founding_release], encoders=encoders, progress=False)
    assert again.unchanged == 1 and again.paragraphs_embedded == 0
