"""Parse problems reach the operator: each document's latest reading's problems are listed
(`monitor problems`, the run summary), and each distinct unmapped label is one operator finding
(kind review, family parsing) with its documents and pages, resolved when a re-parse maps it."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import responses
from sqlalchemy import func, select

from fetch_fakes import LISTING, R1, R2, SOURCE, Site, listing_html, make_fetcher, parse
from monitor.fetching import new_cycle, poll_source
from monitor.models import FindingRow, FindingTransition
from monitor.parse_problems import current_problems, problem_groups
from monitor.reparsing import reparse_source
from scrapers.records import Problem
from scrapers.registry import RegisteredSource

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
LATER = T0 + timedelta(days=30)
JUNE_2022 = (
    "https://www.dhs.gov/sites/default/files/2022-10/"
    "2022_0928_plcy_family_unit_actions_report_june_2022.pdf"
)
FIXTURE = (
    Path(__file__).resolve().parent
    / "fixtures"
    / "dhs_family_unit_actions"
    / "fuar_june2022_reconstructed.pdf"
)


def labelled_parser(version: str, mapped: frozenset[str] = frozenset()):
    """The fake parser, plus an unmapped_label problem (as counts.py words it) per LABEL line
    that ``mapped`` does not know, and a non_numeric cell per CELL line."""

    def parse_labels(doc):
        result = dataclasses.replace(parse(doc), parser_version=version)
        if doc.is_pdf:
            text = doc.body.decode("latin-1")
            for label in re.findall(r"LABEL (.+)", text):
                if label not in mapped:
                    result.problems.append(
                        Problem(
                            "unmapped_label",
                            f"Table 1: cause label {label!r} is not in the taxonomy "
                            "(scrapers/data/causes.yaml)",
                            report=0,
                            page=3,
                        )
                    )
            for cell in re.findall(r"CELL (.+)", text):
                result.problems.append(
                    Problem(
                        "non_numeric",
                        f"Table 2: row {cell!r}, 'Count' holds 'n/a', not a number; not stored",
                        report=0,
                        page=4,
                    )
                )
        return result

    return RegisteredSource(dataclasses.replace(SOURCE, parser_version=version), parse_labels)


def body(title: str, *lines: str) -> bytes:
    return (
        "%PDF-1.4\nTITLE " + title + "\nTOTAL 5\n" + "".join(f"{x}\n" for x in lines) + "%%EOF\n"
    ).encode()


@pytest.fixture
def site():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        site = Site(rsps)
        site.page(LISTING, listing_html(R1, R2))
        site.page(
            R1,
            body("One", "LABEL Pending review", "LABEL Gang (suspected)", "CELL Yuma"),
            content_type="application/pdf",
        )
        site.page(R2, body("Two", "LABEL Pending review"), content_type="application/pdf")
        yield site


def poll(session, archive, now, reg):
    return poll_source(session, archive, make_fetcher()[0], reg, now=now, cycle=new_cycle(now))


def _parsing(session):
    return {
        row.subject: row
        for row in session.scalars(
            select(FindingRow).where(
                FindingRow.obligation_id == "operator", FindingRow.family == "parsing"
            )
        )
    }


def test_each_distinct_unmapped_label_is_one_finding_resolved_when_a_reparse_maps_it(
    session, archive, site
):
    poll(session, archive, T0, labelled_parser("1"))
    found = _parsing(session)
    assert sorted(found) == ["fake_agency|Gang (suspected)", "fake_agency|Pending review"]
    pending = found["fake_agency|Pending review"]
    assert (pending.kind, pending.state) == ("review", "open")
    assert [(d["url"], d["page"]) for d in pending.evidence["documents"]] == [(R1, 3), (R2, 3)]
    assert pending.evidence["label"] == "Pending review"
    assert "'Pending review' is not in the taxonomy" in pending.summary
    assert "monitor reparse fake_agency" in pending.summary

    groups = problem_groups(session)
    assert [(g.kind, g.what, g.url, g.count) for g in groups] == [
        ("unmapped_label", "Gang (suspected)", R1, 1),
        ("unmapped_label", "Pending review", R1, 1),
        ("unmapped_label", "Pending review", R2, 1),
        ("non_numeric", "row 'Yuma', 'Count' holds 'n/a', not a number; not stored", R1, 1),
    ]
    assert {g.finding for g in groups if g.kind == "unmapped_label"} == {
        pending.id,
        found["fake_agency|Gang (suspected)"].id,
    }

    # version 2 knows "Pending review": its finding resolves, dated by the reparse
    reparse_source(session, archive, labelled_parser("2", frozenset({"Pending review"})), now=LATER)
    found = _parsing(session)
    assert found["fake_agency|Pending review"].state == "resolved"
    assert found["fake_agency|Pending review"].resolved_at == LATER
    assert found["fake_agency|Gang (suspected)"].state == "open"
    changes = session.execute(
        select(FindingTransition.change, FindingTransition.detected_at)
        .where(FindingTransition.finding_id == pending.id)
        .order_by(FindingTransition.id)
    ).all()
    # each parse brings the finding in step: R2 joined it at T0, R1 left it at LATER
    assert changes == [("opened", T0), ("updated", T0), ("updated", LATER), ("resolved", LATER)]
    again = reparse_source(
        session,
        archive,
        labelled_parser("2", frozenset({"Pending review"})),
        now=LATER + timedelta(days=1),
    )
    assert {i.outcome for i in again} == {"skipped"}
    gang = _parsing(session)["fake_agency|Gang (suspected)"]
    assert session.scalars(
        select(FindingTransition.change).where(FindingTransition.finding_id == gang.id)
    ).all() == ["opened"]
    assert session.scalar(select(func.count()).select_from(FindingTransition)) == 5
    assert {p.what for p in current_problems(session) if p.kind == "unmapped_label"} == {
        "Gang (suspected)"
    }


def test_only_the_latest_reading_of_a_document_counts(session, archive, site):
    reg = labelled_parser("1")
    poll(session, archive, T0, reg)
    site.page(R1, body("One, corrected"), content_type="application/pdf")  # labels fixed
    later = T0 + timedelta(days=8)  # R1 is rechecked after recheck_days
    poll(session, archive, later, reg)
    found = _parsing(session)
    assert found["fake_agency|Gang (suspected)"].state == "resolved"
    pending = found["fake_agency|Pending review"]
    assert pending.state == "open"  # R2 still prints it
    assert [d["url"] for d in pending.evidence["documents"]] == [R2]
    assert {(p.kind, p.url) for p in current_problems(session)} == {("unmapped_label", R2)}
    # the label comes back in a new copy: the same finding reopens
    site.page(R1, body("One, again", "LABEL Gang (suspected)"), content_type="application/pdf")
    poll(session, archive, later + timedelta(days=8), reg)
    assert _parsing(session)["fake_agency|Gang (suspected)"].state == "open"


def test_monitor_problems_lists_a_real_report_s_unmapped_label(cli_db):
    rc, _out, err = cli_db(
        "ingest",
        "dhs_family_unit_actions",
        str(FIXTURE),
        "--url",
        JUNE_2022,
        "--fetched-at",
        "2022-09-30T12:00:00Z",
    )
    assert rc == 0, err
    rc, out, _err = cli_db("problems", "--json")
    assert rc == 0
    unmapped = [g for g in json.loads(out) if g["kind"] == "unmapped_label"]
    assert [(g["source"], g["label"], g["url"], g["pages"], g["count"]) for g in unmapped] == [
        ("dhs_family_unit_actions", "Pending review", JUNE_2022, [5], 1)
    ]
    finding = unmapped[0]["finding"]
    rc, out, _err = cli_db("findings", "--json")
    row = next(f for f in json.loads(out) if f["id"] == finding)
    assert (row["obligation"], row["kind"], row["family"], row["state"]) == (
        "operator",
        "review",
        "parsing",
        "open",
    )
    assert row["evidence"]["documents"][0]["page"] == 5

    rc, out, _err = cli_db("problems")
    assert rc == 0
    assert out.splitlines()[:3] == [
        "Parse problems: 1 unmapped_label in 1 document(s)",
        f"  unmapped_label     'Pending review'  (finding #{finding})",
        f"                     in {JUNE_2022} page 5",
    ]
    assert (
        cli_db("problems", "--source", "hhs_separated_children")[1]
        == "Parse problems: none in the latest reading of any document\n"
    )
    rc, out, err = cli_db("problems", "--source", "nope")
    assert (rc, out) == (1, "")
    assert err.startswith("error: unknown source 'nope'") and len(err.splitlines()) == 1
