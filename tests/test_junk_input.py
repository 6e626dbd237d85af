"""Junk is typed as junk. A PNG, a JPEG, a ZIP, random bytes or an HTML page handed to a source
as a PDF report is ``wrong_type`` (its magic bytes are checked before a reader is chosen), never
a listing whose layout changed. `monitor parse` exits 1; `monitor ingest` exits 1 and stores only
the evidence (archived body, snapshot, the parse's problem and the fetch run with its typed
outcome), never a report or a count. Ingest tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from junk_bodies import GZIP, HTML_PAGE, JPEG, PNG, RANDOM, XLSX, ZIP
from monitor.models import (
    CountObservation,
    FetchRun,
    Parse,
    ParseProblem,
    Report,
    Snapshot,
    Statement,
)
from scrapers.registry import Registry

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MAY_2022 = (
    "https://www.dhs.gov/sites/default/files/2022-10/"
    "2022_0920_plcy_familly_unit_actions_report_may_2022.pdf"
)
HHS_INDEX = (
    "https://www.hhs.gov/programs/social-services/unaccompanied-children/"
    "report-to-congress-on-separated-children/index.html"
)
# every source that reads documents (PDF or HTML): junk handed as a document is junk to each
SOURCES = tuple(
    r.id for r in Registry().all() if {"application/pdf", "text/html"} & set(r.source.content_types)
)


# name -> (file name, bytes, words the problem must use)
JUNK = {
    "png": ("report.pdf", PNG, "a PNG image"),
    "jpeg": ("report.pdf", JPEG, "a JPEG image"),
    "zip": ("report.pdf", ZIP, "a ZIP archive"),
    "xlsx": ("report.pdf", XLSX, "Excel workbook"),
    "gzip": ("report.pdf.gz", GZIP, "a gzip archive"),
    "random_bytes": ("report.pdf", RANDOM, "binary data"),
    "html_page_named_pdf": ("report.pdf", HTML_PAGE, "given as a PDF but is an HTML page"),
}


def _write(tmp_path: Path, case: str) -> tuple[Path, bytes, str]:
    name, body, words = JUNK[case]
    path = tmp_path / case / name
    path.parent.mkdir()
    path.write_bytes(body)
    return path, body, words


def _count(engine, model, *where) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("case", sorted(JUNK))
@pytest.mark.parametrize("source", SOURCES)
def test_monitor_parse_calls_junk_wrong_type_and_exits_1(cli, tmp_path, source, case):
    path, _body, words = _write(tmp_path, case)
    rc, out, err = cli("parse", source, str(path), "--json", "--url", MAY_2022)
    assert rc == 1 and "Traceback" not in err
    data = json.loads(out)
    assert [p["kind"] for p in data["problems"]] == ["wrong_type"]
    assert words in data["problems"][0]["detail"]
    assert data["reports"] == [] and data["counts"] == [] and data["links"] == []
    rc, out, _err = cli("parse", source, str(path))
    assert rc == 1 and f"{source} (parser" in out and ": wrong_type " in out


@pytest.mark.parametrize("case", sorted(JUNK))
def test_monitor_ingest_of_junk_exits_1_and_stores_only_the_evidence(
    cli_db, engine, tmp_path, monitor_env, case
):
    path, body, words = _write(tmp_path, case)
    rc, out, err = cli_db(
        "ingest",
        "dhs_family_unit_actions",
        str(path),
        "--json",
        "--url",
        MAY_2022,
        "--fetched-at",
        "2022-10-01",
    )
    assert rc == 1 and "Traceback" not in err
    summary = json.loads(out)
    assert summary["outcome"] == "wrong_type" and summary["counts"] == 0
    with Session(engine) as s:
        run = s.scalar(select(FetchRun))
        assert (run.cycle, run.outcome) == ("ingest", "wrong_type")
        assert run.error.startswith("wrong_type: ") and words in run.error
        snapshot = s.scalar(select(Snapshot))
        assert run.snapshot_id == snapshot.id and snapshot.url == MAY_2022
        assert (s.scalar(select(Parse.outcome)), s.scalar(select(ParseProblem.kind))) == (
            "wrong_type",
            "wrong_type",
        )
    assert _count(engine, Snapshot) == 1
    assert _count(engine, Report) == 0 and _count(engine, CountObservation) == 0
    assert _count(engine, Statement) == 0
    from scrapers.fetch.archive import Archive, sha256_hex

    assert Archive(monitor_env / "archive").get(sha256_hex(body)) == body  # the evidence is kept
    rc, out, _err = cli_db(
        "ingest",
        "dhs_family_unit_actions",
        str(path),
        "--json",
        "--url",
        MAY_2022,
        "--fetched-at",
        "2022-10-02",
    )
    assert rc == 1 and json.loads(out)["outcome"] == "wrong_type"  # the same bytes again: still
    assert _count(engine, Snapshot) == 1 and _count(engine, Report) == 0  # typed, nothing new


def test_junk_given_as_a_listing_removes_no_report_the_listing_carried(cli_db, engine, tmp_path):
    rc, out, _err = cli_db(
        "ingest",
        "hhs_separated_children",
        str(FIXTURES / "hhs_separated_children" / "listing_index_2022_reconstructed.html"),
        "--listing",
        "--url",
        HHS_INDEX,
        "--fetched-at",
        "2022-09-30",
        "--json",
    )
    assert rc == 0 and len(json.loads(out)["new_reports"]) == 7
    png = tmp_path / "index.html"
    png.write_bytes(JUNK["png"][1])
    rc, out, _err = cli_db(
        "ingest",
        "hhs_separated_children",
        str(png),
        "--listing",
        "--url",
        HHS_INDEX,
        "--fetched-at",
        "2022-10-01",
        "--json",
    )
    assert rc == 1 and json.loads(out)["outcome"] == "wrong_type"
    with Session(engine) as s:
        assert (
            s.scalar(select(func.count()).select_from(Report).where(Report.removed_at.is_not(None)))
            == 0
        )
        assert s.scalars(select(FetchRun.outcome).order_by(FetchRun.id)).all() == [
            "ok",
            "wrong_type",
        ]


def test_a_saved_page_named_for_what_it_is_is_still_read(cli, tmp_path):
    """Only a page handed over AS a PDF is wrong_type: the same bytes saved as .html are read."""
    _path, body, _words = _write(tmp_path, "html_page_named_pdf")
    page = tmp_path / "page.html"
    page.write_bytes(body)
    rc, out, _err = cli("parse", "dhs_family_unit_actions", str(page), "--json", "--url", MAY_2022)
    kinds = [p["kind"] for p in json.loads(out)["problems"]]
    assert rc == 1 and kinds == ["layout_changed"]
