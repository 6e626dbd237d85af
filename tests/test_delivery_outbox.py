"""The outbox is written with the transitions (same transaction), groups what one evaluation
opened, and carries only the changes that matter to people. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from delivery_kit import DHS, HHS, T0, finding, outbox, sync
from monitor.findings_actions import acknowledge, waive
from monitor.models import FindingRow, FindingTransition, OutboxItem, OutboxMessage
from monitor.operator_findings import raise_operator_finding
from slack_standin import block_problems

BROKEN = "source dhs_family_unit_actions is broken: absence of a report proves nothing"


def _months(n: int):
    return [(2008 + i // 12, i % 12 + 1) for i in range(n)]


def test_a_first_run_opening_173_unknown_months_is_one_message_per_obligation(session):
    findings = [finding(DHS, "unknown", p, reason=BROKEN) for p in _months(173)]
    findings += [finding(HHS, "unknown", p, reason="source hhs is broken") for p in _months(40)]
    findings.append(finding(HHS, "missing", (2022, 4)))
    sync(session, findings, T0)
    messages = outbox(session)
    assert [(m.action, m.obligation_id, m.kind) for m in messages] == [
        ("post", DHS[0], "unknown"),
        ("post", HHS[0], "unknown"),
        ("post", HHS[0], "missing"),
    ]
    dhs = messages[0]
    assert (
        session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.outbox_id == dhs.id)
        )
        == 173
    )
    assert block_problems(dhs.payload["blocks"]) == []
    text = str(dhs.payload["blocks"])
    assert "173 periods" in dhs.payload["header"]
    assert "2008-01" in text and "2022-05" in text  # first and last month are both listed
    assert BROKEN in text


def test_different_reasons_are_different_messages(session):
    sync(
        session,
        [
            finding(DHS, "unknown", (2022, 1), reason="broken"),
            finding(DHS, "unknown", (2022, 2), reason="never read"),
        ],
        T0,
    )
    assert len(outbox(session)) == 2


def test_updated_evidence_alone_is_not_sent(session):
    sync(session, [finding(HHS, "missing", (2022, 4))], T0)
    sync(session, [finding(HHS, "missing", (2022, 4), summary="new wording")], T0)
    changes = session.scalars(select(FindingTransition.change)).all()
    assert sorted(changes) == ["opened", "updated"]
    assert len(outbox(session)) == 1


def test_outbox_rows_commit_and_roll_back_with_their_transitions(session):
    from monitor.findings_sync import sync_findings

    sync_findings(session, [finding(HHS, "missing", (2022, 4))], T0)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(FindingTransition)) == 0
    assert outbox(session) == []
    sync_findings(session, [finding(HHS, "missing", (2022, 5))], T0)
    session.commit()
    assert len(outbox(session)) == 1


def test_resolving_a_single_finding_replies_and_edits_its_message(session):
    sync(session, [finding(HHS, "missing", (2022, 4))], T0)
    sync(session, [], T0)
    post, reply, edit = outbox(session)
    assert (reply.action, reply.change, reply.parent_id) == ("reply", "resolved", post.id)
    assert (edit.action, edit.parent_id) == ("update", post.id)
    assert edit.payload["header"].startswith(":white_check_mark: Resolved")
    assert post.payload["header"] in edit.payload["header"]


def test_a_grouped_message_is_edited_only_when_all_its_findings_resolved(session):
    three = [finding(DHS, "unknown", p, reason=BROKEN) for p in _months(3)]
    sync(session, three, T0)
    sync(session, three[1:], T0)  # one resolves: a reply, no edit
    assert [m.action for m in outbox(session)] == ["post", "reply"]
    sync(session, [], T0)  # the other two: a reply and the edit
    messages = outbox(session)
    assert [m.action for m in messages] == ["post", "reply", "reply", "update"]
    assert {m.parent_id for m in messages[1:]} == {messages[0].id}


def test_kind_change_replies_to_the_announcement_and_reopening_posts_again(session):
    sync(session, [finding(HHS, "unknown", (2022, 4), reason="broken")], T0)
    sync(session, [finding(HHS, "missing", (2022, 4))], T0)  # escalated
    sync(session, [], T0)  # resolved
    sync(session, [finding(HHS, "missing", (2022, 4))], T0)  # reopened: a new message
    actions = [(m.action, m.change) for m in outbox(session)]
    assert actions == [
        ("post", "opened"),
        ("reply", "escalated"),
        ("update", "escalated"),
        ("reply", "resolved"),
        ("update", "resolved"),
        ("post", "reopened"),
    ]


def test_people_decisions_are_not_sent_and_waived_findings_stay_quiet(session):
    sync(session, [finding(HHS, "missing", (2022, 4)), finding(HHS, "missing", (2022, 5))], T0)
    rows = session.scalars(select(FindingRow).order_by(FindingRow.id)).all()
    acknowledge(session, rows[0].id, by="ana", now=T0)
    waive(session, rows[1].id, reason="no separations that month", by="ana", now=T0)
    session.commit()
    assert len(outbox(session)) == 1
    sync(session, [], T0)  # both resolve: only the acknowledged one is announced
    replies = [m for m in outbox(session) if m.action == "reply"]
    assert len(replies) == 1
    items = session.scalars(
        select(OutboxItem.finding_id).where(OutboxItem.outbox_id == replies[0].id)
    ).all()
    assert items == [rows[0].id]


def test_operator_findings_are_announced_too(session):
    raise_operator_finding(
        session,
        family="delivery",
        subject="slack:token",
        summary="bad token",
        evidence={"error": "invalid_auth"},
        now=T0,
    )
    session.commit()
    (message,) = outbox(session)
    assert (message.obligation_id, message.kind) == ("operator", "review")
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
