"""Search slots: at most ``max_concurrent_searches`` searches are computed at once; the others
wait in line up to ``search_queue_seconds``, then get 503 with ``Retry-After`` instead of
piling up threads that all run slower (and hold memory) together."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dalil.web.server.errors import ServerBusyError


class SearchSlots:
    """A bounded semaphore with a deadline; :meth:`take` around each search."""

    def __init__(self, slots: int, wait: float) -> None:
        self._semaphore = threading.BoundedSemaphore(slots)
        self.slots = slots
        self.wait = wait

    @contextmanager
    def take(self) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=self.wait):
            raise ServerBusyError(
                f"all {self.slots} search slots stayed busy for {self.wait:g} s; try again",
                retry_after=max(1, round(self.wait / 2)),
            )
        try:
            yield
        finally:
            self._semaphore.release()
