"""A database holding N stored reports, for bench/evaluate.py's database-backed run.

Synthetic sources (one per 110 reports: about ten years of monthly reports each) written with bulk
inserts in the shape the monitor stores them (monitor/store.py): per report one snapshot, one
parse, about 25 count observations (cause, sector, age group, length, a month row and a
total, one cause label that leaves the origin open), the foreign-government statement, a fetch
run and the listing page that carried it. Per source a listing page read once a month, its
body (and so its snapshot and links) changing whenever a report was added; about 5 % of months
missing, 10 % late, 3 % unreadable, 3 % revised a month later, 2 % with an inconsistent
total, 0.5 % removed. One obligation per source runs timeliness, content, revised, removed and
inconsistent_totals.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import insert

UTC = timezone.utc
START = date(2015, 1, 1)
MONTHS_PER_SOURCE = 120
REPORTS_PER_SOURCE = 110  # of 120 months, some missing
SINCE = datetime(2014, 12, 1, tzinfo=UTC)
AS_OF = datetime(2025, 3, 1, 12, tzinfo=UTC)
CAUSES = [
    ("criminal_history", "Criminal history (U.S. or home country)"),
    ("gang_affiliation", "Gang affiliation"),
    ("illness", "Illness of parent"),
    ("fraud", "Fraudulent family claim"),
    ("prosecution", "Referred for prosecution"),
    ("other", "Other"),
]
SECTORS = ["RGV", "El Paso", "Tucson", "San Diego", "Del Rio"]
AGES = ["0-4", "5-9", "10-14", "15-17", "unknown"]
LENGTHS = ["0-30 days", "31-90 days", "91-180 days", "over 180 days"]


def source_ids(n_reports: int) -> list[str]:
    return [f"bsrc_{i:04d}" for i in range(-(-n_reports // REPORTS_PER_SOURCE))]


def listing_url(source_id: str) -> str:
    return f"https://{source_id.replace('_', '-')}.example.gov/reports/index.html"


def registry(sources: list[str], parse):
    """The benchmark's sources as a registry: one HHS listing page each, read by ``parse``
    (the rows are stored directly, so a benchmark passes a parser that is never called)."""
    from urllib.parse import urlsplit

    from scrapers.registry import RegisteredSource, Registry
    from scrapers.source import Source

    return Registry(
        [
            RegisteredSource(
                Source(
                    id=s,
                    agency="HHS",
                    title=s,
                    start_urls=(listing_url(s),),
                    allowed_hosts=(urlsplit(listing_url(s)).hostname,),
                ),
                parse,
            )
            for s in sources
        ]
    )


def obligation(source_id: str) -> dict:
    return {
        "id": f"ob_{source_id}",
        "title": f"Synthetic report of {source_id}",
        "agency": "DHS",
        "recipients": ["Committees on Appropriations"],
        "citations": [
            {
                "id": "act",
                "law": "Synthetic Act",
                "enacted": date(2014, 12, 1),
                "enactment_verified": True,
                "text_verified": True,
                "verification_note": "synthetic",
            }
        ],
        "sources": [source_id],
        "cadence": {
            "kind": "monthly",
            "segments": [
                {
                    "citation": "act",
                    "first_period": START.strftime("%Y-%m"),
                    "due": {"rule": "after_period_end", "months": 1, "day": "last"},
                }
            ],
        },
        "content": {
            "counts": [
                {
                    "measure": "separations",
                    "dimension": "cause",
                    "citation": "act",
                    "why": "synthetic",
                }
            ],
            "statements": [
                {
                    "key": "foreign_government_basis",
                    "accept": ["stated"],
                    "ambiguous_labels": "taxonomy",
                    "citation": "act",
                    "why": "synthetic",
                }
            ],
        },
        "severity": "high",
        "effective_from": START,
        "checks": ["timeliness", "content", "revised", "removed", "inconsistent_totals"],
    }


def _month(index: int) -> tuple[date, date]:
    y, m = divmod(START.month - 1 + index, 12)
    start = date(START.year + y, m + 1, 1)
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


class _Ids:
    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        self.next[table] = self.next.get(table, 0) + 1
        return self.next[table]


def _counts(rng, report_id, snap_id, parse_id, period, when, bump=0) -> list[dict]:
    start, end = period
    rows = []

    def add(dimension, category, label, value, **kw):
        rows.append(
            dict(
                report_id=report_id,
                snapshot_id=snap_id,
                parse_id=parse_id,
                parser_version="1",
                measure="separations",
                dimension=dimension,
                category=category,
                label=label,
                value=float(value),
                page=kw.get("page", 2),
                period_start=kw.get("period_start"),
                period_end=kw.get("period_end"),
                observed_at=when,
            )
        )

    causes = [rng.randint(0, 40) for _ in CAUSES]
    causes[0] += bump
    for (category, label), value in zip(CAUSES, causes):
        add("cause", category, label, value)
    for i, sector in enumerate(SECTORS):
        add("sector", sector.lower().replace(" ", "_"), sector, causes[i % len(causes)])
    for i, age in enumerate(AGES):
        add("age_group", age, age, causes[-1 - i % len(causes)], page=3)
    for i, length in enumerate(LENGTHS):
        add("length", length, length, causes[i], page=4)
    total = sum(causes)
    add("month", "all", start.strftime("%B %Y"), total, period_start=start, period_end=end)
    add("total", "all", "Total", total)
    return rows


def build(engine, n_reports: int, seed: int = 7) -> dict:
    """Fill a migrated, empty database with ``n_reports`` reports; returns what was written."""
    from monitor.models import (
        CountObservation,
        FetchRun,
        Parse,
        ParseProblem,
        Report,
        ReportListing,
        Snapshot,
        SourceHealth,
        SourceRow,
        Statement,
    )

    rng = random.Random(seed)
    ids = _Ids()
    rows: dict = {
        name: []
        for name in (
            "sources",
            "health",
            "snapshots",
            "runs",
            "parses",
            "reports",
            "listings",
            "counts",
            "statements",
            "problems",
        )
    }
    left = n_reports
    for source_id in source_ids(n_reports):
        rows["sources"].append(dict(id=source_id, agency="DHS", title=source_id, created_at=SINCE))
        rows["health"].append(
            dict(
                source_id=source_id,
                state="healthy",
                consecutive_failures=0,
                first_success_at=SINCE,
                last_success_at=AS_OF,
                changed_at=SINCE,
            )
        )
        listing = listing_url(source_id)
        linked: list[dict] = []
        pending: list[tuple] = []  # (report row, period, listing read it is revised at)
        n_here = min(left, REPORTS_PER_SOURCE)
        left -= n_here
        month = made = 0
        for read_index in range(2 * MONTHS_PER_SOURCE):
            read_at = datetime.combine(_month(read_index)[0], datetime.min.time(), UTC) + timedelta(
                days=9, hours=14
            )
            # reports issued since the last read appear on this one
            added = []
            while made < n_here:
                period = _month(month)
                roll = rng.random()
                late = 0.05 <= roll < 0.15
                issued = period[1] + timedelta(
                    days=rng.randint(70, 120) if late else rng.randint(5, 25)
                )
                if roll < 0.05:  # missing: the next month takes its place
                    month += 1
                    continue
                if datetime.combine(issued, datetime.min.time(), UTC) >= read_at:
                    break
                added.append((month, period, issued))
                month += 1
                made += 1
            snap_id = None
            if added or read_index == 0:
                for index, period, issued in added:
                    url = f"https://{source_id}.example.gov/reports/{period[0]:%Y-%m}.pdf"
                    linked.append({"url": url, "title": f"Report {period[0]:%B %Y}"})
                body = repr(linked).encode()
                snap_id = ids("snapshots")
                rows["snapshots"].append(
                    dict(
                        id=snap_id,
                        source_id=source_id,
                        url=listing,
                        sha256=hashlib.sha256(body).hexdigest(),
                        size=len(body),
                        content_type="text/html",
                        headers={},
                        fetched_at=read_at,
                        storage="bench",
                    )
                )
                rows["parses"].append(
                    dict(
                        id=ids("parses"),
                        snapshot_id=snap_id,
                        source_id=source_id,
                        parser_version="1",
                        parsed_at=read_at,
                        outcome="ok",
                        reports=0,
                        counts=0,
                        links=list(linked),
                    )
                )
            rows["runs"].append(
                dict(
                    source_id=source_id,
                    url=listing,
                    started_at=read_at,
                    finished_at=read_at,
                    outcome="ok" if snap_id else "not_modified",
                    snapshot_id=snap_id,
                    listing=True,
                )
            )
            for report, period, due in pending:  # revised a month after it was read
                if due == read_index:
                    _read(
                        rng,
                        ids,
                        rows,
                        source_id,
                        report["id"],
                        report["url"],
                        period,
                        read_at,
                        True,
                        bump=1,
                    )
            pending = [p for p in pending if p[2] > read_index]
            for index, period, issued in added:
                report = _report(rng, ids, rows, source_id, listing, period, issued, read_at)
                if report is not None:
                    pending.append((report, period, read_index + 1))
            if made >= n_here and not pending:
                break
        for report in rows["reports"][-n_here:]:
            report["last_seen"] = AS_OF
    with engine.begin() as conn:
        for model, name in (
            (SourceRow, "sources"),
            (SourceHealth, "health"),
            (Snapshot, "snapshots"),
            (Parse, "parses"),
            (FetchRun, "runs"),
            (Report, "reports"),
            (ReportListing, "listings"),
            (CountObservation, "counts"),
            (Statement, "statements"),
            (ParseProblem, "problems"),
        ):
            batch = rows[name]
            for i in range(0, len(batch), 20000):
                conn.execute(insert(model), batch[i : i + 20000])
    return {name: len(batch) for name, batch in rows.items()}


def _report(rng, ids, rows, source_id, listing, period, issued, read_at):
    report_id = ids("reports")
    url = f"https://{source_id}.example.gov/reports/{period[0]:%Y-%m}.pdf"
    removed = read_at + timedelta(days=400) if rng.random() < 0.005 else None
    rows["reports"].append(
        dict(
            id=report_id,
            source_id=source_id,
            url=url,
            title=f"Report {period[0]:%B %Y}",
            period_start=period[0],
            period_end=period[1],
            issued=issued,
            issued_precision="day",
            authorities=[],
            page_count=6,
            first_seen=read_at,
            last_seen=read_at,
            removed_at=removed,
            listed_on=listing,
            fetch_state="ok",
            fetch_failures=0,
            last_fetch_at=read_at,
        )
    )
    rows["listings"].append(
        dict(
            report_id=report_id,
            listing_url=listing,
            first_seen=read_at,
            last_seen=removed or AS_OF,
            removed_at=removed,
        )
    )
    readable = rng.random() >= 0.03
    _read(rng, ids, rows, source_id, report_id, url, period, read_at, readable, bump=0)
    return rows["reports"][-1] if readable and rng.random() < 0.03 else None


def _read(rng, ids, rows, source_id, report_id, url, period, when, readable, bump):
    body = f"{url} {bump}".encode()
    snap_id, parse_id = ids("snapshots"), ids("parses")
    rows["snapshots"].append(
        dict(
            id=snap_id,
            source_id=source_id,
            url=url,
            sha256=hashlib.sha256(body).hexdigest(),
            size=len(body),
            content_type="application/pdf",
            headers={},
            fetched_at=when,
            storage="bench",
        )
    )
    counts = _counts(rng, report_id, snap_id, parse_id, period, when, bump) if readable else []
    rows["parses"].append(
        dict(
            id=parse_id,
            snapshot_id=snap_id,
            source_id=source_id,
            parser_version="1",
            parsed_at=when,
            outcome="ok" if readable else "layout_changed",
            reports=1,
            counts=len(counts),
            links=[],
        )
    )
    rows["runs"].append(
        dict(
            source_id=source_id,
            url=url,
            started_at=when,
            finished_at=when,
            outcome="ok",
            snapshot_id=snap_id,
            listing=False,
        )
    )
    rows["counts"].extend(counts)
    rows["statements"].append(
        dict(
            report_id=report_id,
            snapshot_id=snap_id,
            parse_id=parse_id,
            parser_version="1",
            key="foreign_government_basis",
            status="stated" if rng.random() < 0.95 else "not_stated",
            value=0.0,
            quote=None,
            page=1,
            observed_at=when,
        )
    )
    if readable and rng.random() < 0.02:
        rows["problems"].append(
            dict(
                parse_id=parse_id,
                report_id=report_id,
                kind="inconsistent_total",
                detail="causes add up to 61, the total printed is 60",
                page=2,
            )
        )
