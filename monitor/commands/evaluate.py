"""monitor evaluate: check every obligation against what was published, and record findings."""

from __future__ import annotations

from monitor.commands._args import day_or_instant


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="Evaluate the obligations and update the findings.",
        description="Gathers what the database knows as of --as-of (default: now), runs every "
        "rule in rules/obligations/ and syncs the findings: new ones open, changed "
        "ones get a transition, vanished ones resolve. Running it again on the same "
        "facts writes nothing. Prints the findings the rules report. An evaluation "
        "as of the past (a date before today, a time before now) is a dry run unless "
        "--write is given, so looking back never moves the stored findings. One as "
        "of the future (a date after today, a time after now) is always a dry run "
        "(a preview); --write with it is refused.",
    )
    p.add_argument(
        "--as-of",
        type=day_or_instant,
        metavar="DATE",
        help="Evaluate as of this date (end of that day in Washington) or ISO "
        "datetime; only facts known then are used. Default: now.",
    )
    p.add_argument(
        "--obligation",
        action="append",
        metavar="ID",
        help="Evaluate only this obligation (repeatable).",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run", action="store_true", help="Print the findings without writing anything."
    )
    mode.add_argument(
        "--write",
        action="store_true",
        help="Record the findings even when --as-of is in the past (they then "
        "stand as of that date until the next evaluation). Refused with an "
        "--as-of in the future.",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run, writes=lambda a: not a.dry_run)


def run(args, ctx) -> int:
    import sys

    from monitor.as_of import is_future, is_past, past_note, refuse_future_write
    from monitor.errors import NotFound
    from monitor.findings_sync import evaluate_and_sync
    from monitor.findings_view import order, print_findings

    now = ctx.now()
    refuse_future_write(args.as_of, now, args.write)
    as_of = args.as_of or now
    past = (
        (is_past(args.as_of, now) or is_future(args.as_of, now))
        and not args.write
        and not args.dry_run
    )
    dry_run = args.dry_run or past
    obligations = ctx.rules()
    if args.obligation:
        unknown = sorted(set(args.obligation) - {ob.id for ob in obligations})
        if unknown:
            raise NotFound(
                f"no obligation {', '.join(unknown)}; known: "
                f"{', '.join(ob.id for ob in obligations)}"
            )
    with ctx.session() as session:
        result = evaluate_and_sync(
            session,
            ctx.settings,
            as_of,
            now,
            only=args.obligation,
            obligations=obligations,
            registry=ctx.sources,
        )
        rows = order(result.findings)
        print_findings(rows, args.json)
        if dry_run:
            session.rollback()
        if not args.json:
            opened, changed, resolved = (
                ("would open", "would change", "would resolve")
                if dry_run
                else ("opened", "changed", "resolved")
            )
            print(
                f"{len(rows)} finding(s); {opened} {len(result.opened)}, {changed} "
                f"{len(result.changed)}, {resolved} {len(result.resolved)}"
            )
    if past:  # said last (on stderr with --json, so the JSON stays one document)
        print(past_note(args.as_of, now), file=sys.stderr if args.json else sys.stdout)
    return 0
