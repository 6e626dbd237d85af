"""The sender against a Slack stand-in on 127.0.0.1, reached through slack-sdk's base_url: Block
Kit payloads, grouping, thread replies and header edits, 429 and 500 then success, invalid_auth
to the dead letter, and no duplicate after a crash between Slack's answer and the record."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from delivery_kit import (
    DHS,
    HHS,
    REPORT,
    SHA,
    Clock,
    deliveries,
    finding,
    sessions,
    settings,
    sync,
)
from delivery_kit import slack  # noqa: F401 - the Slack stand-in fixture
from monitor.delivery import slack_sender
from monitor.delivery.slack_sender import LEASE, drain
from monitor.models import DeliveryAttempt, FindingRow

LATE = dict(
    days_late=185, report=(REPORT, "Family Unit Actions Report October 1, 2021–May 31, 2022")
)


@pytest.fixture
def send(engine, slack):
    clock = Clock()

    def run(**kw):
        return drain(
            sessions(engine), settings(slack.base_url, **kw), clock=clock, rng=random.Random(1)
        )

    run.clock = clock
    return run


def _attempts(session, delivery_id=None):
    session.expire_all()
    query = select(DeliveryAttempt).order_by(DeliveryAttempt.id)
    if delivery_id is not None:
        query = query.where(DeliveryAttempt.delivery_id == delivery_id)
    return list(session.scalars(query))


def test_an_opened_finding_is_posted_with_everything_a_person_needs(session, slack, send):
    sync(
        session,
        [
            finding(
                DHS,
                "late",
                (2022, 1),
                quote="Criminal history (U.S. or home country)",
                page=5,
                **LATE,
            )
        ],
        send.clock(),
    )
    report = send()
    assert (report.sent, report.dead, report.stopped) == (1, 0, None)
    (posted,) = slack.posts("C0ALERTS")
    blocks = posted["blocks"]
    shown = str(blocks)
    assert blocks[0]["type"] == "header" and "Late report" in blocks[0]["text"]["text"]
    row = session.scalars(select(FindingRow)).one()
    for expected in (
        "DHS Family Unit Actions Report",
        DHS[0],
        "*Agency*\\nDHS",
        "P.L. 116-94 Div. A, sec. 235",
        "2022-01",
        "2022-02-03 (185 days late)",
        REPORT,
        SHA,
        "Quote (page 5): \"Criminal history (U.S. or home country)\"",
        f"monitor ack {row.id} --by NAME",
    ):
        assert expected in shown, expected
    assert f"(finding #{row.id})" in posted["text"]  # the plain-text fallback
    assert posted["args"]["unfurl_links"] is False and posted["args"]["mrkdwn"] is False
    (delivery,) = deliveries(session)
    key = posted["metadata"]["event_payload"]["idempotency_key"]
    assert (delivery.state, delivery.remote_id, delivery.idempotency_key) == (
        "sent",
        posted["ts"],
        key,
    )
    (attempt,) = _attempts(session)
    assert (attempt.result, attempt.channel, attempt.remote_id, attempt.error) == (
        "sent",
        "C0ALERTS",
        posted["ts"],
        None,
    )
    assert send().sent == 0 and len(slack.posts()) == 1  # a second drain sends nothing


def test_grouped_findings_are_one_message_and_routes_pick_the_channel(session, slack, send):
    sync(
        session,
        [finding(DHS, "unknown", (2021, m), reason="source is broken") for m in range(1, 13)]
        + [finding(HHS, "missing", (2022, 4))],
        send.clock(),
    )
    report = send(slack_routes=f"{HHS[0]}=C0HHS,medium=C0OPS")
    assert report.sent == 2
    (hhs,) = slack.posts("C0HHS")
    (dhs,) = slack.posts("C0OPS")  # unknown findings are medium severity
    assert "12 periods" in dhs["blocks"][0]["text"]["text"]
    assert "2021-01" in str(dhs["blocks"]) and "2021-12" in str(dhs["blocks"])
    assert "Missing report" in hhs["blocks"][0]["text"]["text"]


def test_resolution_replies_in_the_thread_and_edits_the_header(session, slack, send):
    sync(session, [finding(HHS, "missing", (2022, 4))], send.clock())
    send()
    (parent,) = slack.posts("C0ALERTS")
    sync(session, [], send.clock.advance(days=1))
    report = send()
    assert report.sent == 2
    (reply,) = slack.replies("C0ALERTS", parent["ts"])
    assert "Resolved" in reply["text"] and not reply["reply_broadcast"]
    (edit,) = slack.updates
    assert edit["ts"] == parent["ts"]
    assert parent["blocks"][0]["text"]["text"].startswith(":white_check_mark: Resolved")
    assert len(slack.top_level("C0ALERTS")) == 1


def test_escalation_is_broadcast_from_the_thread(session, slack, send):
    sync(session, [finding(HHS, "unknown", (2022, 4), reason="source is broken")], send.clock())
    send()
    sync(session, [finding(HHS, "missing", (2022, 4))], send.clock.advance(days=1))
    send()
    (parent,) = slack.top_level("C0ALERTS")
    (reply,) = slack.replies("C0ALERTS", parent["ts"])
    assert reply["reply_broadcast"] is True and "Now missing report" in reply["text"]
    assert parent["blocks"][0]["text"]["text"].startswith("Now missing report")


def test_a_429_is_waited_out_and_sent_once(session, slack, send):
    sync(session, [finding(HHS, "missing", (2022, 4))], send.clock())
    slack.fail("chat.postMessage", ("http", 429, {"Retry-After": "0"}))
    report = send()
    assert report.sent == 1 and len(slack.posts()) == 1
    assert slack.methods().count("chat.postMessage") == 2
    (attempt,) = _attempts(session)
    assert attempt.result == "sent" and "Retry-After [0]" in attempt.error


def test_a_long_retry_after_reschedules_instead_of_waiting(session, slack, send):
    sync(
        session,
        [finding(HHS, "missing", (2022, 4)), finding(DHS, "late", (2022, 1), **LATE)],
        send.clock(),
    )
    slack.fail("chat.postMessage", ("http", 429, {"Retry-After": "120"}))
    report = send()
    assert report.retried == 1 and report.stopped.startswith("Slack rate limit")
    first, second = deliveries(session)
    assert first.state == "pending" and second.state == "pending" and second.attempts == 0
    assert (first.next_attempt_at - send.clock()).total_seconds() >= 120
    assert (second.next_attempt_at - send.clock()).total_seconds() >= 120  # held back too
    send.clock.advance(seconds=30)
    assert send().sent == 0 and len(slack.posts()) == 0  # still inside Retry-After
    send.clock.advance(seconds=100)
    send()
    assert [d.state for d in deliveries(session)] == ["sent", "sent"]
    assert [a.result for a in _attempts(session, first.id)] == ["retry", "sent"]


def test_a_500_then_success_checks_history_and_sends_once(session, slack, send):
    sync(session, [finding(HHS, "missing", (2022, 4))], send.clock())
    slack.fail("chat.postMessage", ("http", 500))
    report = send()
    assert report.retried == 1 and slack.posts() == []
    (delivery,) = deliveries(session)
    assert delivery.state == "pending" and delivery.needs_check
    send.clock.advance(hours=2)
    assert send().sent == 1
    assert slack.methods() == ["chat.postMessage", "conversations.history", "chat.postMessage"]
    assert [(a.result, (a.error or "")[:8]) for a in _attempts(session)] == [
        ("retry", "HTTP 500"),
        ("sent", ""),
    ]
    assert len(slack.posts()) == 1


def test_invalid_auth_is_dead_lettered_with_an_operator_finding(session, slack, send):
    sync(
        session,
        [finding(HHS, "missing", (2022, 4)), finding(HHS, "missing", (2022, 5), reason="other")],
        send.clock(),
    )
    slack.fail("chat.postMessage", ("error", "invalid_auth"))
    report = send()
    assert report.dead == 1 and "token" in report.stopped
    first, second = deliveries(session)[:2]
    assert (first.state, first.last_error) == ("dead", "invalid_auth")
    assert (second.state, second.attempts) == ("pending", 0)  # not burnt on a bad token
    operator = session.scalars(select(FindingRow).where(FindingRow.family == "delivery")).one()
    assert (operator.subject, operator.state, operator.kind) == ("slack:token", "open", "review")
    send.clock.advance(minutes=1)
    send()  # the token works again: the rest goes out and the operator finding resolves
    session.expire_all()
    assert session.get(FindingRow, operator.id).state == "resolved"
    assert deliveries(session)[0].state == "dead"  # until `monitor notify --retry-dead`


def test_channel_not_found_dead_letters_that_channel_only(session, slack, send):
    sync(
        session,
        [finding(HHS, "missing", (2022, 4)), finding(DHS, "late", (2022, 1), **LATE)],
        send.clock(),
    )
    slack.fail("chat.postMessage", ("error", "channel_not_found"))
    report = send(slack_routes=f"{HHS[0]}=C0GONE")
    assert (report.dead, report.sent) == (1, 2)  # DHS's alert, and the operator finding's
    assert [(d.channel, d.state) for d in deliveries(session)] == [
        ("C0GONE", "dead"),
        ("C0ALERTS", "sent"),
        ("C0ALERTS", "sent"),
    ]
    assert "C0GONE" in slack.posts("C0ALERTS")[1]["text"]
    subjects = session.scalars(select(FindingRow.subject).where(FindingRow.family == "delivery"))
    assert list(subjects) == ["slack:channel:C0GONE"]


def test_a_crash_between_slacks_answer_and_the_record_sends_no_duplicate(
    session, slack, send, monkeypatch
):
    sync(session, [finding(HHS, "missing", (2022, 4))], send.clock())
    real = slack_sender._record

    def crash(*args, **kw):
        raise SystemExit("killed after Slack answered")

    monkeypatch.setattr(slack_sender, "_record", crash)
    with pytest.raises(SystemExit):
        send()
    monkeypatch.setattr(slack_sender, "_record", real)
    assert len(slack.posts()) == 1
    (delivery,) = deliveries(session)
    assert delivery.state == "sending" and _attempts(session) == []
    assert send().sent == 0  # another sender still holds the claim
    send.clock.advance(seconds=LEASE.total_seconds() + 1)
    report = send()
    assert (report.recovered, report.sent) == (1, 0)
    assert len(slack.posts()) == 1
    (delivery,) = deliveries(session)
    (attempt,) = _attempts(session)
    assert delivery.state == "sent" and delivery.remote_id == slack.posts()[0]["ts"]
    assert (attempt.result, attempt.remote_id) == ("recovered", delivery.remote_id)


def test_a_reply_waits_for_the_message_it_belongs_to(session, slack, send):
    sync(session, [finding(HHS, "missing", (2022, 4))], send.clock())
    slack.fail("chat.postMessage", ("http", 500))
    send()  # the announcement failed and waits for its retry (at least 15 s)
    sync(session, [], send.clock.advance(seconds=5))
    send()
    assert slack.posts() == [] and slack.updates == []
    send.clock.advance(hours=2)
    send()
    (parent,) = slack.top_level("C0ALERTS")
    assert len(slack.replies("C0ALERTS", parent["ts"])) == 1 and len(slack.updates) == 1


def test_hostile_document_text_is_accepted_by_slack_and_pings_nobody(session, slack, send):
    hostile = "<!channel> <@U123> *bold* " + "x" * 5000
    sync(
        session,
        [
            finding(
                DHS,
                "late",
                (2022, 1),
                summary=hostile,
                quote=hostile,
                page=1,
                days_late=3,
                report=("https://e.gov/a|b>c", hostile),
            )
        ],
        send.clock(),
    )
    assert send().sent == 1  # the stand-in refuses anything beyond Slack's block limits
    (posted,) = slack.posts()
    for text in _texts(posted["blocks"]) + [posted["text"]]:
        assert "<!channel>" not in text and "<@U123>" not in text
    mrkdwn = [
        b["text"]["text"] for b in posted["blocks"] if b.get("text", {}).get("type") == "mrkdwn"
    ]
    assert all("*bold*" not in t for t in mrkdwn)
    assert "https://e.gov/a%7Cb%3Ec" in str(posted["blocks"])


def _texts(blocks) -> list[str]:
    out = []
    for b in blocks:
        for obj in [b.get("text")] + list(b.get("fields") or []) + list(b.get("elements") or []):
            if obj:
                out.append(obj["text"])
    return out
