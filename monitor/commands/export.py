"""monitor export: stream an analyst view to CSV, JSON or Parquet."""

from __future__ import annotations


def register(sub) -> None:
    from monitor.commands._args import day

    p = sub.add_parser(
        "export",
        help="Export an analyst view as CSV, JSON or Parquet (streamed).",
        description="Write one analyst view (see docs/data-dictionary.md) row by row, without "
        "loading it whole: to stdout, or to --output FILE (written as FILE.partial "
        "and renamed when complete). An empty view gives the header only (CSV), [] "
        "(JSON) or a file with the columns and no rows (Parquet). An unknown view "
        "or column is one error line and exit status 1.",
    )
    p.add_argument(
        "view",
        metavar="VIEW",
        help="separation_counts, separations_monthly, separations_by_report_period, "
        "separation_revisions, reporting_timeliness or foreign_basis_statements.",
    )
    p.add_argument(
        "--format",
        choices=["csv", "json", "parquet"],
        default="csv",
        help="csv (default), json (an array of objects) or parquet (needs pyarrow: "
        "the 'parquet' extra).",
    )
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="Keep rows whose COLUMN equals VALUE (repeatable: different columns "
        "must all match, values of one column are alternatives; COLUMN= "
        "keeps rows where it is NULL).",
    )
    p.add_argument(
        "--since",
        type=day,
        metavar="YYYY-MM-DD",
        help="Keep rows whose period ends on or after this day.",
    )
    p.add_argument(
        "--until",
        type=day,
        metavar="YYYY-MM-DD",
        help="Keep rows whose period starts on or before this day.",
    )
    p.add_argument("--output", metavar="FILE", help="Write here instead of stdout.")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    import sys
    from pathlib import Path

    from sqlalchemy.exc import SQLAlchemyError

    from monitor.errors import MonitorError
    from monitor.export import Selection, export, parse_where
    from monitor.views import columns

    columns(args.view)  # an unknown view fails before the database is opened
    sel = Selection(args.view, [parse_where(w) for w in args.where], args.since, args.until)
    output = Path(args.output) if args.output else None
    try:
        count = export(ctx.engine, sel, args.format, output, sys.stdout)
    except SQLAlchemyError as exc:
        first = (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0]
        raise MonitorError(f"export of {args.view} failed: {first}") from None
    if output is not None:
        print(f"{output}: {count} row(s) of {args.view} as {args.format}")
    return 0
