"""Builders for delivery tests: engine findings as the sync writes them, a settable clock, settings
pointing at the Slack stand-in, and a committing session factory like ``ctx.session``."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import partial

import pytest

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import load_settings
from monitor.db import session_scope
from monitor.findings_sync import sync_findings
from monitor.models import Delivery, OutboxMessage
from rules.findings import Finding
from slack_standin import TOKEN, SlackStandIn

UTC = timezone.utc
T0 = datetime(2022, 10, 3, 14, tzinfo=UTC)
SHA = "a8f03298453a67a4125f82ef47cf1caaa02d2334929ac042fb9db163e7883c55"
REPORT = "https://www.dhs.gov/sites/default/files/2022-10/fuar_may_2022.pdf"
LISTING = "https://www.hhs.gov/programs/report-to-congress-on-separated-children/index.html"
HHS = ("hhs_separated_children_monthly", "HHS Report to Congress on Separated Children", "HHS")
DHS = ("dhs_family_unit_actions_monthly", "DHS Family Unit Actions Report", "DHS")


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def month(year: int, m: int) -> tuple[date, date]:
    nxt = date(year + (m == 12), m % 12 + 1, 1)
    return date(year, m, 1), nxt - timedelta(days=1)


def finding(
    ob=HHS,
    kind="missing",
    period=(2022, 4),
    *,
    reason=None,
    summary=None,
    days_late=None,
    report=None,
    quote=None,
    page=None,
    family=None,
    subject="",
) -> Finding:
    start, end = month(*period)
    label = f"{start:%Y-%m}"
    evidence = {
        "obligation": {"id": ob[0], "title": ob[1], "agency": ob[2]},
        "citation": {"public_law": "P.L. 116-94", "section": "Div. A, sec. 235", "verified": False},
        "period": {"start": start.isoformat(), "end": end.isoformat(), "label": label},
    }
    if reason:
        evidence["reason"] = reason
    if days_late is not None:
        evidence["days_late"] = days_late
    if report:
        evidence["reports"] = [{"url": report[0], "title": report[1], "snapshot_sha256": SHA}]
    elif kind == "missing":
        evidence["listing_reads"] = [{"url": LISTING, "sha256": SHA}]
    if quote:
        evidence["quote"], evidence["page"] = quote, page
    family = (
        family
        or {
            "missing": "timeliness",
            "late": "timeliness",
            "unknown": "timeliness",
            "incomplete": "content",
            "anomaly": "anomaly",
        }[kind]
    )
    due = date(end.year + (end.month == 12), end.month % 12 + 1, 3)
    return Finding(
        obligation=ob[0],
        kind=kind,
        family=family,
        severity="high" if kind in ("missing", "late", "incomplete") else "medium",
        summary=summary or f"{ob[1]} for {label}: {kind}",
        period_start=start,
        period_end=end,
        subject=subject,
        due=due,
        evidence=evidence,
    )


HART = ("dhs_hart_disclosure", "DHS disclosure of HART technologies", "DHS")


def hart_review() -> Finding:
    """The HART disclosure's `review` finding: a document proposed, a person must decide."""
    f = finding(HART, "missing", (2022, 3), family="timeliness")
    evidence = dict(f.evidence)
    evidence.pop("listing_reads", None)
    evidence["candidates"] = [{"report_id": 7, "document_id": "DHS/OBIM/PIA-004(a)"}]
    return Finding(
        obligation=f.obligation,
        kind="review",
        family="timeliness",
        severity="medium",
        summary="DHS/OBIM/PIA-004(a) may fulfil it: a person must confirm or reject it",
        period_start=f.period_start,
        period_end=f.period_end,
        due=f.due,
        evidence=evidence,
    )


def sync(session: Session, findings, now: datetime, scope=None):
    result = sync_findings(session, findings, now, scope=scope)
    session.commit()
    return result


def settings(base_url: str | None = None, **extra):
    env = {"MONITOR_SLACK_TOKEN": TOKEN, "MONITOR_SLACK_CHANNEL": "C0ALERTS"}
    if base_url:
        env["MONITOR_SLACK_BASE_URL"] = base_url
    env.update({f"MONITOR_{k.upper()}": v for k, v in extra.items()})
    return load_settings(env)


def sessions(engine):
    """Committing sessions, as ``ctx.session`` opens them."""
    return partial(session_scope, engine)


@pytest.fixture
def slack(httpserver):
    """The Slack stand-in on pytest-httpserver; its base URL is ``slack.base_url``."""
    standin = SlackStandIn()
    standin.base_url = standin.install(httpserver)
    return standin


def outbox(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def deliveries(session: Session) -> list[Delivery]:
    session.expire_all()
    return list(session.scalars(select(Delivery).order_by(Delivery.id)))
