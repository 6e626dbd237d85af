"""Absence is observed only on a listing page read after the deadline (rules/absence.py): a
report-only history is `unknown`, never `missing`; a monitor that stopped polling says `unknown`
(stale) once `stale_after` has passed; every `missing` cites the listing reads it rests on."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from rulekit import LISTING, healthy, listing_read, obligation, report

from rules.calendar import end_of_day
from rules.engine import evaluate
from rules.facts import Facts, SourceFact

UTC = timezone.utc
OB = obligation()  # month M due on the 3rd of M+1 (rolled to a business day)
JAN = (date(2020, 1, 1), date(2020, 1, 31))
DEADLINE = end_of_day(date(2020, 2, 3))
DEC = report(
    "https://e.gov/dec",
    (date(2019, 12, 1), date(2019, 12, 31)),
    datetime(2020, 1, 2, 15, tzinfo=UTC),
    issued=date(2020, 1, 2),
)


def _jan(findings):
    return [f for f in findings if f.period_start == JAN[0]]


def _evaluate(source: SourceFact, as_of, *reports):
    return evaluate([OB], Facts.build([source], reports or (DEC,)), as_of)


def test_a_report_only_history_is_unknown_never_missing():
    # a report page ingested by hand after the deadline: the source was read, its listing never
    ingested = report(
        "https://e.gov/dec",
        (date(2019, 12, 1), date(2019, 12, 31)),
        datetime(2020, 2, 8, 15, tzinfo=UTC),
    )
    source = healthy(listing_reads=(), last_success_at=datetime(2020, 2, 8, 15, tzinfo=UTC))
    (finding,) = _jan(_evaluate(source, date(2020, 2, 10), ingested))
    assert finding.kind == "unknown"
    assert finding.evidence["reason"] == (
        "no listing of the source read since the deadline; last listing read: never"
    )
    assert "listing_reads" not in finding.evidence


def test_a_listing_read_after_the_deadline_turns_the_same_period_missing():
    read = listing_read(datetime(2020, 2, 5, 14, tzinfo=UTC))
    source = healthy(listing_reads=(read,), last_success_at=read.at)
    (finding,) = _jan(_evaluate(source, date(2020, 2, 10)))
    assert finding.kind == "missing"
    assert finding.evidence["listing_reads"] == [
        {"url": LISTING, "sha256": read.sha256, "read_at": "2020-02-05T14:00:00+00:00"}
    ]


def test_missing_cites_the_first_read_after_the_deadline_so_later_polls_do_not_rewrite_it():
    reads = tuple(listing_read(datetime(2020, 2, d, 14, tzinfo=UTC)) for d in range(1, 20))
    source = healthy(listing_reads=reads)
    (early,) = _jan(_evaluate(source, date(2020, 2, 6)))
    (later,) = _jan(_evaluate(source, date(2020, 2, 19)))
    assert early.evidence == later.evidence
    assert early.evidence["listing_reads"][0]["read_at"] == "2020-02-04T14:00:00+00:00"


def test_a_monitor_that_stopped_polling_is_unknown_once_stale_after_has_passed():
    last = datetime(2020, 1, 20, 14, tzinfo=UTC)
    source = healthy(listing_reads=(listing_read(last),), last_success_at=last)
    # within stale_after (2 days by default) of the deadline: the next poll will tell
    assert _jan(_evaluate(source, DEADLINE + timedelta(days=2))) == []
    (finding,) = _jan(_evaluate(source, DEADLINE + timedelta(days=2, microseconds=1)))
    assert finding.kind == "unknown"
    assert finding.evidence["reason"] == (
        "not read since the deadline; last successful read 2020-01-20 14:00 UTC"
    )
    assert finding.evidence["stale_since"] == (DEADLINE + timedelta(days=2)).isoformat()
    # every later period due after the last read is unknown too: the monitor never goes silent
    months = {f.period_start for f in _evaluate(source, date(2020, 8, 1)) if f.kind == "unknown"}
    assert {date(2020, m, 1) for m in range(1, 7)} <= months


def test_stale_after_is_the_sources_own():
    last = datetime(2020, 1, 20, 14, tzinfo=UTC)
    source = healthy(
        listing_reads=(listing_read(last),), last_success_at=last, stale_after=timedelta(days=7)
    )
    assert _jan(_evaluate(source, DEADLINE + timedelta(days=6))) == []
    assert [f.kind for f in _jan(_evaluate(source, DEADLINE + timedelta(days=8)))] == ["unknown"]


def test_reports_read_after_the_deadline_without_a_listing_read_are_not_enough():
    listing = listing_read(datetime(2020, 1, 20, 14, tzinfo=UTC))
    source = healthy(listing_reads=(listing,), last_success_at=datetime(2020, 2, 6, tzinfo=UTC))
    (finding,) = _jan(_evaluate(source, date(2020, 2, 10)))
    assert finding.kind == "unknown"
    assert finding.evidence["reason"] == (
        "no listing of the source read since the deadline; last listing read: 2020-01-20 14:00 UTC"
    )
    assert finding.evidence["last_listing_read"]["sha256"] == listing.sha256


def test_every_listing_page_ever_read_must_be_read_again_after_the_deadline():
    other = "https://e.gov/older-design"
    after = listing_read(datetime(2020, 2, 5, 14, tzinfo=UTC))
    before = listing_read(datetime(2020, 1, 25, 14, tzinfo=UTC), url=other)
    source = healthy(listing_reads=(before, after), listing_urls=(LISTING, other))
    (finding,) = _jan(_evaluate(source, date(2020, 2, 10)))
    assert finding.kind == "unknown" and other in finding.evidence["reason"]
    # a listing page the source declares but that was never read does not block
    never = healthy(listing_reads=(after,), listing_urls=(LISTING, other))
    assert [f.kind for f in _jan(_evaluate(never, date(2020, 2, 10)))] == ["missing"]
    # both read again: missing, citing both
    both = healthy(
        listing_reads=(before, after, listing_read(after.at, url=other)),
        listing_urls=(LISTING, other),
    )
    (missing,) = _jan(_evaluate(both, date(2020, 2, 10)))
    assert missing.kind == "missing"
    assert sorted(r["url"] for r in missing.evidence["listing_reads"]) == sorted([LISTING, other])


def test_listing_reads_after_the_evaluation_time_are_not_used():
    source = healthy(listing_reads=(listing_read(datetime(2020, 2, 12, 14, tzinfo=UTC)),))
    assert [f.kind for f in _jan(_evaluate(source, date(2020, 2, 10)))] == ["unknown"]
    assert [f.kind for f in _jan(_evaluate(source, date(2020, 2, 13)))] == ["missing"]


_instants = st.datetimes(
    min_value=datetime(2019, 11, 1), max_value=datetime(2021, 6, 30), timezones=st.just(UTC)
)
_months = st.integers(min_value=0, max_value=18)


@st.composite
def _reports(draw):
    out = []
    for i in range(draw(st.integers(0, 4))):
        seen = draw(_instants)
        placed = draw(st.booleans())
        start = date(2019 + (11 + (m := draw(_months))) // 12, (11 + m) % 12 + 1, 1)
        period = (
            (start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1))
            if placed
            else None
        )
        out.append(
            report(f"https://e.gov/r{i}", period, seen, reads=() if draw(st.booleans()) else None)
        )
    return out


@settings(max_examples=60, deadline=None)
@given(
    state=st.sampled_from(["healthy", "failing", "broken", None]),
    last=st.one_of(st.none(), _instants),
    reports=_reports(),
    as_of=_instants,
)
def test_no_mix_of_report_only_reads_ever_yields_missing(state, last, reports, as_of):
    source = SourceFact(
        "src", True, state, None, datetime(2019, 1, 1, tzinfo=UTC) if state else None, last, ()
    )
    findings = evaluate([OB], Facts.build([source], reports), as_of)
    assert "missing" not in {f.kind for f in findings}


@settings(max_examples=60, deadline=None)
@given(reads=st.lists(_instants, max_size=6), reports=_reports(), as_of=_instants)
def test_every_missing_cites_a_listing_read_between_its_deadline_and_the_evaluation(
    reads, reports, as_of
):
    source = healthy(listing_reads=tuple(listing_read(t) for t in sorted(reads)))
    for finding in evaluate([OB], Facts.build([source], reports), as_of):
        if finding.kind != "missing":
            continue
        cited = finding.evidence["listing_reads"]
        assert cited
        for read in cited:
            at = datetime.fromisoformat(read["read_at"])
            assert finding.deadline < at <= as_of and read["url"] and read["sha256"]
