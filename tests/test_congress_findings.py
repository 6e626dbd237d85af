"""Congress's record end to end (both databases): communications and requirements taken in
through the document path, the finding's evidence saying "received by Congress on DATE" (in
`findings show` too), `not_public` raised and then resolved when hhs.gov carries the month, and
`monitor check` listing the requirements no rule claims."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HHS = FIXTURES / "hhs_separated_children"
API = "https://api.congress.gov/v3"
HHS_BASE = (
    "https://www.hhs.gov/programs/social-services/unaccompanied-children/"
    "report-to-congress-on-separated-children"
)
READ_AT = "2022-09-30T12:00:00Z"


def _ingest(cli, source: str, path: Path, url: str, at: str = READ_AT, *extra: str) -> None:
    rc, out, err = cli("ingest", source, str(path), "--url", url, "--fetched-at", at, *extra)
    assert rc == 0 and "Traceback" not in err, (out, err)


def _hhs_2022(cli) -> None:
    """The HHS listing of 2022 (April 2022 is not on it) and every month report it links."""
    for entry in yaml.safe_load((HHS / "manifest.yaml").read_text())["fixtures"]:
        if entry["role"] == "listing" and "2022" in entry["file"]:
            _ingest(
                cli,
                "hhs_separated_children",
                HHS / entry["file"],
                entry["url"],
                READ_AT,
                "--listing",
            )
    for entry in yaml.safe_load((HHS / "manifest.yaml").read_text())["fixtures"]:
        if entry["role"] == "report" and "_2022_" in entry["file"]:
            _ingest(cli, "hhs_separated_children", HHS / entry["file"], entry["url"])


def _april(cli, as_of: str) -> dict[str, dict]:
    rc, out, err = cli(
        "evaluate",
        "--as-of",
        as_of,
        "--write",
        "--json",
        "--obligation",
        "hhs_separated_children_monthly",
    )
    assert rc == 0, err
    rc, out, err = cli("findings", "--json", "--state", "all")
    assert rc == 0, err
    return {f["kind"]: f for f in json.loads(out) if f["period_start"] == "2022-04-01"}


def test_a_communication_is_evidence_the_report_reached_congress_and_not_public(
    cli_db, monkeypatch, tmp_path
):
    monkeypatch.setenv("MONITOR_WATCH_FROM", "2022-01-01")
    _hhs_2022(cli_db)
    found = _april(cli_db, "2022-09-30")
    congress = found["missing"]["evidence"]["congress"]
    assert congress["status"] == "unknown" and "never read" in congress["reason"]
    assert "not_public" not in found

    _ingest(
        cli_db,
        "congress_communications",
        FIXTURES
        / "congress_communications"
        / "senate_communication_117_ec_4120_reconstructed.json",
        f"{API}/senate-communication/117/ec/4120?format=json",
    )
    found = _april(cli_db, "2022-09-30")
    congress = found["missing"]["evidence"]["congress"]
    assert congress["status"] == "received" and congress["received_on"] == "2022-05-12"
    assert congress["communications"][0]["key"] == "senate/117/ec/4120"
    assert found["not_public"]["state"] == "open"
    rc, out, _err = cli_db("findings", "show", str(found["missing"]["id"]))
    assert rc == 0 and "congress.summary: received by Congress on 2022-05-12" in out

    # hhs.gov publishes April 2022 (late): not_public resolves, the lateness is the finding now
    april = (HHS / "june_2022_reconstructed.html").read_text("utf-8").replace("June", "April")
    page = tmp_path / "april.html"
    page.write_text(april, "utf-8")
    _ingest(
        cli_db,
        "hhs_separated_children",
        page,
        f"{HHS_BASE}/april-2022/index.html",
        "2022-10-05T12:00:00Z",
    )
    found = _april(cli_db, "2022-10-06")
    assert found["not_public"]["state"] == "resolved"
    assert found["late"]["evidence"]["congress"]["summary"] == "received by Congress on 2022-05-12"


def test_check_lists_requirements_citing_a_rules_law_that_no_rule_claims(cli_db):
    rc, out, _err = cli_db("check", "--json")
    assert rc == 0 and json.loads(out)["unclaimed_congress_requirements"] == []
    folder = FIXTURES / "congress_requirements"
    for number in (90235, 90236, 12478):
        name = (
            f"house_requirement_{number}_reconstructed.json"
            if number != 12478
            else "house_requirement_12478_docexample_reconstructed.json"
        )
        _ingest(
            cli_db,
            "congress_requirements",
            folder / name,
            f"{API}/house-requirement/{number}?format=json",
        )
    rc, out, _err = cli_db("check", "--json")
    report = json.loads(out)
    unclaimed = {r["number"]: r for r in report["unclaimed_congress_requirements"]}
    assert set(unclaimed) == {90235, 90236}  # 12478 cites P.L. 114-287, which no rule cites
    assert unclaimed[90235]["obligations_citing_the_law"] == ["hhs_separated_children_monthly"]
    assert unclaimed[90236]["obligations_citing_the_law"] == ["dhs_family_unit_actions_monthly"]
    rc, out, _err = cli_db("check")
    assert rc == 0 and "House requirement 90236" in out and "no rule claims it" in out


def test_a_new_communication_alone_brings_the_obligation_up_for_evaluation_again():
    from rules.engine import affected_obligations
    from rules.obligations import load_obligations

    obligations = load_obligations()
    affected = affected_obligations(obligations, ["congress_communications"])
    assert "hhs_separated_children_monthly" in affected
    assert "dhs_separation_oig_crcl_24h" not in affected  # manual review: no Congress evidence
