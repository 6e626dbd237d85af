"""What Congress's record costs an evaluation: reading every stored executive communication
(what each evaluation did until it read only what its obligations can match) against reading
only the communications the bundled obligations can match (monitor/congress_facts.py).

Synthetic store: N communication readings (default 100,000) of many agencies under many public
laws, 2019 to 2024, like the House and Senate lists of four Congresses; among them HHS's monthly
reports under P.L. 116-94 sec. 235 (one a month, each read from its own page and mentioned once in
a requirement's matching list) and DHS's under P.L. 116-93. Bulk-inserted with their
``congress_terms``, then, as of 2024-12-31 and judging periods from 2022 on:

* before: ``congress_record(session, as_of)``, every communication;
* after: ``congress_record(session, as_of, obligations=..., periods_from=...)``, the way
  ``evaluate_and_sync`` asks for it;

and the evidence of every month of the HHS obligation is compared between the two.

Goals: the record for an evaluation in at most 0.25 s with 100,000 stored communications, and
the same evidence as reading everything. SQLite in a temporary directory, or ``--database-url``
(an empty database: the benchmark migrates it and fills it). Prints figures, asserts nothing.

    python bench/congress.py [--communications 100000] [--repeat 3] [--database-url URL]
                             [--json] [--quick]

``--quick`` stores 1,000 (a smoke run whose figures mean nothing).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from _figures import at_most, context, holds, print_json  # noqa: E402
from monitor.congress_facts import congress_record  # noqa: E402
from monitor.db import make_engine, upgrade  # noqa: E402
from monitor.models import Parse, Snapshot, SourceRow  # noqa: E402
from monitor.models.congress import (  # noqa: E402
    CongressCommunicationRow,
    CongressTerm,
    communication_terms,
)
from rules.congress import congress_evidence  # noqa: E402
from rules.obligations import load_obligations  # noqa: E402
from rules.periods import Period  # noqa: E402

UTC = timezone.utc
AS_OF = datetime(2024, 12, 31, 23, tzinfo=UTC)
WATCH_FROM = date(2022, 1, 1)
SOURCE = "congress_communications"
AGENCIES = (
    "Department of Agriculture",
    "Department of Defense",
    "Department of Energy",
    "Department of the Treasury",
    "Department of Transportation",
    "Farm Credit Administration",
    "Securities and Exchange Commission",
    "Department of Health and Human Services",
    "Department of Homeland Security",
)
MONTHS = [(y, m) for y in range(2019, 2025) for m in range(1, 13)]


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - date.resolution


def _base(session: Session) -> list[tuple[int, int]]:
    """The source row and two (snapshot, parse) pairs: a communication's own page, and a
    requirement's matching list that mentions it (one reading per key and parse)."""
    now = datetime(2019, 1, 1, tzinfo=UTC)
    session.add(SourceRow(id=SOURCE, agency="Congress", title="Congress.gov", created_at=now))
    session.flush()
    out = []
    for i in range(2):
        snap = Snapshot(
            source_id=SOURCE,
            url=f"https://api.congress.gov/v3/house-communication/117/ec?page={i}",
            sha256=f"{i}" * 64,
            size=1,
            content_type="application/json",
            headers={},
            fetched_at=now,
            storage=f"objects/0{i}/" + f"{i}" * 64,
        )
        session.add(snap)
        session.flush()
        parse = Parse(
            snapshot_id=snap.id,
            source_id=SOURCE,
            parser_version="1",
            parsed_at=now,
            outcome="ok",
            reports=0,
            counts=0,
            links=[],
        )
        session.add(parse)
        session.flush()
        out.append((snap.id, parse.id))
    return out


def _rows(n: int, parses: list[tuple[int, int]], rng: random.Random) -> list[dict]:
    rows = []

    def add(key, *, detail, agency, laws, numbers=(), period=None, observed):
        chamber = "House" if key.startswith("house") else "Senate"
        snapshot_id, parse_id = parses[0 if detail else 1]
        congress, number = int(key.split("/")[1]), int(key.split("/")[3])
        rows.append(
            {
                "source_id": SOURCE,
                "snapshot_id": snapshot_id,
                "parse_id": parse_id,
                "parser_version": "1",
                "observed_at": observed,
                "url": f"https://api.congress.gov/v3/{chamber.lower()}-communication/"
                f"{congress}/ec/{number}",
                "key": key,
                "chamber": chamber,
                "congress": congress,
                "type_code": "EC",
                "number": number,
                "detail": detail,
                "received_on": observed.date() if detail else None,
                "congressional_record_date": None,
                "agency": agency if detail else None,
                "abstract": (
                    f"A letter from the Secretary, {agency}, transmitting the report"
                    + (f" for {period[2]}" if period else "")
                    + ", pursuant to "
                    + ", ".join(f"Public Law {law}" for law in laws)
                    if detail
                    else None
                ),
                "legal_authority": None,
                "report_nature": None,
                "requirement_numbers": list(numbers),
                "laws": list(laws),
                "committees": [],
                "period_start": period[0] if period else None,
                "period_end": period[1] if period else None,
                "period_text": period[2] if period else None,
            }
        )

    number = 0
    # the obligations' own: HHS monthly under P.L. 116-94 sec. 235 (its own page, and a mention
    # in requirement 90235's matching list), DHS monthly under P.L. 116-93
    for agency, law, req in (
        ("Department of Health and Human Services", "116-94 sec. 235", 90235),
        ("Department of Homeland Security", "116-93 sec. 216", 90236),
    ):
        for y, m in MONTHS:
            number += 1
            key = f"house/{116 + (y - 2019) // 2}/ec/{number}"
            received = datetime(y + (m == 12), m % 12 + 1, 12, 15, tzinfo=UTC)
            period = (date(y, m, 1), _month_end(y, m), f"{date(y, m, 1):%B %Y}")
            add(
                key,
                detail=True,
                agency=agency,
                laws=[law],
                numbers=[req],
                period=period,
                observed=received,
            )
            add(key, detail=False, agency=None, laws=[], numbers=[req], observed=received)
    # everything else Congress receives: other agencies, other laws, half of them naming a month
    while len(rows) < n:
        number += 1
        y, m = rng.choice(MONTHS)
        chamber = rng.choice(("house", "senate"))
        key = f"{chamber}/{116 + (y - 2019) // 2}/ec/{number}"
        agency = rng.choice(AGENCIES[:7])
        law = f"{rng.randint(100, 118)}-{rng.randint(1, 300)}"
        law = law if law not in ("116-94", "116-93") else "117-58"
        period = (
            (date(y, m, 1), _month_end(y, m), f"{date(y, m, 1):%B %Y}")
            if rng.random() < 0.5
            else None
        )
        add(
            key,
            detail=True,
            agency=agency,
            laws=[law],
            period=period,
            observed=datetime(y, m, rng.randint(1, 28), 15, tzinfo=UTC),
        )
    return rows[:n]


def fill(engine, n: int, seed: int = 7) -> None:
    with Session(engine) as session:
        rows = _rows(n, _base(session), random.Random(seed))
        for i in range(0, len(rows), 5000):
            session.execute(insert(CongressCommunicationRow), rows[i : i + 5000])
        terms = [
            {
                "communication_id": cid,
                "key": key,
                "term": term,
                "observed_at": observed,
                "period_end": period_end,
            }
            for cid, key, observed, period_end, numbers, laws in session.execute(
                select(
                    CongressCommunicationRow.id,
                    CongressCommunicationRow.key,
                    CongressCommunicationRow.observed_at,
                    CongressCommunicationRow.period_end,
                    CongressCommunicationRow.requirement_numbers,
                    CongressCommunicationRow.laws,
                )
            )
            for term in communication_terms(numbers, laws)
        ]
        for i in range(0, len(terms), 5000):
            session.execute(insert(CongressTerm), terms[i : i + 5000])
        session.commit()


def _best(repeat: int, fn):
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return min(times), value


def measure(engine, repeat: int) -> dict:
    obligations = load_obligations()
    with Session(engine) as session:
        before_s, every = _best(repeat, lambda: congress_record(session, AS_OF))
        after_s, some = _best(
            repeat,
            lambda: congress_record(
                session,
                AS_OF,
                obligations=obligations,
                periods_from=WATCH_FROM,
                requirements=False,
            ),
        )
    hhs = next(ob for ob in obligations if ob.id == "hhs_separated_children_monthly")
    same = True
    received = 0
    for y, m in MONTHS:
        if date(y, m, 1) < WATCH_FROM:
            continue
        period = Period(date(y, m, 1), _month_end(y, m))
        deadline = datetime(y + (m == 12), m % 12 + 1, 4, 4, tzinfo=UTC)
        a = congress_evidence(hhs, every, period, deadline, AS_OF)
        b = congress_evidence(hhs, some, period, deadline, AS_OF)
        same = same and a == b
        received += (b or {}).get("status") == "received"
    return {
        "before_s": before_s,
        "after_s": after_s,
        "read_before": len(every.communications),
        "read_after": len(some.communications),
        "same_evidence": same,
        "months_received": received,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communications", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="an empty database (default: SQLite, temporary)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n = 1_000 if args.quick else args.communications
    repeat = 1 if args.quick else args.repeat
    with tempfile.TemporaryDirectory(prefix="bench-congress-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        try:
            upgrade(engine)
            t0 = time.perf_counter()
            fill(engine, n)
            fill_s = time.perf_counter() - t0
            result = measure(engine, repeat)
        finally:
            engine.dispose()
    figures = [
        at_most(
            f"Congress's record for an evaluation, {n:,} stored communications (after)",
            result["after_s"],
            0.25,
            "s",
        ),
        context(
            f"Congress's record, every one of {n:,} communications read (before)",
            result["before_s"],
            "s",
        ),
        context("communications read per evaluation (after)", result["read_after"]),
        context("communications read per evaluation (before)", result["read_before"]),
        holds("the same evidence as reading every communication", result["same_evidence"]),
    ]
    details = {**result, "communications": n, "fill_s": fill_s, "database": url.split(":")[0]}
    if args.json:
        print_json("congress", figures, details)
        return 0
    print(f"{n:,} communication readings stored in {fill_s:.1f} s ({details['database']})")
    for f in figures:
        goal = f"  (goal {f.goal}: {'met' if f.met else 'NOT MET'})" if f.goal else ""
        value = f"{f.value:.4f}" if isinstance(f.value, float) else f.value
        print(f"  {f.figure}: {value} {f.unit}{goal}")
    print(f"  HHS months 2022-2024 whose evidence says received: {result['months_received']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
