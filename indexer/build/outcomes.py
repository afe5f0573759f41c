"""Per-release outcomes of a write run, counted into its :class:`RunRecord`."""

from __future__ import annotations

from collections.abc import Callable

from dalil.indexer.build.runs import RunRecord
from dalil.indexer.models import ReadFailure
from dalil.indexer.timing import StageClock

ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"


class Outcomes:
    """Per-release outcome of a run, merged when an id comes back (``added`` sticks)."""

    def __init__(self, on_failure: Callable[[ReadFailure], None] | None = None) -> None:
        self.on_failure = on_failure  # told of each failure as it happens (live output)
        self.by_id: dict[str, str] = {}
        self.read_ids: set[str] = set()
        self.duplicates: list[str] = []
        self.failures: list[ReadFailure] = []
        self.paragraphs_embedded = 0
        self.paragraphs_reused = 0
        self.deleted = 0

    def fail(self, failure: ReadFailure) -> None:
        self.failures.append(failure)
        if self.on_failure is not None:
            self.on_failure(failure)

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

    def report(self, clock: StageClock) -> RunRecord:
        counts = {ADDED: 0, UPDATED: 0, UNCHANGED: 0}
        for outcome in self.by_id.values():
            counts[outcome] += 1
        return RunRecord(
            added=counts[ADDED],
            updated=counts[UPDATED],
            unchanged=counts[UNCHANGED],
            failed=len(self.failures),
            failures=tuple(self.failures),
            deleted=self.deleted,
            duplicates=tuple(self.duplicates),
            paragraphs_embedded=self.paragraphs_embedded,
            paragraphs_reused=self.paragraphs_reused,
            seconds=clock.elapsed(),
            stage_seconds=clock.seconds,
        )
