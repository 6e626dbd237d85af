"""monitor run --once: the main job (poll due sources, store, evaluate, summarise)."""

from __future__ import annotations

from monitor.commands._args import day_or_instant


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="The main job: poll due sources, archive, parse, evaluate, summarise.",
        description="Fetch every source that is due (or all with --all), follow listing pages "
        "to the reports they link, archive and parse them, store the records, "
        "evaluate every obligation and print what changed: per source the outcome "
        "and what was new; findings opened, changed and resolved, each with its "
        "obligation, period, due date and evidence; finally send the Slack alerts "
        "waiting in the outbox (when Slack is configured). Exit 0 when every source "
        "was fetched and parsed, 1 when any failed (findings and alerts that could "
        "not be delivered are not failures of the run).",
    )
    p.add_argument(
        "--once",
        action="store_true",
        required=True,
        help="Run one cycle and exit (`monitor serve` runs it on a schedule).",
    )
    p.add_argument("--all", action="store_true", help="Poll every source, due or not.")
    p.add_argument(
        "--as-of",
        type=day_or_instant,
        metavar="DATE",
        help="Evaluate as of this date or ISO datetime (default: now). Reports first "
        "seen after it are ignored by the evaluation. A date before today (a "
        "time before now) makes the evaluation a dry run unless --write is "
        "given; a date after today (a time after now) always does (--write is "
        "then refused, before anything is fetched). The polls are stored either "
        "way.",
    )
    p.add_argument(
        "--write",
        action="store_true",
        help="Record the findings of an evaluation --as-of the past.",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable summary.")
    p.set_defaults(handler=run, writes=True)


def run(args, ctx) -> int:
    import sys

    from monitor.output import print_json, progress, progress_done
    from monitor.pipeline import report_json, run_once
    from monitor.run_summary import print_report

    from monitor.as_of import refuse_future_write

    refuse_future_write(args.as_of, ctx.now(), args.write)  # before a single request
    if not ctx.settings.contact:
        print(
            "warning: no contact address is configured (MONITOR_CONTACT): government CDNs "
            "often block clients whose User-Agent names no contact",
            file=sys.stderr,
        )
    try:
        report = run_once(
            ctx,
            as_of=args.as_of,
            every_source=args.all,
            progress=progress,
            write=True if args.write else None,
        )
    finally:
        progress_done()
    if args.json:
        print_json(report_json(report))
    else:
        print_report(report)  # the Slack delivery line too, before the last line
    return 0 if report.ok else 1
