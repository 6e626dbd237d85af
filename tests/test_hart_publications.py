"""The HART disclosure through DHS's privacy publications (issue 17, item 1), on SQLite and
PostgreSQL: each page read is a revision of its document (a changed Last Published date adds
one, the old is kept); a listing read after the deadline without a candidate is `missing`; a
qualifying document is a `review` finding naming it and the terms that matched; a person's
`monitor evidence --from-report` fulfils the obligation (late, by the document's date) and is
recorded with who and when; bad pages are typed problems that keep the obligation `unknown`."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from monitor.models import AuditEntry, ManualEvidence, PublicationRevision, Report
from scrapers.sources.dhs_hart_publications import HART_PAGE, PRIVACY_LIBRARY

from hart_kit import FIXTURES, OB, PIA005
from hart_kit import hart as _hart
from hart_kit import ingest as _ingest
from hart_kit import rows as _rows

UTC = timezone.utc


def test_a_changed_last_published_date_is_a_new_revision_and_the_old_is_kept(
    cli_db, db_url, tmp_path
):
    rc, first = _ingest(
        cli_db, "hart_pia004_2021_drupal_reconstructed.html", HART_PAGE, "2022-03-02T14:00:00Z"
    )
    assert rc == 0 and first["outcome"] == "ok"
    # the same page again: nothing new
    rc, again = _ingest(
        cli_db, "hart_pia004_2021_drupal_reconstructed.html", HART_PAGE, "2022-03-03T14:00:00Z"
    )
    assert rc == 0 and again["already_parsed"]
    # DHS moves the Last Published date (and nothing else)
    body = (
        (FIXTURES / "hart_pia004_2021_drupal_reconstructed.html")
        .read_bytes()
        .replace(b"Last Published Date: July 6, 2021", b"Last Published Date: April 4, 2022")
    )
    rc, moved = _ingest(
        cli_db, "moved.html", HART_PAGE, "2022-04-05T14:00:00Z", body=body, tmp_path=tmp_path
    )
    assert rc == 0 and moved["outcome"] == "ok"
    # the same reading in another body (markup noise) is no new revision
    noisy = body.replace(b"</body>", b"<!-- cache 2 --></body>")
    _ingest(cli_db, "noisy.html", HART_PAGE, "2022-04-06T14:00:00Z", body=noisy, tmp_path=tmp_path)
    # the 2024 update on the same URL
    rc, update = _ingest(
        cli_db, "hart_pia004a_2024_uswds_reconstructed.html", HART_PAGE, "2024-08-27T14:00:00Z"
    )
    assert rc == 0
    (report,) = _rows(db_url, Report, Report.url == HART_PAGE)
    revisions = sorted(
        _rows(db_url, PublicationRevision, PublicationRevision.report_id == report.id),
        key=lambda r: r.revision,
    )
    got = [(r.revision, r.document_id, r.kind, r.last_published, r.last_updated) for r in revisions]
    assert got == [
        (1, "DHS/OBIM/PIA-004", "pia", date(2021, 7, 6), None),
        (2, "DHS/OBIM/PIA-004", "pia", date(2022, 4, 4), None),
        (3, "DHS/OBIM/PIA-004(a)", "pia_update", None, date(2024, 8, 26)),
    ]
    assert revisions[0].created == date(2020, 5, 1) and revisions[0].mentions_hart
    assert revisions[2].pdf_url.endswith("24_0826_priv_pia-obim-004a-HART-update.pdf")
    assert len({r.snapshot_id for r in revisions}) == 3  # each from its own snapshot


def test_listing_read_after_the_deadline_without_a_candidate_is_missing(cli_db):
    _ingest(cli_db, "hart_pia004_2021_drupal_reconstructed.html", HART_PAGE, "2022-06-01T14:00:00Z")
    rc, read = _ingest(
        cli_db,
        "privacy_library_other_programmes_reconstructed.html",
        PRIVACY_LIBRARY,
        "2022-06-01T14:05:00Z",
    )
    assert rc == 0 and read["outcome"] == "ok" and read["links"] == 0
    finding = _hart(cli_db)
    assert finding["kind"] == "missing"
    reads = {r["url"] for r in finding["evidence"]["listing_reads"]}
    assert reads == {HART_PAGE, PRIVACY_LIBRARY}


def test_a_qualifying_document_is_proposed_and_a_person_confirms_it(cli_db, db_url):
    _ingest(cli_db, "hart_pia004_2021_drupal_reconstructed.html", HART_PAGE, "2022-06-01T14:00:00Z")
    _ingest(
        cli_db,
        "privacy_library_other_programmes_reconstructed.html",
        PRIVACY_LIBRARY,
        "2022-06-01T14:05:00Z",
    )
    assert _hart(cli_db)["kind"] == "missing"
    # the HART page carries the 2024 update
    _ingest(cli_db, "hart_pia004a_2024_uswds_reconstructed.html", HART_PAGE, "2024-08-27T14:00:00Z")
    finding = _hart(cli_db)
    assert finding["kind"] == "review" and "DHS/OBIM/PIA-004(a)" in finding["summary"]
    (candidate,) = finding["evidence"]["candidates"]
    assert candidate["document_id"] == "DHS/OBIM/PIA-004(a)"
    assert candidate["published"] == "2024-08-26" and candidate["published_label"] == "Last Updated"
    assert set(candidate["matched_subjects"]) == {
        "technologies",
        "data collection mechanisms",
        "sharing agreements",
    }
    assert "ISAA" in candidate["matched_subjects"]["sharing agreements"]
    assert "after the requirement's enactment on 2022-03-15" in candidate["why"]
    report_id = candidate["report_id"]
    assert candidate["confirm"] == f"monitor evidence {OB} --from-report {report_id} --by NAME"

    # a report of another obligation's source, or one that does not exist, is refused
    rc, _, err = cli_db("evidence", OB, "--from-report", "999999", "--by", "ana")
    assert rc == 1 and "no report with id 999999" in err
    rc, _, err = cli_db("evidence", OB, "--by", "ana")
    assert rc == 1 and "--from-report" in err

    rc, out, err = cli_db("evidence", OB, "--from-report", str(report_id), "--by", "ana", "--json")
    assert rc == 0, err
    recorded = json.loads(out)
    assert recorded["report_id"] == report_id and recorded["by"] == "ana"
    assert recorded["date"] == "2024-08-26" and "DHS/OBIM/PIA-004(a)" in recorded["note"]
    rc, _, err = cli_db("evidence", OB, "--from-report", str(report_id), "--by", "bo")
    assert rc == 1 and "already confirmed" in err

    finding = _hart(cli_db)
    assert finding["kind"] == "late" and finding["evidence"]["days_late"] == 833
    assert "ana" in finding["evidence"]["publication"]["basis"]
    (row,) = _rows(db_url, ManualEvidence, ManualEvidence.obligation_id == OB)
    assert (row.report_id, row.recorded_by) == (report_id, "ana")
    assert row.recorded_at.tzinfo is not None
    (audit,) = _rows(db_url, AuditEntry, AuditEntry.action == "evidence")
    assert audit.actor == "ana" and audit.details["report_id"] == report_id
    assert audit.details["proposed_by_monitor"] is True


def test_the_demo_listing_links_the_obim_assessment_which_is_proposed(cli_db):
    rc, listing = _ingest(
        cli_db, "privacy_library_uswds_reconstructed.html", PRIVACY_LIBRARY, "2022-09-28T14:00:00Z"
    )
    assert rc == 0 and listing["new_reports"] == [PIA005]
    _ingest(
        cli_db,
        "pia005_obim_nist_page_reconstructed.html",
        PIA005,
        "2022-09-28T14:01:00Z",
        listing=False,
    )
    _ingest(cli_db, "hart_pia004_2021_drupal_reconstructed.html", HART_PAGE, "2022-09-28T14:02:00Z")
    finding = _hart(cli_db, "--as-of", "2022-09-30", "--dry-run")
    assert finding["kind"] == "review"
    (candidate,) = finding["evidence"]["candidates"]
    assert candidate["document_id"] == "DHS/OBIM/PIA-005"
    assert set(candidate["matched_subjects"]) == {"technologies", "sharing agreements"}


@pytest.mark.parametrize(
    "name,outcome",
    [
        ("bad_redesigned_page_reconstructed.html", "layout_changed"),
        ("bad_empty_listing_reconstructed.html", "empty"),
    ],
)
def test_a_bad_page_is_a_typed_problem_and_never_a_silent_pass(cli_db, name, outcome):
    url = PRIVACY_LIBRARY if "listing" in name else HART_PAGE
    # read well before the deadline, then only badly after it
    _ingest(cli_db, "hart_pia004_2021_drupal_reconstructed.html", HART_PAGE, "2022-05-01T14:00:00Z")
    _ingest(
        cli_db,
        "privacy_library_other_programmes_reconstructed.html",
        PRIVACY_LIBRARY,
        "2022-05-01T14:05:00Z",
    )
    rc, read = _ingest(cli_db, name, url, "2022-06-01T14:00:00Z")
    assert read["outcome"] == outcome
    assert outcome in {p["kind"] for p in read["problems"]}
    rc, out, err = cli_db("problems", "--json")
    assert rc == 0 and outcome in out
    finding = _hart(cli_db, "--as-of", "2022-06-02T00:00:00Z", "--dry-run")
    # the bad read is no listing read: absence is not observed
    assert finding["kind"] == "unknown", finding["summary"]
    assert datetime(2022, 6, 1, tzinfo=UTC)  # the read happened after the deadline


def test_the_next_daily_poll_observes_a_changed_date_on_a_page_the_library_links(session, archive):
    """A page the library links is asked again by every poll (conditionally): when DHS moves its
    Last Updated date, the next day's poll adds a revision, the older one kept."""
    from datetime import timedelta

    import responses

    from fetch_fakes import Site, make_fetcher
    from monitor.fetching import new_cycle, poll_source
    from scrapers.registry import RegisteredSource
    from scrapers.sources import dhs_hart_publications as hart_source

    page = (FIXTURES / "pia005_obim_nist_page_reconstructed.html").read_bytes()
    registered = RegisteredSource(hart_source.SOURCE, hart_source.parse)
    day = datetime(2022, 9, 28, 14, tzinfo=UTC)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site = Site(rsps)
        site.page(
            PRIVACY_LIBRARY, (FIXTURES / "privacy_library_uswds_reconstructed.html").read_bytes()
        )
        site.page(PIA005, page)
        fetcher, _slept = make_fetcher()
        for n, body in enumerate((page, page, page.replace(b"09/12/2022", b"09/29/2022"))):
            site.page(PIA005, body)
            now = day + timedelta(days=n)
            poll_source(session, archive, fetcher, registered, now=now, cycle=new_cycle(now))
    assert site.hits[PIA005] == 3  # asked every day; the second answer was a 304
    (report,) = session.query(Report).filter(Report.url == PIA005).all()
    revisions = session.query(PublicationRevision).filter_by(report_id=report.id).all()
    assert sorted((r.revision, r.last_updated) for r in revisions) == [
        (1, date(2022, 9, 12)),
        (2, date(2022, 9, 29)),
    ]
