"""`run --once` with `fetch_concurrency`: the sources' hosts are fetched at once, never two
requests at once to one host, and what is stored is what a one-at-a-time run stores: one
fetch_runs row per request with its typed outcome, the same reports, one failing host failing
only its own source. Against loopback sites that count requests in flight
(tests/concurrent_sites.py), one host per source."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from concurrent_sites import Sites
from fetch_fakes import SOURCE, parse
from monitor.config import load_settings
from monitor.context import Context
from monitor.models import FetchRun, Report
from monitor.pipeline import run_once
from scrapers.registry import RegisteredSource

N = 6


def sources(sites: Sites, prefix: str = "site") -> list[RegisteredSource]:
    """One source per site: its listing links one report PDF on the same host."""
    return [
        RegisteredSource(
            replace(
                SOURCE,
                id=f"{prefix}_{i}",
                start_urls=(sites.url(i),),
                allowed_hosts=(sites.host(i),),
            ),
            parse,
        )
        for i in range(sites.n)
    ]


def context(db_url: str, home, concurrency: int, **extra: str) -> Context:
    """The settings of a run against the loopback sites; ``extra``: more MONITOR_* values."""
    return Context(
        load_settings(
            {
                "MONITOR_HOME": str(home),
                "MONITOR_DATABASE_URL": db_url,
                "MONITOR_HOST_MIN_INTERVAL": "0.05",
                "MONITOR_HTTP_RETRIES": "0",
                "MONITOR_CONTACT": "t@localhost",
                "MONITOR_FETCH_CONCURRENCY": str(concurrency),
                **extra,
            }
        )
    )


def stored(ctx: Context, prefix: str) -> tuple[list, list]:
    """The fetch runs and reports of the sources named ``prefix``_N, without the prefix and
    with URLs reduced to host and path (each run has its own port)."""

    def path(url: str) -> str:
        return url.split("//", 1)[1].split(":", 1)[0] + "/" + url.split("/", 3)[3]

    with ctx.session() as session:
        runs = sorted(
            (
                r.source_id.removeprefix(prefix),
                path(r.url),
                r.outcome,
                r.listing,
                r.http_status,
                r.snapshot_id is not None,
            )
            for r in session.scalars(select(FetchRun))
            if r.source_id.startswith(prefix + "_")
        )
        reports = sorted(
            (r.source_id.removeprefix(prefix), r.title)
            for r in session.scalars(select(Report))
            if r.source_id.startswith(prefix + "_")
        )
    return runs, reports


def run_sites(ctx: Context, sites: Sites, prefix: str):
    """`run --once` polling every site as its own source, without evaluating or notifying."""
    return run_once(
        ctx, every_source=True, registered=sources(sites, prefix), evaluate=False, notify=False
    )


def poll(db_url, tmp_path, concurrency: int, fail=(), prefix: str = "site"):
    with Sites(N, delay=0.3, fail=fail) as sites:
        ctx = context(db_url, tmp_path / "home", concurrency)
        try:
            report = run_sites(ctx, sites, prefix)
            return sites, report, stored(ctx, prefix)
        finally:
            ctx.engine.dispose()


@pytest.mark.parametrize("concurrency", [1, 4])
def test_hosts_are_fetched_at_once_only_with_workers_and_one_host_never_twice(
    db_url, tmp_path, concurrency
):
    sites, report, (runs, reports) = poll(db_url, tmp_path, concurrency)
    assert report.ok, report.failures
    assert len(sites.served) == 2 * N  # each site: its listing, then its report
    assert max(sites.max_per_host.values()) == 1
    if concurrency == 1:
        assert sites.max_overall == 1
    else:
        assert 2 <= sites.max_overall <= concurrency
    # every request has its row and its outcome, in the poll summary and in the database
    assert len(runs) == 2 * N and {r[2] for r in runs} == {"ok"}
    assert sorted(r.outcome for p in report.polls for r in p.runs) == ["ok"] * (2 * N)
    assert len(reports) == N


def test_a_failing_host_fails_only_its_source_and_workers_store_what_one_at_a_time_stores(
    db_url, tmp_path
):
    _s, one_report, one = poll(db_url, tmp_path, 1, fail=(2,), prefix="one")
    _s, many_report, many = poll(db_url, tmp_path, 4, fail=(2,), prefix="many")
    assert many == one
    for report, prefix in ((one_report, "one"), (many_report, "many")):
        assert report.failed_sources == [f"{prefix}_2"]
        assert [p.source for p in report.polls] == [f"{prefix}_{i}" for i in range(N)]
    runs, reports = many
    failed = [r for r in runs if r[2] != "ok"]
    assert [(r[0], r[2], r[3], r[4]) for r in failed] == [("_2", "http_error", True, 500)]
    assert not failed[0][5]  # a failed fetch stores no snapshot
    assert sorted({r[0] for r in runs if r[2] == "ok"}) == [f"_{i}" for i in range(N) if i != 2]
    assert len(reports) == N - 1
