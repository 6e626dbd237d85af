"""Incremental evaluation (both databases): after every step of a history, the findings on
record equal a full evaluation's at that instant, while obligations nothing touched are not
evaluated at all. Steps include changes no new fact announces: a deadline passing, a source
going stale, manual evidence, a snooze running out, a row dated after the previous evaluation
and a row written later but dated earlier."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from findings_kit import OB, SRC, at, listing, publish, registry
from sqlalchemy import event, select

from monitor import incremental
from monitor.fact_gathering import gather_facts, registered_sources
from monitor.findings_actions import record_evidence, snooze
from monitor.findings_sync import _fields, evaluate_and_sync
from monitor.models import FetchRun, FindingRow
from monitor.store import ensure_source
from rulekit import obligation
from rules.engine import evaluate
from rules.findings import FAMILIES
from scrapers.source import Source

JAN = (date(2020, 1, 1), date(2020, 1, 31))
OTHER = "https://o.gov/list"
SRC2 = Source(
    id="oth", agency="DHS", title="Other source", start_urls=(OTHER,), allowed_hosts=("o.gov",)
)
OB2 = obligation(id="test_other", sources=["oth"], checks=["timeliness"])
RULES = [OB, OB2]
SETTINGS = SimpleNamespace(anomaly_tolerance=0.10)


BOTH = registry(SRC, SRC2)


def _read_other(session, when):
    ensure_source(session, SRC2, when)
    session.add(
        FetchRun(
            source_id="oth",
            url=OTHER,
            started_at=when,
            finished_at=when,
            outcome="not_modified",
            listing=True,
        )
    )
    session.flush()


def _expected(session, when) -> dict:
    facts = gather_facts(session, when, {"src", "oth"}, [ob.id for ob in RULES], registry=BOTH)
    return {f.key: _fields(f) for f in evaluate(RULES, facts, when)}


def _recorded(session) -> dict:
    rows = session.scalars(
        select(FindingRow).where(FindingRow.family.in_(FAMILIES), FindingRow.state != "resolved")
    )
    return {row.key: {name: getattr(row, name) for name in _fields_names()} for row in rows}


def _fields_names():
    return (
        "obligation_id",
        "family",
        "kind",
        "severity",
        "subject",
        "period_start",
        "period_end",
        "due",
        "deadline_at",
        "summary",
        "evidence",
    )


def _step(session, engine, when, now=None) -> set[str]:
    """Evaluate incrementally as of ``when``; return the obligations evaluated, after checking
    the record against a full evaluation."""
    now = now or when
    chosen = incremental.to_evaluate(session, RULES, when, now, SETTINGS, registered_sources(BOTH))
    result = evaluate_and_sync(
        session, SETTINGS, when, now, obligations=RULES, incremental=True, registry=BOTH
    )
    session.flush()
    recorded = _recorded(session)
    assert recorded == _expected(session, when), when
    assert sorted(r.key for r in result.findings) == sorted(recorded)
    return chosen


def test_incremental_findings_equal_a_full_evaluation_at_every_step(
    session, engine, archive, monkeypatch
):
    listing(session, archive, at(2020, 1, 5), [])
    _read_other(session, at(2020, 1, 5))
    assert _step(session, engine, at(2020, 1, 5, 18)) == {OB.id, OB2.id}  # nothing recorded yet

    # nothing new, no deadline: nothing evaluated, nothing written
    writes = []

    def spy(_conn, _cursor, statement, *_args):
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        assert _step(session, engine, at(2020, 1, 5, 20)) == set()
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert writes == []

    # January's deadline (2020-02-03) passes and the sources go stale: time alone
    assert _step(session, engine, at(2020, 2, 4)) == {OB.id, OB2.id}
    assert _step(session, engine, at(2020, 2, 10)) == {OB.id, OB2.id}
    assert any(f["kind"] == "unknown" for f in _recorded(session).values())

    # a source publishes: only the obligation watching it
    listing(session, archive, at(2020, 2, 15), ["https://e.gov/jan"])
    publish(
        session, archive, at(2020, 2, 15, 13), "https://e.gov/jan", JAN, issued=date(2020, 2, 12)
    )
    assert _step(session, engine, at(2020, 2, 15, 18)) == {OB.id}

    # manual evidence for the other one
    record_evidence(
        session,
        RULES,
        OB2.id,
        by="ana",
        on=date(2020, 2, 1),
        note="emailed",
        now=at(2020, 2, 16),
        period="2020-01",
    )
    assert _step(session, engine, at(2020, 2, 16, 18)) == {OB2.id}

    # a row written now but dated before the last evaluation (a look back, an old file)
    _read_other(session, at(2020, 2, 16, 17))
    assert _step(session, engine, at(2020, 2, 16, 19)) == {OB2.id}

    # a row dated after an evaluation that was written before it: seen once its time comes
    _read_other(session, at(2020, 2, 17, 12))
    assert _step(session, engine, at(2020, 2, 17, 6)) == {OB2.id}  # a new row
    assert _step(session, engine, at(2020, 2, 17, 7)) == set()  # ... not dated yet
    assert _step(session, engine, at(2020, 2, 17, 13)) == {OB2.id}  # now it is

    # a snooze runs out
    row = session.scalars(
        select(FindingRow).where(FindingRow.obligation_id == OB2.id, FindingRow.state == "open")
    ).first()
    assert row is not None
    snooze(session, row.id, until=date(2020, 2, 19), by="ana", now=at(2020, 2, 17, 14))
    assert _step(session, engine, at(2020, 2, 18)) == set()
    assert _step(session, engine, at(2020, 2, 19, 18)) == {OB2.id}
    assert session.get(FindingRow, row.id).state == "open"

    # a changed rule is evaluated again
    changed = obligation(id="test_other", sources=["oth"], checks=["timeliness"], grace_days=2)
    assert incremental.to_evaluate(
        session,
        [OB, changed],
        at(2020, 2, 19, 19),
        at(2020, 2, 19, 19),
        SETTINGS,
        registered_sources(BOTH),
    ) == {changed.id}
