"""The hot queries use an index, on both databases (asserted with EXPLAIN, not timed).

The SQL is captured from the functions every poll and evaluation calls, so a query rewritten
later is checked as it is, not as this test imagines it. On PostgreSQL sequential scans are
switched off for the EXPLAIN: a tiny test table would otherwise always be scanned, and what the
test asks is whether an index *can* serve the query (with it off, a query no index serves still
shows a Seq Scan).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import event, select

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hhs_separated_children"
LISTING_URL = (
    "https://www.hhs.gov/programs/social-services/unaccompanied-children/"
    "report-to-congress-on-separated-children/index.html"
)
T0 = datetime(2022, 9, 30, 12, tzinfo=timezone.utc)


@contextmanager
def captured(engine):
    statements: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def plan(engine, statement: str, parameters) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        conn.rollback()
    return "\n".join(str(r[-1]) for r in rows)


def scans(engine, text: str, table: str) -> bool:
    """Whether the plan reads ``table`` whole."""
    if engine.dialect.name == "postgresql":
        return f"Seq Scan on {table}" in text
    return any(
        line.strip().startswith(f"SCAN {table}") and "INDEX" not in line
        for line in text.splitlines()
    )


def _history(session, archive):
    """A listing read three times and a report read once."""
    from monitor.ingest import ingest_file, read_saved
    from scrapers.registry import load_source

    reg = load_source("hhs_separated_children")
    listing = read_saved(FIXTURES / "listing_index_2022_reconstructed.html", LISTING_URL)
    for day in range(3):
        ingest_file(
            session, archive, reg, listing, fetched_at=T0 + timedelta(days=day), is_listing=True
        )
    july = read_saved(
        FIXTURES / "july_2022_reconstructed.html",
        LISTING_URL.replace("index.html", "july-2022/index.html"),
    )
    ingest_file(session, archive, reg, july, fetched_at=T0, is_listing=False)
    session.commit()
    return reg


def test_every_poll_query_on_fetch_runs_uses_an_index(engine, session, archive):
    from monitor.fact_gathering import listing_reads
    from monitor.fetching import current_snapshot, last_retrieved, next_poll_at
    from monitor.store import current_sha256, last_retrieved_many

    reg = _history(session, archive)
    with captured(engine) as statements:
        current_snapshot(session, LISTING_URL)
        current_sha256(session, LISTING_URL)
        last_retrieved(session, LISTING_URL)
        last_retrieved_many(session, [LISTING_URL, LISTING_URL.replace("index", "july")])
        next_poll_at(session, reg)
        listing_reads(session, reg.id, T0 + timedelta(days=5))
    on_runs = [(s, p) for s, p in statements if "fetch_runs" in s]
    assert len(on_runs) >= 6
    for statement, parameters in on_runs:
        text = plan(engine, statement, parameters)
        assert not scans(engine, text, "fetch_runs"), f"{statement}\n--- plan ---\n{text}"


def test_counts_by_measure_dimension_and_months_use_an_index(engine, session, archive):
    from datetime import date

    from monitor.models import CountObservation

    _history(session, archive)
    query = select(CountObservation.category, CountObservation.value).where(
        CountObservation.measure == "separations",
        CountObservation.dimension == "cause",
        CountObservation.period_start >= date(2022, 1, 1),
        CountObservation.period_start < date(2023, 1, 1),
    )
    with captured(engine) as statements:
        session.execute(query).all()
    ((statement, parameters),) = statements
    text = plan(engine, statement, parameters)
    assert not scans(engine, text, "count_observations"), text
    assert "ix_count_observations_measure_period" in text, text


def test_a_sources_listing_reads_are_one_range_of_an_index(engine, session, archive):
    """Listing reads and the last one (absence rests on them) by (source, listing, time): the
    source's other runs, most of its history, are not read to find them (0021_fetch_run_lookups)."""
    from monitor.fact_gathering import listing_reads
    from monitor.source_status import source_status

    from sqlalchemy import insert, text

    from monitor.models import FetchRun

    reg = _history(session, archive)
    # most of a source's runs are not listing reads (its documents, again and again)
    at = [T0 - timedelta(minutes=i) for i in range(3000)]
    session.execute(
        insert(FetchRun),
        [
            dict(
                source_id=reg.id,
                url=f"https://www.hhs.gov/{i % 50}.pdf",
                started_at=t,
                outcome="not_modified",
                listing=False,
            )
            for i, t in enumerate(at)
        ],
    )
    session.commit()
    if engine.dialect.name == "postgresql":  # PostgreSQL plans by its statistics (SQLite has none)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE fetch_runs"))
    with captured(engine) as statements:
        listing_reads(session, reg.id, T0 + timedelta(days=5))
        source_status(session, reg, T0 + timedelta(days=5), None)
    on_listings = [(s, p) for s, p in statements if "fetch_runs.listing" in s]
    assert len(on_listings) >= 2, statements
    for statement, parameters in on_listings:
        text = plan(engine, statement, parameters)
        assert "ix_fetch_runs_source_listing_started" in text, f"{statement}\n{text}"


def test_an_apis_requests_of_the_past_hour_are_a_range_of_an_index(engine, session, archive):
    """The budget counted before each poll of a source read through a JSON API: its runs of the
    past hour, found by time (a prefix LIKE on the URL is served by no index)."""
    from monitor.apipoll import requests_this_hour
    from scrapers.fetch.jsonapi import GOVINFO

    _history(session, archive)
    with captured(engine) as statements:
        requests_this_hour(session, GOVINFO, T0 + timedelta(days=1))
    ((statement, parameters),) = statements
    text = plan(engine, statement, parameters)
    assert not scans(engine, text, "fetch_runs"), text
    assert "ix_fetch_runs_started" in text, text


def test_the_first_row_of_each_table_of_each_reading_is_read_from_an_index(
    engine, session, archive
):
    """The evaluation keeps of each reading the first row of each (measure, dimension) table
    (monitor/report_facts.py): ``min(id)`` per (report, parse, measure, dimension), the groups
    consecutive entries of count_observations(report_id, parse_id, measure, dimension, id)
    (0027_count_observation_index), not every count row of the reports sorted."""
    from monitor.fact_gathering import gather_facts

    reg = _history(session, archive)
    with captured(engine) as statements:
        gather_facts(session, T0 + timedelta(days=5), [reg.id])
    grouped = [
        (s, p)
        for s, p in statements
        if "GROUP BY count_observations.report_id, count_observations.parse_id, "
        "count_observations.measure, count_observations.dimension" in s
    ]
    assert grouped, statements
    for statement, parameters in grouped:
        text = plan(engine, statement, parameters)
        assert not scans(engine, text, "count_observations"), f"{statement}\n{text}"
        assert "ix_count_observations_report_parse_table" in text, f"{statement}\n{text}"
        if engine.dialect.name == "sqlite":  # read in index order: no sort for the groups
            assert "TEMP B-TREE FOR GROUP BY" not in text.split("UNION ALL")[1], text


def test_a_listing_pages_rows_are_found_by_page(engine, session, archive):
    """Every reading of a listing page reads and updates the page's report_listings rows (seen
    now, dropped) through an index (its source's reports, then each one's row for the page),
    never by reading every link of every page ever listed: its links compared (one SELECT,
    UPDATEs by row), the page read again unchanged (one UPDATE of its listing_pages row, by
    its key: monitor/listing_seen.py) and then changed (the times it was seen since written
    into the rows it dropped)."""
    from sqlalchemy import event as sa_event

    from monitor.models import Snapshot
    from monitor.store import ensure_source, record_listing
    from scrapers.records import Link

    reg = _history(session, archive)
    ensure_source(session, reg.source, T0)
    page = LISTING_URL.replace("index.html", "other.html")
    links = [Link(f"https://www.hhs.gov/r{i}.pdf", f"Report {i}") for i in range(3)]
    grabbed: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "listing" in statement and not executemany:
            grabbed.append((statement, parameters))

    sa_event.listen(engine, "before_cursor_execute", grab)
    try:
        record_listing(session, reg.source, page, links, T0)
        record_listing(session, reg.source, page, links[:2], T0 + timedelta(days=1))
        session.commit()
        snapshot_id = session.scalar(select(Snapshot.id))
        read = (snapshot_id, reg.source.parser_version)
        record_listing(session, reg.source, page, links, T0 + timedelta(days=2), read=read)
        record_listing(session, reg.source, page, links, T0 + timedelta(days=3), read=read)
        changed = (snapshot_id, "another parser version")
        record_listing(session, reg.source, page, links[1:], T0 + timedelta(days=4), read=changed)
        session.rollback()
    finally:
        sa_event.remove(engine, "before_cursor_execute", grab)
    by_page = [(s, p) for s, p in grabbed if "listing_url" in s and "INSERT" not in s.upper()]
    assert len([s for s, _ in by_page if "report_listings" in s]) >= 4, grabbed
    seen_again = [s for s, _ in by_page if s.startswith("UPDATE listing_pages")]
    assert len(seen_again) == 1, grabbed
    for statement, parameters in by_page:
        text = plan(engine, statement, parameters)
        for table in ("report_listings", "listing_pages"):
            assert not scans(engine, text, table), f"{statement}\n{text}"


def test_a_sources_listing_reads_around_a_deadline_are_index_lookups(engine, session, archive):
    """What an absence asks of a source's listing reads (rules/listing_reads.py): its listing
    pages, one skip from page to page, and each page's read before and after a deadline, one
    walk each from the deadline, all on fetch_runs(source_id, url, started_at) WHERE listing
    (0029_listing_read_lookup): neither the source's other listing reads nor its documents'
    runs are read."""
    from sqlalchemy import insert, text

    from monitor.fact_gathering import ListingReadLookup
    from monitor.models import FetchRun

    reg = _history(session, archive)
    pages = [LISTING_URL, LISTING_URL.replace("index", "archive")]
    rows = []
    for i in range(3000):  # hourly reads of two pages (some failed), and document fetches
        rows.append(
            dict(
                source_id=reg.id,
                url=pages[i % 2],
                started_at=T0 - timedelta(hours=i),
                outcome="blocked" if i % 7 == 0 else "not_modified",
                listing=True,
            )
        )
        rows.append(
            dict(
                source_id=reg.id,
                url=f"https://www.hhs.gov/{i % 50}.pdf",
                started_at=T0 - timedelta(hours=i, minutes=30),
                outcome="not_modified",
                listing=False,
            )
        )
    session.execute(insert(FetchRun), rows)
    session.commit()
    if engine.dialect.name == "postgresql":  # PostgreSQL plans by its statistics (SQLite has none)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE fetch_runs"))
    lookup = ListingReadLookup(session, reg.id, T0 + timedelta(days=5))
    with captured(engine) as statements:
        deadline = T0 - timedelta(days=30)
        after = lookup.first_reads_after([deadline, deadline - timedelta(days=30)], T0)
        last = lookup.last_reads(T0 + timedelta(days=5))
    assert set(after[deadline]) == set(last) == set(pages), (after, last)
    on_runs = [(s, p) for s, p in statements if "fetch_runs" in s]
    assert len(on_runs) >= 2, statements  # the reads after the deadlines, the last reads
    if engine.dialect.name == "postgresql":  # the instants one array: planned in no time
        assert any("unnest(" in s and "AS at UNION ALL" not in s for s, _ in on_runs), on_runs
    for statement, parameters in on_runs:
        text_ = plan(engine, statement, parameters)
        print(statement, "\n", text_, "\n")
        assert not scans(engine, text_, "fetch_runs"), f"{statement}\n--- plan ---\n{text_}"
        if "pages" in statement:  # the skip and the walks: the listing runs' index
            assert "ix_fetch_runs_listing_pages" in text_, f"{statement}\n{text_}"


def test_the_labels_and_the_ambiguous_rows_are_read_from_an_index(engine, session, archive):
    """The evaluation asks which labels are stored (the taxonomy says which leave the origin
    open), then the first row of those labels per reading: one descent of
    count_observations(label, report_id, parse_id, id) per label, and a range of it per
    ambiguous label, never the label of every count row read from the table
    (0028_eval_indexes)."""
    from monitor.fact_gathering import gather_facts
    from monitor.models import CountObservation

    reg = _history(session, archive)
    assert session.scalar(select(CountObservation.id).limit(1)) is not None
    with captured(engine) as statements:
        gather_facts(session, T0 + timedelta(days=5), [reg.id])
    labels = [(s, p) for s, p in statements if "RECURSIVE labels" in s]
    ambiguous = [
        (s, p)
        for s, p in statements
        if "GROUP BY count_observations.report_id, count_observations.parse_id)" in s
    ]
    assert labels, statements
    for statement, parameters in labels + ambiguous:
        text = plan(engine, statement, parameters)
        assert "ix_count_observations_label" in text, f"{statement}\n{text}"
        if statement in dict(labels):
            assert not scans(engine, text, "count_observations"), f"{statement}\n{text}"


def test_the_newest_reads_of_a_page_before_a_report_are_index_lookups(engine, session, archive):
    """A report's publication bound asks of each listing page its newest successful read before
    the report appeared there, and the read with a body (found once, then read by its key):
    index lookups, never a read of fetch_runs whole."""
    from monitor.fact_gathering import gather_facts

    reg = _history(session, archive)
    with captured(engine) as statements:
        gather_facts(session, T0 + timedelta(days=5), [reg.id])
    lookups = [(s, p) for s, p in statements if "AS asked" in s and "report_listings" in s]
    assert lookups, statements
    for statement, parameters in lookups:
        text = plan(engine, statement, parameters)
        assert not scans(engine, text, "fetch_runs"), f"{statement}\n{text}"
        if engine.dialect.name == "postgresql":
            # the successful reads of the page by time (0030_eval_speed): the newest before
            # the moment is the first entry from it, not a sort of the page's runs by outcome
            # and time (SQLite walks fetch_runs(url, started_at) back from the moment)
            assert "ix_fetch_runs_url_reads" in text, f"{statement}\n{text}"
            assert "Sort Key: fetch_runs.started_at" not in text, f"{statement}\n{text}"
        else:  # each lookup one walk of the URL's runs, never of every run at that time
            assert "USING INDEX ix_fetch_runs_started " not in text, f"{statement}\n{text}"


def test_a_documents_newest_fetch_that_did_not_fail_skips_its_urls_listing_reads(
    engine, session, archive
):
    """A URL read as a listing (three times) and as a document (once): a listed document's
    fetch state finds its newest document fetch that did not fail by the index of document runs
    alone, not by walking back through the URL's listing reads."""
    from monitor.run_lookups import document_runs
    from scrapers.vocabulary import FETCH_FAILURE_OUTCOMES

    reg = _history(session, archive)
    from monitor.ingest import ingest_file, read_saved

    page = read_saved(FIXTURES / "listing_index_2022_reconstructed.html", LISTING_URL)
    ingest_file(session, archive, reg, page, fetched_at=T0 + timedelta(days=4), is_listing=False)
    session.commit()
    with captured(engine) as statements:
        found = document_runs(
            session.execute, [(reg.id, LISTING_URL)], T0 + timedelta(days=9), FETCH_FAILURE_OUTCOMES
        )
    assert found[(reg.id, LISTING_URL)] == ([], None)  # fetched as a document, never failed
    statement, parameters = statements[0]
    text = plan(engine, statement, parameters)
    assert "ix_fetch_runs_document_runs" in text, f"{statement}\n--- plan ---\n{text}"
    assert not scans(engine, text, "fetch_runs"), text
