"""Requirement candidates: found in an official text taken in through the document path, stored
once, reviewed by a person (adopt writes a draft rule, reject records why), and used to verify
the citations the rules rest on. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "govinfo_appropriations"
CRPT = FIXTURES / "crpt_116hrpt180_htm_reconstructed.htm"
CRPT_URL = "https://api.govinfo.gov/packages/CRPT-116hrpt180/htm"
PLAW = FIXTURES / "plaw_116publ26_htm_reconstructed.htm"
PLAW_URL = "https://www.govinfo.gov/content/pkg/PLAW-116publ26/html/PLAW-116publ26.htm"


def _ingest(cli, path: Path, url: str) -> int:
    rc, out, err = cli(
        "ingest",
        "govinfo_appropriations",
        str(path),
        "--url",
        url,
        "--fetched-at",
        "2022-10-01T12:00:00Z",
    )
    assert "Traceback" not in err
    return rc


def _candidates(cli, *extra: str) -> list[dict]:
    rc, out, _err = cli("candidates", "--json", *extra)
    assert rc == 0
    return json.loads(out)


def _discovery_findings(cli) -> list[dict]:
    rc, out, _err = cli("findings", "--json", "--state", "all")
    assert rc == 0
    return [f for f in json.loads(out) if f.get("family") == "discovery"]


def test_an_ingested_committee_report_yields_candidates_each_with_one_finding(cli_db):
    assert _ingest(cli_db, CRPT, CRPT_URL) == 0
    found = _candidates(cli_db)
    assert len(found) == 3
    assert {c["status"] for c in found} == {"new"}
    assert {c["package"] for c in found} == {"CRPT-116hrpt180"}
    by_cadence = {c["cadence"]: c for c in found}
    assert by_cadence["one_time"]["days"] in (60, 90)
    hart = next(c for c in found if "hart" in c["topics"])
    assert hart["agency"] == "DHS" and hart["days"] == 60 and hart["quote"]
    findings = _discovery_findings(cli_db)
    assert len(findings) == 3
    assert {f["kind"] for f in findings} == {"new_requirement"}
    assert {f["state"] for f in findings} == {"open"}
    # read again: nothing new, nothing duplicated
    assert _ingest(cli_db, CRPT, CRPT_URL) == 0
    assert len(_candidates(cli_db)) == 3 and len(_discovery_findings(cli_db)) == 3


def test_reject_records_who_and_why_and_resolves_the_finding(cli_db):
    _ingest(cli_db, CRPT, CRPT_URL)
    target = _candidates(cli_db)[0]["id"]
    rc, out, err = cli_db(
        "reject", target, "--reason", "a cost study, not a report on separations", "--by", "analyst"
    )
    assert rc == 0, err
    row = next(c for c in _candidates(cli_db) if c["id"] == target)
    assert row["status"] == "rejected" and row["decided_by"] == "analyst"
    assert row["reason"] == "a cost study, not a report on separations"
    states = {f["evidence"]["candidate"]: f["state"] for f in _discovery_findings(cli_db)}
    assert states[target] == "resolved"
    assert sorted(states.values()).count("open") == 2
    assert _candidates(cli_db, "--status", "rejected")[0]["id"] == target
    # decided once: a second decision is one line, exit 1
    rc, out, err = cli_db("reject", target, "--reason", "again", "--by", "analyst")
    assert rc == 1 and "already rejected" in err and "Traceback" not in err
    rc, out, err = cli_db("reject", "000000000000", "--reason", "x", "--by", "analyst")
    assert rc == 1 and "no candidate" in err


def test_adopt_writes_a_draft_rule_that_check_lists_but_the_loader_skips(cli_db, tmp_path):
    from monitor.checking import check_all
    from rules.obligations import draft_files, load_obligations

    _ingest(cli_db, CRPT, CRPT_URL)
    hart = next(c for c in _candidates(cli_db) if "hart" in c["topics"])
    drafts = tmp_path / "rules"
    rc, out, err = cli_db(
        "adopt",
        hart["id"],
        "--by",
        "analyst",
        "--as",
        "dhs_hart_report_2020",
        "--output",
        str(drafts),
    )
    assert rc == 0, err
    path = drafts / "dhs_hart_report_2020.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["draft"] is True and data["id"] == "dhs_hart_report_2020"
    citation = data["citations"][0]
    assert citation["text_verified"] is True and citation["url"] == CRPT_URL
    assert citation["quote"] == hart["quote"]
    assert "TODO" in data["title"] and "TODO" in str(
        data["enacted"] if "enacted" in data else citation["enacted"]
    )
    assert draft_files(drafts) == [path]
    assert load_obligations(drafts) == []  # not evaluated until completed
    report = check_all(rules_dir=drafts)
    assert any("dhs_hart_report_2020.yaml is a draft" in w for w in report["warnings"])
    row = next(c for c in _candidates(cli_db) if c["id"] == hart["id"])
    assert row["status"] == "adopted" and row["obligation_id"] == "dhs_hart_report_2020"
    states = {f["evidence"]["candidate"]: f["state"] for f in _discovery_findings(cli_db)}
    assert states[hart["id"]] == "resolved"
    # an existing file is never overwritten
    other = next(c for c in _candidates(cli_db) if c["status"] == "new")
    rc, out, err = cli_db(
        "adopt",
        other["id"],
        "--by",
        "analyst",
        "--as",
        "dhs_hart_report_2020",
        "--output",
        str(drafts),
    )
    assert rc == 1 and "already exists" in err
    assert (
        yaml.safe_load(path.read_text(encoding="utf-8"))["citations"][0]["quote"] == hart["quote"]
    )
    assert next(c for c in _candidates(cli_db) if c["id"] == other["id"])["status"] == "new"


def test_decisions_are_audited(cli_db, engine):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from monitor.models import AuditEntry

    _ingest(cli_db, CRPT, CRPT_URL)
    first = _candidates(cli_db)[0]["id"]
    cli_db("reject", first, "--reason", "not on our topics", "--by", "reviewer")
    with Session(engine) as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.target == f"candidate:{first}"))
        got = [(e.actor, e.action, e.note) for e in entries]
    assert got == [("reviewer", "candidate_rejected", "not on our topics")]


def test_the_official_text_of_a_citation_verifies_it_and_check_stops_warning(cli_db):
    rc, out, _ = cli_db("check", "--json")
    before = json.loads(out)["warnings"]
    assert any("citation sec408 whose text is not verified" in w for w in before)
    assert _ingest(cli_db, PLAW, PLAW_URL) == 0
    found = _candidates(cli_db)
    monthly = next(c for c in found if c["cadence"] == "monthly")
    assert monthly["status"] == "verifies"
    assert (monthly["obligation_id"], monthly["citation_id"]) == (
        "hhs_separated_children_monthly",
        "sec408",
    )
    # it is a known requirement: no finding asks to review it
    assert monthly["id"] not in {f["evidence"]["candidate"] for f in _discovery_findings(cli_db)}
    rc, out, _ = cli_db("check", "--json")
    after = json.loads(out)["warnings"]
    assert not any("citation sec408 whose text" in w for w in after)
    # sec. 235 of P.L. 116-94 has the same words, but this text is P.L. 116-26: not verified
    assert any("citation sec235 whose text is not verified" in w for w in after)


def test_a_text_that_is_not_official_stores_no_candidate(cli_db, tmp_path):
    page = tmp_path / "gone.html"
    page.write_text("<html><title>Page Not Found</title><body>Sorry.</body></html>")
    rc, out, err = cli_db(
        "ingest",
        "govinfo_appropriations",
        str(page),
        "--url",
        "https://www.govinfo.gov/content/pkg/CRPT-116hrpt9/html/x.htm",
    )
    assert rc == 0 and "layout_changed" in out and "not an official text" in out
    assert _candidates(cli_db) == []


def test_ingest_says_how_many_candidates_it_found(cli_db):
    rc, out, err = cli_db("ingest", "govinfo_appropriations", str(CRPT), "--url", CRPT_URL)
    assert rc == 0
    assert "3 requirement candidate(s) found" in out
