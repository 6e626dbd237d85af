"""monitor digest: the weekly compliance digest, previewed or sent (once per ISO week)."""

from __future__ import annotations

import argparse


def _week(text: str):
    from monitor.delivery.digest_build import IsoWeek

    try:
        return IsoWeek.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub) -> None:
    p = sub.add_parser(
        "digest",
        help="Preview or send the weekly compliance digest (email).",
        description="The digest of one ISO week (default: the last complete week in "
        "digest_timezone): what became late or missing, reports without the "
        "foreign-government statement, what the monitor cannot judge and since "
        "when, what was fulfilled, deadlines in the next 14 days, revised figures "
        "and a chart of monthly separations. --send claims the week in the database "
        "first, so it is sent once however often it is run; exit 1 when sending "
        "failed (the next --send retries it).",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--preview",
        metavar="FILE.html",
        help="Write the digest as one HTML file (chart embedded); send nothing.",
    )
    what.add_argument(
        "--send",
        action="store_true",
        help="Email it to digest_to through smtp_host, unless already sent.",
    )
    p.add_argument(
        "--week",
        type=_week,
        metavar="YYYY-Www",
        help="The ISO week, e.g. 2023-W03 (default: the last complete week).",
    )
    p.set_defaults(handler=run, writes=lambda a: a.send)


def run(args, ctx) -> int:
    import sys
    from pathlib import Path

    from monitor.delivery.digest_build import IsoWeek, build_digest
    from monitor.delivery.digest_send import preview_html, send_digest
    from monitor.errors import MonitorError

    settings = ctx.settings
    if args.send:
        result = send_digest(ctx.session, settings, clock=ctx.now, week=args.week)
        if result.failed:
            print(f"error: digest {result.week.label} {result.detail}", file=sys.stderr)
            return 1
        print(
            f"digest {result.week.label}: {result.detail}"
            + (f"\n  {result.subject}" if result.subject else "")
        )
        return 0
    week = args.week or IsoWeek.previous(ctx.now(), settings.digest_timezone)
    with ctx.session() as session:
        digest = build_digest(session, week, tz=settings.digest_timezone, obligations=ctx.rules())
        session.rollback()
    path = Path(args.preview)
    try:
        path.write_text(preview_html(digest), encoding="utf-8")
    except OSError as exc:
        raise MonitorError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"{path}\n  {digest.subject}")
    return 0
