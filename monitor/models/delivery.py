"""The delivery outbox: what the monitor must tell people, to whom, and every attempt to do so.

* ``outbox``: one row per message to announce, written in the transaction that wrote the finding
  transitions it announces (so a transition can never be committed without its message, nor a
  message without its transition). One row covers a group of transitions (findings opened in one
  evaluation with the same obligation, kind and reason are one message), listed in
  ``outbox_items``. ``action`` says what to do in Slack: ``post`` a new message, ``reply`` in the
  thread of the message that announced the findings (``parent_id``), or ``update`` that message.
* ``deliveries``: one row per message and destination (a Slack channel, or the digest's
  recipients), with a unique idempotency key, a state (pending, sending, sent, dead, skipped) and
  the retry schedule. A sender claims rows with a conditional UPDATE.
* ``delivery_attempts``: every attempt, whatever happened: when, where, result, Slack ``ts`` (or
  email Message-ID) or the error.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.models.base import Base

OUTBOX_ACTIONS = ("post", "reply", "update")
DELIVERY_STATES = ("pending", "sending", "sent", "dead", "skipped")
DELIVERY_KINDS = ("slack", "email")


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(10))  # post | reply | update
    change: Mapped[str] = mapped_column(String(20))  # opened | reopened | escalated | ...
    obligation_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # the findings' kind after the change
    severity: Mapped[str] = mapped_column(String(10))
    group_key: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    payload: Mapped[dict]  # {"text", "blocks", "header"}: Block Kit, built when written
    routed_at: Mapped[datetime | None] = mapped_column(index=True)  # deliveries created


class OutboxItem(Base):
    """Which finding (and which of its transitions) an outbox message is about."""

    __tablename__ = "outbox_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    transition_id: Mapped[int] = mapped_column(ForeignKey("finding_transitions.id"))


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # slack | email
    channel: Mapped[str] = mapped_column(Text)  # Slack channel ID, or the digest's recipients
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    summary: Mapped[str] = mapped_column(Text)  # the message header, or the email subject
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # The last attempt may have reached Slack (a crash, a timeout, a 5xx): look in the channel's
    # history for the idempotency key before sending again.
    needs_check: Mapped[bool]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    remote_id: Mapped[str | None] = mapped_column(Text)  # Slack ts, or the email Message-ID
    last_error: Mapped[str | None] = mapped_column(Text)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(Text)
    # sent | recovered (found already sent) | retry | dead | skipped
    result: Mapped[str] = mapped_column(String(20))
    remote_id: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
