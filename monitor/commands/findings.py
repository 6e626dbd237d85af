"""monitor findings: list recorded findings by state."""

from __future__ import annotations

STATES = ("open", "acknowledged", "snoozed", "waived", "resolved", "unresolved", "all")


def register(sub) -> None:
    p = sub.add_parser("findings", help="List findings (default: all unresolved).",
                       description="Findings as last recorded by `monitor evaluate`, with their "
                                   "state (open, acknowledged, snoozed, waived, resolved).")
    p.add_argument("--state", choices=STATES, default="unresolved",
                   help="Which findings to list (default: unresolved).")
    p.add_argument("--obligation", metavar="ID", help="Only this obligation's findings.")
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from sqlalchemy import select

    from monitor.findings_view import order, print_findings
    from monitor.models import FindingRow

    query = select(FindingRow)
    if args.state == "unresolved":
        query = query.where(FindingRow.state != "resolved")
    elif args.state != "all":
        query = query.where(FindingRow.state == args.state)
    if args.obligation:
        query = query.where(FindingRow.obligation_id == args.obligation)
    with ctx.session() as session:
        print_findings(order(session.scalars(query)), args.json)
    return 0
