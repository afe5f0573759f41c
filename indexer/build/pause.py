"""A test hook: make a run stop at a named point so a test can kill it there.

With ``DALIL_TEST_PAUSE_AT=<point>`` in the environment, the first time the run reaches that
point (a pipeline stage such as ``read``, ``split``, ``encode``, ``write_sqlite``,
``write_whoosh``, ``write_faiss``, or a publication step: ``copy``, ``verify``, ``publish``,
``switch``, ``switched``) it prints ``DALIL_PAUSED_AT <point>`` to stderr and sleeps for
``DALIL_TEST_PAUSE_SECONDS`` (default 60). ``encode`` matches ``encode:<encoder>``. Without
the variable this does nothing.
"""

from __future__ import annotations

import os
import sys
import time

ENV_POINT = "DALIL_TEST_PAUSE_AT"
ENV_SECONDS = "DALIL_TEST_PAUSE_SECONDS"
MARKER = "DALIL_PAUSED_AT"

_done: set[str] = set()


def pause_point(name: str) -> None:
    wanted = os.environ.get(ENV_POINT)
    if not wanted or wanted in _done:
        return
    if name != wanted and name.split(":", 1)[0] != wanted:
        return
    _done.add(wanted)
    print(f"{MARKER} {wanted}", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get(ENV_SECONDS, "60")))
