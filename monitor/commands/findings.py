"""monitor findings: list recorded findings by state; `monitor findings show ID`: one whole."""

from __future__ import annotations

from monitor.commands._args import finding_id
from scrapers.vocabulary import FindingState, values

STATES = values(FindingState) + ("unresolved", "all")


def register(sub) -> None:
    p = sub.add_parser(
        "findings",
        help="List findings (default: all unresolved); `show ID`.",
        description="Findings as last recorded by `monitor evaluate`, with their "
        "state (open, acknowledged, snoozed, waived, resolved). "
        "`monitor findings show ID` prints one finding whole. An "
        "unknown obligation or finding id is a one-line error "
        "(exit 1).",
    )
    p.add_argument(
        "--state",
        choices=STATES,
        default="unresolved",
        help="Which findings to list (default: unresolved).",
    )
    p.add_argument(
        "--obligation",
        metavar="ID",
        help="Only this obligation's findings (`operator`: findings about the "
        "monitor's own operation).",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run)
    actions = p.add_subparsers(dest="findings_action", metavar="ACTION")
    show = actions.add_parser(
        "show",
        help="One finding whole: summary, every evidence field, transitions, audit.",
        description="Prints the finding's fields, its summary in full, every field of its "
        "evidence, its transitions (each change, when, by whom, why) and the audit "
        "entries of people's decisions on it. --json: the finding's fields plus "
        "`evidence`, `transitions` and `audit`.",
    )
    show.add_argument("id", type=finding_id, help="Finding id (see `monitor findings`).")
    show.add_argument("--json", action="store_true", help="Machine-readable output.")
    show.set_defaults(handler=run_show)


def check_obligation(obligation_id: str, obligations) -> None:
    """An unknown obligation is the one-line error `monitor evaluate` gives."""
    from monitor.errors import NotFound
    from monitor.operator_findings import OPERATOR

    known = [ob.id for ob in obligations] + [OPERATOR]
    if obligation_id not in known:
        raise NotFound(f"no obligation {obligation_id}; known: {', '.join(known)}")


def run(args, ctx) -> int:
    from sqlalchemy import select

    from monitor.findings_view import order, print_findings
    from monitor.models import FindingRow

    if args.obligation:
        check_obligation(args.obligation, ctx.rules())
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


def run_show(args, ctx) -> int:
    from monitor.findings_view import finding_story, print_story

    with ctx.session() as session:
        story = finding_story(session, args.id)
    if args.json:
        from monitor.output import print_json

        print_json(story)
    else:
        print_story(story)
    return 0
