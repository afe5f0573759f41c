"""``runs.jsonl`` at the index root: one JSON line per re-indexing run (the last ones are
shown by ``/api/stats`` and ``dalil reindex --history``)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dalil.indexer.store.durable import atomic_write_text

RUNS_NAME = "runs.jsonl"
MAX_BYTES = 1_000_000  # beyond this the file is cut to its last KEEP_LINES lines
KEEP_LINES = 500

PUBLISHED, UNCHANGED, FAILED, LOCKED = "published", "unchanged", "failed", "locked"


@dataclass(frozen=True)
class RunRecord:
    """One run: when, how it ended (``published`` / ``unchanged`` / ``failed`` /
    ``locked``), what it did and how long each stage took."""

    started: str
    finished: str
    status: str
    trigger: str = "cli"
    generation: str | None = None
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    paragraphs_embedded: int = 0
    paragraphs_reused: int = 0
    seconds: float = 0.0
    stage_seconds: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None
    failures: tuple[str, ...] = ()  # the first few, "origin: reason"

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage_seconds", MappingProxyType(dict(self.stage_seconds)))
        object.__setattr__(self, "failures", tuple(self.failures))

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["stage_seconds"] = {k: round(v, 3) for k, v in self.stage_seconds.items()}
        data["seconds"] = round(self.seconds, 3)
        data["failures"] = list(self.failures)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def summary(self) -> str:
        line = (
            f"{self.status}: added {self.added}, updated {self.updated}, deleted "
            f"{self.deleted}, unchanged {self.unchanged}, failed {self.failed} in "
            f"{self.seconds:.1f} s"
        )
        if self.generation:
            line += f" -> {self.generation}"
        if self.error:
            line += f" ({self.error})"
        return line

    def stages_line(self) -> str:
        return ", ".join(f"{name} {secs:.2f} s" for name, secs in self.stage_seconds.items())


def append_run(root: Path, record: RunRecord) -> None:
    """Append one line (O_APPEND, fsync); cut the file when it grows too big."""
    path = Path(root) / RUNS_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    if path.stat().st_size > MAX_BYTES:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        atomic_write_text(path, "".join(lines[-KEEP_LINES:]))


def last_runs(root: Path, n: int = 5) -> list[RunRecord]:
    """The last ``n`` runs, newest first (unreadable lines are skipped)."""
    path = Path(root) / RUNS_NAME
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out: list[RunRecord] = []
    for line in reversed(lines):
        if len(out) >= n:
            break
        try:
            out.append(RunRecord.from_json(json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out
