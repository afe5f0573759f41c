"""Every paragraph's release and every release's facet columns, read from SQLite in one pass
and held as arrays: what a query with thousands of matches needs of them (keyword mode lists
every match of a common word), without one SQL lookup per match. A searcher keeps one per
index version and reads it again after a write."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dalil.indexer.store.docstore import DocStore

NO_RELEASE = -1  # in ``release_at``: no paragraph has this id (never had, or deleted)


@dataclass(frozen=True)
class ReleaseTable:
    """``ids``: every release id, sorted;
    ``release_at[paragraph id]``: the position of its release, :data:`NO_RELEASE` for none;
    ``sources`` … ``dates``: each release's column, by position (None when unset)."""

    ids: tuple[str, ...]
    release_at: np.ndarray
    sources: tuple[str | None, ...]
    languages: tuple[str | None, ...]
    categories: tuple[str | None, ...]
    dates: tuple[str | None, ...]

    @classmethod
    def read(cls, docs: DocStore) -> ReleaseTable:
        # one row per release with its paragraph ids joined (SQLite builds a Python object
        # per row fetched: a row per paragraph would take twice as long)
        rows = docs.select(
            "SELECT r.id, r.source, r.language, r.category, r.date,"
            " (SELECT group_concat(p.id) FROM paragraphs p WHERE p.release_id = r.id)"
            " FROM releases r ORDER BY r.id"
        )
        counts = np.array([r[5].count(",") + 1 if r[5] else 0 for r in rows], dtype=np.int64)
        joined = ",".join(r[5] for r in rows if r[5])
        pids = np.array(joined.split(",") if joined else [], dtype=np.int64)
        release_at = np.full(int(pids.max(initial=-1)) + 1, NO_RELEASE, dtype=np.int32)
        release_at[pids] = np.repeat(np.arange(len(rows), dtype=np.int32), counts)

        def column(i: int) -> tuple[str | None, ...]:
            return tuple(None if r[i] is None else str(r[i]) for r in rows)

        ids = tuple(str(r[0]) for r in rows)
        return cls(ids, release_at, column(1), column(2), column(3), column(4))

    @cached_property
    def position(self) -> dict[str, int]:
        """Release id -> its position."""
        return {rid: i for i, rid in enumerate(self.ids)}

    def positions_of(self, paragraph_ids: Sequence[int]) -> np.ndarray:
        """The release position of each paragraph id (:data:`NO_RELEASE` for unknown ids)."""
        pids = np.asarray(paragraph_ids, dtype=np.int64)
        out = np.full(len(pids), NO_RELEASE, dtype=np.int32)
        known = (pids >= 0) & (pids < len(self.release_at))
        out[known] = self.release_at[pids[known]]
        return out

    def release_of(self, paragraph_ids: Sequence[int]) -> dict[int, str]:
        """Paragraph id -> its release's id (unknown ids are left out)."""
        at = self.positions_of(paragraph_ids).tolist()
        ids = self.ids
        return {pid: ids[i] for pid, i in zip(paragraph_ids, at, strict=True) if i != NO_RELEASE}

    def positions(self, release_ids: Iterable[str]) -> list[int]:
        """The positions of the given (distinct) release ids that exist, ascending."""
        position = self.position
        return sorted({position[r] for r in release_ids if r in position})


__all__ = ["NO_RELEASE", "ReleaseTable"]
