"""Fetching in a process of its own while the one writer stores.

With fetch worker *threads* (:class:`monitor.fetch_pool.FetchPool`) every request's Python work
(requests, urllib3, the archive's hashing) holds the interpreter lock the writer needs, so a
poll cycle ran on one core however many hosts it fetched from. :class:`FetchProcess` is the
same pool in another process (``python -m monitor.fetch_worker``): the writer hands it
requests, it fetches them on ``fetch_concurrency`` threads, archives what came back, reads it
when asked (a listing fetched ahead: :mod:`monitor.parse_worker`), and answers; the writer
stores the answers exactly as it stored the threads' (the same :class:`~monitor.fetch_pool.Fetched`).

Politeness stays whole: while the process runs, *every* request of the cycle goes through it,
the writer's own (a source's report links, a JSON API's pages: :meth:`FetchProcess.direct`)
included, so its one host throttle is the only one sending requests: never two requests to one
host at once, and the host's interval kept.

It is used only where it fetches exactly as the writer's fetcher would
(:func:`portable`): a plain :class:`~scrapers.fetch.http.Fetcher` on the real clock, with no
injected session, a rewrite that can be sent, and requests' own transport (a test's stand-in
such as ``responses`` answers in this process only). Anything going wrong with it (it cannot
start, it ends, an answer cannot be read, a request cannot be sent) gives it up for the rest
of the cycle: its input is closed, the requests under way are answered or dropped as it ends,
and only then does the writer fetch in its own process (worker threads again), so no two
requests to one host ever overlap. A request it did not answer is fetched again here.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, Sequence

from monitor.fetch_pool import Fetched, FetchPool, Request
from monitor.parse_pool import reap
from monitor.parse_worker import frame, unframe
from scrapers.fetch.http import Fetcher, FetchResult

log = logging.getLogger(__name__)

_OWN_METHODS = ("fetch", "_fetch", "_request", "_finish", "_read")


class ProcessGone(Exception):
    """The fetch process ended, or was given up, before it answered."""


def portable(fetcher: Any) -> bool:
    """Whether a process of its own would fetch exactly as ``fetcher`` does."""
    from requests.adapters import HTTPAdapter

    if type(fetcher) is not Fetcher or getattr(fetcher, "_injected", None) is not None:
        return False
    if fetcher.clock is not time.monotonic or fetcher.sleep is not time.sleep:
        return False
    # a stand-in for the network (responses, a patched method) lives in this process only
    if getattr(HTTPAdapter.send, "__module__", None) != "requests.adapters":
        return False
    if any(getattr(Fetcher, n).__module__ != Fetcher.__module__ for n in _OWN_METHODS):
        return False
    try:
        pickle.dumps((fetcher.config, fetcher.rewrite))
    except Exception:  # noqa: BLE001 - a rewrite that is a closure or a bound method
        return False
    return True


class _Pending:
    """One request's answer, taken with :meth:`take` (waits for it)."""

    def __init__(self, owner: "FetchProcess", request: Request, future: Future | None) -> None:
        self.owner, self.request, self._future = owner, request, future

    def take(self) -> Fetched:
        if self._future is not None:
            try:
                result, started, reading = self._future.result()
            except Exception as exc:  # noqa: BLE001 - fetched here instead
                self.owner.give_up(str(exc))
            else:
                return Fetched(result, started, (lambda: reading) if reading is not None else None)
        return self.owner.here().fetch_one(self.request)


class FetchProcess:
    """A :class:`~monitor.fetch_pool.FetchPool` whose workers run in another process.

    Started as soon as a run knows it may poll two or more sources (its start-up overlaps the
    writer's); ``read`` and ``fallback`` may be set after. ``read(request)`` gives what the
    process needs to read a body it fetched (the registered
    source's pickle and :func:`~monitor.reading.read_document`'s keyword arguments but the
    content type) or None (the writer reads it). ``fallback()`` builds the pool of threads that
    takes over once the process is given up (by default: the fetcher's, ``workers`` threads)."""

    def __init__(
        self,
        fetcher: Fetcher,
        workers: int,
        *,
        archive_root: str | None,
        read: Callable[[Request], tuple[bytes, dict] | None] | None = None,
        fallback: Callable[[], FetchPool] | None = None,
    ) -> None:
        self.fetcher, self.read, self.fallback = fetcher, read, fallback
        self._here: FetchPool | None = None
        self._workers = max(1, workers)
        self._futures: dict[int, Future] = {}
        self._next = 0
        self._lock = threading.Lock()
        self._given_up = False
        self._ended = threading.Event()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.fetch_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # it logs nothing; what goes wrong is logged here
            env=env,
            close_fds=True,
        )
        self.proc.stdin.write(frame((fetcher.config, fetcher.rewrite, archive_root, self._workers)))
        self.proc.stdin.flush()
        self._reader = threading.Thread(target=self._answers, name="fetch-answers", daemon=True)
        self._reader.start()

    # --- the process --------------------------------------------------------------------

    def _answers(self) -> None:
        """Hand each answer to its future; when the process ends, fail what it left."""
        why = "it ended"
        while True:
            try:
                answer = unframe(self.proc.stdout)
            except Exception as exc:  # noqa: BLE001 - an answer whose class cannot load here
                answer, why = None, f"an answer could not be read: {exc}"
            if answer is None:
                break
            job_id, status, value = answer
            with self._lock:
                future = self._futures.pop(job_id, None)
            if future is None:
                continue
            if status == "ok":
                future.set_result(value)
            else:
                future.set_exception(RuntimeError(value))
        with self._lock:
            if not self._given_up:
                log.warning(
                    "the fetch process %s stopped (%s); the writer fetches from now on",
                    self.proc.pid,
                    self.fetcher.redact(why),
                )
            self._given_up = True
            left, self._futures = list(self._futures.values()), {}
        for future in left:
            future.set_exception(ProcessGone(f"fetch process {self.proc.pid}: {why}"))
        self._end_process()
        self._ended.set()

    def _end_process(self) -> None:
        with self._lock:  # not while the writer is sending
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        reap(self.proc)

    def _send(self, url: str, kwargs: dict, read: tuple | None) -> Future | None:
        try:
            payload = pickle.dumps((url, kwargs, read), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - a predicate that cannot be sent
            self.give_up(f"a request for {url} cannot be sent: {exc}")
            return None
        future: Future = Future()
        with self._lock:
            if self._given_up:
                return None
            self._next += 1
            self._futures[self._next] = future
            try:
                self.proc.stdin.write(frame((self._next, payload)))
                self.proc.stdin.flush()
            except (OSError, ValueError):  # its input broken, or closed as it ended
                del self._futures[self._next]
                future = None
        if future is None:
            self.give_up("its input closed")
        return future

    def give_up(self, why: str) -> None:
        """Send nothing more; the process answers what is under way and ends."""
        with self._lock:
            if self._given_up:
                return
            self._given_up = True
        log.warning(
            "fetch process given up (%s); the writer fetches from now on",
            self.fetcher.redact(why),  # an error's text may quote a request's secrets
        )
        with self._lock:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def here(self) -> FetchPool:
        """The pool of threads that fetches once the process is given up (built after the
        process has ended: its requests under way and this pool's never overlap)."""
        self.give_up("a request was fetched in the writer's process")
        self._ended.wait()
        with self._lock:
            if self._here is None:
                self._here = (
                    self.fallback() if self.fallback else FetchPool(self.fetcher, self._workers)
                )
            return self._here

    # --- the pool's interface ------------------------------------------------------------

    def submit(self, requests: Sequence[Request]) -> list[Any]:
        """Fetch ``requests`` in the process (or, once it is given up, on threads here)."""
        if self._given_up:
            return self.here().submit(requests)
        out = []
        for request in requests:
            read = self.read(request) if self.read is not None else None
            out.append(_Pending(self, request, self._send(request.url, request.kwargs, read)))
        return out

    def direct(self, url: str, **kwargs: Any) -> FetchResult:
        """One request of the writer's own, made by the process (waits for it)."""
        if not self._given_up:
            future = self._send(url, kwargs, None)
            if future is not None:
                try:
                    return future.result()[0]
                except Exception as exc:  # noqa: BLE001 - fetched here instead
                    self.give_up(str(exc))
        return self.here().direct(url, **kwargs)

    def close(self) -> None:
        """Stop: requests not started are dropped, those under way are waited for."""
        with self._lock:
            self._given_up = True
            if not self._next:
                self.proc.kill()  # it never made a request: nothing to wait for
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self._reader.join()
        if self._here is not None:
            self._here.close()
