"""monitor ack: acknowledge a finding (someone is on it); it stays acknowledged until resolved."""

from __future__ import annotations

from monitor.commands._args import finding_id


def register(sub) -> None:
    p = sub.add_parser(
        "ack",
        help="Acknowledge a finding.",
        description="Marks an open or snoozed finding acknowledged. Recorded in "
        "the audit log with who and when.",
    )
    p.add_argument("id", type=finding_id, help="Finding id (see `monitor findings`).")
    p.add_argument("--by", required=True, metavar="NAME", help="Who acknowledges it.")
    p.add_argument("--note", metavar="TEXT", help="Why, or what happens next.")
    p.set_defaults(handler=run, writes=True)


def run(args, ctx) -> int:
    from monitor.findings_actions import acknowledge

    with ctx.session() as session:
        row = acknowledge(session, args.id, by=args.by, note=args.note, now=ctx.now())
        print(f"finding {row.id} acknowledged by {args.by}: {row.summary}")
    return 0
