"""Finding transitions -> outbox messages, in the transaction that wrote the transitions.

``record_transition`` (monitor/findings_sync.py) notes every transition it writes on the session;
when that session commits, :func:`enqueue` turns the noted transitions into outbox messages
before the commit goes through. So whoever writes transitions (an evaluation, an operator
finding, a person's decision) gets its messages written atomically with them, and a transaction
that rolls back leaves neither.

What is sent (alert on changes of state, not on state):

* ``opened``/``reopened``: a new message. Findings opened in one transaction with the same
  obligation, family, kind and reason are one message listing their periods (a first run that
  opens 173 ``unknown`` months is one message, not 173).
* ``escalated``/``changed`` (kind changed) and ``resolved``: a reply in the thread of the message
  that announced the finding (grouped per announcing message), plus an edit of that message's
  header when it announced that finding alone, or, for a grouped message, once every finding in
  it is resolved. A finding never announced (it predates the outbox) gets a new message instead.
* Nothing else: ``updated`` evidence, ``snooze_expired`` and people's own decisions are not
  news. A waived finding is not announced again; a snoozed one stays quiet about kind changes.
"""

from __future__ import annotations

from collections import defaultdict
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from monitor.delivery import slack_messages as msg
from monitor.models import FindingRow, FindingTransition
from monitor.models.delivery import OutboxItem, OutboxMessage

SENT_CHANGES = ("opened", "reopened", "escalated", "changed", "resolved")
THREADED = ("escalated", "changed", "resolved")
_PENDING = "monitor.delivery.pending_transitions"


def note_transition(session: Session, transition: FindingTransition) -> None:
    """Called for every transition written; the outbox is filled when the session commits."""
    session.info.setdefault(_PENDING, []).append(transition)


@event.listens_for(Session, "before_commit")
def _enqueue_on_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        enqueue(session, pending)


@event.listens_for(Session, "after_transaction_end")
def _forget_on_rollback(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (committed or not)
        session.info.pop(_PENDING, None)


def _worth_telling(t: FindingTransition) -> bool:
    if t.change not in SENT_CHANGES or "waived" in (t.from_state, t.to_state):
        return False
    return not (t.to_state == "snoozed" and t.change in ("escalated", "changed"))


def _group_key(change: str, row: FindingRow) -> tuple:
    reason = (row.evidence or {}).get("reason")
    return (change, row.obligation_id, row.family, row.kind, reason)


def _announcements(session: Session, finding_ids: list[int]) -> dict[int, int]:
    """finding id -> the latest outbox message that announced it with a new message."""
    out: dict[int, int] = {}
    for i in range(0, len(finding_ids), 500):
        chunk = finding_ids[i : i + 500]
        rows = session.execute(
            select(OutboxItem.finding_id, func.max(OutboxItem.outbox_id))
            .join(OutboxMessage, OutboxMessage.id == OutboxItem.outbox_id)
            .where(OutboxMessage.action == "post", OutboxItem.finding_id.in_(chunk))
            .group_by(OutboxItem.finding_id)
        )
        out.update(dict(rows.all()))
    return out


def _add(
    session: Session,
    *,
    action: str,
    change: str,
    members: list,
    payload: dict,
    parent_id: int | None = None,
    key: tuple = (),
) -> OutboxMessage:
    row = members[0][0]
    message = OutboxMessage(
        created_at=max(t.detected_at for _, t in members),
        action=action,
        change=change,
        obligation_id=row.obligation_id,
        kind=row.kind,
        severity=row.severity,
        group_key="|".join("" if k is None else str(k) for k in key)[:2000],
        parent_id=parent_id,
        payload=payload,
    )
    session.add(message)
    session.flush()
    session.add_all(
        OutboxItem(outbox_id=message.id, finding_id=r.id, transition_id=t.id) for r, t in members
    )
    return message


def _all_resolved(session: Session, parent_id: int) -> tuple[bool, int]:
    ids = list(
        session.scalars(select(OutboxItem.finding_id).where(OutboxItem.outbox_id == parent_id))
    )
    open_left = (
        session.scalar(
            select(func.count())
            .select_from(FindingRow)
            .where(FindingRow.id.in_(ids), FindingRow.state != "resolved")
        )
        if ids
        else 0
    )
    return open_left == 0, len(ids)


def enqueue(session: Session, transitions: list[FindingTransition]) -> list[OutboxMessage]:
    """Write the outbox messages for ``transitions`` (all of one transaction)."""
    session.flush()
    members = []
    for t in transitions:
        row = session.get(FindingRow, t.finding_id) if _worth_telling(t) else None
        if row is not None:
            members.append((row, t))
    if not members:
        return []
    threaded = [(r, t) for r, t in members if t.change in THREADED]
    parents = _announcements(session, sorted({r.id for r, _ in threaded})) if threaded else {}

    posts: dict[tuple, list] = defaultdict(list)
    replies: dict[tuple, list] = defaultdict(list)
    for row, t in members:
        parent = parents.get(row.id) if t.change in THREADED else None
        if parent is None:
            posts[_group_key(t.change, row)].append((row, t))
        else:
            replies[(parent,) + _group_key(t.change, row)].append((row, t))

    written: list[OutboxMessage] = []
    for key, group in posts.items():
        items = [msg.alert_item(r, t) for r, t in group]
        written.append(
            _add(
                session,
                action="post",
                change=key[0],
                members=group,
                payload=msg.post_message(items, key[0]),
                key=key,
            )
        )
    edited: set[int] = set()
    for key, group in replies.items():
        parent_id, change = key[0], key[1]
        items = [msg.alert_item(r, t) for r, t in group]
        at = max(t.detected_at for _, t in group)
        written.append(
            _add(
                session,
                action="reply",
                change=change,
                members=group,
                payload=msg.reply_message(items, change, at),
                parent_id=parent_id,
                key=key,
            )
        )
        if parent_id in edited:
            continue
        all_resolved, size = _all_resolved(session, parent_id)
        if size == 1 or (change == "resolved" and all_resolved):
            parent = session.get(OutboxMessage, parent_id)
            payload = msg.edited_parent(
                parent.payload, items, "resolved" if all_resolved else change, at
            )
            written.append(
                _add(
                    session,
                    action="update",
                    change=change,
                    members=group,
                    payload=payload,
                    parent_id=parent_id,
                    key=key,
                )
            )
            edited.add(parent_id)
    session.flush()
    return written
