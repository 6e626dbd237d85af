"""A report's publication bound (``absent_at``) found by index lookups around the moment it
appeared (monitor/run_lookups.py) is the one a walk over every read of its pages finds: the
walk, as report_facts did it before, is kept here as the reference, and both are run on
generated histories (reads with and without a body, failures, pages going back to an earlier
body, equal start times, parses after the instant, listings stored or only passed in), on both
databases. The first lookups of the stored listings, asked in one statement of rows the
database reads itself, answer what ``reads_before`` and ``bodies_before`` answer.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import Text, cast, insert, select

from monitor.fact_gathering import Registered, Scope
from monitor.models import FetchRun, Parse, Report, ReportListing, SourceRow, Snapshot
from monitor.report_facts import _absent_at, _chunks, _plain, _stored_first_round
from monitor.run_lookups import bodies_before, reads_before
from scrapers.vocabulary import SUCCESS_OUTCOMES

T0 = datetime(2021, 1, 1, tzinfo=timezone.utc)
PAGES = ("https://example.gov/a", "https://example.gov/b")
OUTCOMES = ("ok", "not_modified", "unchanged", "network_error", "layout_changed", "http_error")


def _minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def _world(session, rng: random.Random):
    """Pages read again and again, their bodies, what each parse of a body links; reports
    appearing on them. Returns (reports, listings, as_of)."""
    session.add(SourceRow(id="s", agency="X", title="s", created_at=T0))
    session.flush()
    # r1 is in the text of a body linking r1x only; a serialiser may escape "ré"
    report_urls = [f"https://example.gov/r{i}" for i in range(6)]
    report_urls += ["https://example.gov/r1x", "https://example.gov/r\u00e9"]
    bodies: dict[str, list[int]] = {}
    for page in PAGES:
        for b in range(4):
            snap = Snapshot(
                source_id="s",
                url=page,
                sha256=f"{page[-1]}{b}".ljust(64, "0"),
                size=1,
                headers={},
                fetched_at=_minutes(b),
                storage="x",
            )
            session.add(snap)
            session.flush()
            bodies.setdefault(page, []).append(snap.id)
            for version in range(rng.randint(0, 2)):
                links = rng.sample(report_urls, rng.randint(0, len(report_urls)))
                session.add(
                    Parse(
                        snapshot_id=snap.id,
                        source_id="s",
                        parser_version=str(version),
                        parsed_at=_minutes(rng.randint(0, 400)),
                        outcome="ok",
                        reports=0,
                        counts=0,
                        links=[{"url": u, "title": None} for u in links],
                    )
                )
    rows = []
    for page in PAGES:
        body = rng.choice(bodies[page])
        for _ in range(60):
            if rng.random() < 0.25:
                body = rng.choice(bodies[page])  # a new body, or back to an earlier one
            outcome = rng.choice(OUTCOMES)
            has_body = outcome in SUCCESS_OUTCOMES or outcome == "layout_changed"
            rows.append(
                dict(
                    source_id="s",
                    url=page,
                    started_at=_minutes(rng.randint(0, 360)),
                    outcome=outcome,
                    listing=True,
                    snapshot_id=body if has_body and rng.random() < 0.8 else None,
                )
            )
    session.execute(insert(FetchRun), rows)
    reports, listings = [], {}
    for i, url in enumerate(report_urls):
        first = _minutes(rng.randint(0, 360))
        report = Report(
            source_id="s",
            url=url,
            authorities=[],
            first_seen=first,
            last_seen=first,
            listed_on=rng.choice(PAGES),
        )
        session.add(report)
        session.flush()
        pages = rng.sample(PAGES, rng.randint(0, 2))
        listings[report.id] = [(p, _minutes(rng.randint(0, 360)), None) for p in pages]
        for page, seen, _removed in listings[report.id]:
            if rng.random() < 0.8:  # most stored, some only passed in
                session.add(
                    ReportListing(
                        report_id=report.id, listing_url=page, first_seen=seen, last_seen=seen
                    )
                )
        reports.append(
            SimpleNamespace(
                id=report.id,
                url=url,
                first_seen=first,
                listed_on=report.listed_on,
                source_id="s",
            )
        )
    session.commit()
    return reports, listings, _minutes(rng.randint(200, 400))


@pytest.mark.parametrize("seed", range(6))
def test_lookups_find_the_bound_the_walk_over_every_read_finds(session, seed, monkeypatch):
    from monitor import report_facts

    monkeypatch.setattr(report_facts, "NAMING_CHUNK", 1 + seed)  # the bodies asked in parts
    rng = random.Random(seed)
    reports, listings, as_of = _world(session, rng)
    scope = Scope(session, as_of, ("s",), (), {"s": Registered(PAGES, timedelta(days=1))})
    expected = reference_absent_at(scope, reports, listings)
    assert _absent_at(scope, reports, listings) == expected
    assert any(v is not None for v in expected.values())  # the world has bounds to find


@pytest.mark.parametrize("seed", range(6))
def test_the_stored_listings_first_lookups_are_those_of_run_lookups(session, seed):
    rng = random.Random(seed)
    _reports, _listings, as_of = _world(session, rng)
    scope = Scope(session, as_of, ("s",), (), {"s": Registered(PAGES, timedelta(days=1))})
    stored = _stored_first_round(scope)
    asks = sorted(stored, key=lambda k: (k[0], k[1]))
    read_at = reads_before(scope.execute, [(i, *k, 0) for i, k in enumerate(asks)], as_of)
    shown = bodies_before(scope.execute, [(i, *k, 0, 0) for i, k in enumerate(asks)], as_of)
    assert stored == {k: (read_at.get(i), shown.get(i)) for i, k in enumerate(asks)}
    assert any(found[1] is not None for found in stored.values())  # bodies were found


def reference_absent_at(scope, reports, listings) -> dict[int, object]:
    """Every successful read of each page read and walked in Python: what report_facts did
    before its lookups were bounded."""
    as_of = scope.as_of
    start_urls = {k: v.start_urls for k, v in scope.registered.items()}
    wanted: dict[int, dict[str, object]] = {}
    every_page: dict[int, bool] = {}  # False: a report no listing page carried (read directly)
    for r in reports:
        pages = {url: first for url, first, _dropped in listings.get(r.id, ())}
        every_page[r.id] = bool(pages)
        if not pages:
            pages = {
                url: r.first_seen
                for url in ({r.listed_on} if r.listed_on else set(start_urls.get(r.source_id, ())))
            }
        wanted[r.id] = pages
    urls = set().union(*(set(p) for p in wanted.values()))
    if not urls:
        return {}
    # per page: its successful reads, oldest first; a read without a snapshot (304) saw the
    # same body as the read before it
    times: dict[str, list] = defaultdict(list)
    snaps: dict[str, list] = defaultdict(list)
    for chunk in _chunks(urls):
        last: dict[str, int | None] = {}
        for url, started, snap in scope.execute(
            select(FetchRun.url, FetchRun.started_at, FetchRun.snapshot_id)
            .where(
                FetchRun.url.in_(chunk),
                FetchRun.outcome.in_(SUCCESS_OUTCOMES),
                FetchRun.started_at <= as_of,
            )
            .order_by(FetchRun.url, FetchRun.started_at, FetchRun.id)
        ):
            snap = snap if snap is not None else last.get(url)
            last[url] = snap
            times[url].append(started)
            snaps[url].append(snap)

    def before(url: str, index: int) -> int:
        """The newest read of ``url`` before ``index`` with a body (-1: none)."""
        index -= 1
        while index >= 0 and snaps[url][index] is None:
            index -= 1
        return index

    bound: dict[tuple[int, str], object] = {}
    waiting: dict[int, list[tuple[int, str, int, str]]] = defaultdict(list)  # snapshot -> ...
    for r in reports:
        for url, appeared in wanted[r.id].items():
            if url not in times:
                bound[(r.id, url)] = None
                continue
            index = before(url, bisect_left(times[url], min(appeared, r.first_seen)))
            if index < 0:
                bound[(r.id, url)] = None
            else:
                waiting[snaps[url][index]].append((r.id, url, index, r.url))
    while waiting:
        linked: set[tuple[int, str]] = set()
        for chunk in _chunks(waiting):
            for snap_id, text in scope.execute(
                select(Parse.snapshot_id, cast(Parse.links, Text)).where(
                    Parse.snapshot_id.in_(chunk), Parse.parsed_at <= as_of
                )
            ):
                there = None
                for rid, url, _index, report_url in waiting[snap_id]:
                    if text is None or (_plain(report_url) and report_url not in text):
                        continue  # not even in the text: not linked
                    if there is None:
                        there = {link.get("url") for link in json.loads(text) or ()}
                    if report_url in there:
                        linked.add((rid, url))
        again: dict[int, list] = defaultdict(list)
        for entries in waiting.values():
            for rid, url, index, report_url in entries:
                if (rid, url) not in linked:
                    bound[(rid, url)] = times[url][index]
                    continue
                # that body linked it: the read before it with another body, if any
                snap = snaps[url][index]
                while index >= 0 and snaps[url][index] in (snap, None):
                    index -= 1
                if index < 0:
                    bound[(rid, url)] = None
                else:
                    again[snaps[url][index]].append((rid, url, index, report_url))
        waiting = again
    out = {}
    for rid, pages in wanted.items():
        bounds = [bound.get((rid, url)) for url in pages]
        if every_page[rid] and bounds and all(b is not None for b in bounds):
            out[rid] = min(bounds)
        elif not every_page[rid] and any(b is not None for b in bounds):
            out[rid] = max(b for b in bounds if b is not None)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_lookups_from_positions_before_at_and_after_the_instant(session, seed):
    """``reads_before``, ``bodies_before`` and ``first_body_after`` asked from positions before,
    at and after the instant (an ask after it is moved to just after it, and the newest run is
    found by its time and then its id) answer what a walk over every run by the instant does,
    ties of start times included."""
    from monitor.run_lookups import first_body_after

    rng = random.Random(seed)
    _world(session, rng)
    runs = sorted(
        session.execute(
            select(
                FetchRun.url,
                FetchRun.started_at,
                FetchRun.id,
                FetchRun.snapshot_id,
                FetchRun.outcome,
            )
        ).all(),
        key=lambda r: (r.started_at, r.id),
    )
    # the instant is the start of a read: the reads at it are asked about too
    as_of = rng.choice([r.started_at for r in runs if r.outcome in SUCCESS_OUTCOMES][20:-20])
    reads = [r for r in runs if r.outcome in SUCCESS_OUTCOMES and r.started_at <= as_of]
    # positions: the instant itself, just before and after it, well after it, the start times
    # of runs (equal times are common: ties broken by id), and ids at and around them
    moments = [as_of, as_of - timedelta(minutes=1), as_of + timedelta(minutes=1), _minutes(900)]
    moments += [r.started_at for r in rng.sample(runs, 12)]
    asks = []
    for url in PAGES:
        for at in moments:
            for run_id in (0, rng.randint(1, len(runs)), len(runs) + 1):
                asks.append((len(asks), url, at, run_id))
    assert any(a[2] > as_of for a in asks) and any(a[2] == as_of for a in asks)

    def before(url, at, run_id, bodies, other_than=0):
        found = [
            r
            for r in reads
            if r.url == url
            and (r.started_at, r.id) < (at, run_id)
            and (not bodies or (r.snapshot_id is not None and r.snapshot_id != other_than))
        ]
        return found[-1] if found else None

    got = reads_before(session.execute, asks, as_of)
    assert got == {
        k: (r.started_at if (r := before(url, at, run_id, False)) else None)
        for k, url, at, run_id in asks
    }
    others = [(k, url, at, run_id, rng.choice([0, *range(1, 9)])) for k, url, at, run_id in asks]
    got = bodies_before(session.execute, others, as_of)
    assert got == {
        k: ((r.started_at, r.id, r.snapshot_id) if (r := before(u, at, i, True, o)) else None)
        for k, u, at, i, o in others
    }
    assert any(v is not None for v in got.values())
    after = [a for a in asks if a[2] <= as_of]  # the callers ask it from reads by the instant
    got = first_body_after(session.execute, after, as_of)

    def first_after(url, at, run_id):
        found = [
            r
            for r in reads
            if r.url == url and r.snapshot_id is not None and (r.started_at, r.id) > (at, run_id)
        ]
        return (found[0].started_at, found[0].id) if found else None

    assert got == {k: first_after(url, at, run_id) for k, url, at, run_id in after}
    assert any(v is not None for v in got.values())
