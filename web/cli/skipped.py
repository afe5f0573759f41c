"""``skipped <origin>: <reason>`` lines on stderr, printed as the run meets each failure
(not at its end: a long run shows its bad input at once, with or without a terminal)."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from dalil.indexer import ReadFailure


class SkipPrinter:
    """Callable given to a run as ``on_failure``; prints each failure once, flushed."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.printed: set[ReadFailure] = set()

    def __call__(self, failure: ReadFailure) -> None:
        if failure in self.printed:  # a re-index reads its sources twice (probe, build)
            return
        self.printed.add(failure)
        stream = self.stream or sys.stderr
        print(f"skipped {failure.origin}: {failure.reason}", file=stream, flush=True)


def show_input_notes() -> None:
    """Print the readers' notes (``-v``: e.g. a file decoded as windows-1256) to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("note: %(message)s"))
    logger = logging.getLogger("dalil.readers")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
