"""The findings state machine on both databases: open, change kind, resolve, reopen; people's
states persist; re-evaluating with nothing new writes nothing (not even an UPDATE)."""

from __future__ import annotations

from datetime import date

from findings_kit import (
    REGISTRY,
    OB,
    SETTINGS,
    at,
    counts,
    finding,
    health,
    listing,
    publish,
    run,
    transitions,
)
from sqlalchemy import event, select

from monitor.findings_actions import acknowledge, record_evidence, snooze, waive
from monitor.findings_sync import evaluate_and_sync
from monitor.models import FindingRow, FindingTransition
from rules.calendar import end_of_day

DEC, JAN, FEB = date(2019, 12, 1), date(2020, 1, 1), date(2020, 2, 1)
JAN_PERIOD = (date(2020, 1, 1), date(2020, 1, 31))


def _sync(session, as_of, now=None, **kw):
    return evaluate_and_sync(
        session, SETTINGS, as_of, now or as_of, obligations=[OB], **kw, registry=REGISTRY
    )


def _watching(session, archive):
    """The source has been read since 2019-12-01; December's report came out on time."""
    health(session, "healthy", at(2019, 12, 1), at(2019, 12, 1))
    listing(session, archive, at(2019, 12, 1), [])
    publish(
        session,
        archive,
        at(2020, 1, 2),
        "https://e.gov/dec",
        (date(2019, 12, 1), date(2019, 12, 31)),
        issued=date(2020, 1, 2),
    )


def test_missing_opens_with_a_transition_dated_at_the_deadline(session, archive, monkeypatch):
    _watching(session, archive)
    run(session, at(2020, 2, 10))  # the listing read after January's deadline
    result = _sync(session, at(2020, 2, 10, 18))
    row = finding(session, JAN)
    assert (row.kind, row.state) == ("missing", "open")
    assert [r.id for r in result.opened] == [row.id] and result.findings == [row]
    (t,) = session.scalars(select(FindingTransition)).all()
    assert (t.change, t.to_state, t.to_kind, t.actor) == ("opened", "open", "missing", None)
    assert t.effective_at == end_of_day(date(2020, 2, 3)) and t.detected_at == at(2020, 2, 10, 18)
    assert row.evidence["citation"]["public_law"] == "P.L. 1-1"
    assert row.evidence["period"]["label"] == "2020-01"


def test_re_evaluation_with_nothing_new_writes_nothing(session, archive, monkeypatch, engine):
    _watching(session, archive)
    run(session, at(2020, 2, 10))
    _sync(session, at(2020, 2, 10, 18))
    session.commit()
    before = counts(session)
    writes = []

    def spy(conn, cursor, statement, *args):
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        result = _sync(session, at(2020, 2, 10, 18), now=at(2020, 2, 11))
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert writes == [] and not result.wrote_anything
    assert counts(session) == before


def test_late_publication_changes_the_kind_of_the_same_finding(session, archive, monkeypatch):
    _watching(session, archive)
    run(session, at(2020, 2, 10))
    _sync(session, at(2020, 2, 10, 18))
    missing = finding(session, JAN)
    publish(
        session, archive, at(2020, 2, 20), "https://e.gov/jan", JAN_PERIOD, issued=date(2020, 2, 20)
    )
    result = _sync(session, at(2020, 2, 21))
    late = finding(session, JAN)
    assert late.id == missing.id and late.kind == "late"
    assert late.evidence["days_late"] == 17
    assert late.evidence["reports"][0]["snapshot_sha256"]
    assert [r.id for r in result.changed] == [late.id]
    assert transitions(session, late)[-1] == ("changed", "open", "open", "missing", "late")


def test_a_finding_that_disappears_is_resolved_and_can_reopen(session, archive, monkeypatch):
    _watching(session, archive)
    run(session, at(2020, 2, 10))
    _sync(session, at(2020, 2, 10, 18))
    # an analyst learns the report was sent on time, by email
    record_evidence(
        session,
        [OB],
        "test_monthly",
        by="ana",
        on=date(2020, 2, 1),
        note="emailed to the committees",
        now=at(2020, 2, 12),
        period="2020-01",
    )
    result = _sync(session, at(2020, 2, 12, 18))
    row = finding(session, JAN)
    assert row.state == "resolved" and [r.id for r in result.resolved] == [row.id]
    assert row.resolved_at == at(2020, 2, 12, 18)
    # evaluated again as of a time before the evidence was recorded: missing again, reopened
    _sync(session, at(2020, 2, 11), now=at(2020, 2, 13))
    row = finding(session, JAN)
    assert (row.state, row.kind, row.resolved_at) == ("open", "missing", None)
    assert [t[0] for t in transitions(session, row)] == ["opened", "resolved", "reopened"]


def test_people_states_persist_across_evaluations(session, archive, monkeypatch):
    _watching(session, archive)
    run(session, at(2020, 4, 10))
    _sync(session, at(2020, 4, 10, 18))
    jan, feb, mar = (finding(session, d) for d in (JAN, FEB, date(2020, 3, 1)))
    acknowledge(session, jan.id, by="ana", note="asked HHS", now=at(2020, 4, 11))
    waive(session, feb.id, reason="shutdown month", by="ben", now=at(2020, 4, 11))
    snooze(session, mar.id, until=date(2020, 4, 20), by="cy", now=at(2020, 4, 11))
    _sync(session, at(2020, 4, 15))  # before the snooze date
    assert [finding(session, d).state for d in (JAN, FEB, date(2020, 3, 1))] == [
        "acknowledged",
        "waived",
        "snoozed",
    ]
    result = _sync(session, at(2020, 4, 20, 13))  # the snooze date has come
    assert finding(session, date(2020, 3, 1)).state == "open"
    assert finding(session, JAN).state == "acknowledged"
    assert finding(session, FEB).state == "waived"
    expired = [t for t in result.transitions if t.change == "snooze_expired"]
    assert len(expired) == 1 and expired[0].actor is None


def test_broken_source_makes_absence_unknown_then_missing_again(session, archive, monkeypatch):
    _watching(session, archive)
    health(session, "broken", at(2020, 1, 20), at(2019, 12, 1))
    _sync(session, at(2020, 2, 10, 18))
    row = finding(session, JAN)
    assert row.kind == "unknown" and "broken" in row.evidence["reason"]
    health(session, "healthy", at(2020, 2, 12), at(2019, 12, 1))
    run(session, at(2020, 2, 12))
    _sync(session, at(2020, 2, 12, 18))
    row = finding(session, JAN)
    assert row.kind == "missing"
    assert transitions(session, row)[-1] == ("escalated", "open", "open", "unknown", "missing")
    # evaluating as of the broken period uses the health history, not today's state
    _sync(session, at(2020, 2, 10, 18), now=at(2020, 2, 13))
    assert finding(session, JAN).kind == "unknown"


def test_incremental_evaluation_only_touches_the_named_obligations(session, archive, monkeypatch):
    from rulekit import obligation

    other = obligation(id="other_monthly")
    _watching(session, archive)
    run(session, at(2020, 2, 10))
    evaluate_and_sync(
        session,
        SETTINGS,
        at(2020, 2, 10, 18),
        at(2020, 2, 10, 18),
        obligations=[OB, other],
        registry=REGISTRY,
    )
    for ob_id in ("test_monthly", "other_monthly"):
        record_evidence(
            session,
            [OB, other],
            ob_id,
            by="ana",
            on=date(2020, 2, 1),
            note="emailed",
            now=at(2020, 2, 12),
            period="2020-01",
        )
    evaluate_and_sync(
        session,
        SETTINGS,
        at(2020, 2, 12, 18),
        at(2020, 2, 12, 18),
        obligations=[OB, other],
        only=["test_monthly"],
        registry=REGISTRY,
    )
    states = dict(
        session.execute(
            select(FindingRow.obligation_id, FindingRow.state).where(FindingRow.period_start == JAN)
        ).all()
    )
    assert states == {"test_monthly": "resolved", "other_monthly": "open"}


def test_content_and_revision_findings_rest_on_snapshots(session, archive, monkeypatch):
    _watching(session, archive)
    url = "https://e.gov/jan"
    publish(
        session,
        archive,
        at(2020, 2, 1),
        url,
        JAN_PERIOD,
        issued=date(2020, 2, 1),
        outcome="layout_changed",
    )
    _sync(session, at(2020, 2, 2))
    content = finding(session, JAN, family="content")
    assert content.kind == "unknown" and content.subject == url
    publish(session, archive, at(2020, 2, 5), url, JAN_PERIOD, value=3, body=b"v2")
    publish(session, archive, at(2020, 3, 5), url, JAN_PERIOD, value=4, body=b"v3")
    _sync(session, at(2020, 3, 6))
    assert finding(session, JAN, family="content").state == "resolved"
    revised = finding(session, JAN, family="revision")
    change = revised.evidence["revision"]["changes"][0]
    assert (change["before"], change["after"]) == ([3.0], [4.0])
    assert (
        revised.evidence["revision"]["to_snapshot_sha256"]
        != revised.evidence["revision"]["from_snapshot_sha256"]
    )


def test_a_report_dropped_from_the_listing_is_removed(session, archive, monkeypatch):
    _watching(session, archive)
    url = "https://e.gov/jan"
    listing(session, archive, at(2020, 2, 1), [url])
    publish(session, archive, at(2020, 2, 1, 13), url, JAN_PERIOD, issued=date(2020, 2, 1))
    listing(session, archive, at(2020, 3, 1), [])
    _sync(session, at(2020, 3, 2))
    row = finding(session, JAN, family="removal")
    assert row.kind == "removed" and row.subject == url
    assert row.evidence["removal"]["removed_at"] == at(2020, 3, 1).isoformat()


def test_findings_written_a_few_rows_a_flush_are_those_written_in_one(
    session, archive, monkeypatch
):
    """A first evaluation's many rows are flushed FLUSH_EVERY at a time: the same findings and
    transitions, in the same order, as when everything goes in one flush."""
    from monitor import findings_sync

    def written(flush_every: int) -> tuple[list, list]:
        monkeypatch.setattr(findings_sync, "FLUSH_EVERY", flush_every)
        _watching(session, archive)
        run(session, at(2020, 7, 10))  # January to June have no report: six findings
        _sync(session, at(2020, 7, 10, 18))
        rows = session.scalars(select(FindingRow).order_by(FindingRow.id)).all()
        order = {row.id: i for i, row in enumerate(rows)}
        found = [(r.key, r.kind, r.state, r.evidence, r.fingerprint) for r in rows]
        ts = session.scalars(select(FindingTransition).order_by(FindingTransition.id)).all()
        made = [(order[t.finding_id], t.change, t.to_kind, t.effective_at) for t in ts]
        session.rollback()
        return found, made

    few = written(2)
    assert len(few[0]) >= 5 and len(few[1]) == len(few[0])
    assert few == written(10_000)
