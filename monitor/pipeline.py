"""The main job: poll the sources that are due, store what they published, evaluate every
obligation, and say what changed.

One run = one cycle id shared by all its fetch runs. Each source's poll is committed on its own,
so a source that fails (or a crash half-way) never costs what the other sources stored; the
evaluation is committed last, in one transaction, so findings always reflect a whole run.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable

from monitor.as_of import is_future, is_past, writes_findings
from monitor.api_keys import sync_missing_keys
from monitor.fetching import PollResult, new_cycle, poll_source, source_headers, sources_due
from monitor.findings_sync import SyncResult, evaluate_and_sync
from monitor.parse_problems import problem_groups
from monitor.poll_plan import PollPlan, attach, read_plan
from monitor.source_status import SourceStatus, source_statuses
from scrapers.fetch.http import Fetcher
from scrapers.registry import RegisteredSource

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    cycle: str
    now: datetime
    as_of: datetime | date | None
    polls: list[PollResult] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)
    sync: SyncResult | None = None
    problems: list = field(default_factory=list)  # parse_problems.ProblemGroup, after the polls
    delivery: Any = None  # monitor.delivery.slack_sender.DrainReport, when the outbox was drained
    statuses: list[SourceStatus] = field(default_factory=list)  # every source, after the polls
    # False when the evaluation was a dry run (as of the past without --write): `sync` says what
    # it would have opened, changed and resolved, and nothing of it was stored
    findings_written: bool = True
    # the operator findings about API keys that are not set (monitor/api_keys.py), when checked
    keys: SyncResult | None = None

    @property
    def failed_sources(self) -> list[str]:
        return [p.source for p in self.polls if p.failed]

    @property
    def failures(self) -> list[str]:
        """Why the run exits 1: polls that failed now, and every source failing, broken or
        stale, whether or not it was due this run."""
        out = {}
        for poll in self.polls:
            if poll.failed:
                out[poll.source] = f"{poll.source}: poll failed"
        for status in self.statuses:
            if status.problem:
                out[status.id] = f"{status.id}: {status.problem}"
        return list(out.values())

    @property
    def ok(self) -> bool:
        """No poll failed and no source is failing, broken or stale (findings are not
        failures)."""
        return not self.failures


def run_once(
    ctx,
    *,
    now: datetime | None = None,
    as_of: datetime | date | None = None,
    every_source: bool = False,
    rewrite: Callable[[str], str] | None = None,
    registered: list[RegisteredSource] | None = None,
    evaluate: bool = True,
    notify: bool = True,
    progress: Callable[[str], None] | None = None,
    write: bool | None = None,
    check_keys: bool | None = None,
) -> RunReport:
    """Poll the due (or all) sources, then evaluate and sync findings as of ``as_of``.

    ``write``: record the findings (True), or evaluate without storing them (False); None, the
    default, records them unless ``as_of`` is in the past (:mod:`monitor.as_of`): a look back
    never moves the stored findings. The polls are stored either way.

    ``ctx`` is a :class:`monitor.context.Context` (settings, engine, archive). ``now`` dates
    everything written (default: the context's clock); ``rewrite`` maps canonical URLs to the
    URLs actually requested (the offline demo). ``notify``: drain the Slack outbox at the end
    (skipped quietly when Slack is not configured). ``check_keys``: raise (or resolve) the one
    operator finding per API key that is not set (:func:`monitor.api_keys.sync_missing_keys`);
    None, the default, does when every source is asked for (``registered`` not given); never in
    a run as of the past or the future.
    """
    now = now or ctx.now()
    report = RunReport(cycle=new_cycle(now), now=now, as_of=as_of)
    if hasattr(ctx, "note_cycle"):
        ctx.note_cycle(report.cycle)  # so an interrupted run is marked with what it stored
    candidates = registered if registered is not None else ctx.sources.all()
    check_keys = registered is None if check_keys is None else check_keys
    # the keys are checked as of now: not by a look back or ahead (monitor/as_of.py)
    check_keys = check_keys and not (is_past(as_of, now) or is_future(as_of, now))
    # a source without start URLs takes documents by hand (`monitor ingest`) and is not polled;
    # one read through an API whose key is not set is not polled either (status: not configured)
    from monitor.apipoll import is_polled

    pollable = [r for r in candidates if is_polled(r, ctx.settings)]
    # the statuses also name a source left unpolled for want of its API key (not configured)
    # (by identity: pollable is taken from candidates; comparing the dataclasses was 20,000
    # comparisons a run at 200 sources)
    polled = {id(r) for r in pollable}
    listed = [
        r for r in candidates if id(r) in polled or r.source.polled and r.source.secret_headers
    ]
    fetcher = Fetcher.from_settings(ctx.settings, rewrite=rewrite)
    workers = getattr(ctx.settings, "fetch_concurrency", 1)
    # the fetch process starts while the writer works out what is due: its start-up overlaps
    # the writer's
    remote = _fetch_process(ctx, fetcher, workers, pollable)
    try:
        with ctx.session() as session:
            if check_keys:
                # one operator finding per API key that is not set (monitor/api_keys.py)
                report.keys = sync_missing_keys(session, ctx.sources.all(), ctx.settings, now=now)
            due = pollable if every_source else sources_due(session, pollable, now)
            # what each poll would ask before its first request, asked once for all of them
            plan = read_plan(session, due, now)
    except BaseException:
        if remote is not None:
            remote.close()
        raise
    report.not_due = sorted({r.id for r in pollable} - {r.id for r in due})

    ahead = _Ahead(ctx, fetcher, due, workers, now, plan, remote) if workers > 1 else None
    try:
        for i, reg in enumerate(due):
            if ahead is not None:
                ahead.up_to(i)
            with ctx.session() as session:
                attach(session, plan)
                # each poll is dated when it starts, not when the cycle started
                report.polls.append(
                    poll_source(
                        session,
                        ctx.archive,
                        ahead.fetcher if ahead else fetcher,
                        reg,
                        now=now if i == 0 else ctx.now(),
                        cycle=report.cycle,
                        recheck_days=ctx.settings.recheck_days,
                        broken_after=ctx.settings.broken_after,
                        progress=progress,
                        unreachable_after=ctx.settings.unreachable_after,
                        max_links=ctx.settings.max_links_per_listing,
                        headers=source_headers(reg.source, ctx.settings),
                    )
                )
    finally:
        if ahead is not None:
            ahead.close()
        fetcher.close()
    with ctx.session() as session:
        report.statuses = source_statuses(session, listed, ctx.now(), ctx.settings)

    with ctx.session() as session:
        report.problems = problem_groups(session)
    if evaluate:
        evaluated_at = ctx.now()  # after the polls: what they wrote is known by now
        report.findings_written = writes_findings(report.as_of, evaluated_at, write)
        report.as_of = report.as_of or evaluated_at
        with ctx.session() as session:
            report.sync = evaluate_and_sync(
                session,
                ctx.settings,
                report.as_of,
                evaluated_at,
                incremental=True,
                obligations=ctx.rules(),
                registry=ctx.sources,
            )
            if not report.findings_written:
                session.expunge_all()  # the summary shows them as they would have been
                session.rollback()
    if notify:
        from monitor.delivery.slack_sender import drain

        report.delivery = drain(ctx.session, ctx.settings, clock=ctx.now)
    log.info(
        "run finished",
        extra={
            "cycle": report.cycle,
            "failed_sources": report.failed_sources,
            "opened": len(report.sync.opened) if report.sync else 0,
        },
    )
    return report


def process_from(settings) -> float:
    """How many sources a run must poll to fetch in a process of its own
    (``fetch_process_from``; never fewer than two; infinite when it is 0)."""
    setting = getattr(settings, "fetch_process_from", 0)
    return max(2, setting) if setting else float("inf")


def _fetch_process(ctx, fetcher: Fetcher, workers: int, pollable: list[RegisteredSource]):
    """The fetch process of a run that may poll two or more sources at once
    (monitor/fetch_process.py), or None: fetching stays in this process."""
    if workers < 2 or len(pollable) < process_from(ctx.settings):
        return None
    from monitor.fetch_process import FetchProcess, portable
    from scrapers.fetch.archive import Archive

    if not portable(fetcher):
        return None
    archive = ctx.archive
    try:
        return FetchProcess(
            fetcher,
            workers,
            # an archive of another kind (a test's) is written by the writer's own process
            archive_root=str(archive.root) if type(archive) is Archive else None,
        )
    except OSError as exc:
        log.warning("cannot start a fetch process; fetching in this one: %s", exc)
        return None


class _Ahead:
    """Fetching several hosts at once (``fetch_concurrency`` > 1): while this thread, the one
    writer, polls and stores source i, worker threads fetch the listing pages of the sources
    after it (up to twice as many sources as workers ahead), each with the validators and
    headers its poll will send (read here, in a session of their own), so that its poll finds
    them fetched (:class:`monitor.fetch_pool.Prefetcher`). The fetcher keeps one request at a
    time per host and the host's interval; report links are fetched by the poll itself."""

    def __init__(
        self,
        ctx,
        fetcher: Fetcher,
        due: list[RegisteredSource],
        workers: int,
        now: datetime,
        plan: PollPlan,
        remote: Any = None,
    ) -> None:
        from monitor.fetch_pool import FetchPool, Prefetcher
        from monitor.parse_pool import ParsePool

        self.ctx, self.due, self.now, self.plan = ctx, due, now, plan
        # workers fetch and archive what came back (the archive's fsyncs wait beside the
        # writer, not inside it) and hand the body to a parse process (monitor/parse_pool.py):
        # reading a page in a worker thread held the interpreter lock the writer needed, and
        # made a full cycle slower, not faster
        # (with one source there is nothing to store meanwhile: its writer reads it)
        processes = getattr(ctx.settings, "parse_processes", 0) if len(due) > 1 else 0
        self.parse = ParsePool(processes)
        self._sent: dict[int, bytes | None] = {}  # id(registered) -> its pickle (None: cannot)

        def threads() -> FetchPool:
            return FetchPool(fetcher, workers, archive=ctx.archive, read=self._read)

        # better still, the workers run in a process of their own, which reads what it
        # fetched too (monitor/fetch_process.py): the writer's core is then the writer's
        if remote is not None and len(due) < process_from(ctx.settings):
            remote.close()  # fewer sources due than it is worth starting for: never asked
            remote = None
        if remote is not None:
            remote.read = self._read_spec if processes > 0 else None
            remote.fallback = threads
        self.pool = remote if remote is not None else threads()
        self.fetcher = Prefetcher(fetcher, self.pool)
        self.window = 2 * workers
        self.asked = 0

    def up_to(self, i: int) -> None:
        from monitor.congress_poll import CONGRESS_SOURCES
        from monitor.fetching import check_ahead
        from monitor.reading import is_listing as listing_rule
        from scrapers.redact import redact_url

        last = min(len(self.due), i + 1 + self.window)
        # refilled once fewer than a worker's share are ahead, not at every source: each
        # refill is a session of its own
        if self.asked >= last or self.asked - (i + 1) >= self.window // 2:
            return
        with self.ctx.session() as session:
            attach(session, self.plan)
            for reg in self.due[self.asked : last]:
                source = reg.source
                if reg.id in CONGRESS_SOURCES:
                    continue  # a JSON API's walk asks page by page, under its own budget
                headers = source_headers(source, self.ctx.settings)
                # the day its poll will be dated (pipeline: the first poll is dated ``now``)
                day = (self.now if reg is self.due[0] else self.ctx.now()).date()
                for url in source.start_urls:
                    validators = check_ahead(
                        session, self.ctx.archive, redact_url(url), now=self.ctx.now()
                    )
                    self.fetcher.prefetch(
                        url,
                        allowed=source.allows_host,
                        validators=validators,
                        content_types=source.content_types,
                        headers=headers,
                        context=(reg, url, listing_rule(source, url), day),
                    )
        self.asked = last

    def _read(self, request, result, _finished):
        """A fetch worker's hand-over of a body to a parse process; what Poll.obtain calls to
        have its reading (None: the writer reads the body)."""
        if request.context is None or result.outcome != "ok" or result.body is None:
            return None
        reg, url, listing, day = request.context
        future = self.parse.submit(
            reg,
            result.body,
            url=url,
            content_type=result.content_type,
            listing=listing,
            fetched=day,
            max_links=self.ctx.settings.max_links_per_listing if listing else None,
        )
        if future is None:
            return None
        return lambda: self.parse.result(future)

    def _read_spec(self, request) -> tuple[bytes, dict] | None:
        """What the fetch process needs to read a body it fetched for ``request`` (the
        registered source and how to read it), or None: the writer reads it."""
        if request.context is None:
            return None
        reg, url, listing, day = request.context
        if id(reg) not in self._sent:
            try:
                self._sent[id(reg)] = pickle.dumps(reg, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - a parser that is not a module-level function
                self._sent[id(reg)] = None
        if self._sent[id(reg)] is None:
            return None
        kwargs = dict(
            url=url,
            listing=listing,
            fetched=day,
            max_links=self.ctx.settings.max_links_per_listing if listing else None,
        )
        return self._sent[id(reg)], kwargs

    def close(self) -> None:
        self.pool.close()
        self.parse.close()


def _finding_brief(row) -> dict[str, Any]:
    from monitor.findings_view import finding_json

    data = finding_json(row)
    return {
        k: data[k]
        for k in (
            "id",
            "obligation",
            "kind",
            "state",
            "severity",
            "period_start",
            "period_end",
            "due",
            "summary",
            "evidence",
        )
    }


def report_json(report: RunReport) -> dict[str, Any]:
    sources = []
    for poll in report.polls:
        sources.append(
            {
                "source": poll.source,
                "ok": poll.succeeded,
                "health_before": poll.health_before,
                "health_after": poll.health_after,
                "new_reports": [u for r in poll.runs for u in r.new_reports],
                "removed_reports": [u for r in poll.runs for u in r.removed_reports],
                "runs": [r.to_json() for r in poll.runs],
            }
        )
    sync = report.sync
    return {
        "cycle": report.cycle,
        "now": report.now,
        "as_of": report.as_of,
        "ok": report.ok,
        "findings_written": report.findings_written,
        "failures": report.failures,
        "sources": sources,
        "not_due": report.not_due,
        "source_status": [s.to_json() for s in report.statuses],
        "parse_problems": [g.to_json() for g in report.problems],
        "delivery": None
        if report.delivery is None
        else {k: v for k, v in vars(report.delivery).items()},
        "findings": None
        if sync is None
        else {
            "opened": [_finding_brief(r) for r in sync.opened],
            "changed": [_finding_brief(r) for r in sync.changed],
            "resolved": [_finding_brief(r) for r in sync.resolved],
            "current": len(sync.findings),
        },
    }
