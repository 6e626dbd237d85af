"""monitor status: is `monitor serve` alive, and can the monitor do its job? (a liveness check)"""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "status",
        help="Liveness: the serve leader's heartbeat, sources, findings, outbox, jobs.",
        description="The instance of `monitor serve` that leads (host, pid, since) and its last "
        "heartbeat; each source's health, last successful read, staleness and next "
        "poll; open findings by kind; the outbox backlog and dead letters; the next "
        "scheduled jobs; the last digest sent; runs interrupted in the last seven "
        "days. Exit 0 when all is well, 1 when the leader's heartbeat is older than "
        "five minutes (or no instance ever ran) or any source is broken or stale. "
        "Reads only.",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run)


def _ts(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def run(args, ctx) -> int:
    from monitor.service_status import gather

    with ctx.session() as session:
        status = gather(session, ctx.sources.all(), ctx.now(), ctx.settings)
        session.rollback()
    if args.json:
        from monitor.output import print_json

        print_json(status.to_json())
        return 0 if status.ok else 1
    _print(status)
    return 0 if status.ok else 1


def _print(status) -> None:
    from monitor.output import print_table

    lead = status.leader
    if lead is None:
        print("leader: none (monitor serve has never run against this database)")
    elif lead["stopped_at"]:
        print(
            f"leader: none; the last one (host {lead['host']}, pid {lead['pid']}) stopped at "
            f"{_ts(lead['stopped_at'])}"
        )
    else:
        print(
            f"leader: host {lead['host']}, pid {lead['pid']}, since {_ts(lead['since'])}; "
            f"last heartbeat {_ts(lead['heartbeat_at'])} ({lead['heartbeat_age_s']}s ago)"
        )
    print()
    print_table(
        [
            (
                s.id,
                s.health or "never polled",
                _ts(s.last_success_at),
                "STALE" if s.stale else "no",
                _ts(s.next_poll_at) if s.next_poll_at else "now",
            )
            for s in status.sources
        ],
        ["source", "health", "last_read", "stale", "next_poll"],
    )
    print()
    findings = ", ".join(f"{kind} {n}" for kind, n in status.findings.items()) or "none"
    print(f"open findings: {findings}")
    box = status.outbox
    print(
        f"outbox: {box['backlog']} to send, {box['unrouted']} not routed yet, "
        f"{box['dead']} dead letter(s)"
    )
    digest = status.last_digest
    print(
        "last digest: "
        + (f"{digest['week']} sent {_ts(digest['sent_at'])}" if digest else "none sent")
    )
    if status.next_jobs:
        print(
            "next jobs: "
            + ", ".join(f"{j['job']} {j['next_run_at']}" for j in status.next_jobs[:8])
        )
    for run in status.interrupted:
        print(
            f"interrupted: {run['job']} started {_ts(run['started_at'])} "
            f"(host {run['host']}, pid {run['pid']})"
        )
    if status.ok:
        print("OK: the leader's heartbeat is fresh and no source is broken or stale")
    else:
        print("FAILED (exit 1): " + "; ".join(status.problems))
