"""A poll cycle reads what its polls need once (monitor/poll_plan.py) and stores each listing
page in a fixed number of SQL statements, whatever its number of links: at most 5 for an
unchanged page (a 304) and at most 15 for a changed one, the whole poll counted (validators,
archive check, snapshot, parse, links, fetch run, health, the cycle's source statuses),
per page of a cycle of many sources. And it stores exactly what the same polls store one by
one without a plan: same reports, listing rows, fetch runs, health and captures, through
unchanged, changed, failing and recovering pages. Both databases; statements counted with a
SQLAlchemy event listener (exact figures, not timings)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import responses
from sqlalchemy import event, select

from fetch_fakes import SOURCE, Site, listing_html, parse
from monitor.config import load_settings
from monitor.context import Context
from monitor.fetching import new_cycle, poll_source, source_headers
from monitor.listing_seen import listing_last_seen, report_last_seen
from monitor.models import (
    CaptureRow,
    FetchRun,
    ListingPage,
    Report,
    ReportListing,
    SourceHealth,
    SourceHealthEvent,
)
from monitor.pipeline import run_once
from scrapers.fetch.http import Fetcher
from scrapers.registry import RegisteredSource

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
UNCHANGED_AT_MOST = 5
CHANGED_AT_MOST = 15
CYCLE_AT_MOST = 20  # whatever the number of pages: the plan, the statuses, the problems


def listing(i: int, name: str = "cycle") -> str:
    return f"https://www.agency.gov/{name}/list{i}"


def links(i: int, n: int, start: int = 0, name: str = "cycle") -> list[str]:
    return [f"https://www.agency.gov/{name}/files/s{i}-r{k}.pdf" for k in range(start, start + n)]


def sources(n: int, name: str = "cycle", parser=parse) -> list[RegisteredSource]:
    return [
        RegisteredSource(
            replace(SOURCE, id=f"{name}_{i}", start_urls=(listing(i, name),), follow_links=False),
            parser,
        )
        for i in range(n)
    ]


def context(db_url: str, home, concurrency: int = 1) -> Context:
    ctx = Context(
        load_settings(
            {
                "MONITOR_HOME": str(home),
                "MONITOR_DATABASE_URL": db_url,
                "MONITOR_HOST_MIN_INTERVAL": "0",
                "MONITOR_HTTP_RETRIES": "0",
                "MONITOR_CONTACT": "t@localhost",
                "MONITOR_FETCH_CONCURRENCY": str(concurrency),
            }
        )
    )
    return ctx


class Counter:
    def __init__(self, engine) -> None:
        self.n = 0
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, *_args) -> None:
        self.n += 1


def cycle_costs(
    db_url, home, pages: int, per_page: int, concurrency: int, name: str, parser=parse
) -> tuple[int, int]:
    """The statements of a first cycle (every page new) and of a second (every page a 304)."""
    regs = sources(pages, name, parser)
    ctx = context(db_url, home, concurrency)
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            site = Site(rsps)
            for i in range(pages):
                site.page(listing(i, name), listing_html(*links(i, per_page, name=name)))
            counter = Counter(ctx.engine)
            costs = []
            for day in (0, 1):
                before = counter.n
                ctx.now = lambda day=day: T0 + timedelta(days=day)
                report = run_once(
                    ctx,
                    now=T0 + timedelta(days=day),
                    every_source=True,
                    registered=regs,
                    evaluate=False,
                    notify=False,
                )
                assert not report.failed_sources
                costs.append(counter.n - before)
            outcomes = {r.outcome for p in report.polls for r in p.runs}
            assert outcomes == {"not_modified"}, outcomes
        return costs[0], costs[1]
    finally:
        ctx.engine.dispose()


@pytest.mark.parametrize("concurrency", [1, 3])
def test_a_cycle_stores_each_page_in_a_few_statements(db_url, tmp_path, concurrency):
    """What one more page costs a cycle (twelve pages against six), and what a cycle costs
    whatever its pages (the plan's questions, the sources' statuses: a fixed number)."""
    full6, unchanged6 = cycle_costs(db_url, tmp_path / "six", 6, 30, concurrency, "six")
    full12, unchanged12 = cycle_costs(db_url, tmp_path / "twelve", 12, 30, concurrency, "twelve")
    per_page = ((full12 - full6) / 6, (unchanged12 - unchanged6) / 6)
    assert per_page[0] <= CHANGED_AT_MOST, per_page
    assert per_page[1] <= UNCHANGED_AT_MOST, per_page
    fixed = (full6 - 6 * per_page[0], unchanged6 - 6 * per_page[1])
    assert max(fixed) <= CYCLE_AT_MOST, fixed


def test_the_cost_of_a_page_does_not_grow_with_its_links(db_url, tmp_path):
    """Six times the links, the same statements: none is issued per link."""
    few = cycle_costs(db_url, tmp_path / "few", 6, 10, 1, "few")
    many = cycle_costs(db_url, tmp_path / "many", 6, 60, 1, "many")
    assert few == many


def mixed_links(doc):
    """The page's links as a real listing gives them: some with a title, some without, some
    naming the month they cover (a new report's row then sets different columns)."""
    result = parse(doc)
    titles = ("Family unit actions, January 2025", None, "Family unit actions", None, None)
    result.links = [replace(link, title=titles[k % 5]) for k, link in enumerate(result.links)]
    return result


def test_links_that_name_different_things_cost_what_uniform_ones_cost(db_url, tmp_path):
    """New reports whose rows leave different columns empty still go in as one INSERT (the ORM
    would make one per run of rows setting the same columns)."""
    uniform = cycle_costs(db_url, tmp_path / "uniform", 3, 30, 1, "uniform")
    mixed = cycle_costs(db_url, tmp_path / "mixed", 3, 30, 1, "mixed", mixed_links)
    assert mixed == uniform


# --- a plan changes how much is asked, never what is stored ----------------------------------

# What each site serves, cycle by cycle: a listing's links (start, count), an error, or the
# same body without an ETag (the same bytes answered 200: "unchanged").
PLAYS = {
    0: [(0, 4), (0, 4), (0, 4), (0, 4), (0, 4), (0, 4)],
    1: [(0, 4), (1, 4), "no-etag", 500, (0, 4), (0, 6)],
    2: [(0, 4), (1, 4), (0, 4), (0, 4), 500, (0, 2)],
    3: [(2, 4), (1, 4), (0, 4), 500, (0, 4), (0, 2)],
}


def serve(site: Site, day: int, name: str) -> None:
    for i, play in enumerate(PLAYS[day]):
        page = listing(i, name)
        if play == 500:
            site.page(page, b"down", status=500, content_type="text/plain")
        elif play == "no-etag":
            site.page(page, listing_html(*links(i, 4, name=name)), etag=False)
        else:
            site.page(page, listing_html(*links(i, play[1], play[0], name)))


def baseline(ctx: Context, regs: list[RegisteredSource], now: datetime) -> None:
    """The same polls as run_once's, one by one, each in its own transaction, no plan."""
    fetcher = Fetcher.from_settings(ctx.settings)
    cycle = new_cycle(now)
    try:
        for reg in regs:
            with ctx.session() as session:
                poll_source(
                    session,
                    ctx.archive,
                    fetcher,
                    reg,
                    now=now,
                    cycle=cycle,
                    recheck_days=ctx.settings.recheck_days,
                    broken_after=ctx.settings.broken_after,
                    unreachable_after=ctx.settings.unreachable_after,
                    max_links=ctx.settings.max_links_per_listing,
                    headers=source_headers(reg.source, ctx.settings),
                )
    finally:
        fetcher.close()


def day_of(value):
    """A stored time as the day of the cycle that wrote it (polls take real time)."""
    return None if value is None else (value - T0).days


def state(ctx: Context, name: str) -> dict:
    """What the sources named ``name``_N stored, without the name."""
    mine = f"{name}_"

    def path(url: str) -> str:
        return url.replace(f"https://www.agency.gov/{name}", "")

    def sid(source_id: str) -> str:
        return source_id.removeprefix(mine)

    with ctx.session() as s:
        return {
            "reports": sorted(
                (
                    sid(r.source_id),
                    path(r.url),
                    r.title,
                    day_of(r.first_seen),
                    day_of(last_seen),
                    day_of(r.removed_at),
                    r.listed_on and path(r.listed_on),
                )
                for r, last_seen in s.execute(
                    select(Report, report_last_seen()).where(Report.source_id.startswith(mine))
                )
            ),
            "listings": sorted(
                (path(url), path(listing_url), day_of(a), day_of(b), day_of(c))
                for url, listing_url, a, b, c in s.execute(
                    select(
                        Report.url,
                        ReportListing.listing_url,
                        ReportListing.first_seen,
                        listing_last_seen(),
                        ReportListing.removed_at,
                    )
                    .join(Report, Report.id == ReportListing.report_id)
                    .where(Report.source_id.startswith(mine))
                )
            ),
            "runs": sorted(
                (sid(r.source_id), path(r.url), day_of(r.started_at), r.outcome, r.http_status)
                for r in s.scalars(select(FetchRun).where(FetchRun.source_id.startswith(mine)))
            ),
            "health": sorted(
                (sid(h.source_id), h.state, h.consecutive_failures, h.last_outcome)
                for h in s.scalars(
                    select(SourceHealth).where(SourceHealth.source_id.startswith(mine))
                )
            ),
            "events": sorted(
                (sid(e.source_id), day_of(e.at), e.from_state, e.to_state)
                for e in s.scalars(
                    select(SourceHealthEvent).where(SourceHealthEvent.source_id.startswith(mine))
                )
            ),
            "captures": sorted(
                (path(c.url), c.http_status, c.seen_count)
                for c in s.scalars(select(CaptureRow).where(CaptureRow.source_id.startswith(mine)))
            ),
        }


def test_a_planned_cycle_stores_what_polls_without_a_plan_store(db_url, tmp_path):
    """Two sets of six sources in one database, one polled by run_once (with its plan), the
    other by the same polls one by one: the same plays, the same rows."""
    ctx = context(db_url, tmp_path / "home")
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            site = Site(rsps)
            for day in sorted(PLAYS):
                now = T0 + timedelta(days=day)
                ctx.now = lambda now=now: now
                for name in ("planned", "plain"):
                    serve(site, day, name)
                run_once(
                    ctx,
                    now=now,
                    every_source=True,
                    registered=sources(6, "planned"),
                    evaluate=False,
                    notify=False,
                )
                baseline(ctx, sources(6, "plain"), now)
        planned, plain = state(ctx, "planned"), state(ctx, "plain")
        with ctx.session() as s:  # the unchanged pages took the short way
            assert s.scalar(select(ListingPage.listing_url).limit(1)) is not None
    finally:
        ctx.engine.dispose()
    for key in planned:
        assert planned[key] == plain[key], key
    # and what the plays say happened did happen
    reports = {(r[0], r[1]): r for r in planned["reports"]}
    assert reports[("0", "/files/s0-r0.pdf")][5] == 3  # dropped on day 3
    assert reports[("5", "/files/s5-r5.pdf")][5] == 2  # added on day 1, dropped on day 2
    assert reports[("1", "/files/s1-r4.pdf")][4] == 3  # listed on a page unchanged since
    assert ("3", "failing", 1, "http_error") in planned["health"]
