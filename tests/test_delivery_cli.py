"""`monitor notify`, `monitor deliveries` and `monitor run --once` draining the outbox, through
the command line, against the Slack stand-in on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from run_env import loopback_env
from delivery_kit import DHS, HHS, T0, finding, hart_review, sync
from delivery_kit import slack  # noqa: F401 - the Slack stand-in fixture
from monitor.config import load_settings
from monitor.context import Context
from monitor.pipeline import run_once
from slack_standin import TOKEN


@pytest.fixture
def queued(db_url):
    """Two findings opened and committed: two outbox messages waiting."""
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with Session(engine) as session:
        sync(
            session,
            [
                finding(HHS, "missing", (2022, 4)),
                finding(DHS, "unknown", (2022, 7), reason="<!channel> source is broken"),
            ],
            T0,
        )
    engine.dispose()


def _slack_env(monkeypatch, slack):
    monkeypatch.setenv("MONITOR_SLACK_TOKEN", TOKEN)
    monkeypatch.setenv("MONITOR_SLACK_CHANNEL", "C0ALERTS")
    monkeypatch.setenv("MONITOR_SLACK_BASE_URL", slack.base_url)


def test_dry_run_prints_block_kit_and_sends_nothing(cli_db, queued, slack, monkeypatch):
    _slack_env(monkeypatch, slack)
    rc, out, err = cli_db("notify", "--dry-run")
    assert rc == 0, err
    calls = json.loads(out)
    assert [c["method"] for c in calls] == ["chat.postMessage", "chat.postMessage"]
    assert {c["call"]["channel"] for c in calls} == {"C0ALERTS"}
    assert calls[0]["call"]["blocks"][0]["type"] == "header"
    assert "<!channel>" not in out.replace("\\u2060", "")  # escaped even in the dry run
    assert slack.calls == []
    rc, out, _ = cli_db("deliveries", "--json")
    assert json.loads(out) == {"unrouted_messages": 2, "deliveries": []}


def test_notify_sends_then_deliveries_lists_the_attempts(cli_db, queued, slack, monkeypatch):
    _slack_env(monkeypatch, slack)
    monkeypatch.setenv("MONITOR_SLACK_ROUTES", f"{HHS[0]}=C0HHS")
    slack.fail("chat.postMessage", ("error", "not_in_channel"))
    rc, out, err = cli_db("notify")
    # the DHS alert and the operator finding about the refusing channel went out
    assert rc == 1 and "2 sent" in out and "1 dead" in out and "dead-lettered" in err
    rc, out, _ = cli_db("deliveries", "--failed", "--json")
    (dead,) = json.loads(out)["deliveries"]
    assert (dead["channel"], dead["state"], dead["last_error"]) == (
        "C0HHS",
        "dead",
        "not_in_channel",
    )
    assert [a["result"] for a in dead["attempt_log"]] == ["dead"]
    rc, out, _ = cli_db("deliveries")
    assert "not_in_channel" in out and "sent" in out
    rc, out, err = cli_db("notify", "--retry-dead")  # the bot was invited: it goes out now
    assert rc == 0, out + err
    assert "1 dead delivery(ies) queued again" in out
    assert len(slack.posts("C0HHS")) == 1
    # the operator finding about the refusing channel was announced, and resolved in its thread
    (operator,) = [m for m in slack.top_level("C0ALERTS") if "C0HHS" in m["text"]]
    assert operator["blocks"][0]["text"]["text"].startswith(":white_check_mark: Resolved")
    assert "Monitor needs a person" in operator["blocks"][0]["text"]["text"]
    assert len(slack.replies("C0ALERTS", operator["ts"])) == 1
    rc, out, _ = cli_db("deliveries", "--failed")
    assert out.strip() == "no failed deliveries"


def test_a_proposed_document_is_announced_as_a_decision_for_a_person(
    cli_db, db_url, slack, monkeypatch
):
    """Slack (the stand-in) reads the HART disclosure's `review` finding as what a person must
    do, not as the monitor's own operation."""
    from monitor.delivery.labels import CANDIDATE_REVIEW

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with Session(engine) as session:
        sync(session, [hart_review()], T0)
    engine.dispose()
    _slack_env(monkeypatch, slack)
    rc, out, err = cli_db("notify")
    assert rc == 0, out + err
    (post,) = slack.top_level("C0ALERTS")
    header = post["blocks"][0]["text"]["text"]
    assert header.startswith(f":mag: {CANDIDATE_REVIEW}: DHS disclosure of HART")
    assert "Monitor needs a person" not in json.dumps(post)


def test_notify_without_slack_settings_is_a_one_line_error(cli_db, queued):
    rc, out, err = cli_db("notify")
    assert rc == 1 and err.strip() == (
        "error: Slack is not configured: no slack_token is configured (MONITOR_SLACK_TOKEN)"
    )
    assert "Traceback" not in err


def test_run_once_drains_the_outbox_at_the_end(db_url, tmp_path, slack):
    settings = load_settings(
        loopback_env(
            db_url,
            tmp_path / "home",
            MONITOR_SLACK_TOKEN=TOKEN,
            MONITOR_SLACK_CHANNEL="C0ALERTS",
            MONITOR_SLACK_BASE_URL=slack.base_url,
        )
    )
    ctx = Context(settings)
    try:  # no source polled: every month since watch_from is unknown ("never read")
        report = run_once(ctx, registered=[], as_of=date(2022, 12, 31), write=True)
    finally:
        ctx.engine.dispose()
    assert len(report.sync.opened) > 20 and report.delivery.sent > 0
    assert report.delivery.sent == len(slack.posts("C0ALERTS"))
    # one message per obligation, kind and reason, not one per finding
    groups = {(f.obligation_id, f.kind, f.evidence.get("reason")) for f in report.sync.opened}
    assert len(slack.posts("C0ALERTS")) == len(groups) < len(report.sync.opened)
