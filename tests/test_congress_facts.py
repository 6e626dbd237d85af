"""Congress's record as the engine's facts (monitor/congress_facts.py), both databases: an
evaluation reads only the communications its obligations can match (a requirement number they
claim, a public law they cite, a period ending late enough), in one query, and finds the same
evidence as when every stored communication is read."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "congress_communications"
API = "https://api.congress.gov/v3"
AS_OF = datetime(2022, 9, 30, 16, tzinfo=timezone.utc)
STORED = {  # fixture -> its URL; every one read on 2022-09-30
    "house_communication_117_ec_1599_reconstructed.json": "house-communication/117/ec/1599",
    "house_communication_117_ec_2230_reconstructed.json": "house-communication/117/ec/2230",
    "senate_communication_117_ec_4120_reconstructed.json": "senate-communication/117/ec/4120",
    "house_communication_115_ec_1_docexample_reconstructed.json": "house-communication/115/ec/1",
    "senate_communication_117_ec_2561_docexample_reconstructed.json": (
        "senate-communication/117/ec/2561"
    ),
}


@pytest.fixture
def stored(cli_db, db_url):
    for name, path in STORED.items():
        rc, out, err = cli_db(
            "ingest",
            "congress_communications",
            str(FIXTURES / name),
            "--url",
            f"{API}/{path}?format=json",
            "--fetched-at",
            "2022-09-30T12:00:00Z",
        )
        assert rc == 0, (out, err)
    from monitor.db import make_engine

    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _rules(*ids):
    from rules.obligations import load_obligations

    return [ob for ob in load_obligations() if ob.id in ids]


def _keys(record):
    return sorted(c.key for c in record.communications)


def test_an_evaluation_reads_only_what_its_obligations_can_match(stored):
    from monitor.congress_facts import congress_record

    hhs = _rules("hhs_separated_children_monthly")
    with Session(stored) as session:
        every = congress_record(session, AS_OF)
        assert len(every.communications) == 5
        # the three HHS reports cite P.L. 116-94; the Clerk's letter and the Farm Credit
        # report cite no law a rule cites and no requirement a rule claims
        assert _keys(congress_record(session, AS_OF, obligations=hhs)) == [
            "house/117/ec/1599",
            "house/117/ec/2230",
            "senate/117/ec/4120",
        ]
        # judged from 2022 on: May and August 2021 cannot be evidence for a judged month
        window = congress_record(session, AS_OF, obligations=hhs, periods_from=date(2022, 1, 1))
        assert _keys(window) == ["senate/117/ec/4120"]
        # before it was read, nothing
        early = datetime(2022, 9, 1, tzinfo=timezone.utc)
        assert congress_record(session, early, obligations=hhs).communications == ()
        # an obligation that names no requirement and cites no public law matches nothing
        assert congress_record(session, AS_OF, obligations=[]).communications == ()


def test_the_communications_come_in_one_query(stored):
    from monitor.congress_facts import congress_record

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "congress_communications" in statement:
            statements.append(statement)

    event.listen(stored, "before_cursor_execute", count)
    try:
        with Session(stored) as session:
            congress_record(
                session,
                AS_OF,
                obligations=_rules("hhs_separated_children_monthly"),
                requirements=False,
            )
    finally:
        event.remove(stored, "before_cursor_execute", count)
    assert len(statements) == 1 and "congress_terms" in statements[0]


def test_the_evidence_is_the_same_as_when_everything_is_read(stored):
    from monitor.congress_facts import congress_record
    from rules.congress import congress_evidence
    from rules.periods import Period

    (hhs,) = _rules("hhs_separated_children_monthly")
    with Session(stored) as session:
        every = congress_record(session, AS_OF)
        some = congress_record(session, AS_OF, obligations=[hhs], periods_from=date(2022, 1, 1))
    deadline = datetime(2022, 5, 3, 4, tzinfo=timezone.utc)
    for month in range(1, 9):
        period = Period(date(2022, month, 1), date(2022, month, 28))
        assert congress_evidence(hhs, some, period, deadline, AS_OF) == congress_evidence(
            hhs, every, period, deadline, AS_OF
        )
    april = congress_evidence(
        hhs, some, Period(date(2022, 4, 1), date(2022, 4, 30)), deadline, AS_OF
    )
    assert april["summary"] == "received by Congress on 2022-05-12"
