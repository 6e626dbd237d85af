"""Gathering facts reads only what the rules read, with a fixed number of queries (both
databases): the number of SQL statements does not grow with the counts a report holds, only
the rows the checks read are materialised, and the findings are those of whole readings."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from datetime import date

import pytest
from findings_kit import OB, SRC, at, listing, REGISTRY, run
from sqlalchemy import event

from monitor.fact_gathering import gather_facts
from monitor.store import ensure_source, record_parse, store_snapshot
from rulekit import obligation
from rules.cases import case_facts
from rules.checks.changes import revisions
from rules.engine import evaluate
from rules.facts import counts_read
from rules.obligations import load_obligations
from scrapers.records import CountRecord, ParseResult, Problem, ReportRecord, StatementRecord

# a content rule with the foreign-government statement, so the ambiguous label is quoted
RULES = [
    OB,
    obligation(
        id="test_statement",
        checks=["content", "inconsistent_totals"],
        content={
            "statements": [
                {
                    "key": "foreign_government_basis",
                    "accept": ["stated"],
                    "citation": "act",
                    "why": "asked",
                    "ambiguous_labels": "taxonomy",
                }
            ]
        },
    ),
]
CAUSES = ["criminal_history", "gang_affiliation", "illness", "other"]


def _counts(month: date, extra: int, value: float) -> list[CountRecord]:
    """A cause table, a month and total row, an ambiguous label, and ``extra`` cells of an
    age-by-cause table (cells no check reads)."""
    rows = [
        CountRecord(0, "separations", "cause", c, c.replace("_", " "), value + i)
        for i, c in enumerate(CAUSES)
    ]
    rows.append(
        CountRecord(
            0,
            "separations",
            "cause",
            "criminal_history",
            "Criminal history (U.S. or home country)",
            value,
            page=2,
        )
    )
    rows.append(
        CountRecord(
            0,
            "separations",
            "month",
            "all",
            month.strftime("%B %Y"),
            4 * value + 6,
            period_start=month,
            period_end=month.replace(day=28),
        )
    )
    rows.append(CountRecord(0, "separations", "total", "all", "Total", 4 * value + 6))
    rows += [
        CountRecord(0, "separations", "age_group", f"age_{i}", f"age {i}", i % 7)
        for i in range(extra)
    ]
    return rows


def _world(session, archive, extra: int, months: int = 6) -> None:
    """``months`` monthly reports of one source, each read once, the last one read twice with
    different figures (a revision), and a listing page read before and after each."""
    urls = []
    listing(session, archive, at(2020, 1, 1), [])
    for m in range(1, months + 1):
        month = date(2020, m, 1)
        url = f"https://e.gov/r{m}"
        urls.append(url)
        when = at(2020, m + 1, 10)
        listing(session, archive, when, urls)
        ensure_source(session, SRC, when)
        for version, value in ((1, 3),) + (((2, 5),) if m == months else ()):
            snap, _ = store_snapshot(
                session,
                archive,
                source_id="src",
                url=url,
                body=f"{url} {value}".encode(),
                fetched_at=when,
            )
            result = ParseResult(
                "1",
                reports=[
                    ReportRecord(
                        title=f"Report {month:%B %Y}",
                        url=url,
                        period_start=month,
                        period_end=month.replace(day=28),
                        issued=when.date(),
                        issued_precision="day",
                    )
                ],
                counts=_counts(month, extra, value),
                statements=[StatementRecord(0, "foreign_government_basis", "not_stated")],
                problems=[Problem("inconsistent_total", "parts add up to 18, total 17", report=0)],
            )
            record_parse(session, SRC, snap, result, "ok", when)
            run(session, when, url=url, snapshot=snap)
            when = when.replace(day=20)
    session.flush()


@contextmanager
def statements(engine):
    seen: list[str] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def _gather(session, **kw):
    return gather_facts(
        session, at(2021, 1, 1), ["src"], [ob.id for ob in RULES], **kw, registry=REGISTRY
    )


def _rows(facts) -> int:
    return sum(
        len(read.counts)
        for reports in facts.reports_by_source.values()
        for report in reports
        for read in report.reads
    )


@pytest.mark.parametrize("extra", [0, 60])
def test_statements_and_rows_do_not_grow_with_the_counts_of_a_report(
    engine, session, archive, monkeypatch, extra
):
    _world(session, archive, extra=0)
    with statements(engine) as few:
        small = _gather(session)
    session.rollback()
    _world(session, archive, extra=extra)
    with statements(engine) as many:
        large = _gather(session)
    assert len(many) == len(few)
    # only the revised report's two readings are read whole; every other reading keeps the
    # rows the checks read (first of each table, month, total, the ambiguous label)
    whole = [
        read for report in large.reports_by_source["src"] for read in report.reads if read.whole
    ]
    assert len(whole) == 2
    assert _rows(large) - _rows(small) == 2 * extra + 5 * min(extra, 1)


def test_statements_do_not_grow_with_the_number_of_reports(engine, session, archive, monkeypatch):
    _world(session, archive, extra=3, months=2)
    with statements(engine) as few:
        _gather(session)
    session.rollback()
    _world(session, archive, extra=3, months=8)
    with statements(engine) as many:
        _gather(session)
    assert len(many) == len(few), "\n".join(s[:150] for s in many)


def test_what_is_kept_of_a_reading_is_what_the_checks_read(session, archive, monkeypatch):
    _world(session, archive, extra=12)
    lean, whole = _gather(session), _gather(session, whole_reads=True)
    pairs = [
        (a, b)
        for ra, rb in zip(lean.reports_by_source["src"], whole.reports_by_source["src"])
        for a, b in zip(ra.reads, rb.reads)
    ]
    assert pairs and all(b.whole for _a, b in pairs)
    for a, b in pairs:
        assert a.counts == (b.counts if a.whole else counts_read(b.counts))
        assert (a.statements, a.problems) == (b.statements, b.problems)
    # and the findings, evidence included, are those of whole readings
    as_of = at(2021, 1, 1)
    found = [f.to_json() for f in evaluate(RULES, lean, as_of)]
    assert found == [f.to_json() for f in evaluate(RULES, whole, as_of)]
    kinds = {f["kind"] for f in found}
    assert {"revised", "incomplete", "anomaly"} <= kinds
    quoted = [f for f in found if f["kind"] == "incomplete" and "quote" in f["evidence"]]
    assert quoted and all(
        f["evidence"]["quote"] == "Criminal history (U.S. or home country)" for f in quoted
    )


def test_a_revision_is_never_judged_on_part_of_a_reading(session, archive, monkeypatch):
    _world(session, archive, extra=2)
    report = next(r for r in _gather(session).reports_by_source["src"] if len(r.reads) > 1)
    assert revisions(report, report.reads)  # read whole: compared
    partial = tuple(replace(r, counts=counts_read(r.counts), whole=False) for r in report.reads)
    with pytest.raises(ValueError, match="whole readings"):
        revisions(report, partial)


def test_every_rule_case_gives_the_same_findings_on_the_readings_the_checks_read():
    """The rules' own cases, each reading cut to ``counts_read`` (except where a revision
    compares two bodies): the same findings, so the cut loses nothing any check reads."""
    checked = 0
    for ob in load_obligations():
        for case in ob.cases:
            facts = case_facts(ob, case)
            lean = {}
            for source_id, reports in facts.reports_by_source.items():
                out = []
                for report in reports:
                    bodies: dict[str, set] = {}
                    for read in report.reads:
                        bodies.setdefault(read.parser_version, set()).add(read.snapshot_sha256)
                    out.append(
                        replace(
                            report,
                            reads=tuple(
                                read
                                if len(bodies[read.parser_version]) > 1
                                else replace(read, counts=counts_read(read.counts), whole=False)
                                for read in report.reads
                            ),
                        )
                    )
                lean[source_id] = tuple(out)
            cut = replace(facts, reports_by_source=lean)
            assert [
                f.to_json() for f in evaluate([ob], cut, case.as_of, tolerance=case.tolerance)
            ] == [
                f.to_json() for f in evaluate([ob], facts, case.as_of, tolerance=case.tolerance)
            ], (ob.id, case.name)
            checked += 1
    assert checked >= 20
