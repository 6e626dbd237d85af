"""A HART candidate is judged on its body too once the PDF its page links was read (issue 17,
item 1, the body), on SQLite and PostgreSQL, with the real documents: the August 2024 page
(DHS's own description; reconstructed markup) and the text of its PDF as re-hosted (cover,
abstract and the start of the overview, real). The `review` finding says which terms matched
where (title, description, body), and when the PDF was not read it says the body is unknown and
why; the PDF is the page's body, never a candidate of its own."""

from __future__ import annotations

import pytest

from hart_kit import hart, ingest, rows
from monitor.models import PublicationRevision, Report
from scrapers.sources.dhs_hart_publications import HART_PAGE, PRIVACY_LIBRARY

PDF = "https://www.dhs.gov/sites/default/files/2024-08/24_0826_priv_pia-obim-004a-HART-update.pdf"


@pytest.fixture
def proposed(cli_db):
    """The HART page (2021) and a listing without HART read after the deadline, then the page
    carrying the August 2024 update, which links its PDF."""
    ingest(cli_db, "hart_pia004_2021_drupal_reconstructed.html", HART_PAGE, "2022-06-01T14:00:00Z")
    ingest(
        cli_db,
        "privacy_library_other_programmes_reconstructed.html",
        PRIVACY_LIBRARY,
        "2022-06-01T14:05:00Z",
    )
    rc, read = ingest(
        cli_db, "hart_pia004a_2024_uswds_reconstructed.html", HART_PAGE, "2024-08-27T14:00:00Z"
    )
    assert rc == 0 and PDF in read["new_reports"]  # the page links its PDF: the monitor follows it
    return cli_db


def test_before_its_pdf_is_read_the_body_is_unknown_and_said_so(proposed):
    (candidate,) = hart(proposed)["evidence"]["candidates"]
    assert candidate["body"] == {
        "state": "unknown",
        "pdf_url": PDF,
        "reason": "the PDF it links was not fetched yet",
    }
    assert "its body is unknown: the PDF it links was not fetched yet" in candidate["why"]
    assert all("body" not in places for places in candidate["mentions_where"].values())


def test_once_its_pdf_is_read_the_finding_says_which_terms_matched_where(proposed, db_url):
    rc, read = ingest(proposed, "hart_pia004a_pdf_partial.txt", PDF, "2024-08-27T14:05:00Z")
    assert rc == 0 and read["outcome"] == "ok"
    (pdf,) = rows(db_url, Report, Report.url == PDF)
    (revision,) = rows(db_url, PublicationRevision, PublicationRevision.report_id == pdf.id)
    assert revision.body.startswith("Download:") and "law enforcement system" in revision.body

    finding = hart(proposed)
    assert finding["kind"] == "review"
    (candidate,) = finding["evidence"]["candidates"]  # the PDF is the page's body, not its own
    assert candidate["url"] == HART_PAGE
    assert candidate["body"]["state"] == "read" and candidate["body"]["pdf_url"] == PDF
    where = candidate["matched_where"]
    # the overview, read only in the PDF: IDENT was built "for collecting and processing
    # biometric data"; the description says "collected fingerprints"
    assert where["data collection mechanisms"]["collect"] == ["description", "body"]
    assert where["technologies"]["biometric"] == ["description", "body"]
    assert where["sharing agreements"]["ISAA"] == ["description", "body"]
    assert candidate["mentions_where"]["HART"] == ["title", "description", "body"]
    assert "biometric [description, body]" in candidate["why"]
    assert "its body (the PDF) was read too" in candidate["why"]


def test_a_pdf_that_could_not_be_read_is_said_so(proposed, tmp_path):
    rc, read = ingest(
        proposed, "empty.pdf", PDF, "2024-08-27T14:05:00Z", body=b"", tmp_path=tmp_path
    )
    assert read["outcome"] == "empty"
    (candidate,) = hart(proposed)["evidence"]["candidates"]
    assert candidate["body"]["state"] == "unknown"
    assert candidate["body"]["reason"] == "the PDF it links could not be read (empty)"


def test_a_person_decides_on_the_page_not_on_its_pdf(proposed, db_url):
    ingest(proposed, "hart_pia004a_pdf_partial.txt", PDF, "2024-08-27T14:05:00Z")
    (pdf,) = rows(db_url, Report, Report.url == PDF)
    (page,) = rows(db_url, Report, Report.url == HART_PAGE)
    for decide in (
        ["--from-report", str(pdf.id)],
        ["--reject-report", str(pdf.id), "--reason", "x"],
    ):
        rc, _, err = proposed("evidence", "dhs_hart_disclosure", *decide, "--by", "ana")
        assert rc == 1 and f"the page of report {page.id} links" in err, err


def test_a_poll_fetches_the_pdf_of_the_hart_page_and_of_a_library_page(session, archive):
    """The HART page (a start URL) links its PDF, and so does a page the library links: one poll
    fetches both (a document's own links are followed one level), and the PDF read is stored
    with its text as the body. Served through `responses` (no network)."""
    from datetime import datetime, timezone

    import responses

    from fetch_fakes import Site, make_fetcher
    from hart_kit import FIXTURES, PIA005
    from monitor.fetching import new_cycle, poll_source
    from scrapers.registry import RegisteredSource
    from scrapers.sources import dhs_hart_publications as hart_source

    pia005_pdf = (
        "https://www.dhs.gov/sites/default/files/2022-09/"
        "privacy-pia-obim005-nist-data-transfer-reconstructed.pdf"
    )
    now = datetime(2024, 8, 27, 14, tzinfo=timezone.utc)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site = Site(rsps)
        site.page(HART_PAGE, (FIXTURES / "hart_pia004a_2024_uswds_reconstructed.html").read_bytes())
        site.page(
            PDF,
            (FIXTURES / "hart_pia004a_pdf_partial_reconstructed.pdf").read_bytes(),
            content_type="application/pdf",
        )
        site.page(
            PRIVACY_LIBRARY, (FIXTURES / "privacy_library_uswds_reconstructed.html").read_bytes()
        )
        site.page(PIA005, (FIXTURES / "pia005_obim_nist_page_reconstructed.html").read_bytes())
        fetcher, _slept = make_fetcher()
        registered = RegisteredSource(hart_source.SOURCE, hart_source.parse)
        result = poll_source(session, archive, fetcher, registered, now=now, cycle=new_cycle(now))
    assert not result.failed, [(r.url, r.outcome) for r in result.runs]
    assert site.hits[PDF] == 1 and site.hits[PIA005] == 1
    assert site.hits[pia005_pdf] == 1  # the library page's PDF: one level more (404 here)
    assert {r.url: r.outcome for r in result.runs}[PDF] == "ok", [
        (r.url, r.outcome, r.error) for r in result.runs
    ]
    (pdf,) = session.query(Report).filter(Report.url == PDF).all()
    (revision,) = session.query(PublicationRevision).filter_by(report_id=pdf.id).all()
    assert revision.body and "law enforcement system" in revision.body
    assert revision.document_id == "DHS/OBIM/PIA-004(a)" and "RECONSTRUCTED" in revision.body
