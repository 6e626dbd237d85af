"""monitor evidence: record what an analyst learned that no public source shows."""

from __future__ import annotations

from monitor.commands._args import day


def register(sub) -> None:
    p = sub.add_parser(
        "evidence", help="Record manual evidence for an obligation.",
        description="For obligations no public source can show (the 24-hour notice) or that no "
                    "source watches yet (HART): DATE is the day the evidenced event happened "
                    "(a disclosure published, a notice confirmed). For a monthly obligation, "
                    "--period names the month it fulfils. The next `monitor evaluate` uses it.")
    p.add_argument("obligation", metavar="OBLIGATION", help="Obligation id (rules/obligations/).")
    p.add_argument("--by", required=True, metavar="NAME", help="Who records it.")
    p.add_argument("--date", type=day, required=True, metavar="DATE",
                   help="When the evidenced event happened (YYYY-MM-DD).")
    p.add_argument("--note", required=True, metavar="TEXT",
                   help="What the evidence is and where it can be found.")
    p.add_argument("--period", metavar="PERIOD",
                   help="The period it fulfils: 2020-01, FY2021 or 2019-10-01..2020-01-31.")
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run, writes=True)


def run(args, ctx) -> int:
    from monitor.findings_actions import record_evidence
    from monitor.findings_sync import load_rules

    obligations = load_rules()
    with ctx.session() as session:
        row = record_evidence(session, obligations, args.obligation, by=args.by, on=args.date,
                              note=args.note, now=ctx.now(), period=args.period)
        data = {"id": row.id, "obligation": row.obligation_id, "date": row.evidence_date,
                "period_start": row.period_start, "period_end": row.period_end,
                "note": row.note, "by": row.recorded_by, "recorded_at": row.recorded_at}
    if args.json:
        from monitor.output import print_json

        print_json(data)
    else:
        print(f"evidence {data['id']} recorded for {args.obligation} ({args.date}); "
              "run `monitor evaluate` to apply it")
    return 0
