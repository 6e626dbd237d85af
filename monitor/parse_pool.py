"""Reading bodies in other processes while the one writer stores.

A poll's writer thread parses every body it stores, and a parse is pure Python (lxml trees,
pdfplumber tables): run in a worker *thread* it holds the interpreter lock the writer needs,
which made a full cycle slower, not faster. :class:`ParsePool` runs
:func:`monitor.reading.read_document` in up to ``parse_processes`` processes instead
(:mod:`monitor.parse_worker`), so a body fetched ahead is read on another core while the writer
stores the one before it.

The writer gets exactly what it would have read itself, or reads the body itself:

* what a process reads is :func:`~monitor.reading.read_document` of the same body, URL, type,
  shape, day and link cap (pure, no database, no clock); the writer's store step still checks
  the day and shape it was read with (:func:`monitor.document_path.store_document`) and reads
  the body again when they differ;
* a source that cannot be sent to a process (a parser that is not a module-level function),
  a process that could not start or died, and a parser that raised (its exception is logged by
  the writer, under the monitor's logging and redaction, not in a process that has neither)
  all give ``None``: the writer reads the body itself, as before.

The processes are started as ``python -m monitor.parse_worker`` with the writer's import path,
when the first body is handed over (a cycle where nothing changed starts none), and are told
to stop when the pool closes. Not ``multiprocessing``: its processes import the starting
program's main script again, and a script calling ``monitor.cli.main`` unguarded would run its
command twice.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from concurrent.futures import Future
from datetime import date

from monitor.parse_worker import frame, unframe
from monitor.reading import Reading
from scrapers.registry import RegisteredSource

log = logging.getLogger(__name__)

_STOP = object()


class ProcessGone(Exception):
    """A parse process ended (killed, crashed) before it answered."""


class _Worker:
    """One parse process and the thread that feeds it jobs from the pool's queue, one at a
    time, and hands each answer to its future."""

    def __init__(self, pool: "ParsePool") -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.parse_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # it logs nothing; a process that ends is logged here
            env=env,
            close_fds=True,
        )
        self.pool = pool
        self.thread = threading.Thread(target=self._run, name="parse-feeder", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        n = 0
        while True:
            job = self.pool.jobs.get()
            if job is _STOP:
                break
            future, payload = job
            if not future.set_running_or_notify_cancel():
                continue
            n += 1
            try:
                self.proc.stdin.write(frame((n, payload)))
                self.proc.stdin.flush()
                answer = unframe(self.proc.stdout)
            except Exception as exc:  # noqa: BLE001 - a pipe gone, an answer that cannot be read
                answer, error = None, exc
            else:
                error = None
            if answer is None or answer[0] != n:
                # the pool is given up before the writer hears: nothing more is handed over
                self.pool._give_up(f"parse process {self.proc.pid} ended")
                future.set_exception(ProcessGone(f"parse process {self.proc.pid} ended: {error}"))
                break
            _, status, value = answer
            if status == "ok":
                future.set_result(value)
            else:
                future.set_exception(RuntimeError(value))
        self._stop()

    def _stop(self) -> None:
        try:
            self.proc.stdin.close()  # the process ends at the end of its input
        except OSError:
            pass
        reap(self.proc)


def reap(proc: subprocess.Popen) -> None:
    """Wait for a worker process whose input is closed (killed after 10 s), and close its
    output."""
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


class ParsePool:
    """Up to ``processes`` processes reading bodies; ``processes`` 0 reads nothing (every
    :meth:`submit` answers None)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.jobs: queue.Queue = queue.Queue()
        self._workers: list[_Worker] = []
        self._broken = processes < 1
        self._sendable: dict[int, bool] = {}  # id(registered) -> it pickles
        self._lock = threading.Lock()

    def _start(self) -> bool:
        with self._lock:
            if not self._workers and not self._broken:
                try:
                    self._workers = [_Worker(self) for _ in range(self.processes)]
                except Exception as exc:  # noqa: BLE001 - cannot start a process: read here
                    log.warning("cannot start parse processes; the writer reads: %s", exc)
                    self._broken = True
            return not self._broken

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
        if self._broken or not self._can_send(registered) or not self._start():
            return None
        kwargs = dict(
            url=url,
            content_type=content_type,
            listing=listing,
            fetched=fetched,
            max_links=max_links,
        )
        future: Future = Future()
        self.jobs.put((future, pickle.dumps((registered, body, kwargs))))
        if self._broken:  # a process ended meanwhile: nobody may take it
            self._fail_queued()
        return future

    def _give_up(self, why: str) -> None:
        if not self._broken:
            log.warning("parse processes stopped; the writer reads from now on: %s", why)
        self._broken = True
        self._fail_queued()

    def _fail_queued(self) -> None:
        """Answer every job still queued with :class:`ProcessGone` (the writer reads them):
        once a process has ended, none is left waiting for one that may never come."""
        stops = 0
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                break
            if job is _STOP:
                stops += 1
            elif job[0].set_running_or_notify_cancel():
                job[0].set_exception(ProcessGone("the parse processes stopped"))
        for _ in range(stops):  # a worker's stop is kept for it
            self.jobs.put(_STOP)

    def result(self, future: Future | None) -> Reading | None:
        """What the process read, or None (nothing was sent, a process ended, the body could
        not be read there, the parser raised): the writer reads the body itself."""
        if future is None:
            return None
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - never worse than reading it here
            if not isinstance(exc, ProcessGone):
                log.warning("a parse process could not read a body; the writer reads it: %s", exc)
        return None

    def close(self) -> None:
        """Stop the processes once the jobs handed over are answered (a job nobody will take
        is cancelled)."""
        with self._lock:
            workers, self._workers = self._workers, []
            self._broken = True
        for _ in workers:
            self.jobs.put(_STOP)
        for worker in workers:
            worker.thread.join()
        self._fail_queued()  # what no process will read any more
