"""A parse process (monitor/parse_pool.py): ``python -m monitor.parse_worker``.

It reads jobs from stdin and answers on stdout, each a pickle after its length (8 bytes, big
endian): a job is ``(job id, pickle of (registered source, body, read_document keyword
arguments))``, an answer ``(job id, "ok", Reading or None)`` or ``(job id, "error", text)``. None: the parser
raised, and the writer reads the body again, where the monitor's logging and redaction are
(this process logs nothing). It ends when stdin closes.

A process of its own, started as a module, rather than a ``multiprocessing`` one: those import
the starting program's main script again in the child, and a script that calls
``monitor.cli.main`` without an ``if __name__ == "__main__"`` guard would run its command
there a second time (a second ``monitor run`` waiting for the first's writer lock).
"""

from __future__ import annotations

import logging
import pickle
import sys

_RAISED = "parser raised "  # the problem text of a parser that raised (monitor.reading.run_parser)


def read_one(registered, body: bytes, kwargs: dict):
    """The reading, or None when the parser raised."""
    from monitor.reading import read_document

    reading = read_document(registered, body, **kwargs)
    if any(
        p.kind == "parse_error" and p.detail.startswith(_RAISED) for p in reading.result.problems
    ):
        return None
    return reading


def frame(obj) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(8, "big") + data


def unframe(stream):
    """The next object on ``stream``, or None at its end."""
    header = stream.read(8)
    if len(header) < 8:
        return None
    size = int.from_bytes(header, "big")
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def jobs_from(stream):
    """The jobs on ``stream``, in order, until it ends (or cannot be read: the monitor is
    gone)."""
    while True:
        try:
            job = unframe(stream)
        except (OSError, EOFError, pickle.UnpicklingError):
            return
        if job is None:
            return
        yield job


def main() -> None:
    import signal

    logging.disable(logging.CRITICAL)
    # Ctrl-C reaches the whole process group: the monitor decides, and closes our input
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    jobs, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not break the answers
    for job_id, payload in jobs_from(jobs):
        try:
            registered, body, kwargs = pickle.loads(payload)  # a parser's module is imported here
            answer = (job_id, "ok", read_one(registered, body, kwargs))
        except BaseException as exc:  # noqa: BLE001 - told to the writer, which reads it again
            answer = (job_id, "error", f"{type(exc).__name__}: {exc}")
        try:
            answers.write(frame(answer))
            answers.flush()
        except OSError:  # the monitor is gone (killed): nobody to answer
            return


if __name__ == "__main__":
    main()
