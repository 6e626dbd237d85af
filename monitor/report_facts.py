"""The reports family of facts (monitor/fact_gathering.py): every report of the sources in scope with its
readings, the listing pages that carried it, its publication lower bound and, for a document not
placed in a period, how fetching it went.

Set-based and lean: a fixed number of queries however many reports there are and however many
counts each holds, read as plain tuples. Of a reading's counts only what the checks read is
fetched (``rules.facts.counts_read``: the first row of each table, the month and total rows, the
first row whose label leaves the information's origin open), chosen by the database; the whole
of a reading is fetched only where a revision can be seen (two different bodies of one report
read by one parser version), which ``revised`` compares cell by cell.
"""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import (
    Integer,
    Text,
    bindparam,
    case,
    cast,
    column,
    func,
    or_,
    select,
    union_all,
)

from sqlalchemy.orm import aliased

from monitor.models.reports import LONG_LABEL, SHORT_LABEL
from monitor.models.sources import SUCCESS_READ
from monitor.models import (
    CountObservation,
    FetchRun,
    Parse,
    ParseProblem,
    Report,
    ReportListing,
    Snapshot,
    Statement,
)
from monitor.run_lookups import (
    bodies_before,
    document_runs,
    first_body_after,
    newest_run,
    reads_before,
)
from rules.facts import (
    READABLE,
    TOTAL_DIMENSIONS,
    CountFact,
    ProblemFact,
    ReadFact,
    ReportFact,
    StatementFact,
)
from scrapers.vocabulary import SUCCESS_OUTCOMES

# IN lists are cut to this many values (SQLite allows some thousands of parameters).
CHUNK = 500

_REPORT_COLUMNS = (
    Report.id,
    Report.source_id,
    Report.url,
    Report.first_seen,
    Report.title,
    Report.period_start,
    Report.period_end,
    Report.issued,
    Report.issued_precision,
    Report.removed_at,
    Report.listed_on,
    Report.link_period_start,
    Report.link_period_end,
)
_COUNT_COLUMNS = (
    CountObservation.report_id,
    CountObservation.parse_id,
    CountObservation.measure,
    CountObservation.dimension,
    CountObservation.category,
    CountObservation.label,
    CountObservation.value,
    CountObservation.period_start,
    CountObservation.period_end,
    CountObservation.page,
)


def _chunks(values) -> list[list]:
    values = sorted(values)
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def report_facts(scope) -> list[ReportFact]:
    as_of = scope.as_of
    if not scope.source_ids:
        return []
    reports = list(
        scope.execute(
            select(*_REPORT_COLUMNS)
            .where(Report.source_id.in_(scope.source_ids), Report.first_seen <= as_of)
            .order_by(Report.id)
        )
    )
    if not reports:
        return []
    reads = _reads(scope, {r.id for r in reports})
    listings = _listings(scope)
    absent = _absent_at(scope, reports, listings)
    unplaced = [r for r in reports if r.period_start is None or r.period_end is None]
    states = _fetch_states(scope, unplaced)
    out = []
    for r in reports:
        extra: dict = {}
        if r.period_start is None or r.period_end is None:
            named = _could_cover(r, scope.registered.get(r.source_id))
            extra.update(zip(("named_start", "named_end", "could_start", "could_end"), named))
            if r.id in states:
                extra.update(
                    zip(("fetch_state", "fetch_failures", "last_fetch_error"), states[r.id])
                )
        out.append(
            ReportFact(
                source_id=r.source_id,
                url=r.url,
                first_seen=r.first_seen,
                title=r.title,
                period_start=r.period_start,
                period_end=r.period_end,
                issued=r.issued,
                issued_precision=r.issued_precision,
                absent_at=absent.get(r.id),
                removed_at=r.removed_at if r.removed_at and r.removed_at <= as_of else None,
                listings=tuple((url, dropped) for url, _first, dropped in listings.get(r.id, ())),
                reads=reads.get(r.id, ()),
                report_id=r.id,
                **extra,
            )
        )
    return out


def _could_cover(report, registered):
    """(named start, end, could-cover start, end) of a report whose link names a period."""
    if report.link_period_start is None or report.link_period_end is None:
        return None, None, None, None
    start, end = report.link_period_start, report.link_period_end
    if registered is None or registered.link_periods is None:
        return start, end, None, None  # the source does not say how its links name periods
    could = registered.link_periods.could_cover(start, end)
    return start, end, could[0], could[1]


# -- readings ---------------------------------------------------------------------------------


def _reads(scope, wanted: set[int]) -> dict[int, tuple[ReadFact, ...]]:
    """Per report, every reading known at the instant, chronological: each parse of a snapshot
    of its own URL, and each parse of another document that attributed rows to it."""
    as_of, share = scope.as_of, scope.share
    in_scope = scope.report_ids()
    parses: dict[int, tuple] = {}  # parse id -> (version, outcome, parsed_at, sha, fetched_at)
    pairs: dict[int, set[int]] = defaultdict(set)  # report id -> parse ids
    for rid, pid, version, outcome, parsed_at, sha, fetched_at in scope.execute(
        select(
            Report.id,
            Parse.id,
            Parse.parser_version,
            Parse.outcome,
            Parse.parsed_at,
            Snapshot.sha256,
            Snapshot.fetched_at,
        )
        .join(Snapshot, (Snapshot.url == Report.url) & (Snapshot.source_id == Report.source_id))
        .join(Parse, Parse.snapshot_id == Snapshot.id)
        .where(
            Report.source_id.in_(scope.source_ids),
            Report.first_seen <= as_of,
            Snapshot.fetched_at <= as_of,
            Parse.parsed_at <= as_of,
        )
    ):
        pairs[rid].add(pid)
        parses[pid] = (share(version), share(outcome), parsed_at, sha, fetched_at)

    statements: dict[tuple[int, int], list[StatementFact]] = defaultdict(list)
    said: dict[tuple, StatementFact] = {}  # one per distinct statement
    for rid, pid, key, status, value, quote, page in scope.execute(
        select(
            Statement.report_id,
            Statement.parse_id,
            Statement.key,
            Statement.status,
            Statement.value,
            Statement.quote,
            Statement.page,
        )
        .join(Parse, Parse.id == Statement.parse_id)
        .where(Statement.report_id.in_(in_scope), Parse.parsed_at <= as_of)
        .order_by(Statement.id)
    ):
        pairs[rid].add(pid)
        fact = (key, status, value, quote, page)
        if fact not in said:
            said[fact] = StatementFact(*fact)
        statements[(rid, pid)].append(said[fact])
    problems: dict[tuple[int | None, int], list[ProblemFact]] = defaultdict(list)
    for rid, pid, kind, detail, page in scope.execute(
        select(
            ParseProblem.report_id,
            ParseProblem.parse_id,
            ParseProblem.kind,
            ParseProblem.detail,
            ParseProblem.page,
        )
        .join(Parse, Parse.id == ParseProblem.parse_id)
        .where(
            or_(
                ParseProblem.report_id.in_(in_scope),
                # a problem of a whole document belongs to every report read from it
                ParseProblem.report_id.is_(None) & Parse.source_id.in_(scope.source_ids),
            ),
            Parse.parsed_at <= as_of,
        )
        .order_by(ParseProblem.id)
    ):
        if rid is not None:
            pairs[rid].add(pid)
        problems[(rid, pid)].append(ProblemFact(share(kind), detail, page))
    counts = _counts(scope, wanted, pairs, parses)
    missing = {pid for pids in pairs.values() for pid in pids} - set(parses)
    for chunk in _chunks(missing):  # parses that attributed rows to a report of another URL
        for pid, version, outcome, parsed_at, sha, fetched_at in scope.execute(
            select(
                Parse.id,
                Parse.parser_version,
                Parse.outcome,
                Parse.parsed_at,
                Snapshot.sha256,
                Snapshot.fetched_at,
            )
            .join(Snapshot, Snapshot.id == Parse.snapshot_id)
            .where(Parse.id.in_(chunk), Snapshot.fetched_at <= as_of)
        ):
            parses[pid] = (share(version), share(outcome), parsed_at, sha, fetched_at)
    if missing:  # now their counts too
        counts.update(_counts(scope, wanted, pairs, parses, only=missing))

    out: dict[int, tuple[ReadFact, ...]] = {}
    for rid, pids in pairs.items():
        found = []
        for pid in pids:
            if pid not in parses:
                continue  # its snapshot was fetched after the instant
            version, outcome, parsed_at, sha, fetched_at = parses[pid]
            whole, rows = counts.get((rid, pid), (True, ()))
            found.append(
                ReadFact(
                    sha,
                    fetched_at,
                    version,
                    outcome,
                    tuple(rows),
                    tuple(statements.get((rid, pid), ())),
                    tuple(problems.get((rid, pid), []) + problems.get((None, pid), [])),
                    parsed_at,
                    whole=whole,
                )
            )
        if len(found) > 1:
            found.sort(key=lambda r: (r.fetched_at, r.seen_at, r.parser_version))
        if found:
            out[rid] = tuple(found)
    return out


def _whole_needed(pairs: dict[int, set[int]], parses: dict[int, tuple]) -> set[int]:
    """Parses whose whole counts a revision may compare: readable readings of a report by one
    parser version, where that version read two or more different bodies of it."""
    out: set[int] = set()
    for pids in pairs.values():
        versions: dict[str, list[int]] = defaultdict(list)
        for pid in pids:
            if pid in parses and parses[pid][1] in READABLE:
                versions[parses[pid][0]].append(pid)
        for same in versions.values():
            if len({parses[pid][3] for pid in same}) > 1:
                out.update(same)
    return out


def _counts(
    scope, wanted, pairs, parses, only: set[int] | None = None
) -> dict[tuple[int, int], tuple[bool, list[CountFact]]]:
    """Per (report, parse): (whole?, the count rows kept), in stored order, for the reports
    ``wanted``. ``only``: these parses alone (those found after the main pass), whole."""
    as_of = scope.as_of
    co = CountObservation
    in_scope = scope.report_ids()
    out: dict[tuple[int, int], tuple[bool, list[CountFact]]] = {}

    made: dict[tuple, CountFact] = {}  # one (immutable) CountFact per distinct row

    def keep(rows, whole: bool) -> None:
        # the rows of one reading come one after the other (id order): its entry is looked up
        # once for them, not once a row
        last = rows_of = None
        for rid, pid, *cells in rows:
            if (rid, pid) != last:
                last, rows_of = (rid, pid), None
                if rid not in wanted:
                    continue  # a row another document's parse gave a report out of scope
                entry = out.get(last)
                if entry is None or (whole and not entry[0]):
                    entry = out[last] = (whole, [])
                    pairs[rid].add(pid)
                elif entry[0] != whole:
                    continue  # already read whole
                rows_of = entry[1]
            elif rows_of is None:
                continue  # out of scope, or already read whole
            key = tuple(cells)
            fact = made.get(key)
            if fact is None:
                fact = made[key] = CountFact(*key)
            rows_of.append(fact)

    if only is not None:
        for chunk in _chunks(only):
            keep(
                scope.execute(
                    select(*_COUNT_COLUMNS).where(co.parse_id.in_(chunk)).order_by(co.id)
                ),
                True,
            )
        return out
    current = select(Parse.id).where(Parse.parsed_at <= as_of)
    if scope.whole_reads:
        keep(
            scope.execute(
                select(*_COUNT_COLUMNS)
                .where(co.report_id.in_(in_scope), co.parse_id.in_(current))
                .order_by(co.id)
            ),
            True,
        )
        return out
    from scrapers.interpret.taxonomy import load as load_taxonomy

    taxonomy = load_taxonomy()
    short, long = _labels(scope)
    ambiguous = [label for label in short + long if taxonomy.origin_is_ambiguous(label)]
    # the first row of each table: the first entry of each group of
    # count_observations(report_id, parse_id, measure, dimension, id), read in index order
    # (a total's table is kept whole below, so it is no group here)
    firsts = [
        select(func.min(co.id))
        .where(co.report_id.in_(in_scope), co.dimension.not_in(TOTAL_DIMENSIONS))
        .group_by(co.report_id, co.parse_id, co.measure, co.dimension)
    ]
    if ambiguous:
        long_ones = any(label in ambiguous for label in long)
        firsts.append(_first_ambiguous(in_scope, ambiguous, long_ones))
    # the rows kept, as one set of ids (each read by its key, in id order) rather than a test
    # of every count row of the reports in scope
    totals = select(co.id).where(co.report_id.in_(in_scope), co.dimension.in_(TOTAL_DIMENSIONS))
    kept = union_all(totals, *firsts)
    if scope.dialect != "postgresql":
        rows = scope.execute(
            select(*_COUNT_COLUMNS).where(co.id.in_(kept), co.parse_id.in_(current)).order_by(co.id)
        )
    else:
        # PostgreSQL guesses 200 ids for "IN (a union)" and looks each row up by its key (a
        # second at 40,000 reports); joined with the union it expects them all and reads
        # the table once. A row kept twice (a first row that is also the ambiguous one) comes
        # twice, next to itself.
        ids = kept.subquery("kept")
        rows = _once(
            scope.execute(
                select(co.id, *_COUNT_COLUMNS)
                .join(ids, ids.c.id == co.id)
                .where(co.parse_id.in_(current))
                .order_by(co.id)
            )
        )
    keep(rows, False)
    whole = _whole_needed(pairs, parses)
    for chunk in _chunks(whole):
        keep(
            scope.execute(select(*_COUNT_COLUMNS).where(co.parse_id.in_(chunk)).order_by(co.id)),
            True,
        )
    return out


def _labels(scope) -> tuple[list[str], list[str]]:
    """Every label of a count row stored, each once, as (those in count_observations(label,
    ...), the longer ones): one descent of that index per label (a recursive statement, the
    next label after the last), not the label of every count row read from the table; the
    longer ones (normally none) from the rows of their own index. Labels of reports out of
    scope come too: they only widen the list the rows in scope are then picked by."""
    co = CountObservation
    labels = (
        select(func.min(co.label).label("label")).where(SHORT_LABEL).cte("labels", recursive=True)
    )
    following = (
        select(func.min(co.label)).where(SHORT_LABEL, co.label > labels.c.label).scalar_subquery()
    )
    labels = labels.union_all(select(following).where(labels.c.label.is_not(None)))
    walked = select(labels.c.label).where(labels.c.label.is_not(None))
    return (
        [label for (label,) in scope.execute(walked)],
        [label for (label,) in scope.execute(select(co.label).distinct().where(LONG_LABEL))],
    )


def _first_ambiguous(in_scope, ambiguous: list[str], long: bool):
    """Per reading in scope, the id of its first row whose label is one of ``ambiguous``: a
    range of count_observations(label, ...) per label and, if ``long`` (an ambiguous label is
    too long for that index), the rows of those from their own index, the first of both."""
    co = CountObservation
    short = (co.report_id.in_(in_scope), SHORT_LABEL, co.label.in_(ambiguous))
    if not long:
        return select(func.min(co.id)).where(*short).group_by(co.report_id, co.parse_id)
    rows = union_all(
        select(co.id, co.report_id, co.parse_id).where(*short),
        select(co.id, co.report_id, co.parse_id).where(
            co.report_id.in_(in_scope), LONG_LABEL, co.label.in_(ambiguous)
        ),
    ).subquery("ambiguous")
    return select(func.min(rows.c.id)).group_by(rows.c.report_id, rows.c.parse_id)


def _once(rows):
    """Rows (an id first, in id order) without the id, each id once."""
    last = None
    for row in rows:
        if row[0] != last:
            last = row[0]
            yield row[1:]


# -- listings and publication -----------------------------------------------------------------


def _listings(scope) -> dict[int, list[tuple[str, object, object]]]:
    """Per report, the listing pages that linked it by the instant: (URL, first seen there,
    when that page dropped it or None), by URL."""
    out: dict[int, list[tuple]] = defaultdict(list)
    as_of = scope.as_of
    for rid, url, first, removed in scope.execute(
        select(
            ReportListing.report_id,
            ReportListing.listing_url,
            ReportListing.first_seen,
            ReportListing.removed_at,
        )
        .where(ReportListing.report_id.in_(scope.report_ids()), ReportListing.first_seen <= as_of)
        .order_by(ReportListing.listing_url, ReportListing.report_id)
    ):
        dropped = removed if removed and removed <= as_of else None
        out[rid].append((scope.share(url), first, dropped))
    return out


def _absent_at(scope, reports, listings) -> dict[int, object]:
    """Per report, a time the monitor saw it published nowhere yet: for each listing page that
    carried it, the last successful read of that page before it appeared there whose body lacked
    it; the earliest of these (it may have been on any of those pages from just after that
    read), and none at all when one page showed it on its first read.

    Only the reads just before each report appeared are looked up (monitor/run_lookups.py: a
    few index lookups per report and page, never the page's whole history of reads): the read
    just before, and the body the page showed then. A body that did link the report (the read
    that found it does) sends that report back to the read before that body was first shown,
    with the body shown then, in a next round."""
    start_urls = {k: v.start_urls for k, v in scope.registered.items()}
    wanted: dict[int, dict[str, object]] = {}
    every_page: dict[int, bool] = {}  # False: a report no listing page carried (read directly)
    for r in reports:
        pages = {url: first for url, first, _dropped in listings.get(r.id, ())}
        every_page[r.id] = bool(pages)
        if not pages:
            pages = {
                url: r.first_seen
                for url in ({r.listed_on} if r.listed_on else set(start_urls.get(r.source_id, ())))
            }
        wanted[r.id] = pages
    # one entry per (report, page): the report's id, the page, the report's URL, and when it
    # appeared there
    asked = [
        (r.id, url, r.url, min(appeared, r.first_seen))
        for r in reports
        for url, appeared in wanted[r.id].items()
    ]
    if not asked:
        return {}
    execute, as_of = scope.execute, scope.as_of
    bound: dict[tuple[int, str], object] = {}
    # the first round: the stored listings' answers in one statement, the rest asked by value
    stored = _stored_first_round(scope) if listings else {}
    rest = [i for i, a in enumerate(asked) if (a[1], a[3]) not in stored]
    read_at = reads_before(execute, [(i, asked[i][1], asked[i][3], 0) for i in rest], as_of)
    shown = bodies_before(execute, [(i, asked[i][1], asked[i][3], 0, 0) for i in rest], as_of)
    for i, (_rid, url, _report_url, appeared) in enumerate(asked):
        if (url, appeared) in stored:
            read_at[i], shown[i] = stored[(url, appeared)]
    del stored
    # entry -> (when the page was read, the body it showed, the position that read is before)
    pending: dict[int, tuple] = {}
    for i, (rid, url, _report_url, appeared) in enumerate(asked):
        if read_at.get(i) is None or shown.get(i) is None:
            bound[(rid, url)] = None  # not read (or never with a body) before it appeared
        else:
            pending[i] = (read_at[i], shown[i][2], (appeared, 0))
    while pending:
        linked = _linking(
            scope, {i: (snap, asked[i][2]) for i, (_at, snap, _pos) in pending.items()}
        )
        again = sorted(i for i in pending if i in linked)
        for i, (at, _snap, _pos) in pending.items():
            if i not in linked:
                bound[asked[i][:2]] = at
        if not again:
            break
        # that body linked it: the body shown before it, the first read of the body after that
        # one, and the read just before that
        other = bodies_before(
            execute, [(i, asked[i][1], *pending[i][2], pending[i][1]) for i in again], as_of
        )
        starts = first_body_after(
            execute, [(i, asked[i][1], *other[i][:2]) for i in again if other.get(i)], as_of
        )
        back = reads_before(execute, [(i, asked[i][1], *starts[i]) for i in starts], as_of)
        pending = {}
        for i in again:
            if other.get(i) is None or back.get(i) is None:
                bound[asked[i][:2]] = None  # no other body before it: on the page from the start
            else:
                pending[i] = (back[i], other[i][2], starts[i])
    out = {}
    for rid, pages in wanted.items():
        bounds = [bound.get((rid, url)) for url in pages]
        if every_page[rid] and bounds and all(b is not None for b in bounds):
            out[rid] = min(bounds)
        elif not every_page[rid] and any(b is not None for b in bounds):
            out[rid] = max(b for b in bounds if b is not None)
    return out


def _stored_first_round(scope) -> dict[tuple[str, object], tuple]:
    """Per (listing page, moment) at which a stored listing in scope says a report appeared
    there (the earlier of its first sight on the page and its own first sight): what
    ``reads_before`` and ``bodies_before`` (monitor/run_lookups.py) answer for that page before
    that moment: the time of the newest read, and the newest read with a body ((started_at, id,
    snapshot id), or None).

    The same lookups, asked of rows the database reads itself: one statement, compiled once,
    instead of a ``VALUES`` list of every report, whose building and compiling cost more than
    the lookups (about 0.3 ms a report). Every moment asked is no later than the instant (both
    first sights are), so the instant bounds no lookup: leaving it out lets SQLite start each
    walk of ``fetch_runs(url, started_at)`` at the moment, not at the instant."""
    rl, r = ReportListing, Report
    appeared = case((rl.first_seen < r.first_seen, rl.first_seen), else_=r.first_seen)
    asked = (
        select(rl.listing_url.label("url"), appeared.label("at"))
        .join(r, r.id == rl.report_id)
        .where(
            r.source_id.in_(scope.source_ids),
            r.first_seen <= scope.as_of,
            rl.first_seen <= scope.as_of,
        )
        .distinct()
        .subquery("asked")
    )

    # PostgreSQL: the successful reads of fetch_runs(url, started_at) (0030_eval_speed), its
    # condition as written there; on fetch_runs(url, outcome, started_at) it read the three
    # outcome ranges whole and sorted them. SQLite walks fetch_runs(url, started_at) back, as
    # fast; given that index's condition it took fetch_runs(started_at) for the run's id.
    success = (
        SUCCESS_READ if scope.dialect == "postgresql" else FetchRun.outcome.in_(SUCCESS_OUTCOMES)
    )

    def newest(columns, *where):
        return newest_run(
            columns,
            FetchRun.url == asked.c.url,
            success,
            FetchRun.started_at < asked.c.at,
            *where,
        )

    # the read with the body found once (its id), then read by its key for its time and its
    # snapshot: asked for each column, its walk was made three times and the descent twice
    found = select(
        asked.c.url,
        asked.c.at,
        *newest((FetchRun.started_at,)),
        *newest((FetchRun.id,), FetchRun.snapshot_id.is_not(None)),
    )
    # OFFSET 0: kept a subquery (merged into the join, PostgreSQL looked the id up twice)
    found = found.offset(0).subquery("found")
    url_, at_, read_at_, body_id = found.c
    body = aliased(FetchRun, name="body")
    return {
        (url, at): (read_at, (started, body, snap) if body is not None else None)
        for url, at, read_at, started, body, snap in scope.execute(
            select(url_, at_, read_at_, body.started_at, body.id, body.snapshot_id)
            .select_from(found)
            .outerjoin(body, body.id == body_id)
        )
    }


def _linking(scope, bodies: dict[int, tuple[int, str]]) -> set[int]:
    """Of ``bodies`` (entry -> (snapshot id, report URL)), the entries whose snapshot a parse
    by the instant read as linking the report.

    Only the bodies that may link the report are read: the database first tells which parses
    hold the report's URL anywhere in their links' text (a listing's links are most of the
    stored text: a page of a few hundred reports, read monthly, holds megabytes of them, and
    the body read just before a report appeared seldom names it). A URL that a serialiser
    might write otherwise is looked for in every body, as before."""
    maybe = {i for i, (_snap, url) in bodies.items() if not _plain(url)}
    maybe |= _naming(scope, [(i, snap, url) for i, (snap, url) in bodies.items() if _plain(url)])
    waiting: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for i, (snap, report_url) in bodies.items():
        if i in maybe:
            waiting[snap].append((i, report_url))
    linked: set[int] = set()
    for chunk in _chunks(waiting):
        for snap_id, text in scope.execute(
            select(Parse.snapshot_id, cast(Parse.links, Text)).where(
                Parse.snapshot_id.in_(chunk), Parse.parsed_at <= scope.as_of
            )
        ):
            there = None
            for i, report_url in waiting[snap_id]:
                if text is None or (_plain(report_url) and report_url not in text):
                    continue  # not even in the text: not linked
                if there is None:
                    there = {link.get("url") for link in json.loads(text) or ()}
                if report_url in there:
                    linked.add(i)
    return linked


# Asks per statement of _naming: the JSON of a few thousand is some hundred kilobytes.
NAMING_CHUNK = 2000


def _naming(scope, asks: list[tuple[int, int, str]]) -> set[int]:
    """Of ``asks`` (entry, snapshot id, URL), the entries a parse by the instant of whose
    snapshot holds the URL in the text of its links, asked of the database (the text does
    not travel). The asks go as one JSON parameter the database reads as rows, not as a
    ``VALUES`` list, whose building and compiling cost more than the search (0.3 ms a row);
    a few thousand at a time, so that their JSON is never large."""
    text = bindparam("asks", type_=Text)
    if scope.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        asked = (
            func.jsonb_to_recordset(cast(text, JSONB))
            .table_valued(
                column("key", Integer), column("snapshot_id", Integer), column("url", Text)
            )
            .render_derived(name="asked", with_types=True)
        )
        key, snap, url = asked.c.key, asked.c.snapshot_id, asked.c.url
        found = func.strpos(cast(Parse.links, Text), url)
    else:
        asked = func.json_each(text).table_valued("value", name="asked")
        key, snap, url = (
            func.json_extract(asked.c.value, f"$.{k}") for k in ("key", "snapshot_id", "url")
        )
        found = func.instr(cast(Parse.links, Text), url)
    statement = (
        select(key)
        .select_from(asked)
        .join(Parse, Parse.snapshot_id == snap)
        .where(Parse.parsed_at <= scope.as_of, found > 0)
    )
    out: set[int] = set()
    asks = sorted(asks)
    for start in range(0, len(asks), NAMING_CHUNK):
        data = json.dumps(
            [
                {"key": k, "snapshot_id": s, "url": u}
                for k, s, u in asks[start : start + NAMING_CHUNK]
            ]
        )
        out.update(k for (k,) in scope.execute(statement.params(asks=data)))
    return out


def _plain(url: str) -> bool:
    """Whether ``url`` reads the same inside any JSON text (nothing a serialiser escapes)."""
    return url.isascii() and url.isprintable() and '"' not in url and "\\" not in url


def _fetch_states(scope, reports) -> dict[int, tuple[str | None, int, str | None]]:
    """Per report not yet placed in a period: (fetch state, failed fetches in a row, last
    error) from its fetch runs by the instant (not the stored state: an evaluation as of the
    past sees the document as it stood then)."""
    from monitor.fetching import FETCH_FAILURES

    wanted = {(r.source_id, r.url): r.id for r in reports}
    if not wanted:
        return {}
    out = {}
    # since each document's last fetch that did not fail, not its whole history
    for key, (streak, failure) in document_runs(
        scope.execute, wanted, scope.as_of, FETCH_FAILURES
    ).items():
        failures = len(streak)
        last_error = None
        if failure is not None:
            outcome, error = failure
            last_error = (f"{outcome}: {error}" if error else outcome)[:2000]
        state = (
            "ok"
            if failures == 0
            else "unreachable"
            if failures >= scope.unreachable_after
            else "failing"
        )
        out[wanted[key]] = (state, failures, last_error)
    return out
