"""monitor reparse SOURCE: re-derive records from archived snapshots with the current parser."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "reparse",
        help="Re-read a source's archived snapshots with its current parser.",
        description="Parse every archived snapshot of SOURCE that the current "
        "parser version has not read yet, adding observations tagged "
        "with that version (older versions' observations are kept). "
        "Snapshots this version already read are skipped, so running "
        "it twice writes nothing new. Every snapshot's archived body "
        "is checked against its sha256 first, those already read "
        "included: exit status 1 if one is missing or altered (each "
        "is an operator finding).",
    )
    p.add_argument("source", help="Source id (see `monitor sources`).")
    p.add_argument(
        "--json", action="store_true", help="Machine-readable output: one object per snapshot."
    )
    p.set_defaults(handler=run, writes=True)


def run(args: argparse.Namespace, ctx) -> int:
    from monitor.output import print_json, print_table
    from monitor.reparsing import reparse_source

    registered = ctx.sources.get(args.source)
    with ctx.session() as session:
        items = reparse_source(session, ctx.archive, registered, now=ctx.now())
    missing = [i for i in items if i.outcome == "missing"]
    altered = [i for i in items if i.outcome == "altered"]
    if args.json:
        print_json([i.to_json() for i in items])
        return 1 if missing or altered else 0
    if not items:
        print(f"{args.source}: no archived snapshots to reparse")
        return 0
    print_table(
        [
            (
                i.snapshot_id,
                i.fetched_at.strftime("%Y-%m-%d"),
                i.outcome,
                i.counts,
                i.statements,
                i.url + (f"  ({i.error})" if i.error else ""),
            )
            for i in items
        ],
        ["snapshot", "fetched", "outcome", "counts", "statements", "url"],
    )
    parsed = sum(1 for i in items if i.outcome not in ("skipped", "missing", "altered"))
    skipped = sum(1 for i in items if i.outcome == "skipped")
    print(
        f"{args.source}: parser version {registered.source.parser_version}: {parsed} parsed, "
        f"{skipped} already read by this version, {len(missing)} missing from the archive, "
        f"{len(altered)} altered"
    )
    if missing or altered:
        print(
            f"{args.source}: archived bodies missing or altered are operator findings "
            "(`monitor findings`, `monitor archive verify`); the next fetch of their URLs "
            "downloads them again",
            file=__import__("sys").stderr,
        )
    return 1 if missing or altered else 0
