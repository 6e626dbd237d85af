"""The findings commands end to end (both databases): evaluate, findings, ack, snooze, waive,
evidence, check; deadlines met to the second with the shell's own clock under time-machine."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import time_machine
from findings_kit import OB, at, health, listing, register, run

from monitor.db import make_engine, session_scope

UTC = timezone.utc


def _seed(db_url, archive, monkeypatch, registries, state="healthy"):
    register(registries)
    registries.obligations = [OB]
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        health(session, "healthy", at(2019, 12, 1), at(2019, 12, 1))
        listing(session, archive, at(2019, 12, 1), [])
        for when in (at(2020, 3, 5), at(2020, 4, 5)):  # later reads of the listing
            run(session, when)
        if state != "healthy":
            health(session, state, at(2020, 1, 20), at(2019, 12, 1))
    engine.dispose()


def _evaluate(cli_db, *args):
    rc, out, err = cli_db("evaluate", "--json", *args)
    assert rc == 0, err
    return json.loads(out)


@pytest.mark.parametrize(
    "deadline_second,after",
    [
        # January 2020 due Monday 2020-02-03: end of day EST = 04:59:59.999999 UTC on the 4th
        (datetime(2020, 2, 4, 4, 59, 59, tzinfo=UTC), datetime(2020, 2, 4, 5, 0, 0, tzinfo=UTC)),
        # June 2020 due 2020-07-03, the observed Independence Day, rolled to Monday 07-06, in EDT
        (datetime(2020, 7, 7, 3, 59, 59, tzinfo=UTC), datetime(2020, 7, 7, 4, 0, 0, tzinfo=UTC)),
    ],
)
def test_a_deadline_passes_on_the_shells_clock_to_the_second(
    cli_db, db_url, archive, monkeypatch, deadline_second, after, registries
):
    _seed(
        db_url, archive, monkeypatch, registries, state="broken"
    )  # broken: absence is unknown at once
    month = f"{deadline_second.year}-{deadline_second.month - 1:02d}-01"
    with time_machine.travel(deadline_second, tick=False):
        assert month not in {f["period_start"] for f in _evaluate(cli_db)}
    with time_machine.travel(after, tick=False):
        found = {f["period_start"]: f for f in _evaluate(cli_db)}
    assert found[month]["kind"] == "unknown"
    assert (
        found[month]["evidence"]["deadline"]
        == deadline_second.replace(microsecond=999999).isoformat()
    )


def test_evaluate_json_shape_and_a_second_run_writes_nothing(
    cli_db, db_url, archive, monkeypatch, registries
):
    _seed(db_url, archive, monkeypatch, registries)
    first = _evaluate(cli_db, "--as-of", "2020-01-02", "--write")
    assert first == []  # December not yet due, nothing else
    rc, out, err = cli_db("evaluate", "--as-of", "2020-03-10", "--write")
    assert rc == 0 and "opened" in out
    rows = _evaluate(cli_db, "--as-of", "2020-03-10", "--write")
    assert {"obligation", "kind", "state", "period_start", "period_end", "due", "evidence"} <= set(
        rows[0]
    )
    assert {r["kind"] for r in rows} == {"missing"}
    rc, out, _ = cli_db("evaluate", "--as-of", "2020-03-10", "--write")
    assert out.strip().splitlines()[-1].endswith("opened 0, changed 0, resolved 0")


def test_findings_ack_snooze_waive_and_errors(cli_db, db_url, archive, monkeypatch, registries):
    _seed(db_url, archive, monkeypatch, registries)
    rows = _evaluate(cli_db, "--as-of", "2020-04-10", "--write")
    ids = [r["id"] for r in rows]
    assert len(ids) >= 3
    assert cli_db("ack", str(ids[0]), "--by", "ana", "--note", "asked HHS")[0] == 0
    assert cli_db("snooze", str(ids[1]), "--until", "2999-01-01", "--by", "ben")[0] == 0
    assert cli_db("waive", str(ids[2]), "--reason", "known gap", "--by", "cy")[0] == 0
    rc, out, _ = cli_db("findings", "--state", "acknowledged", "--json")
    assert [r["id"] for r in json.loads(out)] == [ids[0]]
    rc, out, _ = cli_db("findings", "--state", "waived", "--json")
    assert json.loads(out)[0]["waived_reason"] == "known gap"
    rc, out, _ = cli_db("findings")
    assert rc == 0 and "acknowledged" in out and "snoozed" in out
    for argv in (
        ("ack", "99999", "--by", "ana"),
        ("waive", str(ids[2]), "--reason", "x", "--by", "cy"),
        ("snooze", str(ids[0]), "--until", "2000-01-01", "--by", "ana"),
    ):
        rc, out, err = cli_db(*argv)
        assert rc == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
        assert "Traceback" not in err
    assert cli_db("ack", "abc", "--by", "ana")[0] == 2  # usage error


def test_evidence_command(cli_db, db_url, archive, monkeypatch, registries):
    _seed(db_url, archive, monkeypatch, registries)
    rc, out, err = cli_db("evidence", "nope", "--by", "a", "--date", "2020-01-01", "--note", "x")
    assert rc == 1 and "no obligation 'nope'" in err
    rc, out, err = cli_db(
        "evidence",
        "test_monthly",
        "--by",
        "ana",
        "--date",
        "2020-02-01",
        "--note",
        "emailed",
        "--period",
        "2020-01",
        "--json",
    )
    assert rc == 0 and json.loads(out)["period_start"] == "2020-01-01"
    # recorded now, so it counts as of now, not as of a date before it was recorded
    assert "2020-01-01" not in {r["period_start"] for r in _evaluate(cli_db)}
    assert "2020-01-01" in {r["period_start"] for r in _evaluate(cli_db, "--as-of", "2020-03-10")}


def test_check_passes_on_the_bundled_rules_with_warnings(cli):
    rc, out, err = cli("check")
    assert rc == 0, out + err
    assert "is not implemented" not in out  # every source the rules name exists
    rc, out, _ = cli("check", "--json")
    report = json.loads(out)
    assert "dhs_hart_publications" in report["sources"]
    assert report["ok"] and len(report["obligations"]) == 5 and report["cases_passed"] >= 20


def test_check_fails_naming_the_file_and_field(cli, tmp_path, registries):
    (tmp_path / "broken_rule.yaml").write_text("id: broken_rule\ntitle: x\n", encoding="utf-8")
    registries.obligations = tmp_path  # the rule files read instead of the bundled ones
    rc, out, _ = cli("check")
    assert rc == 1
    assert "error: rule file broken_rule.yaml: agency: Field required" in out


def test_evaluate_with_a_broken_rule_file_is_a_one_line_error(cli_db, tmp_path, registries):
    (tmp_path / "broken_rule.yaml").write_text("id: broken_rule\nseverity: [\n", encoding="utf-8")
    registries.obligations = tmp_path
    rc, out, err = cli_db("evaluate")
    assert rc == 1 and out == ""
    assert err.startswith("error: rule file broken_rule.yaml: (yaml): line ")
    assert len(err.strip().splitlines()) == 1


def test_unknown_obligation_for_evaluate(cli_db):
    rc, _out, err = cli_db("evaluate", "--obligation", "nope")
    assert rc == 1 and "no obligation nope" in err
