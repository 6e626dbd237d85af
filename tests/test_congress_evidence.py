"""Congress's record in the engine (pure): a communication that matches a period turns its
evidence to "received by Congress on DATE"; otherwise the evidence says Congress's record shows
no submission, or why that is unknown; `not_public` is raised and resolved; rule files name
requirement numbers, validated by the loader; unclaimed requirements are found."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from rulekit import data, listing_read, obligation

from rules.congress import (
    CommunicationFact,
    CongressRecord,
    RequirementFact,
    congress_line,
    unclaimed_requirements,
)
from rules.engine import evaluate
from rules.facts import Facts, ReportFact, SourceFact
from rules.obligations import ObligationError, parse_obligation

UTC = timezone.utc
SINCE = datetime(2019, 1, 1, tzinfo=UTC)
AS_OF = datetime(2020, 2, 10, 12, tzinfo=UTC)  # January 2020 was due 2020-02-03
READ = datetime(2020, 2, 5, 14, tzinfo=UTC)  # the listing read after the deadline


def _ob(**changes):
    base = {
        "checks": ["timeliness", "not_public"],
        "publicly_available_online": True,
        "citations": [
            {**data()["citations"][0], "public_law": "P.L. 116-94", "section": "Div. A, sec. 235"}
        ],
    }
    base.update(changes)
    return obligation(**base)


def _comm(
    key="house/116/ec/9001",
    *,
    received=date(2020, 2, 4),
    period=(1, 2020),
    laws=("116-94 sec. 235",),
    numbers=(),
    agency="Department of Health and Human Services",
    seen=None,
):
    month, year = period if period else (None, None)
    start = date(year, month, 1) if period else None
    end = date(year, month, 28) if period else None
    return CommunicationFact(
        key=key,
        chamber="House",
        seen_at=seen or datetime(2020, 2, 5, tzinfo=UTC),
        received_on=received,
        agency=agency,
        abstract="A letter ... transmitting ...",
        url=f"https://api.congress.gov/v3/house-communication/{key.split('/', 1)[1]}",
        requirement_numbers=tuple(numbers),
        laws=tuple(laws),
        period_start=start,
        period_end=end.replace(day=31) if end else None,
        period_text="January 2020" if period else None,
    )


def _facts(comms=(), *, read_state=None, last_read=AS_OF, reports=()):
    src = SourceFact(
        "src",
        True,
        "healthy",
        SINCE,
        SINCE,
        AS_OF,
        listing_reads=(listing_read(SINCE), listing_read(READ)),
    )
    record = CongressRecord(
        communications=tuple(comms), read_state=read_state, first_read=SINCE, last_read=last_read
    )
    return Facts.build([src], reports, congress=record)


def _jan(findings):
    return {f.kind: f for f in findings if f.period_start == date(2020, 1, 1)}


def test_a_communication_matched_by_law_agency_and_period_is_received_by_congress():
    found = _jan(evaluate([_ob()], _facts([_comm()]), AS_OF))
    assert set(found) == {"missing", "not_public"}
    congress = found["missing"].evidence["congress"]
    assert congress["status"] == "received" and congress["received_on"] == date(2020, 2, 4)
    assert congress_line(found["missing"].evidence) == "received by Congress on 2020-02-04"
    assert congress["communications"][0]["key"] == "house/116/ec/9001"
    assert "P.L. 116-94 sec. 235" in congress["communications"][0]["matched_because"]
    assert "received by Congress on 2020-02-04" in found["not_public"].summary
    assert found["not_public"].family == "publication"
    assert found["not_public"].evidence["listing_reads"][0]["read_at"] == READ.isoformat()


def test_a_requirement_number_the_rule_claims_matches_without_the_law_or_agency():
    comm = _comm(laws=(), agency=None, numbers=(90235,))
    found = _jan(evaluate([_ob(congress_requirements=[90235])], _facts([comm]), AS_OF))
    assert found["missing"].evidence["congress"]["status"] == "received"
    assert (
        "requirement 90235"
        in found["missing"].evidence["congress"]["communications"][0]["matched_because"]
    )
    # the same communication for a rule that does not claim it: the law is missing, no match
    found = _jan(evaluate([_ob()], _facts([comm]), AS_OF))
    assert found["missing"].evidence["congress"]["status"] == "not_received"
    assert "not_public" not in found


@pytest.mark.parametrize(
    "comm",
    [
        _comm(period=(12, 2019)),  # another month
        _comm(period=None),  # names no month: never guessed
        _comm(laws=("116-93",)),  # another law
        _comm(laws=("116-94 sec. 236",)),  # another section of the same law
        _comm(agency="Department of Homeland Security"),  # another agency
        _comm(seen=datetime(2020, 2, 11, tzinfo=UTC)),  # read after the evaluation time
    ],
)
def test_a_communication_that_does_not_match_proves_nothing(comm):
    found = _jan(evaluate([_ob()], _facts([comm]), AS_OF))
    assert set(found) == {"missing"}
    assert found["missing"].evidence["congress"]["status"] == "not_received"
    assert (
        congress_line(found["missing"].evidence)
        == "Congress's record shows no submission for 2020-01"
    )


@pytest.mark.parametrize(
    "kwargs,why",
    [
        (
            {"read_state": "congress_communications was never read (is congress_api_key set?)"},
            "congress_api_key",
        ),
        ({"read_state": "congress_communications is broken"}, "broken"),
        ({"last_read": datetime(2020, 2, 1, tzinfo=UTC)}, "not read since the deadline"),
    ],
)
def test_when_congress_record_cannot_be_read_the_evidence_says_unknown_and_why(kwargs, why):
    found = _jan(evaluate([_ob()], _facts(**kwargs), AS_OF))
    congress = found["missing"].evidence["congress"]
    assert congress["status"] == "unknown" and why in congress["reason"]
    assert congress_line(found["missing"].evidence) is None
    assert "not_public" not in found


def test_not_public_resolves_once_the_site_carries_the_month():
    report = ReportFact(
        "src",
        "https://e.gov/jan-2020",
        datetime(2020, 2, 20, tzinfo=UTC),
        period_start=date(2020, 1, 1),
        period_end=date(2020, 1, 31),
        issued=date(2020, 2, 20),
    )
    facts = _facts([_comm()], reports=[report])
    before = _jan(evaluate([_ob()], facts, datetime(2020, 2, 15, tzinfo=UTC)))
    after = _jan(evaluate([_ob()], facts, datetime(2020, 2, 21, tzinfo=UTC)))
    assert set(before) == {"missing", "not_public"}
    assert set(after) == {"late"}  # published late; the public has it now
    assert after["late"].evidence["congress"]["summary"] == "received by Congress on 2020-02-04"


def test_a_rule_without_the_online_requirement_has_no_not_public():
    found = _jan(evaluate([obligation()], _facts([_comm()]), AS_OF))
    assert set(found) == {"missing"}


def test_the_loader_validates_congress_requirements_and_the_online_flag():
    assert _ob(congress_requirements=[90235, 12478]).congress_requirements == (90235, 12478)
    for bad, field in (
        ([0], "congress_requirements[0]"),
        ([5, 5], "congress_requirements[1]"),
        (["x"], "congress_requirements[0]"),
    ):
        with pytest.raises(ObligationError) as err:
            parse_obligation(data(congress_requirements=bad), "t.yaml")
        assert err.value.field == field
    with pytest.raises(ObligationError) as err:
        parse_obligation(data(checks=["timeliness", "not_public"]), "t.yaml")
    assert err.value.field == "publicly_available_online"


def test_unclaimed_requirements_cite_a_law_an_obligation_cites():
    ob = _ob(congress_requirements=[1])
    record = CongressRecord(
        requirements=(
            RequirementFact(1, SINCE, "Public Law 116-94, Div. A, sec. 235", ("116-94 sec. 235",)),
            RequirementFact(
                2,
                SINCE,
                "Public Law 116-94, Div. A, sec. 235",
                ("116-94 sec. 235",),
                agency="Department of Health and Human Services",
                frequency="Monthly.",
            ),
            RequirementFact(3, SINCE, "Public Law 116-94, section 236", ("116-94 sec. 236",)),
            RequirementFact(4, SINCE, "Public Law 116-94", ("116-94",)),
            RequirementFact(5, SINCE, "Public Law 114-287", ("114-287",)),
        )
    )
    found = unclaimed_requirements([ob], record)
    assert [r["number"] for r in found] == [2, 4]
    assert found[0]["obligations_citing_the_law"] == ["test_monthly"]


def test_slack_shows_what_congress_received_and_never_an_unknown_line():
    from types import SimpleNamespace

    from monitor.delivery import slack_messages as m

    def row(f):
        return SimpleNamespace(
            id=7,
            obligation_id=f.obligation,
            kind=f.kind,
            family=f.family,
            severity=f.severity,
            summary=f.summary,
            evidence=f.evidence,
            period_start=f.period_start,
            period_end=f.period_end,
            due=f.due,
        )

    received = _jan(evaluate([_ob()], _facts([_comm()]), AS_OF))
    for kind in ("missing", "not_public"):
        text = json.dumps(m.post_message([m.alert_item(row(received[kind]))], "opened"))
        assert "Congress: received by Congress on 2020-02-04" in text
    unknown = _jan(evaluate([_ob()], _facts(read_state="never read"), AS_OF))["missing"]
    assert "Congress:" not in json.dumps(m.post_message([m.alert_item(row(unknown))], "opened"))
