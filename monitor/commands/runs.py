"""monitor runs [--source S] [--limit N] [--json]: the most recent fetch runs."""

from __future__ import annotations

import argparse


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(sub) -> None:
    p = sub.add_parser(
        "runs",
        help="List recent fetch runs and their outcomes.",
        description="One row per request the monitor made, newest first: when, "
        "source, outcome, HTTP status, bytes, duration, URL, error, "
        "and the cycle (one poll or `run --once`) it belonged to.",
    )
    p.add_argument("--source", metavar="S", help="Only runs of this source.")
    p.add_argument("--outcome", metavar="O", help="Only runs with this outcome.")
    p.add_argument(
        "--limit", type=_positive, default=20, metavar="N", help="How many runs (default 20)."
    )
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx) -> int:
    from sqlalchemy import select

    from monitor.errors import MonitorError
    from monitor.models import FETCH_OUTCOMES, FetchRun, Snapshot
    from monitor.output import print_json, print_table
    from scrapers.redact import redact_text, redact_url

    if args.outcome and args.outcome not in FETCH_OUTCOMES:
        raise MonitorError(f"unknown outcome {args.outcome!r}; one of {', '.join(FETCH_OUTCOMES)}")
    query = (
        select(FetchRun, Snapshot.sha256)
        .outerjoin(Snapshot, Snapshot.id == FetchRun.snapshot_id)
        .order_by(FetchRun.started_at.desc(), FetchRun.id.desc())
        .limit(args.limit)
    )
    if args.source:
        query = query.where(FetchRun.source_id == args.source)
    if args.outcome:
        query = query.where(FetchRun.outcome == args.outcome)
    with ctx.session() as session:
        # Runs are stored redacted; redacting again on the way out covers rows stored before.
        rows = [
            {
                "id": r.id,
                "source": r.source_id,
                "url": redact_url(r.url),
                "requested_url": redact_url(r.requested_url) if r.requested_url else None,
                "started_at": r.started_at,
                "duration_ms": r.duration_ms,
                "outcome": r.outcome,
                "http_status": r.http_status,
                "bytes": r.bytes,
                "sha256": sha,
                "snapshot_id": r.snapshot_id,
                "error": redact_text(r.error) if r.error else None,
                "cycle": r.cycle,
            }
            for r, sha in session.execute(query)
        ]
    if args.json:
        print_json(rows)
        return 0
    _print_interrupted(ctx)
    if not rows:
        print("no fetch runs yet" + (f" for {args.source}" if args.source else ""))
        return 0
    print_table(
        [
            (
                r["id"],
                r["started_at"].strftime("%Y-%m-%d %H:%M:%S"),
                r["source"],
                r["outcome"],
                r["http_status"],
                r["bytes"],
                r["duration_ms"],
                r["url"] + (f"  ({r['error']})" if r["error"] else ""),
            )
            for r in rows
        ],
        ["id", "started (UTC)", "source", "outcome", "status", "bytes", "ms", "url"],
    )
    return 0


def _print_interrupted(ctx) -> None:
    """Commands whose process died while they wrote (kill -9, a crash), newest first."""
    from monitor.command_runs import recent_interrupted

    with ctx.session() as session:
        for row in recent_interrupted(session):
            print(
                f"interrupted: {row.command} (pid {row.pid}) started "
                f"{row.started_at:%Y-%m-%d %H:%M:%S} UTC"
                + (f", cycle {row.cycle}" if row.cycle else "")
                + f": {row.detail}"
            )
