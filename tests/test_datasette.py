"""monitor datasette: the analyst views served by Datasette, immutable, with metadata built from
docs/data-dictionary.md, canned queries, and arbitrary SQL off; tested with Datasette's own test
client (``Datasette(...).client``). Datasette reads SQLite files only, so these tests run on
SQLite; on PostgreSQL the command refuses (tested without a server: it refuses before
connecting)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from monitor import datasette_site as site
from monitor.views import COLUMNS
from viewkit import DHS, HHS, entry, ingest_reports

DICTIONARY = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"
CANNED = (
    "separations_by_cause_per_month_and_agency",
    "dhs_vs_hhs_by_month",
    "late_reports",
    "reports_without_a_foreign_government_statement",
)


@pytest.fixture(scope="module")
def filled(tmp_path_factory, sqlite_template) -> Path:
    """The database below (and its archive), built once in this module."""
    from scrapers.fetch.archive import Archive

    folder = tmp_path_factory.mktemp("filled")
    fill(folder / "monitor.db", sqlite_template, Archive(folder / "archive"))
    return folder


@pytest.fixture
def sqlite_db(tmp_path, filled) -> Path:
    """A migrated SQLite database holding every reconstructed DHS and HHS report and a late
    and a missing report finding: each test's own copy (with the archive), as its own build."""
    path = tmp_path / "monitor.db"
    shutil.copy(filled / "monitor.db", path)
    shutil.copytree(filled / "archive", tmp_path / "archive")
    return path


def fill(path: Path, sqlite_template: Path, archive) -> None:
    from sqlalchemy.orm import Session

    from monitor.db import make_engine
    from monitor.findings_sync import sync_findings
    from rules.findings import Finding

    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        ingest_reports(session, archive, DHS)
        ingest_reports(session, archive, HHS)
        late = Finding(
            obligation="dhs_family_unit_actions_monthly",
            kind="late",
            family="timeliness",
            severity="high",
            summary="late",
            period_start=date(2022, 1, 1),
            period_end=date(2022, 1, 31),
            due=date(2022, 2, 28),
            deadline=datetime(2022, 3, 1, 4, 59, 59, tzinfo=timezone.utc),
            evidence={
                "obligation": {"agency": "DHS"},
                "period": {"label": "2022-01"},
                "publication": {"earliest_possible": date(2022, 9, 1), "basis": "issued"},
                "days_late": 185,
                "reports": [{"url": "https://www.dhs.gov/r.pdf"}],
            },
        )
        missing = Finding(
            obligation="hhs_separated_children_monthly",
            kind="missing",
            family="timeliness",
            severity="high",
            summary="missing",
            period_start=date(2022, 4, 1),
            period_end=date(2022, 4, 30),
            due=date(2022, 5, 3),
            evidence={"obligation": {"agency": "HHS"}, "period": {"label": "2022-04"}},
        )
        sync_findings(session, [late, missing], datetime(2022, 9, 30, tzinfo=timezone.utc))
        session.commit()
    engine.dispose()
    assert not path.with_name(path.name + "-wal").exists()  # all of it is in the file copied


def view(path: Path, sql: str) -> list[dict]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql)]


def get(ds, *paths: str):
    """GET each path through Datasette's test client: [(status, parsed JSON or text)]."""

    async def fetch():
        out = []
        for p in paths:
            r = await ds.client.get(p)
            body = (
                r.json()
                if p.split("?")[0].endswith(".json")
                and r.headers.get("content-type", "").startswith("application/json")
                else r.text
            )
            out.append((r.status_code, body))
        return out

    return asyncio.run(fetch())


def test_metadata_comes_from_the_data_dictionary():
    from test_data_dictionary import documented

    meta = site.metadata("monitor", ["count_observations", "findings"])
    db = meta["databases"]["monitor"]
    assert meta["allow_sql"] is False and db["allow_sql"] is False
    _intro, docs = site.parse_dictionary(DICTIONARY.read_text("utf-8"))
    for name, columns in COLUMNS.items():
        table = db["tables"][name]
        assert table["title"] and table["description"] == docs[name].description
        assert table["description"].split()[:2] != []
        assert list(table["columns"]) == [c for c, _ in columns] == documented()[name][0]
        for column, kind in columns:
            meaning = docs[name].columns[column][1]
            assert meaning and table["columns"][column].startswith(f"{meaning} ({kind}")
    assert db["tables"]["reporting_timeliness"]["units"] == {"days_late": "day"}
    assert "unit: count" in db["tables"]["separations_monthly"]["columns"]["value"]
    assert db["tables"]["count_observations"] == {"hidden": True}
    # every example query of the dictionary is a canned query, under its `--` title
    examples = [sql.strip() for _, (_, queries) in sorted(documented().items()) for sql in queries]
    assert sorted(q["sql"] for q in db["queries"].values()) == sorted(examples)
    assert set(CANNED) <= set(db["queries"])
    assert db["queries"]["late_reports"]["title"].startswith("Late reports")


def test_a_dictionary_edit_changes_the_metadata():
    text = DICTIONARY.read_text("utf-8").replace(
        "| `days_late` | integer | days from the due date",
        "| `days_late` | integer | whole days from the due date",
    )
    meta = site.metadata("m", dictionary=text)
    assert meta["databases"]["m"]["tables"]["reporting_timeliness"]["columns"][
        "days_late"
    ].startswith("whole days from the due date")
    without = text.split("## `foreign_basis_statements`")[0]
    with pytest.raises(Exception, match="foreign_basis_statements"):
        site.metadata("m", dictionary=without)


def test_datasette_serves_the_views_immutable_with_canned_queries(sqlite_db):
    ds = site.build(sqlite_db)
    assert ds.databases["monitor"].is_mutable is False
    assert ds.setting("default_allow_sql") is False

    (status, monthly), (_, canned), (_, versus), (_, late), (_, without) = get(
        ds,
        "/monitor/separations_monthly.json?_shape=array&_size=max&agency=DHS&dimension=cause"
        "&category=criminal_history&measure=separations&_sort=month",
        "/monitor/separations_by_cause_per_month_and_agency.json?_shape=array&_size=max",
        "/monitor/dhs_vs_hhs_by_month.json?_shape=array&_size=max",
        "/monitor/late_reports.json?_shape=array",
        "/monitor/reports_without_a_foreign_government_statement.json?_shape=array",
    )
    assert status == 200
    # the figures of the ingested fixtures: the newest report wins each month
    assert [(r["month"], r["value"]) for r in monthly] == [
        (r["month"], r["value"])
        for r in view(
            sqlite_db,
            "SELECT month, value FROM separations_monthly WHERE agency = 'DHS' AND "
            "dimension = 'cause' AND category = 'criminal_history' AND "
            "measure = 'separations' ORDER BY month",
        )
    ]
    assert ("2022-11", 4) in [(r["month"], r["value"]) for r in monthly]  # revised 3 -> 4
    by_cause = {(r["agency"], r["month"], r["cause"]): r["value"] for r in canned}
    assert by_cause[("DHS", "2022-11", "criminal_history")] == 4
    assert by_cause[("HHS", "2022-06", "criminal_history")] == 9
    totals = {
        (r["agency"], r["month"]): r["value"]
        for r in view(
            sqlite_db,
            "SELECT agency, month, value FROM separations_monthly WHERE measure = "
            "'separations' AND dimension IN ('month', 'total') AND dimension2 IS NULL",
        )
    }
    assert versus and {r["month"] for r in versus} == {m for _, m in totals}
    for r in versus:
        assert (r["dhs"], r["hhs"]) == (
            totals.get(("DHS", r["month"])),
            totals.get(("HHS", r["month"])),
        )
    assert any(r["dhs"] is not None for r in versus) and any(r["hhs"] is not None for r in versus)
    assert [(r["obligation_id"], r["days_late"]) for r in late] == [
        ("dhs_family_unit_actions_monthly", 185)
    ]
    # days_late has a unit: Datasette's filters convert
    (_, week), (_, months) = get(
        ds,
        "/monitor/reporting_timeliness.json?_shape=array&days_late__gt=1+week",
        "/monitor/reporting_timeliness.json?_shape=array&days_late__gt=27+weeks",
    )
    assert [r["days_late"] for r in week] == [185] and months == []
    assert entry(DHS, "fuar_may2022_reconstructed.pdf")["url"] in {r["report_url"] for r in without}
    assert {r["status"] for r in without} <= {"not_stated", "ambiguous"}


def test_arbitrary_sql_and_the_database_file_are_refused(sqlite_db):
    ds = site.build(sqlite_db)
    before = sqlite_db.read_bytes()
    answers = get(
        ds,
        "/monitor.json?sql=select+1",
        "/monitor.json?sql=delete+from+count_observations",
        "/monitor/separations_monthly.json?_where=1%3D1",
        "/monitor.db",
    )
    # a read is refused for want of permission; a write is not even a query to Datasette
    assert [status for status, _ in answers] == [403, 400, 403, 403]
    assert sqlite_db.read_bytes() == before


def test_the_database_page_shows_the_views_and_hides_the_internal_tables(sqlite_db):
    ds = site.build(sqlite_db)
    (_, db), (_, page), (_, meta) = get(
        ds, "/monitor.json", "/monitor/separations_monthly", "/-/metadata.json"
    )
    hidden = {t["name"] for t in db["tables"] if t["hidden"]}
    assert {"count_observations", "findings", "figure_versions"} <= hidden
    assert not {t["name"] for t in db["tables"]} - hidden  # every table is internal
    assert "current figure per agency, month" in page  # the view's description
    assert "the current figure (integer; unit: count" in page  # a column's description
    assert meta["databases"]["monitor"]["queries"]["dhs_vs_hhs_by_month"]["sql"].startswith(
        "-- DHS vs HHS by month"
    )


def test_the_command_serves_a_copy_and_removes_it(cli, sqlite_db, monkeypatch, tmp_path):
    served = {}

    def fake_serve(ds, host, port):
        db = ds.databases["monitor"]
        served.update(
            path=Path(db.path),
            mutable=db.is_mutable,
            host=host,
            port=port,
            rows=len(view(Path(db.path), "SELECT * FROM separations_monthly")),
        )

    monkeypatch.setattr(site, "serve", fake_serve)
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{sqlite_db}")
    rc, out, err = cli("datasette", "--port", "8123")
    assert rc == 0, err
    assert served["path"] != sqlite_db and served["path"].name == "monitor.db"
    assert not served["path"].exists()  # the copy is removed when the server stops
    assert served["mutable"] is False and (served["host"], served["port"]) == ("127.0.0.1", 8123)
    assert served["rows"] == len(view(sqlite_db, "SELECT * FROM separations_monthly")) > 0
    assert out.startswith(f"serving a copy of {sqlite_db} taken ")

    rc, out, err = cli("datasette", "--in-place")
    assert rc == 0 and served["path"] == sqlite_db and sqlite_db.exists()

    target = tmp_path / "metadata.json"
    rc, out, err = cli("datasette", "--metadata", str(target))
    assert rc == 0, err
    written = json.loads(target.read_text())
    assert (
        written["databases"]["monitor"]["queries"]
        == site.metadata("monitor")["databases"]["monitor"]["queries"]
    )
    assert written["databases"]["monitor"]["tables"]["findings"] == {"hidden": True}


def test_the_copy_is_removed_when_the_server_is_stopped(cli, sqlite_db, monkeypatch, tmp_path):
    """SIGTERM: uvicorn hands the signal back once it has shut down, and site._stop turns it into
    a SystemExit, so the command's clean-up runs (as it does for Ctrl-C)."""
    import signal

    seen = []

    def stopped(ds, host, port):
        seen.append(Path(ds.databases["monitor"].path))
        assert seen[0].exists()
        site._stop(signal.SIGTERM, None)

    monkeypatch.setattr(site, "serve", stopped)
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{sqlite_db}")
    rc, out, err = cli("datasette")  # the fixture turns SystemExit into its code
    assert rc == 0 and out.startswith("serving a copy")
    assert seen and not seen[0].exists() and sqlite_db.exists()


def test_postgresql_is_refused_with_one_line(cli, monkeypatch):
    monkeypatch.setenv(
        "MONITOR_DATABASE_URL", "postgresql+psycopg://analyst:s3cret@127.0.0.1:1/monitor"
    )
    rc, out, err = cli("datasette")
    assert rc == 1 and out == ""
    assert err.startswith("error: monitor datasette serves SQLite databases only")
    assert "monitor query" in err and err.count("\n") == 1 and "s3cret" not in err


def test_without_datasette_installed_the_command_says_how_to_get_it(cli, sqlite_db, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "datasette.app", None)  # import fails
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{sqlite_db}")
    rc, out, err = cli("datasette")
    assert rc == 1 and out == ""
    assert (
        err == "error: monitor datasette needs Datasette, which is not installed: "
        "pip install 'separation-reporting-monitor[datasette]'\n"
    )


def test_changes_still_in_the_write_ahead_log_are_copied_and_refused_in_place(
    cli, sqlite_db, monkeypatch, tmp_path
):
    """A writer that keeps the database open leaves its commits in the write-ahead log: the
    copy (SQLite's backup API) holds them; serving the file in place (immutable, the log
    unread) would not, so --in-place is refused while the log holds changes."""
    served = []
    monkeypatch.setattr(
        site, "serve", lambda ds, host, port: served.append(Path(ds.databases["monitor"].path))
    )
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{sqlite_db}")
    writer = sqlite3.connect(sqlite_db)
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        before = writer.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
        writer.execute(
            "INSERT INTO sources (id, agency, title, created_at) VALUES ('only_in_the_log', 'DHS', 'x', "
            "'2026-11-30 00:00:00')"
        )
        writer.commit()
        assert Path(f"{sqlite_db}-wal").stat().st_size > 0

        copied = tmp_path / "copy.db"
        site.snapshot(sqlite_db, copied)
        assert view(copied, "SELECT COUNT(*) AS n FROM sources") == [{"n": before + 1}]

        rc, out, err = cli("datasette", "--in-place")
        assert rc == 1 and not served
        assert "write-ahead log" in err and "drop --in-place" in err
    finally:
        writer.close()
    assert not Path(f"{sqlite_db}-wal").exists()  # the last connection folded the log in
    rc, out, err = cli("datasette", "--in-place")
    assert rc == 0 and served == [sqlite_db]
