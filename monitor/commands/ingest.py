"""monitor ingest SOURCE FILE: store a document obtained by hand as if it had been fetched."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "ingest",
        help="Store a saved document (archive, parse, store) as if fetched.",
        description="Take FILE through the same archive, parse and store path as a fetch, as if "
        "fetched from --url at --fetched-at, and record one fetch run with cycle "
        "'ingest'. Exit 1 when nothing could be read (wrong_type, parse_error, "
        "empty): only the evidence is stored (archived body, snapshot, fetch run); "
        "a layout_changed document keeps its metadata and exits 0 with a warning.",
    )
    p.add_argument("source", help="Source id, e.g. hhs_separated_children (see `monitor sources`).")
    p.add_argument("file", help="The saved document.")
    p.add_argument(
        "--url",
        help="Canonical URL the document was published at. Without it the "
        "document is stored under the file's own file:// URL, apart "
        "from any fetched copy of the same report.",
    )
    p.add_argument(
        "--fetched-at",
        dest="fetched_at",
        metavar="ISO-DATETIME",
        help="When the copy was obtained (e.g. 2022-09-30T12:00:00Z; a date means "
        "midnight UTC, a time without offset is UTC). Default: now.",
    )
    p.add_argument(
        "--listing",
        action="store_true",
        help="The document is a listing page: its links become reports of the source "
        "(a start URL of the source is one without saying so).",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run, writes=True)


def run(args, ctx) -> int:
    import sys

    from monitor.ingest import FAILED, ingest_file, parse_when, read_saved

    registered = ctx.sources.get(args.source)
    saved = read_saved(args.file, args.url)
    fetched_at = parse_when(args.fetched_at) if args.fetched_at else ctx.now()
    if saved.url_from_file:
        print(f"warning: no --url given; stored under {saved.url}", file=sys.stderr)
    with ctx.session() as session:
        intake, fetch_run = ingest_file(
            session,
            ctx.archive,
            registered,
            saved,
            fetched_at=fetched_at,
            is_listing=True if args.listing else None,
        )
        summary = {
            "source": registered.id,
            "url": intake.snapshot.url,
            "outcome": intake.outcome,
            "fetch_run": fetch_run.id,
            "snapshot": intake.snapshot.id,
            "sha256": intake.snapshot.sha256,
            "new_snapshot": intake.snapshot_new,
            "fetched_at": fetched_at,
            "reports": len(intake.result.reports) if intake.result else None,
            "counts": intake.stored.counts if intake.stored else 0,
            "statements": intake.stored.statements if intake.stored else 0,
            "links": len(intake.links),
            "new_reports": [r.url for r in intake.new_reports],
            "problems": [
                {"kind": p.kind, "detail": p.detail}
                for p in (intake.result.problems if intake.result else [])
            ],
            "already_parsed": intake.result is None,
            # reporting requirements found in an official text (`monitor candidates`)
            "candidates": [c.id for c in intake.result.candidates] if intake.result else [],
        }
    if args.json:
        from monitor.output import print_json

        print_json(summary)
    else:
        seen = (
            " (already parsed by this parser version: nothing new stored)"
            if summary["already_parsed"]
            else ""
        )
        print(
            f"{registered.id}: {intake.outcome}{seen}; snapshot {intake.snapshot.sha256[:12]}, "
            f"{summary['counts']} counts, {summary['statements']} statements, "
            f"{summary['links']} links; fetch run {fetch_run.id}"
        )
        for p in summary["problems"]:
            print(f"problem {p['kind']}: {p['detail']}")
        if summary["candidates"]:
            print(
                f"{len(summary['candidates'])} requirement candidate(s) found: review them with "
                "`monitor candidates`"
            )
    if intake.outcome in FAILED:
        return 1
    if intake.outcome != "ok":
        print(f"warning: {intake.outcome}: metadata kept, no counts stored", file=sys.stderr)
    return 0
