"""How long the rules engine takes: a full evaluation, and re-evaluation after one new report;
then evaluations of databases holding 1,000, 10,000 and 40,000 stored reports.

Synthetic world: 5,000 monthly obligations (10 per source, 500 sources, a handful of cadence
variants) over 10 years of monthly periods (2015-01 to 2024-12). Each source publishes one report
per month with a cause table; about 5 % of months are missing, 10 % late, 3 % unreadable. Each
obligation runs the timeliness, content, revised and removed checks.

Then one new report arrives on one source: only the obligations watching that source are
re-evaluated (``affected_obligations`` -> ``evaluate(..., only=...)``), which by construction
gives the same findings for them as a full run.

Database-backed run (bench/_evaldb.py describes the world): for each size a fresh database is
filled with bulk inserts, then a separate process gathers the facts, runs the rules, records the
findings (the first evaluation) and evaluates again as the daily run does (nothing new: the
findings stand), printing each step's time and the process's peak memory (VmHWM). SQLite in
a temporary directory, or PostgreSQL with ``--postgres URL`` (an empty database the benchmark may
fill and clear: it drops every table before each size).

Goals: synthetic full evaluation at most 3 s, incremental at most 50 ms; 40,000 stored reports
evaluated (the daily evaluation: gather, rules, findings synced; every obligation evaluated
again, as when every source was read that day) in at most 5 s, the process peaking at 300 MB or
less through the first evaluation and recording its findings. CPU times are printed beside the
wall times (on a shared machine the wall time is mostly waiting for a core). Prints figures,
asserts nothing about time.

    python bench/evaluate.py [--obligations 5000] [--per-source 10] [--years 10] [--repeat 3]
                             [--reports 1000,10000,40000 | --no-db] [--postgres URL]
                             [--json] [--quick]

``--json`` prints the figures for bench/report.py; ``--quick`` runs on a tiny world (a smoke run
whose figures mean nothing).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _figures import at_most, context, holds, print_json  # noqa: E402
from rules.engine import affected_obligations, evaluate  # noqa: E402
from rules.facts import (  # noqa: E402
    CountFact,
    Facts,
    ListingRead,
    ReadFact,
    ReportFact,
    SourceFact,
)
from rules.obligations import parse_obligation  # noqa: E402
from rules.periods import month_from_index, month_index  # noqa: E402

UTC = timezone.utc
START = date(2015, 1, 1)


def _obligation(i: int, source: str, first: str) -> dict:
    variant = i % 5
    due = (
        {"rule": "after_period_end", "months": 1, "day": "last"}
        if variant < 3
        else {"rule": "after_period_end", "days": 30 + variant}
    )
    return {
        "id": f"ob_{i:05d}",
        "title": f"Synthetic report {i}",
        "agency": "DHS",
        "recipients": ["Committees on Appropriations"],
        "citations": [
            {
                "id": "act",
                "law": "Synthetic Act",
                "enacted": date(2014, 12, 1),
                "enactment_verified": True,
                "text_verified": True,
                "verification_note": "synthetic",
            }
        ],
        "sources": [source],
        "cadence": {
            "kind": "monthly",
            "segments": [{"citation": "act", "first_period": first, "due": due}],
        },
        "grace_days": variant % 2 * 3,
        "content": {
            "counts": [
                {
                    "measure": "separations",
                    "dimension": "cause",
                    "citation": "act",
                    "why": "synthetic",
                }
            ]
        },
        "severity": "high",
        "effective_from": START,
        "checks": ["timeliness", "content", "revised", "removed"],
    }


def _report(rng: random.Random, source: str, index: int) -> ReportFact | None:
    period = month_from_index(index)
    roll = rng.random()
    if roll < 0.05:
        return None  # missing
    late = roll < 0.15
    issued = period.end + timedelta(days=rng.randint(70, 200) if late else rng.randint(5, 25))
    seen = datetime.combine(issued, datetime.min.time(), UTC) + timedelta(hours=14)
    outcome = "layout_changed" if rng.random() < 0.03 else "ok"
    counts = (
        ()
        if outcome != "ok"
        else (
            CountFact(
                "separations",
                "cause",
                "criminal_history",
                "criminal history",
                float(rng.randint(0, 40)),
            ),
            CountFact(
                "separations",
                "cause",
                "gang_affiliation",
                "gang affiliation",
                float(rng.randint(0, 10)),
            ),
        )
    )
    read = ReadFact(f"{source}-{index}".ljust(64, "0"), seen, "1", outcome, counts)
    return ReportFact(
        source,
        f"https://example.gov/{source}/{period.label}.pdf",
        seen,
        period_start=period.start,
        period_end=period.end,
        issued=issued,
        issued_precision="day",
        reads=(read,),
    )


def build(n_obligations: int, per_source: int, years: int, seed: int = 7):
    rng = random.Random(seed)
    n_sources = max(1, n_obligations // per_source)
    sources = [f"src_{s:04d}" for s in range(n_sources)]
    first = START.strftime("%Y-%m")
    obligations_data = [_obligation(i, sources[i % n_sources], first) for i in range(n_obligations)]
    t0 = time.perf_counter()
    obligations = [parse_obligation(d, f"{d['id']}.yaml") for d in obligations_data]
    load_s = time.perf_counter() - t0
    since = datetime(2014, 12, 1, tzinfo=UTC)
    # each source's listing read once a month, on the 10th, after the month's deadlines
    months = [month_from_index(month_index(START) + i) for i in range(12 * years + 1)]
    source_facts = [
        SourceFact(
            s,
            True,
            "healthy",
            since,
            since,
            datetime(2025, 1, 1, tzinfo=UTC),
            tuple(
                ListingRead(
                    f"https://{s}.example/list",
                    datetime(m.start.year, m.start.month, 10, 14, tzinfo=UTC),
                    "0" * 64,
                )
                for m in months
            ),
        )
        for s in sources
    ]
    reports = []
    first_index = month_index(START)
    for s in sources:
        for index in range(first_index, first_index + 12 * years):
            report = _report(rng, s, index)
            if report is not None:
                reports.append(report)
    return obligations, Facts.build(source_facts, reports), load_s, len(reports)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=5000)
    parser.add_argument("--per-source", type=int, default=10)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="Runs per figure; the best is shown.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="A tiny world: checks the benchmark runs, measures nothing.",
    )
    parser.add_argument(
        "--reports",
        default="1000,10000,40000",
        help="Sizes of the database-backed run, comma-separated.",
    )
    parser.add_argument("--no-db", action="store_true", help="Skip the database-backed run.")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="Run the database-backed run on this (empty, scratch) PostgreSQL "
        "database instead of SQLite.",
    )
    parser.add_argument(
        "--measure-db", nargs=2, metavar=("URL", "REPORTS"), help=argparse.SUPPRESS
    )  # the child process of the database run
    args = parser.parse_args(argv)
    if args.measure_db:
        print(json.dumps(measure_db(args.measure_db[0], int(args.measure_db[1]))))
        return 0
    if args.quick:
        args.obligations, args.per_source, args.years, args.repeat = 20, 10, 1, 1
        args.reports = "150"
    say = (lambda *_a: None) if args.json else print

    obligations, facts, load_s, n_reports = build(args.obligations, args.per_source, args.years)
    as_of = datetime(2024, 12, 31, 23, tzinfo=UTC)
    periods = args.obligations * 12 * args.years
    say(
        f"{len(obligations)} obligations, {len(facts.sources)} sources, {n_reports} reports, "
        f"{periods} obligation-periods; rule validation took {load_s:.2f} s"
    )

    full_times, full_cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        findings = evaluate(obligations, facts, as_of)
        full_times.append(time.perf_counter() - t0)
        full_cpu.append(time.process_time() - c0)
    kinds: dict[str, int] = {}
    for f in findings:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    say(
        f"full evaluation: {min(full_times):.3f} s (best of {args.repeat}; goal <= 3 s; "
        f"{min(full_cpu):.3f} s of CPU); "
        f"{len(findings)} findings {dict(sorted(kinds.items()))}"
    )

    # One new report arrives: the December 2024 report of one source that lacked it, or any.
    source = "src_0000"
    target = month_from_index(month_index(date(2024, 11, 1)))
    seen = datetime(2024, 12, 20, 15, tzinfo=UTC)
    new = ReportFact(
        source,
        f"https://example.gov/{source}/{target.label}-new.pdf",
        seen,
        period_start=target.start,
        period_end=target.end,
        issued=seen.date(),
        issued_precision="day",
        reads=(
            ReadFact(
                "f" * 64,
                seen,
                "1",
                "ok",
                (CountFact("separations", "cause", "other", "other", 1.0),),
            ),
        ),
    )
    inc_times, inc_cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        updated = facts.with_report(new)
        affected = affected_obligations(obligations, [source])
        partial = evaluate(obligations, updated, as_of, only=affected)
        inc_times.append(time.perf_counter() - t0)
        inc_cpu.append(time.process_time() - c0)
    say(
        f"incremental re-evaluation after one new report: {min(inc_times) * 1000:.1f} ms "
        f"(best of {args.repeat}; goal <= 50 ms; {min(inc_cpu) * 1000:.1f} ms of CPU); "
        f"{len(affected)} obligations re-evaluated, "
        f"{len(partial)} findings for them"
    )
    full_after = [f for f in evaluate(obligations, updated, as_of) if f.obligation in affected]
    same = [f.to_json() for f in full_after] == [f.to_json() for f in partial]
    say(f"incremental findings equal a full re-evaluation's for those obligations: {same}")
    figures = [
        at_most(f"full evaluation, {periods:,} obligation-periods", min(full_times), 3, "s"),
        context("full evaluation, CPU time", min(full_cpu), "s"),
        at_most("re-evaluation after one new report", min(inc_times) * 1000, 50, "ms"),
        context("re-evaluation after one new report, CPU time", min(inc_cpu) * 1000, "ms"),
        holds("incremental findings equal a full re-evaluation's", same),
        context("findings", len(findings)),
    ]
    details = {
        "obligations": len(obligations),
        "reports": n_reports,
        "kinds": kinds,
        "repeat": args.repeat,
        "database": {},
    }
    if not args.no_db:
        sizes = [int(n) for n in args.reports.split(",") if n.strip()]
        say(
            f"\ndatabase-backed ({'PostgreSQL' if args.postgres else 'SQLite'}), each size in "
            "a process of its own:"
        )
        for n in sizes:
            got = database_run(n, args.postgres)
            details["database"][n] = got
            say(
                f"{n:>7,} reports ({got['obligations']} obligations, {got['findings']} "
                f"findings), built in {got['build_s']:.1f} s:\n"
                f"    gather {got['gather_s']:.2f} s + rules {got['rules_s']:.2f} s = "
                f"{got['evaluate_s']:.2f} s ({got['evaluate_cpu_s']:.2f} s of CPU), peak "
                f"{got['evaluated_mb']:.0f} MB (start-up "
                f"{got['start_mb']:.0f} MB)\n"
                f"    first evaluation, findings recorded: {got['first_s']:.2f} s; again with "
                f"nothing new, every obligation: {got['daily_full_s']:.2f} s "
                f"({got['daily_full_cpu_s']:.2f} s of CPU); incremental "
                f"after one source was read: {got['incremental_s']:.2f} s "
                f"({got['incremental_obligations']} obligation(s)); peak {got['peak_mb']:.0f} MB"
            )
            label = f"{n:,} stored reports"
            limit = at_most if n >= 40000 else _context
            figures += [
                limit(
                    f"daily evaluation (gather, rules, findings synced), {label}",
                    got["daily_full_s"],
                    5,
                    "s",
                ),
                context(f"daily evaluation CPU time, {label}", got["daily_full_cpu_s"], "s"),
                limit(
                    f"peak memory with the findings recorded, {label}", got["peak_mb"], 300, "MB"
                ),
                context(f"evaluation (gather + rules), {label}", got["evaluate_s"], "s"),
                context(f"evaluation CPU time, {label}", got["evaluate_cpu_s"], "s"),
                context(f"peak memory of the evaluation, {label}", got["evaluated_mb"], "MB"),
                context(f"first evaluation, findings recorded, {label}", got["first_s"], "s"),
                context(
                    f"incremental evaluation after one source was read, {label}",
                    got["incremental_s"],
                    "s",
                ),
            ]
    if args.json:
        print_json("evaluate", figures, details)
    return 0


def _context(figure: str, value: float, _limit: float, unit: str = ""):
    return context(figure, value, unit)


def _rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), in MB. Linux reads
    /proc; elsewhere ru_maxrss (which after a fork may still count the parent's pages)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def database_run(n_reports: int, postgres: str | None) -> dict:
    """Fill a fresh database with ``n_reports`` reports, then measure in a child process."""
    from _evaldb import build
    from monitor.db import downgrade, make_engine, upgrade

    with tempfile.TemporaryDirectory(prefix="bench-evaluate-") as tmp:
        url = postgres or f"sqlite:///{tmp}/monitor.db"
        engine = make_engine(url)
        if postgres:
            downgrade(engine, "base")
        upgrade(engine)
        t0 = time.perf_counter()
        written = build(engine, n_reports)
        build_s = time.perf_counter() - t0
        engine.dispose()
        proc = subprocess.run(
            [sys.executable, __file__, "--measure-db", url, str(n_reports)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"the measuring process failed:\n{proc.stderr}")
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        if postgres:
            downgrade(make_engine(url), "base")
    return {"build_s": build_s, "rows": written, **got}


def _never_parsed(doc):
    raise AssertionError("the evaluation benchmark stores its rows directly; nothing is parsed")


def measure_db(url: str, n_reports: int) -> dict:
    """In a process of its own: gather, evaluate, sync, evaluate again; times and peak RSS."""
    from types import SimpleNamespace

    from _evaldb import AS_OF, listing_url, obligation, source_ids
    from _evaldb import registry as evaldb_registry
    from sqlalchemy.orm import Session

    from monitor.db import make_engine
    from monitor.fact_gathering import gather_facts, registered_sources
    from monitor.findings_sync import evaluate_and_sync
    from monitor.incremental import to_evaluate
    from monitor.models import FetchRun

    sources = source_ids(n_reports)
    registry = evaldb_registry(sources, _never_parsed)
    registered = registered_sources(registry)
    obligations = [parse_obligation(obligation(s), f"ob_{s}.yaml") for s in sources]
    settings = SimpleNamespace(anomaly_tolerance=0.10)
    engine = make_engine(url)
    start_mb = _rss_mb()
    with Session(engine) as session:
        t0, c0 = time.perf_counter(), time.process_time()
        facts = gather_facts(
            session, AS_OF, sources, [ob.id for ob in obligations], registry=registry
        )
        t1 = time.perf_counter()
        findings = evaluate(obligations, facts, AS_OF)
        t2, c2 = time.perf_counter(), time.process_time()
        del facts
    evaluated_mb = _rss_mb("VmHWM")
    # what is printed of them, then let go: the runs measured next hold their own findings
    kinds: dict[str, int] = {}
    for f in findings:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    n_findings = len(findings)
    del findings

    def timed(as_of, now, **kw):
        with Session(engine) as session:
            started, cpu = time.perf_counter(), time.process_time()
            result = evaluate_and_sync(
                session, settings, as_of, now, obligations=obligations, registry=registry, **kw
            )
            session.commit()
            timed.cpu = time.process_time() - cpu
            return time.perf_counter() - started, result

    # records findings and what they rest on (its result let go, as a run's would be)
    first_s = timed(AS_OF, AS_OF, incremental=True)[0]
    daily_s, again = timed(AS_OF + timedelta(hours=1), AS_OF + timedelta(hours=1))
    daily_cpu_s = timed.cpu
    changed_on_daily = len(again.opened) + len(again.changed) + len(again.resolved)
    del again
    # one source read again (its listing unchanged), then the incremental evaluation
    with Session(engine) as session:
        session.add(
            FetchRun(
                source_id=sources[0],
                url=listing_url(sources[0]),
                started_at=AS_OF + timedelta(hours=2),
                finished_at=AS_OF + timedelta(hours=2),
                outcome="not_modified",
                listing=True,
            )
        )
        session.commit()
    later = AS_OF + timedelta(hours=3)
    with Session(engine) as session:
        chosen = to_evaluate(session, obligations, later, later, settings, registered)
    incremental_s = timed(later, later, incremental=True)[0]
    return {
        "gather_s": t1 - t0,
        "rules_s": t2 - t1,
        "evaluate_s": t2 - t0,
        "evaluate_cpu_s": c2 - c0,
        "evaluated_mb": evaluated_mb,
        "first_s": first_s,
        "daily_full_s": daily_s,
        "daily_full_cpu_s": daily_cpu_s,
        "incremental_s": incremental_s,
        "incremental_obligations": len(chosen),
        "obligations": len(obligations),
        "findings": n_findings,
        "kinds": kinds,
        "changed_on_daily": changed_on_daily,
        "start_mb": start_mb,
        "peak_mb": _rss_mb("VmHWM"),
    }


if __name__ == "__main__":
    sys.exit(main())
