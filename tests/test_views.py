"""The analyst views on both databases: figures of ingested fixtures, one current figure per month
when reports overlap, revisions between reports and between snapshots of one report, integer
values, the timeliness and foreign-basis views."""

from __future__ import annotations

from datetime import date, datetime, timezone

from monitor.findings_sync import sync_findings
from rules.findings import Finding
from viewkit import DHS, HHS, MARCH, Q1, entry, ingest, ingest_reports, rows

FEB = datetime(2023, 2, 20, 12, tzinfo=timezone.utc)
MAY = datetime(2023, 5, 20, 12, tzinfo=timezone.utc)


def _monthly(session, agency="DHS", dimension="cause", category="criminal_history"):
    return rows(
        session,
        "SELECT * FROM separations_monthly WHERE agency = :a AND dimension = :d "
        "AND category = :c AND measure = 'separations' ORDER BY month",
        a=agency,
        d=dimension,
        c=category,
    )


def test_monthly_view_gives_one_current_figure_per_month_from_the_newest_report(session, archive):
    ingest(session, archive, DHS, Q1, FEB)
    first = _monthly(session)
    assert [(r["month"], r["value"]) for r in first] == [
        ("2022-10", 4),
        ("2022-11", 3),
        ("2022-12", 5),
    ]
    assert all(type(r["value"]) is int for r in first)
    assert first[0]["report_url"] == entry(DHS, Q1)["url"]
    assert first[0]["label"] == "Criminal history"
    assert len(first[0]["snapshot_sha256"]) == 64

    ingest(session, archive, DHS, MARCH, MAY)  # overlaps October-December, revises November
    later = _monthly(session)
    assert [(r["month"], r["value"]) for r in later] == [
        ("2022-10", 4),
        ("2022-11", 4),
        ("2022-12", 5),
        ("2023-01", 3),
        ("2023-02", 4),
        ("2023-03", 2),
    ]
    assert {r["report_url"] for r in later} == {entry(DHS, MARCH)["url"]}
    assert later[0]["issued"] in (date(2023, 5, 1), "2023-05-01")
    assert later[0]["fetched_at"] == "2023-05-20T12:00:00Z"
    month_totals = rows(
        session,
        "SELECT month, value FROM separations_monthly WHERE "
        "dimension = 'month' AND agency = 'DHS' ORDER BY month",
    )
    assert [r["month"] for r in month_totals] == [
        "2022-10",
        "2022-11",
        "2022-12",
        "2023-01",
        "2023-02",
        "2023-03",
    ]


def test_a_figure_changed_by_a_later_report_is_a_revision_between_reports(session, archive):
    ingest(session, archive, DHS, Q1, FEB)
    assert rows(session, "SELECT * FROM separation_revisions") == []
    ingest(session, archive, DHS, MARCH, MAY)
    revisions = rows(session, "SELECT * FROM separation_revisions ORDER BY dimension")
    assert [
        (r["dimension"], r["category"], r["month"], r["old_value"], r["new_value"])
        for r in revisions
    ] == [
        ("cause", "criminal_history", "2022-11", 3, 4),
        ("month", "2022-11", "2022-11", 6, 7),
    ]  # and its month total
    rev = revisions[0]
    assert rev["revision_kind"] == "between_reports"
    assert rev["old_report_url"] == entry(DHS, Q1)["url"]
    assert rev["new_report_url"] == entry(DHS, MARCH)["url"]
    assert rev["first_seen_at"] == "2023-05-20T12:00:00Z"


def test_a_new_snapshot_of_the_same_report_that_changes_a_figure_is_a_revision(session, archive):
    url = entry(DHS, Q1)["url"]
    ingest(session, archive, DHS, Q1, FEB, url=url)
    ingest(session, archive, DHS, MARCH, MAY, url=url)  # the agency replaced the file in place
    revisions = rows(session, "SELECT * FROM separation_revisions WHERE dimension = 'cause'")
    assert [
        (r["month"], r["old_value"], r["new_value"], r["revision_kind"]) for r in revisions
    ] == [("2022-11", 3, 4, "same_report")]
    assert revisions[0]["old_snapshot_sha256"] != revisions[0]["new_snapshot_sha256"]


def test_whole_period_figures_are_one_query_away(session, archive):
    ingest_reports(session, archive, DHS)
    fy2021 = rows(
        session,
        "SELECT category, value FROM separations_by_report_period "
        "WHERE agency = 'DHS' AND dimension = 'cause' AND period_start = :s "
        "AND period_end = :e ORDER BY category",
        s=date(2020, 10, 1),
        e=date(2021, 9, 30),
    )
    assert dict((r["category"], r["value"]) for r in fy2021)["criminal_history"] == 61
    # cross-tab cells of age by sector carry their second dimension
    cells = rows(
        session,
        "SELECT category, category2, value FROM separations_by_report_period "
        "WHERE dimension2 = 'age_group' AND period_end = :e ORDER BY category, category2",
        e=date(2023, 3, 31),
    )
    assert {(r["category"], r["category2"], r["value"]) for r in cells} >= {
        ("Rio Grande Valley", "0-5", 6),
        ("El Paso", "13-17", 3),
    }


def test_separation_counts_keeps_every_figure_with_its_provenance(session, archive):
    ingest(session, archive, DHS, Q1, FEB)
    ingest(session, archive, DHS, Q1, MAY)  # the same bytes again: nothing new
    all_rows = rows(session, "SELECT * FROM separation_counts")
    assert len(all_rows) == 44
    cell = next(r for r in all_rows if r["category2"] == "13-17" and r["category"] == "San Diego")
    assert (cell["dimension"], cell["dimension2"], cell["label2"], cell["value"]) == (
        "sector",
        "age_group",
        "13\u201317",
        1,
    )
    assert cell["agency"] == "DHS" and cell["source"] == DHS and cell["parser_version"] == "1"
    assert cell["period_start"] in (date(2022, 10, 1), "2022-10-01")


def test_foreign_basis_statements_gives_each_reports_current_statement(session, archive):
    ingest_reports(session, archive, DHS)
    got = {r["report_url"]: r for r in rows(session, "SELECT * FROM foreign_basis_statements")}
    assert got[entry(DHS, Q1)["url"]]["status"] == "stated"
    assert got[entry(DHS, Q1)["url"]]["value"] == 0
    may = got[entry(DHS, "fuar_may2022_reconstructed.pdf")["url"]]
    assert may["status"] == "ambiguous" and may["value"] is None and may["quote"]
    assert (
        got[entry(DHS, "fuar_fy2020_oct2019-jan2020_reconstructed.pdf")["url"]]["status"]
        == "not_required"
    )


def test_reporting_timeliness_reads_the_findings(session):
    due = date(2022, 2, 28)
    late = Finding(
        obligation="dhs_family_unit_actions_monthly",
        kind="late",
        family="timeliness",
        severity="high",
        summary="late",
        period_start=date(2022, 1, 1),
        period_end=date(2022, 1, 31),
        due=due,
        deadline=datetime(2022, 3, 1, 4, 59, 59, tzinfo=timezone.utc),
        evidence={
            "obligation": {"id": "x", "agency": "DHS"},
            "period": {"label": "2022-01"},
            "publication": {
                "earliest_possible": date(2022, 9, 1),
                "basis": "issued 2022-09-01 (month precision)",
            },
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
    got = {r["obligation_id"]: r for r in rows(session, "SELECT * FROM reporting_timeliness")}
    dhs = got["dhs_family_unit_actions_monthly"]
    assert dhs["days_late"] == 185 and type(dhs["days_late"]) is int
    assert str(dhs["first_published"]) == "2022-09-01"
    assert dhs["publication_basis"].startswith("issued 2022-09-01")
    assert (dhs["agency"], dhs["period_label"], dhs["report_url"]) == (
        "DHS",
        "2022-01",
        "https://www.dhs.gov/r.pdf",
    )
    assert (dhs["finding_kind"], dhs["finding_state"]) == ("late", "open")
    assert dhs["deadline_at"] == "2022-03-01T04:59:59Z"
    hhs = got["hhs_separated_children_monthly"]
    assert (hhs["finding_kind"], hhs["days_late"], hhs["first_published"]) == (
        "missing",
        None,
        None,
    )
    assert str(hhs["due"]) == "2022-05-03"


def test_hhs_months_are_monthly_figures(session, archive):
    ingest_reports(session, archive, HHS)
    june = rows(
        session,
        "SELECT category, value FROM separations_monthly WHERE agency = 'HHS' "
        "AND month = '2022-06' AND dimension = 'cause'",
    )
    assert {r["category"]: r["value"] for r in june}["criminal_history"] == 9
    assert rows(session, "SELECT * FROM separations_monthly WHERE month IS NULL") == []
    # a month with no report has no row, never a zero
    assert (
        rows(
            session, "SELECT * FROM separations_monthly WHERE agency = 'HHS' AND month = '2022-04'"
        )
        == []
    )
