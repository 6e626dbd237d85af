"""``document_runs`` (monitor/run_lookups.py) finds what a walk over a document's every run
finds: its failures in a row since its last fetch that did not fail, and its newest failed fetch
ever, whichever failure outcome that was, with ties of time broken by id."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from monitor.fetching import FETCH_FAILURES
from monitor.models import FetchRun
from monitor.run_lookups import document_runs
from monitor.store import ensure_source
from scrapers.source import Source

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
OUTCOMES = ("ok", "not_modified", "layout_changed") + FETCH_FAILURES
URLS = [f"https://example.gov/doc-{i}.pdf" for i in range(6)]


def _naive(rows, as_of):
    """The same answer from every run, in Python."""
    out = {}
    for key in {(r["source_id"], r["url"]) for r in rows}:
        runs = sorted(
            (
                (r["started_at"], r["id"], r["outcome"], r["error"])
                for r in rows
                if (r["source_id"], r["url"]) == key
                and not r["listing"]
                and r["started_at"] <= as_of
            ),
        )
        if not runs:
            continue
        failed = [r for r in runs if r[2] in FETCH_FAILURES]
        streak = []
        for run in reversed(runs):
            if run[2] not in FETCH_FAILURES:
                break
            streak.insert(0, (run[2], run[3]))
        out[key] = (streak, (failed[-1][2], failed[-1][3]) if failed else None)
    return out


def test_document_runs_agrees_with_a_walk_over_every_run(session):
    for sid in ("a", "b"):
        ensure_source(
            session, Source(id=sid, agency="DHS", title=sid, start_urls=(), allowed_hosts=()), T0
        )
    pick = random.Random(13)
    rows = []
    for i in range(300):
        rows.append(
            dict(
                source_id=pick.choice("ab"),
                url=pick.choice(URLS),
                # few distinct times: ties of started_at are broken by id
                started_at=T0 + timedelta(hours=pick.randrange(60)),
                outcome=pick.choice(OUTCOMES),
                error=f"error {i}",
                listing=pick.random() < 0.1,
            )
        )
    # a document that never failed, one that only ever failed, one failing since its success
    rows += [
        dict(source_id="a", url="https://example.gov/fine", started_at=T0, outcome="ok"),
        dict(source_id="a", url="https://example.gov/down", started_at=T0, outcome="blocked"),
        dict(source_id="b", url="https://example.gov/down", started_at=T0, outcome="ok"),
        dict(
            source_id="b",
            url="https://example.gov/down",
            started_at=T0 + timedelta(hours=1),
            outcome="too_large",
            error="big",
        ),
    ]
    rows = [{"error": None, "listing": False, **r} for r in rows]
    session.execute(insert(FetchRun), rows)
    session.flush()
    stored = [
        dict(r._mapping)
        for r in session.execute(
            select(
                FetchRun.id,
                FetchRun.source_id,
                FetchRun.url,
                FetchRun.started_at,
                FetchRun.outcome,
                FetchRun.error,
                FetchRun.listing,
            )
        )
    ]
    pairs = {(r["source_id"], r["url"]) for r in stored} | {("a", "https://example.gov/never")}
    for as_of in (T0 + timedelta(hours=20), T0 + timedelta(hours=100)):
        found = document_runs(session.execute, pairs, as_of, FETCH_FAILURES)
        assert found == _naive(stored, as_of)
    latest = document_runs(session.execute, pairs, T0 + timedelta(hours=100), FETCH_FAILURES)
    assert latest[("a", "https://example.gov/fine")] == ([], None)
    assert latest[("a", "https://example.gov/down")] == ([("blocked", None)], ("blocked", None))
    assert latest[("b", "https://example.gov/down")] == (
        [("too_large", "big")],
        ("too_large", "big"),
    )
    assert ("a", "https://example.gov/never") not in latest
