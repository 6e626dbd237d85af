"""A source's listing reads looked up in the database (monitor.fact_gathering.ListingReadLookup,
a few index descents per page) answer what the whole list of reads answered (the evaluation
before the lookup: every successful listing read of the source, sorted by time then page, each
page's reads bisected on a deadline), on varied histories and on both databases: per page the
last read at or before an instant and the first after it, the latest read, and so the same
findings citing the same reads in the same order."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import replace
from datetime import date, timedelta

import pytest
from findings_kit import LISTING, OB, at, registry

from monitor.fact_gathering import ListingReadLookup, gather_facts, listing_reads
from monitor.models import FetchRun, Snapshot
from monitor.store import ensure_source
from rules.engine import evaluate
from rules.listing_reads import ReadsInMemory, latest_of
from rules.schedule import schedule
from scrapers.source import Source

PAGE2 = LISTING + "?page=2"  # a second start URL
COPY = "https://e.gov/copy-of-the-list"  # a page ingested with --listing: no start URL
DOC = "https://e.gov/report.pdf"  # a document, never a listing read
SRC = Source(
    id="src",
    agency="HHS",
    title="Test source",
    start_urls=(LISTING, PAGE2),
    allowed_hosts=("e.gov",),
)
OTHER = Source(  # another source reading the same page: its reads are not src's
    id="other", agency="HHS", title="Other", start_urls=(LISTING,), allowed_hosts=("e.gov",)
)
REGISTRY = registry(SRC, OTHER)
OUTCOMES = ("ok", "not_modified", "unchanged", "blocked", "http_error", "layout_changed")
START, END = at(2019, 12, 1), at(2020, 7, 1)
DEADLINES = [d.deadline for d in schedule(OB, date(2020, 7, 1))]


def _history(session, seed: int) -> None:
    """Runs of src's pages (and of the other source, and of a document) at times drawn from
    a coarse grid and from the deadlines themselves, so that reads fall before, at and after
    deadlines, several pages are read at one instant and one page twice at one instant."""
    rnd = random.Random(seed)
    ensure_source(session, SRC, START)
    ensure_source(session, OTHER, START)
    grid = [START + timedelta(hours=6 * i) for i in range((END - START).days * 4)]
    times = rnd.sample(grid, 60) + rnd.sample(DEADLINES, 4)
    times += [t + timedelta(microseconds=1) for t in rnd.sample(DEADLINES, 2)]
    snapshots = {}
    runs = [(t, None) for t in sorted(times) * 2 if rnd.random() < 0.5]
    # one page read twice at one instant, each time with another body: ties within a page
    runs += [(t, rnd.choice((LISTING, PAGE2))) for t in rnd.sample(times, 10) for _ in (0, 1)]
    for i, (when, page) in enumerate(runs):
        url = page or rnd.choice((LISTING, LISTING, PAGE2, COPY, DOC))
        source = "other" if rnd.random() < 0.1 else "src"
        outcome = "ok" if page else rnd.choice(OUTCOMES)
        snapshot = None
        if outcome in ("ok", "unchanged") and (page or rnd.random() < 0.7):  # a 304: no body
            sha = f"{rnd.randrange(4 if not page else 1 << 30):064x}"
            if (url, sha) not in snapshots:
                snapshots[(url, sha)] = Snapshot(
                    source_id=source,
                    url=url,
                    sha256=sha,
                    size=1,
                    content_type="text/html",
                    headers={},
                    fetched_at=when,
                    storage=f"{i}",
                )
                session.add(snapshots[(url, sha)])
                session.flush()
            snapshot = snapshots[(url, sha)].id
        session.add(
            FetchRun(
                source_id=source,
                url=url,
                started_at=when,
                finished_at=when,
                outcome=outcome,
                snapshot_id=snapshot,
                # LISTING fetched as a document too
                listing=url != DOC and (page is not None or rnd.random() < 0.95),
            )
        )
    session.flush()


def _straightforward(reads, as_of):
    """The evaluation's computation before the lookup, on every read (oldest first): the reads
    by ``as_of`` sorted by time then page, each page's reads bisected on an instant."""
    made = sorted((r for r in reads if r.at <= as_of), key=lambda r: (r.at, r.url))
    pages: dict = {}
    for read in made:
        pages.setdefault(read.url, []).append(read)

    def first_after(at):
        found = {}
        for url, page in pages.items():
            i = bisect_right([r.at for r in page], at)
            if i < len(page):
                found[url] = page[i]
        return found

    last = {url: page[-1] for url, page in pages.items()}  # ever read, and last read
    return first_after, last, (made[-1] if made else None)


@pytest.mark.parametrize("seed", range(4))
def test_the_lookup_finds_the_reads_the_whole_list_gave(session, seed):
    _history(session, seed)
    gathered = END + timedelta(days=30)
    every = listing_reads(session, "src", gathered)  # the old computation's input
    assert len({r.url for r in every}) >= 2
    lookup = ListingReadLookup(session, "src", gathered)
    memory = ReadsInMemory(every)
    cuts = [gathered, END, at(2020, 3, 15), DEADLINES[2], START - timedelta(days=1)]
    # every read's time and a microsecond either side, the deadlines, before and after all:
    # more than one statement's worth (run_lookups.SHAPES)
    tick = timedelta(microseconds=1)
    instants = {t + d for r in every for t in (r.at,) for d in (-tick, timedelta(0), tick)}
    instants |= {*DEADLINES, START - timedelta(days=1), gathered}
    for as_of in cuts:
        first_after, last, latest = _straightforward(every, as_of)
        expected = {t: first_after(t) for t in instants}
        assert lookup.first_reads_after(instants, as_of) == expected, as_of
        assert memory.first_reads_after(instants, as_of) == expected, as_of
        for t in DEADLINES:  # asked one at a time: the same
            fresh = ListingReadLookup(session, "src", gathered)
            assert fresh.first_reads_after([t], as_of) == {t: expected[t]}
        assert lookup.last_reads(as_of) == last, as_of
        assert memory.last_reads(as_of) == last, as_of
        assert latest_of(lookup.last_reads(as_of)) == latest, as_of
        assert latest_of(memory.last_reads(as_of)) == latest, as_of


@pytest.mark.parametrize("seed", range(3))
def test_findings_and_their_evidence_are_those_of_every_read(session, seed):
    _history(session, 10 + seed)
    for as_of in (at(2020, 3, 4, 6), at(2020, 5, 20), END):
        facts = gather_facts(session, as_of, ["src"], [OB.id], registry=REGISTRY)
        src = facts.source("src")
        assert isinstance(src.listing_reads, ListingReadLookup)
        whole = replace(src, listing_reads=listing_reads(session, "src", as_of))
        listed = replace(facts, sources={**facts.sources, "src": whole})
        found = evaluate([OB], facts, as_of, tolerance=0.1)
        expected = evaluate([OB], listed, as_of, tolerance=0.1)
        assert [(f.kind, f.period_start, f.evidence) for f in found] == [
            (f.kind, f.period_start, f.evidence) for f in expected
        ]
        kinds = {f.kind for f in found}
        assert kinds & {"missing", "unknown"}, kinds


def test_a_source_that_never_read_a_listing_has_no_pages(session):
    ensure_source(session, SRC, START)
    session.add(FetchRun(source_id="src", url=DOC, started_at=START, outcome="ok", listing=False))
    session.flush()
    lookup = ListingReadLookup(session, "src", END)
    assert lookup.first_reads_after([DEADLINES[0]], END) == {DEADLINES[0]: {}}
    assert lookup.last_reads(END) == {}
