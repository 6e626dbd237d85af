"""Reparse re-derives records from the archive with the current parser: new observations are
tagged with the new version, old ones stay, a version already applied is skipped, and old
evidence never rewrites the present (newer readings, removals)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest
import responses
from sqlalchemy import func, select

from fetch_fakes import (
    LISTING,
    R1,
    R2,
    SOURCE,
    Site,
    good_site,
    listing_html,
    make_fetcher,
    parse,
    pdf,
    registered,
)
from monitor.fetching import new_cycle, poll_source
from monitor.models import CountObservation, Parse, Report
from monitor.reparsing import reparse_source
from scrapers.registry import RegisteredSource

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
LATER = T0 + timedelta(days=30)
V2 = dataclasses.replace(SOURCE, parser_version="2")


def parse_v2(doc):
    """Version 2 reads the same documents and also labels each report's title as v2."""
    result = parse(doc)
    result = dataclasses.replace(result, parser_version="2")
    for report in result.reports:
        report.title = f"{report.title} [v2]" if report.title else None
    return result


def registered_v2() -> RegisteredSource:
    return RegisteredSource(V2, parse_v2)


@pytest.fixture
def site():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield Site(rsps)


def poll(session, archive, now, reg=None, fetcher=None):
    fetcher = fetcher or make_fetcher()[0]
    return poll_source(
        session, archive, fetcher, reg or registered(), now=now, cycle=new_cycle(now)
    )


def _versions(session):
    return sorted(
        session.execute(select(CountObservation.parser_version, CountObservation.value)).all()
    )


def test_reparse_adds_new_version_keeps_old_and_skips_on_repeat(session, archive, site):
    good_site(site)
    poll(session, archive, T0)
    items = reparse_source(session, archive, registered_v2(), now=LATER)
    assert [i.outcome for i in items] == ["ok", "ok", "ok"]
    assert sum(i.counts for i in items) == 2
    assert _versions(session) == [("1", 7.0), ("1", 9.0), ("2", 7.0), ("2", 9.0)]
    parse_rows = session.execute(
        select(Parse.parser_version, Parse.parsed_at).where(Parse.parser_version == "2")
    ).all()
    assert {at for _v, at in parse_rows} == {LATER}
    # observations are dated by the evidence they come from, not by the reparse
    assert LATER not in set(session.scalars(select(CountObservation.observed_at)))
    titles = set(session.scalars(select(Report.title)))
    assert titles == {"Report one [v2]", "Report two [v2]"}

    again = reparse_source(session, archive, registered_v2(), now=LATER + timedelta(hours=1))
    assert [i.outcome for i in again] == ["skipped"] * 3
    assert session.scalar(select(func.count()).select_from(CountObservation)) == 4


def test_older_evidence_does_not_replace_a_newer_reading(session, archive, site):
    good_site(site)
    poll(session, archive, T0)
    site.page(R2, pdf("Report two revised", 10), content_type="application/pdf")
    # parser v2 ships; the next poll reads the revised R2 with v2
    poll(session, archive, T0 + timedelta(days=8), reg=registered_v2())
    revised = session.scalar(select(Report).where(Report.url == R2))
    assert revised.title == "Report two revised [v2]"
    newest_snapshot = revised.snapshot_id

    items = reparse_source(session, archive, registered_v2(), now=LATER)
    # the poll already read every current body with v2; only the old R2 body is left
    assert sorted((i.outcome, i.url) for i in items)[0] == ("ok", R2)
    assert sorted(i.outcome for i in items) == ["ok", "skipped", "skipped", "skipped"]
    session.expire_all()
    report = session.scalar(select(Report).where(Report.url == R2))
    assert (report.title, report.snapshot_id) == ("Report two revised [v2]", newest_snapshot)
    assert ("2", 9.0) in _versions(session)  # the old snapshot was still read by v2


def test_reparse_does_not_bring_back_a_removed_report(session, archive, site):
    good_site(site)
    poll(session, archive, T0)
    site.page(LISTING, listing_html(R2))
    t1 = T0 + timedelta(days=1)
    poll(session, archive, t1, reg=registered_v2())  # the new listing is read by v2 already
    assert session.scalar(select(Report.removed_at).where(Report.url == R1)) == t1

    reparse_source(session, archive, registered_v2(), now=LATER)
    session.expire_all()
    removed = dict(session.execute(select(Report.url, Report.removed_at)).all())
    assert removed == {R1: t1, R2: None}
    assert session.scalar(select(Report.last_seen).where(Report.url == R2)) == t1


def test_a_missing_body_is_reported_and_the_rest_reparsed(session, archive, site):
    good_site(site)
    first = poll(session, archive, T0)
    archive.path(first.runs[1].sha256).unlink()
    items = reparse_source(session, archive, registered_v2(), now=LATER)
    by_url = {i.url: i for i in items}
    assert by_url[R1].outcome == "missing" and "missing" in by_url[R1].error
    assert by_url[R2].outcome == "ok" and by_url[LISTING].outcome == "ok"


def test_reparse_command(cli_db, registries, session, archive, site, tmp_path):
    from scrapers.registry import Registry

    home = tmp_path / "home"
    from scrapers.fetch.archive import Archive

    cli_archive = Archive(home / "archive")
    good_site(site)
    poll(session, cli_archive, T0)
    session.commit()
    registries.sources = Registry([registered_v2()])
    rc, out, err = cli_db("reparse", "fake_agency", "--json")
    assert rc == 0, err
    rows = json.loads(out)
    assert [r["outcome"] for r in rows] == ["ok", "ok", "ok"]
    assert {r["parser_version"] for r in rows} == {"2"}
    rc, out, _ = cli_db("reparse", "fake_agency")
    assert rc == 0 and "0 parsed, 3 already read by this version, 0 missing" in out
