"""Lookups of fetch runs that stay as cheap at a million runs as at a thousand.

``fetch_runs`` grows by every request the monitor makes; what a daily run asks of it must not.
Each lookup here is answered by one descent of an index per source or per URL asked about
(``fetch_runs(source_id, started_at)``, ``(source_id, listing, started_at)``,
``(url, started_at)``, ``(url, outcome, started_at)``), walking at most past the runs that do
not qualify since the newest one that does (a failing streak), never the whole history. tests/test_query_plans.py holds each to
an index with EXPLAIN on both databases; bench/daily_run.py measures the whole run.

A set of URLs (or of other values) asked about together travels as a ``VALUES`` list
(:func:`wanted`), so that one statement makes one descent per value instead of reading every
run of those URLs and keeping the newest in Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import (
    DateTime,
    func,
    Integer,
    Text,
    and_,
    bindparam,
    column,
    false,
    literal,
    or_,
    select,
    true,
    union_all,
    values,
)
from sqlalchemy.sql.elements import ColumnElement

from monitor.models import FetchRun, Snapshot
from monitor.models.base import UTCDateTime
from rules.listing_reads import ListingRead
from scrapers.vocabulary import SUCCESS_OUTCOMES

IS_LISTING = FetchRun.listing == true()  # "= true": an index can serve it, "IS true" cannot


def wanted(rows: Iterable[tuple], *columns: tuple[str, Any], name: str = "wanted"):
    """``rows`` as a common table expression with ``columns`` ((name, type) pairs): what a
    statement asks about, one row per value, for a correlated lookup per row."""
    cols = [column(n, t if t is not None else Text()) for n, t in columns]
    return values(*cols, name=name).data(list(rows)).cte(name)


def source_end(source_id: Any, *where: ColumnElement, last: bool, listing: bool = False):
    """When the first (``last``: the newest) run of a source meeting ``where`` started, as a
    scalar subquery (``source_id`` a value, or a column to correlate with): the first row of one
    end of the source's range of ``fetch_runs(source_id, started_at)``, or with ``listing`` of
    its listing runs in ``fetch_runs(source_id, listing, started_at)``.

    The statement names that range by the index's leading column too, as a range and in its
    order (``source_id BETWEEN x AND x``, ``listing >= true``). Asked as an equality ordered by
    ``started_at`` alone, PostgreSQL may walk ``fetch_runs(started_at)`` instead, testing every
    run for the source: its estimate that a source holds a share of the runs fails for one that
    holds few or none (never read yet, or its API key not set), and for that one the walk is
    the whole index (0.2-0.4 s at a million runs, bench/daily_run.py). With the leading column
    in the order only the source's index yields it. SQLite uses the same index either way."""
    if listing:  # the rows of "= true", which PostgreSQL would leave out of the order
        keys = (
            FetchRun.source_id == source_id,
            FetchRun.listing.op(">=", is_comparison=True)(true()),
        )
        lead = FetchRun.listing
    else:
        keys = (FetchRun.source_id.between(source_id, source_id),)
        lead = FetchRun.source_id
    order = (lead.desc(), FetchRun.started_at.desc()) if last else (lead, FetchRun.started_at)
    return (
        select(FetchRun.started_at).where(*keys, *where).order_by(*order).limit(1).scalar_subquery()
    )


def success_bounds(source_id: Any, as_of: datetime) -> tuple[ColumnElement, ColumnElement]:
    """The first and the last successful run of a source by ``as_of`` (``source_id`` a value,
    or a column to correlate with), as two scalar subqueries: each the first row of one end of
    the source's range of ``fetch_runs(source_id, started_at)`` (:func:`source_end`). (``min``
    and ``max`` in one query, or grouped by source, read every run of the source on SQLite.)"""
    ok = (FetchRun.outcome.in_(SUCCESS_OUTCOMES), FetchRun.started_at <= as_of)
    return source_end(source_id, *ok, last=False), source_end(source_id, *ok, last=True)


# Older than any run: the lower end of a range that has none.
EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc)
CHUNK = 500  # pairs per statement


def document_runs(
    execute, pairs: Iterable[tuple[str, str]], as_of: datetime, failures: Iterable[str]
) -> dict[tuple[str, str], tuple[list[tuple[str, str | None]], tuple[str, str | None] | None]]:
    """Per (source id, URL) fetched as a document (not as a listing) by ``as_of``: the failed
    fetches since its last fetch that did not fail, oldest first (its failures in a row), and
    the newest failed fetch ever ((outcome, error), or None). Three statements per 500 pairs:
    each pair's newest fetch that did not fail (one walk back from its newest run) and its
    newest of each failure outcome (one descent of ``fetch_runs(url, outcome, started_at)``
    each), those runs, and the runs of the pairs failing now since their last success (a range
    of ``fetch_runs(url, started_at)``): never a document's whole history."""
    failures = tuple(failures)
    out: dict = {}
    pairs = sorted(set(pairs))
    for start in range(0, len(pairs), CHUNK):
        asked = wanted(pairs[start : start + CHUNK], ("source_id", None), ("url", None))

        def newest(*where, documents_index: bool = False) -> ColumnElement:
            return (
                select(FetchRun.id)
                .where(
                    FetchRun.url == asked.c.url,
                    # not an index term ("|| ''"): without statistics SQLite would walk the
                    # source's runs by (source_id, listing, started_at), not the URL's
                    FetchRun.source_id.concat("") == asked.c.source_id,
                    # "= false" lets the index of document runs serve the lookup (the newest
                    # that did not fail: one descent past the URL's listing reads); "is not
                    # true" (the same rows: listing is never null) keeps it from the newest of a
                    # failure outcome, which is one descent of fetch_runs(url, outcome,
                    # started_at), where the document index would walk back through every
                    # document run that did not fail
                    FetchRun.listing == false()
                    if documents_index
                    else FetchRun.listing.is_not(True),
                    FetchRun.started_at <= as_of,
                    *where,
                )
                .order_by(FetchRun.started_at.desc(), FetchRun.id.desc())
                .limit(1)
                .scalar_subquery()
            )

        ends = list(
            execute(
                select(
                    asked.c.source_id,
                    asked.c.url,
                    newest(FetchRun.outcome.not_in(failures), documents_index=True),
                    # per failure outcome: one descent of fetch_runs(url, outcome, started_at)
                    # each, where "outcome IN (...)" walks back past every run that did not fail
                    *(newest(FetchRun.outcome == outcome) for outcome in failures),
                )
            )
        )
        ids = [i for row in ends for i in row[2:] if i is not None]
        runs = {
            row[0]: row[1:]
            for row in execute(
                select(FetchRun.id, FetchRun.started_at, FetchRun.outcome, FetchRun.error).where(
                    FetchRun.id.in_(ids)
                )
            )
        }
        since: dict[tuple[str, str], tuple[datetime, int]] = {}
        for source_id, url, ok, *newest_failed in ends:
            failed = max(
                (i for i in newest_failed if i is not None),
                key=lambda i: (runs[i][0], i),
                default=None,
            )
            if ok is None and failed is None:
                continue  # never fetched as a document by then
            out[(source_id, url)] = ([], runs[failed][1:] if failed is not None else None)
            ok_at = (runs[ok][0], ok) if ok is not None else (EARLIEST, 0)
            if failed is not None and (runs[failed][0], failed) > ok_at:
                since[(source_id, url)] = ok_at
        if not since:
            continue
        streaks = wanted(
            [(s, u, at) for (s, u), (at, _id) in sorted(since.items())],
            ("source_id", None),
            ("url", None),
            ("since", UTCDateTime()),
            name="streaks",
        )
        for source_id, url, run_id, at, outcome, error in execute(
            select(
                streaks.c.source_id,
                streaks.c.url,
                FetchRun.id,
                FetchRun.started_at,
                FetchRun.outcome,
                FetchRun.error,
            )
            .join(
                FetchRun,
                and_(
                    FetchRun.url == streaks.c.url,
                    # not an index term either: the URL's failed runs since its last success
                    # (fetch_runs(url, outcome, started_at)), not every run of the source
                    FetchRun.source_id.concat("") == streaks.c.source_id,
                    FetchRun.started_at >= streaks.c.since,
                ),
            )
            .where(
                FetchRun.listing == false(),
                FetchRun.started_at <= as_of,
                FetchRun.outcome.in_(failures),
            )
            .order_by(FetchRun.started_at, FetchRun.id)
        ):
            if (at, run_id) > since[(source_id, url)]:
                out[(source_id, url)][0].append((outcome, error))
    return out


# -- the reads of a page just before a moment (a report's publication bound) ------------------
#
# A read is a successful run (ok, not_modified, unchanged) of a URL, in (started_at, id) order.
# A position is (started_at, id); "before (at, id)" is every read that sorts before it, and
# (at, 0) means before the instant ``at``. Each lookup walks an index from that position
# (``fetch_runs(url, started_at)``, or the partial one of the runs with a body), past the runs
# that do not qualify, for each asked row: a report's bound costs the reads around its
# appearance, not the page's history.
#
# Two details keep each walk one. The instant bounds no walk: an ask after it is moved to just
# after it before it is sent (an upper bound on ``started_at`` the same for every row would be
# the one SQLite starts each walk from, reading every run between the instant and the moment
# asked). And the newest run is found in two steps, its start time (the first entry of the
# index from the position) and then, among the runs that started then, the greatest id:
# PostgreSQL's index holds no id, and asked for both orders at once it read and sorted every
# earlier run of the URL.


def newest_run(columns, *where, newest: bool = True) -> list[ColumnElement]:
    """Scalar subqueries: ``columns`` of the newest run meeting ``where`` in (started_at, id)
    order (``newest=False``: the oldest). ``FetchRun.started_at`` costs one walk of an index on
    (..., started_at); any other column one more descent, to the runs that started then."""
    started = (
        select(FetchRun.started_at)
        .where(*where)
        .order_by(FetchRun.started_at.desc() if newest else FetchRun.started_at.asc())
        .limit(1)
        .correlate_except(FetchRun)  # its own runs, inside the lookup of the run's id too
    )
    run = (
        select(FetchRun.id)
        .where(*where, FetchRun.started_at == started.scalar_subquery())
        .order_by(FetchRun.id.desc() if newest else FetchRun.id.asc())
        .limit(1)
    )
    return [
        started.scalar_subquery()
        if c is FetchRun.started_at
        else run.with_only_columns(c).scalar_subquery()
        for c in columns
    ]


def _before(at, run_id):
    """Runs sorting before the position (at, run_id): a range of started_at, then the tie."""
    return (
        FetchRun.started_at <= at,
        or_(FetchRun.started_at < at, FetchRun.id < run_id),
    )


def _ask(execute, asks: list[tuple], columns: tuple[tuple[str, Any], ...], lookups) -> dict:
    """Per asked row (its first value a key), the values of ``lookups(asked)`` (scalar
    subqueries correlated with the asked row), 500 rows a statement."""
    out = {}
    for start in range(0, len(asks), CHUNK):
        asked = wanted(asks[start : start + CHUNK], ("key", Integer()), *columns, name="asked")
        for key, *found in execute(select(asked.c.key, *lookups(asked))):
            out[key] = tuple(found)
    return out


# The smallest step of a stored time (both databases keep microseconds).
TICK = timedelta(microseconds=1)


def _clamped(asks: list[tuple], as_of: datetime) -> list[tuple]:
    """``asks`` (key, url, at, run_id, ...) with every position after ``as_of`` moved to just
    after it, (as_of + 1 microsecond, 0): the reads before it are then exactly those by
    ``as_of``, and no bound the same for every row is left for a walk to start from."""
    after = as_of + TICK
    return [a if a[2] <= as_of else (a[0], a[1], after, 0, *a[4:]) for a in asks]


def _newest(asked, *where, columns, bodies: bool):
    """The newest read of ``asked.url`` before ``(asked.at, asked.run_id)`` meeting ``where``:
    one scalar subquery per column of it (the asks moved to the instant, :func:`_clamped`)."""
    return newest_run(
        columns,
        FetchRun.url == asked.c.url,
        FetchRun.outcome.in_(SUCCESS_OUTCOMES),
        *_before(asked.c.at, asked.c.run_id),
        *((FetchRun.snapshot_id.is_not(None),) if bodies else ()),
        *where,
    )


POSITION = (("url", None), ("at", UTCDateTime()), ("run_id", Integer()))


def reads_before(execute, asks: list[tuple], as_of: datetime) -> dict:
    """(key, url, at, run_id) -> the time of the newest read of url by ``as_of`` before
    (at, run_id), or None: when the page was last read before then."""
    return {
        k: v[0]
        for k, v in _ask(
            execute,
            _clamped(asks, as_of),
            POSITION,
            lambda a: _newest(a, columns=(FetchRun.started_at,), bodies=False),
        ).items()
    }


def bodies_before(execute, asks: list[tuple], as_of: datetime) -> dict:
    """(key, url, at, run_id, other_than) -> (started_at, id, snapshot id) of the newest read of
    url by ``as_of`` before (at, run_id) that brought a body other than snapshot ``other_than``
    (0: any), or None: the body a page showed then (a 304 stored without a body shows the one
    before)."""
    found = _ask(
        execute,
        _clamped(asks, as_of),
        POSITION + (("other_than", Integer()),),
        lambda a: _newest(
            a,
            FetchRun.snapshot_id != a.c.other_than,
            columns=(FetchRun.started_at, FetchRun.id, FetchRun.snapshot_id),
            bodies=True,
        ),
    )
    return {k: v if v[1] is not None else None for k, v in found.items()}


def first_body_after(execute, asks: list[tuple], as_of: datetime) -> dict:
    """(key, url, at, run_id) -> (started_at, id) of the oldest read of url by ``as_of`` after
    (at, run_id) that brought a body, or None."""

    def lookups(a):
        return newest_run(
            (FetchRun.started_at, FetchRun.id),
            FetchRun.url == a.c.url,
            FetchRun.outcome.in_(SUCCESS_OUTCOMES),
            FetchRun.snapshot_id.is_not(None),
            FetchRun.started_at <= as_of,
            FetchRun.started_at >= a.c.at,
            or_(FetchRun.started_at > a.c.at, FetchRun.id > a.c.run_id),
            newest=False,
        )

    found = _ask(execute, asks, POSITION, lookups)
    return {k: v if v[1] is not None else None for k, v in found.items()}


# -- a source's listing reads (what an absence rests on) ---------------------------------------
#
# An absence asks, per listing page of a source, for its first successful read after each
# deadline of an obligation, and for each page's last read (rules/listing_reads.py). Every
# lookup is one descent of the partial index of the listing runs,
# ``fetch_runs(source_id, url, started_at, id) WHERE listing`` (0029_listing_read_lookup),
# walking past the failed reads only: the pages are found by skipping from one page's entries
# to the next, and a page's read after an instant is the first entry from it, in the reads'
# own order (started_at, id). The statements take their values as bound parameters, in a few
# fixed shapes, so that each is compiled once per process (a VALUES list is compiled anew for
# every set of values: milliseconds each).

SHAPES = (8, 32, 128)  # instants per statement: a batch is padded to the next shape


def _pages(source_id):
    """Every page the source ever fetched as a listing (whatever the outcome), as a recursive
    CTE: one descent of the index per page, each skipping to the next URL."""

    def after(previous) -> ColumnElement:
        return (
            select(FetchRun.url)
            .where(
                FetchRun.source_id == source_id,
                IS_LISTING,
                *((FetchRun.url > previous,) if previous is not None else ()),
            )
            .order_by(FetchRun.url)
            .limit(1)
            .scalar_subquery()
        )

    pages = select(after(None).label("url")).cte("pages", recursive=True)
    return pages.union_all(select(after(pages.c.url)).where(pages.c.url.is_not(None)))


def _page_read(pages, *where, last: bool) -> ColumnElement:
    """The id of the first (``last``: the last) successful read of ``pages.url`` meeting
    ``where``, in (started_at, id) order: the first entry of the page's index range."""
    source_id = bindparam("source_id", type_=FetchRun.source_id.type)
    order = (FetchRun.started_at, FetchRun.id)
    return (
        select(FetchRun.id)
        .where(
            FetchRun.source_id == source_id,
            IS_LISTING,
            FetchRun.url == pages.c.url,
            FetchRun.outcome.in_(SUCCESS_OUTCOMES),
            *where,
        )
        .order_by(*(c.desc() for c in order) if last else order)
        .limit(1)
        .scalar_subquery()
    )


def _with_runs(found, *keys):
    """``found`` (its ``keys`` columns and ``run_id``, the read found, or None) with that read's
    URL, time and body's sha256, in the same statement: each looked up by the run's key (scalar
    subqueries: joined, PostgreSQL without statistics hashed the whole table for each source)."""
    # OFFSET 0: kept a subquery, the read found once (merged into the query, its lookup was
    # made again for each column)
    found = found.offset(0).subquery("found")
    run = found.c.run_id

    def of_run(column, *join):
        lookup = select(column)
        for table, on in join:
            lookup = lookup.join(table, on)
        return lookup.where(FetchRun.id == run).scalar_subquery()

    return select(
        *(found.c[k] for k in keys),
        run,
        of_run(FetchRun.url),
        of_run(FetchRun.started_at),
        of_run(Snapshot.sha256, (FetchRun, Snapshot.id == FetchRun.snapshot_id)),
    ).where(run.is_not(None))


def _last_reads_statement():
    """Per page of the source, its last successful read by ``as_of``."""
    pages = _pages(bindparam("source_id", type_=FetchRun.source_id.type))
    as_of = bindparam("as_of", type_=UTCDateTime())
    found = select(
        pages.c.url.label("page"),
        _page_read(pages, FetchRun.started_at <= as_of, last=True).label("run_id"),
    ).where(pages.c.url.is_not(None))
    return _with_runs(found, "page")


_LAST_READS = _last_reads_statement()
_FIRST_AFTER: dict[int, Any] = {}


def _first_after_statement(n: int):
    """Per page of the source and per instant ``t0``..``t{n-1}`` (numbered 0..n-1): its first
    successful read after the instant by ``as_of``. Built once per shape."""
    found = _FIRST_AFTER.get(n)
    if found is None:
        pages = _pages(bindparam("source_id", type_=FetchRun.source_id.type))
        as_of = bindparam("as_of", type_=UTCDateTime())
        instants = union_all(
            *(
                select(literal(i).label("k"), bindparam(f"t{i}", type_=UTCDateTime()).label("at"))
                for i in range(n)
            )
        ).cte("instants")
        read = _page_read(
            pages,
            FetchRun.started_at > instants.c.at,
            FetchRun.started_at <= as_of,
            last=False,
        )
        found = _FIRST_AFTER[n] = _with_runs(
            select(pages.c.url.label("page"), instants.c.k, read.label("run_id"))
            .select_from(pages.join(instants, true()))
            .where(pages.c.url.is_not(None)),
            "page",
            "k",
        )
    return found


class _Reads(dict):
    """Listing reads by run id, one object per run however many times it is found."""

    def read(self, run_id, url, started, sha) -> ListingRead:
        found = self.get(run_id)
        if found is None:
            found = self[run_id] = ListingRead(url, started, sha)
        return found


def last_listing_reads(execute, source_id: str, as_of: datetime) -> dict[str, ListingRead]:
    """Per page the source read as a listing by ``as_of``: its last successful read by then,
    in (started_at, id) order. One statement: one descent per page, and those runs."""
    reads = _Reads()
    return {
        page: reads.read(*run)
        for page, *run in execute(_LAST_READS, {"source_id": source_id, "as_of": as_of})
    }


def _first_after_array():
    """PostgreSQL: :func:`_first_after_statement` with the instants one array parameter,
    numbered from 1 (``WITH ORDINALITY``). A union of a hundred selects took PostgreSQL 13 ms
    to plan, for every source (an execution of 7 ms); an array, a fraction of one."""
    global _FIRST_AFTER_ARRAY
    if _FIRST_AFTER_ARRAY is None:
        from sqlalchemy.dialects.postgresql import ARRAY

        pages = _pages(bindparam("source_id", type_=FetchRun.source_id.type))
        as_of = bindparam("as_of", type_=UTCDateTime())
        instants = (
            func.unnest(bindparam("instants", type_=ARRAY(DateTime())))
            .table_valued("at", with_ordinality="k", name="instants")
            .render_derived()
        )
        read = _page_read(
            pages,
            FetchRun.started_at > instants.c.at,
            FetchRun.started_at <= as_of,
            last=False,
        )
        _FIRST_AFTER_ARRAY = _with_runs(
            select(pages.c.url.label("page"), instants.c.k, read.label("run_id"))
            .select_from(pages.join(instants, true()))
            .where(pages.c.url.is_not(None)),
            "page",
            "k",
        )
    return _FIRST_AFTER_ARRAY


_FIRST_AFTER_ARRAY = None


def first_listing_reads_after(
    execute, source_id: str, instants: Iterable[datetime], as_of: datetime, *, dialect=None
) -> dict[datetime, dict[str, ListingRead]]:
    """Per instant, per page the source read as a listing after it by ``as_of``: its first
    successful read after it, in (started_at, id) order. Per 128 instants one statement (one
    descent per page and instant, and those runs); on PostgreSQL (``dialect``) one for all."""
    instants = sorted(set(instants))
    reads = _Reads()
    out: dict[datetime, dict[str, ListingRead]] = {t: {} for t in instants}
    if dialect == "postgresql" and instants:
        stored = [t.astimezone(timezone.utc).replace(tzinfo=None) for t in instants]
        params = {"source_id": source_id, "as_of": as_of, "instants": stored}
        for page, k, *run in execute(_first_after_array(), params):
            out[instants[k - 1]][page] = reads.read(*run)
        return out
    for start in range(0, len(instants), SHAPES[-1]):
        chunk = instants[start : start + SHAPES[-1]]
        n = next(s for s in SHAPES if s >= len(chunk))
        params = {f"t{i}": chunk[min(i, len(chunk) - 1)] for i in range(n)}
        params.update(source_id=source_id, as_of=as_of)
        for page, k, *run in execute(_first_after_statement(n), params):
            if k < len(chunk):
                out[chunk[k]][page] = reads.read(*run)
    return out
