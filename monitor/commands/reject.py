"""monitor reject: record that a requirement candidate is not a requirement to monitor."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "reject",
        help="Reject a requirement candidate, with a reason.",
        description="The candidate stays stored with its quote, the decision and the reason; its "
        "new_requirement finding resolves. Kept in the audit log.",
    )
    p.add_argument("id", metavar="ID", help="Candidate id (see `monitor candidates`).")
    p.add_argument("--reason", required=True, metavar="TEXT", help="Why it is not one.")
    p.add_argument("--by", required=True, metavar="NAME", help="Who rejects it.")
    p.set_defaults(handler=run, writes=True)


def run(args, ctx) -> int:
    from monitor.candidates import reject

    with ctx.session() as session:
        row = reject(session, args.id, reason=args.reason, by=args.by, now=ctx.now())
        print(f"candidate {row.id} rejected by {row.decided_by}: {row.reason}")
    return 0
