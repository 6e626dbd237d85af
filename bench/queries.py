"""What the analysts' questions cost at one million observations, on SQLite and PostgreSQL.

Builds a synthetic history in a scratch database of each kind (a temporary SQLite file, and a
database of its own on the PostgreSQL server, created and dropped here), migrated to head, then
times the analysts' typical queries against the views and the export of the whole monthly view.
It asserts nothing; it prints figures.

The history (synthetic, made up here; no figure in it was ever published): ten years of months,
two agencies. HHS publishes one report per month; DHS publishes quarterly reports that are
cumulative for the fiscal year (the Q3 report prints October to June again), so DHS months are
printed by up to four reports, and about one figure in twenty changes between them (revisions).
Every fifth report is replaced by a second file (a new snapshot), and every snapshot is read by
two parser versions. Each report-month gives four measures by cause, age group, sector, length
band, month total and place (ports and stations), the number of places chosen so that the
observations come to ``--rows`` (default 1,000,000); DHS reports also give whole-period figures
by cause. The timeliness findings: 1,000 obligations with 60 findings each. The derived table
``figure_versions`` is filled by the statement the monitor itself uses (monitor/figures.py).

Queries (each run ``--repeat`` times after one warm-up; the median is reported):

* monthly totals by cause over 10 years (``separations_monthly``, both agencies);
* one agency and cause across all months (``separations_monthly``);
* revisions of one agency's cause figures (``separation_revisions``);
* timeliness of one obligation (``reporting_timeliness``);
* export of the whole ``separations_monthly`` view as CSV through ``monitor export``'s own code
  (server-side cursor on PostgreSQL), written to /dev/null: rows per second.

Goals: each query at most 100 ms on both databases; export at least 100,000 rows/s.

    python bench/queries.py [--rows 1000000] [--repeat 5] [--only sqlite|postgresql]
                            [--pg-url URL] [--keep] [--explain] [--json] [--quick]

``--explain`` adds each query's plan to the JSON details (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN
QUERY PLAN on SQLite); ``--keep`` leaves the scratch databases for a closer look. Wall-clock
figures depend on what else the machine runs: the load average is printed with them.

PostgreSQL: ``--pg-url`` (default ``MONITOR_TEST_PG_URL``, else
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) names a server and a role that may
create databases; the scratch database ``bench_queries_<pid>`` is dropped at the end. When the
server cannot be reached, the PostgreSQL figures are left out with a line saying why.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import zlib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import create_engine, text  # noqa: E402

from monitor.db import make_engine, upgrade  # noqa: E402
from monitor.figures import insert_statement  # noqa: E402
from monitor.models import Base  # noqa: E402
from _figures import at_least, at_most, context, print_json  # noqa: E402

UTC = timezone.utc
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DHS, HHS = "dhs_family_unit_actions", "hhs_separated_children"
MEASURES = ("separations", "reunifications", "family_unit_apprehensions", "separation_length_days")
DIMENSIONS = {
    "cause": (
        "criminal_history",
        "gang_affiliation",
        "prosecution",
        "health_safety",
        "parentage_fraud",
        "other",
        "unmapped",
    ),
    "age_group": ("0-5", "6-9", "10-12", "13-14", "15-17", "unknown"),
    "sector": tuple(f"Sector {i:02d}" for i in range(20)),
    "length": ("0-29", "30-59", "60-89", "90-179", "180-364", "365+"),
}
FIXED = sum(len(c) for c in DIMENSIONS.values()) + 1  # + the month's total


def months(first: date, count: int) -> list[date]:
    out, y, m = [], first.year, first.month
    for _ in range(count):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_end(day: date) -> date:
    nxt = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return nxt - timedelta(days=1)


class History:
    """The synthetic history: rows of each table, generated on demand."""

    def __init__(self, years: int, rows: int) -> None:
        self.months = months(date(2013, 10, 1), 12 * years)  # FY2014 ...
        self.reports = []  # (id, source, period_start, period_end, issued, months printed)
        rid = 0
        for m in self.months:  # HHS: one per month, issued the month after
            rid += 1
            self.reports.append((rid, HHS, m, month_end(m), months(m, 2)[1], [m]))
        for fy in range(years):  # DHS: Q1..Q4 of each fiscal year, cumulative
            fy_months = self.months[12 * fy : 12 * fy + 12]
            for q in range(1, 5):
                printed = fy_months[: 3 * q]
                rid += 1
                issued = months(printed[-1], 3)[2]
                self.reports.append((rid, DHS, printed[0], month_end(printed[-1]), issued, printed))
        self.snapshots = []  # (id, report, fetched_at)
        for r in self.reports:
            when = datetime.combine(r[4], datetime.min.time(), UTC) + timedelta(hours=12)
            self.snapshots.append((len(self.snapshots) + 1, r, when))
            if r[0] % 5 == 0:  # replaced by a second file two weeks later
                self.snapshots.append((len(self.snapshots) + 1, r, when + timedelta(days=14)))
        self.parsers = ("1.0", "1.1")
        prints = sum(len(s[1][5]) for s in self.snapshots) * len(self.parsers)
        per_print = max(rows / max(prints, 1) / len(MEASURES) - FIXED, 0)
        self.places = tuple(f"Station {i:03d}" for i in range(int(round(per_print))))

    def value(self, *key) -> int:
        return zlib.crc32(repr(key).encode()) % 501

    def sources(self):
        now = datetime(2013, 1, 1, tzinfo=UTC)
        return [
            {
                "id": DHS,
                "agency": "DHS",
                "title": "DHS Family Unit Actions Report",
                "created_at": now,
            },
            {
                "id": HHS,
                "agency": "HHS",
                "title": "HHS Report on Separated Children",
                "created_at": now,
            },
        ]

    def snapshot_rows(self):
        return [
            {
                "id": sid,
                "source_id": r[1],
                "url": f"https://example.org/{r[1]}/{r[0]}.pdf",
                "sha256": f"{sid:064x}",
                "size": 1000,
                "headers": {},
                "fetched_at": when,
                "storage": f"sha256/{sid:064x}",
            }
            for sid, r, when in self.snapshots
        ]

    def report_rows(self):
        last = {r[0]: sid for sid, r, _ in self.snapshots}
        return [
            {
                "id": rid,
                "source_id": src,
                "url": f"https://example.org/{src}/{rid}.pdf",
                "title": f"Synthetic report {rid}",
                "period_start": start,
                "period_end": end,
                "issued": issued,
                "issued_precision": "month",
                "authorities": [],
                "first_seen": datetime.combine(issued, datetime.min.time(), UTC),
                "last_seen": datetime.combine(issued, datetime.min.time(), UTC),
                "snapshot_id": last[rid],
            }
            for rid, src, start, end, issued, _ in self.reports
        ]

    def parse_rows(self):
        out = []
        for sid, r, when in self.snapshots:
            for i, version in enumerate(self.parsers):
                out.append(
                    {
                        "id": len(out) + 1,
                        "snapshot_id": sid,
                        "source_id": r[1],
                        "parser_version": version,
                        "parsed_at": when + timedelta(days=i),
                        "outcome": "ok",
                        "reports": 1,
                        "counts": 0,
                        "links": [],
                    }
                )
        return out

    def observations(self):
        """Tuples (id, report_id, snapshot_id, parse_id, parser_version, measure, dimension,
        category, label, period_start, period_end, value, observed_at)."""
        oid = pid = 0
        dims = dict(DIMENSIONS, place=self.places)
        for sid, r, when in self.snapshots:
            rid, src, start, end, _issued, printed = r
            for version in self.parsers:
                pid += 1
                for m in printed:
                    m_end = month_end(m)
                    for measure in MEASURES:
                        figures = [("month", m.strftime("%Y-%m"))]
                        figures += [(d, c) for d, cats in dims.items() for c in cats]
                        for dim, cat in figures:
                            oid += 1
                            v = self.value(src, measure, dim, cat, m)
                            if src == DHS and rid % 4 != 1 and (oid % 20 == 0):
                                v += 1  # a later cumulative report revises it
                            yield (
                                oid,
                                rid,
                                sid,
                                pid,
                                version,
                                measure,
                                dim,
                                cat,
                                cat,
                                m,
                                m_end,
                                float(v),
                                when,
                            )
                if src == DHS:  # whole-period figures by cause
                    for measure in MEASURES:
                        for cat in DIMENSIONS["cause"]:
                            oid += 1
                            yield (
                                oid,
                                rid,
                                sid,
                                pid,
                                version,
                                measure,
                                "cause",
                                cat,
                                cat,
                                start,
                                end,
                                float(self.value(src, measure, cat, start, end)),
                                when,
                            )

    def findings(self, obligations: int = 1000, per: int = 60):
        """``per`` timeliness or content findings for each of ``obligations`` obligations."""
        when = datetime(2023, 10, 1, tzinfo=UTC)
        fid = 0
        for o in range(obligations):
            agency = "DHS" if o % 2 else "HHS"
            for p in self.months[:per]:
                fid += 1
                kind = ("late", "missing", "unknown")[fid % 3]
                family = "timeliness" if fid % 5 else "content"
                due = months(p, 2)[1] + timedelta(days=2)
                evidence = {
                    "obligation": {"id": f"obligation_{o:04d}", "agency": agency},
                    "period": {"label": p.strftime("%Y-%m")},
                }
                if kind == "late":
                    evidence.update(
                        publication={
                            "earliest_possible": str(due + timedelta(30)),
                            "basis": "issued",
                        },
                        days_late=30,
                        reports=[{"url": "https://example.org/r.pdf"}],
                    )
                yield {
                    "id": fid,
                    "key": f"{fid:064x}",
                    "key_text": f"finding {fid}",
                    "obligation_id": f"obligation_{o:04d}",
                    "family": family,
                    "kind": kind,
                    "state": "open",
                    "severity": "high",
                    "subject": p.strftime("%Y-%m"),
                    "summary": "synthetic",
                    "evidence": evidence,
                    "period_start": p,
                    "period_end": month_end(p),
                    "due": due,
                    "deadline_at": datetime.combine(due, datetime.min.time(), UTC),
                    "first_detected_at": when,
                    "changed_at": when,
                }


OBS_COLUMNS = (
    "id",
    "report_id",
    "snapshot_id",
    "parse_id",
    "parser_version",
    "measure",
    "dimension",
    "category",
    "label",
    "period_start",
    "period_end",
    "value",
    "observed_at",
)


def load(engine, history: History) -> dict:
    """Fill the scratch database; return what was loaded and how long it took."""
    tables = Base.metadata.tables
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(tables["sources"].insert(), history.sources())
        conn.execute(tables["snapshots"].insert(), history.snapshot_rows())
        conn.execute(tables["reports"].insert(), history.report_rows())
        conn.execute(tables["parses"].insert(), history.parse_rows())
    count = 0
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            cur = raw.cursor()
            with cur.copy(f"COPY count_observations ({', '.join(OBS_COLUMNS)}) FROM STDIN") as cp:
                for row in history.observations():
                    cp.write_row(row[:-1] + (row[-1].replace(tzinfo=None),))
                    count += 1
        else:
            cur = raw.cursor()
            marks = ", ".join("?" * len(OBS_COLUMNS))
            batch = []
            for row in history.observations():
                batch.append(
                    row[:9]
                    + (
                        row[9].isoformat(),
                        row[10].isoformat(),
                        row[11],
                        row[12].replace(tzinfo=None).isoformat(" "),
                    )
                )
                if len(batch) >= 50_000:
                    cur.executemany(
                        f"INSERT INTO count_observations ({', '.join(OBS_COLUMNS)}) "
                        f"VALUES ({marks})",
                        batch,
                    )
                    count += len(batch)
                    batch = []
            if batch:
                cur.executemany(
                    f"INSERT INTO count_observations ({', '.join(OBS_COLUMNS)}) VALUES ({marks})",
                    batch,
                )
                count += len(batch)
        raw.commit()
    finally:
        raw.close()
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(insert_statement(engine.dialect.name)))
    versions_s = time.perf_counter() - t0
    with engine.begin() as conn:
        findings = list(history.findings(per=6 if len(history.months) <= 12 else 60))
        for i in range(0, len(findings), 10_000):
            conn.execute(tables["findings"].insert(), findings[i : i + 10_000])
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        figure_versions = conn.execute(text("SELECT count(*) FROM figure_versions")).scalar()
        monthly = conn.execute(text("SELECT count(*) FROM separations_monthly")).scalar()
    return {
        "observations": count,
        "figure_versions": figure_versions,
        "monthly_rows": monthly,
        "findings": len(findings),
        "load_s": round(loaded, 1),
        "figure_versions_fill_s": round(versions_s, 1),
    }


def queries(history: History) -> list[tuple[str, str, dict]]:
    first, last = history.months[0], history.months[-1]
    return [
        (
            "monthly totals by cause over 10 years",
            "SELECT agency, month, category, value FROM separations_monthly "
            "WHERE measure = 'separations' AND dimension = 'cause' AND dimension2 IS NULL "
            "AND month BETWEEN :first AND :last ORDER BY agency, month, category",
            {"first": first.strftime("%Y-%m"), "last": last.strftime("%Y-%m")},
        ),
        (
            "one agency and cause across all months",
            "SELECT month, value, report_url FROM separations_monthly WHERE agency = 'DHS' "
            "AND measure = 'separations' AND dimension = 'cause' AND category = 'criminal_history' "
            "ORDER BY month",
            {},
        ),
        (
            "revisions of one agency's cause figures",
            "SELECT month, category, old_value, new_value, old_report_url, new_report_url "
            "FROM separation_revisions WHERE agency = 'DHS' AND measure = 'separations' "
            "AND dimension = 'cause' ORDER BY first_seen_at DESC",
            {},
        ),
        (
            "timeliness of one obligation",
            "SELECT period_label, due, first_published, days_late, finding_kind, finding_state "
            "FROM reporting_timeliness WHERE obligation_id = :o ORDER BY period_start",
            {"o": "obligation_0421"},
        ),
    ]


def time_query(engine, sql: str, params: dict, repeat: int) -> tuple[float, int]:
    times, n = [], 0
    with engine.connect() as conn:
        for i in range(repeat + 1):
            t0 = time.perf_counter()
            n = len(conn.execute(text(sql), params).all())
            if i:  # the first run warms the caches
                times.append(time.perf_counter() - t0)
        conn.rollback()
    return statistics.median(times), n


def time_export(engine) -> tuple[float, float, int]:
    """(wall seconds, this process's CPU seconds, rows) of exporting separations_monthly."""
    from monitor.export import Selection, export

    with open(os.devnull, "w", encoding="utf-8") as sink:
        export(engine, Selection("separations_monthly"), "csv", None, sink)  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        rows = export(engine, Selection("separations_monthly"), "csv", None, sink)
        return time.perf_counter() - t0, time.process_time() - c0, rows


def server_seconds(engine) -> float | None:
    """PostgreSQL's own time to run the export's statement (EXPLAIN ANALYZE, no client)."""
    import re

    from monitor.export import Selection, build_select

    if engine.dialect.name != "postgresql":
        return None
    _names, sql, params = build_select(Selection("separations_monthly"), "postgresql")
    with engine.connect() as conn:
        lines = conn.execute(text("EXPLAIN (ANALYZE, TIMING OFF) " + sql), params).scalars().all()
        conn.rollback()
    found = [re.search(r"Execution Time: ([\d.]+) ms", line) for line in lines]
    return next((float(m.group(1)) / 1000 for m in found if m), None)


def plan(engine, sql: str, params: dict) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params).all()
        else:
            rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql), params).all()
        conn.rollback()
    return "\n".join(str(r[-1]) for r in rows)


class Scratch:
    """A scratch database of one kind: a temporary SQLite file, or a PostgreSQL database."""

    def __init__(self, kind: str, pg_url: str, keep: bool) -> None:
        self.kind, self.pg_url, self.keep = kind, pg_url, keep
        self.name = f"bench_queries_{os.getpid()}"
        self.tmp = None

    def __enter__(self):
        if self.kind == "sqlite":
            self.tmp = tempfile.mkdtemp(prefix="bench-queries-")
            self.url = f"sqlite:///{self.tmp}/monitor.db"
        else:
            self.admin = create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}"')
                conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
            self.url = self.admin.url.set(database=self.name).render_as_string(hide_password=False)
        self.engine = make_engine(self.url)
        upgrade(self.engine)
        return self

    def __exit__(self, *exc):
        self.engine.dispose()
        if self.keep:
            print(f"kept: {self.url}", file=sys.stderr)
            return
        if self.kind == "sqlite":
            import shutil

            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}"')
            self.admin.dispose()


def measure(kind: str, args, history: History, say) -> tuple[list, dict]:
    figures, details = [], {}
    with Scratch(kind, args.pg_url, args.keep) as db:
        say(f"{kind}: loading the synthetic history...")
        details["loaded"] = load(db.engine, history)
        say(f"{kind}: {json.dumps(details['loaded'])}")
        figures.append(context(f"{kind}: observations", details["loaded"]["observations"], "rows"))
        for name, sql, params in queries(history):
            seconds, n = time_query(db.engine, sql, params, args.repeat)
            figures.append(at_most(f"{kind}: {name}", seconds * 1000, 100, "ms"))
            details[name] = {"ms": round(seconds * 1000, 2), "rows": n}
            if args.explain:
                details[name]["plan"] = plan(db.engine, sql, params)
            say(f"{kind}: {name}: {seconds * 1000:.1f} ms ({n} rows)")
        seconds, cpu, rows = time_export(db.engine)
        rate = rows / seconds if seconds else 0.0
        figures.append(at_least(f"{kind}: export of separations_monthly", rate, 100_000, "rows/s"))
        figures.append(
            context(
                f"{kind}: export, rows per CPU second of the exporting process",
                round(rows / cpu) if cpu else 0,
                "rows/s",
            )
        )
        server = server_seconds(db.engine)
        if server:
            figures.append(
                context(
                    f"{kind}: export, the server's own time for the view (EXPLAIN ANALYZE)",
                    round(rows / server),
                    "rows/s",
                )
            )
        details["export"] = {
            "rows": rows,
            "s": round(seconds, 2),
            "cpu_s": round(cpu, 2),
            "server_s": server and round(server, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
        }
        say(
            f"{kind}: export of separations_monthly: {rows} rows in {seconds:.2f} s "
            f"= {rate:,.0f} rows/s (exporting process: {cpu:.2f} s of CPU"
            + (f"; PostgreSQL's own time {server:.2f} s" if server else "")
            + ")"
        )
    return figures, details


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=1_000_000,
        help="Observations to generate (about; default 1,000,000).",
    )
    parser.add_argument("--years", type=int, default=10, help="Years of months (default 10).")
    parser.add_argument("--repeat", type=int, default=5, help="Runs per query (median).")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default=os.environ.get("MONITOR_TEST_PG_URL", PG_DEFAULT))
    parser.add_argument("--keep", action="store_true", help="Keep the scratch databases.")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="Add each query's plan (EXPLAIN ANALYZE on PostgreSQL) to --json.",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1 year, ~20,000 rows: a smoke run.")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.years, args.repeat = 20_000, 1, 1

    def say(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    history = History(args.years, args.rows)
    figures, details = [], {"places_per_month": len(history.places), "cpus": os.cpu_count()}
    figures.append(context("load average when started (1 min)", round(os.getloadavg()[0], 2)))
    for kind in ("sqlite", "postgresql"):
        if args.only and kind != args.only:
            continue
        try:
            got, about = measure(kind, args, history, say)
        except Exception as exc:  # noqa: BLE001 - an unreachable server is a line, not a crash
            if kind != "postgresql" or "connect" not in str(exc).lower():
                raise
            say(f"postgresql: not measured: {str(exc).splitlines()[0]}")
            details["postgresql"] = {"not_measured": str(exc).splitlines()[0]}
            continue
        figures += got
        details[kind] = about
    if args.json:
        print_json("queries", figures, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
