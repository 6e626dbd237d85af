"""Draining the outbox to Slack, exactly once.

One drain: route new outbox messages to channels (monitor/delivery/routing.py), take back
deliveries a crashed sender left claimed, then claim due deliveries in small batches with a
conditional UPDATE (``state = 'pending'`` -> ``'sending'`` with a claim token; a row another
sender took is simply not claimed), send each with slack-sdk (monitor/delivery/slack_client.py)
and record every attempt as a ``delivery_attempts`` row: a failure at once, successes in small
groups (a crash before they are recorded is what the idempotency key below is for).

* A reply or an edit waits until the message it belongs to was sent (or given up on: a reply then
  becomes a new message, an edit is skipped).
* 429: slack-sdk's ``RateLimitErrorRetryHandler`` waits a short ``Retry-After`` and retries
  inside the call; a longer one reschedules the delivery after ``Retry-After`` and ends the drain.
* Other transient failures (5xx, network errors, Slack's ``internal_error``...) reschedule with
  exponential backoff and full jitter, and give up (dead letter) after ``MAX_ATTEMPTS``.
* Permanent refusals (``invalid_auth``, ``channel_not_found``, ``not_in_channel``, a message
  Slack rejects) go to the dead-letter state at once and raise an operator finding (family
  ``delivery``) instead of retrying forever; a bad token ends the drain, a refusing channel is
  skipped for the rest of it. The finding resolves itself on the next success there.
* Exactly once: each message carries its idempotency key in Slack message metadata. When an
  attempt may have reached Slack without being recorded (a crash between Slack's answer and the
  record, a timeout, a 5xx), the delivery is marked ``needs_check``; before sending it again the
  sender looks for the key in the channel's history (or the thread) and records the message it
  finds instead of posting a second one.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, ContextManager

from slack_sdk import WebClient
from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from monitor.delivery.routing import route_outbox, slack_problem
from monitor.delivery.slack_client import (
    AUTH_ERRORS,
    CHANNEL_ERRORS,
    Claimed,
    Outcome,
    attempt,
    make_client,
)
from monitor.models.delivery import Delivery, DeliveryAttempt, OutboxMessage

log = logging.getLogger(__name__)

BATCH = 50
RECORD_EVERY = 25  # successful attempts recorded together (see _Drain)
LEASE = timedelta(minutes=10)  # a claim older than this belongs to a sender that died
MAX_ATTEMPTS = 10
BACKOFF_BASE, BACKOFF_CAP = 30.0, 3600.0  # seconds

FINAL = ("sent", "dead", "skipped")

Sessions = Callable[[], ContextManager[Session]]


@dataclass
class DrainReport:
    routed: int = 0
    sent: int = 0
    recovered: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    stopped: str | None = None
    not_configured: str | None = None
    dead_ids: list[int] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.retried or self.dead or self.stopped)

    def line(self) -> str:
        if self.not_configured:
            return f"Slack: not configured ({self.not_configured})"
        text = (
            f"Slack: {self.sent} sent, {self.recovered} found already sent, "
            f"{self.retried} to retry, {self.dead} dead, {self.skipped} skipped"
        )
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


def backoff(attempts: int, rng: random.Random, retry_after_s: int | None = None) -> float:
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    delay = delay / 2 + rng.random() * delay / 2
    return max(delay, float(retry_after_s or 0))


# --- claiming ---------------------------------------------------------------------------------


def _reclaim_stale(session: Session, now: datetime) -> int:
    """Deliveries a dead sender left in 'sending': due again, checked against Slack first."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.kind == "slack", Delivery.state == "sending", Delivery.claimed_at < now - LEASE
        )
        .values(state="pending", needs_check=True, claim_token=None, next_attempt_at=now)
    )
    return result.rowcount or 0


def _claim(session: Session, due: datetime, now: datetime, paused: set[str]) -> list[Claimed]:
    parent = aliased(Delivery)
    ready = or_(OutboxMessage.parent_id.is_(None), parent.id.is_(None), parent.state.in_(FINAL))
    query = (
        select(Delivery.id)
        .join(OutboxMessage, OutboxMessage.id == Delivery.outbox_id)
        .outerjoin(
            parent,
            and_(
                parent.outbox_id == OutboxMessage.parent_id,
                parent.channel == Delivery.channel,
                parent.kind == "slack",
            ),
        )
        .where(
            Delivery.kind == "slack",
            Delivery.state == "pending",
            Delivery.next_attempt_at <= due,
            ready,
        )
        .order_by(Delivery.id)
        .limit(BATCH)
    )
    if paused:
        query = query.where(Delivery.channel.not_in(sorted(paused)))
    ids = list(session.scalars(query))
    if not ids:
        return []
    token = uuid.uuid4().hex
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.state == "pending")
        .values(state="sending", claim_token=token, claimed_at=now)
    )
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.channel,
            Delivery.idempotency_key,
            Delivery.attempts,
            Delivery.needs_check,
            Delivery.created_at,
            OutboxMessage.id,
            OutboxMessage.action,
            OutboxMessage.change,
            OutboxMessage.payload,
            parent.remote_id,
            parent.state,
        )
        .join(OutboxMessage, OutboxMessage.id == Delivery.outbox_id)
        .outerjoin(
            parent,
            and_(
                parent.outbox_id == OutboxMessage.parent_id,
                parent.channel == Delivery.channel,
                parent.kind == "slack",
            ),
        )
        .where(Delivery.claim_token == token)
        .order_by(Delivery.id)
    )
    return [
        Claimed(
            r[0],
            token,
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            {"outbox_id": r[6], "action": r[7], "change": r[8], "payload": r[9]},
            r[10] if r[11] == "sent" else None,
            r[11],
        )
        for r in rows
    ]


# --- sending ----------------------------------------------------------------------------------
def _operator(session: Session, c: Claimed, outcome: Outcome, now: datetime) -> None:
    from monitor.operator_findings import raise_operator_finding

    if outcome.error in AUTH_ERRORS:
        subject, summary = (
            "slack:token",
            f"Slack refuses the bot token ({outcome.error}): "
            "no alert can be delivered until it is replaced",
        )
    elif outcome.error in CHANNEL_ERRORS:
        subject = f"slack:channel:{c.channel}"
        summary = (
            f"Slack refuses messages to channel {c.channel} ({outcome.error}): invite the "
            "bot or change slack_channel/slack_routes, then `monitor notify --retry-dead`"
        )
    else:
        subject = f"slack:message:{outcome.error}"[:200]
        summary = f"Slack gave up on a message ({outcome.error}); see `monitor deliveries --failed`"
    raise_operator_finding(
        session,
        family="delivery",
        subject=subject,
        summary=summary,
        evidence={"channel": c.channel, "error": outcome.error, "reason": summary},
        now=now,
        severity="high",
    )


def _resolve_operator(session: Session, channel: str, now: datetime) -> bool:
    from monitor.operator_findings import resolve_operator_finding

    resolved = [
        resolve_operator_finding(
            session,
            family="delivery",
            subject=subject,
            now=now,
            note="a message was delivered again",
        )
        for subject in ("slack:token", f"slack:channel:{channel}")
    ]
    return any(r is not None for r in resolved)


def _new_state(c: Claimed, outcome: Outcome, now: datetime, rng: random.Random) -> dict:
    attempts = c.attempts + 1
    values: dict[str, Any] = {
        "b_id": c.id,
        "b_token": c.token,
        "attempts": attempts,
        "last_error": outcome.error,
        "remote_id": None,
        "sent_at": None,
        "next_attempt_at": now,
        "needs_check": False,
    }
    if outcome.result in ("sent", "recovered"):
        values.update(state="sent", remote_id=outcome.remote_id, sent_at=now)
    elif outcome.result == "retry" and attempts >= MAX_ATTEMPTS:
        outcome.result, outcome.error = (
            "dead",
            f"gave up after {attempts} attempts: {outcome.error}",
        )
        values.update(state="dead", last_error=outcome.error)
    elif outcome.result == "retry":
        wait = backoff(attempts, rng, outcome.retry_after)
        values.update(
            state="pending",
            next_attempt_at=now + timedelta(seconds=wait),
            needs_check=outcome.uncertain or c.needs_check,
        )
    else:
        values.update(state=outcome.result)  # dead | skipped
    return values


_TABLE = Delivery.__table__
_SET_STATE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("b_id"), _TABLE.c.claim_token == bindparam("b_token"))
    .values(
        state=bindparam("state"),
        attempts=bindparam("attempts"),
        claim_token=None,
        last_error=bindparam("last_error"),
        remote_id=bindparam("remote_id"),
        sent_at=bindparam("sent_at"),
        next_attempt_at=bindparam("next_attempt_at"),
        needs_check=bindparam("needs_check"),
    )
)


def _record(
    session: Session, entries: list[tuple[Claimed, Outcome, datetime, int]], rng: random.Random
) -> None:
    """Attempts and the deliveries' new states: one UPDATE and one INSERT for all of them (the
    caller commits). Only rows still claimed by this sender change."""
    states, attempts = [], []
    for c, outcome, now, duration in entries:
        states.append(_new_state(c, outcome, now, rng))
        note = f" (waited Retry-After {outcome.waited}s first)" if outcome.waited else ""
        attempts.append(
            {
                "delivery_id": c.id,
                "at": now,
                "channel": c.channel,
                "result": outcome.result,
                "remote_id": outcome.remote_id,
                "error": (outcome.error + note) if outcome.error else (note or None),
                "duration_ms": duration,
            }
        )
    conn = session.connection()
    updated = conn.execute(_SET_STATE, states)
    if 0 <= updated.rowcount < len(states):
        log.warning(
            "deliveries were claimed again by another sender",
            extra={"deliveries": [e[0].id for e in entries]},
        )
    conn.execute(insert(DeliveryAttempt.__table__), attempts)
    for c, outcome, now, _ in entries:
        if outcome.result == "dead":
            _operator(session, c, outcome, now)


def drain(
    sessions: Sessions,
    settings,
    *,
    clock: Callable[[], datetime],
    client: WebClient | None = None,
    rng: random.Random | None = None,
    limit: int | None = None,
) -> DrainReport:
    """Send what is due. ``sessions()`` opens a committing session (``ctx.session``); ``clock``
    dates every attempt. A plain function: a scheduler job can call it as it is.

    A second pass sends what the first one caused: a dead letter opens an operator finding
    and a success resolves one, and their messages are due at once."""
    report = DrainReport()
    problem = slack_problem(settings)
    if problem and client is None:
        report.not_configured = problem
        return report
    run = _Drain(
        sessions, client or make_client(settings), clock, rng or random.Random(), report, limit
    )
    for first in (True, False):
        now = clock()
        with sessions() as session:
            report.routed += route_outbox(session, settings, now)
            if first:
                _reclaim_stale(session, now)
        if not run.send_due(now) or report.stopped:
            break
    return report


class _Drain:
    """One drain's state. Successful attempts are recorded in groups (at most ``RECORD_EVERY``
    or one second apart), anything else at once: a crash before a group is recorded leaves its
    deliveries claimed, and the next sender finds their messages by idempotency key."""

    def __init__(self, sessions, client, clock, rng, report, limit) -> None:
        self.sessions, self.client, self.clock, self.rng = sessions, client, clock, rng
        self.report, self.limit = report, limit
        self.hold: datetime | None = None  # Slack's Retry-After: nothing goes out before it
        self.paused: set[str] = set()  # channels that refused a message in this drain
        self.working: set[str] = set()  # channels that took a message in this drain
        self.unrecorded: list[tuple[Claimed, Outcome, datetime, int]] = []
        self.oldest_unrecorded = 0.0
        self.changed = False  # operator findings raised or resolved
        self.failures_in_a_row = 0
        self.handled = 0

    def send_due(self, due: datetime) -> bool:
        """Send every delivery due at ``due``; True when operator findings changed."""
        report, self.changed = self.report, False
        while report.stopped is None and (self.limit is None or self.handled < self.limit):
            with self.sessions() as session:
                batch = _claim(session, due, self.clock(), self.paused)
            if not batch:
                break
            for n, c in enumerate(batch):
                if report.stopped or c.channel in self.paused:
                    self.flush()
                    _release(self.sessions, batch[n:] if report.stopped else [c], self.hold)
                    if report.stopped:
                        break
                    continue
                self.send(c)
            self.flush()
        return self.changed

    def send(self, c: Claimed) -> None:
        t0 = time.monotonic()
        outcome = attempt(self.client, c)
        if not self.unrecorded:
            self.oldest_unrecorded = t0
        self.unrecorded.append((c, outcome, self.clock(), int((time.monotonic() - t0) * 1000)))
        if outcome.retry_after is not None:
            self.hold = self.clock() + timedelta(seconds=outcome.retry_after)
        if (
            outcome.result not in ("sent", "recovered")
            or len(self.unrecorded) >= RECORD_EVERY
            or time.monotonic() - self.oldest_unrecorded > 1.0
        ):
            self.flush()
        self.handled += 1
        _count(self.report, outcome, c)
        self.failures_in_a_row = self.failures_in_a_row + 1 if outcome.uncertain else 0
        if outcome.pause_channel:
            self.paused.add(c.channel)
        if outcome.stop:
            self.report.stopped = outcome.stop
        elif self.failures_in_a_row >= 3:
            self.report.stopped = f"Slack unreachable: {outcome.error}"

    def flush(self) -> None:
        if not self.unrecorded:
            return
        entries, self.unrecorded = self.unrecorded, []
        with self.sessions() as session:
            _record(session, entries, self.rng)
            if any(o.result == "dead" for _, o, _, _ in entries):
                self.changed = True
            if self.hold is not None and any(o.retry_after is not None for _, o, _, _ in entries):
                _hold_all(session, self.hold)
            for c, outcome, at, _ in entries:
                if outcome.result in ("sent", "recovered") and c.channel not in self.working:
                    self.changed |= _resolve_operator(session, c.channel, at)
                    self.working.add(c.channel)


def _count(report: DrainReport, outcome: Outcome, c: Claimed) -> None:
    if outcome.result == "sent":
        report.sent += 1
    elif outcome.result == "recovered":
        report.recovered += 1
    elif outcome.result == "retry":
        report.retried += 1
    elif outcome.result == "dead":
        report.dead += 1
        report.dead_ids.append(c.id)
    else:
        report.skipped += 1


def _hold_all(session: Session, until: datetime) -> None:
    """Slack said to wait: nothing goes out before ``until``, in this drain or the next."""
    session.execute(
        update(Delivery)
        .where(
            Delivery.kind == "slack", Delivery.state == "pending", Delivery.next_attempt_at < until
        )
        .values(next_attempt_at=until)
    )


def _release(sessions: Sessions, claimed: list[Claimed], hold: datetime | None) -> None:
    """Give back claimed deliveries the drain will not try now (no attempt was made)."""
    values: dict[str, Any] = {"state": "pending", "claim_token": None}
    if hold is not None:
        values["next_attempt_at"] = hold
    with sessions() as session:
        for c in claimed:
            session.execute(
                update(Delivery)
                .where(Delivery.id == c.id, Delivery.claim_token == c.token)
                .values(**values)
            )


def retry_dead(session: Session, now: datetime) -> int:
    """Put dead-lettered deliveries back in the queue (after fixing a token or channel)."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == "dead")
        .values(state="pending", next_attempt_at=now, claim_token=None, needs_check=True)
    )
    return result.rowcount or 0
