"""monitor snooze: silence a finding until a date; it returns to open on that date."""

from __future__ import annotations

from monitor.commands._args import day, finding_id


def register(sub) -> None:
    p = sub.add_parser(
        "snooze",
        help="Snooze a finding until a date.",
        description="The finding is snoozed until DATE (a day in Washington); "
        "the first evaluation on or after that day reopens it. "
        "Recorded in the audit log.",
    )
    p.add_argument("id", type=finding_id, help="Finding id (see `monitor findings`).")
    p.add_argument(
        "--until",
        type=day,
        required=True,
        metavar="DATE",
        help="Snooze until this date (YYYY-MM-DD, in the future).",
    )
    p.add_argument("--by", required=True, metavar="NAME", help="Who snoozes it.")
    p.add_argument("--note", metavar="TEXT", help="Why.")
    p.set_defaults(handler=run, writes=True)


def run(args, ctx) -> int:
    from monitor.findings_actions import snooze

    with ctx.session() as session:
        row = snooze(session, args.id, until=args.until, by=args.by, note=args.note, now=ctx.now())
        print(f"finding {row.id} snoozed until {args.until} by {args.by}: {row.summary}")
    return 0
