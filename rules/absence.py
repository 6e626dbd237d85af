"""When absence is observable: the conditions under which the engine may say a period's report
was not published (``missing``), must wait, or must say it cannot tell (``unknown``).

Absence is seen only on a listing page. A source's documents say what they are; only a listing
read (a start URL, or a page fetched or ingested with ``--listing``, read successfully and parsed
as a listing) says what is *not* there. So, for a period whose deadline has passed and that no
report covers, on each readable source of the obligation:

- **observed** when a listing page was read after the deadline, and every listing page of the
  source that the monitor has ever read was read again after it. Each such read (the first one
  after the deadline, per page: URL, sha256, when) is the evidence of the ``missing`` finding.
- **unknown** at once when no listing page of the source was ever read (only reports were:
  "no listing of the source read since the deadline; last listing read: never").
- **pending** (no finding yet) while the deadline is less than ``stale_after`` ago: the next poll
  will read the listing.
- **unknown** once ``stale_after`` has passed since the deadline without such a read: "not read
  since the deadline; last successful read DATE" when nothing of the source was read since
  (polling stopped), or "no listing of the source read since the deadline; last listing read:
  DATE" when only its documents were.

Nothing here reads a clock: ``ev.as_of`` is the evaluation time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from rules.evaluation import Evaluation
from rules.facts import SourceFact
from rules.listing_reads import latest_of
from rules.obligations import Obligation


@dataclass(frozen=True)
class Absence:
    verdict: str  # observed | pending | unknown
    reason: str | None = None
    listing_reads: tuple[dict, ...] = ()  # what an observed absence rests on
    details: dict[str, Any] = field(default_factory=dict)  # what an unknown rests on


def when(value: datetime | None) -> str:
    if value is None:
        return "never"
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def observability(ob: Obligation, ev: Evaluation) -> tuple[str | None, list[dict]]:
    """(reason absence cannot be observed at all or None, the sources' states for evidence)."""
    states = []
    for source_id in ob.sources:
        src = ev.source(source_id)
        states.append(
            {
                "source": source_id,
                "implemented": src.implemented,
                "state": src.state if src.first_success_at else "never_read",
                "state_since": src.state_since.isoformat()
                if src.state_since and src.state == "broken"
                else None,
            }
        )
    if not any(s["implemented"] for s in states):
        return (
            f"no source observes this yet; record manual evidence (monitor evidence {ob.id} ...)"
        ), states
    if any(ev.source(s).readable for s in ob.sources):
        return None, states
    broken = [s["source"] for s in states if s["state"] == "broken"]
    if broken:
        return (
            f"source {', '.join(broken)} is broken: absence of a report proves nothing "
            "until it is read again"
        ), states
    return "the monitor has not read the source successfully yet", states


def absence(ob: Obligation, ev: Evaluation, deadline: datetime) -> Absence:
    """Whether the absence of a report for a period with this deadline is observed, on every
    readable source of ``ob`` (call only when :func:`observability` found one)."""
    sources = [ev.source(s) for s in ob.sources if ev.source(s).readable]
    ahead = _deadlines(ob, ev)  # asked about with this one: one lookup for them all
    results = [_on_source(ev, src, deadline, ahead, prefix=len(sources) > 1) for src in sources]
    unknown = [r for r in results if r.verdict == "unknown"]
    if unknown:
        if len(unknown) == 1:
            return unknown[0]
        return Absence(
            "unknown",
            "; ".join(r.reason or "" for r in unknown),
            details={"sources": [r.details for r in unknown]},
        )
    if results and all(r.verdict == "observed" for r in results):
        return Absence(
            "observed", listing_reads=tuple(read for r in results for read in r.listing_reads)
        )
    return Absence("pending")


def _deadlines(ob: Obligation, ev: Evaluation) -> tuple[datetime, ...]:
    """The deadlines of ``ob`` passed by the evaluation time: those an absence may be asked
    about."""
    key = ("passed_deadlines", ob.id)
    if key not in ev.memo:
        ev.memo[key] = tuple(d.deadline for d in ev.schedule(ob) if d.deadline < ev.as_of)
    return ev.memo[key]


def _on_source(
    ev: Evaluation, src: SourceFact, deadline: datetime, ahead, *, prefix: bool
) -> Absence:
    first_after = ev.first_listing_reads_after(src.id, deadline, ahead)
    # each page read by the evaluation time, with its last read: a page not read after the
    # deadline was last read before it
    ever = ev.last_listing_reads(src.id)
    required = [u for u in src.listing_urls if u in ever]
    if first_after and all(u in first_after for u in required):
        return Absence(
            "observed", listing_reads=tuple(first_after[u].evidence() for u in sorted(first_after))
        )
    label = f"source {src.id}: " if prefix else ""
    latest = latest_of(ever)
    details: dict[str, Any] = {
        "source": src.id,
        "last_listing_read": latest.evidence() if latest else None,
        "last_successful_read": src.last_success_at.isoformat() if src.last_success_at else None,
        "stale_after_hours": round(src.stale_after.total_seconds() / 3600, 2),
    }
    if latest is None:
        return Absence(
            "unknown",
            f"{label}no listing of the source read since the deadline; last listing read: never",
            details=details,
        )
    stale_at = deadline + src.stale_after
    if ev.as_of <= stale_at:
        return Absence("pending")
    details["stale_since"] = stale_at.isoformat()
    if src.last_success_at is None or src.last_success_at <= deadline:
        return Absence(
            "unknown",
            f"{label}not read since the deadline; last successful read {when(src.last_success_at)}",
            details=details,
        )
    if first_after:  # some listing pages were read again, not all
        url = next(u for u in required if u not in first_after)
        return Absence(
            "unknown",
            f"{label}listing page {url} not read since the deadline; "
            f"last read {when(ever[url].at)}",
            details=details,
        )
    return Absence(
        "unknown",
        f"{label}no listing of the source read since the deadline; "
        f"last listing read: {when(latest.at)}",
        details=details,
    )
