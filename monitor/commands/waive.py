"""monitor waive: accept a finding for a stated reason; it stays waived while it lasts."""

from __future__ import annotations

from monitor.commands._args import finding_id


def register(sub) -> None:
    p = sub.add_parser(
        "waive",
        help="Waive a finding, with a reason.",
        description="A waived finding stays waived across evaluations (it still "
        "resolves if the problem goes away). The reason and who gave "
        "it are kept in the audit log.",
    )
    p.add_argument("id", type=finding_id, help="Finding id (see `monitor findings`).")
    p.add_argument("--reason", required=True, metavar="TEXT", help="Why it is waived.")
    p.add_argument("--by", required=True, metavar="NAME", help="Who waives it.")
    p.set_defaults(handler=run, writes=True)


def run(args, ctx) -> int:
    from monitor.findings_actions import waive

    with ctx.session() as session:
        row = waive(session, args.id, reason=args.reason, by=args.by, now=ctx.now())
        print(f"finding {row.id} waived by {args.by}: {row.summary}")
    return 0
