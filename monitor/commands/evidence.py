"""monitor evidence: record what an analyst learned that no public source shows."""

from __future__ import annotations

from monitor.commands._args import day


def register(sub) -> None:
    p = sub.add_parser(
        "evidence",
        help="Record manual evidence for an obligation.",
        description="For obligations no public source can show (the 24-hour notice) or that no "
        "source can confirm by itself (HART): DATE is the day the evidenced event "
        "happened (a disclosure published, a notice confirmed). For a monthly "
        "obligation, --period names the month it fulfils. --from-report REPORT_ID "
        "confirms a document the monitor proposed (a `review` finding names it). "
        "The next `monitor evaluate` uses it.",
    )
    p.add_argument("obligation", metavar="OBLIGATION", help="Obligation id (rules/obligations/).")
    p.add_argument("--by", required=True, metavar="NAME", help="Who records it.")
    p.add_argument(
        "--date",
        type=day,
        metavar="DATE",
        help="When the evidenced event happened (YYYY-MM-DD). With --from-report: "
        "default the document's own publication date.",
    )
    p.add_argument(
        "--note",
        metavar="TEXT",
        help="What the evidence is and where it can be found (required unless --from-report).",
    )
    p.add_argument(
        "--from-report",
        dest="from_report",
        type=int,
        metavar="REPORT_ID",
        help="Confirm that this document (a candidate a `review` finding names) is "
        "the evidence: dated by the document, recorded with who confirmed it.",
    )
    p.add_argument(
        "--period",
        metavar="PERIOD",
        help="The period it fulfils: 2020-01, FY2021 or 2019-10-01..2020-01-31.",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run, writes=True)


def run(args, ctx) -> int:
    from monitor.findings_actions import InvalidAction, record_evidence

    obligations = ctx.rules()
    if args.from_report is None and (args.date is None or args.note is None):
        raise InvalidAction(
            "give --date and --note, or confirm a document with --from-report REPORT_ID"
        )
    if args.from_report is not None and args.period is not None:
        raise InvalidAction(
            "--from-report confirms a document for a one-time obligation; --period does not apply"
        )
    with ctx.session() as session:
        if args.from_report is not None:
            from monitor.confirmations import confirm_report

            row = confirm_report(
                session,
                obligations,
                args.obligation,
                args.from_report,
                by=args.by,
                now=ctx.now(),
                on=args.date,
                note=args.note,
            )
        else:
            row = record_evidence(
                session,
                obligations,
                args.obligation,
                by=args.by,
                on=args.date,
                note=args.note,
                now=ctx.now(),
                period=args.period,
            )
        data = {
            "id": row.id,
            "obligation": row.obligation_id,
            "date": row.evidence_date,
            "period_start": row.period_start,
            "period_end": row.period_end,
            "note": row.note,
            "by": row.recorded_by,
            "recorded_at": row.recorded_at,
            "report_id": row.report_id,
        }
    if args.json:
        from monitor.output import print_json

        print_json(data)
    else:
        source = f" from report {data['report_id']}" if data["report_id"] is not None else ""
        print(
            f"evidence {data['id']} recorded for {args.obligation}{source} "
            f"({data['date']}) by {data['by']}; run `monitor evaluate` to apply it"
        )
        if data["report_id"] is not None:
            print(f"note: {data['note']}")
    return 0
