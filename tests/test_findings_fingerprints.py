"""The findings sync compares fingerprints, not evidence (monitor/stored_findings.py), and writes
exactly what the sync that read every finding whole wrote: the same findings with the same
evidence, the same transitions and the same outbox messages (alerts), step after step of a
varied history, on both databases. Also: with nothing new it reads no finding's evidence; a
row stored without a fingerprint (before the column existed) is compared whole, once."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from monitor.db import make_engine, upgrade
from monitor.findings_actions import InvalidAction, acknowledge, snooze, waive
from monitor.findings_sync import (
    SyncResult,
    _differs,
    _fields,
    record_transition,
    reopen,
    sync_findings,
)
from monitor.models import FindingRow, FindingTransition
from monitor.models.delivery import OutboxItem, OutboxMessage
from rules.calendar import eastern_date
from rules.findings import FAMILIES, KIND_RANK, Finding

UTC = timezone.utc
START = datetime(2021, 3, 1, 15, tzinfo=UTC)


def reference_sync(session, findings, now, *, scope=None, ack_survives_days=30) -> SyncResult:
    """The sync as it was before fingerprints: every stored finding read whole (in id order;
    it read them in whatever order the database gave) and compared field by field."""
    result = SyncResult()
    current = {f.key: f for f in findings}
    scope = set(scope) if scope is not None else None
    query = select(FindingRow).where(FindingRow.family.in_(FAMILIES)).order_by(FindingRow.id)
    if scope is not None:
        query = query.where(FindingRow.obligation_id.in_(sorted(scope)))
    rows = {row.key: row for row in session.scalars(query)}
    today = eastern_date(now)
    new = {
        key: FindingRow(
            key=key,
            key_text=f.key_text,
            state="open",
            first_detected_at=now,
            changed_at=now,
            **_fields(f),
        )
        for key, f in current.items()
        if key not in rows
    }
    if new:
        session.add_all(new.values())
        session.flush()
    for key, f in current.items():
        row = rows.get(key)
        values = _fields(f)
        if row is None:
            row = new[key]
            record_transition(
                session,
                result,
                row,
                "opened",
                now,
                from_state=None,
                from_kind=None,
                effective_at=f.deadline,
            )
            result.opened.append(row)
        elif row.state == "resolved":
            reopen(
                session,
                result,
                row,
                now,
                values=values,
                effective_at=f.deadline,
                ack_survives_days=ack_survives_days,
            )
        else:
            changed = False
            if row.state == "snoozed" and row.snoozed_until is not None:
                if today >= row.snoozed_until:
                    row.state, row.snoozed_until = "open", None
                    record_transition(
                        session,
                        result,
                        row,
                        "snooze_expired",
                        now,
                        from_state="snoozed",
                        from_kind=row.kind,
                    )
                    changed = True
            if row.kind != f.kind:
                old_kind, old_state, note = row.kind, row.state, None
                for name, value in values.items():
                    setattr(row, name, value)
                if old_state == "waived":
                    note = (
                        f"waiver not kept: it was given for kind {old_kind}, the finding is "
                        f"now {row.kind} (reason was: {row.waived_reason})"
                    )
                    row.state, row.waived_reason = "open", None
                escalated = KIND_RANK.get(f.kind, 0) > KIND_RANK.get(old_kind, 0)
                record_transition(
                    session,
                    result,
                    row,
                    "escalated" if escalated else "changed",
                    now,
                    from_state=old_state,
                    from_kind=old_kind,
                    effective_at=f.deadline,
                    note=note,
                )
                changed = True
            elif _differs(row, values):
                for name, value in values.items():
                    setattr(row, name, value)
                record_transition(
                    session,
                    result,
                    row,
                    "updated",
                    now,
                    from_state=row.state,
                    from_kind=row.kind,
                    effective_at=f.deadline,
                )
                changed = True
            if changed:
                result.changed.append(row)
        result.findings.append(row)
    for key, row in rows.items():
        if key in current or row.state == "resolved":
            continue
        old_state = row.state
        row.state, row.resolved_at = "resolved", now
        record_transition(
            session, result, row, "resolved", now, from_state=old_state, from_kind=row.kind
        )
        result.resolved.append(row)
    session.flush()
    return result


# -- a varied history ---------------------------------------------------------------------------

OBLIGATIONS = ("ob_alpha", "ob_beta", "ob_gamma")
FAMILY_CHOICES = {
    "timeliness": ("missing", "late", "unknown"),
    "content": ("incomplete", "unknown"),
    "revision": ("revised",),
    "anomaly": ("anomaly",),
}


def _month(i: int) -> tuple[date, date]:
    start = date(2020 + i // 12, i % 12 + 1, 1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1) - timedelta(days=1)
    return start, end


def _finding(rng: random.Random, ob: str, family: str, i: int, step: int) -> Finding:
    start, end = _month(i)
    kind = rng.choice(FAMILY_CHOICES[family])
    due = end + timedelta(days=30)
    deadline = datetime(due.year, due.month, due.day, 4, 59, tzinfo=UTC)
    flavour = rng.random()
    evidence = {
        "obligation": {"id": ob, "title": f"Report {ob}", "agency": "DHS"},
        "citation": {"law": "Act", "public_law": "P.L. 1-1", "verified": True},
        "period": {"label": f"{start:%Y-%m}", "start": start, "end": end},
        "reason": rng.choice(["no report listed", "source broken", "table missing"]),
        "sources": [{"source": "src", "state": "healthy", "since": None}],
    }
    if flavour < 0.3:  # evidence that changes from step to step
        evidence["listing_reads"] = [
            {"url": "https://e.gov/list", "sha256": f"{step:064d}", "read_at": deadline}
        ]
    if flavour > 0.7:
        evidence["days_late"] = rng.randint(1, 40)
        evidence["values"] = (1.5, 2, None, "café ☕", {"nested": [date(2020, 1, 2)]})
    subject = f"https://e.gov/{ob}/{start:%Y-%m}.pdf" if family != "timeliness" else ""
    return Finding(
        obligation=ob,
        kind=kind,
        family=family,
        severity=rng.choice(["high", "medium"]),
        summary=f"{ob} {family} {start:%Y-%m}: {kind}",
        period_start=start,
        period_end=end,
        subject=subject,
        due=due if family == "timeliness" else None,
        deadline=deadline if family == "timeliness" else None,
        evidence=evidence,
    )


def _history(seed: int = 11):
    """Steps of (now, findings, scope, people's actions): findings appear, change kind and
    evidence, vanish and come back; people acknowledge, snooze and waive; some evaluations are
    of a few obligations only; some repeat the one before."""
    rng = random.Random(seed)
    universe = [(ob, fam, i) for ob in OBLIGATIONS for fam in FAMILY_CHOICES for i in range(8)]
    steps = []
    previous = None
    for step in range(12):
        now = START + timedelta(days=4 * step, hours=step)
        if step in (3, 8) and previous is not None:  # nothing new
            steps.append((now, previous[0], previous[1], []))
            continue
        scope = None if step % 4 != 2 else sorted(rng.sample(OBLIGATIONS, 2))
        present = [u for u in universe if rng.random() < 0.8]
        if scope is not None:
            present = [u for u in present if u[0] in scope]
        findings = [_finding(random.Random(f"{seed}|{u}|{step}"), *u, step) for u in present]
        if rng.random() < 0.5:  # some findings say exactly what they said last time
            findings = [_finding(random.Random(f"{seed}|{u}|0"), *u, 0) for u in present]
        actions = [
            (rng.choice(("acknowledge", "snooze", "waive")), rng.randrange(len(universe)))
            for _ in range(rng.randint(0, 6))
        ]
        steps.append((now, findings, scope, actions))
        previous = (findings, scope)
    return universe, steps


def _act(session, action: str, key_text: str, now: datetime) -> None:
    row = session.scalar(select(FindingRow).where(FindingRow.key_text == key_text))
    if row is None or row.state == "resolved":
        return
    try:
        if action == "acknowledge":
            acknowledge(session, row.id, by="ana", now=now)
        elif action == "snooze":
            snooze(session, row.id, until=eastern_date(now) + timedelta(days=6), by="ana", now=now)
        else:
            waive(session, row.id, reason="known, agreed with the committee", by="ana", now=now)
    except InvalidAction:
        pass


def _play(engine, sync, *, forget_prints_at: int | None = None) -> list:
    """Play the history with ``sync``; what each step's result said."""
    universe, steps = _history()
    texts = {u: f"{u[0]}|{u[1]}" for u in universe}
    said = []
    with Session(engine, expire_on_commit=False) as session:
        for n, (now, findings, scope, actions) in enumerate(steps):
            if n == forget_prints_at:  # as after the upgrade that added the column
                session.execute(update(FindingRow).values(fingerprint=None))
            result = sync(session, findings, now, scope=scope)
            said.append(
                (
                    [r.id for r in result.opened],
                    [r.id for r in result.changed],
                    [r.id for r in result.resolved],
                    [r.id for r in result.findings],
                    len(result.transitions),
                )
            )
            session.commit()
            for action, index in actions:
                ob, family, i = universe[index]
                start, end = _month(i)
                subject = f"https://e.gov/{ob}/{start:%Y-%m}.pdf" if family != "timeliness" else ""
                key_text = f"{texts[universe[index]]}|{start}|{end}|{subject}"
                _act(session, action, key_text, now + timedelta(hours=1))
            session.commit()
    return said


def _tables(engine) -> dict:
    columns = [c for c in FindingRow.__table__.columns if c.name != "fingerprint"]
    with engine.connect() as conn:
        return {
            "findings": conn.execute(select(*columns).order_by(FindingRow.id)).all(),
            "transitions": conn.execute(
                select(FindingTransition.__table__).order_by(FindingTransition.id)
            ).all(),
            "outbox": conn.execute(
                select(OutboxMessage.__table__).order_by(OutboxMessage.id)
            ).all(),
            "items": conn.execute(
                select(OutboxItem.__table__).order_by(OutboxItem.outbox_id, OutboxItem.id)
            ).all(),
        }


@pytest.fixture
def second_engine(empty_db_url):
    eng = make_engine(empty_db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.mark.parametrize("forget_prints_at", [None, 5])
def test_the_fingerprint_sync_writes_what_the_whole_row_sync_wrote(
    engine, second_engine, forget_prints_at
):
    new = _play(engine, sync_findings, forget_prints_at=forget_prints_at)
    old = _play(second_engine, reference_sync, forget_prints_at=forget_prints_at)
    assert new == old
    ours, theirs = _tables(engine), _tables(second_engine)
    assert len(theirs["transitions"]) > 100 and len(theirs["outbox"]) > 10  # a varied history
    changes = {t.change for t in theirs["transitions"]}
    assert {"opened", "changed", "escalated", "updated", "resolved", "reopened"} <= changes
    assert {"snooze_expired", "acknowledged", "waived"} <= changes
    for name in ("findings", "transitions", "outbox", "items"):
        assert ours[name] == theirs[name], name


def _reads(engine):
    seen = []

    def spy(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    return seen, lambda: event.remove(engine, "before_cursor_execute", spy)


def test_nothing_new_reads_no_evidence_and_writes_nothing(engine):
    _universe, steps = _history()
    now, findings, _scope, _actions = steps[0]
    with Session(engine, expire_on_commit=False) as session:
        sync_findings(session, findings, now)
        session.commit()
        seen, stop = _reads(engine)
        try:
            result = sync_findings(session, findings, now + timedelta(days=1))
            session.commit()
        finally:
            stop()
        assert len(result.findings) == len(findings) and not result.wrote_anything
        assert seen and not [s for s in seen if "evidence" in s or s.lstrip()[:6] != "SELECT"]
        # the rows are there when asked for, whole
        assert sorted(r.key for r in result.findings) == sorted(f.key for f in findings)
        assert all(r.evidence["obligation"]["id"] == r.obligation_id for r in result.findings)


def test_a_row_without_fingerprint_is_compared_whole_once(engine):
    _universe, steps = _history()
    now, findings, _scope, _actions = steps[0]
    with Session(engine, expire_on_commit=False) as session:
        sync_findings(session, findings, now)
        session.execute(update(FindingRow).values(fingerprint=None))
        session.commit()
        result = sync_findings(session, findings, now + timedelta(days=1))
        session.commit()
        assert not result.wrote_anything  # no transition: nothing the engine says changed
        assert None not in session.scalars(select(FindingRow.fingerprint)).all()
        seen, stop = _reads(engine)
        try:
            sync_findings(session, findings, now + timedelta(days=2))
            session.commit()
        finally:
            stop()
        assert not [s for s in seen if "evidence" in s]
