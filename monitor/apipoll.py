"""JSON-API requests inside a poll (GovInfo, Congress.gov): :mod:`scrapers.jsonapi` on the
monitor's fetch path.

:class:`ApiPoll` gives a :class:`scrapers.jsonapi.JsonApi` a transport that goes through the
poll (:class:`monitor.fetching._Poll`): every answer, JSON page or text, is archived, parsed by
the source's parser and recorded in one ``fetch_runs`` row, exactly like a fetched page; the
key travels in the header the source declares (``Source.secret_headers``) and is never part of
a URL, a run, a snapshot or a capture record (only response headers are kept). On top:

* the hourly budget starts from the requests this API already received in the past hour (its
  ``fetch_runs``), so two runs within the hour share one budget;
* a refused key (401/403) is ONE ``access`` operator finding per API key (subject
  ``<api>|<setting>``), raised once however many sources or requests met it, and resolved by
  the next answer that got through; the API is not asked again in that poll;
* every :class:`~scrapers.jsonapi.ApiProblem` is kept in ``problems`` for the poll's outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from monitor.ingest import INGEST_CYCLE
from monitor.intake import Intake
from monitor.models import FetchRun
from scrapers.jsonapi import ApiProblem, ItemsPage, JsonApi, JsonApiSpec, RequestBudget
from scrapers.http import FetchResult

ACCESS = "access"


def access_subject(spec: JsonApiSpec) -> str:
    """The subject of the one ``access`` finding about an API's key."""
    return f"{spec.name}|{spec.key_setting}"


def requests_this_hour(session: Session, spec: JsonApiSpec, now: datetime) -> int:
    """Requests made to the API in the hour before ``now`` (fetch runs on its base URL)."""
    base = spec.base_url.rstrip("/") + "/"
    return session.scalar(select(func.count(FetchRun.id)).where(
        FetchRun.url.like(base.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\"),
        FetchRun.started_at >= now - timedelta(hours=1),
        or_(FetchRun.cycle.is_(None), FetchRun.cycle != INGEST_CYCLE))) or 0


def report_refused_key(session: Session, spec: JsonApiSpec, problem: ApiProblem, *,
                       source_id: str, now: datetime) -> None:
    """Raise (or keep) the one ``access`` finding for a key the API refused."""
    from monitor.operator_findings import raise_operator_finding

    env = "MONITOR_" + spec.key_setting.upper()
    raise_operator_finding(
        session, family=ACCESS, subject=access_subject(spec), now=now, severity="high",
        summary=f"{spec.name} refused the API key (HTTP {problem.status}): {spec.key_setting} "
                f"is missing, expired or revoked; renew it ({env}). Until then the sources on "
                f"this API are not read",
        evidence={"api": spec.name, "setting": spec.key_setting, "environment_variable": env,
                  "http_status": problem.status, "url": problem.url, "source": source_id})


def resolve_refused_key(session: Session, spec: JsonApiSpec, *, now: datetime) -> None:
    from monitor.operator_findings import resolve_operator_finding

    resolve_operator_finding(session, family=ACCESS, subject=access_subject(spec), now=now,
                             note=f"{spec.name} accepted the API key again")


class ApiPoll:
    """The requests of one poll of one source to one JSON API. ``poll`` is the source's
    :class:`monitor.fetching._Poll` (its fetcher, archive, cycle, headers and runs)."""

    def __init__(self, session: Session, poll: Any, spec: JsonApiSpec, *, now: datetime,
                 budget: RequestBudget | None = None) -> None:
        self.session, self.poll, self.spec, self.now = session, poll, spec, now
        clock = poll.fetcher.clock
        if budget is None:
            budget = RequestBudget(spec.hourly_limit, clock=clock)
            budget.seed(requests_this_hour(session, spec, now))
        self.api = JsonApi(spec, self._transport, budget=budget, clock=clock)
        self.problems: list[ApiProblem] = []
        self.intakes: dict[str, Intake | None] = {}  # by URL as requested
        self.answered = False  # some request got through the key check

    def _transport(self, url: str, *, listing: bool, max_bytes: int | None) -> FetchResult:
        summary, intake = self.poll.fetch(url, listing=listing, max_bytes=max_bytes)
        self.intakes[url] = intake
        result: FetchResult = self.poll.last_result
        if result.status is not None and result.status not in (401, 403, 429):
            self.answered = True
        return result

    @property
    def stopped(self) -> bool:
        """The API will not be asked again in this poll (refused key, rate limit, budget)."""
        return any(p.kind in ("access", "rate_limited", "budget") for p in self.problems)

    def note(self, problem: ApiProblem) -> None:
        self.problems.append(problem)
        if problem.kind == "access" and problem.status in (401, 403):
            report_refused_key(self.session, self.spec, problem, source_id=self.poll.source.id,
                               now=self.poll.at())

    def listing(self, url: str, items_key: str,
                key: Callable[[dict], Any]) -> tuple[ItemsPage | None, list[str]]:
        """Walk a listing's pages (each archived and recorded as a listing run); returns the
        items (None on a problem) and the links the source's parser found on its pages."""
        before = set(self.intakes)
        try:
            items = self.api.items(url, items_key, key)
        except ApiProblem as problem:
            self.note(problem)
            items = None
        links: list[str] = []
        for page_url, intake in self.intakes.items():
            if page_url not in before and intake is not None and intake.outcome == "ok":
                links.extend(link.url for link in intake.links)
        return items, links

    def document(self, url: str, *, max_bytes: int | None = None):
        """Fetch one document (a summary, a text) as a report run; ``(RunSummary, Intake)``,
        or None when the API was not asked or refused (the problem is noted)."""
        try:
            result = self.api.fetch(url, listing=False, max_bytes=max_bytes)
        except ApiProblem as problem:
            self.note(problem)
            return None
        return self.poll.runs[-1], self.intakes.get(result.url)

    def finish(self) -> None:
        """After the poll: an answer that got through resolves a refused-key finding."""
        if self.answered and not any(p.kind == "access" for p in self.problems):
            resolve_refused_key(self.session, self.spec, now=self.poll.at())
