"""Fetching from several hosts at once while one thread writes the database.

A poll cycle spends most of its wall time waiting for servers. :class:`FetchPool` runs fetches
on up to ``fetch_concurrency`` worker threads; the caller (the one thread that owns the
database session) submits what it will need next and takes the results in its own order, so
storage stays exactly as sequential as before: the same rows, in the same order, from one
writer. Workers never touch the database: they fetch (and, given ``read``, read the body, a
pure function) and, given an ``archive``, archive a body that came back (the archive is
content-addressed and written by link, safe for writers at once; its fsyncs then run beside
the writer's work instead of inside it). The writer stores that :class:`Stored` instead of
archiving the body again (:attr:`FetchResult.archived`). A body a worker could not write is
left to the writer, which meets the error where it always did and rolls the poll back.

Politeness is the fetcher's: it is shared by the workers, its host throttle lets one request
at a time reach a host and keeps the host's interval (:meth:`scrapers.fetch.http.HostThrottle.turn`).
A job is a list of URLs fetched in order by one worker (a source's report links, all on one
host: spreading them over workers would only park those workers on the host's turn).

With ``workers=1`` there are no threads: a job runs in the caller's thread when its first
result is taken, so a poll is exactly as sequential as it was before the pool existed.

:class:`Prefetcher` is how a poll cycle uses it (``monitor.pipeline.run_once``): the listing
pages of the sources coming next are requested ahead, with the validators the poll would send,
and a poll asking for exactly that request gets the answer already fetched.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from scrapers.fetch.archive import Archive, ArchiveError
from scrapers.fetch.http import Fetcher, FetchResult


@dataclass
class Fetched:
    """One finished fetch: the result, when it started on the fetcher's clock, and what
    ``read`` made of it (None without ``read``)."""

    result: FetchResult
    started: float
    read: Any = None


@dataclass(frozen=True)
class Request:
    url: str
    kwargs: dict  # Fetcher.fetch keyword arguments: allowed, validators, content_types, headers
    context: Any = None  # what ``read`` needs to read the body (the source, what it is)


class Pending:
    """The result of one request of a job, taken with :meth:`take` (waits for it)."""

    def __init__(self, job: "_Job", index: int) -> None:
        self._job, self._index = job, index

    @property
    def request(self) -> Request:
        return self._job.requests[self._index]

    def take(self) -> Fetched:
        return self._job.take(self._index)


class _Job:
    def __init__(self, pool: "FetchPool", requests: Sequence[Request]) -> None:
        self.pool = pool
        self.requests = list(requests)
        self.futures: list[Future] = [Future() for _ in self.requests]
        self._next = 0  # the first request not yet run
        self._claimed = False  # a worker runs it
        self._lock = threading.Lock()

    def claim(self) -> bool:
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def run(self, upto: int | None = None) -> None:
        """Run the requests not run yet, in order, through index ``upto`` (default: all)."""
        last = len(self.requests) - 1 if upto is None else upto
        while self._next <= last:
            request, future = self.requests[self._next], self.futures[self._next]
            self._next += 1
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self.pool.fetch_one(request))
            except BaseException as exc:  # noqa: BLE001 - handed to the taker, never lost
                future.set_exception(exc)

    def take(self, index: int) -> Fetched:
        if self.pool.executor is None:
            self.run(upto=index)  # no workers: fetch in the caller's thread, when needed
        return self.futures[index].result()

    def cancel(self) -> None:
        for future in self.futures:
            future.cancel()


class FetchPool:
    """``workers`` threads fetching through one shared :class:`Fetcher`."""

    def __init__(
        self,
        fetcher: Fetcher,
        workers: int = 8,
        read: Callable[[Request, FetchResult, float], Any] | None = None,
        archive: Archive | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a fetch pool needs at least one worker")
        self.fetcher = fetcher
        self.workers = workers
        self.read = read
        self.archive = archive
        self.executor = (
            ThreadPoolExecutor(workers, thread_name_prefix="fetch") if workers > 1 else None
        )
        self._jobs: list[_Job] = []

    def fetch_one(self, request: Request) -> Fetched:
        started = self.fetcher.clock()
        result = self.fetcher.fetch(request.url, **request.kwargs)
        if self.archive is not None and result.outcome == "ok" and result.body is not None:
            try:
                result.archived = self.archive.put(result.body)
            except (ArchiveError, OSError):
                pass  # the writer archives it and meets the error there
        read = (
            self.read(request, result, started + result.elapsed) if self.read is not None else None
        )
        return Fetched(result, started, read)

    def direct(self, url: str, **kwargs: Any) -> FetchResult:
        """One request of the writer's own, made in its thread (through the shared fetcher)."""
        return self.fetcher.fetch(url, **kwargs)

    def submit(self, requests: Sequence[Request]) -> list[Pending]:
        """Fetch ``requests`` in order on one worker (they share a host); the results are
        taken in any order by the caller."""
        job = _Job(self, requests)
        if self.executor is not None and job.requests:
            # keep only jobs that may still need cancelling (done ones hold bodies)
            self._jobs = [j for j in self._jobs if not all(f.done() for f in j.futures)]
            self._jobs.append(job)
            self.executor.submit(lambda: job.claim() and job.run())
        return [Pending(job, i) for i in range(len(job.requests))]

    def close(self) -> None:
        """Stop: requests not started are dropped, those under way are waited for."""
        if self.executor is not None:
            for job in self._jobs:
                job.cancel()  # a request not started is dropped; a job under way stops there
            self.executor.shutdown(wait=True, cancel_futures=True)
            self._jobs.clear()

    def __enter__(self) -> "FetchPool":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


class Prefetcher:
    """The fetcher as the one writer sees it during a concurrent poll: :meth:`prefetch` hands a
    request to the pool ahead of time; :meth:`fetch` answers a request the pool already made
    with the same URL, validators, headers and accepted types (so nothing is sent that the
    poll would not have sent), and has the pool fetch anything else at once (``direct``: the
    writer's thread, or the fetch process that makes every request of the cycle,
    monitor/fetch_process.py). Everything else
    (the clock, the rewrite, ``close``) is the fetcher's."""

    def __init__(self, fetcher: Fetcher, pool: FetchPool) -> None:
        self.fetcher, self.pool = fetcher, pool
        self._ahead: dict[tuple, Pending] = {}

    @staticmethod
    def _key(
        url: str, validators: Any, content_types: tuple[str, ...], headers: dict[str, str] | None
    ) -> tuple:
        return (url, validators, tuple(content_types), tuple(sorted((headers or {}).items())))

    def prefetch(
        self,
        url: str,
        *,
        allowed: Callable[[str], bool],
        validators: Any = None,
        content_types: tuple[str, ...] = ("text/html", "application/pdf"),
        headers: dict[str, str] | None = None,
        context: Any = None,
    ) -> None:
        """Request ``url`` ahead; ``context`` is what the pool's ``read`` needs to read it."""
        key = self._key(url, validators, content_types, headers)
        if key in self._ahead:
            return
        (self._ahead[key],) = self.pool.submit(
            [
                Request(
                    url,
                    dict(
                        allowed=allowed,
                        validators=validators,
                        content_types=content_types,
                        headers=headers,
                    ),
                    context,
                )
            ]
        )

    def fetch(
        self,
        url: str,
        *,
        allowed: Callable[[str], bool],
        validators: Any = None,
        content_types: tuple[str, ...] = ("text/html", "application/pdf"),
        headers: dict[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        # a request under a lower body cap (a JSON API's page) is not the one prefetched
        pending = (
            None
            if max_bytes is not None
            else self._ahead.pop(self._key(url, validators, content_types, headers), None)
        )
        if pending is not None:
            fetched = pending.take()
            if fetched.read is not None:  # what the pool's ``read`` started: the writer's now
                fetched.result.read_ahead = fetched.read
            return fetched.result
        return self.pool.direct(
            url,
            allowed=allowed,
            validators=validators,
            content_types=content_types,
            headers=headers,
            max_bytes=max_bytes,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fetcher, name)
