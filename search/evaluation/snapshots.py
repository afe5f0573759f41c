"""Candidate snapshots for ranking experiments: what the retrievers return for each query of
a benchmark set (keyword list, each encoder's per-language lists, exact raw scores of every
candidate, language groups, releases), saved once so a fusion formula can be re-scored over
thousands of queries in seconds, without an index or encoders.

:func:`rank_snapshot` ranks one snapshot with the searcher's own first pass (the same
candidates and the same :func:`~search.ranking.build_scorer`), so a snapshot's figures are
the benchmark's as long as the searcher would not deepen its lists for a top 10.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dalil.indexer.encoders.coverage import query_language, readers
from dalil.search.engine import Searcher
from dalil.search.evaluation.sets import Relevant
from dalil.search.grouping import group_by_release
from dalil.search.models import Mode
from dalil.search.ranking import Scorer, build_scorer
from dalil.search.retrievers import DenseRetrieved, Retrieved, language_key

KEYWORD_POOL = 300  # keyword candidates kept (the searcher's first pass reads 100)
FIRST_PASS = 100


@dataclass(frozen=True)
class Snapshot:
    qid: str
    text: str
    relevant: Relevant
    keyword: Retrieved  # up to KEYWORD_POOL deep
    dense: Mapping[str, DenseRetrieved]
    raw: Mapping[str, Mapping[int, float]]  # encoder -> pid -> raw score, every candidate
    group_of: Mapping[int, str]
    release_of: Mapping[int, str]


def capture(
    searcher: Searcher,
    qid: str,
    text: str,
    relevant: Relevant,
    vectors: Mapping[str, np.ndarray],
    depth: int = FIRST_PASS,
) -> Snapshot:
    retr = searcher.retrievers
    known: dict = {}
    keyword = retr.keyword(text, KEYWORD_POOL, None)
    dense = {name: retr.dense(name, vector, depth, None, known) for name, vector in vectors.items()}
    ids = {d for d, _ in keyword.ranking}
    for d in dense.values():
        for ranking in d.groups.values():
            ids.update(p for p, _ in ranking)
    retr.paragraphs(ids, known)
    ids = {i for i in ids if i in known}
    raw = {}
    for name, d in dense.items():
        scores = {p: s for ranking in d.groups.values() for p, s in ranking}
        scores.update(retr.rescore(name, vectors[name], [i for i in ids if i not in scores]))
        raw[name] = scores
    return Snapshot(
        qid,
        text,
        relevant,
        keyword,
        dense,
        raw,
        {i: retr.group_key(known[i].language) for i in ids},
        {i: known[i].release_id for i in ids},
    )


ScorerFactory = Callable[..., Scorer]


def rank_snapshot(
    snap: Snapshot,
    mode: Mode,
    alpha: float | None = None,
    factory: ScorerFactory = build_scorer,
    k: int = 10,
) -> list[str]:
    """The top ``k`` releases of the searcher's first pass, scored by ``factory`` (called
    like :func:`~search.ranking.build_scorer`)."""
    kw_list = snap.keyword.ranking[:FIRST_PASS]
    exhausted = snap.keyword.exhausted and len(kw_list) == len(snap.keyword.ranking)
    keyword = Retrieved(kw_list, exhausted)
    # the encoders that read the query's language, as the searcher chooses them
    language = query_language(snap.dense, snap.text)
    able = readers(list(snap.dense), language)
    dense = {n: d for n, d in snap.dense.items() if n in able} if mode != "keyword" else {}
    ids = {d for d, _ in kw_list} if mode != "semantic" else set()
    for d in dense.values():
        for ranking in d.groups.values():
            ids.update(p for p, _ in ranking)
    raw = {name: {i: snap.raw[name][i] for i in ids if i in snap.raw[name]} for name in dense}
    scorer = factory(
        mode,
        alpha,
        keyword if mode != "semantic" else None,
        dense,
        raw,
        snap.group_of,
        None,
        language_key(language) if language else None,
    )
    fused = [
        (i, scorer.score(i, {n: r[i] for n, r in raw.items() if i in r}, snap.group_of[i]))
        for i in ids
    ]
    groups = group_by_release(fused, {i: snap.release_of[i] for i in ids})
    return [g.release_id for g in groups[:k]]


def save(path: Path, snaps: list[Snapshot]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        pickle.dump(snaps, handle, protocol=pickle.HIGHEST_PROTOCOL)


def load(path: Path) -> list[Snapshot]:
    with open(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301 - our own benchmark files
