"""A tampered archive is found, reported and healed, never trusted: an edited or deleted body is
reported by reparse and `monitor archive verify` (exit 1, an operator finding naming its
sha256), no conditional GET is sent for it, the next fetch downloads it again and re-archives
the genuine bytes with the altered file kept in quarantine/, and nothing is overwritten without
a record of it."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest
import responses
from sqlalchemy import select

from fetch_fakes import LISTING, R1, R2, Site, good_site, make_fetcher, registered
from monitor.fetching import new_cycle, poll_source
from monitor.models import FindingRow, FindingTransition
from monitor.reparsing import reparse_source

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


@pytest.fixture
def site():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield Site(rsps)


def poll(session, archive, now):
    return poll_source(
        session, archive, make_fetcher()[0], registered(), now=now, cycle=new_cycle(now)
    )


def tamper(archive, sha: str, data: bytes = b"%PDF-1.4\nTITLE Report one\nTOTAL 700\n%%EOF\n"):
    path = archive.path(sha)
    os.chmod(path, 0o644)
    path.write_bytes(data)


def archive_finding(session, sha: str) -> FindingRow | None:
    return session.scalar(
        select(FindingRow).where(FindingRow.family == "archive", FindingRow.subject == sha)
    )


def transitions(session, finding: FindingRow) -> list[tuple[str, str | None]]:
    return [
        (t.change, t.note)
        for t in session.scalars(
            select(FindingTransition)
            .where(FindingTransition.finding_id == finding.id)
            .order_by(FindingTransition.id)
        )
    ]


def shas(result) -> dict[str, str]:
    return {r.url: r.sha256 for r in result.runs}


def test_reparse_reports_an_edited_and_a_deleted_body_even_when_already_parsed(
    session, archive, site
):
    good_site(site)
    sha = shas(poll(session, archive, T0))
    tamper(archive, sha[R1])
    archive.path(sha[R2]).unlink()
    items = reparse_source(session, archive, registered(), now=T0 + timedelta(days=1))
    outcome = {i.url: i.outcome for i in items}
    assert outcome == {LISTING: "skipped", R1: "altered", R2: "missing"}
    for url, state in ((R1, "altered"), (R2, "missing")):
        finding = archive_finding(session, sha[url])
        assert finding is not None and finding.state == "open" and finding.kind == "review"
        assert sha[url] in finding.summary and finding.evidence["state"] == state
        assert finding.evidence["snapshots"][0]["url"] == url
    assert archive.path(sha[R1]).read_bytes().endswith(b"TOTAL 700\n%%EOF\n")  # left as found


def test_no_conditional_get_for_an_edited_body_and_the_refetch_heals_it(session, archive, site):
    good_site(site)
    sha = shas(poll(session, archive, T0))[LISTING]
    original = archive.path(sha).read_bytes()
    tamper(archive, sha, b"<html>an edited listing</html>")
    second = poll(session, archive, T0 + timedelta(days=1))
    listing_request = [r for r in site.requests if r.url == LISTING][-1]
    assert "If-None-Match" not in listing_request.headers
    assert second.runs[0].outcome == "unchanged"  # downloaded again: the same bytes as before
    assert archive.get(sha) == original
    kept = list((archive.root / "quarantine").rglob("*"))
    assert [p.read_bytes() for p in kept if p.is_file()] == [b"<html>an edited listing</html>"]
    finding = archive_finding(session, sha)
    assert finding.state == "resolved"
    changes = transitions(session, finding)
    assert [c for c, _ in changes] == ["opened", "resolved"]
    assert "healed" in changes[1][1] and "quarantine/" in changes[1][1]
    third = poll(session, archive, T0 + timedelta(days=2))
    assert third.runs[0].outcome == "not_modified"  # intact again: validators are sent again


def test_a_deleted_body_is_downloaded_again_and_its_finding_resolved(session, archive, site):
    good_site(site)
    sha = shas(poll(session, archive, T0))[LISTING]
    archive.path(sha).unlink()
    second = poll(session, archive, T0 + timedelta(days=1))
    assert second.runs[0].outcome == "unchanged" and archive.check(sha).state == "ok"
    finding = archive_finding(session, sha)
    assert finding.state == "resolved"
    assert [c for c, _ in transitions(session, finding)] == ["opened", "resolved"]


@pytest.fixture
def archive_cli(cli_db, monkeypatch, monitor_env, registries):
    from scrapers.registry import Registry

    registries.sources = Registry([registered()])
    for name, value in {
        "HOST_MIN_INTERVAL": "0",
        "HTTP_BACKOFF": "0",
        "HTTP_RETRIES": "0",
        "CONTACT": "ops@example.org",
    }.items():
        monkeypatch.setenv(f"MONITOR_{name}", value)
    return cli_db


def test_archive_verify_finds_every_kind_of_damage_and_exits_1(archive_cli, site, monitor_env):
    from scrapers.fetch.archive import Archive

    good_site(site)
    rc, out, err = archive_cli("fetch", "fake_agency", "--json")
    assert rc == 0, err
    sha = {r["url"]: r["sha256"] for r in json.loads(out)}
    rc, out, err = archive_cli("archive", "verify")
    assert rc == 0 and "every body and capture record checked out" in out, out + err

    archive = Archive(monitor_env / "archive")
    tamper(archive, sha[R1])
    archive.path(sha[R2]).unlink()
    captures = sorted((archive.root / "captures").rglob("*.json"))
    listing_capture = [p for p in captures if p.parent.name == sha[LISTING]][0]
    os.chmod(listing_capture, 0o644)
    listing_capture.write_bytes(b"")  # a 0-byte capture record
    (archive.root / "objects" / "zz").mkdir()
    (archive.root / "objects" / "zz" / "notes.txt").write_text("stray")

    rc, out, err = archive_cli("archive", "verify", "--json")
    assert rc == 1
    report = json.loads(out)
    kinds = sorted((p["kind"], p["subject"]) for p in report["problems"])
    assert kinds == sorted(
        [
            ("altered_body", sha[R1]),
            ("missing_body", sha[R2]),
            ("bad_capture", f"capture {listing_capture.relative_to(archive.root)}"),
            ("stray_file", "file objects/zz/notes.txt"),
        ]
    )
    rc, out, _ = archive_cli("findings", "--json")
    subjects = {f["summary"].split()[2] for f in json.loads(out) if "archived body" in f["summary"]}
    assert subjects == {sha[R1], sha[R2]}
    rc, text, _ = archive_cli("archive", "verify")
    assert rc == 1 and f"altered_body: archived body {sha[R1]} was altered" in text

    # the body comes back intact (restored from a backup): the next verify resolves it
    os.unlink(archive.path(sha[R1]))
    assert archive.put(b"%PDF-1.4\nTITLE Report one\nTOTAL 7\n%%EOF\n").sha256 == sha[R1]
    rc, out, _ = archive_cli("archive", "verify", "--json")
    report = json.loads(out)
    assert sha[R1] not in {p["subject"] for p in report["problems"]} and report["resolved"] == 1


def test_archive_get_exports_only_an_intact_body(archive_cli, site, monitor_env, tmp_path):
    from scrapers.fetch.archive import Archive

    good_site(site)
    rc, out, _ = archive_cli("fetch", "fake_agency", "--json")
    sha = {r["url"]: r["sha256"] for r in json.loads(out)}[R1]
    rc, out, err = archive_cli("archive", "get", sha, "--out", str(tmp_path / "r1.pdf"))
    assert rc == 0 and (tmp_path / "r1.pdf").read_bytes().startswith(b"%PDF"), err
    tamper(Archive(monitor_env / "archive"), sha)
    rc, out, err = archive_cli("archive", "get", sha)
    assert rc == 1 and out == "" and f"archived body {sha} is corrupt" in err
    assert len(err.strip().splitlines()) == 1
    rc, _, err = archive_cli("archive", "get", "0" * 64)
    assert rc == 1 and "no body" in err


def test_the_demo_sends_no_validators_for_a_tampered_body_and_heals_it(db_url, tmp_path):
    """The demo polls with conditional GET from its second day on: run it again over the same
    database and archive after editing an archived listing, and the edited body gets no
    validators, is downloaded again and healed, with the edited copy kept in quarantine/."""
    from sqlalchemy.orm import Session

    from monitor.db import make_engine
    from monitor.demo import run_demo
    from monitor.models import FetchRun, Snapshot
    from scrapers.fetch.archive import Archive

    home = tmp_path / "demo"
    first = run_demo(database_url=db_url, keep=home)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            listing, sha = session.execute(
                select(FetchRun.url, Snapshot.sha256)
                .join(Snapshot, Snapshot.id == FetchRun.snapshot_id)
                .where(FetchRun.outcome == "not_modified")
                .limit(1)
            ).one()
        archive = Archive(first.archive_dir)
        original = archive.get(sha)
        tamper(archive, sha, b"<html>edited after the fact</html>")
        second = run_demo(database_url=db_url, keep=home)
        outcomes = [
            r.outcome
            for day in second.reports[:1]
            for p in day.polls
            for r in p.runs
            if r.url == listing
        ]
        assert outcomes == ["unchanged"]  # downloaded again, not answered with a 304
        assert archive.get(sha) == original
        with Session(engine) as session:
            finding = archive_finding(session, sha)
            assert finding.state == "resolved"
            assert "quarantine/" in transitions(session, finding)[-1][1]
    finally:
        engine.dispose()


def test_a_body_a_fetch_worker_heals_is_reported_as_healed(session, archive, site):
    """Several hosts fetched at once: the worker that fetched a page archives its body (healing
    an altered copy there), and the writer stores what the worker archived. The heal is
    reported exactly as when the writer archives: the finding resolved, quarantine named."""
    from monitor.fetch_pool import FetchPool, Prefetcher
    from monitor.fetching import check_ahead

    good_site(site)
    sha = shas(poll(session, archive, T0))[LISTING]
    original = archive.path(sha).read_bytes()
    tamper(archive, sha, b"<html>an edited listing</html>")
    reg, later, fetcher = registered(), T0 + timedelta(days=1), make_fetcher()[0]
    before = len([r for r in site.requests if r.url == LISTING])
    with FetchPool(fetcher, workers=2, archive=archive) as pool:
        ahead = Prefetcher(fetcher, pool)
        ahead.prefetch(
            LISTING,
            allowed=reg.source.allows_host,
            validators=check_ahead(session, archive, LISTING, now=later),
            content_types=reg.source.content_types,
        )
        second = poll_source(session, archive, ahead, reg, now=later, cycle=new_cycle(later))
    assert len([r for r in site.requests if r.url == LISTING]) == before + 1  # the worker's
    assert second.runs[0].outcome == "unchanged" and archive.get(sha) == original
    kept = [p for p in (archive.root / "quarantine").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in kept] == [b"<html>an edited listing</html>"]
    finding = archive_finding(session, sha)
    assert finding.state == "resolved"
    changes = transitions(session, finding)
    assert [c for c, _ in changes] == ["opened", "resolved"]
    assert "healed" in changes[1][1] and "quarantine/" in changes[1][1]
