"""monitor sources: what the monitor polls, and how each source stands."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "sources",
        help="List the sources, their health and when they were read.",
        description="Every scrapers/sources/<id>.py: agency, poll interval, "
        "health (healthy, failing, broken), the last successful read "
        "of any of its documents and of its listing, whether it is "
        "stale (listing not read for stale_after) and when it is "
        "next polled (sooner while failing: backoff from 15 "
        "minutes).",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run)


def _ts(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "never"


def run(args, ctx) -> int:
    from monitor.source_status import source_statuses

    registered = ctx.sources.all()
    now = ctx.now()
    with ctx.session() as session:
        statuses = source_statuses(session, registered, now, ctx.settings)
    by_id = {r.id: r for r in registered}
    if args.json:
        from monitor.output import print_json

        rows = []
        for status in statuses:
            source = by_id[status.id].source
            row = status.to_json()
            row.update(
                {"start_urls": list(source.start_urls), "parser_version": source.parser_version}
            )
            rows.append(row)
        print_json(rows)
        return 0
    from monitor.output import print_table

    print_table(
        [
            (
                s.id,
                s.agency,
                f"{s.poll_every.total_seconds() / 3600:g}",
                s.health or ("not configured" if s.not_configured else "never polled"),
                _ts(s.last_success_at),
                _ts(s.last_listing_read_at),
                "STALE" if s.stale else "no",
                "not polled"
                if s.not_configured
                else _ts(s.next_poll_at)
                if s.next_poll_at
                else "now",
            )
            for s in statuses
        ],
        [
            "id",
            "agency",
            "every_h",
            "health",
            "last_read_utc",
            "listing_read_utc",
            "stale",
            "next_poll_utc",
        ],
    )
    for s in statuses:
        if s.not_configured:
            print(f"{s.id}: {s.not_configured}")
        if s.problem:
            print(f"{s.id}: {s.problem}")
        for line in s.document_lines():  # the source stays healthy; these periods stay unknown
            print(f"{s.id}: {line}")
    return 0
