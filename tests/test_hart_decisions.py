"""A person rejects one proposed HART document (`monitor evidence dhs_hart_disclosure
--reject-report REPORT_ID --by NAME --reason TEXT`), on SQLite and PostgreSQL: the rejection is
recorded with who, when and why and nothing is deleted; the document leaves the `review`
finding; without another candidate a listing read after the deadline makes the obligation
`missing`; for one document the later of a confirmation and a rejection stands, with both kept;
a rejected document comes back only when revised with another date; bad input is a typed
error."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from hart_kit import OB, PIA005, FIXTURES, hart, ingest, rows
from monitor.models import (
    AuditEntry,
    CandidateDecision,
    ManualEvidence,
    PublicationRevision,
    Report,
)
from scrapers.sources.dhs_hart_publications import HART_PAGE, PRIVACY_LIBRARY

UPDATE = "hart_pia004a_2024_uswds_reconstructed.html"


def _watched_then_updated(cli_db) -> int:
    """The HART page (2021) and a listing without HART read after the deadline (missing),
    then the page carrying the August 2024 update: the update's report id (proposed)."""
    ingest(cli_db, "hart_pia004_2021_drupal_reconstructed.html", HART_PAGE, "2022-06-01T14:00:00Z")
    ingest(
        cli_db,
        "privacy_library_other_programmes_reconstructed.html",
        PRIVACY_LIBRARY,
        "2022-06-01T14:05:00Z",
    )
    assert hart(cli_db)["kind"] == "missing"
    ingest(cli_db, UPDATE, HART_PAGE, "2024-08-27T14:00:00Z")
    finding = hart(cli_db)
    assert finding["kind"] == "review"
    (candidate,) = finding["evidence"]["candidates"]
    assert candidate["reject"] == (
        f"monitor evidence {OB} --reject-report {candidate['report_id']} --by NAME --reason TEXT"
    )
    return candidate["report_id"]


def _reject(cli_db, report_id, by="ana", reason="an assessment update, not the disclosure"):
    return cli_db(
        "evidence", OB, "--reject-report", str(report_id), "--by", by, "--reason", reason, "--json"
    )


def test_rejecting_the_only_candidate_makes_the_obligation_missing(cli_db, db_url):
    report_id = _watched_then_updated(cli_db)
    revisions_before = len(rows(db_url, PublicationRevision))
    rc, out, err = _reject(cli_db, report_id)
    assert rc == 0, err
    decision = json.loads(out)
    assert (decision["decision"], decision["by"], decision["report_id"]) == (
        "rejected",
        "ana",
        report_id,
    )
    assert decision["published"] == "2024-08-26" and decision["revision"] == 2

    finding = hart(cli_db)
    assert finding["kind"] == "missing"
    (gone,) = finding["evidence"]["rejected_candidates"]
    assert (gone["report_id"], gone["rejected_by"]) == (report_id, "ana")
    assert gone["reason"] == "an assessment update, not the disclosure"
    # recorded with who, when and why; nothing deleted
    (row,) = rows(db_url, CandidateDecision, CandidateDecision.obligation_id == OB)
    assert (row.decision, row.decided_by, row.report_id) == ("rejected", "ana", report_id)
    assert row.decided_at.tzinfo is not None
    (audit,) = rows(db_url, AuditEntry, AuditEntry.action == "reject_candidate")
    assert audit.actor == "ana" and audit.note == "an assessment update, not the disclosure"
    assert audit.details["report_id"] == report_id
    assert len(rows(db_url, PublicationRevision)) == revisions_before
    assert rows(db_url, Report, Report.id == report_id)


def test_a_rejection_closes_that_candidate_only(cli_db):
    ingest(cli_db, "privacy_library_uswds_reconstructed.html", PRIVACY_LIBRARY, "2022-09-28T14:00Z")
    ingest(
        cli_db,
        "pia005_obim_nist_page_reconstructed.html",
        PIA005,
        "2022-09-28T14:01Z",
        listing=False,
    )
    ingest(cli_db, UPDATE, HART_PAGE, "2024-08-27T14:00:00Z")
    finding = hart(cli_db)
    assert finding["kind"] == "review"
    ids = {c["document_id"]: c["report_id"] for c in finding["evidence"]["candidates"]}
    assert set(ids) == {"DHS/OBIM/PIA-005", "DHS/OBIM/PIA-004(a)"}
    rc, _, err = _reject(cli_db, ids["DHS/OBIM/PIA-005"], reason="a NIST data transfer only")
    assert rc == 0, err
    after = hart(cli_db)
    assert after["id"] == finding["id"] and after["kind"] == "review"  # the same finding
    assert [c["document_id"] for c in after["evidence"]["candidates"]] == ["DHS/OBIM/PIA-004(a)"]
    assert after["summary"].startswith(finding["summary"].split(":")[0])
    assert "DHS/OBIM/PIA-005" not in after["summary"]
    (gone,) = after["evidence"]["rejected_candidates"]
    assert gone["report_id"] == ids["DHS/OBIM/PIA-005"]


def test_the_later_of_a_confirmation_and_a_rejection_stands_and_both_are_kept(cli_db, db_url):
    report_id = _watched_then_updated(cli_db)
    rc, _, err = cli_db("evidence", OB, "--from-report", str(report_id), "--by", "ana")
    assert rc == 0, err
    assert hart(cli_db)["kind"] == "late"

    rc, _, err = _reject(cli_db, report_id, by="bo", reason="the committees never received it")
    assert rc == 0, err
    assert hart(cli_db)["kind"] == "missing"  # the confirmation no longer counts
    (evidence,) = rows(db_url, ManualEvidence, ManualEvidence.obligation_id == OB)
    assert evidence.report_id == report_id  # ... and is still on record

    rc, _, err = _reject(cli_db, report_id, by="cy")
    assert rc == 1 and "already rejected" in err

    rc, _, err = cli_db("evidence", OB, "--from-report", str(report_id), "--by", "cy")
    assert rc == 0, err
    finding = hart(cli_db)
    assert finding["kind"] == "late" and finding["evidence"]["days_late"] == 833
    assert "cy" in finding["evidence"]["publication"]["basis"]

    decisions = sorted(
        rows(db_url, CandidateDecision, CandidateDecision.obligation_id == OB), key=lambda d: d.id
    )
    assert [(d.decision, d.decided_by) for d in decisions] == [
        ("confirmed", "ana"),
        ("rejected", "bo"),
        ("confirmed", "cy"),
    ]
    assert len(rows(db_url, ManualEvidence, ManualEvidence.obligation_id == OB)) == 2
    assert decisions[2].evidence_id != decisions[0].evidence_id
    assert (
        "replaces the rejection"
        in rows(db_url, ManualEvidence, ManualEvidence.id == decisions[2].evidence_id)[0].note
    )


def test_a_rejected_document_comes_back_only_with_another_date(cli_db, tmp_path):
    report_id = _watched_then_updated(cli_db)
    assert _reject(cli_db, report_id)[0] == 0
    page = (FIXTURES / UPDATE).read_bytes()
    # the same version read again, re-rendered (description edited, same date): still rejected
    edited = page.replace(b"While HART is not yet operational", b"While HART is not operational")
    assert edited != page
    ingest(cli_db, "edited.html", HART_PAGE, "2024-09-10T14:00:00Z", body=edited, tmp_path=tmp_path)
    assert hart(cli_db)["kind"] == "missing"
    # DHS revises it: a new Last Updated date is a new observation, proposed again
    revised = edited.replace(b"08/26/2024", b"10/15/2024")
    assert revised != edited
    ingest(
        cli_db, "revised.html", HART_PAGE, "2024-10-16T14:00:00Z", body=revised, tmp_path=tmp_path
    )
    finding = hart(cli_db)
    assert finding["kind"] == "review"
    (candidate,) = finding["evidence"]["candidates"]
    assert candidate["published"] == "2024-10-15" and candidate["report_id"] == report_id
    assert candidate["rejected_before"]["rejected_by"] == "ana"
    assert "proposed again: revised since ana rejected it" in candidate["why"]
    # ... and can be rejected again, for that revision
    rc, out, err = _reject(cli_db, report_id, by="bo", reason="still not the disclosure")
    assert rc == 0, err and json.loads(out)["published"] == "2024-10-15"
    assert hart(cli_db)["kind"] == "missing"


def test_an_evaluation_as_of_before_the_rejection_still_proposes_it(cli_db):
    report_id = _watched_then_updated(cli_db)
    assert _reject(cli_db, report_id)[0] == 0
    before = hart(cli_db, "--as-of", "2024-09-01", "--dry-run")
    assert before["kind"] == "review"
    assert "rejected_candidates" not in before["evidence"]


def test_bad_rejections_are_typed_errors(cli_db, db_url):
    ingest(cli_db, "hart_pia004_2021_drupal_reconstructed.html", HART_PAGE, "2022-06-01T14:00:00Z")
    (page,) = rows(db_url, Report, Report.url == HART_PAGE)
    rc, _, err = _reject(cli_db, 999999)
    assert rc == 1 and "no report with id 999999" in err and "Traceback" not in err
    rc, _, err = cli_db("evidence", OB, "--reject-report", str(page.id), "--by", "ana")
    assert rc == 1 and "--reason" in err
    rc, _, err = cli_db(
        "evidence", OB, "--reject-report", str(page.id), "--by", "ana", "--reason", " "
    )
    assert rc == 1 and "--reason" in err
    rc, _, err = cli_db(
        "evidence", OB, "--reject-report", str(page.id), "--by", "ana", "--reason", "x",
        "--date", "2024-08-26",
    )  # fmt: skip
    assert rc == 1 and "--date" in err
    rc, _, err = cli_db("evidence", OB, "--by", "ana", "--reason", "x", "--date", "2024-08-26")
    assert rc == 1 and "--reason goes with --reject-report" in err
    # the 2021 assessment predates the requirement: it was never a candidate
    rc, _, err = _reject(cli_db, page.id)
    assert rc == 1 and "not a candidate" in err
    rc, _, err = _reject(cli_db, page.id, by=" ")
    assert rc == 1 and "--by" in err
    assert rows(db_url, CandidateDecision) == []


def test_unknown_report_is_its_own_error_type(session):
    from monitor.confirmations import UnknownReport, reject_report
    from monitor.errors import NotFound
    from monitor.findings_sync import load_rules

    with pytest.raises(UnknownReport) as caught:
        reject_report(
            session,
            load_rules(),
            OB,
            424242,
            by="ana",
            reason="x",
            now=datetime(2026, 1, 1, tzinfo=timezone.utc),
        )
    assert isinstance(caught.value, NotFound) and "424242" in str(caught.value)
