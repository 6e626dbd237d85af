"""A fetch process (monitor/fetch_process.py): ``python -m monitor.fetch_worker``.

It fetches on threads of its own, through one :class:`~scrapers.fetch.http.Fetcher` whose host
throttle is then the only one making requests in the poll cycle (never two requests to one
host at once, the host's interval kept), archives what came back, and, when asked, reads it
(:func:`monitor.parse_worker.read_one`). The monitor's one writer stores the results.

Frames as in :mod:`monitor.parse_worker` (a pickle after its length). The first frame is the
setup ``(HttpConfig, rewrite or None, archive root or None, workers)``; then each job is
``(job id, pickle of (url, Fetcher.fetch keyword arguments, read))`` where ``read`` is None or
``(pickle of the registered source, read_document keyword arguments but the content type)``; each answer
``(job id, "ok", (FetchResult, started, Reading or None))`` or ``(job id, "error", text)``,
written as each fetch ends, in any order. At the end of its input it drops the jobs not
started, answers those under way, and ends.

It logs nothing (the writer logs, under the monitor's redaction) and ignores Ctrl-C: the
monitor decides, and closes its input.
"""

from __future__ import annotations

import logging
import pickle
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from monitor.parse_worker import frame, jobs_from, read_one, unframe


_sources: dict[bytes, object] = {}  # a registered source's pickle -> the source (read once)


def run_job(fetcher, archive, url: str, kwargs: dict, read) -> tuple:
    """Fetch ``url``; archive a body that came back; read it when asked."""
    from scrapers.fetch.archive import ArchiveError

    started = fetcher.clock()
    result = fetcher.fetch(url, **kwargs)
    if archive is not None and result.outcome == "ok" and result.body is not None:
        try:
            result.archived = archive.put(result.body)
        except (ArchiveError, OSError):
            pass  # the writer archives it and meets the error there
    reading = None
    if read is not None and result.outcome == "ok" and result.body is not None:
        sent, read_kwargs = read
        registered = _sources.get(sent)
        if registered is None:
            registered = _sources[sent] = pickle.loads(sent)  # its parser's module loads here
        reading = read_one(
            registered, result.body, dict(read_kwargs, content_type=result.content_type)
        )
    return result, started, reading


def main() -> None:
    import signal

    from scrapers.fetch.archive import Archive
    from scrapers.fetch.http import Fetcher

    logging.disable(logging.CRITICAL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    jobs, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not break the answers
    lock = threading.Lock()
    try:
        config, rewrite, archive_root, workers = unframe(jobs)
    except (OSError, EOFError, pickle.UnpicklingError, TypeError, ValueError):
        return
    fetcher = Fetcher(config, rewrite=rewrite)
    archive = Archive(archive_root) if archive_root is not None else None
    gone = threading.Event()  # the monitor stopped reading: nobody to answer

    def answer(job_id, payload: bytes) -> None:
        if gone.is_set():
            return
        try:
            url, kwargs, read = pickle.loads(payload)  # a source's module is imported here
            out = (job_id, "ok", run_job(fetcher, archive, url, kwargs, read))
        except BaseException as exc:  # noqa: BLE001 - told to the writer, which fetches it itself
            out = (job_id, "error", f"{type(exc).__name__}: {exc}")
        try:
            data = frame(out)
        except Exception as exc:  # noqa: BLE001 - an answer that does not pickle
            data = frame((job_id, "error", f"{type(exc).__name__}: {exc}"))
        with lock:
            try:
                answers.write(data)
                answers.flush()
            except OSError:
                gone.set()

    pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="fetch")
    try:
        for job in jobs_from(jobs):
            if gone.is_set():
                break
            pool.submit(answer, *job)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        fetcher.close()


if __name__ == "__main__":
    main()
