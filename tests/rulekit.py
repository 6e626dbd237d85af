"""Small builders for rule tests: a synthetic obligation from a few overrides, facts in one line."""

from __future__ import annotations

import copy
import hashlib
from datetime import date, datetime, timedelta, timezone

from rules.facts import (
    CountFact,
    ListingRead,
    ProblemFact,
    ReadFact,
    ReportFact,
    SourceFact,
    StatementFact,
)
from rules.obligations import Obligation, parse_obligation

UTC = timezone.utc
SINCE = datetime(2000, 1, 1, tzinfo=UTC)

BASE: dict = {
    "id": "test_monthly",
    "title": "Test monthly report",
    "agency": "HHS",
    "recipients": ["Committees on Appropriations"],
    "citations": [
        {
            "id": "act",
            "law": "Test Act",
            "public_law": "P.L. 1-1",
            "enacted": date(2019, 12, 20),
            "quote": "Not later than 14 days after the date of enactment of this Act, and monthly "
            "thereafter",
            "enactment_verified": True,
            "text_verified": True,
            "verification_note": "synthetic",
        }
    ],
    "sources": ["src"],
    "cadence": {
        "kind": "monthly",
        "segments": [
            {
                "citation": "act",
                "first_period": "2019-12",
                "due": {"rule": "monthly_after_enactment", "citation": "act", "days": 14},
            }
        ],
    },
    "severity": "high",
    "effective_from": date(2019, 12, 1),
    "checks": ["timeliness"],
}


def merge(base: dict, changes: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def obligation(**changes) -> Obligation:
    return parse_obligation(merge(BASE, changes), "test.yaml")


def data(**changes) -> dict:
    return merge(BASE, changes)


LISTING = "https://e.gov/list"


def listing_read(at: datetime, url: str = LISTING) -> ListingRead:
    return ListingRead(url, at, hashlib.sha256(f"{url}|{at.isoformat()}".encode()).hexdigest())


def daily_listing_reads(
    start: date = date(2019, 6, 1), end: date = date(2031, 1, 1), url: str = LISTING
) -> tuple[ListingRead, ...]:
    """The listing page read every day at 14:00 UTC (10:00 in Washington), as a daily poll does."""
    return tuple(
        listing_read(datetime(d.year, d.month, d.day, 14, tzinfo=UTC), url)
        for d in (start + timedelta(days=i) for i in range((end - start).days))
    )


_DAILY = daily_listing_reads()


def healthy(source_id: str = "src", **kw) -> SourceFact:
    """A source polled daily for years: healthy, its listing page read every day."""
    values = {
        "implemented": True,
        "state": "healthy",
        "first_success_at": SINCE,
        "last_success_at": datetime(2100, 1, 1, tzinfo=UTC),
        "listing_reads": _DAILY,
    }
    values.update(kw)
    return SourceFact(source_id, **values)


def read(
    at: datetime,
    *,
    outcome: str = "ok",
    counts=(),
    statements=(),
    problems=(),
    version: str = "1",
    sha: str | None = None,
) -> ReadFact:
    return ReadFact(
        sha or hashlib.sha256(at.isoformat().encode()).hexdigest(),
        at,
        version,
        outcome,
        tuple(counts),
        tuple(statements),
        tuple(problems),
    )


def cause(label: str, value: float, page: int | None = None) -> CountFact:
    return CountFact("separations", "cause", "criminal_history", label, value, page=page)


def statement(status: str, value: float | None = None, quote: str | None = None) -> StatementFact:
    return StatementFact("foreign_government_basis", status, value, quote)


def problem(kind: str, detail: str = "") -> ProblemFact:
    return ProblemFact(kind, detail)


def report(
    url: str,
    period: tuple[date, date] | None,
    first_seen: datetime,
    *,
    source: str = "src",
    issued: date | None = None,
    precision: str = "day",
    reads=None,
    **kw,
) -> ReportFact:
    if reads is None:
        reads = (read(first_seen),)
    start, end = period if period else (None, None)
    return ReportFact(
        source,
        url,
        first_seen,
        period_start=start,
        period_end=end,
        issued=issued,
        issued_precision=precision if issued else None,
        reads=tuple(reads),
        **kw,
    )
