"""Which obligations an evaluation must run again, and what each evaluation rested on.

An obligation's findings are a function of its rule, the settings that shape them, the facts
about the sources it watches, its manual evidence, and the instant. Between its last recorded
evaluation (as of ``t0``) and now (``t1``) they can change only when:

* its rule, its sources' declarations or those settings changed (``digest``);
* a row its facts come from was added since (a fetch run, a parse, a source health event of one
  of its sources, or manual evidence for it: ids above the marks recorded then), or is dated
  within ``[t0, t1]`` (written before ``t0`` but dated later, as a look back with ``--write``
  or the demo's simulated days leave them). Every other row the facts read (snapshots, reports,
  counts, statements, listings) is written with a fetch run or a parse;
* time alone crossed a boundary its checks compare the instant with: a deadline, a deadline plus
  a source's ``stale_after`` (absence turns from pending to unknown), or the date of manual
  evidence; obligations checked by ``manual_review`` compare the date with review dates and are
  always evaluated (they have no source to read, so they cost nothing);
* one of its findings is snoozed until a date that has come;
* a person confirmed or rejected a document proposed for it (``candidate_decisions``) at or after
  ``t0``.

Any of these: evaluated again. None: its findings stand as recorded, and nothing is read for it.
When in doubt (no record, a look back before the record), it is evaluated.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.models import (
    CandidateDecision,
    FetchRun,
    FindingRow,
    ManualEvidence,
    Parse,
    SourceHealth,
    SourceHealthEvent,
)
from monitor.models.evaluation import ObligationEvaluation
from rules.calendar import eastern_date
from rules.schedule import schedule

# Checks that compare the date with something other than a deadline: always evaluated.
ALWAYS = {"manual_review"}


def digest(ob, registered: dict, settings) -> str:
    """A fingerprint of everything besides facts and time that shapes ``ob``'s findings."""
    sources = {s: repr(registered.get(s)) for s in sorted(ob.watched_sources())}
    shaping = {
        name: repr(getattr(settings, name, None))
        for name in ("anomaly_tolerance", "watch_from", "stale_after", "unreachable_after")
    }
    text = json.dumps([ob.model_dump_json(), sources, shaping], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def marks(session: Session) -> tuple[int, int, int, int]:
    """The highest ids of the rows facts come from, as they stand."""
    return tuple(
        session.scalar(select(func.coalesce(func.max(col), 0)))
        for col in (FetchRun.id, Parse.id, SourceHealthEvent.id, ManualEvidence.id)
    )


def _per_source(session: Session, rows, sources: list[str]) -> dict[str, object]:
    return {s: v for s, v in session.execute(rows) if s in sources} if sources else {}


def to_evaluate(
    session: Session, obligations: list, as_of: datetime, now: datetime, settings, registered: dict
) -> set[str]:
    """Ids of ``obligations`` whose findings may differ from those recorded (module doc)."""
    from monitor.fact_gathering import stale_after_for

    ids = [ob.id for ob in obligations]
    records = {
        r.obligation_id: r
        for r in session.scalars(
            select(ObligationEvaluation).where(ObligationEvaluation.obligation_id.in_(ids))
        )
    }
    out: set[str] = set()
    settled = []
    for ob in obligations:
        row = records.get(ob.id)
        if (
            row is None
            or row.as_of > as_of
            or set(ob.checks) & ALWAYS
            or row.digest != digest(ob, registered, settings)
        ):
            out.add(ob.id)
        else:
            settled.append((ob, row))
    if not settled:
        return out
    t0 = min(row.as_of for _ob, row in settled)
    sources = sorted(set().union(*(ob.watched_sources() for ob, _row in settled)))
    lowest = [
        min(getattr(row, name) for _ob, row in settled)
        for name in ("fetch_run_id", "parse_id", "health_event_id", "evidence_id")
    ]
    # per source: the newest id above the lowest mark, the latest date within [t0, as_of]
    new_ids: dict[str, list[int]] = {}  # per source: [fetch run, parse, health event] id
    dated: dict[str, list[datetime]] = {}
    for i, (model, mark, when) in enumerate(
        (
            (FetchRun, lowest[0], FetchRun.started_at),
            (Parse, lowest[1], Parse.parsed_at),
            (SourceHealthEvent, lowest[2], SourceHealthEvent.at),
        )
    ):
        # the rows written since (a range of the primary key), their newest id kept here: a
        # GROUP BY source_id made SQLite read all of fetch_runs' (source_id, started_at) index
        for source_id, row_id in session.execute(
            select(model.source_id, model.id).where(model.id > mark)
        ):
            if source_id in sources:
                tops = new_ids.setdefault(source_id, [0, 0, 0])
                tops[i] = max(tops[i], row_id)
        for source_id, latest in _per_source(
            session,
            select(model.source_id, func.max(when))
            .where(model.source_id.in_(sources), when >= t0, when <= as_of)
            .group_by(model.source_id),
            sources,
        ).items():
            dated.setdefault(source_id, []).append(latest)
    for source_id, changed_at, first in session.execute(
        select(
            SourceHealth.source_id, SourceHealth.changed_at, SourceHealth.first_success_at
        ).where(SourceHealth.source_id.in_(sources))
    ):
        dated.setdefault(source_id, []).extend(
            t for t in (changed_at, first) if t is not None and t0 <= t <= as_of
        )
    evidence: dict[str, list] = {}
    for ob_id, ev_id, recorded, day in session.execute(
        select(
            ManualEvidence.obligation_id,
            ManualEvidence.id,
            ManualEvidence.recorded_at,
            ManualEvidence.evidence_date,
        ).where(ManualEvidence.obligation_id.in_([ob.id for ob, _row in settled]))
    ):
        evidence.setdefault(ob_id, []).append((ev_id, recorded, day))
    # a person's decision on a proposed document (a rejection records no evidence)
    decided = dict(
        session.execute(
            select(CandidateDecision.obligation_id, func.max(CandidateDecision.decided_at))
            .where(
                CandidateDecision.obligation_id.in_([ob.id for ob, _row in settled]),
                CandidateDecision.decided_at <= as_of,
            )
            .group_by(CandidateDecision.obligation_id)
        ).all()
    )
    today = eastern_date(now)
    snoozed = set(
        session.scalars(
            select(FindingRow.obligation_id)
            .distinct()
            .where(FindingRow.state == "snoozed", FindingRow.snoozed_until <= today)
        )
    )
    as_of_date = eastern_date(as_of)

    for ob, row in settled:
        watched = ob.watched_sources()
        marked = (row.fetch_run_id, row.parse_id, row.health_event_id)
        if (
            ob.id in snoozed
            or (ob.id in decided and decided[ob.id] >= row.as_of)
            or any(top > mark for s in watched for top, mark in zip(new_ids.get(s, ()), marked))
            or any(t >= row.as_of for s in watched for t in dated.get(s, ()))
        ):
            out.add(ob.id)
            continue
        since = eastern_date(row.as_of)
        if any(
            ev_id > row.evidence_id or row.as_of <= recorded <= as_of or since <= day <= as_of_date
            for ev_id, recorded, day in evidence.get(ob.id, ())
        ):
            out.add(ob.id)
            continue
        stale = {
            stale_after_for(
                getattr(settings, "stale_after", None),
                registered[s].poll_every if s in registered else None,
            )
            for s in ob.sources
        }
        for due in schedule(ob, as_of_date):
            bounds = [due.deadline] + [due.deadline + after for after in stale]
            if any(row.as_of <= b <= as_of for b in bounds):
                out.add(ob.id)
                break
    return out


def record(
    session: Session,
    obligations: list,
    as_of: datetime,
    now: datetime,
    settings,
    registered: dict,
    at: tuple[int, int, int, int],
) -> None:
    """Note what the evaluation of ``obligations`` as of ``as_of`` rested on (``at``: the marks
    read before its facts were gathered). Those always evaluated are not noted: an evaluation
    that found nothing to do writes nothing."""
    obligations = [ob for ob in obligations if not set(ob.checks) & ALWAYS]
    if not obligations:
        return
    ids = [ob.id for ob in obligations]
    existing = {
        r.obligation_id: r
        for r in session.scalars(
            select(ObligationEvaluation).where(ObligationEvaluation.obligation_id.in_(ids))
        )
    }
    for ob in obligations:
        values = dict(
            as_of=as_of,
            evaluated_at=now,
            digest=digest(ob, registered, settings),
            fetch_run_id=at[0],
            parse_id=at[1],
            health_event_id=at[2],
            evidence_id=at[3],
        )
        row = existing.get(ob.id)
        if row is None:
            session.add(ObligationEvaluation(obligation_id=ob.id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
