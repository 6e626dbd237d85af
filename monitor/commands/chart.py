"""monitor chart separations: the digest's chart of monthly separations by cause, as a PNG."""

from __future__ import annotations

import argparse
import re


def _month(text: str) -> str:
    """YYYY-MM or YYYY-MM-DD (the month it falls in)."""
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        return text
    from datetime import date

    try:
        return date.fromisoformat(text).strftime("%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a month (YYYY-MM or YYYY-MM-DD)"
        ) from None


def register(sub) -> None:
    p = sub.add_parser(
        "chart",
        help="Draw a chart as a PNG (monthly separations by cause and agency).",
        description="The chart the weekly digest embeds: separations per month by cause, one "
        "panel per agency, from the separations_monthly view (the current figure "
        "of each month). A month an agency reported only as a total is one grey "
        "bar, 'cause not given by month'. Default window: the 24 months ending "
        "with the latest month that has a figure.",
    )
    p.add_argument("what", choices=["separations"], help="The chart to draw.")
    p.add_argument(
        "--agency", type=str.upper, choices=["DHS", "HHS"], help="One agency only (default: both)."
    )
    p.add_argument(
        "--from",
        dest="start",
        type=_month,
        metavar="YYYY-MM",
        help="First month shown (default: 23 months before --to).",
    )
    p.add_argument(
        "--to",
        dest="end",
        type=_month,
        metavar="YYYY-MM",
        help="Last month shown (default: the latest month with a figure).",
    )
    p.add_argument("--output", required=True, metavar="FILE.png", help="Where to write the PNG.")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from pathlib import Path

    from monitor.charts import monthly_separations, separations_chart_png
    from monitor.errors import MonitorError

    if args.start and args.end and args.start > args.end:
        raise MonitorError(f"--from {args.start} is after --to {args.end}")
    with ctx.session() as session:
        months, data = monthly_separations(
            session, agency=args.agency, start=args.start, end=args.end
        )
        png = separations_chart_png(session, agency=args.agency, start=args.start, end=args.end)
        session.rollback()
    path = Path(args.output)
    try:
        path.write_bytes(png)
    except OSError as exc:
        raise MonitorError(f"cannot write {path}: {exc.strerror or exc}") from None
    figures = sum(len(per) for per in data.values())
    span = f"{months[0]} to {months[-1]}" if months else "no monthly separation figures"
    print(f"{path}\n  {span}: {figures} agency-month(s) with figures")
    return 0
