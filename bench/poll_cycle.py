"""What a poll cycle costs, beside urlwatch polling the same pages.

A loopback server (bench/_listing_sites.py, in its own process) serves N listing pages (default
200) of about 27 KB with 40 report links each, shaped like the HHS listing, each page on its own
loopback address as N sources on N hosts would be, with ETag and Last-Modified. The monitor
polls them through its real pipeline (``monitor.pipeline.run_once``: fetcher, response check,
archive, the HHS parser, validation, storage, source health and status), one source per page
whose links are not followed, so that it moves exactly the bytes urlwatch moves: a first full
cycle (every page new), then a no-change cycle (every page a 304). For each cycle it prints wall
time, requests, bytes the server sent (status lines, headers and bodies) and SQL statements per
page (an ``executemany`` counts once).

``--peer urlwatch`` runs urlwatch 2.29 (``pip install -e ".[bench]"``) over the same server in
the same run (bench/_urlwatch_peer.py, its own process, its own default of ten threads) and
prints the ratios of the monitor's wall times to urlwatch's. Goals: the no-change cycle at most
1.0 times urlwatch's, the full cycle at most 1.5 times (the monitor parses and stores; urlwatch
only diffs); at most 5 SQL statements per unchanged page and 15 per changed one; the no-change
cycle moves at most 5% of the bytes of the full one. Nothing here asserts a time. Each cycle
also shows the CPU seconds of the monitor's process (the writer) and of the processes it
started for the cycle (the fetch process, parse processes): on two cores a cycle cannot take
less wall time than the larger of the two, nor than half their sum.

    python bench/poll_cycle.py [--pages 200] [--peer urlwatch] [--concurrency N]
                               [--latency S] [--database-url URL] [--profile FILE]
                               [--json] [--quick]

``--json`` prints ``{"full": {"wall_s", "requests", "bytes", "sql_per_page"}, "nochange":
{...}, "peer": {"full": {"wall_s"}, "nochange": {"wall_s"}} | null, "ratios": {"full",
"nochange"} | null}``, plus the ``benchmark`` and ``figures`` keys bench/report.py reads and
``details`` (its ``cpu``: each cycle's CPU seconds, the monitor's and its processes').
``--latency S`` makes every answer wait S seconds, as a distant server's would (loopback answers
at once, which hides what fetching several hosts at once saves); ``--concurrency N`` sets the
monitor's ``fetch_concurrency``. ``--profile FILE`` runs the monitor's cycles under cProfile, writes the statistics to FILE
(``python -m pstats FILE``) and prints the top of the list on stderr. ``--quick`` polls three
pages (a smoke run whose figures mean nothing).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import requests  # noqa: E402

from _figures import at_most, context, print_json  # noqa: E402
from _listing_sites import STATS_PATH, host, url  # noqa: E402

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


@dataclass
class Cycle:
    wall_s: float
    requests: int
    bytes: int
    sql_per_page: float | None = None
    # CPU seconds of the monitor's own process (the writer, and any fetch threads) and of the
    # processes it started and waited for during the cycle (the fetch process, parse processes)
    cpu_s: float | None = None
    helpers_cpu_s: float | None = None

    def to_json(self) -> dict:
        out = {"wall_s": round(self.wall_s, 4), "requests": self.requests, "bytes": self.bytes}
        if self.sql_per_page is not None:
            out["sql_per_page"] = round(self.sql_per_page, 2)
        return out

    def cpu_json(self) -> dict:
        return {
            "monitor_s": round(self.cpu_s, 4),
            "started_processes_s": round(self.helpers_cpu_s, 4),
        }


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Sites:
    """The server process: started on enter, stopped (its stdin closed) on exit."""

    def __init__(self, pages: int, latency: float = 0.0) -> None:
        self.pages, self.latency = pages, latency

    def __enter__(self) -> "Sites":
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(BENCH / "_listing_sites.py"),
                "--pages",
                str(self.pages),
                "--latency",
                str(self.latency),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().split()
        if line[:1] != ["READY"]:
            self.proc.kill()
            raise SystemExit("the loopback sites did not start")
        self.port = int(line[1])
        self.http = requests.Session()
        return self

    def __exit__(self, *_exc) -> None:
        self.http.close()
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def urls(self) -> list[str]:
        return [url(i, self.port) for i in range(self.pages)]

    def stats(self) -> tuple[int, int]:
        data = self.http.get(f"http://{host(0)}:{self.port}{STATS_PATH}", timeout=10).json()
        return data["requests"], data["bytes"]


def bench_sources(sites: Sites):
    """One source per page: the HHS source's parser and shapes, on that page's host only, its
    report links not followed."""
    from scrapers.registry import RegisteredSource, load_source

    hhs = load_source("hhs_separated_children")
    return [
        RegisteredSource(
            replace(
                hhs.source,
                id=f"bench_hhs_{i:03d}",
                start_urls=(u,),
                allowed_hosts=(host(i),),
                follow_links=False,
            ),
            hhs.parse,
        )
        for i, u in enumerate(sites.urls())
    ]


def monitor_cycles(
    sites: Sites, database_url: str | None, profile: str | None, concurrency: int | None = None
) -> tuple[Cycle, Cycle, list[str]]:
    from sqlalchemy import event

    from monitor.config import load_settings
    from monitor.context import Context
    from monitor.pipeline import run_once

    sources = bench_sources(sites)
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="poll-cycle-") as tmp:
        env = {"MONITOR_HOME": tmp, "MONITOR_CONTACT": "bench@localhost"}
        if database_url:
            env["MONITOR_DATABASE_URL"] = database_url
        if concurrency:
            env["MONITOR_FETCH_CONCURRENCY"] = str(concurrency)
        ctx = Context(load_settings(env))
        statements = [0]

        def count(*_args) -> None:
            statements[0] += 1

        event.listen(ctx.engine, "before_cursor_execute", count)  # after the migrations
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()

        def one(now: datetime) -> Cycle:
            req0, bytes0 = sites.stats()
            sql0 = statements[0]
            if profiler:
                profiler.enable()
            cpu0, helpers0 = time.process_time(), _children_cpu()
            started = time.perf_counter()
            report = run_once(
                ctx, now=now, every_source=True, registered=sources, evaluate=False, notify=False
            )
            wall = time.perf_counter() - started
            cpu, helpers = time.process_time() - cpu0, _children_cpu() - helpers0
            if profiler:
                profiler.disable()
            req1, bytes1 = sites.stats()
            failures.extend(
                f"{r.source}: {r.url}: {r.outcome} {r.error or ''}".strip()
                for p in report.polls
                for r in p.runs
                if not r.succeeded
            )
            return Cycle(
                wall,
                req1 - req0,
                bytes1 - bytes0,
                (statements[0] - sql0) / max(1, len(sources)),
                cpu,
                helpers,
            )

        try:
            full = one(T0)
            nochange = one(T0 + timedelta(days=1))
        finally:
            event.remove(ctx.engine, "before_cursor_execute", count)
            ctx.engine.dispose()
        if profiler:
            import pstats

            profiler.dump_stats(profile)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    return full, nochange, failures


def urlwatch_cycles(sites: Sites) -> tuple[Cycle, Cycle]:
    try:
        import urlwatch  # noqa: F401
    except ImportError:
        raise SystemExit('--peer urlwatch needs urlwatch: pip install -e ".[bench]"') from None
    with tempfile.TemporaryDirectory(prefix="poll-cycle-urlwatch-") as tmp:
        urls_file = Path(tmp) / "urls.txt"
        urls_file.write_text("\n".join(sites.urls()) + "\n")
        cycles = []
        req0, bytes0 = sites.stats()
        proc = subprocess.run(
            [
                sys.executable,
                str(BENCH / "_urlwatch_peer.py"),
                str(urls_file),
                str(Path(tmp) / "work"),
            ],
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if proc.returncode != 0:
            raise SystemExit(f"urlwatch failed: {proc.stderr.strip()[-2000:]}")
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        req1, bytes1 = sites.stats()
        # urlwatch runs both cycles in one process: the server's counts are split by cycle below
        for name in ("full", "nochange"):
            cycles.append(Cycle(data[name]["wall_s"], 0, 0))
        cycles[0].requests = cycles[1].requests = (req1 - req0) // 2
        cycles.append(Cycle(0, req1 - req0, bytes1 - bytes0))
    return cycles[0], cycles[1], cycles[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument(
        "--peer",
        choices=["urlwatch"],
        help="Also run this tool over the same pages and print the ratios.",
    )
    parser.add_argument("--database-url", help="Default: a SQLite file in a temporary directory.")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="S",
        help="Delay every answer by S seconds (a distant server); default 0.",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="The monitor's fetch_concurrency (default: the setting's, 8).",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="Run the monitor's cycles under cProfile; write the stats here.",
    )
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="Three pages: checks the benchmark runs, measures nothing.",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.pages = 3
    logging.disable(logging.WARNING)
    os.environ.pop("MONITOR_CONFIG", None)  # the benchmark's settings only

    peer_moved: dict = {}
    with Sites(args.pages, args.latency) as sites:
        full, nochange, failures = monitor_cycles(
            sites, args.database_url, args.profile, args.concurrency
        )
        peer = None
        if args.peer == "urlwatch":
            peer_full, peer_nochange, peer_total = urlwatch_cycles(sites)
            peer = {
                "full": {"wall_s": round(peer_full.wall_s, 4)},
                "nochange": {"wall_s": round(peer_nochange.wall_s, 4)},
            }
            peer_moved = {"requests": peer_total.requests, "bytes": peer_total.bytes}
    ratios = None
    if peer:
        ratios = {
            "full": round(full.wall_s / peer["full"]["wall_s"], 3),
            "nochange": round(nochange.wall_s / peer["nochange"]["wall_s"], 3),
        }
    byte_share = nochange.bytes / full.bytes if full.bytes else 0.0

    figures = [
        at_most("SQL statements per page, full cycle", full.sql_per_page, 15),
        at_most("SQL statements per page, no-change cycle", nochange.sql_per_page, 5),
        at_most("no-change cycle's bytes, share of a full cycle's", 100 * byte_share, 5, "%"),
        context("full cycle wall time", full.wall_s, "s"),
        context("no-change cycle wall time", nochange.wall_s, "s"),
        context("failed requests", len(failures)),
    ]
    if ratios:
        figures[3:3] = [
            at_most("full cycle wall time, times urlwatch's", ratios["full"], 1.5, "x"),
            at_most("no-change cycle wall time, times urlwatch's", ratios["nochange"], 1.0, "x"),
        ]
    if args.json:
        out = {
            "full": full.to_json(),
            "nochange": nochange.to_json(),
            "peer": peer,
            "ratios": ratios,
        }
        print_json(
            "poll_cycle",
            figures,
            {
                "pages": args.pages,
                "failures": failures[:10],
                "concurrency": args.concurrency,
                "latency_s": args.latency,
                "peer_both_cycles": peer_moved or None,
                "cpu": {"full": full.cpu_json(), "nochange": nochange.cpu_json()},
            },
            stream=_Merge(out),
        )
        return 0
    print(
        f"{args.pages} listing pages of ~27 KB with 40 links, one loopback host each "
        f"(port {sites.port}, answers delayed {args.latency:g} s); the monitor through "
        f"run_once, SQLite unless --database-url"
    )
    print(
        f"{'who':<10}{'cycle':<11}{'wall s':>9}{'requests':>10}{'bytes sent':>13}{'SQL/page':>10}"
        f"{'CPU s':>8}{'+ others':>10}"
    )
    for label, c in (("full", full), ("no change", nochange)):
        print(
            f"{'monitor':<10}{label:<11}{c.wall_s:>9.2f}{c.requests:>10}{c.bytes:>13,}"
            f"{c.sql_per_page:>10.1f}{c.cpu_s:>8.2f}{c.helpers_cpu_s:>10.2f}"
        )
    if peer:
        for label, key in (("full", "full"), ("no change", "nochange")):
            print(f"{'urlwatch':<10}{label:<11}{peer[key]['wall_s']:>9.2f}")
        print(
            f"urlwatch, both cycles: {peer_moved['requests']} requests, "
            f"{peer_moved['bytes']:,} bytes sent"
        )
        print(
            f"monitor / urlwatch: full cycle {ratios['full']:.2f}x (goal <= 1.5), no-change "
            f"cycle {ratios['nochange']:.2f}x (goal <= 1.0)"
        )
    print(f"no-change cycle: {byte_share:.2%} of the full cycle's bytes (goal <= 5%)")
    for line in failures[:10]:
        print(f"FAILED {line}")
    return 0


class _Merge:
    """A stream for print_json that adds the issue's keys to its object before printing."""

    def __init__(self, extra: dict) -> None:
        self.extra, self.parts = extra, []

    def write(self, text: str) -> None:
        self.parts.append(text)
        if text.endswith("\n"):
            data = json.loads("".join(self.parts))
            data.update(self.extra)
            sys.stdout.write(json.dumps(data, default=str) + "\n")
            self.parts = []


if __name__ == "__main__":
    sys.exit(main())
