"""Run ``dalil`` stopped at a named stage, so a test can kill it there.

    python tests/paused_dalil.py POINT [dalil arguments...]

The first time the run enters the stage ``POINT`` of its :class:`StageClock` (``probe``,
``copy``, ``read``, ``split``, ``encode`` (any ``encode:<encoder>``), ``write_sqlite``,
``write_whoosh``, ``write_faiss``, ``verify``, ``publish``, ``switch``, ``collect``), it prints
``DALIL_PAUSED_AT <point>`` to stderr and waits until its standard input is closed (the test
closes it, kills the process, or exits): an event, never a time, so a slow machine cannot
make the run go on before the test is done with it. The production code has no hook for
this: the wrapper replaces ``StageClock.stage`` in this process only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from dalil.indexer.timing import StageClock
from dalil.web.cli.main import main

MARKER = "DALIL_PAUSED_AT"


def pause_at(point: str) -> None:
    original = StageClock.stage
    done = False

    @contextmanager
    def stage(self: StageClock, name: str) -> Iterator[None]:
        nonlocal done
        if not done and (name == point or name.split(":", 1)[0] == point):
            done = True
            print(f"{MARKER} {point}", file=sys.stderr, flush=True)
            sys.stdin.read()  # until the test closes our stdin (or kills us)
        manager: AbstractContextManager[None] = original(self, name)
        with manager:
            yield

    StageClock.stage = stage  # type: ignore[method-assign]


if __name__ == "__main__":
    pause_at(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
