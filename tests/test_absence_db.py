"""Listing reads from the database (SQLite and PostgreSQL): which fetch and ingest runs are
listing reads, and what the evaluation says when only reports were read."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from findings_kit import LISTING, OB, SRC, at, listing, publish, REGISTRY, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from monitor.fact_gathering import gather_facts, listing_reads
from monitor.models import FetchRun
from monitor.store import ensure_source, store_snapshot
from rules.engine import evaluate

HHS = Path(__file__).resolve().parent / "fixtures" / "hhs_separated_children"
BASE = (
    "https://www.hhs.gov/programs/social-services/unaccompanied-children/"
    "report-to-congress-on-separated-children/"
)
HHS_INDEX = BASE + "index.html"


def _month(findings, start):
    return [f for f in findings if f.period_start == start]


def test_listing_reads_are_gathered_with_their_body_and_time(session, archive, monkeypatch):
    listing(session, archive, at(2020, 1, 20), [])
    run(session, at(2020, 1, 25), outcome="blocked")  # a failed listing fetch is no read
    publish(
        session,
        archive,
        at(2020, 2, 6),
        "https://e.gov/dec",
        (date(2019, 12, 1), date(2019, 12, 31)),
    )
    src = gather_facts(session, at(2020, 2, 10), ["src"], registry=REGISTRY).source("src")
    (read,) = listing_reads(session, "src", at(2020, 2, 10))  # every one
    assert (read.url, read.at) == (LISTING, at(2020, 1, 20)) and len(read.sha256) == 64
    # the evaluation's lookup finds it: the first read after an instant, and the page's last
    assert src.listing_reads.first_reads_after(
        [at(2020, 1, 25), at(2020, 1, 1)], at(2020, 2, 10)
    ) == {
        at(2020, 1, 25): {},
        at(2020, 1, 1): {LISTING: read},
    }
    assert src.listing_reads.last_reads(at(2020, 2, 10)) == {LISTING: read}
    assert src.listing_reads.last_reads(at(2020, 1, 19)) == {}
    assert src.last_success_at == at(2020, 2, 6)  # the report read
    assert src.listing_urls == (LISTING,) and src.stale_after == timedelta(days=2)
    assert gather_facts(
        session, at(2020, 2, 10), ["src"], stale_after=timedelta(hours=36), registry=REGISTRY
    ).source("src").stale_after == timedelta(hours=36)
    # report-only reads after the deadline: January is unknown, and says why
    (jan,) = _month(
        evaluate(
            [OB],
            gather_facts(session, at(2020, 2, 10), ["src"], registry=REGISTRY),
            at(2020, 2, 10),
        ),
        date(2020, 1, 1),
    )
    assert jan.kind == "unknown"
    assert "last listing read: 2020-01-20 12:00 UTC" in jan.evidence["reason"]
    # the listing read after the deadline turns the same month missing, citing it
    listing(session, archive, at(2020, 2, 11), ["https://e.gov/dec"])
    (jan,) = _month(
        evaluate(
            [OB],
            gather_facts(session, at(2020, 2, 12), ["src"], registry=REGISTRY),
            at(2020, 2, 12),
        ),
        date(2020, 1, 1),
    )
    assert jan.kind == "missing"
    assert [r["read_at"] for r in jan.evidence["listing_reads"]] == [at(2020, 2, 11).isoformat()]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.lists(st.integers(0, 400), min_size=1, max_size=5),
    outcomes=st.lists(st.sampled_from(["ok", "unchanged", "not_modified"]), min_size=5, max_size=5),
    as_of_day=st.integers(0, 500),
)
def test_no_mix_of_report_reads_in_the_database_yields_missing(
    session, archive, monkeypatch, days, outcomes, as_of_day
):
    start = at(2019, 12, 1)
    try:
        for i, day in enumerate(days):
            when = start + timedelta(days=day)
            url = f"https://e.gov/r{i}"
            if i % 2:
                publish(
                    session,
                    archive,
                    when,
                    url,
                    (date(2019, 12, 1), date(2019, 12, 31)),
                    body=f"{url}{day}".encode(),
                )
            else:  # a report read whose run is not a listing read, whatever its outcome
                ensure_source(session, SRC, when)
                snap, _ = store_snapshot(
                    session,
                    archive,
                    source_id="src",
                    url=url,
                    body=f"{url}{day}".encode(),
                    fetched_at=when,
                )
                run(session, when, url=url, outcome=outcomes[i], snapshot=snap)
        as_of = start + timedelta(days=as_of_day)
        findings = evaluate([OB], gather_facts(session, as_of, ["src"], registry=REGISTRY), as_of)
        assert "missing" not in {f.kind for f in findings}
    finally:
        session.rollback()


def test_ingest_marks_listing_reads_and_only_they_make_a_month_missing(cli_db, engine):
    from sqlalchemy.orm import Session

    page = HHS / "june_2022_reconstructed.html"
    rc, _out, _err = cli_db(
        "ingest",
        "hhs_separated_children",
        str(page),
        "--url",
        BASE + "june-2022/index.html",
        "--fetched-at",
        "2022-09-29T14:00:00Z",
    )
    assert rc == 0
    rc, out, _err = cli_db(
        "evaluate",
        "--as-of",
        "2022-09-30",
        "--json",
        "--obligation",
        "hhs_separated_children_monthly",
    )
    april = [f for f in json.loads(out) if f["period_start"] == "2022-04-01"]
    assert [f["kind"] for f in april] == ["unknown"]
    assert april[0]["evidence"]["reason"].endswith("last listing read: never")
    assert "missing" not in {f["kind"] for f in json.loads(out)}

    rc, _out, _err = cli_db(
        "ingest",
        "hhs_separated_children",
        str(HHS / "listing_index_2022_reconstructed.html"),
        "--listing",
        "--url",
        HHS_INDEX,
        "--fetched-at",
        "2022-09-29T15:00:00Z",
    )
    assert rc == 0
    with Session(engine) as s:
        assert s.execute(select(FetchRun.url, FetchRun.listing).order_by(FetchRun.id)).all() == [
            (BASE + "june-2022/index.html", False),
            (HHS_INDEX, True),
        ]
    for month in ("january", "february", "march", "may", "july", "august"):  # all it links
        rc, _out, _err = cli_db(
            "ingest",
            "hhs_separated_children",
            str(HHS / f"{month}_2022_reconstructed.html"),
            "--url",
            BASE + f"{month}-2022/index.html",
            "--fetched-at",
            "2022-09-29T16:00:00Z",
        )
        assert rc == 0
    rc, out, _err = cli_db(
        "evaluate",
        "--as-of",
        "2022-09-30",
        "--json",
        "--obligation",
        "hhs_separated_children_monthly",
    )
    (april,) = [f for f in json.loads(out) if f["period_start"] == "2022-04-01"]
    assert april["kind"] == "missing"
    (read,) = april["evidence"]["listing_reads"]
    assert read["url"] == HHS_INDEX and read["read_at"] == "2022-09-29T15:00:00+00:00"
    assert len(read["sha256"]) == 64


def test_a_monitor_that_stopped_polling_says_unknown_for_every_period_due_after(
    session, archive, monkeypatch
):
    listing(session, archive, at(2020, 3, 20), [])  # the last poll ever
    findings = evaluate(
        [OB], gather_facts(session, at(2020, 8, 1), ["src"], registry=REGISTRY), at(2020, 8, 1)
    )
    kinds = {f.period_start: f.kind for f in findings}
    # Feb is due 2020-03-03, before the last read: missing; March onwards is stale
    assert kinds[date(2020, 2, 1)] == "missing"
    assert [kinds[date(2020, m, 1)] for m in (3, 4, 5, 6)] == ["unknown"] * 4
    stale = next(f for f in findings if f.period_start == date(2020, 6, 1))
    assert stale.evidence["reason"] == (
        "not read since the deadline; last successful read 2020-03-20 12:00 UTC"
    )
    # June is due 2020-07-03 (rolled to the 6th): stale from two days after that deadline
    assert date(2020, 6, 1) not in {
        f.period_start
        for f in evaluate(
            [OB],
            gather_facts(session, at(2020, 7, 8, 3), ["src"], registry=REGISTRY),
            at(2020, 7, 8, 3),
        )
    }
