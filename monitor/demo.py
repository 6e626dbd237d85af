"""The offline demo: the whole pipeline against the project's bundled documents.

A loopback server stands in for dhs.gov and hhs.gov and serves every source's fixtures (real
openings and reconstructed tables, see tests/fixtures/*/manifest.yaml). The monitor polls it on
three consecutive days ending at the demo's as-of date, as a deployed monitor would poll daily,
and evaluates on the last day. One DHS listing page (the OHSS page) is answered with a CDN
denial page on every poll, so after three failed polls the DHS source is ``broken``: its
obligations' missing months turn ``unknown`` instead of accusing DHS on the strength of a
firewall page. (The denied page is the 2020 OIS landing page; the report it links is also
linked from the OIS index, so the demo still reads every DHS report.)

Only periods from ``WATCH_FROM`` on are judged: the bundled HHS listing covers 2022 only, and the
demo would otherwise report every month since 2019 as missing.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from time import monotonic

from monitor.config import load_settings
from monitor.context import Context
from monitor.demo_server import DemoServer, load_manifests
from monitor.log import setup_logging
from monitor.pipeline import RunReport, run_once

AS_OF = date(2022, 9, 30)
WATCH_FROM = date(2022, 1, 1)
POLL_DAYS = 3  # equals the default broken_after: three failed polls make a source broken
POLL_TIME = time(14, 0, tzinfo=timezone.utc)  # 10:00 in Washington
DENIED = ("https://www.dhs.gov/immigration-statistics/special-reports/FUAR",)


class SimulatedClockContext(Context):
    """A clock that starts at the simulated poll time and runs at real speed from there, so
    that what a poll writes is dated before the evaluation that follows it."""

    def __init__(self, settings, start: datetime) -> None:
        super().__init__(settings)
        self.set(start)

    def set(self, start: datetime) -> None:
        self.start, self.t0 = start, monotonic()

    def now(self) -> datetime:  # type: ignore[override]
        return self.start + timedelta(seconds=monotonic() - self.t0)


@dataclass
class DemoResult:
    home: Path
    database_url: str
    archive_dir: Path
    reports: list[RunReport]
    requests: int


def demo_settings(home: Path, database_url: str | None):
    env = {
        "MONITOR_HOME": str(home),
        "MONITOR_CONTACT": "offline-demo@localhost",
        "MONITOR_HOST_MIN_INTERVAL": "0",  # one loopback server: no politeness needed
        "MONITOR_HTTP_RETRIES": "0",
        "MONITOR_WATCH_FROM": WATCH_FROM.isoformat(),
        "MONITOR_LOG_LEVEL": "warning",
    }
    if database_url:
        env["MONITOR_DATABASE_URL"] = database_url
    return load_settings(env)


def run_demo(*, database_url: str | None = None, keep: Path | None = None,
             as_of: date = AS_OF) -> DemoResult:
    home = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="monitor-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    settings = demo_settings(home, database_url)
    days = [as_of - timedelta(days=POLL_DAYS - 1 - i) for i in range(POLL_DAYS)]
    reports = []
    setup_logging(settings.log_level, settings.log_format, settings.secrets())
    with DemoServer(load_manifests(), deny=set(DENIED)) as server:
        ctx = SimulatedClockContext(settings, datetime.combine(days[0], POLL_TIME))
        for i, day in enumerate(days):
            ctx.set(datetime.combine(day, POLL_TIME))
            last = i == len(days) - 1
            reports.append(run_once(ctx, every_source=True, rewrite=server.rewrite,
                                    evaluate=last))
        ctx.engine.dispose()
        requests = len(server.requests)
    return DemoResult(home, settings.database_url, settings.archive_dir, reports, requests)
