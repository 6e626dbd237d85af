"""`monitor ingest`: a document obtained by hand goes through the fetch path - archive, parse,
validate, store - as if fetched at --fetched-at, with one fetch_runs row (cycle "ingest").
Bad documents store their evidence and run row but no report, count or zero."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.models import CountObservation, FetchRun, Report, Snapshot, Statement

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DHS = FIXTURES / "dhs_family_unit_actions"
HHS = FIXTURES / "hhs_separated_children"
MAY_2022 = (
    "https://www.dhs.gov/sites/default/files/2022-10/"
    "2022_0920_plcy_familly_unit_actions_report_may_2022.pdf"
)
HHS_INDEX = (
    "https://www.hhs.gov/programs/social-services/unaccompanied-children/"
    "report-to-congress-on-separated-children/index.html"
)


def _count(engine, model, *where) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _ingest(cli_db, source, path, *args):
    rc, out, err = cli_db("ingest", source, str(path), "--json", *args)
    return rc, (json.loads(out) if out.strip().startswith("{") else None), err


def test_a_report_is_stored_as_if_fetched_then_repeating_it_stores_nothing_new(cli_db, engine):
    rc, out, err = _ingest(
        cli_db,
        "dhs_family_unit_actions",
        DHS / "fuar_may2022_reconstructed.pdf",
        "--url",
        MAY_2022,
        "--fetched-at",
        "2022-09-30T12:00:00Z",
    )
    assert rc == 0 and out["outcome"] == "ok" and out["counts"] == 23 and out["statements"] == 1
    with Session(engine) as s:
        run = s.scalar(select(FetchRun))
        assert (run.cycle, run.outcome, run.url) == ("ingest", "ok", MAY_2022)
        assert run.started_at == datetime(2022, 9, 30, 12, tzinfo=timezone.utc)
        assert run.snapshot_id == s.scalar(select(Snapshot.id))
        report = s.scalar(select(Report))
        assert (report.url, str(report.period_start), str(report.period_end)) == (
            MAY_2022,
            "2021-10-01",
            "2022-05-31",
        )
        assert report.authorities == ["P.L. 117-103"] and report.fiscal_year == 2022
        assert s.scalar(select(Statement.status)) == "ambiguous"
    rc, out, _err = _ingest(
        cli_db,
        "dhs_family_unit_actions",
        DHS / "fuar_may2022_reconstructed.pdf",
        "--url",
        MAY_2022,
        "--fetched-at",
        "2022-10-01",
    )
    assert rc == 0 and out["already_parsed"] and out["counts"] == 0
    assert _count(engine, CountObservation) == 23
    assert _count(engine, FetchRun) == 2
    with Session(engine) as s:
        assert s.scalars(select(FetchRun.outcome).order_by(FetchRun.id)).all() == [
            "ok",
            "unchanged",
        ]


BAD = [
    (DHS / "bad_truncated_reconstructed.pdf", "parse_error"),
    (DHS / "bad_encrypted_reconstructed.pdf", "parse_error"),
    (DHS / "bad_corrupt.pdf", "parse_error"),
    (DHS / "bad_empty_0_bytes.pdf", "empty"),
]


@pytest.mark.parametrize("path,outcome", BAD, ids=[b[0].name for b in BAD])
def test_an_unreadable_document_keeps_its_evidence_and_exits_1(cli_db, engine, path, outcome):
    rc, out, err = _ingest(cli_db, "dhs_family_unit_actions", path, "--url", MAY_2022)
    assert rc == 1 and out["outcome"] == outcome and "Traceback" not in err
    with Session(engine) as s:
        run = s.scalar(select(FetchRun))
        assert run.outcome == outcome and run.cycle == "ingest" and outcome in run.error
    assert _count(engine, Snapshot) == 1  # the evidence is archived
    assert _count(engine, Report) == 0 and _count(engine, CountObservation) == 0


def test_a_table_of_withheld_cells_stores_no_zero(cli_db, engine):
    rc, out, err = _ingest(
        cli_db,
        "dhs_family_unit_actions",
        DHS / "bad_non_numeric_reconstructed.pdf",
        "--url",
        MAY_2022,
    )
    assert rc == 0 and out["outcome"] == "layout_changed" and "no counts stored" in err
    assert {p["kind"] for p in out["problems"]} == {"non_numeric"}
    assert _count(engine, CountObservation) == 0
    assert _count(engine, Report) == 1  # the metadata that could be read is kept


def test_a_bad_copy_later_does_not_lose_what_was_stored(cli_db, engine):
    _ingest(
        cli_db,
        "dhs_family_unit_actions",
        DHS / "fuar_may2022_reconstructed.pdf",
        "--url",
        MAY_2022,
        "--fetched-at",
        "2022-09-30",
    )
    rc, _out, _err = _ingest(
        cli_db,
        "dhs_family_unit_actions",
        DHS / "bad_truncated_reconstructed.pdf",
        "--url",
        MAY_2022,
        "--fetched-at",
        "2022-10-30",
    )
    assert rc == 1
    assert _count(engine, CountObservation) == 23
    with Session(engine) as s:
        report = s.scalar(select(Report))
        assert report.title.startswith("Family Unit Actions Report") and report.page_count == 6


def test_a_listing_makes_a_report_of_every_link(cli_db, engine):
    rc, out, _err = _ingest(
        cli_db,
        "hhs_separated_children",
        HHS / "listing_index_2022_reconstructed.html",
        "--listing",
        "--url",
        HHS_INDEX,
        "--fetched-at",
        "2022-09-30",
    )
    assert rc == 0 and out["links"] == 7 and len(out["new_reports"]) == 7
    with Session(engine) as s:
        titles = set(s.scalars(select(Report.title)))
        assert "June 2022" in titles and "April 2022" not in titles
        assert set(s.scalars(select(Report.listed_on))) == {HHS_INDEX}


def test_without_url_the_file_address_is_used_and_said(cli_db, engine):
    rc, out, err = _ingest(cli_db, "hhs_separated_children", HHS / "june_2022_reconstructed.html")
    assert (
        rc == 0
        and out["url"].startswith("file://")
        and out["url"].endswith("june_2022_reconstructed.html")
    )
    assert "warning: no --url given" in err


@pytest.mark.parametrize(
    "args,message",
    [
        (["--fetched-at", "yesterday"], "not an ISO date"),
        (["--url", "https://x.gov/a"], "no such file"),
    ],
)
def test_bad_arguments_are_one_line_and_store_nothing(cli_db, engine, tmp_path, args, message):
    path = (
        HHS / "june_2022_reconstructed.html" if "--fetched-at" in args else tmp_path / "none.html"
    )
    rc, _out, err = cli_db("ingest", "hhs_separated_children", str(path), *args)
    assert rc == 1 and message in err and len(err.strip().splitlines()) == 1
    assert _count(engine, FetchRun) == 0
