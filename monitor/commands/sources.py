"""monitor sources: what the monitor polls."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("sources", help="List the sources the monitor polls.",
                       description="Every scrapers/sources/<id>.py: agency, start URLs, cadence.")
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from scrapers.registry import all_sources

    rows = [{"id": r.source.id, "agency": r.source.agency, "title": r.source.title,
             "start_urls": list(r.source.start_urls),
             "poll_every_hours": r.source.poll_every.total_seconds() / 3600,
             "parser_version": r.source.parser_version} for r in all_sources()]
    if args.json:
        from monitor.output import print_json

        print_json(rows)
    else:
        from monitor.output import print_table

        print_table([(r["id"], r["agency"], r["poll_every_hours"], r["parser_version"], r["title"])
                     for r in rows], ["id", "agency", "every_h", "parser", "title"])
    return 0
