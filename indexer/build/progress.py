"""What an indexing run shows while it works: one bar for the work that dominates (embedding)
on a terminal, one line per stage otherwise.

The pipeline talks to a :class:`RunProgress` through four calls -- ``read()`` per release
read, ``queued(n)`` per chunk of paragraphs sent to the encoders (after the incremental check
and the embedding cache), ``encoded(name, done)`` per encoder batch, and ``close()`` -- and
knows nothing of how they are shown.

What is known before the run (:class:`Plan`, from :func:`plan_run`: one cheap pass that
reads the sources and splits only the new and changed releases, ~1 % of a build) gives the bar
its total from the start. Without a plan the total grows as releases are read, and the bar
says ``reading...`` until the last one is in, so no ETA is shown for work not yet known.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from dalil.indexer.models import Release

if TYPE_CHECKING:
    from tqdm import tqdm

    from dalil.indexer.settings import Settings

REFRESH_SECONDS = 1.0  # the bar redraws at least this often while encoding
LINE_SECONDS = 30.0  # without a terminal: a progress line at most this often per stage


@dataclass(frozen=True)
class Plan:
    """A run's work, counted before it starts."""

    files: int
    releases: int
    new: int
    changed: int
    unchanged: int
    to_embed: int  # paragraphs of the new and changed releases (the cache may spare some)

    def line(self) -> str:
        return (
            f"{self.files} file(s), {self.releases} release(s): {self.new} new, "
            f"{self.changed} changed, {self.unchanged} unchanged; "
            f"{self.to_embed} paragraph(s) to embed"
        )


def plan_run(
    settings: Settings, paths: Sequence[str | Path], *, files: int, fresh: bool = False
) -> Plan:
    """Count the work of indexing ``paths`` into ``settings.index``'s live generation (an
    empty one when ``fresh``: a rebuild)."""
    from dalil.indexer.readers import read_sources
    from dalil.indexer.store.docstore import stored_hashes
    from dalil.indexer.store.layout import DOCS_NAME, live_dir
    from dalil.indexer.text.chunking import split_release

    live = live_dir(Path(settings.index).absolute())
    hashes = stored_hashes(live / DOCS_NAME) if live is not None and not fresh else {}
    latest: dict[str, Release] = {}
    for item in read_sources(paths):
        if isinstance(item, Release):
            latest[item.id] = item  # the later one wins, as in the run
    new = changed = unchanged = to_embed = 0
    for release in latest.values():
        stored = hashes.get(release.id)
        if stored == release.content_hash:
            unchanged += 1
            continue
        new, changed = (new + 1, changed) if stored is None else (new, changed + 1)
        with suppress(ValueError):  # the run reports it
            to_embed += len(
                split_release(
                    release,
                    max_chars=settings.max_paragraph_chars,
                    min_chars=settings.min_paragraph_chars,
                )
            )
    return Plan(files, len(latest), new, changed, unchanged, to_embed)


class RunProgress:
    """Progress of one run on ``stream`` (stderr): a tqdm bar on a terminal, stage lines
    otherwise, nothing when disabled."""

    def __init__(
        self,
        encoders: Iterable[str],
        *,
        enabled: bool,
        plan: Plan | None = None,
        stream: TextIO | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.encoders = list(encoders)
        self.plan = plan
        self.tty = enabled and self.stream.isatty()
        self.releases_read = 0
        self.queued_total = 0  # paragraphs sent to the encoders so far
        self._done: dict[str, int] = dict.fromkeys(self.encoders, 0)  # per encoder, all chunks
        self._chunk_base: dict[str, int] = dict.fromkeys(self.encoders, 0)
        self._chunk_started: float | None = None
        self._last_encoded = 0.0
        self.encoding_seconds = 0.0  # from each chunk's queueing to its last encoded batch
        self._last_line = 0.0
        self._bar: tqdm | None = None
        if enabled and plan is not None:
            self._say(f"to do: {plan.line()}")

    # -- the pipeline's calls ------------------------------------------------------------

    def read(self, n: int = 1) -> None:
        self.releases_read += n
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(), refresh=False)

    def queued(self, paragraphs: int) -> None:
        """``paragraphs`` more go to every encoder (one chunk)."""
        if not self.enabled or paragraphs <= 0:
            return
        self._end_chunk()
        for name in self.encoders:
            self._chunk_base[name] = self._done[name]
        self._chunk_started = time.monotonic()
        self.queued_total += paragraphs
        if self.tty:
            bar = self._ensure_bar()
            bar.total = max(self._total(), self.queued_total)
            bar.refresh()
        else:
            self._say(f"embedding {paragraphs} paragraph(s) with {', '.join(self.encoders)}")

    def encoded(self, encoder: str, done_in_chunk: int) -> None:
        """``encoder`` has done ``done_in_chunk`` texts of the current chunk."""
        if not self.enabled:
            return
        self._done[encoder] = self._chunk_base[encoder] + done_in_chunk
        self._last_encoded = time.monotonic()
        position = sum(self._done.values()) / max(1, len(self.encoders))
        if self._bar is not None:
            self._bar.n = position
            self._bar.set_postfix_str(self._postfix(encoder), refresh=False)
            self._bar.update(0)  # redraws when mininterval has passed
        elif self.enabled and time.monotonic() - self._last_line >= LINE_SECONDS:
            total = self._total()
            of = f"/{total}" if total else ""
            self._say(f"embedded {position:.0f}{of} paragraph(s)")

    def encoded_all(self, done_in_chunk: int, note: str = "") -> None:
        """Every encoder has done ``done_in_chunk`` texts of the current chunk (a cluster
        encodes them together); ``note`` is shown beside the bar."""
        for name in self.encoders:
            self.encoded(name, done_in_chunk)
        if self._bar is not None and note:
            self._bar.set_postfix_str(f"{self._postfix()} · {note}", refresh=False)

    def close(self) -> None:
        self._end_chunk()
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.enabled and self.queued_total:
            seconds = self.encoding_seconds
            self._say(
                f"embedded {self.queued_total} paragraph(s) in {seconds:.1f} s "
                f"({self.queued_total / max(seconds, 1e-9):.1f}/s)"
            )

    def _end_chunk(self) -> None:
        if self._chunk_started is not None and self._last_encoded >= self._chunk_started:
            self.encoding_seconds += self._last_encoded - self._chunk_started
        self._chunk_started = None

    # -- showing -------------------------------------------------------------------------

    def _total(self) -> int:
        return self.plan.to_embed if self.plan is not None else self.queued_total

    def _postfix(self, encoder: str | None = None) -> str:
        known = self.plan.releases if self.plan is not None else None
        read = f"{self.releases_read}/{known}" if known else f"{self.releases_read} (reading...)"
        return f"releases {read}" + (f" · {encoder}" if encoder else "")

    def _ensure_bar(self) -> tqdm:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                desc="embedding",
                unit=" paragraphs",
                total=self._total() or None,
                file=self.stream,
                mininterval=self.refresh_seconds,
                maxinterval=max(self.refresh_seconds, 0.1),
                dynamic_ncols=True,
                leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total_fmt} "
                "[{elapsed}<{remaining}, {rate_fmt}]{postfix}",
            )
            self._bar.set_postfix_str(self._postfix(), refresh=False)
        return self._bar

    def _say(self, line: str) -> None:
        if self.tty and self._bar is not None:
            self._bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)
        self._last_line = time.monotonic()
