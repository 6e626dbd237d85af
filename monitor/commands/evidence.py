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
        "confirms a document the monitor proposed (a `review` finding names it); "
        "--reject-report REPORT_ID --reason TEXT rejects it (it is no longer proposed "
        "unless DHS revises it with another date). For one document the later decision "
        "stands; none is deleted. The next `monitor evaluate` uses it.",
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
        "--reject-report",
        dest="reject_report",
        type=int,
        metavar="REPORT_ID",
        help="Reject this proposed document (a candidate a `review` finding names): it is "
        "not the evidence, for --reason; recorded with who and when.",
    )
    p.add_argument(
        "--reason",
        metavar="TEXT",
        help="With --reject-report: why the document is not the evidence (required).",
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
    if args.reject_report is not None:
        return _reject(args, ctx, obligations)
    if args.reason is not None:
        raise InvalidAction("--reason goes with --reject-report REPORT_ID")
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


def _reject(args, ctx, obligations) -> int:
    from monitor.confirmations import reject_report
    from monitor.findings_actions import InvalidAction

    extra = [
        flag
        for flag, value in (
            ("--from-report", args.from_report),
            ("--date", args.date),
            ("--note", args.note),
            ("--period", args.period),
        )
        if value is not None
    ]
    if extra:
        raise InvalidAction(f"--reject-report takes --by and --reason only, not {', '.join(extra)}")
    if args.reason is None:
        raise InvalidAction("--reject-report needs --reason TEXT: say why it is not the evidence")
    with ctx.session() as session:
        row = reject_report(
            session,
            obligations,
            args.obligation,
            args.reject_report,
            by=args.by,
            reason=args.reason,
            now=ctx.now(),
        )
        data = {
            "id": row.id,
            "obligation": row.obligation_id,
            "report_id": row.report_id,
            "decision": row.decision,
            "revision": row.revision,
            "published": row.published,
            "by": row.decided_by,
            "decided_at": row.decided_at,
            "reason": row.reason,
        }
    if args.json:
        from monitor.output import print_json

        print_json(data)
    else:
        print(
            f"report {data['report_id']} rejected for {args.obligation} by {data['by']} "
            f"(decision {data['id']}); run `monitor evaluate` to apply it"
        )
    return 0
