"""Helpers for the analyst-view tests: take fixtures in through the real intake path and read a
view as plain dicts."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import yaml
from sqlalchemy import text

from monitor.document_path import take_in
from scrapers.registry import load_source

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DHS, HHS = "dhs_family_unit_actions", "hhs_separated_children"
Q1 = "fuar_fy2023_q1_crosstab_reconstructed.pdf"
MARCH = "fuar_fy2023_oct2022-mar2023_crosstab_split_reconstructed.pdf"


def entry(source_id: str, name: str) -> dict:
    entries = yaml.safe_load((FIXTURES / source_id / "manifest.yaml").read_text("utf-8"))[
        "fixtures"
    ]
    return next(e for e in entries if e["file"] == name)


def ingest(
    session, archive, source_id: str, name: str, fetched_at: datetime, url: str | None = None
):
    e = entry(source_id, name)
    intake = take_in(
        session,
        archive,
        load_source(source_id),
        url=url or e["url"],
        body=(FIXTURES / source_id / name).read_bytes(),
        fetched_at=fetched_at,
        is_listing=False,
        content_type=e["content_type"],
    )
    assert intake.outcome == "ok", name
    session.flush()
    return intake


def ingest_reports(
    session,
    archive,
    source_id: str,
    fetched_at: datetime = datetime(2022, 9, 30, 12, tzinfo=timezone.utc),
) -> None:
    entries = yaml.safe_load((FIXTURES / source_id / "manifest.yaml").read_text("utf-8"))[
        "fixtures"
    ]
    for e in entries:
        if e["role"] == "report" and e["reconstructed"]:
            ingest(session, archive, source_id, e["file"], fetched_at)


def rows(session, sql: str, **params) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(text(sql), params)]
