"""monitor demo: the whole pipeline offline, against the bundled documents."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "demo", help="Run the whole pipeline offline against bundled documents (start here).",
        description="Serves the project's bundled DHS and HHS documents (real openings and "
                    "reconstructed tables) on 127.0.0.1, polls them on three simulated days "
                    "ending 2022-09-30, evaluates every obligation and prints what the monitor "
                    "found. Uses a temporary SQLite database unless --database names one "
                    "(give it an empty database: the demo's findings would mix with real ones). "
                    "Never reaches beyond 127.0.0.1.")
    p.add_argument("--database", metavar="URL",
                   help="Database URL to use instead of a temporary SQLite file.")
    p.add_argument("--keep", metavar="DIR",
                   help="Put the demo's database and archive in DIR (kept afterwards).")
    p.add_argument("--json", action="store_true", help="Machine-readable summary of the last day.")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    from pathlib import Path

    from monitor.config import redact_url
    from monitor.demo import DENIED, WATCH_FROM, run_demo
    from monitor.demo_server import FIXTURES
    from monitor.output import print_json
    from monitor.pipeline import report_json
    from monitor.run_summary import print_report

    result = run_demo(database_url=args.database, keep=Path(args.keep) if args.keep else None)
    last = result.reports[-1]
    if args.json:
        data = report_json(last)
        data["demo"] = {"home": str(result.home), "database": redact_url(result.database_url),
                        "archive": str(result.archive_dir), "requests": result.requests}
        print_json(data)
        return 0
    for day in result.reports[:-1]:
        print(f"{day.now:%Y-%m-%d}: polled "
              + ", ".join(f"{p.source} ({'ok' if p.succeeded else 'failed'}, {p.health_after})"
                          for p in day.polls))
    print(f"{last.now:%Y-%m-%d}: polled again and evaluated every obligation:\n")
    print_report(last)
    db = redact_url(result.database_url)
    print(f"""
What you are looking at
  The documents were served from 127.0.0.1 ({result.requests} requests), standing in for
  dhs.gov and hhs.gov. Report tables are RECONSTRUCTED fixtures around real openings, never
  published figures. {DENIED[0]} answered with a CDN denial page on every poll,
  so DHS is broken and its months without a report are 'unknown', not 'missing'.
  Periods before {WATCH_FROM} are not judged in the demo (MONITOR_WATCH_FROM).

Database: {db}
Archive:  {result.archive_dir}  (every body by sha256; `monitor archive verify` checks it)

Go on exploring (same database and archive):
  export MONITOR_HOME={result.home}
  export MONITOR_DATABASE_URL={db}
  export MONITOR_WATCH_FROM={WATCH_FROM}
  monitor findings                      # every finding with its state
  monitor runs                          # every request, with its typed outcome
  monitor evaluate --as-of 2022-09-30 --dry-run
  monitor parse dhs_family_unit_actions {FIXTURES / "dhs_family_unit_actions" / "fuar_may2022_reconstructed.pdf"} --json""")
    return 0
