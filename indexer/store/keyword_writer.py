"""The keyword writer process: Whoosh write transactions in a child process, so that the
pure-Python analysis and segment writing overlap the indexing run's encoding."""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dalil.indexer.errors import DalilError
from dalil.indexer.models import StoredParagraph
from dalil.indexer.store.keyword_store import KeywordStore


class KeywordWriteError(DalilError):
    """The keyword writer process failed (the message carries its traceback) or died."""


def _writer_process_main(path: str, conn: Any) -> None:
    """The body of :class:`KeywordWriterProcess`'s child: one write transaction per job."""
    store = KeywordStore.open(path)
    try:
        while True:
            job = conn.recv()
            if job is None:
                return
            removed, rows = job
            start = time.perf_counter()
            try:
                with store.writer() as w:
                    if removed:
                        w.delete_ids(removed)
                    added = w.add(rows) if rows else 0
            except BaseException as exc:  # reported to the parent, which raises
                conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
            else:
                conn.send(("ok", (added, time.perf_counter() - start)))
    finally:
        store.close()
        conn.close()


class KeywordWriterProcess:
    """Whoosh write transactions run in a child process, one at a time, so that the pure-Python
    analysis and segment writing (the slowest part of indexing after encoding, and GIL-bound)
    overlap the caller's encoding instead of following it.

    ``submit(removed, added)`` sends one transaction (deletes, then adds; committed when
    done) and returns at once; ``wait()`` blocks until it has committed and returns (rows
    added, seconds the child spent), raising :class:`KeywordWriteError` if it failed. The
    child keeps one analyzer for the whole run, so its token caches stay warm. The parent's
    :class:`KeywordStore` sees each commit as usual (its searcher refreshes). Use as a
    context manager or call :meth:`close`.
    """

    def __init__(self, path: str | Path) -> None:
        ctx = multiprocessing.get_context("spawn")  # no fork of a process running BLAS threads
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_writer_process_main,
            args=(str(path), child),
            name="dalil-keyword-writer",
            daemon=True,
        )
        self._proc.start()
        child.close()
        self.busy = False

    def submit(self, removed: Iterable[int], added: Iterable[StoredParagraph]) -> None:
        if self.busy:
            raise KeywordWriteError("a keyword write is still running; wait() for it first")
        try:
            self._conn.send(([int(i) for i in removed], list(added)))
        except OSError as exc:  # the child is gone (e.g. it could not open the index)
            self._proc.join(timeout=5)
            raise KeywordWriteError(
                f"the keyword writer process is not running (exit code {self._proc.exitcode})"
            ) from exc
        self.busy = True

    def working(self) -> bool:
        """True while a submitted transaction has not finished (its result not yet sent)."""
        try:
            return self.busy and not self._conn.poll()
        except (OSError, EOFError):
            return False

    def wait(self) -> tuple[int, float]:
        """Block until the submitted transaction has committed: (rows added, child seconds)."""
        if not self.busy:
            return 0, 0.0
        self.busy = False
        while not self._conn.poll(0.2):
            if not self._proc.is_alive():
                raise KeywordWriteError(
                    f"the keyword writer process died (exit code {self._proc.exitcode})"
                )
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError):
            raise KeywordWriteError("the keyword writer process closed its pipe") from None
        if status != "ok":
            raise KeywordWriteError(f"keyword write failed in the writer process: {value}")
        return int(value[0]), float(value[1])

    def close(self) -> None:
        """Stop the child (after its current transaction, if any)."""
        try:
            if self._proc.is_alive():
                self._conn.send(None)
                self._proc.join(timeout=60)
        except (OSError, ValueError):
            pass
        finally:
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(timeout=5)
            self._conn.close()

    def __enter__(self) -> KeywordWriterProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
