"""monitor check: validate every rule file (and run its cases) and every registered source."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "check",
        help="Validate all obligations and sources (exit 1 on error).",
        description="Loads every rules/obligations/*.yaml (file and field named on error), runs "
        "each rule's own cases, and loads every scrapers/sources/<id>.py. Warnings "
        "(not errors): a rule watching a source that is not implemented yet, a "
        "deadline computed from a citation whose text was not verified, a "
        "Congress.gov House requirement (as stored) whose legal authority cites a "
        "law a rule cites and that no rule claims in its congress_requirements.",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from monitor.checking import check_all

    report = check_all(ctx.rules_dir, verified=_verified(ctx), congress=_congress(ctx))
    if args.json:
        from monitor.output import print_json

        print_json(report)
    else:
        for line in report["errors"]:
            print(f"error: {line}")
        for line in report["warnings"]:
            print(f"warning: {line}")
        print(
            f"{len(report['obligations'])} obligation(s), {report['cases_passed']} case(s) "
            f"passed, {len(report['sources'])} source(s): "
            f"{'FAILED' if report['errors'] else 'ok'}"
        )
    return 1 if report["errors"] else 0


def _database_exists(ctx) -> bool:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    url = ctx.settings.database_url
    if url.startswith("sqlite"):
        database = make_url(url).database
        if not database or database == ":memory:" or not Path(database).expanduser().exists():
            return False
    return True


def _congress(ctx):
    """Congress's record as stored (House requirements), when the database exists."""
    if not _database_exists(ctx):
        return None
    from monitor.congress_facts import congress_record

    with ctx.session() as session:
        return congress_record(session, ctx.now())


def _verified(ctx) -> dict:
    """Citations an official text verified (`monitor candidates`), when the configured database
    exists; `check` never creates one."""
    if not _database_exists(ctx):
        return {}
    from monitor.candidates import verifications

    with ctx.session() as session:
        return {
            key: f"{v.package_id} ({v.url or 'no URL'})"
            for key, v in verifications(session).items()
        }
