"""monitor archive verify | get: check the evidence archive; export a body, verified."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "archive",
        help="Check the evidence archive, or export a body from it.",
        description="The evidence archive holds every fetched body under its "
        "sha256, with capture records of where and when it was seen.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    v = actions.add_parser(
        "verify",
        help="Check every body and capture record against its name and the database.",
        description="Hash every body in the archive against its name, read every capture "
        "record, and check that every snapshot's body and every capture row's "
        "record is there and intact. Each problem is an operator finding of family "
        "'archive' (resolved when a later verify finds it gone). Prints a summary; "
        "exit status 1 on any problem.",
    )
    v.add_argument("--json", action="store_true", help="Machine-readable report.")
    v.set_defaults(handler=run_verify, writes=True)
    g = actions.add_parser(
        "get",
        help="Write an archived body out, after checking it still hashes to its name.",
        description="Export the body SHA256 to --out (or standard output), only when its file "
        "still hashes to its name; a missing or altered body is an error (exit 1) "
        "and an operator finding.",
    )
    g.add_argument("sha256", help="The body's sha256 (see `monitor runs` or a finding's evidence).")
    g.add_argument("--out", metavar="FILE", help="Write here instead of standard output.")
    g.set_defaults(handler=run_get, writes=True)


def run_verify(args: argparse.Namespace, ctx) -> int:
    from monitor.archive_check import verify_archive
    from monitor.output import print_json

    with ctx.session() as session:
        report = verify_archive(session, ctx.archive, now=ctx.now())
    if args.json:
        print_json(report.to_json())
        return 0 if report.ok else 1
    print(f"archive {report.root}")
    print(f"  bodies:    {report.objects} checked, {report.objects_intact} intact")
    print(f"  snapshots: {report.snapshots} checked, {report.snapshots_intact} with an intact body")
    print(
        f"  captures:  {report.capture_files} record files, {report.capture_rows} in the database"
    )
    notes = []
    if report.quarantined:
        notes.append(f"{len(report.quarantined)} altered copies kept in quarantine/")
    if report.unreferenced_objects:
        notes.append(
            f"{report.unreferenced_objects} bodies and {report.unrecorded_captures} "
            "capture records from fetches whose rows were not committed"
            if report.unrecorded_captures
            else f"{report.unreferenced_objects} bodies no snapshot uses"
        )
    elif report.unrecorded_captures:
        notes.append(
            f"{report.unrecorded_captures} capture records no row points at (written "
            "before capture counting, or by a fetch that was not committed)"
        )
    if report.leftovers:
        notes.append(f"{len(report.leftovers)} temporary files of interrupted writes")
    for note in notes:
        print(f"  also:      {note}")
    for problem in report.problems:
        print(f"  PROBLEM {problem.kind}: {problem.summary}")
    if report.ok:
        print("archive: every body and capture record checked out")
        return 0
    print(
        f"archive: {len(report.problems)} problem(s); operator findings: {report.opened} "
        f"opened, {report.resolved} resolved (`monitor findings`)"
    )
    return 1


def run_get(args: argparse.Namespace, ctx) -> int:
    import re
    import sys

    from monitor.archive_check import report_body
    from monitor.errors import MonitorError
    from scrapers.fetch.archive import BodyUnavailable

    sha = args.sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise MonitorError(f"{args.sha256!r} is not a sha256 (64 hexadecimal digits)")
    try:
        body = ctx.archive.get(sha)
    except BodyUnavailable as exc:
        from sqlalchemy import select

        from monitor.errors import NotFound
        from monitor.models import Snapshot

        with ctx.session() as session:
            known = session.scalar(select(Snapshot.id).where(Snapshot.sha256 == sha).limit(1))
            if exc.state == "missing" and known is None:
                raise NotFound(f"no body {sha} in the archive") from None
            report_body(session, ctx.archive, ctx.archive.check(sha), now=ctx.now())
        raise MonitorError(f"{exc}: not exported (an operator finding records it)") from None
    if args.out:
        from pathlib import Path

        try:
            Path(args.out).write_bytes(body)
        except OSError as exc:
            raise MonitorError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        print(f"{sha}: {len(body):,} bytes written to {args.out} (sha256 checked)")
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    return 0
