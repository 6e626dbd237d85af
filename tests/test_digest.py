"""The weekly digest: its sections as the database knew them at the week's end, the chart, and
sending it once per ISO week to a real SMTP server on 127.0.0.1 (aiosmtpd: STARTTLS with a
trustme certificate and a login, implicit TLS, and plain), with the MIME structure a mail client
needs (text, HTML with styles inlined, the chart inline by Content-ID)."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from datetime import date, datetime, timedelta, timezone

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from delivery_kit import DHS, HHS, Clock, finding, hart_review, sessions, sync
from findings_kit import SRC
from monitor.charts import NO_BREAKDOWN, monthly_separations, separations_chart_png
from monitor.config import load_settings
from monitor.delivery.digest_build import IsoWeek, build_digest
from monitor.delivery.digest_send import _claim, preview_html, send_digest
from monitor.delivery.slack_sender import LEASE
from monitor.findings_sync import load_rules
from monitor.models import DeliveryAttempt, FindingRow
from monitor.store import ensure_source, record_parse, store_snapshot
from scrapers.records import CountRecord, ParseResult, ReportRecord

UTC = timezone.utc
WEEK = IsoWeek.parse("2023-W03")  # Monday 2023-01-16 to Sunday 2023-01-22 in Washington
IN_WEEK = datetime(2023, 1, 18, 15, tzinfo=UTC)
BEFORE = datetime(2023, 1, 9, 15, tzinfo=UTC)
AFTER = datetime(2023, 1, 24, 15, tzinfo=UTC)
FOREIGN = ("dhs_separation_foreign_basis", "DHS statement of the foreign-government basis", "DHS")
SUBJECT = (
    "Separation reporting compliance, week 2023-W03: 2 missing, 1 late, "
    "1 without foreign-basis statement"
)


def _foreign(period):
    f = finding(
        FOREIGN,
        "incomplete",
        period,
        quote="Criminal history (U.S. or home country)",
        page=5,
        report=("https://www.dhs.gov/fuar.pdf", "<script>alert(1)</script>"),
    )
    f.evidence["items"] = [{"requirement": "statement foreign_government_basis"}]
    return f


def _week_of_findings(session):
    """Before the week: March missing. In it: April missing, January late, a foreign-basis
    gap, an unknown month; December resolved. After it: April resolves (not in the digest)."""
    dec = finding(HHS, "missing", (2022, 12))
    sync(session, [finding(HHS, "missing", (2022, 3)), dec], BEFORE)
    week = [
        finding(HHS, "missing", (2022, 3)),
        finding(HHS, "missing", (2022, 4)),
        finding(
            DHS, "late", (2022, 1), days_late=185, report=("https://www.dhs.gov/may.pdf", "FUAR")
        ),
        _foreign((2022, 5)),
        finding(DHS, "unknown", (2022, 7), reason="source is broken"),
    ]
    sync(session, week, IN_WEEK)
    sync(session, week[:1] + week[2:], AFTER)


@pytest.fixture
def digest(session):
    _week_of_findings(session)
    return build_digest(session, WEEK, tz="America/New_York", obligations=load_rules())


def test_the_digest_says_what_happened_in_the_week_as_known_at_its_end(digest):
    assert digest.subject == SUBJECT
    assert [(i["kind"], i["period"]) for i in digest.newly] == [
        ("late", "2022-01"),
        ("missing", "2022-04"),
    ]
    assert [i["period"] for i in digest.still_missing] == ["2022-03"]
    (foreign,) = digest.without_foreign_basis
    assert foreign["url"] == "https://www.dhs.gov/fuar.pdf" and foreign["id"]
    (unknown,) = digest.unknown
    assert (unknown["reason"], unknown["count"], unknown["periods"]) == (
        "source is broken",
        1,
        "2022-07",
    )
    assert [i["period"] for i in digest.resolved] == ["2022-12"]
    # due in the 14 days after the week (2023-01-23 .. 2023-02-05)
    assert {
        ("hhs_separated_children_monthly", "2023-01", "2023-02-03"),
        ("dhs_family_unit_actions_monthly", "2022-12", "2023-01-31"),
    } <= {(d["obligation_id"], d["period"], d["due"]) for d in digest.deadlines}
    assert all("2023-01-23" <= d["due"] <= "2023-02-05" for d in digest.deadlines)
    assert digest.chart_png.startswith(b"\x89PNG")


def test_the_html_is_escaped_styled_inline_and_links_every_item(digest):
    html = preview_html(digest)
    assert "<script>" not in html and "&lt;script&gt;" not in html  # title not shown raw
    assert "<style" not in html and 'style="' in html
    for item in digest.newly + digest.still_missing + digest.without_foreign_basis:
        assert f"#{item['id']}" in html and f'href="{item["url"]}"' in html
    assert "data:image/png;base64," in html


def test_hostile_text_is_escaped_in_the_html(session):
    hostile = finding(HHS, "missing", (2022, 4), summary='<img src=x onerror="alert(1)"> & co')
    hostile.evidence["listing_reads"] = [{"url": "javascript:alert(1)", "sha256": "ab"}]
    sync(session, [hostile], IN_WEEK)
    html = preview_html(build_digest(session, WEEK, tz="America/New_York", obligations=[]))
    assert '<img src=x' not in html and "&lt;img src=x onerror=" in html
    assert 'href="javascript:' not in html


def test_operator_and_review_findings_have_their_own_section(session):
    """What waits for a person (the monitor's own operation, an obligation only people can
    check) is in the digest, in its own section: open at the week's end, never among the
    unknowns, and gone once resolved."""
    from monitor.delivery.digest_send import render_text
    from monitor.operator_findings import raise_operator_finding, resolve_operator_finding

    oig = ("dhs_separation_oig_crcl_24h", "DHS notice to the OIG and CRCL", "DHS")
    review = finding(
        oig,
        "unknown",
        (2022, 6),
        family="review",
        reason="not publicly verifiable: no public source can show this",
    )
    sync(session, [review, finding(DHS, "unknown", (2022, 7), reason="source is broken")], IN_WEEK)
    label = raise_operator_finding(
        session,
        family="parsing",
        subject="hhs_separated_children|Pending review",
        summary="cause label 'Pending review' is not in the taxonomy",
        evidence={"report": {"url": "https://www.hhs.gov/june.html"}},
        now=IN_WEEK,
    )
    gone = raise_operator_finding(
        session,
        family="delivery",
        subject="slack|C0ALERTS",
        summary="Slack refuses every message",
        evidence={},
        now=BEFORE,
    )
    resolve_operator_finding(session, family="delivery", subject="slack|C0ALERTS", now=IN_WEEK)
    session.commit()
    digest = build_digest(session, WEEK, tz="America/New_York", obligations=[], chart=False)
    people = {i["id"]: i for i in digest.for_a_person}
    assert set(people) == {
        label.id,
        session.scalar(select(FindingRow.id).where(FindingRow.obligation_id == oig[0])),
    }
    assert gone.id not in people  # resolved before the week ended
    assert people[label.id]["kind"] == "review" and people[label.id]["family"] == "parsing"
    assert people[label.id]["url"] == "https://www.hhs.gov/june.html"
    assert [g["reason"] for g in digest.unknown] == ["source is broken"]  # not counted twice
    text, html = render_text(digest), preview_html(digest)
    assert "FOR A PERSON: OPERATOR AND REVIEW FINDINGS" in text
    assert "For a person: operator and review findings" in html
    for item in digest.for_a_person:
        assert f"#{item['id']}" in text and f"#{item['id']}" in html
    assert "cause label 'Pending review' is not in the taxonomy" in text
    empty = build_digest(
        session, IsoWeek.parse("2022-W40"), tz="America/New_York", obligations=[], chart=False
    )
    assert empty.for_a_person == [] and "Nothing waits for a person." in render_text(empty)


def test_a_proposed_document_waits_for_a_person_labelled_as_in_slack(session):
    """The HART disclosure's `review` finding (a document to confirm or reject) is in the
    section for a person, with the label Slack gives it; an operator finding keeps its own."""
    from monitor.delivery.digest_send import render_text
    from monitor.delivery.labels import CANDIDATE_REVIEW
    from monitor.operator_findings import raise_operator_finding

    sync(session, [hart_review()], IN_WEEK)
    raise_operator_finding(
        session,
        family="parsing",
        subject="hhs_separated_children|Pending review",
        summary="cause label 'Pending review' is not in the taxonomy",
        evidence={},
        now=IN_WEEK,
    )
    session.commit()
    digest = build_digest(session, WEEK, tz="America/New_York", obligations=[], chart=False)
    labels = {i["obligation_id"]: i["label"] for i in digest.for_a_person}
    assert labels == {"dhs_hart_disclosure": CANDIDATE_REVIEW, "operator": "Monitor needs a person"}
    assert digest.unknown == [] and digest.newly == []
    text, html = render_text(digest), preview_html(digest)
    assert f"- {CANDIDATE_REVIEW}: DHS disclosure of HART technologies (DHS)" in text
    assert "- Monitor needs a person: the monitor's own operation" in text
    assert f">{CANDIDATE_REVIEW}</span>" in html and ">Monitor needs a person</span>" in html


def test_iso_weeks():
    assert IsoWeek.previous(datetime(2023, 1, 23, 14, tzinfo=UTC), "America/New_York") == WEEK
    # 01:00 UTC on Monday is still Sunday in Washington: the last complete week is the one before
    assert (
        IsoWeek.previous(datetime(2023, 1, 23, 1, tzinfo=UTC), "America/New_York").label
        == "2023-W02"
    )
    start, end = WEEK.bounds("America/New_York")
    assert (start, end) == (
        datetime(2023, 1, 16, 5, tzinfo=UTC),
        datetime(2023, 1, 23, 5, tzinfo=UTC),
    )
    for bad in ("2023-3", "2023-W54", "W03-2023"):
        with pytest.raises(ValueError):
            IsoWeek.parse(bad)


def _report(session, archive, month: int, counts: list[tuple]) -> None:
    """A report for 2022-<month> read with ``counts`` (dimension, category, value)."""
    start = date(2022, month, 1)
    end = (start + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    when = datetime(2022, month + 1, 2, tzinfo=UTC)
    url = f"https://e.gov/r{month}"
    ensure_source(session, SRC, when)
    snap, _ = store_snapshot(
        session, archive, source_id="src", url=url, body=f"{url} {counts}".encode(), fetched_at=when
    )
    record_parse(
        session,
        SRC,
        snap,
        ParseResult(
            "1",
            reports=[
                ReportRecord(
                    title=f"Report {start:%B %Y}", url=url, period_start=start, period_end=end
                )
            ],
            counts=[
                CountRecord(0, "separations", dim, cat, cat, value, start, end)
                for dim, cat, value in counts
            ],
        ),
        "ok",
        when,
    )
    session.flush()


def test_the_chart_shows_monthly_separations_by_cause_and_agency(session, archive):
    _report(
        session,
        archive,
        1,
        [("cause", "criminal_history", 4), ("cause", "other", 1), ("total", "total", 5)],
    )
    _report(session, archive, 2, [("total", "total", 6)])  # no breakdown that month
    months, data = monthly_separations(session, end="2022-02")
    assert months[0] == "2020-03" and months[-1] == "2022-02" and len(months) == 24
    assert data == {
        SRC.agency: {"2022-01": {"criminal_history": 4, "other": 1}, "2022-02": {NO_BREAKDOWN: 6}}
    }
    png = separations_chart_png(session, end="2022-02")
    assert png.startswith(b"\x89PNG") and png == separations_chart_png(session, end="2022-02")
    assert png != separations_chart_png(session, end="2022-01")
    assert monthly_separations(session, agency="DHS", end="2022-02")[1] == {}


# --- sending ----------------------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def smtp(ca):
    """Start an SMTP server: smtp(tls="starttls"|"ssl"|"none", password=...)."""
    started = []

    def start(tls="none", password=None, port=None):
        box = Mailbox()
        kwargs = {}
        if tls != "none":
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
            kwargs = (
                {"tls_context": server_ctx, "require_starttls": True}
                if tls == "starttls"
                else {"ssl_context": server_ctx}
            )
        if password:

            def check(server, session, envelope, mechanism, auth_data):
                box.logins.append(auth_data.login.decode())
                return AuthResult(success=auth_data.password.decode() == password, handled=False)

            kwargs.update(authenticator=check, auth_require_tls=True)
        controller = Controller(box, hostname="127.0.0.1", port=port or _free_port(), **kwargs)
        controller.start()
        started.append(controller)
        box.port = controller.port
        return box

    yield start
    for controller in started:
        controller.stop()


def _settings(port, tls="none", **extra):
    env = {
        "MONITOR_SMTP_HOST": "127.0.0.1",
        "MONITOR_SMTP_PORT": str(port),
        "MONITOR_SMTP_TLS": tls,
        "MONITOR_DIGEST_FROM": "Monitor <monitor@example.org>",
        "MONITOR_DIGEST_TO": "policy@example.org, counsel@example.org",
    }
    env.update({f"MONITOR_{k.upper()}": v for k, v in extra.items()})
    return load_settings(env)


def _client_context(ca):
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


def _attempts(session):
    session.expire_all()
    return [
        (a.result, a.error)
        for a in session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))
    ]


def test_starttls_with_login_sends_a_multipart_email_once_per_week(session, engine, smtp, ca):
    _week_of_findings(session)
    box = smtp("starttls", password="s3cret")
    settings = _settings(box.port, "starttls", smtp_user="monitor", smtp_password="s3cret")
    clock = Clock(datetime(2023, 1, 23, 14, tzinfo=UTC))  # Monday 09:00 in Washington
    result = send_digest(sessions(engine), settings, clock=clock, ssl_context=_client_context(ca))
    assert result.sent and result.week == WEEK and box.logins == ["monitor"]
    (message,) = box.messages
    assert message["Subject"] == SUBJECT
    assert message["To"] == "policy@example.org, counsel@example.org"
    assert message.get_content_type() == "multipart/alternative"
    text, related = message.get_payload()
    assert text.get_content_type() == "text/plain" and "finding #" in text.get_content()
    assert related.get_content_type() == "multipart/related"
    html, png = related.get_payload()
    assert html.get_content_type() == "text/html" and png.get_content_type() == "image/png"
    cid = png["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html.get_content()
    assert png.get_payload(decode=True).startswith(b"\x89PNG")
    assert "<style" not in html.get_content()
    # a second run for the same week (or a second runner) sends nothing
    again = send_digest(sessions(engine), settings, clock=clock, ssl_context=_client_context(ca))
    assert not again.sent and not again.failed and "already sent" in again.detail
    assert len(box.messages) == 1
    assert _attempts(session) == [("sent", None)]


def test_implicit_tls(session, engine, smtp, ca):
    box = smtp("ssl")
    result = send_digest(
        sessions(engine),
        _settings(box.port, "ssl"),
        week=WEEK,
        clock=Clock(),
        ssl_context=_client_context(ca),
    )
    assert result.sent and len(box.messages) == 1


def test_a_failed_send_is_retried_by_the_next_call(session, engine, smtp):
    port = _free_port()  # nothing listens yet
    settings = _settings(port)
    first = send_digest(sessions(engine), settings, week=WEEK, clock=Clock())
    assert first.failed and not first.sent
    box = smtp("none", port=port)
    second = send_digest(sessions(engine), settings, week=WEEK, clock=Clock())
    assert second.sent and len(box.messages) == 1
    assert [r for r, _ in _attempts(session)] == ["retry", "sent"]


def test_a_refused_login_is_a_dead_letter_and_an_operator_finding(session, engine, smtp, ca):
    box = smtp("starttls", password="right")
    settings = _settings(box.port, "starttls", smtp_user="monitor", smtp_password="wrong")
    result = send_digest(
        sessions(engine), settings, week=WEEK, clock=Clock(), ssl_context=_client_context(ca)
    )
    assert result.failed and "SMTPAuthenticationError" in result.detail
    assert box.messages == [] and [r for r, _ in _attempts(session)] == ["dead"]
    operator = session.scalars(select(FindingRow).where(FindingRow.family == "delivery")).one()
    assert operator.subject == "email:smtp" and "wrong" not in operator.summary
    again = send_digest(
        sessions(engine), settings, week=WEEK, clock=Clock(), ssl_context=_client_context(ca)
    )
    assert again.failed and box.messages == []  # dead until `monitor notify --retry-dead`


def test_two_runners_claim_a_week_once_and_a_dead_runners_claim_is_taken_over(engine):
    scope, now = sessions(engine), datetime(2023, 1, 23, 14, tzinfo=UTC)
    first = _claim(scope, "digest:2023-W03", "policy@example.org", now)
    assert first and _claim(scope, "digest:2023-W03", "policy@example.org", now) is None
    later = now + LEASE + timedelta(seconds=1)  # the first runner died without a record
    assert _claim(scope, "digest:2023-W03", "policy@example.org", later) not in (None, first)


def test_cli_preview_and_send_once(cli_db, session, smtp, monkeypatch, tmp_path):
    _week_of_findings(session)
    out_file = tmp_path / "digest.html"
    rc, out, err = cli_db("digest", "--preview", str(out_file), "--week", "2023-W03")
    assert rc == 0, err
    assert out.splitlines() == [str(out_file), f"  {SUBJECT}"]
    assert "data:image/png;base64," in out_file.read_text()
    rc, out, err = cli_db("digest", "--send", "--week", "2023-W03")
    assert rc == 1 and err.startswith("error: the digest cannot be sent: no smtp_host")
    box = smtp("none")
    for key, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(box.port),
        "SMTP_TLS": "none",
        "DIGEST_FROM": "monitor@example.org",
        "DIGEST_TO": "policy@example.org",
    }.items():
        monkeypatch.setenv(f"MONITOR_{key}", value)
    rc, out, err = cli_db("digest", "--send", "--week", "2023-W03")
    assert rc == 0 and "sent to policy@example.org" in out, err
    rc, out, err = cli_db("digest", "--send", "--week", "2023-W03")
    assert rc == 0 and "already sent" in out
    assert len(box.messages) == 1 and box.messages[0]["Subject"] == SUBJECT
    rc, out, err = cli_db("digest", "--send", "--week", "2023-W99")
    assert rc == 2 and "2023 has no week 99" in err
