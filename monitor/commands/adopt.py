"""monitor adopt: turn a requirement candidate into a draft rule file."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "adopt",
        help="Adopt a requirement candidate: write a draft rule file.",
        description="Writes rules/obligations/<id>.yaml (or --output DIR/<id>.yaml) with the "
        "citation filled in from the official text (text_verified: true, the "
        "package URL) and every part a person must complete marked TODO. The draft "
        "carries `draft: true`, so it is not evaluated until completed; `monitor "
        "check` lists it. The decision is kept in the audit log.",
    )
    p.add_argument("id", metavar="ID", help="Candidate id (see `monitor candidates`).")
    p.add_argument("--by", required=True, metavar="NAME", help="Who adopts it.")
    p.add_argument(
        "--as",
        dest="obligation_id",
        metavar="OBLIGATION_ID",
        help="Id of the new rule (default: agency, package and candidate id).",
    )
    p.add_argument(
        "--output",
        metavar="DIR",
        help="Directory for the draft (default: the rules directory the monitor loads).",
    )
    p.set_defaults(handler=run, writes=True)


def run(args, ctx) -> int:
    from pathlib import Path

    from monitor.candidates import adopt
    from rules.obligations import BUNDLED_DIR

    directory = Path(args.output) if args.output else BUNDLED_DIR
    with ctx.session() as session:
        row, path = adopt(
            session,
            args.id,
            by=args.by,
            now=ctx.now(),
            directory=directory,
            obligation_id=args.obligation_id,
        )
        print(
            f"candidate {row.id} adopted by {row.decided_by} as {row.obligation_id}: "
            f"draft written to {path}; complete its TODOs, run `monitor check`, then remove "
            "`draft: true`"
        )
    return 0
