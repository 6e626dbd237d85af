"""monitor export on both databases: a view streamed to CSV, JSON or Parquet, filtered by column
values and by period; an empty view gives the header only; unknown names are one error line."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import text

from monitor.views import COLUMNS
from viewkit import DHS, Q1, entry, ingest

FEB = datetime(2023, 2, 20, 12, tzinfo=timezone.utc)
# the catalogue's columns (tests/test_data_dictionary.py holds them to the real views)
MONTHLY = [name for name, _type in COLUMNS["separations_monthly"]]
CAUSE = [
    "--where",
    "agency=DHS",
    "--where",
    "dimension=cause",
    "--where",
    "category=criminal_history",
    "--where",
    "measure=separations",
]


@pytest.fixture
def q1(session, archive):
    ingest(session, archive, DHS, Q1, FEB)
    session.commit()


def test_an_empty_view_exports_its_header_only(cli_db, tmp_path):
    rc, out, err = cli_db("export", "separations_monthly")
    assert (rc, err) == (0, "")
    assert out == ",".join(MONTHLY) + "\n"
    rc, out, err = cli_db("export", "separation_revisions", "--format", "json")
    assert (rc, out) == (0, "[]\n")
    target = tmp_path / "t.csv"
    rc, out, err = cli_db("export", "reporting_timeliness", "--output", str(target))
    assert rc == 0 and out == f"{target}: 0 row(s) of reporting_timeliness as csv\n"
    assert target.read_text().startswith("obligation_id,agency,period_start,")
    assert len(target.read_text().splitlines()) == 1


def test_every_empty_view_exports_its_header_only_in_each_format(cli_db, tmp_path):
    from monitor.views import COLUMNS

    for view, columns in COLUMNS.items():
        rc, out, err = cli_db("export", view)
        assert (rc, err, out) == (0, "", ",".join(c for c, _ in columns) + "\n"), view
        rc, out, err = cli_db("export", view, "--format", "json")
        assert (rc, err, out) == (0, "", "[]\n"), view


def test_csv_export_filters_by_column_and_period(cli_db, q1):
    rc, out, err = cli_db("export", "separations_monthly", *CAUSE, "--since", "2022-11-01")
    assert rc == 0, err
    got = list(csv.DictReader(io.StringIO(out)))
    assert [(r["month"], r["value"]) for r in got] == [("2022-11", "3"), ("2022-12", "5")]
    assert got[0]["report_url"] == entry(DHS, Q1)["url"]
    assert got[0]["period_start"] == "2022-11-01" and got[0]["dimension2"] == ""
    assert got[0]["fetched_at"] == "2023-02-20T12:00:00Z"
    rc, out, _ = cli_db("export", "separations_monthly", *CAUSE, "--until", "2022-10-31")
    assert [r["month"] for r in csv.DictReader(io.StringIO(out))] == ["2022-10"]
    # values of one column are alternatives; COLUMN= matches NULL
    rc, out, _ = cli_db(
        "export",
        "separation_counts",
        "--where",
        "dimension2=",
        "--where",
        "category=criminal_history",
        "--where",
        "category=other",
        "--where",
        "dimension=cause",
    )
    cats = {r["category"] for r in csv.DictReader(io.StringIO(out))}
    assert rc == 0 and cats <= {"criminal_history", "other"} and "criminal_history" in cats


def test_json_export_to_a_file_has_integers_and_iso_dates(cli_db, q1, tmp_path, engine):
    target = tmp_path / "monthly.json"
    rc, out, err = cli_db(
        "export", "separations_monthly", *CAUSE, "--format", "json", "--output", str(target)
    )
    assert rc == 0, err
    assert out == f"{target}: 3 row(s) of separations_monthly as json\n"
    got = json.loads(target.read_text())
    assert [(r["month"], r["value"]) for r in got] == [
        ("2022-10", 4),
        ("2022-11", 3),
        ("2022-12", 5),
    ]
    assert list(got[0]) == MONTHLY and got[0]["period_end"] == "2022-10-31"
    assert not (tmp_path / "monthly.json.partial").exists()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM separations_monthly")).scalar() > len(got)


def test_parquet_export_keeps_column_types(cli_db, q1, tmp_path):
    import pyarrow.parquet as pq  # the test extra installs the parquet extra's pyarrow

    target = tmp_path / "monthly.parquet"
    rc, out, err = cli_db(
        "export", "separations_monthly", *CAUSE, "--format", "parquet", "--output", str(target)
    )
    assert rc == 0, err
    table = pq.read_table(target)
    assert table.column_names == MONTHLY
    assert table.column("value").to_pylist() == [4, 3, 5]
    assert str(table.schema.field("value").type) == "int64"
    assert str(table.schema.field("period_start").type) == "date32[day]"
    empty = tmp_path / "empty.parquet"
    rc, _, err = cli_db(
        "export", "separation_revisions", "--format", "parquet", "--output", str(empty)
    )
    assert rc == 0, err
    assert pq.read_table(empty).num_rows == 0
    assert "old_value" in pq.read_table(empty).column_names


def test_parquet_without_pyarrow_says_how_to_get_it(cli_db, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    rc, out, err = cli_db(
        "export",
        "separations_monthly",
        "--format",
        "parquet",
        "--output",
        str(tmp_path / "x.parquet"),
    )
    assert rc == 1 and out == ""
    assert err == (
        "error: --format parquet needs pyarrow, which is not installed: "
        "pip install 'separation-reporting-monitor[parquet]'\n"
    )
    assert not list(tmp_path.glob("x.parquet*"))


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["export", "separations"],
            "error: no view named 'separations'; the views are: "
            "separation_counts, separations_monthly, ",
        ),
        (
            ["export", "separations_monthly", "--where", "cause=other"],
            "error: view separations_monthly has no column 'cause'; its columns are: month, ",
        ),
        (
            ["export", "separations_monthly", "--where", "value=many"],
            "error: --where value='many': value holds whole numbers",
        ),
        (
            ["export", "separations_monthly", "--where", "period_start=June"],
            "error: --where period_start='June': period_start holds dates (YYYY-MM-DD)",
        ),
        (
            ["export", "separations_monthly", "--where", "agency"],
            "error: --where 'agency' is not COLUMN=VALUE",
        ),
        (
            ["export", "separations_monthly", "--format", "parquet"],
            "error: --format parquet writes a file: give --output FILE.parquet",
        ),
    ],
)
def test_unknown_names_and_bad_values_are_one_line(cli_db, tmp_path, argv, message):
    rc, out, err = cli_db(*argv)
    assert rc == 1 and out == ""
    assert err.startswith(message) and err.count("\n") == 1, err


def test_rows_are_read_in_batches_through_a_server_side_cursor(
    engine, session, archive, monkeypatch
):
    from monitor import export
    from monitor.export import Selection

    ingest(session, archive, DHS, Q1, FEB)
    session.commit()
    monkeypatch.setattr(export, "BATCH", 4)
    gen = export.stream(engine, Selection("separation_counts"))
    names, batches = next(gen)
    first = next(batches)
    assert len(first) == 4 and names[0] == "observation_id"
    if engine.dialect.name == "postgresql":
        # the rows are fetched from a cursor declared on the server, a few at a time
        with engine.connect() as other:
            queries = (
                other.execute(
                    text(
                        "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                )
                .scalars()
                .all()
            )
        assert any(q.startswith("FETCH FORWARD ") for q in queries), queries
    rest = [row for batch in batches for row in batch]
    gen.close()
    assert len(first) + len(rest) == 44


def test_csv_writes_every_type_as_before_whatever_the_batch_holds():
    """Batches of plain values go to the csv module as they are; a batch holding a timestamp or
    a decimal is converted value by value: the text is the same either way."""
    from decimal import Decimal

    from monitor.export import write_csv

    plain = [(1, None, date(2022, 6, 1), "a,b")]
    mixed = [
        (Decimal("5"), datetime(2022, 9, 30, 12, tzinfo=timezone.utc), None, "x"),
        (Decimal("2.5"), None, date(2022, 6, 30), ""),
    ]
    out = io.StringIO()
    assert write_csv(["n", "t", "d", "s"], [plain, mixed], out) == 3
    assert out.getvalue().splitlines() == [
        "n,t,d,s",
        '1,,2022-06-01,"a,b"',
        "5,2022-09-30T12:00:00+00:00,,x",
        "2.5,,2022-06-30,",
    ]


TRICKY = ['a "quoted", label', "two\nlines", "carriage\rreturn", "", "Niño ü €", "plain"]


def test_postgresql_copy_writes_the_bytes_the_row_by_row_writer_writes(
    engine, session, archive, tmp_path
):
    """On PostgreSQL, CSV comes from the server's COPY: for a view with dates, timestamps,
    NULLs, empty text and quotes, commas, line feeds and carriage returns in text, its bytes
    are those of the csv module writing the same rows one by one, with and without filters.
    (SQLite writes row by row: there export() must give the same text as well.)"""
    from monitor import export
    from monitor.export import Selection

    pg = engine.dialect.name == "postgresql"
    ingest(session, archive, DHS, Q1, FEB)
    session.commit()
    with engine.begin() as conn:
        ids = conn.execute(text("SELECT id FROM count_observations ORDER BY id")).scalars().all()
        for i, label in zip(ids, TRICKY):
            conn.execute(
                text("UPDATE count_observations SET label = :l, label2 = :l2 WHERE id = :i"),
                {"l": label, "l2": "" if i % 2 else None, "i": i},
            )

    def row_by_row(sel: Selection) -> str:
        gen = export.stream(engine, sel)
        names, batches = next(gen)
        out = io.StringIO()
        export.write_csv(names, batches, out)
        gen.close()
        return out.getvalue()

    selections = [
        Selection("separation_counts"),
        Selection(
            "separations_monthly",
            where=[
                ("agency", "DHS"),
                ("dimension2", ""),
                ("category", "criminal_history"),
                ("category", "other"),
            ],
            since=date(2022, 11, 1),
            until=date(2022, 12, 31),
        ),
        Selection("reporting_timeliness"),
        Selection("separation_counts", where=[("label", "it's \"x\"'); DROP VIEW x; --")]),
    ]
    for sel in selections:
        expected = row_by_row(sel)
        rows = len(list(csv.reader(io.StringIO(expected, newline="")))) - 1
        if pg:
            chunks: list[bytes] = []
            assert (
                export.copy_csv(engine, sel, write_bytes=lambda b: chunks.append(bytes(b))) == rows
            )
            assert b"".join(chunks).decode("utf-8") == expected, sel
        stdout = io.StringIO()
        assert export.export(engine, sel, "csv", None, stdout) == rows
        assert stdout.getvalue() == expected
        target = tmp_path / "out.csv"
        assert export.export(engine, sel, "csv", target, io.StringIO()) == rows
        assert target.read_bytes() == expected.encode("utf-8")
    whole = row_by_row(selections[0])
    for label in TRICKY[:3] + TRICKY[4:]:  # each tricky text is in the compared output
        assert [label] == [
            r["label"]
            for r in csv.DictReader(io.StringIO(whole, newline=""))
            if r["label"] == label
        ]
    assert ",2022-10-01,2022-10-31," in whole and "T12:00:00Z," in whole
    assert row_by_row(selections[1]).count("\n") > 1
    assert row_by_row(selections[3]).count("\n") == 1  # the quoted value matched nothing


def test_a_failed_csv_export_leaves_no_file(engine, tmp_path, monkeypatch):
    from monitor import export
    from monitor.errors import MonitorError
    from monitor.export import Selection

    monkeypatch.setitem(export.ORDER, "separation_counts", ("no_such_column",))
    target = tmp_path / "out.csv"
    with pytest.raises(MonitorError, match="export of separation_counts failed"):
        export.export(engine, Selection("separation_counts"), "csv", target, io.StringIO())
    assert not list(tmp_path.glob("out.csv*"))


def test_csv_quotes_a_carriage_return_as_it_quotes_a_line_feed():
    from monitor.export import write_csv

    out = io.StringIO()
    assert write_csv(["a", "b"], [[("x\ry", 1), ("z", 2)], [("q\r\n", None)]], out) == 3
    assert out.getvalue() == 'a,b\n"x\ry",1\nz,2\n"q\r\n",\n'
    assert [r for r in csv.reader(io.StringIO(out.getvalue(), newline=""))] == [
        ["a", "b"],
        ["x\ry", "1"],
        ["z", "2"],
        ["q\r\n", ""],
    ]
