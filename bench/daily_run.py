"""How a daily `monitor run --once` scales with the history it keeps: the same run against a
database holding a few thousand fetch runs and one holding a million.

Each database gets the demo's sources, then ``--small`` (default 2,000) or ``--large`` (default
1,000,000) synthetic fetch runs of earlier days: every source's listing and report URLs polled
again and again (the lookups a poll makes by URL must not scan them all), plus runs of URLs that
no longer exist. By default every run of the history is a document fetch; with ``--listings``
the runs of the sources' start URLs are listing reads, as a monitor's are. Then the daily run
itself: the offline demo server answers, everything is polled and evaluated, as a deployed
monitor's morning run does. A first run, not timed, takes in the demo's documents (a deployed
monitor has them from earlier days); then ``--repeat`` (default 5) timed runs on each database,
alternating between the two so that both see the same load of the machine, the best of each
shown. Goal: the run at a million fetch runs takes at most 1.2 times the run at two thousand.

    python bench/daily_run.py [--small 2000] [--large 1000000] [--postgresql] [--pg-url URL]
                              [--repeat N] [--listings] [--json] [--quick]

``--quick`` uses 500 and 5,000 (a smoke run whose figures mean nothing). SQLite always;
``--postgresql`` measures the same on PostgreSQL too: ``--pg-url`` (default
``MONITOR_TEST_PG_URL``, else ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) names a
server and a role that may create databases; the scratch databases ``bench_daily_<pid>_<n>`` are
dropped at the end. The load average is printed with the figures (they depend on what else the
machine runs), and every timed run's seconds with ``--json`` (under ``details``).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert  # noqa: E402

from _figures import at_most, context, print_json  # noqa: E402
from monitor.config import load_settings  # noqa: E402
from monitor.context import Context  # noqa: E402
from monitor.db import make_engine, session_scope, upgrade  # noqa: E402
from monitor.demo_server import DemoServer, load_manifests  # noqa: E402
from monitor.models import FetchRun  # noqa: E402
from monitor.pipeline import run_once  # noqa: E402
from monitor.store import ensure_source  # noqa: E402
from scrapers.registry import all_sources  # noqa: E402

UTC = timezone.utc
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DAY = datetime(2022, 9, 30, 6, tzinfo=UTC)
BATCH = 20_000


def history(url: str, n_runs: int, listings: bool = False) -> None:
    """``n_runs`` fetch runs before DAY: the served URLs and as many URLs long gone; with
    ``listings`` the runs of the sources' start URLs are listing reads, as a monitor's are."""
    engine = make_engine(url)
    sources = [r for r in all_sources() if r.source.start_urls]
    served = [s.url for s in load_manifests()]
    start_urls = {u for reg in sources for u in reg.source.start_urls} if listings else set()
    with session_scope(engine) as session:
        for reg in sources:
            ensure_source(session, reg.source, DAY - timedelta(days=3000))
    start = DAY - timedelta(days=1)
    rows = []
    for i in range(n_runs):
        reg = sources[i % len(sources)]
        target = served[i % len(served)] if i % 2 else f"https://gone.example/{i % 5000}.html"
        at = start - timedelta(minutes=i)
        rows.append(
            {
                "source_id": reg.id,
                "url": target,
                "requested_url": None,
                "started_at": at,
                "finished_at": at,
                "duration_ms": 10,
                "outcome": "not_modified",
                "http_status": 304,
                "bytes": 0,
                "error": None,
                "snapshot_id": None,
                "cycle": f"bench-{i // 100}",
                "listing": target in start_urls,
            }
        )
        if len(rows) == BATCH:
            _flush(engine, rows)
    _flush(engine, rows)
    engine.dispose()


def _flush(engine, rows: list[dict]) -> None:
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(FetchRun), rows)
        rows.clear()


class DailyRuns:
    """A monitor on one scratch database, run as its daily run: ``run(i)`` is the i-th day's
    run (an hour apart, every source polled, nothing sent), returning its seconds."""

    def __init__(self, home: Path, url: str, server: DemoServer) -> None:
        settings = load_settings(
            {
                "MONITOR_HOME": str(home),
                "MONITOR_DATABASE_URL": url,
                "MONITOR_HOST_MIN_INTERVAL": "0",
                "MONITOR_HTTP_RETRIES": "0",
                "MONITOR_WATCH_FROM": "2022-01-01",
                "MONITOR_CONTACT": "bench@localhost",
            }
        )
        self.ctx = Context(settings)
        self.server = server

    def run(self, i: int) -> float:
        gc.collect()  # what earlier runs left is not collected on this one's time
        t0 = time.perf_counter()
        run_once(
            self.ctx,
            now=DAY + timedelta(hours=i),
            every_source=True,
            rewrite=self.server.rewrite,
            notify=False,
        )
        return time.perf_counter() - t0

    def close(self) -> None:
        self.ctx.engine.dispose()


@contextmanager
def scratch(n_runs: int, pg_url: str | None = None, listings: bool = False):
    """(home, url, seconds to write the history) of a scratch database holding ``n_runs`` fetch
    runs: a SQLite file, or with ``pg_url`` a PostgreSQL database on that server; removed
    after."""
    home = Path(tempfile.mkdtemp(prefix=f"bench-daily-{n_runs}-"))
    admin = name = None
    if pg_url is None:
        url = f"sqlite:///{home / 'monitor.db'}"
    else:
        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        name = f"bench_daily_{os.getpid()}_{n_runs}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        t0 = time.perf_counter()
        history(url, n_runs, listings)
        fill_s = time.perf_counter() - t0
        if admin is not None:  # statistics, as autovacuum would have them after a while
            engine = make_engine(url)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            engine.dispose()
        yield home, url, fill_s
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def measure(
    sizes: tuple[int, ...],
    server: DemoServer,
    repeat: int,
    pg_url: str | None = None,
    say=print,
    listings: bool = False,
) -> dict[int, list[float]]:
    """Seconds of each timed daily run per history size: a scratch database per size, a first
    run on each not timed, then ``repeat`` rounds of one run on each, in alternating order."""
    with ExitStack() as stack:
        runs = {}
        for n in sizes:
            home, url, fill_s = stack.enter_context(scratch(n, pg_url, listings))
            say(f"  {n:>9,} fetch runs written in {fill_s:.1f} s")
            runs[n] = DailyRuns(home, url, server)
            stack.callback(runs[n].close)
        for n in sizes:
            runs[n].run(0)  # takes in the demo's documents
        times: dict[int, list[float]] = {n: [] for n in sizes}
        for i in range(1, repeat + 1):
            for n in sizes if i % 2 else sizes[::-1]:
                times[n].append(runs[n].run(i))
        return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs per size.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--quick", action="store_true", help="500 and 5,000 runs: a smoke run.")
    parser.add_argument("--postgresql", action="store_true", help="Measure on PostgreSQL too.")
    parser.add_argument(
        "--listings",
        action="store_true",
        help="The history's runs of start URLs are listing reads (default: document fetches).",
    )
    parser.add_argument("--pg-url", default=os.environ.get("MONITOR_TEST_PG_URL", PG_DEFAULT))
    args = parser.parse_args(argv)
    if args.quick:
        args.small, args.large, args.repeat = 500, 5_000, 1
    logging.disable(logging.WARNING)
    say = (lambda *_a: None) if args.json else print
    kinds = [("sqlite", None)] + ([("postgresql", args.pg_url)] if args.postgresql else [])
    figures = []
    details = {"load_average": [round(x, 2) for x in os.getloadavg()]}
    say(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sizes = (args.small, args.large)
    with DemoServer(load_manifests()) as server:
        for kind, pg_url in kinds:
            say(f"{kind}:")
            runs = measure(sizes, server, args.repeat, pg_url, say, args.listings)
            best = {n: min(runs[n]) for n in sizes}
            for n in sizes:
                spread = " ".join(f"{t:.2f}" for t in runs[n])
                say(f"{kind}: {n:>9,} fetch runs: daily run {best[n]:.2f} s (runs: {spread})")
            ratio = best[args.large] / best[args.small] if best[args.small] else float("inf")
            say(f"{kind}: ratio {ratio:.2f} (goal <= 1.2)")
            details[f"{kind}_runs_s"] = {str(n): [round(t, 4) for t in runs[n]] for n in sizes}
            prefix = "" if kind == "sqlite" else f"{kind}: "
            figures += [
                at_most(
                    f"{prefix}daily run at {args.large:,} vs {args.small:,} fetch runs",
                    ratio,
                    1.2,
                    "x",
                ),
                context(f"{prefix}daily run at {args.small:,} fetch runs", best[args.small], "s"),
                context(f"{prefix}daily run at {args.large:,} fetch runs", best[args.large], "s"),
            ]
    details["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    say(f"load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        print_json("daily_run", figures, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
