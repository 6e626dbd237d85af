"""What a poll cycle costs, and what conditional GET saves.

A loopback server stands in for N agency sites (default 200): each has a listing page linking
to one report PDF, served with ETag and Last-Modified. The monitor polls every source twice
through the real pipeline (Fetcher -> archive -> parser -> database): a first full cycle, then
a second cycle in which nothing changed. A naive fetcher (plain GETs of every listing and
report, no validators, no database) does the same two cycles for comparison.

For each cycle it prints requests, bytes the server sent (headers and bodies), wall time and
peak Python memory (tracemalloc). Wall time comes from a pass without tracemalloc, memory from
a second pass with it, because tracing slows Python down. It asserts nothing about time.

Goal: the no-change cycle moves at most 5% of the bytes of the full one, in at most half its
time. The per-host minimum interval is set to 0 here, since all N sites share one loopback
host; in production it spaces requests to each agency host.

    python bench/poll_cycle.py [--sources 200] [--report-kb 200] [--database-url URL]
                               [--json] [--quick]

``--json`` prints the figures for bench/report.py; ``--quick`` polls three small sites (a smoke
run whose figures mean nothing).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import at_most, context, print_json  # noqa: E402

from scrapers.http import Fetcher, HttpConfig, mirror_rewrite
from scrapers.records import CountRecord, Link, ParseResult, ReportRecord
from scrapers.registry import RegisteredSource
from scrapers.source import Source

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
LAST_MODIFIED = format_datetime(datetime(2026, 3, 1, tzinfo=timezone.utc), usegmt=True)


# --- the loopback "agency sites" ----------------------------------------------------------

class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes = 0

    def snapshot(self) -> tuple[int, int]:
        with self.lock:
            return self.requests, self.bytes


class _CountingWriter:
    def __init__(self, raw, stats: Stats) -> None:
        self._raw, self._stats = raw, stats

    def write(self, data) -> int:
        with self._stats.lock:
            self._stats.bytes += len(data)
        return self._raw.write(data)

    def __getattr__(self, name):
        return getattr(self._raw, name)


def make_site(n: int, report_kb: int) -> dict[str, tuple[bytes, str]]:
    """Path -> (body, content type), laid out as the demo mirror does: /<host>/<path>."""
    pages = {}
    filler = ("<p>" + "Family unit actions, fiscal year statistics and notes. " * 20 + "</p>") * 6
    for i in range(n):
        host = f"src{i:03d}.agency.gov"
        listing = (f"<!DOCTYPE html><html><head><title>Reports {i}</title></head><body>"
                   f"<h1>Reports of site {i}</h1>{filler}<ul><li><a href=\"https://{host}/files/"
                   f"report-{i}.pdf\">Report {i}</a></li></ul></body></html>").encode()
        head = f"%PDF-1.4\nTITLE Report {i}\nTOTAL {i}\n".encode()
        report = head + b"0" * max(0, report_kb * 1024 - len(head))
        pages[f"/{host}/reports"] = (listing, "text/html; charset=utf-8")
        pages[f"/{host}/files/report-{i}.pdf"] = (report, "application/pdf")
    return pages


def serve(pages: dict[str, tuple[bytes, str]], stats: Stats) -> ThreadingHTTPServer:
    etags = {path: '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
             for path, (body, _t) in pages.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
        disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to every response

        def setup(self) -> None:
            super().setup()
            self.wfile = _CountingWriter(self.wfile, stats)

        def do_GET(self) -> None:
            with stats.lock:
                stats.requests += 1
            page = pages.get(self.path)
            if page is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, ctype = page
            etag = etags[self.path]
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- the sources ---------------------------------------------------------------------------

def parse(doc) -> ParseResult:
    if doc.is_pdf:
        text = doc.body[:200].decode("latin-1")
        title = re.search(r"TITLE (.+)", text).group(1)
        total = int(re.search(r"TOTAL (\d+)", text).group(1))
        return ParseResult("1", reports=[ReportRecord(title=title, url=doc.url)],
                           counts=[CountRecord(0, "separations", "total", "total", "Total", total)])
    links = re.findall(rb'href="([^"]+)"', doc.body)
    return ParseResult("1", links=[Link(u.decode()) for u in links])


def make_sources(n: int) -> list[RegisteredSource]:
    return [RegisteredSource(Source(id=f"bench_{i:03d}", agency="DHS", title=f"Bench site {i}",
                                    start_urls=(f"https://src{i:03d}.agency.gov/reports",),
                                    allowed_hosts=(f"src{i:03d}.agency.gov",)), parse)
            for i in range(n)]


# --- the two fetchers ----------------------------------------------------------------------

@dataclass
class Figures:
    requests: int
    bytes: int
    seconds: float
    peak_bytes: int | None = None
    failures: int = 0


def _measure(stats: Stats, work, trace: bool) -> Figures:
    req0, bytes0 = stats.snapshot()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    failures = work()
    seconds = time.perf_counter() - start
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    req1, bytes1 = stats.snapshot()
    return Figures(req1 - req0, bytes1 - bytes0, seconds, peak, failures)


def monitor_cycles(base: str, sources, stats: Stats, database_url: str | None,
                   trace: bool) -> list[Figures]:
    from sqlalchemy.orm import Session

    from monitor.db import make_engine, upgrade
    from monitor.fetching import new_cycle, poll_source
    from scrapers.archive import Archive

    with tempfile.TemporaryDirectory(prefix="poll-cycle-") as tmp:
        engine = make_engine(database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        archive = Archive(Path(tmp) / "archive")
        fetcher = Fetcher(HttpConfig(user_agent="separation-reporting-monitor/bench (+bench@example.org)",
                                     retries=0, host_min_interval=0.0),
                          rewrite=mirror_rewrite(base))

        def cycle(now: datetime):
            def work() -> int:
                failures = 0
                cycle_id = new_cycle(now)
                for reg in sources:
                    with Session(engine, expire_on_commit=False) as session:
                        result = poll_source(session, archive, fetcher, reg, now=now,
                                             cycle=cycle_id)
                        session.commit()
                    failures += sum(not r.succeeded for r in result.runs)
                return failures
            return work

        figures = [_measure(stats, cycle(T0), trace),
                   _measure(stats, cycle(T0 + timedelta(days=1)), trace)]
        fetcher.close()
        engine.dispose()
    return figures


def naive_cycles(base: str, sources, stats: Stats, trace: bool) -> list[Figures]:
    """GET every listing and report each cycle: no validators, no memory of the last cycle."""
    rewrite = mirror_rewrite(base)
    http = requests.Session()

    def work() -> int:
        failures = 0
        for reg in sources:
            for url in reg.source.start_urls:
                page = http.get(rewrite(url), timeout=30)
                hashlib.sha256(page.content).hexdigest()
                for link in re.findall(rb'href="([^"]+)"', page.content):
                    report = http.get(rewrite(link.decode()), timeout=30)
                    hashlib.sha256(report.content).hexdigest()
                    failures += report.status_code != 200
                failures += page.status_code != 200
        return failures

    figures = [_measure(stats, work, trace), _measure(stats, work, trace)]
    http.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--report-kb", type=int, default=200)
    parser.add_argument("--database-url", help="Default: a SQLite file in a temporary directory.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--quick", action="store_true",
                        help="Three small sites: checks the benchmark runs, measures nothing.")
    args = parser.parse_args(argv)
    if args.quick:
        args.sources, args.report_kb = 3, 4

    stats = Stats()
    server = serve(make_site(args.sources, args.report_kb), stats)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    sources = make_sources(args.sources)
    try:
        timed = monitor_cycles(base, sources, stats, args.database_url, trace=False)
        traced = monitor_cycles(base, sources, stats, args.database_url, trace=True)
        naive_timed = naive_cycles(base, sources, stats, trace=False)
        naive_traced = naive_cycles(base, sources, stats, trace=True)
    finally:
        server.shutdown()

    full, none = timed
    byte_share = none.bytes / full.bytes if full.bytes else 0.0
    time_share = none.seconds / full.seconds if full.seconds else 0.0
    if args.json:
        print_json("poll_cycle", [
            at_most("no-change cycle's bytes, share of a full cycle's", 100 * byte_share, 5, "%"),
            at_most("no-change cycle's wall time, share of a full cycle's", 100 * time_share,
                    50, "%"),
            context("full cycle wall time", full.seconds, "s"),
            context("full cycle peak memory", traced[0].peak_bytes / 2**20, "MiB"),
            context("failed requests", sum(f.failures for f in timed)),
        ], {"sources": args.sources, "report_kb": args.report_kb,
            "requests": [full.requests, none.requests],
            "naive_no_change_bytes": naive_timed[1].bytes})
        return 0
    print(f"{args.sources} sources on {base}, one listing + one {args.report_kb} KiB report each")
    print(f"{'fetcher':<9}{'cycle':<16}{'requests':>9}{'bytes sent':>14}{'wall s':>9}"
          f"{'peak MiB':>10}{'failed':>8}")
    rows = [("monitor", timed, traced), ("naive", naive_timed, naive_traced)]
    for name, by_time, by_memory in rows:
        for label, t, m in zip(("1 full", "2 no change"), by_time, by_memory):
            print(f"{name:<9}{label:<16}{t.requests:>9}{t.bytes:>14,}{t.seconds:>9.2f}"
                  f"{m.peak_bytes / 2**20:>10.1f}{t.failures:>8}")
    print(f"monitor no-change cycle vs full: {byte_share:.2%} of the bytes (goal <= 5%), "
          f"{time_share:.0%} of the time (goal <= 50%)")
    print(f"naive no-change cycle vs monitor's: {naive_timed[1].bytes / max(1, none.bytes):.0f}x "
          f"the bytes, {naive_timed[1].requests} requests against {none.requests}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
