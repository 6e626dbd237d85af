"""Keeping ``figure_versions`` (monitor/models/figures.py) in step with the observations.

After a parse is stored, the versions of every figure of the agency whose period lies within the
months that parse touched are rebuilt with one DELETE and one INSERT ... SELECT, so the ranking
is done by the database with the same statement the migration used to fill the table:

- within one parse, printed rows that map to the same figure are added up (the same label
  printed twice, by two tables, counts once);
- within one snapshot, the newest parse gives the figure;
- the versions of a figure are ordered by report (issue date, else the day it was first seen;
  then the end of its data period, when it was first seen, its id), then snapshot (fetched_at,
  id); the last is current, and each version remembers the one before it (its observation,
  value, report and snapshot: a revision when the value differs);
- each version keeps the fields of the number it stands for (label, second label, page, parser
  version: an observation never changes), so the views need not look it up among all of them.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from monitor.models import CountObservation, Report, SourceRow

_KEY = "measure, dimension, category, dimension2, category2, period_start, period_end"

_SELECT = """
WITH printed AS (
    SELECT o.id, o.parse_id, o.report_id, o.snapshot_id, s.agency, r.source_id, o.measure,
           o.dimension, o.category, COALESCE(o.dimension2, '') AS dimension2,
           COALESCE(o.category2, '') AS category2, o.period_start, o.period_end, o.value,
           ROW_NUMBER() OVER (PARTITION BY o.parse_id, o.measure, o.dimension, o.category,
                              o.dimension2, o.category2, o.period_start, o.period_end, o.label,
                              o.label2
                              ORDER BY o.id DESC) AS repeat
    FROM count_observations o
    JOIN reports r ON r.id = o.report_id
    JOIN sources s ON s.id = r.source_id
    WHERE o.period_start IS NOT NULL AND o.period_end IS NOT NULL {where}
), per_parse AS (
    SELECT MIN(id) AS observation_id, parse_id, report_id, snapshot_id, agency, source_id,
           {key}, SUM(value) AS value
    FROM printed WHERE repeat = 1
    GROUP BY parse_id, report_id, snapshot_id, agency, source_id, {key}
), per_snapshot AS (
    SELECT p.*, {report_day} AS report_day, r.period_end AS report_end,
           r.first_seen AS report_seen, sn.fetched_at AS seen_at,
           ROW_NUMBER() OVER (PARTITION BY p.snapshot_id, p.report_id, {pkey}
                              ORDER BY p.parse_id DESC) AS newest_parse
    FROM per_parse p
    JOIN reports r ON r.id = p.report_id
    JOIN snapshots sn ON sn.id = p.snapshot_id
), versions AS (
    SELECT v.*,
           LAG(observation_id) OVER (PARTITION BY agency, {key} ORDER BY {order}) AS prev_id,
           LAG(value) OVER (PARTITION BY agency, {key} ORDER BY {order}) AS prev_value,
           LAG(report_id) OVER (PARTITION BY agency, {key} ORDER BY {order}) AS prev_report_id,
           LAG(snapshot_id) OVER (PARTITION BY agency, {key} ORDER BY {order}) AS prev_snapshot_id,
           ROW_NUMBER() OVER (PARTITION BY agency, {key} ORDER BY {order_desc}) AS newest
    FROM per_snapshot v WHERE newest_parse = 1
), ranked AS (
    SELECT observation_id, report_id, snapshot_id, agency, source_id, {key}, {month} AS month,
           CAST(ROUND(value) AS INTEGER) AS value, seen_at, {is_current} AS is_current,
           prev_id AS previous_observation_id,
           CAST(ROUND(prev_value) AS INTEGER) AS previous_value,
           prev_report_id AS previous_report_id, prev_snapshot_id AS previous_snapshot_id
    FROM versions
)
SELECT ranked.*, lo.label, lo.label2, lo.page, lo.parser_version
FROM ranked JOIN count_observations lo ON lo.id = ranked.observation_id
"""
_ORDER = ("report_day", "report_end", "report_seen", "report_id", "seen_at", "snapshot_id")
_COLUMNS = (
    "observation_id, report_id, snapshot_id, agency, source_id, "
    + _KEY
    + ", month, value, seen_at, is_current, previous_observation_id, previous_value"
    ", previous_report_id, previous_snapshot_id, label, label2, page, parser_version"
)

DIALECT = {
    "sqlite": {
        "report_day": "COALESCE(r.issued, date(r.first_seen))",
        "month": "CASE WHEN strftime('%d', period_start) = '01' AND period_end = "
        "date(period_start, '+1 month', '-1 day') THEN strftime('%Y-%m', period_start) END",
        "is_current": "CASE WHEN newest = 1 THEN 1 ELSE 0 END",
    },
    "postgresql": {
        "report_day": "COALESCE(r.issued, CAST(r.first_seen AS DATE))",
        "month": "CASE WHEN EXTRACT(DAY FROM period_start) = 1 AND period_end = "
        "CAST(period_start + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) "
        "THEN to_char(period_start, 'YYYY-MM') END",
        "is_current": "newest = 1",
    },
}


def versions_select(dialect: str, where: str = "") -> str:
    """The statement that ranks every figure's versions (``where`` narrows the observations)."""
    parts = DIALECT[dialect]
    return _SELECT.format(
        where=where,
        key=_KEY,
        pkey=", ".join(f"p.{c.strip()}" for c in _KEY.split(",")),
        order=", ".join(_ORDER),
        order_desc=", ".join(f"{c} DESC" for c in _ORDER),
        report_day=parts["report_day"],
        month=parts["month"],
        is_current=parts["is_current"],
    )


def insert_statement(dialect: str, where: str = "") -> str:
    return f"INSERT INTO figure_versions ({_COLUMNS}) {versions_select(dialect, where)}"


def _bind(session: Session, day: date):
    return day.isoformat() if session.get_bind().dialect.name == "sqlite" else day


def refresh_window(session: Session, agency: str, start: date, end: date) -> None:
    """Rebuild the versions of the agency's figures whose period lies within [start, end]."""
    dialect = session.get_bind().dialect.name
    params = {"agency": agency, "start": _bind(session, start), "end": _bind(session, end)}
    session.execute(
        text(
            "DELETE FROM figure_versions WHERE agency = :agency "
            "AND period_start >= :start AND period_end <= :end"
        ),
        params,
    )
    where = "AND s.agency = :agency AND o.period_start >= :start AND o.period_end <= :end"
    session.execute(text(insert_statement(dialect, where)), params)


def refresh_reports(session: Session, report_ids: Iterable[int]) -> None:
    """Rebuild the figures every observation of these reports takes part in."""
    ids = sorted(set(report_ids))
    if not ids:
        return
    session.flush()
    windows = session.execute(
        select(
            SourceRow.agency,
            func.min(CountObservation.period_start),
            func.max(CountObservation.period_end),
        )
        .join(Report, Report.id == CountObservation.report_id)
        .join(SourceRow, SourceRow.id == Report.source_id)
        .where(
            CountObservation.report_id.in_(ids),
            CountObservation.period_start.is_not(None),
            CountObservation.period_end.is_not(None),
        )
        .group_by(SourceRow.agency)
    )
    for agency, start, end in windows.all():
        refresh_window(session, agency, start, end)
