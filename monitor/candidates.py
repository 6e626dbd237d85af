"""Reporting requirements found in official texts: stored for review, adopted as draft rules or
rejected by a person, and used to verify the citations the rules already rest on.

A parse that yields candidates (``ParseResult.candidates``, from ``scrapers/discovery``) comes
through :func:`store_candidates`. Each candidate is stored once, by its stable id (its package
and its words): a text read again only updates ``last_seen_at``. A candidate whose words are
those of an existing rule's citation *verifies* that citation (a ``citation_verifications``
row, and ``monitor check`` stops warning about it) instead of asking for review; every other
new candidate raises one ``new_requirement`` finding (an operator finding of family
``discovery``), resolved when a person adopts or rejects it.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.errors import NotFound
from monitor.findings_actions import InvalidAction
from monitor.models import AuditEntry, Snapshot
from monitor.models.candidates import CitationVerification, RequirementCandidate
from monitor.operator_findings import raise_operator_finding, resolve_operator_finding
from scrapers.discovery import contains_quote

FAMILY = "discovery"
_WORD = re.compile(r"[A-Za-z]+")
_SECTION_HEAD = re.compile(r"^\s*(?:SEC(?:TION)?\.?|Sec(?:tion)?\.?)\s*\d+[A-Za-z]?\.\s*")
# The official words of a citation: what it puts in double quotes, else its quote without the
# editorial notes in [brackets]. A fragment shorter than this many words proves nothing.
MIN_FRAGMENT_WORDS = 6


def citation_fragments(quote: str | None) -> list[str]:
    """The parts of a rule citation's quote that must appear, word for word, in the official
    text for the text to verify it. A paraphrase ("as described in the policy brief") yields
    its own words, which an official text will not contain: it stays unverified."""
    if not quote:
        return []
    parts = re.findall(r"[\"\u201c]([^\"\u201d]+)[\"\u201d]", quote) or [quote]
    # an editorial note or an elision in [brackets] splits a quote into the words around it
    parts = [piece for part in parts for piece in re.split(r"\[[^\]]*\]?", part)]
    # a leading "Sec. 408." is the section's heading, which a duty's quote leaves to its citation
    parts = [_SECTION_HEAD.sub("", p).strip(" ,.;") for p in parts]
    return [p for p in parts if len(_WORD.findall(p)) >= MIN_FRAGMENT_WORDS]


def verifies(text: str, quote: str | None) -> bool:
    fragments = citation_fragments(quote)
    return bool(fragments) and all(contains_quote(text, f) for f in fragments)


def cited_package(citation) -> str | None:
    """The GovInfo package a citation's URL names (``PLAW-116publ26``), if it names one."""
    from scrapers.sources.govinfo_appropriations import package_id_of

    url = citation.url or ""
    return package_id_of(url) if "govinfo.gov" in url and "/pkg/" in url else None


def store_candidates(
    session: Session,
    source_id: str,
    snapshot: Snapshot,
    candidates: Sequence,
    now: datetime,
    obligations: Iterable | None = None,
) -> list[RequirementCandidate]:
    """Store the candidates one text yielded; returns the ones seen for the first time."""
    if obligations is None:
        from monitor.findings_sync import load_rules

        obligations = load_rules()
    obligations = list(obligations)
    new: list[RequirementCandidate] = []
    for candidate in candidates:
        row = session.get(RequirementCandidate, candidate.id)
        if row is not None:
            row.last_seen_at = max(row.last_seen_at, now)
            continue
        data = candidate.to_json()
        row = RequirementCandidate(
            id=candidate.id,
            source_id=source_id,
            package_id=data["package"],
            url=data["url"],
            section=data["section"],
            page=data["page"],
            agency=data["agency"],
            recipients=data["recipients"],
            cadence=data["cadence"],
            days=data["days"],
            hours=data["hours"],
            deadline_phrase=data["deadline_phrase"],
            topics=data["topics"],
            quote=data["quote"],
            details=data,
            snapshot_id=snapshot.id,
            first_seen_at=now,
            last_seen_at=now,
            status="new",
        )
        session.add(row)
        session.flush()
        new.append(row)
        _verify(session, row, snapshot, obligations, now)
    for row in new:
        _sync_finding(session, row, now)
    session.flush()
    return new


def _verify(
    session: Session, row: RequirementCandidate, snapshot: Snapshot, obligations, now: datetime
) -> None:
    text = f"{row.quote}\n{row.details.get('content') or ''}"
    for ob in obligations:
        for citation in ob.citations:
            if citation.text_verified or not verifies(text, citation.quote):
                continue
            package = cited_package(citation)
            if package is not None and package.lower() != row.package_id.lower():
                continue  # the same words in another law verify nothing about this one
            if row.status == "new":  # the first citation it verifies names it
                row.status, row.obligation_id, row.citation_id = "verifies", ob.id, citation.id
            done = session.scalar(
                select(CitationVerification).where(
                    CitationVerification.obligation_id == ob.id,
                    CitationVerification.citation_id == citation.id,
                )
            )
            if done is None:
                session.add(
                    CitationVerification(
                        obligation_id=ob.id,
                        citation_id=citation.id,
                        candidate_id=row.id,
                        package_id=row.package_id,
                        url=row.url,
                        quote=row.quote,
                        snapshot_id=snapshot.id,
                        verified_at=now,
                    )
                )
    session.flush()


def _subject(row: RequirementCandidate) -> str:
    return f"{row.package_id}|{row.id}"


def _sync_finding(session: Session, row: RequirementCandidate, now: datetime) -> None:
    if row.status != "new":
        resolve_operator_finding(
            session, family=FAMILY, subject=_subject(row), now=now, note=f"candidate {row.status}"
        )
        return
    deadline = row.deadline_phrase or "no deadline stated"
    summary = (
        f"New reporting requirement in {row.package_id} ({row.section or 'no section'}): "
        f"{row.agency}, {row.cadence}, {deadline}; review with `monitor candidates`, then "
        f"`monitor adopt {row.id}` or `monitor reject {row.id} --reason TEXT`"
    )
    evidence = {
        "candidate": row.id,
        "package": row.package_id,
        "url": row.url,
        "section": row.section,
        "page": row.page,
        "quote": row.quote,
        "topics": row.topics,
        "cadence": row.cadence,
        "deadline_phrase": row.deadline_phrase,
        "reason": "an official text imposes reporting on the monitor's topics that no rule covers",
    }
    raise_operator_finding(
        session,
        family=FAMILY,
        subject=_subject(row),
        summary=summary,
        evidence=evidence,
        now=now,
        severity="medium",
    )


def candidate(session: Session, candidate_id: str) -> RequirementCandidate:
    row = session.get(RequirementCandidate, candidate_id.strip())
    if row is None:
        raise NotFound(f"no candidate {candidate_id!r} (see `monitor candidates`)")
    return row


def list_candidates(session: Session, status: str | None = None) -> list[RequirementCandidate]:
    query = select(RequirementCandidate).order_by(
        RequirementCandidate.first_seen_at, RequirementCandidate.id
    )
    if status:
        query = query.where(RequirementCandidate.status == status)
    return list(session.scalars(query))


def to_json(row: RequirementCandidate) -> dict:
    """The fields `monitor candidates --json` lists."""
    return {
        "id": row.id,
        "package": row.package_id,
        "section": row.section,
        "page": row.page,
        "agency": row.agency,
        "recipients": row.recipients,
        "cadence": row.cadence,
        "days": row.days,
        "hours": row.hours,
        "deadline_phrase": row.deadline_phrase,
        "topics": row.topics,
        "quote": row.quote,
        "status": row.status,
        "url": row.url,
        "first_seen_at": row.first_seen_at.isoformat(),
        "decided_by": row.decided_by,
        "reason": row.reason,
        "obligation_id": row.obligation_id,
        "citation_id": row.citation_id,
    }


def _decide(
    session: Session,
    row: RequirementCandidate,
    status: str,
    *,
    by: str,
    now: datetime,
    reason: str | None,
    obligation_id: str | None = None,
) -> None:
    if row.status != "new":
        raise InvalidAction(
            f"candidate {row.id} is already {row.status}"
            + (f" ({row.obligation_id})" if row.obligation_id else "")
        )
    by = (by or "").strip()
    if not by:
        raise InvalidAction("--by must name the person who decides")
    row.status, row.decided_by, row.decided_at, row.reason = status, by, now, reason
    row.obligation_id = obligation_id
    session.add(
        AuditEntry(
            at=now,
            actor=by,
            action=f"candidate_{status}",
            target=f"candidate:{row.id}",
            note=reason,
            details={
                "package": row.package_id,
                "section": row.section,
                "obligation_id": obligation_id,
            },
        )
    )
    _sync_finding(session, row, now)
    session.flush()


def reject(
    session: Session, candidate_id: str, *, reason: str, by: str, now: datetime
) -> RequirementCandidate:
    if not (reason or "").strip():
        raise InvalidAction("--reason must say why the candidate is not a requirement")
    row = candidate(session, candidate_id)
    _decide(session, row, "rejected", by=by, now=now, reason=reason.strip())
    return row


TODO = "TODO"


def draft_rule(row: RequirementCandidate, obligation_id: str) -> str:
    """A draft rule file for an adopted candidate: the citation filled in from the official
    text, everything a person must still decide marked TODO. ``draft: true`` keeps the loader
    from evaluating it until a person completes it and removes that line."""
    details = row.details or {}
    citation = details.get("citation") or {}
    deadline = details.get("deadline") or {}
    due = {
        "rule": f"{TODO}: monthly_after_enactment | after_period_end | within_days_of_enactment",
        "citation": "official_text",
    }
    if row.days is not None:
        due["days"] = row.days
    data = {
        "draft": True,
        "id": obligation_id,
        "title": f"{TODO}: what {row.agency} must report ({', '.join(row.topics)})",
        "agency": row.agency if row.agency != "unknown" else f"{TODO}: agency",
        "recipients": list(row.recipients) or [f"{TODO}: recipients"],
        "citations": [
            {
                "id": "official_text",
                "law": f"{row.package_id}, {row.section or 'section not read'}",
                "section": row.section,
                "enacted": f"{TODO}: date of enactment (YYYY-MM-DD)",
                "quote": row.quote,
                "quoted_from": f"the official text, {row.package_id}"
                + (f", page {row.page}" if row.page else ""),
                "url": row.url,
                "enactment_verified": False,
                "text_verified": True,
                "verification_note": f"Quote read from the official text {row.package_id} "
                f"({row.url or 'no URL'}) by requirement discovery (candidate "
                f"{row.id}); adopted by {row.decided_by}. Verify the date of "
                "enactment.",
            }
        ],
        "sources": [f"{TODO}: the source(s) that would publish it"],
        "cadence": {"kind": f"{TODO}: {row.cadence}", "due": due},
        "deadline_phrase": row.deadline_phrase,
        "discovery": {
            "candidate": row.id,
            "cadence": row.cadence,
            "days": row.days,
            "hours": row.hours,
            "deadline": deadline,
            "heading": citation.get("heading"),
        },
        "severity": f"{TODO}: low | medium | high",
        "checks": [f"{TODO}: timeliness"],
    }
    header = (
        f"# DRAFT written by `monitor adopt {row.id}`: complete every TODO, check it with\n"
        f"# `monitor check`, then delete the `draft: true` line so it is evaluated.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=96)


def adopt(
    session: Session,
    candidate_id: str,
    *,
    by: str,
    now: datetime,
    directory: Path,
    obligation_id: str | None = None,
) -> tuple[RequirementCandidate, Path]:
    row = candidate(session, candidate_id)
    obligation_id = obligation_id or _default_id(row)
    if not re.fullmatch(r"[a-z0-9_]+", obligation_id):
        raise InvalidAction(f"--id {obligation_id!r}: use lower-case letters, digits and _")
    path = Path(directory) / f"{obligation_id}.yaml"
    if path.exists():
        raise InvalidAction(f"{path} already exists: choose another --id")
    _decide(session, row, "adopted", by=by, now=now, reason=None, obligation_id=obligation_id)
    text = draft_rule(row, obligation_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:  # the caller's transaction rolls back: the candidate stays new
        raise InvalidAction(f"cannot write {path}: {exc.strerror or exc}") from None
    return row, path


def _default_id(row: RequirementCandidate) -> str:
    package = re.sub(r"[^a-z0-9]+", "_", row.package_id.lower()).strip("_")
    return f"{row.agency.lower() if row.agency != 'unknown' else 'new'}_{package}_{row.id[:6]}"


def verifications(session: Session) -> dict[tuple[str, str], CitationVerification]:
    """Every citation an official text has verified, by (obligation id, citation id)."""
    return {
        (v.obligation_id, v.citation_id): v for v in session.scalars(select(CitationVerification))
    }
