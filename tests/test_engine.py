"""The engine on hand-built facts: deadlines to the microsecond, broken sources, provable lateness,
ambiguity, evaluation "as of" the past, stable keys and incremental re-evaluation."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from rulekit import (
    cause,
    healthy,
    listing_read,
    obligation,
    problem,
    read,
    report,
    statement,
)

from rules.calendar import end_of_day
from rules.engine import affected_obligations, evaluate
from rules.facts import CountFact, EvidenceFact, Facts, ListingRead, SourceFact
from rules.findings import plain
from rules.obligations import load_obligations

UTC = timezone.utc
RULES = {ob.id: ob for ob in load_obligations()}
JAN_2020 = (date(2020, 1, 1), date(2020, 1, 31))
DEADLINE_JAN_2020 = end_of_day(date(2020, 2, 3))  # test_monthly: the 3rd of the next month


def _kinds(findings, start=None):
    return [
        (f.kind, f.period_start.isoformat() if f.period_start else None)
        for f in findings
        if start is None or f.period_start == start
    ]


def _facts(*reports, sources=None, evidence=()):
    return Facts.build(sources or [healthy()], reports, evidence)


def test_missing_appears_with_the_first_listing_read_after_the_deadline():
    ob = obligation()
    just_after = DEADLINE_JAN_2020 + timedelta(microseconds=1)
    on_deadline = _facts(sources=[healthy(listing_reads=(listing_read(DEADLINE_JAN_2020),))])
    after = _facts(sources=[healthy(listing_reads=(listing_read(just_after),))])
    # a read at the deadline instant is not after it; nothing can be missing at the deadline
    assert ("missing", "2020-01-01") not in _kinds(evaluate([ob], on_deadline, just_after))
    assert ("missing", "2020-01-01") not in _kinds(evaluate([ob], after, DEADLINE_JAN_2020))
    assert ("missing", "2020-01-01") in _kinds(evaluate([ob], after, just_after))
    # the deadline is 23:59:59.999999 in Washington (EST): 04:59:59.999999 UTC the next day
    assert DEADLINE_JAN_2020 == datetime(2020, 2, 4, 4, 59, 59, 999999, UTC)


def test_deadline_on_the_day_clocks_spring_forward():
    # February 2022 + 13 days = Sunday 2022-03-13, the day EST becomes EDT; no roll-forward
    ob = obligation(
        cadence={
            "roll": "none",
            "segments": [
                {
                    "citation": "act",
                    "first_period": "2022-02",
                    "due": {"rule": "after_period_end", "days": 13},
                }
            ],
        },
        effective_from=date(2022, 2, 1),
    )
    edt_midnight = datetime(2022, 3, 14, 4, 0, tzinfo=UTC)  # 00:00 EDT on the 14th
    facts = _facts(sources=[healthy(listing_reads=(listing_read(edt_midnight),))])
    assert _kinds(evaluate([ob], facts, edt_midnight - timedelta(microseconds=1))) == []
    assert _kinds(evaluate([ob], facts, edt_midnight)) == [("missing", "2022-02-01")]


def test_a_broken_source_turns_missing_into_unknown_and_says_why():
    ob = obligation()
    since = datetime(2020, 1, 20, tzinfo=UTC)
    broken = SourceFact(
        "src",
        True,
        "broken",
        since,
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(2020, 1, 19, tzinfo=UTC),
    )
    as_of = date(2020, 2, 10)
    assert ("missing", "2020-01-01") in _kinds(evaluate([ob], _facts(), as_of))
    found = [
        f for f in evaluate([ob], _facts(sources=[broken]), as_of) if f.period_start == JAN_2020[0]
    ]
    assert [f.kind for f in found] == ["unknown"]
    assert "broken" in found[0].evidence["reason"]
    assert found[0].evidence["sources"][0]["state"] == "broken"


def test_never_read_and_unimplemented_sources_are_unknown():
    ob = obligation()
    never = SourceFact("src", True, None, None, None, None)
    unimplemented = SourceFact("src", False)
    for source in (never, unimplemented):
        kinds = {f.kind for f in evaluate([ob], _facts(sources=[source]), date(2020, 6, 1))}
        assert kinds == {"unknown"}


def test_no_finding_until_the_source_is_read_after_the_deadline():
    ob = obligation()
    stale = healthy(last_success_at=DEADLINE_JAN_2020 - timedelta(hours=1))
    findings = evaluate([ob], _facts(sources=[stale]), DEADLINE_JAN_2020 + timedelta(hours=6))
    assert JAN_2020[0] not in {f.period_start for f in findings}


def test_late_report_is_late_not_missing_and_keeps_the_key():
    ob = obligation()
    as_of = date(2020, 3, 1)
    missing = [f for f in evaluate([ob], _facts(), as_of) if f.period_start == JAN_2020[0]]
    published = report(
        "https://e.gov/jan",
        JAN_2020,
        datetime(2020, 2, 20, 15, tzinfo=UTC),
        issued=date(2020, 2, 20),
    )
    late = [f for f in evaluate([ob], _facts(published), as_of) if f.period_start == JAN_2020[0]]
    assert [f.kind for f in missing] == ["missing"] and [f.kind for f in late] == ["late"]
    assert late[0].key == missing[0].key  # one finding that changed kind
    ev = late[0].evidence
    assert ev["days_late"] == 17 and ev["due"] == date(2020, 2, 3)
    assert ev["reports"][0]["url"] == "https://e.gov/jan"
    assert len(ev["reports"][0]["snapshot_sha256"]) == 64
    assert "issued 2020-02-20" in ev["publication"]["basis"]


def test_lateness_that_cannot_be_proven_is_not_claimed():
    ob = obligation()
    # no issue date, and the monitor never saw the listing without it: it may have been on time
    undated = report("https://e.gov/jan", JAN_2020, datetime(2020, 2, 20, tzinfo=UTC))
    assert JAN_2020[0] not in {
        f.period_start for f in evaluate([ob], _facts(undated), date(2020, 3, 1))
    }


def test_the_monitors_earlier_look_proves_lateness_beyond_the_issue_date():
    ob = obligation()
    seen = report(
        "https://e.gov/jan",
        JAN_2020,
        datetime(2020, 2, 12, tzinfo=UTC),
        issued=date(2020, 2, 1),
        precision="month",
        absent_at=datetime(2020, 2, 10, 15, tzinfo=UTC),
    )
    (late,) = [
        f for f in evaluate([ob], _facts(seen), date(2020, 3, 1)) if f.period_start == JAN_2020[0]
    ]
    assert late.evidence["days_late"] == 7  # not before 2020-02-10; due 2020-02-03
    assert "was not there" in late.evidence["publication"]["basis"]


def test_manual_evidence_fulfils_a_period():
    ob = obligation()
    note = EvidenceFact(
        "test_monthly",
        date(2020, 2, 1),
        "sent by email",
        "ana",
        datetime(2020, 2, 15, tzinfo=UTC),
        JAN_2020[0],
        JAN_2020[1],
    )
    findings = evaluate([ob], _facts(evidence=[note]), date(2020, 3, 1))
    assert JAN_2020[0] not in {f.period_start for f in findings}
    # evidence recorded after the evaluation time does not count yet
    early = evaluate([ob], _facts(evidence=[note]), date(2020, 2, 10))
    assert ("missing", "2020-01-01") in _kinds(early)


def test_ambiguous_criminal_history_label_without_statement_is_incomplete():
    ob = RULES["dhs_separation_foreign_basis"]
    url = "https://www.dhs.gov/fuar-may-2022.pdf"
    label = "parent has a criminal history (U.S. or home country)"
    fuar = report(
        url,
        (date(2021, 10, 1), date(2022, 5, 31)),
        datetime(2022, 9, 21, tzinfo=UTC),
        source="dhs_family_unit_actions",
        reads=[read(datetime(2022, 9, 21, tzinfo=UTC), counts=[cause(label, 107, 6)])],
    )
    (finding,) = evaluate(
        [ob], Facts.build([healthy("dhs_family_unit_actions")], [fuar]), date(2022, 10, 1)
    )
    assert finding.kind == "incomplete" and finding.subject == url
    assert finding.evidence["quote"] == label and finding.evidence["page"] == 6
    assert finding.evidence["citation"]["public_law"] == "P.L. 117-103"
    # the same report with an explicit statement (zero is an answer) is complete
    stated = report(
        url,
        (date(2021, 10, 1), date(2022, 5, 31)),
        datetime(2022, 9, 21, tzinfo=UTC),
        source="dhs_family_unit_actions",
        reads=[
            read(
                datetime(2022, 9, 21, tzinfo=UTC),
                counts=[cause(label, 107)],
                statements=[statement("stated", 0)],
            )
        ],
    )
    assert (
        evaluate(
            [ob], Facts.build([healthy("dhs_family_unit_actions")], [stated]), date(2022, 10, 1)
        )
        == []
    )


def test_the_future_is_not_used():
    ob = obligation(checks=["timeliness", "revised", "removed"])
    t0 = datetime(2020, 2, 1, tzinfo=UTC)
    t1 = datetime(2020, 4, 1, tzinfo=UTC)
    rep = report(
        "https://e.gov/jan",
        JAN_2020,
        t0,
        issued=date(2020, 2, 1),
        removed_at=datetime(2020, 5, 1, tzinfo=UTC),
        reads=[
            read(t0, counts=[cause("criminal history", 3)]),
            read(t1, counts=[cause("criminal history", 4)]),
        ],
    )
    before = _kinds(evaluate([ob], _facts(rep), date(2020, 3, 1)), JAN_2020[0])
    after = sorted(_kinds(evaluate([ob], _facts(rep), date(2020, 6, 1)), JAN_2020[0]))
    assert before == []
    assert after == [("removed", "2020-01-01"), ("revised", "2020-01-01")]


def test_a_new_parser_version_reading_the_same_bytes_is_not_a_revision():
    ob = obligation(checks=["revised"])
    t0 = datetime(2020, 2, 1, tzinfo=UTC)
    rep = report(
        "https://e.gov/jan",
        JAN_2020,
        t0,
        reads=[
            read(t0, counts=[cause("criminal history", 3)], version="1", sha="a" * 64),
            read(t0, counts=[cause("criminal history", 30)], version="2", sha="a" * 64),
        ],
    )
    assert evaluate([ob], _facts(rep), date(2020, 6, 1)) == []


def test_cross_agency_tolerance_is_a_parameter():
    ob = RULES["dhs_family_unit_actions_monthly"]
    may = (date(2021, 5, 1), date(2021, 5, 31))
    seen = datetime(2021, 6, 5, tzinfo=UTC)
    total = lambda v: CountFact("separations", "total", "total", "Total", v)  # noqa: E731
    dhs = report(
        "https://dhs/may",
        may,
        seen,
        source="dhs_family_unit_actions",
        issued=date(2021, 6, 5),
        reads=[read(seen, counts=[total(100), cause("criminal history", 1)])],
    )
    hhs = report(
        "https://hhs/may",
        may,
        seen,
        source="hhs_separated_children",
        reads=[read(seen, counts=[total(80)])],
    )
    facts = Facts.build(
        [healthy("dhs_family_unit_actions"), healthy("hhs_separated_children")], [dhs, hhs]
    )
    as_of = date(2021, 6, 10)
    (anomaly,) = [f for f in evaluate([ob], facts, as_of, tolerance=0.10) if f.kind == "anomaly"]
    assert anomaly.evidence["comparison"]["relative_gap"] == 0.2
    assert [f for f in evaluate([ob], facts, as_of, tolerance=0.25) if f.kind == "anomaly"] == []
    with pytest.raises(ValueError):
        evaluate([ob], facts, as_of, tolerance=-1)


def test_inconsistent_total_is_an_anomaly():
    ob = obligation(checks=["inconsistent_totals"])
    t0 = datetime(2020, 2, 1, tzinfo=UTC)
    rep = report(
        "https://e.gov/jan",
        JAN_2020,
        t0,
        reads=[read(t0, problems=[problem("inconsistent_total", "sectors sum to 5, total 6")])],
    )
    (finding,) = evaluate([ob], _facts(rep), date(2020, 3, 1))
    assert finding.kind == "anomaly" and "sum to 5" in finding.summary


def test_evaluation_is_deterministic_and_json_ready():
    obligations = list(RULES.values())
    facts = Facts.build([healthy(s) for s in ("hhs_separated_children", "dhs_family_unit_actions")])
    first = evaluate(obligations, facts, date(2022, 9, 30))
    second = evaluate(obligations, facts, date(2022, 9, 30))
    assert [f.to_json() for f in first] == [f.to_json() for f in second]
    assert len({f.key for f in first}) == len(first)
    json.dumps([plain(f.to_json()) for f in first])
    kinds = {(f.obligation, f.kind) for f in first}
    assert ("dhs_hart_disclosure", "unknown") in kinds  # no source yet: never missing
    assert ("dhs_separation_oig_crcl_24h", "unknown") in kinds
    assert ("hhs_separated_children_monthly", "missing") in kinds


def test_only_evaluates_the_named_obligations_and_affected_finds_them():
    obligations = list(RULES.values())
    affected = affected_obligations(obligations, ["hhs_separated_children"])
    # the FUAR rule compares against HHS totals, so it is affected too
    assert affected == {"hhs_separated_children_monthly", "dhs_family_unit_actions_monthly"}
    facts = Facts.build([healthy("hhs_separated_children")])
    findings = evaluate(obligations, facts, date(2022, 9, 30), only=affected)
    assert {f.obligation for f in findings} <= affected
    everything = evaluate(obligations, facts, date(2022, 9, 30))
    assert [f for f in everything if f.obligation in affected] == findings


def test_periods_before_watch_from_are_not_judged_and_missing_cites_the_listing_read():
    ob = obligation()
    read_at = datetime(2020, 5, 1, 14, tzinfo=UTC)
    src = SourceFact(
        "src",
        True,
        "healthy",
        None,
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(2020, 6, 1, tzinfo=UTC),
        (ListingRead("https://e.gov/list", read_at, "ab" * 32),),
    )
    facts = _facts(sources=[src])
    everything = evaluate([ob], facts, date(2020, 5, 20))
    assert ("missing", "2020-01-01") in _kinds(everything)
    missing = [f for f in everything if f.kind == "missing"][0]
    assert missing.evidence["listing_reads"] == [
        {"url": "https://e.gov/list", "sha256": "ab" * 32, "read_at": read_at.isoformat()}
    ]
    later = evaluate([ob], facts, date(2020, 5, 20), periods_from=date(2020, 3, 1))
    assert later and all(f.period_end >= date(2020, 3, 1) for f in later)
    assert ("missing", "2020-01-01") not in _kinds(later)
