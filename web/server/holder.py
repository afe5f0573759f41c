"""The server's searcher, swapped when a new index generation is published.

Every request leases the current searcher (:meth:`SearcherHolder.lease`). At most once per
``interval`` seconds a lease reads the root's ``CURRENT`` (a tiny file); when it names a new
generation, a searcher over it is opened (reusing the loaded encoders) *beside* the current
one and swapped in. Requests already running finish on the old searcher, which is closed when
its last lease ends. A generation that cannot be opened is logged and the current searcher
kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dalil.indexer import DalilError, Index, IndexNotFoundError, Settings, live_stamp
from dalil.search import Searcher

log = logging.getLogger("dalil.web")

CHECK_INTERVAL = 1.0  # seconds between two looks at CURRENT


@dataclass
class _Entry:
    searcher: Searcher
    stamp: str | None
    owned: bool
    users: int = 0
    retired: bool = False


def open_searcher(settings: Settings, previous: Searcher | None) -> Searcher:
    """A searcher over the live generation, reusing ``previous``'s encoders when the index
    was built with the same ones (no model is loaded twice)."""
    if previous is None:
        return Searcher.open(settings)
    index = Index.open(settings.index)
    if set(index.manifest.encoder_names) != set(previous.encoders):
        index.close()
        return Searcher.open(settings)
    return Searcher(index, previous.encoders, settings, owns_index=True)


class SearcherHolder:
    """The current searcher, leased per request and swapped on a new generation."""

    def __init__(
        self,
        settings: Settings,
        *,
        interval: float = CHECK_INTERVAL,
        opener: Callable[[Settings, Searcher | None], Searcher] = open_searcher,
        on_swap: Callable[[Searcher], None] | None = None,
    ) -> None:
        self.settings = settings
        self.root = Path(settings.index)
        self.interval = interval
        self._opener = opener
        self._on_swap = on_swap
        self._entry: _Entry | None = None
        self._mutex = threading.Lock()
        self._refreshing = threading.Lock()
        self.write_mutex = threading.Lock()  # API writes of this process, one at a time
        self._checked = 0.0
        self._failed_stamp: str | None = None
        self.load_error: str | None = None

    # -- state --------------------------------------------------------------------------

    def install(self, searcher: Searcher, *, owned: bool) -> None:
        """Start with ``searcher`` (opened by the caller)."""
        stamp = live_stamp(self.root)
        with self._mutex:
            self._entry = _Entry(searcher, stamp, owned)
        self.load_error = None

    @property
    def searcher(self) -> Searcher | None:
        entry = self._entry
        return entry.searcher if entry is not None else None

    # -- leasing ------------------------------------------------------------------------

    @contextmanager
    def lease(self) -> Iterator[Searcher]:
        """The current searcher, kept open until the ``with`` block ends. Raises
        :class:`IndexNotFoundError` (a 503) while no index is loaded."""
        self.maybe_refresh()
        with self._mutex:
            entry = self._entry
            if entry is None:
                raise IndexNotFoundError(self.load_error or "the index is not loaded")
            entry.users += 1
        try:
            yield entry.searcher
        finally:
            with self._mutex:
                entry.users -= 1
                done = entry.retired and entry.users == 0
            if done:
                self._close(entry)

    def maybe_refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked >= self.interval:
            self._checked = now
            self.refresh()

    def refresh(self, *, wait: bool = False) -> bool:
        """Swap to the generation ``CURRENT`` names if it is not the current one. Only one
        thread refreshes at a time; others go on with the current searcher unless ``wait``.
        Returns whether it swapped."""
        if not self._refreshing.acquire(blocking=wait):
            return False
        try:
            stamp = live_stamp(self.root)
            entry = self._entry
            if stamp is None or (entry is not None and entry.stamp == stamp):
                return False
            if stamp == self._failed_stamp and not wait:
                return False
            try:
                searcher = self._opener(self.settings, entry.searcher if entry else None)
            except DalilError as exc:
                if stamp != self._failed_stamp:
                    log.error(
                        "cannot open index generation %s, keeping the current one: %s", stamp, exc
                    )
                self._failed_stamp = stamp
                if entry is None:
                    self.load_error = str(exc)
                return False
            self._swap(_Entry(searcher, stamp, owned=True))
            log.info("now serving index generation %s", stamp)
            return True
        finally:
            self._refreshing.release()

    def _swap(self, new: _Entry) -> None:
        with self._mutex:
            old, self._entry = self._entry, new
            if old is not None:
                old.retired = True
            idle = old is not None and old.users == 0
        self.load_error = None
        self._failed_stamp = None
        if self._on_swap is not None:
            self._on_swap(new.searcher)
        if idle and old is not None:
            self._close(old)

    def _close(self, entry: _Entry) -> None:
        if entry.owned:
            try:
                entry.searcher.close()
            except Exception:  # closing must never fail a request
                log.exception("closing an old searcher failed")

    def close(self) -> None:
        with self._mutex:
            entry, self._entry = self._entry, None
        if entry is not None:
            self._close(entry)
