"""What a poll cycle reads once, before its first request, instead of once per page.

Polling one listing page asks the database the same handful of questions whatever the page:
the validators to send and the snapshot they describe, whether that body has an open
``archive`` finding, the source's health, whether its row exists, whether this parser version
read the snapshot, which reading of the page its report rows were last brought in step with
(``listing_pages``), what the URL served last, its latest capture record, and whether the
source has unresolved ``parsing`` findings. :func:`read_plan` asks each of them once for all
the sources a cycle polls (a fixed number of statements, each one index lookup per URL or
source), and the document path takes the answers from the plan instead of asking again.

The plan rides on the session (:func:`attach`): the functions of the document path look it up
with :func:`plan_of` and fall back to their own query when there is none (`monitor fetch`,
`monitor ingest`, a reparse) or when it does not know the key.

A run holds the writer lock (monitor/locks.py) while it polls, so no other command writes
what the plan read. Each answer is given once (it is taken out of the plan): the first poll
that asks about a URL or a source gets what was true when the cycle began, and whatever that
poll writes is what a later question about the same key (two sources sharing a start URL)
reads from the database.
Where a poll's own writes make an answer stale for the rest of the cycle (an archive finding
raised, a parsing finding opened), the plan forgets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import (
    CaptureRow,
    FindingRow,
    HttpValidator,
    ListingPage,
    Parse,
    Snapshot,
    SourceHealth,
    SourceRow,
)
from scrapers.redact import redact_url
from scrapers.registry import RegisteredSource

PLAN = "monitor.poll_plan"  # session.info key
_MISSING = object()
_CHUNK = 500  # keys per IN (...) list


@dataclass
class Health:
    """A source's health as the cycle began (plain values: the plan outlives its session)."""

    state: str
    consecutive_failures: int


@dataclass
class PollPlan:
    """The answers, keyed by redacted URL or source id. A key absent from a mapping is not
    known to the plan (ask the database); present with None, known to have nothing."""

    validators: dict[str, tuple[HttpValidator | None, Snapshot | None]] = field(
        default_factory=dict
    )
    # validators after the archive check (:func:`monitor.fetching._validators_for`): computed
    # once per URL, by the first of the workers' look-ahead or the poll
    checked: dict[str, tuple] = field(default_factory=dict)
    open_archive: set[str] = field(default_factory=set)  # bodies with an open archive finding
    archive_known: bool = False
    health: dict[str, Health | None] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    parses: dict[tuple[int, str], Parse | None] = field(default_factory=dict)
    listing_pages: dict[str, ListingPage | None] = field(default_factory=dict)
    current: dict[str, str | None] = field(default_factory=dict)  # sha256 the URL served last
    captures: dict[str, CaptureRow | None] = field(default_factory=dict)
    parsing_clear: set[str] = field(default_factory=set)  # no unresolved parsing finding

    def take(self, mapping: str, key: Any) -> Any:
        """The answer for ``key`` (once), or ``_MISSING`` when the plan does not know it."""
        return getattr(self, mapping).pop(key, _MISSING)

    def source_known(self, source_id: str) -> bool:
        return source_id in self.sources

    def archive_finding_open(self, sha256: str) -> bool | None:
        """Whether an archive finding about this body was open as the cycle began (None: the
        plan does not know)."""
        if not self.archive_known:
            return None
        return sha256 in self.open_archive

    def archive_reported(self, sha256: str) -> None:
        """A poll raised (or kept) the archive finding of this body."""
        self.open_archive.add(sha256)

    def parsing_findings_none(self, source_id: str) -> bool:
        return source_id in self.parsing_clear

    def parsing_reported(self, source_id: str) -> None:
        self.parsing_clear.discard(source_id)


MISSING = _MISSING


def attach(session: Session, plan: PollPlan | None) -> None:
    if plan is not None:
        session.info[PLAN] = plan


def plan_of(session: Session) -> PollPlan | None:
    return session.info.get(PLAN)


def _chunks(values: Iterable) -> list[list]:
    values = sorted(set(values))
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def read_plan(session: Session, due: list[RegisteredSource], now: datetime) -> PollPlan:
    """Ask once, for every start URL and source of ``due``, what their polls would each ask,
    and create the rows of sources never polled before (dated ``now``). The rows read are
    detached from ``session`` (read them, or merge them into a poll's session)."""
    from sqlalchemy import and_

    from monitor.archive_check import FAMILY as ARCHIVE
    from monitor.operator_findings import OPERATOR
    from monitor.parse_problems import FAMILY as PARSING
    from monitor.store import current_sha256_many

    plan = PollPlan()
    ids = [r.id for r in due]
    urls = [redact_url(u) for r in due if r.source.api is None for u in r.source.start_urls]
    if not ids:
        return plan
    keep: list = []
    for part in _chunks(ids):
        plan.sources.update(session.scalars(select(SourceRow.id).where(SourceRow.id.in_(part))))
    _ensure_sources(session, [r for r in due if r.id not in plan.sources], plan, now)
    for part in _chunks(ids):
        for row in session.scalars(select(SourceHealth).where(SourceHealth.source_id.in_(part))):
            plan.health[row.source_id] = Health(row.state, row.consecutive_failures)
    for source_id in ids:
        plan.health.setdefault(source_id, None)
    plan.parsing_clear = set(ids) - {
        subject.split("|", 1)[0]
        for subject in session.scalars(
            select(FindingRow.subject).where(
                FindingRow.obligation_id == OPERATOR,
                FindingRow.family == PARSING,
                FindingRow.state != "resolved",
            )
        )
    }
    plan.open_archive = set(
        session.scalars(
            select(FindingRow.subject).where(
                FindingRow.obligation_id == OPERATOR,
                FindingRow.family == ARCHIVE,
                FindingRow.state != "resolved",
            )
        )
    )
    plan.archive_known = True
    for part in _chunks(urls):
        for row, snap in session.execute(
            select(HttpValidator, Snapshot)
            .outerjoin(
                Snapshot,
                and_(Snapshot.url == HttpValidator.url, Snapshot.sha256 == HttpValidator.sha256),
            )
            .where(HttpValidator.url.in_(part))
        ):
            plan.validators[row.url] = (row, snap)
            keep += [row, snap]
        for row in session.scalars(select(ListingPage).where(ListingPage.listing_url.in_(part))):
            plan.listing_pages[row.listing_url] = row
            keep.append(row)
        for row in session.scalars(
            select(CaptureRow)
            .where(CaptureRow.url.in_(part))
            .order_by(CaptureRow.url, CaptureRow.first_seen_at, CaptureRow.id)
        ):
            plan.captures[row.url] = row  # the last one of each URL is its latest
            keep.append(row)
        plan.current.update(current_sha256_many(session, part))
    for url in urls:
        plan.validators.setdefault(url, (None, None))
        plan.listing_pages.setdefault(url, None)
        plan.captures.setdefault(url, None)
        plan.current.setdefault(url, None)
    versions = {r.source.parser_version for r in due}
    snapshot_ids = [snap.id for _row, snap in plan.validators.values() if snap is not None]
    for part in _chunks(snapshot_ids):
        for row in session.scalars(
            select(Parse).where(Parse.snapshot_id.in_(part), Parse.parser_version.in_(versions))
        ):
            plan.parses[(row.snapshot_id, row.parser_version)] = row
            keep.append(row)
    for sid in snapshot_ids:
        for version in versions:
            plan.parses.setdefault((sid, version), None)
    for obj in keep:
        if obj is not None and obj in session:
            session.expunge(obj)
    return plan


def _ensure_sources(
    session: Session, missing: list[RegisteredSource], plan: PollPlan, now: datetime
) -> None:
    """The rows of sources polled for the first time, inserted at once (insert-or-ignore:
    another writer may insert one first), as each poll would have."""
    if not missing:
        return
    from monitor.upsert import insert_many_or_ignore

    insert_many_or_ignore(
        session,
        SourceRow,
        [
            dict(id=r.id, agency=r.source.agency, title=r.source.title, created_at=now)
            for r in {r.id: r for r in missing}.values()
        ],
        ("id",),
        (SourceRow.id,),
    )
    plan.sources.update(r.id for r in missing)


def attached(session: Session, obj: Any) -> Any:
    """``obj`` (a row the plan read) as a row of ``session``, without a query: the session's
    own copy of that row if it holds one, else ``obj`` itself, which is in no session (each
    answer is handed out once; the rows have no relationships to carry along). Adding it costs
    a fraction of ``merge``, which copies it."""
    if obj is None:
        return obj
    state = _instance_state(obj)
    if state.session_id == session.hash_key:
        return obj
    if state.detached:
        held = session.identity_map.get(state.key)
        if held is not None:
            return held
        session.add(obj)
    return obj


def _instance_state(obj: Any):
    from sqlalchemy.orm.attributes import instance_state

    return instance_state(obj)
