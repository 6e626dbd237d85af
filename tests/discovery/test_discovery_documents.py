"""Whole documents in GovInfo's layouts: GPO text in HTML (a committee report, a public law),
PDF text, a flattened copy, a Congressional Record page, a PDF; and the API around them."""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

import pytest
import yaml

from scrapers.discovery import (
    Candidate,
    DocumentContext,
    contains_quote,
    context_for,
    discover,
    discover_document,
)
from scrapers.discovery.body import pages_of
from scrapers.discovery.layout import units
from scrapers.discovery.patterns import PatternsError, build, load

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The GovInfo renditions are the source's fixtures (one copy, also read by the golden parser
# test, the demo and the candidate tests).
GOVINFO = Path(__file__).resolve().parent.parent / "fixtures" / "govinfo_appropriations"
HOUSE = "https://www.govinfo.gov/content/pkg/CRPT-116hrpt180/html/CRPT-116hrpt180.htm"
BOTH = ["House Committee on Appropriations", "Senate Committee on Appropriations"]


def _read(name: str, context: DocumentContext):
    body = (GOVINFO / name if (GOVINFO / name).exists() else FIXTURES / name).read_bytes()
    result = discover_document(body, context, "text/html")
    assert result.problem is None
    # every quote is the official text's own words, whatever the layout did
    text = "\n".join(t for _p, t in pages_of(body))
    assert all(contains_quote(text, c.citation.quote) for c in result.candidates)
    return result.candidates


def test_committee_report_in_gpo_html():
    found = _read(
        "crpt_116hrpt180_htm_reconstructed.htm", context_for("CRPT-116hrpt180", url=HOUSE)
    )
    assert [(c.citation.heading, c.citation.page, c.agency, c.deadline.cadence) for c in found] == [
        (
            "U.S. Customs and Border Protection -- Operations and Support -- Family Separations",
            "24",
            "CBP",
            "one_time",
        ),
        ("U.S. Immigration and Customs Enforcement -- Separated Parents", "25", "ICE", "quarterly"),
        (
            "Office of Biometric Identity Management -- Homeland Advanced Recognition Technology",
            "25",
            "DHS",
            "one_time",
        ),
    ]
    separations, parents, hart = found
    # the paragraph runs over the page break; "the Committee" is the House committee
    assert separations.citation.quote.endswith(
        "based on information obtained from a foreign government."
    )
    assert "[[Page" not in separations.citation.quote
    assert "foreign_government_information" in separations.topics
    assert separations.recipients == ("House Committee on Appropriations",)
    assert (separations.deadline.days, separations.deadline.anchor) == (90, "enactment")
    assert separations.citation.title == "II" and separations.citation.url == HOUSE
    # the sentence of concern before the duty is not part of it
    assert not separations.citation.quote.startswith("The Committee remains concerned")
    assert (parents.agency_phrase, parents.kind) == ("the Director", "briefing")
    assert (hart.deadline.days, hart.kind, hart.topics) == (60, "disclosure", ("hart",))
    assert not any("wall" in c.citation.quote or "$20,000,000" in c.citation.quote for c in found)


def test_public_law_in_gpo_html():
    found = _read("plaw_116publ26_htm_reconstructed.htm", DocumentContext("PLAW-116publ26"))
    assert [c.citation.section for c in found] == ["sec. 408", "sec. 501(a)"]
    sec408, sec501 = found
    # "the Secretary" under "TITLE IV--DEPARTMENT OF HEALTH AND HUMAN SERVICES"
    assert (sec408.agency, sec408.agency_phrase) == ("HHS", "the Secretary")
    assert sec408.citation.page == "133 STAT. 1020"
    assert sec408.recipients == tuple(BOTH + ["the public"])
    assert (sec408.deadline.cadence, sec408.deadline.days) == ("monthly", 14)
    assert "NOTE" not in sec408.citation.quote and "<" not in sec408.citation.quote
    assert sec408.citation.quote.endswith(
        "(2) the documented cause of separation, as reported by DHS when each child was referred."
    )
    assert "(1) the number and ages of children so separated" in sec408.content
    # (b) adds publication to (a)'s report; (c) is a report on another subject
    assert (sec501.deadline.cadence, sec501.deadline.days, sec501.deadline.anchor) == (
        "quarterly",
        30,
        "period_end",
    )
    assert sec501.recipients == tuple(BOTH + ["the public"])
    assert "body-worn" not in sec501.citation.quote
    assert sec501.agency == "DHS" and sec501.citation.page == "133 STAT. 1021"


def test_pdf_text_with_hyphenation_imprints_and_page_numbers():
    found = _read("crpt_pdf_text_reconstructed.txt", context_for("CRPT-116hrpt180"))
    assert [(c.citation.heading, c.citation.page) for c in found] == [
        ("Family Separations", "18"),
        ("Biometric Data Sharing", "19"),
    ]
    assert all("VerDate" not in c.citation.quote for c in found)
    assert "report to the Committee not later than" in found[0].citation.quote  # "Com-\nmittee"
    assert found[0].recipients == ("House Committee on Appropriations",)
    assert (found[1].deadline.cadence, found[1].deadline.phrase) == ("unspecified", "semiannually")


def test_a_bill_section_with_its_title_and_subsections():
    text = (
        "SEC. 216. REPORT ON FAMILY SEPARATIONS.\n"
        "    (a) In General.--Not later than 90 days after the date of enactment \n"
        "of this Act, and every 90 days thereafter, the Secretary shall submit \n"
        "to the appropriate congressional committees a report on each \n"
        "such separation.\n"
        "    (b) Contents.--Each report under subsection (a) shall include--\n"
        "            (1) the number of children separated; and\n"
        "            (2) whether each separation relied on information from a \n"
        "        foreign government.\n"
        "SEC. 217. REPORT ON THE BORDER WALL.\n"
        "    Not later than 90 days after the date of enactment of this Act, the \n"
        "Secretary shall submit a report on the cost of the border wall.\n"
    )
    (found,) = discover(text, DocumentContext("BILLS-117hr4431enr", agency="DHS"))
    assert (found.citation.section, found.deadline.cadence, found.deadline.days) == (
        "sec. 216(a)",
        "quarterly",
        90,
    )
    assert found.recipients == ("appropriate congressional committees",)
    assert "foreign_government_information" in found.topics
    assert found.citation.quote.startswith("(a) In General.--Not later than 90 days")
    assert contains_quote(text, found.citation.quote)


def test_a_flattened_copy_is_cut_at_its_report_headings():
    filler = "The Committee notes the continued growth in apprehensions at the border. " * 12
    text = (
        f"Border Wall.--{filler}The Committee directs CBP to report on the cost of the wall. "
        "Family Separations.--The Committee directs CBP to report monthly on family "
        f"separations at ports of entry. Staffing.--{filler}"
    )
    assert "\n" not in text and len(text) > 1500
    found = discover(text, "CREC-2022-03-09")
    assert [(c.citation.heading, c.deadline.cadence) for c in found] == [
        ("Family Separations", "monthly")
    ]
    assert found[0].citation.quote == (
        "The Committee directs CBP to report monthly on family separations at ports of entry."
    )


def test_congressional_record_page_markers():
    text = (
        "[Congressional Record Volume 168, Number 42 (Wednesday, March 9, 2022)]\n[House]\n"
        "[Pages H1709-H2203]\nFrom the Congressional Record Online through the Government "
        "Publishing Office [www.gpo.gov]\n\n[[Page H1890]]\n\n  Family Separations.--The "
        "agreement directs CBP to notify the Committees within 24 hours of each\n"
        "separation of a child from a parent that relied on an INTERPOL Red Notice.\n"
    )
    (found,) = discover(text, "CREC-2022-03-09")
    assert found.citation.page == "H1890"
    assert found.recipients == tuple(BOTH)
    assert (found.deadline.cadence, found.deadline.hours) == ("per_event", 24)
    assert "Congressional Record" not in found.citation.quote


def test_mirror_copy_without_indentation_keeps_paragraphs_apart():
    # House Report 115-877 as a mirror stores it: GovInfo's lines, indentation stripped
    text = (
        "The Committee on Homeland Security, to whom was referred\n"
        "the resolution (H. Res. 1005) directing the Secretary of\n"
        "Homeland Security to transmit certain documents to the House of\n"
        "Representatives relating to the border security policies,\n"
        "procedures, and activities as such relate to the interdiction\n"
        "of families by the U.S. Border Patrol between ports of entry,\n"
        "having considered the same, report unfavorably thereon without\n"
        "amendment and recommend that the resolution not be agreed to.\n"
        "CONTENTS\n"
        "The Committee directs the Department to report monthly to the\n"
        "Committee on children separated from a parent.\n"
        "The Committee also notes the number of apprehensions of family\n"
        "units at the southwest border in fiscal year 2018.\n"
    )
    read = units([(None, text)], load())
    assert [u.text[:24] for u in read] == [
        "The Committee on Homelan",
        "The Committee directs th",
        "The Committee also notes",
    ]
    assert [c.deadline.cadence for c in discover(text, "CRPT-115hrpt877")] == ["monthly"]


def test_html_without_pre_and_plain_text_bytes():
    html = (
        b"<html><head><title>x</title><script>var report = 'shall submit';</script></head>"
        b"<body><p>The Committee directs ORR to report monthly on separated children.</p>"
        b"<p>The Committee directs ORR to report on its lease costs.</p></body></html>"
    )
    result = discover_document(html, "CRPT-117srpt85")
    assert [c.citation.quote for c in result.candidates] == [
        "The Committee directs ORR to report monthly on separated children."
    ]
    assert result.units_read == 2
    text = "The Secretary shall notify the Committees within 24 hours of a family separation."
    found = discover_document(text.encode("cp1252"), "CRPT-117srpt85").candidates
    assert found[0].recipients == tuple(BOTH)


def test_pdf_pages_are_cited_by_number():
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=letter)
    pdf.drawString(72, 720, "The Committee notes the growth in family unit apprehensions.")
    pdf.showPage()
    pdf.drawString(72, 720, "The Committee directs ICE to brief the Committee quarterly on")
    pdf.drawString(72, 706, "each parent separated from a child in ICE custody.")
    pdf.save()
    result = discover_document(buf.getvalue(), context_for("CRPT-117hrpt396"))
    assert [(c.citation.page, c.agency, c.deadline.cadence) for c in result.candidates] == [
        ("2", "ICE", "quarterly")
    ]


@pytest.mark.parametrize(
    "body,kind",
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "parse_error"),
        (b"<html><body><p> </p></body></html>", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "wrong_type"),
    ],
)
def test_unreadable_documents_are_a_typed_problem(body, kind):
    result = discover_document(body, "PLAW-117publ103")
    assert result.candidates == () and result.problem.kind == kind
    assert result.to_json()["problem"]["kind"] == kind


def test_candidate_json_and_id():
    text = (
        "Sec. 235. Not later than 14 days after the date of enactment of this Act, and monthly "
        "thereafter, the Secretary shall submit to Congress a report on children separated "
        "from their parents."
    )
    (a,) = discover(text, DocumentContext("PLAW-116publ94", agency="HHS"))
    (b,) = discover(text.replace("  ", " "), DocumentContext("PLAW-116publ94", agency="HHS"))
    (c,) = discover(text, DocumentContext("PLAW-116publ93", agency="HHS"))
    assert isinstance(a, Candidate) and a.id == b.id != c.id
    data = a.to_json()
    for key in (
        "id",
        "package",
        "section",
        "agency",
        "recipients",
        "cadence",
        "days",
        "hours",
        "deadline_phrase",
        "topics",
        "quote",
        "content",
    ):
        assert key in data
    assert (data["package"], data["section"], data["agency"], data["days"]) == (
        "PLAW-116publ94",
        "sec. 235",
        "HHS",
        14,
    )
    assert yaml.safe_load(yaml.safe_dump(data)) == data  # plain data only


def test_contains_quote_ignores_layout():
    official = (
        "Sec. 408. Not later than 14 days after the date of enact-\nment of this Act, and "
        "monthly thereafter, the Secretary shall submit ``a report''\u2014"
    )
    assert contains_quote(
        official,
        'the date of enactment of this Act, and monthly thereafter, '
        'the Secretary shall submit "a report"',
    )
    assert not contains_quote(official, "and quarterly thereafter")
    assert not contains_quote(official, "  ")


def test_context_for_packages():
    assert context_for("CRPT-116srpt125").committee == "Senate Committee on Appropriations"
    assert context_for("CRPT-116hrpt180").committee == "House Committee on Appropriations"
    assert (
        context_for(
            "PLAW-116publ93", title="Department of Homeland Security Appropriations Act, 2020"
        ).agency
        == "DHS"
    )
    omnibus = "Consolidated Appropriations Act (Homeland Security; Health and Human Services)"
    assert context_for("PLAW-116publ94", title=omnibus).agency is None


def test_bad_pattern_data_is_a_clear_error():
    data = yaml.safe_load(
        resources.files("scrapers").joinpath("data/discovery.yaml").read_text(encoding="utf-8")
    )
    data["topics"]["hart"]["any"].append("(unclosed")
    with pytest.raises(PatternsError, match="bad pattern"):
        build(data)
    with pytest.raises(PatternsError, match="malformed"):
        build({"topics": {}})
