"""The offline demo end to end: it must show what the monitor is for (a missing HHS month, a
late report, a report that does not state its foreign-government basis, a source broken by a
denial page) and never reach beyond 127.0.0.1."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import create_engine, select

from monitor.demo import AS_OF, DENIED, run_demo
from monitor.models import FetchRun, FindingRow, SourceHealth


@pytest.fixture
def demo(db_url, tmp_path):
    result = run_demo(database_url=db_url, keep=tmp_path / "demo")
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    yield result, engine
    engine.dispose()


def _findings(engine):
    with engine.connect() as conn:
        return conn.execute(select(FindingRow.obligation_id, FindingRow.kind,
                                   FindingRow.period_start, FindingRow.period_end, FindingRow.state,
                                   FindingRow.evidence)).all()


def test_demo_produces_the_findings_it_promises(demo):
    result, engine = demo
    found = _findings(engine)
    kinds = {(f.obligation_id, f.kind, f.period_start) for f in found}
    assert ("hhs_separated_children_monthly", "missing", date(2022, 4, 1)) in kinds
    late = [f for f in found if f.kind == "late"]
    assert late and all(f.evidence["days_late"] > 0 for f in late)
    assert all(f.evidence["publication"]["basis"] for f in late)
    incomplete = [f for f in found if f.obligation_id == "dhs_separation_foreign_basis"
                  and f.kind == "incomplete"]
    assert len(incomplete) == 1
    assert "home country" in json.dumps(incomplete[0].evidence)
    # DHS is broken by the denial page: a month without a report is unknown, never missing
    dhs_monthly = {f.kind for f in found if f.obligation_id == "dhs_family_unit_actions_monthly"}
    assert "unknown" in dhs_monthly and "missing" not in dhs_monthly
    assert all(f.state == "open" for f in found)
    # periods ending before the demo's watch_from (2022-01-01) are not judged
    assert all(f.period_end is None or f.period_end >= date(2022, 1, 1) for f in found)
    # parse problems are listed, and each distinct unmapped label is one operator finding
    groups = result.reports[-1].problems
    unmapped = [g for g in groups if g.kind == "unmapped_label"]
    assert unmapped and {g.kind for g in groups} >= {"unmapped_label", "inconsistent_total"}
    with engine.connect() as conn:
        rows = conn.execute(select(FindingRow.id, FindingRow.subject, FindingRow.kind,
                                   FindingRow.state)
                            .where(FindingRow.obligation_id == "operator",
                                   FindingRow.family == "parsing")).all()
    assert sorted((r.id, r.subject) for r in rows) == \
        sorted((g.finding, f"{g.source}|{g.label}") for g in unmapped)
    assert {(r.kind, r.state) for r in rows} == {("review", "open")}


def test_demo_source_health_and_requests_stay_on_loopback(demo):
    result, engine = demo
    with engine.connect() as conn:
        health = dict(conn.execute(select(SourceHealth.source_id, SourceHealth.state)).all())
        runs = conn.execute(select(FetchRun.url, FetchRun.requested_url, FetchRun.outcome)).all()
    assert health == {"dhs_family_unit_actions": "broken", "hhs_separated_children": "healthy"}
    assert runs and all((r.requested_url or "").startswith("http://127.0.0.1:") for r in runs)
    assert {r.outcome for r in runs if r.url == DENIED[0]} == {"blocked"}
    assert result.requests == len(runs)
    assert len(result.reports) == 3 and result.reports[-1].now.date() == AS_OF
    # evidence trail: every snapshot a finding rests on is in the archive
    for f in _findings(engine):
        for ref in f.evidence.get("reports") or []:
            if ref.get("snapshot_sha256"):
                path = result.archive_dir / "objects" / ref["snapshot_sha256"][:2] / ref["snapshot_sha256"]
                assert path.is_file()


def test_demo_command_prints_the_summary_and_where_things_are(cli, tmp_path):
    rc, out, err = cli("demo", "--keep", str(tmp_path / "kept"))
    assert rc == 0, err
    assert "missing  hhs_separated_children_monthly  2022-04" in out
    assert "dhs_family_unit_actions      FAILED  health: failing -> broken" in out
    assert f"MONITOR_HOME={tmp_path / 'kept'}" in out
    # parse problems are in the summary, each unmapped label with its operator finding
    problems = out[out.index("\nParse problems: "):out.index("\nFindings: ")]
    assert "unmapped_label" in problems.splitlines()[1]
    assert re.search(r"unmapped_label +'[^']+'  \(finding #\d+\)", problems)
    assert (tmp_path / "kept" / "monitor.db").is_file()
    assert "Traceback" not in err
