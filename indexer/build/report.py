"""What an indexing run did: counts, failures, time per stage, throughput."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

from dalil.indexer.models import ReadFailure
from dalil.indexer.build.pause import pause_point

ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"


@dataclass(frozen=True)
class IndexReport:
    """The outcome of :func:`indexer.pipeline.index_sources` (or an upsert / delete).

    Counts are over distinct release ids. ``duplicates`` are ids met more than once in the
    run (the later one won). ``repaired`` counts paragraph ids fixed in Whoosh / FAISS after
    an interrupted earlier run. ``stage_seconds`` keys: read, split, ``encode:<encoder>``,
    write_sqlite, write_whoosh, write_faiss (and load_encoders, repair when they ran).
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: tuple[ReadFailure, ...] = ()
    deleted: int = 0
    duplicates: tuple[str, ...] = ()
    repaired: int = 0
    paragraphs_embedded: int = 0
    paragraphs_reused: int = 0  # vectors taken from the index instead of being re-embedded
    seconds: float = 0.0
    stage_seconds: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage_seconds", MappingProxyType(dict(self.stage_seconds)))
        object.__setattr__(self, "failures", tuple(self.failures))
        object.__setattr__(self, "duplicates", tuple(self.duplicates))

    @property
    def paragraphs_per_second(self) -> float:
        return self.paragraphs_embedded / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line: ``added N, updated N, unchanged N, failed N — P paragraphs in S s (X
        paragraphs/s)`` plus deletions, duplicates and repairs when there were any."""
        line = (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"failed {self.failed} — {self.paragraphs_embedded} paragraphs in "
            f"{self.seconds:.1f} s ({self.paragraphs_per_second:.1f} paragraphs/s)"
        )
        extras = []
        if self.deleted:
            extras.append(f"deleted {self.deleted}")
        if self.duplicates:
            shown = ", ".join(self.duplicates[:5]) + (" …" if len(self.duplicates) > 5 else "")
            extras.append(
                f"{len(self.duplicates)} release id(s) seen more than once, the later one "
                f"kept: {shown}"
            )
        if self.repaired:
            extras.append(f"repaired {self.repaired} paragraph(s) left by an interrupted run")
        if self.paragraphs_reused:
            extras.append(f"{self.paragraphs_reused} unchanged paragraph(s) not re-embedded")
        return line + "".join(f"; {e}" for e in extras)

    def stages_line(self) -> str:
        return ", ".join(f"{name} {secs:.2f} s" for name, secs in self.stage_seconds.items())


class StageClock:
    """Accumulates wall time per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        pause_point(name)  # a no-op unless a test asks a run to stop here
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


class Outcomes:
    """Per-release outcome of a run, merged when an id comes back (``added`` sticks)."""

    def __init__(self) -> None:
        self.by_id: dict[str, str] = {}
        self.read_ids: set[str] = set()
        self.duplicates: list[str] = []
        self.failures: list[ReadFailure] = []
        self.paragraphs_embedded = 0
        self.paragraphs_reused = 0
        self.deleted = 0
        self.repaired = 0

    def seen(self, release_id: str) -> None:
        """Note a release id read from the sources; a second sighting is a duplicate."""
        if release_id not in self.read_ids:
            self.read_ids.add(release_id)
        elif release_id not in self.duplicates:
            self.duplicates.append(release_id)

    def record(self, release_id: str, outcome: str) -> None:
        previous = self.by_id.get(release_id)
        if previous == ADDED or (previous == UPDATED and outcome == UNCHANGED):
            return
        self.by_id[release_id] = outcome

    def report(self, clock: StageClock) -> IndexReport:
        counts = {ADDED: 0, UPDATED: 0, UNCHANGED: 0}
        for outcome in self.by_id.values():
            counts[outcome] += 1
        return IndexReport(
            added=counts[ADDED],
            updated=counts[UPDATED],
            unchanged=counts[UNCHANGED],
            failed=len(self.failures),
            failures=tuple(self.failures),
            deleted=self.deleted,
            duplicates=tuple(self.duplicates),
            repaired=self.repaired,
            paragraphs_embedded=self.paragraphs_embedded,
            paragraphs_reused=self.paragraphs_reused,
            seconds=clock.elapsed(),
            stage_seconds=clock.seconds,
        )
