"""Block Kit built from findings: document text never pings, formats or overflows, and every
message stays inside Slack's limits however many findings it groups."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from delivery_kit import DHS, HHS, REPORT, finding, hart_review
from monitor.delivery import slack_messages as m
from slack_standin import block_problems

HOSTILE = "<!channel> <@U123> <#C999> *bold* _it_ ~s~ `code` > quote &amp; " + "x" * 5000
AT = datetime(2022, 10, 5, 14, tzinfo=timezone.utc)


def _row(f, fid=1):
    return SimpleNamespace(
        id=fid,
        obligation_id=f.obligation,
        kind=f.kind,
        family=f.family,
        severity=f.severity,
        summary=f.summary,
        evidence=f.evidence,
        period_start=f.period_start,
        period_end=f.period_end,
        due=f.due,
    )


def _texts(payload) -> list[tuple[str, str]]:
    out = [("fallback", payload["text"])]
    for block in payload["blocks"]:
        for obj in (
            [block.get("text")]
            + list(block.get("fields") or [])
            + list(block.get("elements") or [])
        ):
            if obj:
                out.append((obj["type"], obj["text"]))
    return out


@pytest.mark.parametrize("build", ["post", "reply", "edit"])
def test_hostile_document_text_cannot_ping_format_or_overflow(build):
    f = finding(
        DHS,
        "late",
        (2022, 1),
        summary=HOSTILE,
        quote=HOSTILE,
        page=2,
        days_late=4,
        report=("https://e.gov/r|<!channel>", HOSTILE),
        reason=HOSTILE,
    )
    item = m.alert_item(_row(f))
    post = m.post_message([item], "opened")
    payload = {
        "post": post,
        "reply": m.reply_message([item], "escalated", AT),
        "edit": m.edited_parent(post, [item], "resolved", AT),
    }[build]
    assert block_problems(payload["blocks"]) == []
    assert len(payload["text"]) <= m.FALLBACK_MAX
    for kind, text in _texts(payload):
        for mention in ("<!channel>", "<@U123>", "<#C999>"):
            assert mention not in text, (kind, text[:80])
        if kind == "mrkdwn":  # document text is never formatted
            assert "*bold*" not in text and "`code`" not in text and "_it_" not in text
    # the fallback is escaped, and the document's words are still there to read
    if build != "edit":
        assert "&lt;!channel&gt; &lt;@U123&gt;" in payload["text"]


def test_links_only_http_urls_and_cannot_be_broken_out_of():
    assert m.link("https://e.gov/a|b>c d") == "<https://e.gov/a%7Cb%3Ec%20d|e.gov/a|b>c d>".replace(
        "a|b>c d>", "a¦b&gt;c d>"
    )
    assert m.link("javascript:alert(1)") == "javascript:alert(1)"
    assert m.link("https://e.gov/?a=1&b=<2>").startswith("<https://e.gov/?a=1&amp;b=%3C2%3E|")


def test_inert_breaks_every_mention_but_keeps_the_words():
    text = m.inert("<!here> <@U1> <#C1> ok\x00\x07")
    assert "<!here>" not in text and "<@U1>" not in text and "<#C1>" not in text
    assert text.replace("\u2060", "") == "<!here> <@U1> <#C1> ok  "


def test_a_huge_group_stays_within_slacks_limits_and_says_how_many_are_left():
    items = [
        m.alert_item(
            _row(
                finding(HHS, "unknown", (2000 + i // 12, i % 12 + 1), reason="source is broken"),
                i + 1,
            )
        )
        for i in range(3000)
    ]
    payload = m.post_message(items, "opened")
    assert len(payload["blocks"]) <= m.MAX_BLOCKS
    assert block_problems(payload["blocks"]) == []
    shown = str(payload["blocks"])
    assert "3000 periods" in payload["header"] and "more: `monitor findings --obligation" in shown
    assert "Findings #1–#3000 (3000)" in shown


def test_a_group_of_late_reports_links_each_report():
    items = [
        m.alert_item(
            _row(
                finding(DHS, "late", (2022, n), days_late=10 * n, report=(f"{REPORT}?m={n}", "t")),
                n,
            )
        )
        for n in (1, 2)
    ]
    text = str(m.post_message(items, "opened")["blocks"])
    assert "2022-01 · due 2022-02-03 (10 days late) · <" + REPORT + "?m=1|report> · #1" in text
    assert "(20 days late)" in text


def test_a_review_finding_says_what_the_person_must_do():
    """An obligation's `review` finding asks a person to confirm or reject a proposed document;
    an operator finding of kind `review` is the monitor's own operation needing a person."""
    from monitor.delivery.labels import CANDIDATE_REVIEW

    item = m.alert_item(_row(hart_review()))
    post = m.post_message([item], "opened")
    assert CANDIDATE_REVIEW in post["header"] and "Monitor needs a person" not in post["text"]
    assert CANDIDATE_REVIEW in post["text"]
    assert m.reply_message([item], "resolved", AT)["header"].startswith(
        ":white_check_mark: Resolved: finding #1 (needs a person to confirm or reject"
    )
    operator = dict(item, obligation_id="operator", obligation="the monitor's own operation")
    assert "Monitor needs a person" in m.post_message([operator], "opened")["header"]
