"""The one record of a write run (:class:`RunRecord`) and ``runs.jsonl`` at the index root:
one JSON line per run of ``dalil index``, ``dalil reindex``, a schedule or an API write (the
last ones are shown by ``/api/stats``)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dalil.indexer.models import ReadFailure
from dalil.indexer.store.durable import atomic_write_text
from dalil.indexer.store.layout import RUNS_NAME

MAX_BYTES = 1_000_000  # beyond this the file is cut to its last KEEP_LINES lines
KEEP_LINES = 500

PUBLISHED, UNCHANGED, FAILED, LOCKED = "published", "unchanged", "failed", "locked"
FAILURES_RECORDED = 20  # runs.jsonl keeps the first few failures of a run


@dataclass(frozen=True)
class RunRecord:
    """One write run: when, how it ended (``published`` / ``unchanged`` / ``failed`` /
    ``locked``), what it did (counts over distinct release ids; ``duplicates``: ids met more
    than once, the later one kept) and how long each stage took (``stage_seconds`` keys:
    probe, read, split, ``encode:<encoder>``, write_sqlite, write_whoosh, wait_whoosh,
    write_faiss, merge_whoosh, clusters, delete, copy, verify, publish, switch, collect,
    load_encoders)."""

    started: str = ""
    finished: str = ""
    status: str = UNCHANGED
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
    failures: tuple[ReadFailure, ...] = ()
    duplicates: tuple[str, ...] = ()
    # web sources: requests, not_modified (304s), bytes, seconds; and one line per URL
    web_cost: Mapping[str, float] = field(default_factory=dict)
    web_urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage_seconds", MappingProxyType(dict(self.stage_seconds)))
        object.__setattr__(self, "failures", tuple(self.failures))
        object.__setattr__(self, "duplicates", tuple(self.duplicates))
        object.__setattr__(self, "web_cost", MappingProxyType(dict(self.web_cost)))
        object.__setattr__(self, "web_urls", tuple(self.web_urls))

    @property
    def paragraphs_per_second(self) -> float:
        return self.paragraphs_embedded / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """The one serialised form (``runs.jsonl`` and ``/api/stats``)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["stage_seconds"] = {k: round(v, 3) for k, v in self.stage_seconds.items()}
        data["seconds"] = round(self.seconds, 3)
        data["failures"] = [str(f) for f in self.failures[:FAILURES_RECORDED]]
        data["duplicates"] = list(self.duplicates[:FAILURES_RECORDED])
        data["web_cost"] = dict(self.web_cost)
        data["web_urls"] = list(self.web_urls)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["failures"] = tuple(_failure(text) for text in known.get("failures", ()))
        return cls(**known)

    def summary(self) -> str:
        """One line: ``added N, updated N, unchanged N, failed N — P paragraphs in S s (X
        paragraphs/s)`` plus deletions, duplicates, reuse, the generation and any error."""
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
        if self.paragraphs_reused:
            extras.append(f"{self.paragraphs_reused} unchanged paragraph(s) not re-embedded")
        if self.generation:
            extras.append(f"published {self.generation}")
        if self.error:
            extras.append(self.error)
        return line + "".join(f"; {e}" for e in extras)

    def web_line(self) -> str:
        """``web: N requests, M not modified (304), X kB in S s`` (empty without web sources)."""
        if not self.web_cost:
            return ""
        cost = self.web_cost
        return (
            f"web: {int(cost.get('requests', 0))} requests, "
            f"{int(cost.get('not_modified', 0))} not modified (304), "
            f"{cost.get('bytes', 0) / 1000:.1f} kB in {cost.get('seconds', 0.0):.2f} s"
        )

    def stages_line(self) -> str:
        return ", ".join(f"{name} {secs:.2f} s" for name, secs in self.stage_seconds.items())


def _failure(text: str) -> ReadFailure:
    origin, _, reason = str(text).partition(": ")
    return ReadFailure(origin, reason)


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
