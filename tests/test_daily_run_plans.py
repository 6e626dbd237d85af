"""Every query a daily `run --once` makes of ``fetch_runs`` is served by an index, on both
databases (EXPLAIN, never a time): the table grows by every request the monitor ever made, and
bench/daily_run.py measures what a run costs at a million of them.

The statements are captured from a real run (the offline demo's server answering, after a first
run and some history), so a query added or rewritten later is checked as it is. "Served by an
index" is stricter than in tests/test_query_plans.py: SQLite must not SCAN the table even
through a covering index (a whole index is the whole history), and every PostgreSQL index scan
of it must have an index condition (sequential scans are off for the EXPLAIN, see that module).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from monitor.command_runs import begin
from monitor.demo_server import DemoServer, load_manifests
from monitor.fetching import FETCH_FAILURES
from monitor.models import FetchRun
from monitor.pipeline import run_once
from test_query_plans import captured

DAY = datetime(2022, 9, 30, 6, tzinfo=timezone.utc)
TABLE = "fetch_runs"


@pytest.fixture
def ctx(run_context):
    return run_context


def _history(ctx, urls: list[str], sources: list[str]) -> None:
    """Earlier runs of the served URLs (304s, failures) and of URLs gone since."""
    rows = []
    for i in range(400):
        at = DAY - timedelta(days=1, minutes=i)
        rows.append(
            dict(
                source_id=sources[i % len(sources)],
                url=urls[i % len(urls)] if i % 2 else f"https://gone.example/{i}.html",
                started_at=at,
                finished_at=at,
                outcome="not_modified" if i % 3 else "network_error",
                listing=bool(i % 5 == 0),
                cycle=f"history-{i // 50}",
            )
        )
    with ctx.engine.begin() as conn:
        conn.execute(insert(FetchRun), rows)


def whole_reads(engine, statement: str, parameters) -> list[str]:
    """What in the plan of ``statement`` reads ``fetch_runs`` whole (empty: nothing)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            (doc,) = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).one()
            conn.rollback()
            return _pg_whole(doc if isinstance(doc, list) else json.loads(doc))
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return [
        str(r[-1])
        for r in rows
        if str(r[-1]).strip().startswith(("SCAN fetch_runs", f"SCAN {TABLE} "))
    ]


def _pg_whole(doc) -> list[str]:
    found = []

    def walk(node):
        on_table = (
            node.get("Relation Name") == TABLE
            or str(node.get("Index Name", "")).endswith(f"_{TABLE}")
            or str(node.get("Index Name", "")).startswith(f"ix_{TABLE}_")
        )
        kind = node.get("Node Type", "")
        if on_table and kind == "Seq Scan":
            found.append(f"Seq Scan on {TABLE}")
        if on_table and "Index" in kind and not node.get("Index Cond"):
            found.append(f"{kind} using {node.get('Index Name')} without an index condition")
        for child in node.get("Plans", ()):
            walk(child)

    for entry in doc:
        walk(entry["Plan"])
    return found


def _second_day(ctx, *, analyze: bool = False):
    """A first daily run over the demo's sources, a history of fetch runs behind it, then the
    second day's run with every statement it made captured: (its report, the statements).
    ``analyze``: PostgreSQL's statistics gathered first, as autovacuum keeps them."""
    with DemoServer(load_manifests()) as server:
        first = run_once(ctx, now=DAY, every_source=True, rewrite=server.rewrite, notify=False)
        assert first.polls
        _history(ctx, [s.url for s in load_manifests()], [p.source for p in first.polls])
        if analyze and ctx.engine.dialect.name == "postgresql":
            with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        with captured(ctx.engine) as statements:
            second = run_once(
                ctx,
                now=DAY + timedelta(days=1),
                every_source=True,
                rewrite=server.rewrite,
                notify=False,
            )
    return second, statements


def test_every_query_of_a_daily_run_on_fetch_runs_uses_an_index(ctx):
    second, statements = _second_day(ctx)
    assert second.polls and second.sync is not None  # polled, stored, evaluated, summarised
    on_runs = {s: p for s, p in statements if TABLE in s}
    # the poll's lookups by URL and source, the statuses, the facts, the summary's problems
    assert len(on_runs) >= 8, list(on_runs)
    bad = {}
    for statement, parameters in on_runs.items():
        found = whole_reads(ctx.engine, statement, parameters)
        if found:
            bad[" ".join(statement.split())[:300]] = found
    assert not bad, json.dumps(bad, indent=1)


def _walks_back_by_start(condition: str) -> bool:
    """Whether an index search bounded by ``condition`` walks back through the history: bounded
    by the start time from above alone (every run started before now), naming no source, URL
    or cycle. It tests every run since the newest that qualifies: all of them when none does."""
    names = re.findall(r"\b(source_id|url|cycle|outcome|listing|snapshot_id|id)\b", condition)
    later = re.search(r"started_at\)?\s*>|<\s*\(?started_at\b", condition)
    return "started_at" in condition and not names and not later


def test_a_sources_runs_are_looked_up_in_its_own_range_even_when_it_has_none(ctx):
    """A source's first and newest successful run, its newest listing read, its last poll (the
    statuses, the facts, the due check) are each a descent of the source's own range of
    fetch_runs(source_id, ...). Asked as "source_id = $1 ORDER BY started_at DESC LIMIT 1",
    PostgreSQL with statistics walked fetch_runs(started_at) back instead, testing each run for
    the source: for a source with no runs (the API source whose key is not set) the whole index,
    0.2-0.4 s of a daily run at a million runs (monitor/run_lookups.py source_end)."""
    from sqlalchemy import select

    second, statements = _second_day(ctx, analyze=True)
    with ctx.engine.connect() as conn:
        read = set(conn.scalars(select(FetchRun.source_id).distinct()))
    unread = {s.id for s in second.statuses} - read
    assert unread, "every source listed has runs: the case this test is about is missing"
    walks, by_source = {}, 0
    for statement, parameters in {s: p for s, p in statements if TABLE in s}.items():
        searches = index_searches(ctx.engine, statement, parameters)
        by_source += sum(
            name.startswith("ix_fetch_runs_source_") and "source_id" in cond
            for name, cond in searches
        )
        found = [(n, c) for n, c in searches if _walks_back_by_start(c)]
        if found:
            walks[" ".join(statement.split())[:300]] = found
    assert not walks, json.dumps(walks, indent=1)
    assert by_source >= 4, by_source  # the statuses' two, the facts' two, an API's last poll


def index_searches(engine, statement: str, parameters) -> list[tuple[str, str]]:
    """(index name, its condition) of every index search of ``fetch_runs`` in the plan of
    ``statement``: SQLite's "SEARCH fetch_runs USING ... INDEX name (terms)", PostgreSQL's
    index scans with their Index Cond."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            (doc,) = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).one()
            conn.rollback()
            found = []

            def walk(node):
                if node.get("Relation Name") == TABLE and node.get("Index Name"):
                    found.append((node["Index Name"], node.get("Index Cond", "")))
                for child in node.get("Plans", ()):
                    walk(child)

            for entry in doc if isinstance(doc, list) else json.loads(doc):
                walk(entry["Plan"])
            return found
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    out = []
    for r in rows:
        m = re.match(rf"SEARCH {TABLE} USING (?:COVERING )?INDEX (\w+) \((.*)\)", str(r[-1]))
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def test_a_documents_fetch_state_is_looked_up_by_its_url_and_outcomes(ctx):
    """The fetch state of a listed document: its newest failed fetch ever is found in
    fetch_runs(url, outcome, started_at), one descent per failure outcome, not by walking back
    through every run of the URL that did not fail (all of them, for a document that never
    failed: 0026_fetch_run_outcomes); a failing document's streak by its URL."""
    with DemoServer(load_manifests()) as server:
        first = run_once(ctx, now=DAY, every_source=True, rewrite=server.rewrite, notify=False)
        _history(ctx, [s.url for s in load_manifests()], [p.source for p in first.polls])
        with captured(ctx.engine) as statements:
            run_once(
                ctx,
                now=DAY + timedelta(days=1),
                every_source=True,
                rewrite=server.rewrite,
                notify=False,
            )
    asked = [
        (s, p)
        for s, p in statements
        if s.lstrip().startswith("WITH wanted") and "fetch_runs.outcome NOT IN" in s
    ]  # each document's newest fetch that did not fail, and newest that did
    assert asked, "the documents' fetch states were not looked up"
    for statement, parameters in asked:
        searches = index_searches(ctx.engine, statement, parameters)
        by_outcome = [
            (name, cond)
            for name, cond in searches
            if name == "ix_fetch_runs_url_outcome_started" and "outcome" in cond
        ]
        assert len(by_outcome) == len(FETCH_FAILURES), searches
    # a document failing now: its failed runs since its last success, found by its URL (not
    # every run of its source, from fetch_runs(source_id, listing, started_at))
    streaks = [(s, p) for s, p in statements if s.lstrip().startswith("WITH streaks")]
    assert streaks, "no document was failing"
    # PostgreSQL picks among the indexes by statistics, which a test's few hundred rows do not
    # have (at a million runs, analysed, it takes (url, outcome, started_at)); that no statement
    # reads the table whole is held above on both databases
    on_sqlite = ctx.engine.dialect.name == "sqlite"
    for statement, parameters in streaks if on_sqlite else ():
        searches = index_searches(ctx.engine, statement, parameters)
        assert searches and all("url" in cond for _name, cond in searches), searches


def test_an_interrupted_commands_runs_are_counted_through_an_index(db_url, engine, session):
    """A command left running is marked with how many fetch runs its cycle stored: one range
    of fetch_runs(cycle), not the whole table (0026_fetch_run_outcomes)."""
    from monitor.models import CommandRun
    from monitor.store import ensure_source
    from scrapers.source import Source

    src = Source(id="src", agency="DHS", title="S", start_urls=(), allowed_hosts=())
    ensure_source(session, src, DAY)
    session.commit()
    rows = [
        dict(
            source_id="src",
            url=f"https://example.gov/{i}",
            started_at=DAY + timedelta(minutes=i),
            outcome="ok",
            cycle="dead-cycle" if i % 4 == 0 else f"other-{i % 3}",
        )
        for i in range(40)
    ]
    with engine.begin() as conn:
        conn.execute(insert(FetchRun), rows)
    session.add(
        CommandRun(
            command="monitor run", pid=1, started_at=DAY, state="running", cycle="dead-cycle"
        )
    )
    session.flush()
    with captured(engine) as statements:
        _row, marked = begin(session, "monitor run", DAY + timedelta(days=1))
    assert [m.state for m in marked] == ["interrupted"]
    assert "10 fetch run(s) of its cycle had been stored" in marked[0].detail
    on_runs = [(s, p) for s, p in statements if TABLE in s]
    assert on_runs
    for statement, parameters in on_runs:
        assert not whole_reads(engine, statement, parameters), statement
        searches = index_searches(engine, statement, parameters)
        assert any(n == "ix_fetch_runs_cycle" and "cycle" in c for n, c in searches), searches


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite plans without the values anyway
def test_postgresql_plans_each_statement_for_its_values(engine):
    """After five runs psycopg prepares a statement and PostgreSQL may keep a plan made for any
    value: "the newest successful run of source $1" then walks back through
    fetch_runs(started_at), the whole index for a source with no runs. Connections of the
    monitor ask for a plan per execution instead (monitor/db.py)."""
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
        # nor compiled to machine code first: costly estimates, cheap statements
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
        # and a cursor read to its end planned like any statement
        assert conn.exec_driver_sql("SHOW cursor_tuple_fraction").scalar() == "1"


def test_the_plan_option_keeps_the_connections_own_options():
    from monitor.db import CUSTOM_PLANS, _custom_plans

    given = {"options": "-c statement_timeout=5000"}
    _custom_plans(None, None, (), given)
    assert given["options"] == f"-c statement_timeout=5000 {CUSTOM_PLANS}"
    bare: dict = {}
    _custom_plans(None, None, (), bare)
    assert bare["options"] == CUSTOM_PLANS
