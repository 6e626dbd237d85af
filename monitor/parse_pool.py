"""Reading bodies in other processes while the one writer stores.

A poll's writer thread parses every body it stores, and a parse is pure Python (lxml trees,
pdfplumber tables): run in a worker *thread* it holds the interpreter lock the writer needs,
which made a full cycle slower, not faster. :class:`ParsePool` runs
:func:`monitor.reading.read_document` in up to ``parse_processes`` processes instead, so a
body fetched ahead is read on another core while the writer stores the one before it.

The writer gets exactly what it would have read itself, or reads the body itself:

* what a process reads is :func:`~monitor.reading.read_document` of the same body, URL, type,
  shape, day and link cap (pure, no database, no clock); the writer's store step still checks
  the day and shape it was read with (:func:`monitor.document_path.store_document`) and reads
  the body again when they differ;
* a source that cannot be sent to a process (a parser that is not a module-level function),
  a pool that broke (a process killed) or could not start, and a parser that raised (its
  exception is logged by the writer, under the monitor's logging and redaction, not in a
  process that has neither) all give ``None``: the writer reads the body itself, as before.

Processes start from a fork server (``forkserver``): forking the monitor itself, whose fetch
and archive threads may hold locks at that instant, could leave a child waiting forever. They
start when the first body is handed over, so a cycle where nothing changed starts none.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date

from monitor.reading import Reading, read_document
from scrapers.registry import RegisteredSource

log = logging.getLogger(__name__)

# What the fork server imports once, so that each process it forks starts with it loaded.
_PRELOAD = ["monitor.reading", "scrapers.registry"]

_RAISED = "parser raised "  # the problem text of a parser that raised (monitor.reading.run_parser)


def _read_in_process(registered: RegisteredSource, body: bytes, kwargs: dict) -> Reading | None:
    """The process's side: the reading, or None when the parser raised (the writer reads the
    body again and logs that where logs are configured)."""
    reading = read_document(registered, body, **kwargs)
    if any(
        p.kind == "parse_error" and p.detail.startswith(_RAISED) for p in reading.result.problems
    ):
        return None
    return reading


def _quiet() -> None:
    # a process logs nothing: what it would log, the writer logs when it reads the body again
    logging.disable(logging.CRITICAL)


class ParsePool:
    """Up to ``processes`` processes reading bodies; ``processes`` 0 reads nothing (every
    :meth:`submit` answers None)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None
        self._broken = processes < 1
        self._sendable: dict[int, bool] = {}  # id(registered) -> it pickles
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._executor is None and not self._broken:
                try:
                    context = multiprocessing.get_context("forkserver")
                    context.set_forkserver_preload(_PRELOAD)
                    self._executor = ProcessPoolExecutor(
                        self.processes, mp_context=context, initializer=_quiet
                    )
                except Exception as exc:  # noqa: BLE001 - no sem_open, no fork server: read here
                    log.warning("cannot start parse processes; the writer reads: %s", exc)
                    self._broken = True
            return self._executor

    def _can_send(self, registered: RegisteredSource) -> bool:
        key = id(registered)
        if key not in self._sendable:
            try:
                pickle.dumps(registered)
                self._sendable[key] = True
            except Exception:  # noqa: BLE001 - a closure, a lambda: read by the writer
                self._sendable[key] = False
        return self._sendable[key]

    def submit(
        self,
        registered: RegisteredSource,
        body: bytes,
        *,
        url: str,
        content_type: str | None,
        listing: bool,
        fetched: date | None,
        max_links: int | None,
    ) -> Future | None:
        """Start reading ``body`` (as :func:`~monitor.reading.read_document` with these
        arguments) in a process; None when it cannot be (then the writer reads it)."""
        if self._broken or not self._can_send(registered):
            return None
        pool = self._pool()
        if pool is None:
            return None
        kwargs = dict(
            url=url,
            content_type=content_type,
            listing=listing,
            fetched=fetched,
            max_links=max_links,
        )
        try:
            return pool.submit(_read_in_process, registered, body, kwargs)
        except Exception as exc:  # noqa: BLE001 - broken, shut down, could not start a process
            self._give_up(exc)
            return None

    def _give_up(self, exc: BaseException) -> None:
        if not self._broken:
            log.warning("parse processes stopped; the writer reads from now on: %s", exc)
        self._broken = True

    def result(self, future: Future | None) -> Reading | None:
        """What the process read, or None (nothing was sent, the pool broke, the body could
        not be sent, the parser raised): the writer reads the body itself."""
        if future is None:
            return None
        try:
            return future.result()
        except BrokenProcessPool as exc:
            self._give_up(exc)
        except Exception as exc:  # noqa: BLE001 - never worse than reading it here
            log.warning("a parse process failed; the writer reads the body: %s", exc)
        return None

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None
