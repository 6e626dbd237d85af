"""Source health: consecutive failed polls make a source failing, then broken; the next success
makes it healthy; every change of state is one event row; first_success_at is set once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses
from sqlalchemy import select

from fetch_fakes import LISTING, SOURCE, Site, good_site, make_fetcher, registered
from monitor.fetching import new_cycle, poll_source
from monitor.health import record_poll, state_for
from monitor.models import SourceHealth, SourceHealthEvent
from monitor.store import ensure_source

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "failures,broken_after,state",
    [
        (0, 3, "healthy"),
        (1, 3, "failing"),
        (2, 3, "failing"),
        (3, 3, "broken"),
        (7, 3, "broken"),
        (1, 1, "broken"),
    ],
)
def test_state_for(failures, broken_after, state):
    assert state_for(failures, broken_after) == state


def _events(session):
    return session.execute(
        select(
            SourceHealthEvent.from_state,
            SourceHealthEvent.to_state,
            SourceHealthEvent.consecutive_failures,
        ).order_by(SourceHealthEvent.id)
    ).all()


def test_transitions_and_events(session):
    ensure_source(session, SOURCE, T0)
    states = []
    plan = [True, True, True, True, False, False, True]
    for day, failed in enumerate(plan):
        change = record_poll(
            session,
            SOURCE.id,
            failed=failed,
            outcome="blocked" if failed else "ok",
            error="https://x: Akamai denial" if failed else None,
            now=T0 + timedelta(days=day),
            broken_after=3,
        )
        states.append((change.after, change.consecutive_failures))
    assert states == [
        ("failing", 1),
        ("failing", 2),
        ("broken", 3),
        ("broken", 4),
        ("healthy", 0),
        ("healthy", 0),
        ("failing", 1),
    ]
    assert _events(session) == [
        (None, "failing", 1),
        ("failing", "broken", 3),
        ("broken", "healthy", 0),
        ("healthy", "failing", 1),
    ]
    row = session.get(SourceHealth, SOURCE.id)
    assert row.first_success_at == T0 + timedelta(days=4)
    assert row.last_success_at == T0 + timedelta(days=5)
    assert row.changed_at == T0 + timedelta(days=6)
    assert (row.last_outcome, row.last_error) == ("blocked", "https://x: Akamai denial")


def test_first_success_is_kept(session):
    ensure_source(session, SOURCE, T0)
    for day in range(3):
        record_poll(
            session,
            SOURCE.id,
            failed=False,
            outcome="ok",
            error=None,
            now=T0 + timedelta(days=day),
            broken_after=3,
        )
    row = session.get(SourceHealth, SOURCE.id)
    assert (row.first_success_at, row.last_success_at) == (T0, T0 + timedelta(days=2))
    assert _events(session) == [(None, "healthy", 0)]


def test_polls_break_a_source_and_a_success_heals_it(session, archive):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site = Site(rsps)
        good_site(site)
        fetcher, _ = make_fetcher()

        def poll(day):
            now = T0 + timedelta(days=day)
            return poll_source(
                session,
                archive,
                fetcher,
                registered(),
                now=now,
                cycle=new_cycle(now),
                broken_after=3,
            )

        assert poll(0).health_after == "healthy"
        site.page(LISTING, error=requests.exceptions.ConnectionError("down"))
        assert [poll(d).health_after for d in (1, 2, 3)] == ["failing", "failing", "broken"]
        good_site(site)
        healed = poll(4)
        assert (healed.health_before, healed.health_after) == ("broken", "healthy")
    assert [e[1] for e in _events(session)] == ["healthy", "failing", "broken", "healthy"]
    assert session.get(SourceHealth, SOURCE.id).first_success_at == T0
