"""The Congress.gov sources: House requirements and executive communications read from the API's
JSON answers (pure parse), and stored as append-only readings (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import select

from scrapers.interpret.congress import named_text_period, public_laws, sender_agency
from scrapers.records import Document
from scrapers.registry import load_source
from scrapers.validate import validate

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REQ, COMM = "congress_requirements", "congress_communications"
API = "https://api.congress.gov/v3"


def _parse(source: str, body, url: str):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return validate(load_source(source).parse(Document(body, url, "application/json")))


def _fixture(source: str, name: str) -> bytes:
    return (FIXTURES / source / name).read_bytes()


def test_public_laws_keep_the_section_the_text_ties_to_each_law():
    assert public_laws("Public Law 114\u2013287, section 13(c)(1); (130 Stat. 1471)") == [
        "114-287 sec. 13"
    ]
    assert public_laws("pursuant to Public Law 116-94, Div. A, sec. 235; and P.L. 116-93") == [
        "116-94 sec. 235",
        "116-93",
    ]
    assert public_laws("section 235 of Division A of Public Law 116-94") == ["116-94 sec. 235"]
    assert public_laws("pursuant to law") == [] and public_laws(None) == []


def test_the_period_a_transmitting_clause_names_and_none_when_two_or_none():
    assert named_text_period("transmitting the monthly report for May 2021, pursuant to")[:2] == (
        date(2021, 5, 1),
        date(2021, 5, 31),
    )
    assert named_text_period("the report covering October 2021 through May 2022")[:2] == (
        date(2021, 10, 1),
        date(2022, 5, 31),
    )
    assert named_text_period("the reports for May 2021 and for June 2021") is None
    assert named_text_period("the annual report for calendar year 2021") is None
    assert named_text_period("pursuant to the Appropriations Act for fiscal year 2020") is None
    assert (
        sender_agency(
            "A letter from the Secretary, Department of Homeland Security, transmitting the report"
        )
        == "Department of Homeland Security"
    )


def test_a_requirement_list_links_every_requirement_and_the_next_page_without_a_key():
    page = {
        "houseRequirements": [
            {"number": n, "updateDate": "2022-01-01", "url": f"{API}/house-requirement/{n}"}
            for n in (1, 2)
        ],
        "pagination": {
            "count": 600,
            "next": f"{API}/house-requirement?offset=250&limit=250"
            "&format=json&api_key=SECRETKEY123",
        },
    }
    result = _parse(REQ, page, f"{API}/house-requirement?format=json&limit=250&offset=0")
    urls = [link.url for link in result.links]
    assert urls[:2] == [
        f"{API}/house-requirement/1?format=json",
        f"{API}/house-requirement/2?format=json",
    ]
    assert urls[2] == f"{API}/house-requirement?offset=250&limit=250&format=json"
    assert "SECRETKEY123" not in json.dumps(result.to_json(REQ))


def test_a_requirement_reads_its_mandate_and_links_its_matching_communications():
    result = _parse(
        REQ,
        _fixture(REQ, "house_requirement_90235_reconstructed.json"),
        f"{API}/house-requirement/90235?format=json",
    )
    [req] = result.congress
    assert (req.number, req.frequency, req.submitting_agency, req.active) == (
        90235,
        "Monthly.",
        "Department of Health and Human Services",
        True,
    )
    assert req.laws == ["116-94 sec. 235"] and req.matching_count == 2
    assert [link.url for link in result.links] == [
        f"{API}/house-requirement/90235/matching-communications?format=json&limit=250&offset=0"
    ]


def test_matching_communications_carry_the_requirement_number_from_the_url():
    result = _parse(
        REQ,
        _fixture(REQ, "house_requirement_90235_matching_reconstructed.json"),
        f"{API}/house-requirement/90235/matching-communications?format=json",
    )
    assert [(c.key, c.requirement_numbers, c.detail) for c in result.congress] == [
        ("house/117/ec/1599", [90235], False),
        ("house/117/ec/2230", [90235], False),
    ]


def test_a_house_communication_is_received_on_its_record_date_with_its_period_and_law():
    result = _parse(
        COMM,
        _fixture(COMM, "house_communication_117_ec_1599_reconstructed.json"),
        f"{API}/house-communication/117/ec/1599?format=json",
    )
    [c] = result.congress
    assert (c.key, c.received_on, c.period_start, c.period_end, c.period_text) == (
        "house/117/ec/1599",
        date(2021, 6, 15),
        date(2021, 5, 1),
        date(2021, 5, 31),
        "May 2021",
    )
    assert c.requirement_numbers == [90235] and c.laws == ["116-94 sec. 235"]
    assert c.agency == "Department of Health and Human Services" and c.detail


def test_a_communication_without_a_record_date_is_received_on_its_first_referral():
    body = {
        "senateCommunication": {
            "chamber": "Senate",
            "number": 7,
            "congress": 118,
            "communicationType": {"code": "EC", "name": "Executive Communication"},
            "abstract": "A communication from the Secretary of Homeland Security, transmitting, "
            "pursuant to law, a report for June 2023; to the Committee on Appropriations.",
            "committees": [
                {"name": "B", "referralDate": "2023-07-20"},
                {"name": "A", "referralDate": "2023-07-18"},
            ],
        }
    }
    [c] = _parse(COMM, body, f"{API}/senate-communication/118/ec/7?format=json").congress
    assert c.received_on == date(2023, 7, 18) and c.congressional_record_date is None
    assert c.agency == "Secretary of Homeland Security" and c.period_text == "June 2023"


def test_answers_that_are_not_a_record_are_typed_problems_never_an_empty_list():
    cases = [
        (b'{"houseRequirements": [', "parse_error"),
        (b'{"error": {"code": "OVER_RATE_LIMIT", "message": "slow down"}}', "layout_changed"),
        (b'{"something": []}', "layout_changed"),
        (b"<html><body>Service Unavailable</body></html>", "layout_changed"),
        (b"", "empty"),
    ]
    for source in (REQ, COMM):
        for body, kind in cases:
            result = _parse(source, body, f"{API}/house-requirement?format=json")
            assert [p.kind for p in result.problems] == [kind], (source, body)
            assert not result.congress and not result.links
    empty = _parse(
        REQ,
        {"houseRequirements": [], "pagination": {"count": 0}},
        f"{API}/house-requirement?format=json",
    )
    assert not empty.problems and not empty.links  # the end of a list is not an error


def _take_in(session, archive, source: str, name: str, url: str, at: datetime):
    from monitor.document_path import take_in

    return take_in(
        session,
        archive,
        load_source(source),
        url=url,
        body=_fixture(source, name),
        fetched_at=at,
        is_listing=False,
        content_type="application/json",
    )


def test_readings_are_stored_once_per_parse_and_never_overwritten(session, archive):
    from monitor.models.congress import CongressCommunicationRow, CongressRequirementRow

    at = datetime(2022, 9, 30, 12, tzinfo=timezone.utc)
    _take_in(
        session,
        archive,
        REQ,
        "house_requirement_90235_reconstructed.json",
        f"{API}/house-requirement/90235?format=json",
        at,
    )
    _take_in(
        session,
        archive,
        REQ,
        "house_requirement_90235_matching_reconstructed.json",
        f"{API}/house-requirement/90235/matching-communications?format=json",
        at,
    )
    _take_in(
        session,
        archive,
        COMM,
        "house_communication_117_ec_1599_reconstructed.json",
        f"{API}/house-communication/117/ec/1599?format=json&api_key=SECRETKEY123",
        at,
    )
    # the same body again: nothing new is written
    _take_in(
        session,
        archive,
        COMM,
        "house_communication_117_ec_1599_reconstructed.json",
        f"{API}/house-communication/117/ec/1599?format=json&api_key=SECRETKEY123",
        at,
    )
    session.flush()
    [req] = session.scalars(select(CongressRequirementRow)).all()
    assert (req.number, req.frequency, req.laws) == (90235, "Monthly.", ["116-94 sec. 235"])
    comms = session.scalars(
        select(CongressCommunicationRow).order_by(
            CongressCommunicationRow.key, CongressCommunicationRow.detail
        )
    ).all()
    assert [(c.key, c.detail) for c in comms] == [
        ("house/117/ec/1599", False),
        ("house/117/ec/1599", True),
        ("house/117/ec/2230", False),
    ]
    detail = comms[1]
    assert detail.received_on == date(2021, 6, 15) and detail.period_start == date(2021, 5, 1)
    assert "SECRETKEY123" not in detail.url and "api_key=***" in detail.url
