"""Which Slack channel hears about what, and the deliveries that follow from it.

An outbox message is written without knowing the configuration (it is written inside whatever
transaction wrote the transitions). The sender routes it when it first sees it: a new message
goes to the channel routed for its obligation (``slack_routes``), else for its severity, else to
``slack_channel``; a reply or an edit goes to every channel where the message it belongs to was
delivered. One delivery row per message and channel, with a unique idempotency key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.delivery.slack_messages import metadata
from monitor.models.delivery import Delivery, OutboxMessage

ROUTE_BATCH = 1000


def slack_problem(settings) -> str | None:
    """Why Slack alerts cannot be sent with these settings, or None when they can."""
    if settings.slack_token is None:
        return "no slack_token is configured (MONITOR_SLACK_TOKEN)"
    if not settings.slack_channel and not settings.slack_routes:
        return "no channel is configured (MONITOR_SLACK_CHANNEL or slack_routes)"
    return None


def route_channel(settings, obligation_id: str, severity: str) -> str | None:
    routes = settings.slack_routes or {}
    return (
        routes.get(obligation_id.lower()) or routes.get(severity.lower()) or settings.slack_channel
    )


def idempotency_key(message: OutboxMessage, channel: str) -> str:
    """One key per transition group (the outbox message) and channel."""
    digest = hashlib.sha256(f"outbox:{message.id}|{message.group_key}|{channel}".encode())
    return "sep-" + digest.hexdigest()[:40]


def _channels(session: Session, settings, message: OutboxMessage) -> list[str]:
    if message.parent_id is not None:
        found = list(
            session.scalars(
                select(Delivery.channel)
                .where(Delivery.outbox_id == message.parent_id, Delivery.kind == "slack")
                .order_by(Delivery.id)
            )
        )
        if found:
            return found
    channel = route_channel(settings, message.obligation_id, message.severity)
    return [channel] if channel else []


def route_outbox(session: Session, settings, now: datetime) -> int:
    """Give every unrouted outbox message its deliveries. Returns how many were routed."""
    routed = 0
    while True:
        messages = list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.routed_at.is_(None))
                .order_by(OutboxMessage.id)
                .limit(ROUTE_BATCH)
            )
        )
        if not messages:
            return routed
        for message in messages:
            for channel in _channels(session, settings, message):
                session.add(
                    Delivery(
                        outbox_id=message.id,
                        kind="slack",
                        channel=channel,
                        idempotency_key=idempotency_key(message, channel),
                        summary=message.payload.get("header", "")[:500],
                        state="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                        needs_check=False,
                    )
                )
            message.routed_at = now
            routed += 1
        session.flush()


def _call(
    message: OutboxMessage,
    channel: str | None,
    key: str,
    parent_ts: str | None,
    delivery_id: int | None,
) -> dict[str, Any]:
    payload = message.payload
    method = "chat.update" if message.action == "update" else "chat.postMessage"
    call: dict[str, Any] = {
        "channel": channel,
        "text": payload["text"],
        "blocks": payload["blocks"],
    }
    if method == "chat.update":
        call["ts"] = parent_ts
    else:
        call["metadata"] = metadata(key, message.id)
        if message.action == "reply":
            call["thread_ts"] = parent_ts
            call["reply_broadcast"] = message.change == "escalated"
    return {
        "delivery_id": delivery_id,
        "outbox_id": message.id,
        "action": message.action,
        "change": message.change,
        "thread_of_outbox": message.parent_id,
        "method": method,
        "call": call,
    }


def plan(session: Session, settings, *, limit: int | None = None) -> list[dict[str, Any]]:
    """What the sender would send now (``monitor notify --dry-run``, the demo's slack.json),
    without writing anything: pending deliveries, then unrouted messages routed on paper."""
    out: list[dict[str, Any]] = []
    pending = session.execute(
        select(Delivery, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == Delivery.outbox_id)
        .where(Delivery.kind == "slack", Delivery.state.in_(("pending", "sending")))
        .order_by(Delivery.id)
        .limit(limit)
    )
    for delivery, message in pending:
        parent_ts = None
        if message.parent_id is not None:
            parent_ts = session.scalar(
                select(Delivery.remote_id).where(
                    Delivery.outbox_id == message.parent_id, Delivery.channel == delivery.channel
                )
            )
        out.append(
            _call(message, delivery.channel, delivery.idempotency_key, parent_ts, delivery.id)
        )
    query = (
        select(OutboxMessage).where(OutboxMessage.routed_at.is_(None)).order_by(OutboxMessage.id)
    )
    for message in session.scalars(query.limit(None if limit is None else limit - len(out))):
        channels = _channels(session, settings, message) or [None]
        for channel in channels:
            key = idempotency_key(message, channel or "")
            out.append(_call(message, channel, key, None, None))
    return out
