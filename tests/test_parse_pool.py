"""Pages fetched ahead are read in another process (``parse_processes``) while the one writer
stores: what is stored is exactly what the writer stores when it reads them itself, and
whatever a process cannot do (a parser it cannot be sent, a parser that raised, a process that
died) the writer does, as before."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

import monitor.document_path as document_path
from concurrent_sites import Sites
from fetch_fakes import SOURCE, parse
from monitor.models import CountObservation, Parse, Report
from monitor.parse_pool import ParsePool
from scrapers.registry import RegisteredSource
from test_concurrent_polls import N, context, run_sites, stored

_READ = document_path.read_document  # the writer's own reading, before any test wraps it
LISTING = b'<html><body><a href="https://e.gov/r1.pdf">Report 1</a></body></html>'


def _poll(db_url, tmp_path, processes: int, prefix: str, monkeypatch):
    """One run over N loopback sites; also how many bodies the writer thread read itself."""
    read_here = []

    def counting(*args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            read_here.append(kwargs.get("url"))
        return _READ(*args, **kwargs)

    monkeypatch.setattr(document_path, "read_document", counting)
    with Sites(N, delay=0.05) as sites:
        # worker threads fetch (a fetch process reads what it fetched itself:
        # tests/test_fetch_process.py)
        ctx = context(
            db_url,
            tmp_path / f"home-{prefix}",
            4,
            MONITOR_PARSE_PROCESSES=str(processes),
            MONITOR_FETCH_PROCESS_FROM="0",
        )
        try:
            report = run_sites(ctx, sites, prefix)
            assert report.ok, report.failures
            with ctx.session() as session:
                parses = sorted(
                    (p.source_id.removeprefix(prefix), p.outcome, p.reports, p.counts, len(p.links))
                    for p in session.scalars(select(Parse))
                    if p.source_id.startswith(prefix + "_")
                )
                counts = sorted(
                    (r.source_id.removeprefix(prefix), c.label, c.value)
                    for c, r in session.execute(
                        select(CountObservation, Report).join(
                            Report, Report.id == CountObservation.report_id
                        )
                    )
                    if r.source_id.startswith(prefix + "_")
                )
            return stored(ctx, prefix), parses, counts, read_here
        finally:
            ctx.engine.dispose()


def test_pages_read_in_a_process_are_stored_as_the_writer_stores_them(
    db_url, tmp_path, monkeypatch
):
    here = _poll(db_url, tmp_path, 0, "here", monkeypatch)
    ahead = _poll(db_url, tmp_path, 1, "ahead", monkeypatch)
    assert ahead[:3] == here[:3]
    assert len(here[2]) == N  # each report's total, read and stored
    # without processes the writer read every listing and report; with one, only the reports
    # (a poll fetches those itself, not ahead)
    assert len(here[3]) == 2 * N
    assert len(ahead[3]) == N and all(u.endswith(".pdf") for u in ahead[3])


def _registered(parser) -> RegisteredSource:
    return RegisteredSource(replace(SOURCE, id="pp"), parser)


def _submit(pool: ParsePool, registered: RegisteredSource):
    return pool.submit(
        registered,
        LISTING,
        url="https://e.gov/list",
        content_type="text/html",
        listing=True,
        fetched=date(2026, 3, 2),
        max_links=None,
    )


def _read(pool: ParsePool, registered: RegisteredSource):
    future = _submit(pool, registered)
    return future, pool.result(future)


def _raises(doc):
    raise RuntimeError("the parser fell over")


def _dies(doc):
    os._exit(3)  # a process killed in the middle of a parse


def test_a_process_reads_what_the_writer_reads():
    from monitor.reading import read_document

    pool = ParsePool(1)
    try:
        _future, reading = _read(pool, _registered(parse))
    finally:
        pool.close()
    mine = read_document(
        _registered(parse),
        LISTING,
        url="https://e.gov/list",
        content_type="text/html",
        listing=True,
        fetched=date(2026, 3, 2),
    )
    assert reading == mine and [link.url for link in reading.result.links] == [
        "https://e.gov/r1.pdf"
    ]


@pytest.mark.parametrize("why", ["not sendable", "parser raised", "process died", "none asked"])
def test_what_a_process_cannot_read_is_left_to_the_writer(why):
    pool = ParsePool(0 if why == "none asked" else 1)
    try:
        parser = {"not sendable": lambda doc: parse(doc), "parser raised": _raises}.get(why, _dies)
        future, reading = _read(pool, _registered(parser if why != "none asked" else parse))
        assert reading is None
        assert (future is None) == (why in ("not sendable", "none asked"))
        if why == "process died":  # the pool is given up: the writer reads from now on
            assert _read(pool, _registered(parse)) == (None, None)
        elif why == "parser raised":  # one parser's failure costs nothing else
            assert _read(pool, _registered(parse))[1] is not None
    finally:
        pool.close()


def test_jobs_waiting_when_a_process_dies_are_left_to_the_writer():
    """Two processes, one killed mid-parse: every job still queued is answered None at once
    (the writer reads it), none left waiting for a process that will never take it."""
    pool = ParsePool(2)
    try:
        futures = [_submit(pool, _registered(_dies if i == 0 else parse)) for i in range(6)]
        assert all(f is not None for f in futures)
        readings = [pool.result(f) for f in futures]  # returns: nothing waits forever
        assert readings[0] is None
        assert all(r is None or r.result.links for r in readings)
    finally:
        pool.close()


def test_a_script_without_a_main_guard_is_not_run_again_by_a_parse_process(tmp_path):
    """A program that calls the monitor at import time (no ``if __name__ == "__main__"``) is
    not imported again in a parse process: it runs once."""
    import subprocess
    import sys

    marker = tmp_path / "ran"
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import sys\n"
        f"sys.path[:0] = {[p for p in sys.path if p]!r}\n"
        f"open({str(marker)!r}, 'a').write('x')\n"
        "from datetime import date\n"
        "from test_parse_pool import LISTING, _registered, parse\n"
        "from monitor.parse_pool import ParsePool\n"
        "pool = ParsePool(1)\n"
        "f = pool.submit(_registered(parse), LISTING, url='https://e.gov/list',\n"
        "    content_type='text/html', listing=True, fetched=date(2026, 3, 2), max_links=None)\n"
        "print(pool.result(f) is not None)\n"
        "pool.close()\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
    assert marker.read_text() == "x"  # once
