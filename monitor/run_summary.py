"""The readable summary `monitor run --once` and `monitor demo` print: per source what was
fetched and what was new, then the findings that opened, changed or resolved, with evidence."""

from __future__ import annotations

from collections import Counter
from typing import Any

from monitor.pipeline import RunReport
from rules.congress import congress_line


def _evidence_line(evidence: dict[str, Any]) -> str:
    """The one line of evidence an analyst checks first: the report and snapshot, or the law."""
    parts = []
    report = evidence.get("report") or (evidence.get("reports") or [None])[0]
    if isinstance(report, dict) and report.get("url"):
        sha = (report.get("snapshot_sha256") or "")[:12]
        parts.append(f"report {report['url']}" + (f" (sha256 {sha})" if sha else ""))
    for read in evidence.get("listing_reads") or []:
        sha = (read.get("sha256") or "")[:12]
        parts.append(
            f"listing {read['url']} (sha256 {sha}) read {read.get('read_at', '')[:16]} "
            "lists no such report"
        )
    for cand in (evidence.get("candidates") or [])[:3]:  # documents a person must confirm
        if isinstance(cand, dict):
            parts.append(
                f"candidate {cand.get('document_id') or cand.get('title')} "
                f"{cand.get('url')} (published {cand.get('published') or 'undated'}); "
                f"confirm: {cand.get('confirm')}"
            )
    if evidence.get("quote"):
        parts.append(f"quote: \"{str(evidence['quote'])[:100]}\"")
    if congress_line(evidence):
        parts.append(congress_line(evidence))
    citation = evidence.get("citation")
    if isinstance(citation, dict):
        cite = " ".join(str(citation[k]) for k in ("public_law", "section") if citation.get(k))
        parts.append("rests on " + (cite or str(citation.get("law", ""))[:80]))
    return "; ".join(p for p in parts if p)


def _when(value) -> str:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return f"the end of {value} (Washington time)"


def _period(row) -> str:
    if row.period_start is None:
        return "-"
    from rules.periods import Period

    return Period(row.period_start, row.period_end or row.period_start).label


def _status_line(status) -> str:
    parts = [
        f"last successful read {_ts(status.last_success_at)}",
        f"listing read {_ts(status.last_listing_read_at)}",
        "STALE" if status.stale else "not stale",
        f"next poll {_ts(status.next_poll_at) if status.next_poll_at else 'now'}"
        + (" (retry)" if status.health in ("failing", "broken") else ""),
    ]
    return "; ".join(parts)


def _ts(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def print_report(report: RunReport, out=print) -> None:
    out(f"Run {report.cycle}, evaluated as of {_when(report.as_of)}")
    out("")
    out("Sources")
    if not report.polls:
        out("  none due (use --all to poll every source now)")
    statuses = {s.id: s for s in report.statuses}
    for poll in report.polls:
        status = "FAILED" if poll.failed else "ok"
        health = (
            poll.health_after
            if poll.health_before == poll.health_after
            else f"{poll.health_before or 'new'} -> {poll.health_after}"
        )
        out(f"  {poll.source:<28} {status:<7} health: {health}")
        if poll.source in statuses:
            out(f"    {_status_line(statuses[poll.source])}")
            for line in statuses[poll.source].document_lines():
                out(f"    {line}")
        for kind, runs in (
            ("listing", [r for r in poll.runs if r.listing]),
            ("report", [r for r in poll.runs if not r.listing]),
        ):
            if not runs:
                continue
            counts = Counter(r.outcome for r in runs)
            out(
                f"    {len(runs)} {kind} fetch(es): "
                + ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
            )
            for r in runs:
                if not r.succeeded:
                    out(f"      {r.outcome}: {r.url}" + (f" ({r.error[:160]})" if r.error else ""))
        new = [u for r in poll.runs for u in r.new_reports]
        removed = [u for r in poll.runs for u in r.removed_reports]
        for label, urls in (("new report", new), ("removed from listing", removed)):
            for url in urls:
                out(f"    {label}: {url}")
    for source_id in report.not_due:
        status = statuses.get(source_id)
        if status is None:
            continue
        out(f"  {source_id:<28} {'not due':<7} health: {status.health or 'never polled'}")
        out(f"    {_status_line(status)}")
        for line in status.document_lines():
            out(f"    {line}")
    polled = {poll.source for poll in report.polls}
    keys = getattr(report, "keys", None)
    for status in report.statuses:
        if status.not_configured and status.id not in polled:
            finding = next(
                (
                    f" (operator finding #{row.id})"
                    for row in (keys.findings if keys else [])
                    if status.id in (row.evidence or {}).get("sources", ())
                ),
                "",
            )
            out(f"  {status.id:<28} not configured")
            out(f"    {status.not_configured}{finding}")
    if report.not_due and not statuses:
        out(f"  not due this run: {', '.join(report.not_due)}")
    print_problems(report.problems, out)
    _print_findings(report, out)
    if getattr(report, "delivery", None) is not None:
        out("")
        out(report.delivery.line())
    out("")
    out(last_line(report))


def last_line(report: RunReport) -> str:
    """The line a cron log shows last: why the run exits 1, or that it exits 0."""
    if report.ok:
        return (
            "OK: every source healthy and read within stale_after "
            "(findings are not failures; exit 0)"
        )
    return "FAILED (exit 1): " + "; ".join(report.failures)


def _print_findings(report: RunReport, out) -> None:
    sync = report.sync
    if sync is None:
        return
    out("")
    written = getattr(report, "findings_written", True)
    labels = (
        ("opened", "changed", "resolved")
        if written
        else ("would open", "would change", "would resolve")
    )
    out(
        f"Findings: {len(sync.opened)} {labels[0]}, {len(sync.changed)} {labels[1]}, "
        f"{len(sync.resolved)} {labels[2]} ({len(sync.findings)} current)"
    )
    if not written:
        from monitor.as_of import past_note

        out(f"  {past_note(report.as_of, report.now)}")
    for label, rows in (
        (labels[0], sync.opened),
        (labels[1], sync.changed),
        (labels[2], sync.resolved),
    ):
        rows = sorted(rows, key=lambda r: (r.obligation_id, str(r.period_start), r.id))
        for group in _runs_of_same_reason(rows):
            if len(group) > GROUP_AFTER:
                first, last = group[0], group[-1]
                out(
                    f"  {label:<8} {len(group)} x {first.kind:<8} {first.obligation_id}  "
                    f"{_period(first)} .. {_period(last)}  (#{first.id}..#{last.id})"
                )
                out(f"           {first.evidence.get('reason', '')[:160]}")
                continue
            for row in group:
                due = f"due {row.due}" if row.due else ""
                out(
                    f"  {label:<8} #{row.id:<4} {row.kind:<8} {row.obligation_id}  "
                    f"{_period(row)}  {due}"
                )
                out(f"           {row.summary}")
                line = _evidence_line(row.evidence or {})
                if line:
                    out(f"           evidence: {line[:240]}")


# Consecutive findings of one obligation and kind resting on the same reason (a source that
# has never been read leaves every month since 2019 unknown) print as one line beyond this.
GROUP_AFTER = 3


def _runs_of_same_reason(rows):
    group: list = []
    for row in rows:
        key = (row.obligation_id, row.kind, (row.evidence or {}).get("reason"))
        if group and (
            key[2] is None
            or key
            != (group[-1].obligation_id, group[-1].kind, (group[-1].evidence or {}).get("reason"))
        ):
            yield group
            group = []
        group.append(row)
    if group:
        yield group


# Problem groups shown in a run's summary; `monitor problems` lists them all.
PROBLEMS_SHOWN = 20


def print_problems(groups, out=print) -> None:
    """Parse problems of every document's latest reading, grouped (label, document, count)."""
    from monitor.parse_problems import problem_lines, problems_headline

    out("")
    out(f"Parse problems: {problems_headline(groups)}")
    for line in problem_lines(groups, limit=PROBLEMS_SHOWN):
        out(f"  {line}")
