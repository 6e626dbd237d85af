"""The evidence archive checked against the database, and people told when it does not match.

A body is checked before it is used (reparse, conditional GET, a 304's parse, `monitor archive
verify`). A body that is missing or no longer hashes to its name is an operator finding of family
``archive`` whose subject is its sha256 (a capture record that is missing or unreadable: subject
``capture <path>``; a stray file under ``objects/``: ``file <path>``). Conditional-GET validators
are never sent for such a body, so the next fetch of its URL downloads it again; when the server
still serves the same bytes the archive heals (the altered file is kept in ``quarantine/``, see
scrapers/fetch/archive.py) and the finding is resolved with a note saying so and where the altered
copy is. Nothing is overwritten without that trail.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import FindingRow, Snapshot
from monitor.models.archive import CaptureRow
from monitor.operator_findings import (
    raise_operator_finding,
    resolve_operator_finding,
    sync_operator_family,
)
from scrapers.fetch.archive import Archive, BodyCheck

FAMILY = "archive"
SEVERITY = "high"  # findings rest on these bodies: evidence that changed is no evidence


def _body_summary(check: BodyCheck, snapshots: int) -> str:
    rest = (
        f"{snapshots} snapshot(s) rest on it; the next fetch of its URL downloads it again"
        if snapshots
        else "no snapshot rests on it"
    )
    if check.state == "missing":
        return f"archived body {check.sha256} is missing from the archive ({rest})"
    return (
        f"archived body {check.sha256} was altered: its file hashes to {check.found_sha256} "
        f"({rest})"
    )


def _body_evidence(session: Session, archive: Archive, check: BodyCheck) -> dict[str, Any]:
    snaps = session.execute(
        select(Snapshot.id, Snapshot.url, Snapshot.fetched_at)
        .where(Snapshot.sha256 == check.sha256)
        .order_by(Snapshot.id)
    ).all()
    return {
        "sha256": check.sha256,
        "state": check.state,
        "path": archive.object_rel(check.sha256),
        "found_sha256": check.found_sha256,
        "size": check.size,
        "snapshots": [{"id": s.id, "url": s.url, "fetched_at": s.fetched_at} for s in snaps[:10]],
        "snapshot_count": len(snaps),
    }


def report_body(
    session: Session, archive: Archive, check: BodyCheck, *, now: datetime
) -> FindingRow:
    """Raise (or keep) the archive finding for a body that is missing or altered."""
    from monitor.poll_plan import plan_of

    plan = plan_of(session)
    if plan is not None:
        plan.archive_reported(check.sha256)  # open from now on, for the rest of the cycle
    evidence = _body_evidence(session, archive, check)
    return raise_operator_finding(
        session,
        family=FAMILY,
        subject=check.sha256,
        summary=_body_summary(check, evidence["snapshot_count"]),
        evidence=evidence,
        now=now,
        severity=SEVERITY,
    )


def checked_body(session: Session, archive: Archive, sha: str, *, now: datetime) -> BodyCheck:
    """Check one body; report it when it is missing or altered, resolve its finding when it is
    intact again (restored from a backup, say). A cycle's plan (monitor/poll_plan.py) that
    knows no finding about the body was open spares the look for one."""
    from monitor.poll_plan import plan_of

    check = archive.check(sha)
    plan = plan_of(session)
    if check.state == "ok":
        if plan is not None and plan.archive_finding_open(sha) is False:
            return check
        resolve_operator_finding(
            session,
            family=FAMILY,
            subject=sha,
            now=now,
            note="the archived body hashes to its name again",
        )
    else:
        report_body(session, archive, check, now=now)
    return check


def note_restored(
    session: Session, archive: Archive, sha: str, *, quarantined: str | None, now: datetime
) -> None:
    """The genuine bytes of ``sha`` were archived again over an altered file (kept at
    ``quarantined``) or where the file had gone: make sure the finding exists, then resolve it
    with a note saying what happened, so the repair is on record."""
    open_row = session.scalar(
        select(FindingRow).where(
            FindingRow.obligation_id == "operator",
            FindingRow.family == FAMILY,
            FindingRow.subject == sha,
            FindingRow.state != "resolved",
        )
    )
    if open_row is None:
        state = "altered" if quarantined else "missing"
        report_body(session, archive, BodyCheck(sha, state, None, None), now=now)
    how = (
        f"the altered file is kept at {quarantined}"
        if quarantined
        else "it had gone from the archive"
    )
    resolve_operator_finding(
        session,
        family=FAMILY,
        subject=sha,
        now=now,
        note=f"healed: the genuine bytes (sha256 {sha}) were fetched again and archived; {how}",
    )


@dataclass
class Problem:
    kind: str  # missing_body | altered_body | bad_capture | missing_capture | stray_file
    # | wrong_storage (a snapshot row naming another path than its body's)
    subject: str
    summary: str
    evidence: dict[str, Any]


@dataclass
class ArchiveReport:
    root: str
    objects: int = 0
    objects_intact: int = 0
    snapshots: int = 0
    snapshots_intact: int = 0
    capture_files: int = 0
    capture_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    unreferenced_objects: int = 0  # intact bodies no snapshot uses (a poll that did not commit)
    unrecorded_captures: int = 0  # capture files no row points at (ditto, or written before)
    leftovers: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    opened: int = 0
    resolved: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def verify_archive(session: Session, archive: Archive, *, now: datetime) -> ArchiveReport:
    """Check every body and capture record in the archive and every snapshot and capture row in
    the database against them; sync the ``archive`` operator findings to what was found."""
    scan = archive.scan()
    report = ArchiveReport(
        str(archive.root),
        objects=scan.objects,
        objects_intact=len(scan.intact),
        capture_files=len(scan.captures) + len(scan.bad_captures),
        leftovers=scan.leftovers,
        quarantined=scan.quarantined,
    )
    snaps = defaultdict(list)
    for snap in session.execute(select(Snapshot.id, Snapshot.sha256, Snapshot.storage)):
        snaps[snap.sha256].append(snap)
    report.snapshots = sum(len(v) for v in snaps.values())
    report.snapshots_intact = sum(len(v) for sha, v in snaps.items() if sha in scan.intact)
    report.unreferenced_objects = len(scan.intact - set(snaps))

    bodies: dict[str, BodyCheck] = {c.sha256: c for c in scan.altered}
    for sha in (set(snaps) | set(scan.captures.values())) - scan.intact - set(bodies):
        bodies[sha] = BodyCheck(sha, "missing")
    for sha, check in sorted(bodies.items()):
        evidence = _body_evidence(session, archive, check)
        report.problems.append(
            Problem(
                f"{check.state}_body",
                sha,
                _body_summary(check, evidence["snapshot_count"]),
                evidence,
            )
        )
    for sha, rows in sorted(snaps.items()):
        for snap in rows:
            if snap.storage != archive.object_rel(sha):
                report.problems.append(
                    Problem(
                        "wrong_storage",
                        f"snapshot {snap.id}",
                        f"snapshot {snap.id} names {snap.storage}, not its body's path",
                        {"snapshot": snap.id, "sha256": sha, "storage": snap.storage},
                    )
                )

    recorded = set()
    for row in session.execute(select(CaptureRow.id, CaptureRow.record, CaptureRow.sha256)):
        report.capture_rows += 1
        recorded.add(row.record)
        if row.record in scan.captures:
            continue
        why = scan.bad_captures.get(row.record, f"capture record {row.record} is missing")
        kind = "bad_capture" if row.record in scan.bad_captures else "missing_capture"
        report.problems.append(
            Problem(
                kind,
                f"capture {row.record}",
                f"{why} (body {row.sha256})",
                {"record": row.record, "sha256": row.sha256, "capture_id": row.id},
            )
        )
    for rel, why in sorted(scan.bad_captures.items()):
        if rel not in recorded:
            report.problems.append(
                Problem(
                    "bad_capture",
                    f"capture {rel}",
                    why,
                    {"record": rel, "sha256": rel.split("/")[2]},
                )
            )
    report.unrecorded_captures = len(set(scan.captures) - recorded)
    for rel in scan.misnamed:
        report.problems.append(
            Problem(
                "stray_file",
                f"file {rel}",
                f"{rel} is not named by the sha256 of a body",
                {"path": rel},
            )
        )

    result = sync_operator_family(
        session,
        FAMILY,
        {p.subject: (p.summary, p.evidence) for p in report.problems},
        now,
        severity=SEVERITY,
    )
    report.opened, report.resolved = len(result.opened), len(result.resolved)
    return report
