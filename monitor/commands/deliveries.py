"""monitor deliveries: the outbox and every delivery attempt."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "deliveries",
        help="Show Slack and email deliveries and their attempts.",
        description="The most recent deliveries (Slack messages per channel, weekly digests), "
        "newest first, with state (pending, sending, sent, dead, skipped), attempts, "
        "Slack ts or email Message-ID and the last error.",
    )
    p.add_argument(
        "--failed",
        action="store_true",
        help="Only deliveries that are dead-lettered or waiting to be retried.",
    )
    p.add_argument("--limit", type=int, default=50, metavar="N", help="At most N (default 50).")
    p.add_argument(
        "--json", action="store_true", help="Machine-readable, with every attempt of each delivery."
    )
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from sqlalchemy import and_, func, or_, select

    from monitor.models import Delivery, DeliveryAttempt, OutboxMessage
    from monitor.output import print_json, print_table

    query = select(Delivery).order_by(Delivery.id.desc()).limit(max(1, args.limit))
    if args.failed:
        query = query.where(
            or_(Delivery.state == "dead", and_(Delivery.state == "pending", Delivery.attempts > 0))
        )
    with ctx.session() as session:
        rows = list(session.scalars(query))
        attempts: dict[int, list] = {}
        if rows:
            for a in session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id.in_([r.id for r in rows]))
                .order_by(DeliveryAttempt.id)
            ):
                attempts.setdefault(a.delivery_id, []).append(a)
        unrouted = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.routed_at.is_(None))
        )
    if args.json:
        print_json(
            {
                "unrouted_messages": unrouted,
                "deliveries": [
                    {
                        "id": r.id,
                        "kind": r.kind,
                        "channel": r.channel,
                        "state": r.state,
                        "summary": r.summary,
                        "attempts": r.attempts,
                        "created_at": r.created_at,
                        "next_attempt_at": r.next_attempt_at if r.state == "pending" else None,
                        "sent_at": r.sent_at,
                        "remote_id": r.remote_id,
                        "last_error": r.last_error,
                        "idempotency_key": r.idempotency_key,
                        "outbox_id": r.outbox_id,
                        "attempt_log": [
                            {
                                "at": a.at,
                                "channel": a.channel,
                                "result": a.result,
                                "remote_id": a.remote_id,
                                "error": a.error,
                                "duration_ms": a.duration_ms,
                            }
                            for a in attempts.get(r.id, [])
                        ],
                    }
                    for r in rows
                ],
            }
        )
        return 0
    if not rows:
        print("no failed deliveries" if args.failed else "no deliveries")
    else:
        print_table(
            [
                (
                    r.id,
                    r.kind,
                    r.channel[:40],
                    r.state,
                    r.attempts,
                    (attempts.get(r.id) or [None])[-1].at.strftime("%Y-%m-%d %H:%M")
                    if attempts.get(r.id)
                    else "",
                    r.remote_id or "",
                    (r.last_error or r.summary)[:80],
                )
                for r in rows
            ],
            [
                "id",
                "kind",
                "channel",
                "state",
                "tries",
                "last attempt",
                "ts/message-id",
                "error or summary",
            ],
        )
    if unrouted:
        print(f"{unrouted} outbox message(s) not yet routed to a channel (`monitor notify`)")
    return 0
