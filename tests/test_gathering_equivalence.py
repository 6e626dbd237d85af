"""On the evaluation benchmark's varied database (bench/_evaldb.py: months missing, late,
unreadable, revised a month later, with inconsistent totals, removed; listing pages read monthly),
the lean gathering is the whole one where the checks look: each reading keeps what the checks
read of it (or all of it where a revision is compared), the publication bounds are those the walk
over every read of each page finds, and the findings are those of whole readings. Both
databases: the gathering's queries (the kept count rows chosen by id, the stored listings' first
lookups) differ in shape from the reference."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select

from monitor.fact_gathering import Scope, gather_facts, registered_sources
from monitor.models import Report
from monitor import report_facts
from monitor.report_facts import _listings
from rules.engine import evaluate
from rules.facts import counts_read
from rules.obligations import parse_obligation
from test_absent_at_lookups import reference_absent_at

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import _evaldb  # noqa: E402  (bench/_evaldb.py)

REPORTS = 250  # three sources


def _never_parsed(doc):
    raise AssertionError("nothing is parsed: the rows are stored directly")


def test_lean_gathering_matches_whole_readings_on_a_varied_database(engine, session, monkeypatch):
    written = _evaldb.build(engine, REPORTS)
    assert written["problems"] and written["reports"] == REPORTS
    sources = _evaldb.source_ids(REPORTS)
    registry = _evaldb.registry(sources, _never_parsed)
    obligations = [parse_obligation(_evaldb.obligation(s), f"ob_{s}.yaml") for s in sources]
    ids = [ob.id for ob in obligations]
    as_of = _evaldb.AS_OF
    asked_by_value: list[int] = []  # the rows each reads_before asks as a VALUES list
    reads_before = report_facts.reads_before
    monkeypatch.setattr(
        report_facts,
        "reads_before",
        lambda execute, asks, at: (
            asked_by_value.append(len(asks)) or reads_before(execute, asks, at)
        ),
    )
    lean = gather_facts(session, as_of, sources, ids, registry=registry)
    # every report is on a stored listing: its first lookups come from the one statement
    assert asked_by_value and asked_by_value[0] == 0
    whole = gather_facts(session, as_of, sources, ids, registry=registry, whole_reads=True)

    reads = 0
    for source_id in sources:
        pairs = list(zip(lean.reports_by_source[source_id], whole.reports_by_source[source_id]))
        assert len(pairs) == len(whole.reports_by_source[source_id]) > 0
        for a, b in pairs:
            assert (a.url, a.absent_at, a.removed_at, a.listings) == (
                b.url,
                b.absent_at,
                b.removed_at,
                b.listings,
            )
            assert len(a.reads) == len(b.reads)
            for ra, rb in zip(a.reads, b.reads):
                assert rb.whole
                assert ra.counts == (rb.counts if ra.whole else counts_read(rb.counts))
                assert (ra.statements, ra.problems) == (rb.statements, rb.problems)
                reads += 1
    assert reads > REPORTS  # some reports were read twice (revised)
    assert any(not r.whole for rs in lean.reports_by_source.values() for x in rs for r in x.reads)

    # the publication bounds are those of the walk over every read of each page
    scope = Scope(session, as_of, tuple(sources), (), registered_sources(registry))
    stored = list(
        session.execute(
            select(
                Report.id, Report.url, Report.first_seen, Report.listed_on, Report.source_id
            ).where(Report.first_seen <= as_of)
        )
    )
    expected = reference_absent_at(scope, stored, _listings(scope))
    got = {r.report_id: r.absent_at for rs in lean.reports_by_source.values() for r in rs}
    assert got == {r.id: expected.get(r.id) for r in stored}
    assert sum(v is not None for v in got.values()) > REPORTS // 2

    found = [f.to_json() for f in evaluate(obligations, lean, as_of)]
    assert found == [f.to_json() for f in evaluate(obligations, whole, as_of)]
    kinds = {f["kind"] for f in found}
    assert {"missing", "late", "revised", "incomplete"} <= kinds


def test_the_labels_walked_are_the_distinct_labels_stored(engine, session):
    """``_labels`` (one index descent per label, the next after the last) gives every stored
    label once, as ``SELECT DISTINCT`` does, whatever the labels: case, accents, spaces,
    prefixes of one another, the empty label."""
    from sqlalchemy import update

    from monitor.models import CountObservation
    from monitor.report_facts import _labels

    _evaldb.build(engine, 120)
    varied = ["", " ", "a", "A", "a ", "ab", "Über", "über", "Ü", "z\u00e9", "ze\u0301", "日本"]
    varied += ["x" * 200, "x" * 201, "é" * 250, "y" * 3000]  # in the label index, or not
    ids = session.scalars(select(CountObservation.id).order_by(CountObservation.id)).all()
    for i, label in enumerate(varied):
        session.execute(
            update(CountObservation)
            .where(CountObservation.id.in_(ids[i * 7 : i * 7 + 3]))
            .values(label=label)
        )
    session.commit()
    scope = Scope(session, _evaldb.AS_OF, (), (), {})
    short, long = _labels(scope)
    got = short + long
    assert len(got) == len(set(got))
    assert set(got) == set(session.scalars(select(CountObservation.label).distinct()))
    assert set(varied) <= set(got)


def test_long_ambiguous_labels_are_kept_as_the_short_ones_are(engine, session):
    """A label too long for count_observations(label, ...) is found all the same: the first
    ambiguous row of a reading is the first whether its label is short or long."""
    from sqlalchemy import update

    from monitor.models import CountObservation
    from scrapers.interpret.taxonomy import load as load_taxonomy

    written = _evaldb.build(engine, 120)
    assert written["counts"]
    long_ambiguous = "Criminal history (U.S. or home country) " + "and more " * 40
    assert len(long_ambiguous) > 200 and load_taxonomy().origin_is_ambiguous(long_ambiguous)
    firsts = session.scalars(
        select(CountObservation.id)
        .where(CountObservation.label == _evaldb.CAUSES[0][1])
        .order_by(CountObservation.id)
    ).all()
    # in some readings the first ambiguous row is the second of a table (the cause row before
    # it says nothing of origin now), in others one after the short one
    session.execute(
        update(CountObservation)
        .where(CountObservation.id.in_(firsts[::3]))
        .values(label="Fraudulent family claim")
    )
    session.execute(
        update(CountObservation)
        .where(
            CountObservation.id.in_([i + 7 for i in firsts[::3]] + [i + 9 for i in firsts[1::5]])
        )
        .values(label=long_ambiguous)
    )
    ids = session.scalars(select(CountObservation.id).order_by(CountObservation.id)).all()
    session.execute(
        update(CountObservation).where(CountObservation.id.in_(ids[5::89])).values(label="z" * 500)
    )
    session.commit()
    sources = _evaldb.source_ids(120)
    registry = _evaldb.registry(sources, _never_parsed)
    lean = gather_facts(session, _evaldb.AS_OF, sources, registry=registry)
    whole = gather_facts(session, _evaldb.AS_OF, sources, registry=registry, whole_reads=True)
    checked = 0
    for source_id in sources:
        for a, b in zip(lean.reports_by_source[source_id], whole.reports_by_source[source_id]):
            for ra, rb in zip(a.reads, b.reads):
                assert ra.counts == (rb.counts if ra.whole else counts_read(rb.counts))
                checked += any(c.label == long_ambiguous for c in ra.counts)
    assert checked
