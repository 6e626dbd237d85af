"""monitor fetch SOURCE [--url URL] | --all: fetch now, archive, parse, record runs and health."""

from __future__ import annotations

import argparse

# Exit statuses (README "Exit status of monitor fetch"): what happened, not only whether all went
# well. 2 is argparse's (a usage error); 1 also covers an error that stopped the command.
EXIT_OK = 0  # every request succeeded
EXIT_POLL_FAILED = 1  # a listing page (with --url: a URL asked for) could not be fetched or read
EXIT_DOCUMENTS_FAILED = 3  # every poll succeeded, but a linked document could not be fetched or
#                            read (a dead report link): recorded in that document's own state


def register(sub) -> None:
    p = sub.add_parser(
        "fetch",
        help="Fetch a source (or all) now: archive, parse, record runs and health.",
        description="Poll SOURCE (its listing pages, then the reports they link to that are new "
        "or due for a recheck), or every source with --all. With --url, fetch that "
        "URL as SOURCE for a manual check: any http(s) host, loopback included; it "
        "does not follow links or change the source's health. Each request prints "
        "one run with its outcome: ok, not_modified, unchanged, http_error, "
        "network_error, blocked, too_large, wrong_type, layout_changed, empty, "
        "parse_error. Exit status 0 when every run succeeded (ok, not_modified, "
        "unchanged); 1 when a poll failed (a listing page, or with --url a URL "
        "asked for, could not be fetched or read) or the command could not run; "
        "3 when every poll succeeded but a linked document (a report) could not "
        "be fetched or read.",
    )
    p.add_argument("source", nargs="?", help="Source id (see `monitor sources`).")
    p.add_argument("--all", action="store_true", help="Poll every source.")
    p.add_argument(
        "--url",
        action="append",
        metavar="URL",
        help="Fetch this URL as SOURCE instead of its start URLs (repeatable).",
    )
    p.add_argument(
        "--listing",
        action="store_true",
        help="Read --url as a listing page (default: only start URLs are listings).",
    )
    p.add_argument(
        "--mirror",
        metavar="BASE",
        help="Request https://host/path from BASE/host/path instead (the offline "
        "demo server); runs still record the canonical URL.",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable output: a list of runs.")
    p.set_defaults(handler=run, writes=True)


def _check_args(args: argparse.Namespace) -> None:
    from urllib.parse import urlsplit

    from monitor.errors import MonitorError

    if args.all == bool(args.source):
        raise MonitorError("name one SOURCE or pass --all")
    if args.all and args.url:
        raise MonitorError("--url needs one SOURCE, not --all")
    if args.listing and not args.url:
        raise MonitorError("--listing applies to --url")
    from scrapers.redact import redact_url

    for url in args.url or []:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise MonitorError(f"--url must be an http(s) URL, not {redact_url(url)!r}")
    if args.url and len({urlsplit(u).hostname for u in args.url}) > 1:
        raise MonitorError("--url: name URLs on one host per command")
    if args.mirror and urlsplit(args.mirror).scheme not in ("http", "https"):
        raise MonitorError(f"--mirror must be an http(s) URL, not {redact_url(args.mirror)!r}")


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _warn_without_contact(ctx, fetcher, registered, urls) -> None:
    import sys

    from scrapers.fetch.http import host_of

    if ctx.settings.contact:
        return
    planned = list(urls or []) or [u for reg in registered for u in reg.source.start_urls]
    if any(not _is_loopback(host_of(fetcher.requested_url(u))) for u in planned):
        print(
            "warning: no contact address is configured (MONITOR_CONTACT): government CDNs "
            "often block clients whose User-Agent names no contact",
            file=sys.stderr,
        )


def run(args: argparse.Namespace, ctx) -> int:
    _check_args(args)
    from monitor.fetching import new_cycle, poll_source, source_headers
    from monitor.output import print_json, progress, progress_done
    from scrapers.fetch.http import Fetcher, mirror_rewrite

    # --all polls every source that has start URLs (one without takes documents by hand)
    from monitor.apipoll import is_polled

    registered = (
        [r for r in ctx.sources.all() if is_polled(r, ctx.settings)]
        if args.all
        else [ctx.sources.get(args.source)]
    )
    fetcher = Fetcher.from_settings(
        ctx.settings, rewrite=mirror_rewrite(args.mirror) if args.mirror else None
    )
    _warn_without_contact(ctx, fetcher, registered, args.url)
    cycle = new_cycle(ctx.now())
    ctx.note_cycle(cycle)
    from monitor.api_keys import sync_missing_keys

    with ctx.session() as session:  # an API key that is not set: ONE operator finding per key
        sync_missing_keys(
            session,
            ctx.sources.all(),
            ctx.settings,
            now=ctx.now(),
            only=ctx.sources.all() if args.all else registered,
        )
    polls = []
    try:
        for reg in registered:
            with ctx.session() as session:
                now = ctx.now()
                polls.append(
                    poll_source(
                        session,
                        ctx.archive,
                        fetcher,
                        reg,
                        now=now,
                        cycle=cycle,
                        urls=args.url,
                        explicit=bool(args.url),
                        listing=True if args.listing else None,
                        recheck_days=ctx.settings.recheck_days,
                        broken_after=ctx.settings.broken_after,
                        progress=progress,
                        unreachable_after=ctx.settings.unreachable_after,
                        max_links=ctx.settings.max_links_per_listing,
                        headers=source_headers(reg.source, ctx.settings),
                    )
                )
    finally:
        progress_done()
        fetcher.close()

    runs = [r for poll in polls for r in poll.runs]
    if args.json:
        print_json([r.to_json() for r in runs])
    else:
        _print_text(polls)
    if not args.all and any(p.not_configured for p in polls):
        return EXIT_POLL_FAILED  # the source named cannot be polled (no API key): nothing read
    return exit_status(polls)


def exit_status(polls) -> int:
    if any(poll.failed for poll in polls):
        return EXIT_POLL_FAILED
    if not all(run.succeeded for poll in polls for run in poll.runs):
        return EXIT_DOCUMENTS_FAILED
    return EXIT_OK


def _print_text(polls) -> None:
    from monitor.output import print_table

    runs = [r for poll in polls for r in poll.runs]
    if not runs:
        print("no requests made (no start URLs)")
    else:
        print_table(
            [
                (
                    r.source,
                    r.outcome,
                    r.http_status,
                    r.bytes,
                    (r.sha256 or "")[:12],
                    r.url + (f"  ({r.error})" if r.error else ""),
                )
                for r in runs
            ],
            ["source", "outcome", "status", "bytes", "sha256", "url"],
        )
    for poll in polls:
        if poll.not_configured:
            print(f"{poll.source}: {poll.not_configured}")
        for problem in poll.api_problems[:5]:
            print(f"{poll.source}: API {problem}")
        if poll.skipped_links:
            print(
                f"{poll.source}: {len(poll.skipped_links)} linked URL(s) on hosts the source "
                "does not allow were not fetched"
            )
        if poll.explicit:
            continue
        documents = [r for r in poll.runs if not r.listing and not r.succeeded]
        if documents and not poll.failed:
            print(
                f"{poll.source}: the poll succeeded, but {len(documents)} linked document(s) "
                "could not be fetched or read (kept as their own state: `monitor sources`)"
            )
        if poll.health_after != poll.health_before:
            print(f"{poll.source}: health {poll.health_before or 'new'} -> {poll.health_after}")
        elif poll.health_after != "healthy":
            print(
                f"{poll.source}: still {poll.health_after} "
                f"({poll.consecutive_failures} failed polls in a row)"
            )
