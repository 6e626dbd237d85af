"""Findings as a state machine in the database, driven by the engine's output.

States: open -> acknowledged | snoozed (until a date) | waived (with a reason) -> resolved.
The monitor opens a finding the first time the engine reports it, changes its kind when the
engine does (unknown -> missing is an escalation; missing -> late is a change), updates its
evidence when the facts behind it change, resolves it when the engine stops reporting it, and
reopens it if it comes back. People's states persist across evaluations: an acknowledged finding
stays acknowledged, a waived one stays waived, a snoozed one returns to open when its date comes.

People's decisions are never erased by the engine, not even by a resolve and a reopen (see
:func:`reopen`): a waiver covers its finding until its kind changes (a waived finding whose kind
changes returns to open, and a reopened one stays waived only with the kind it was waived for);
an acknowledgement survives a reopen within ``ack_survives_days`` of the resolution; a snooze
survives a reopen while its date has not come. A resolved finding keeps the waiver reason and
snooze date it had, so that a reopen can restore them; what was kept or dropped is written in the
``reopened`` transition's note.

Every change is one ``finding_transitions`` row, dated when detected and, where it applies, at
the deadline it rests on. Nothing changed means nothing written: re-running an evaluation on the
same facts performs no INSERT and no UPDATE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.delivery.outbox import note_transition
from monitor.errors import ConfigError
from monitor.models import FindingRow, FindingTransition
from monitor.stored_findings import FindingRows, fingerprint, light_rows, whole_rows
from rules.calendar import as_instant, eastern_date
from rules.findings import FAMILIES, KIND_RANK, Finding, plain

# Default of the ``ack_survives_days`` setting: an acknowledgement survives a reopen that comes
# less than this many days after the finding was resolved.
ACK_SURVIVES_DAYS = 30
# Rows written per flush: as many as one multi-row INSERT takes (SQLAlchemy's default
# ``insertmanyvalues_page_size``), so flushing this often adds few statements if any.
FLUSH_EVERY = 1000


@dataclass
class SyncResult:
    opened: list[FindingRow] = field(default_factory=list)  # new, or reopened after resolution
    changed: list[FindingRow] = field(default_factory=list)  # kind or evidence changed, snooze over
    resolved: list[FindingRow] = field(default_factory=list)
    # every finding the engine reported (rows read when asked for; see FindingRows)
    findings: FindingRows = field(default_factory=FindingRows)
    transitions: list[FindingTransition] = field(default_factory=list)

    @property
    def wrote_anything(self) -> bool:
        return bool(self.transitions)


def record_transition(
    session: Session,
    result: SyncResult,
    row: FindingRow,
    change: str,
    now: datetime,
    *,
    from_state: str | None,
    from_kind: str | None,
    effective_at: datetime | None = None,
    actor: str | None = None,
    note: str | None = None,
) -> FindingTransition:
    """Write one transition row for ``row``'s current state and kind (and date the change)."""
    transition = FindingTransition(
        finding_id=row.id,
        change=change,
        from_state=from_state,
        to_state=row.state,
        from_kind=from_kind,
        to_kind=row.kind,
        detected_at=now,
        effective_at=effective_at,
        actor=actor,
        note=note,
        evidence=row.evidence,
    )
    session.add(transition)
    row.changed_at = now
    result.transitions.append(transition)
    note_transition(session, transition)  # its outbox message is written when this commits
    return transition


def _state_at_resolution(session: Session, row: FindingRow) -> str:
    """The state ``row`` was in when it was last resolved (its last ``resolved`` transition)."""
    with session.no_autoflush:
        state = session.scalar(
            select(FindingTransition.from_state)
            .where(FindingTransition.finding_id == row.id, FindingTransition.change == "resolved")
            .order_by(FindingTransition.id.desc())
            .limit(1)
        )
    return state or "open"


def reopen(
    session: Session,
    result: SyncResult,
    row: FindingRow,
    now: datetime,
    *,
    values: dict | None = None,
    effective_at: datetime | None = None,
    ack_survives_days: int = ACK_SURVIVES_DAYS,
) -> FindingTransition:
    """Reopen a resolved finding (with the engine's new ``values``, if any), keeping the people's
    decision it had when it was resolved where that decision still applies:

    * a waiver, if the finding comes back with the kind it was waived for;
    * an acknowledgement, if it comes back less than ``ack_survives_days`` days after it was
      resolved (0: never);
    * a snooze, if its date has not come yet.

    The ``reopened`` transition's ``to_state`` is the state kept, and its note says what was
    kept or dropped and why. The one place a finding reopens (engine and operator findings)."""
    before = _state_at_resolution(session, row)
    old_kind, resolved_at = row.kind, row.resolved_at
    for name, value in (values or {}).items():
        setattr(row, name, value)
    state, note = "open", None
    if before == "waived":
        if row.kind == old_kind:
            state = "waived"
            note = f"waiver kept (kind {row.kind} unchanged): {row.waived_reason}"
        else:
            note = (
                f"waiver not kept: it was given for kind {old_kind}, the finding is now "
                f"{row.kind} (reason was: {row.waived_reason})"
            )
    elif before == "acknowledged":
        gap = now - resolved_at if resolved_at is not None else timedelta(0)
        days = gap.total_seconds() / 86400
        if gap < timedelta(days=ack_survives_days):
            state = "acknowledged"
            note = (
                f"acknowledgement kept: reopened {days:.1f} day(s) after it was resolved "
                f"(ack_survives_days={ack_survives_days})"
            )
        else:
            note = (
                f"acknowledgement not kept: reopened {days:.1f} day(s) after it was "
                f"resolved (ack_survives_days={ack_survives_days})"
            )
    elif before == "snoozed" and row.snoozed_until is not None:
        if eastern_date(now) < row.snoozed_until:
            state = "snoozed"
            note = f"snooze kept: until {row.snoozed_until}"
        else:
            note = f"snooze not kept: its date {row.snoozed_until} has come"
    row.state, row.resolved_at = state, None
    if state != "waived":
        row.waived_reason = None
    if state != "snoozed":
        row.snoozed_until = None
    transition = record_transition(
        session,
        result,
        row,
        "reopened",
        now,
        from_state="resolved",
        from_kind=old_kind,
        effective_at=effective_at,
        note=note,
    )
    result.opened.append(row)
    return transition


def _fields(f: Finding) -> dict:
    return {
        "obligation_id": f.obligation,
        "family": f.family,
        "kind": f.kind,
        "severity": f.severity,
        "subject": f.subject,
        "period_start": f.period_start,
        "period_end": f.period_end,
        "due": f.due,
        "deadline_at": f.deadline,
        "summary": f.summary,
        "evidence": plain(f.evidence),
    }


def _differs(row: FindingRow, values: dict) -> bool:
    return any(getattr(row, name) != value for name, value in values.items() if name != "kind")


def _changes(light, current: dict, prints: dict, today: date) -> bool:
    """Whether the stored finding ``light`` changes in this sync (so is read whole)."""
    if light.key not in current:
        return light.state != "resolved"  # resolved now
    return (
        light.state == "resolved"  # reopened
        or light.fingerprint != prints[light.key]  # the engine says something else of it
        or light.state == "snoozed"
        and light.snoozed_until is not None
        and today >= light.snoozed_until  # its snooze ran out
    )


def sync_findings(
    session: Session,
    findings: Iterable[Finding],
    now: datetime,
    *,
    scope: Iterable[str] | None = None,
    ack_survives_days: int = ACK_SURVIVES_DAYS,
) -> SyncResult:
    """Bring the findings table in line with ``findings``.

    ``scope``: the obligation ids that were evaluated (None: all). Only findings of evaluated
    obligations can be resolved, so an incremental evaluation leaves the others alone. Findings
    the shell raises about its own operation (monitor/operator_findings.py) are never touched.
    ``ack_survives_days``: see :func:`reopen`.

    What is compared is each finding's fingerprint (monitor/stored_findings.py): a stored row is
    read whole only when it changes (its fingerprint differs or is not known, it was resolved and
    comes back, its snooze ran out, or it is to be resolved).
    """
    result = SyncResult(findings=FindingRows(session))
    current = {f.key: f for f in findings}
    today = eastern_date(now)
    stored = light_rows(session, set(scope) if scope is not None else None)
    by_key = {light.key: light for light in stored}
    prints: dict[str, str] = {}
    values_of: dict[str, dict] = {}  # what is written: kept for the findings that change only
    for key, f in current.items():
        values = _fields(f)
        prints[key] = fingerprint(values)
        if key not in by_key or _changes(by_key[key], current, prints, today):
            values_of[key] = values
    ids = {key: light.id for key, light in by_key.items()}
    wanted = {light.id for light in stored if _changes(light, current, prints, today)}
    whole = whole_rows(session, wanted)
    # New findings are inserted in multi-row INSERTs, then their "opened" transitions are written
    # in order with the rest; both flushed FLUSH_EVERY rows at a time (the rows an INSERT takes
    # anyway), so a first evaluation's thousands of rows are never all in one flush's working
    # memory.
    new = {
        key: FindingRow(
            key=key,
            key_text=f.key_text,
            state="open",
            first_detected_at=now,
            changed_at=now,
            fingerprint=prints[key],
            **values_of[key],
        )
        for key, f in current.items()
        if key not in ids
    }
    rows = list(new.values())
    for start in range(0, len(rows), FLUSH_EVERY):
        session.add_all(rows[start : start + FLUSH_EVERY])
        session.flush()
    del rows

    flushed = len(result.transitions)
    for key, f in current.items():
        if len(result.transitions) - flushed >= FLUSH_EVERY:
            session.flush()
            flushed = len(result.transitions)
        values = values_of.get(key)  # None: unchanged
        if key not in ids:
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
            result.findings.append(row)
            continue
        row = whole.get(ids[key])
        if row is None:  # unchanged: as stored
            result.findings.add_ids([ids[key]])
            continue
        if row.state == "resolved":
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
            if (
                row.state == "snoozed"
                and row.snoozed_until is not None
                and today >= row.snoozed_until
            ):
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
                if old_state == "waived":  # a waiver covers the kind it was given for
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
        if row.fingerprint != prints[key]:  # what the engine said of it, from now on
            row.fingerprint = prints[key]
        result.findings.append(row)

    for light in stored:
        if light.key in current or light.state == "resolved":
            continue
        row = whole[light.id]
        old_state = row.state
        # waived_reason and snoozed_until stay: a reopen may restore them (see reopen)
        row.state, row.resolved_at = "resolved", now
        record_transition(
            session, result, row, "resolved", now, from_state=old_state, from_kind=row.kind
        )
        result.resolved.append(row)
    session.flush()
    return result


def load_rules(directory=None):
    """The obligations, with a rule-file error turned into a one-line CLI error."""
    from rules.obligations import ObligationError, load_obligations

    try:
        return load_obligations(directory)
    except ObligationError as exc:
        raise ConfigError(f"rule file {exc}") from None


def evaluate_and_sync(
    session: Session,
    settings,
    as_of: date | datetime,
    now: datetime,
    *,
    only: Iterable[str] | None = None,
    obligations=None,
    incremental: bool = False,
    registry=None,
) -> SyncResult:
    """Gather facts as of ``as_of``, evaluate the obligations and sync the findings table.

    The end-to-end entry point (pipeline and `monitor evaluate`). ``now`` dates the transitions;
    ``only`` restricts evaluation (and resolution) to these obligation ids. ``incremental``:
    evaluate only the obligations whose findings may have changed since their last recorded
    evaluation (monitor/incremental.py); the others' findings stand as recorded and are
    returned as they are. ``registry``: the sources the monitor runs on (``ctx.sources``;
    None: the discovered ones).
    """
    from monitor import incremental as inc
    from monitor.fact_gathering import gather_facts, registered_sources
    from rules.engine import cycle_collection_paused, evaluate

    obligations = obligations if obligations is not None else load_rules()
    selected = [ob for ob in obligations if only is None or ob.id in set(only)]
    instant = as_instant(as_of)
    registered = registered_sources(registry) if incremental else None
    marks = inc.marks(session) if incremental else None
    evaluated = selected
    if incremental:
        rerun = inc.to_evaluate(session, selected, instant, now, settings, registered)
        evaluated = [ob for ob in selected if ob.id in rerun]
    sources = set().union(*(ob.watched_sources() for ob in evaluated)) if evaluated else set()
    # One pause of the cyclic collector from the gathering to the findings: resumed between
    # the two, its first collection would walk every record of the facts, all still alive.
    with cycle_collection_paused():
        facts = gather_facts(
            session,
            instant,
            sources,
            [ob.id for ob in evaluated],
            stale_after=getattr(settings, "stale_after", None),
            unreachable_after=getattr(settings, "unreachable_after", None),
            registry=registry,
            obligations=evaluated,
            periods_from=getattr(settings, "watch_from", None),
        )
        findings = evaluate(
            evaluated,
            facts,
            instant,
            tolerance=settings.anomaly_tolerance,
            periods_from=getattr(settings, "watch_from", None),
        )
        del facts  # not needed to sync: its memory is free for the findings' rows
    scope = None if only is None else [ob.id for ob in selected]
    chosen = {ob.id for ob in evaluated}
    skipped = [ob.id for ob in selected if ob.id not in chosen]
    if skipped:  # everything but them, rows of obligations that no longer exist included
        every = set(
            session.scalars(
                select(FindingRow.obligation_id).distinct().where(FindingRow.family.in_(FAMILIES))
            )
        )
        scope = sorted(
            (every | {ob.id for ob in evaluated}) - set(skipped)
            if only is None
            else {ob.id for ob in evaluated}
        )
    result = sync_findings(
        session,
        findings,
        now,
        scope=scope,
        ack_survives_days=getattr(settings, "ack_survives_days", ACK_SURVIVES_DAYS),
    )
    if skipped:  # as recorded; read only if someone asks for them
        result.findings.add_ids(
            session.scalars(
                select(FindingRow.id)
                .where(
                    FindingRow.obligation_id.in_(skipped),
                    FindingRow.family.in_(FAMILIES),
                    FindingRow.state != "resolved",
                )
                .order_by(FindingRow.id)
            )
        )
    if incremental:
        inc.record(session, evaluated, instant, now, settings, registered, marks)
    return result
