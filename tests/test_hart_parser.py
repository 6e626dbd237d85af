"""The dhs_hart_publications parser on the family of pages it must read, beyond the recovered
examples: other label wordings and layouts of the same facts, dates in several formats, each kind
of document, and the pages it must refuse (typed problems, never a silent pass)."""

from __future__ import annotations

from datetime import date

import pytest

from scrapers.records import Document
from scrapers.sources.dhs_hart_publications import (
    HART_PAGE,
    PRIVACY_LIBRARY,
    parse,
    parse_date,
)
from scrapers.validate import outcome, validate
from scrapers.sources.dhs_hart_publications import SOURCE

PAGE = "https://www.dhs.gov/publication/example"
HART_TEXT = (
    "The Homeland Advanced Recognition Technology System (HART) replaces IDENT as the "
    "primary DHS system for storage and processing of biometric information."
)


def _page(title: str, after: str, body: str = HART_TEXT, url: str = PAGE):
    html = (
        f"<html><head><title>{title} | Homeland Security</title></head><body><main>"
        f"<h1>{title}</h1><div><p>{body}</p></div>{after}</main></body></html>"
    )
    result = validate(parse(Document(html.encode(), url, "text/html")))
    return result, outcome(result, SOURCE.report_shape if result.reports else SOURCE.listing_shape)


@pytest.mark.parametrize(
    "printed,expected",
    [
        ("July 6, 2021", (date(2021, 7, 6), "day")),
        ("Jul 6, 2021", (date(2021, 7, 6), "day")),
        ("Sept. 6, 2021", (date(2021, 9, 6), "day")),
        ("September 6th, 2021", (date(2021, 9, 6), "day")),
        ("07/06/2021", (date(2021, 7, 6), "day")),
        ("7/6/2021", (date(2021, 7, 6), "day")),
        ("2021-07-06", (date(2021, 7, 6), "day")),
        ("6 July 2021", (date(2021, 7, 6), "day")),
        ("August 2024", (date(2024, 8, 1), "month")),
        ("February 30, 2021", None),
        ("13/40/2021", None),
        ("soon", None),
    ],
)
def test_dates_in_the_forms_dhs_prints_them(printed, expected):
    assert parse_date(printed) == expected


@pytest.mark.parametrize(
    "labels,created,published,updated",
    [
        (
            "<div>Created Date: May 1, 2020</div><div>Last Published Date: July 6, 2021</div>",
            date(2020, 5, 1),
            date(2021, 7, 6),
            None,
        ),
        (
            "<p>Date Created: 05/01/2020</p><p>Published: 2021-07-06</p>",
            date(2020, 5, 1),
            date(2021, 7, 6),
            None,
        ),
        (
            "<div class='usa-footer__last-updated'>Last Updated: 08/26/2024</div>",
            None,
            None,
            date(2024, 8, 26),
        ),
        (
            "<dl><dt>Publication Date</dt><dd>August 14, 2024</dd>"
            "<dt>Last Updated Date</dt><dd>26 August 2024</dd></dl>",
            None,
            date(2024, 8, 14),
            date(2024, 8, 26),
        ),
        ("<p>Page Last Reviewed/Updated: 08/26/2024</p>", None, None, date(2024, 8, 26)),
        ("<p>Last Modified: Aug. 26, 2024</p>", None, None, date(2024, 8, 26)),
    ],
)
def test_date_labels_in_several_wordings_and_layouts(labels, created, published, updated):
    result, got = _page("DHS/OBIM/PIA-004 HART Increment 1", labels)
    (pub,) = result.publications
    assert (pub.created, pub.last_published, pub.last_updated) == (created, published, updated)
    assert got == ("ok" if (created or published or updated) else "layout_changed")


def test_a_word_published_inside_a_sentence_is_no_label():
    body = HART_TEXT + " The SORN was published July 6, 2021 in the Federal Register."
    result, got = _page("DHS/OBIM/PIA-004 HART Increment 1", "", body=body)
    assert result.publications[0].last_published is None and got == "layout_changed"


@pytest.mark.parametrize(
    "title,body,pdf,document_id,kind",
    [
        ("DHS/OBIM/PIA-004 HART Increment 1", HART_TEXT, None, "DHS/OBIM/PIA-004", "pia"),
        ("DHS/OBIM/PIA-004(a) HART Update", HART_TEXT, None, "DHS/OBIM/PIA-004(a)", "pia_update"),
        (
            "DHS/OBIM/PIA-004 HART Increment 1",
            "While HART is not yet operational, the Department is issuing this Privacy Impact "
            "Assessment (PIA) update.",
            "/sites/default/files/2024-08/24_0826_priv_pia-obim-004a-HART-update.pdf",
            "DHS/OBIM/PIA-004(a)",
            "pia_update",
        ),
        (
            "DHS/OBIM/PIA-004 HART Increment 1",
            "See DHS/OBIM/PIA-004(b) for the next increment.",
            None,
            "DHS/OBIM/PIA-004(b)",
            "pia_update",
        ),
        (
            "DHS/ALL-041 External Biometric Records (EBR) System of Records",
            HART_TEXT,
            None,
            "DHS/ALL-041",
            "sorn",
        ),
        (
            "Homeland Advanced Recognition Technology (HART) Report to Congress",
            HART_TEXT,
            None,
            None,
            "report_to_congress",
        ),
        ("Privacy Impact Assessment for HART", HART_TEXT, None, None, "pia"),
        (
            "DHS/TSA/PIA-052 Checkpoint Information Management",
            "TSA screening.",
            None,
            "DHS/TSA/PIA-052",
            "pia",
        ),
    ],
)
def test_each_kind_of_document_and_its_id(title, body, pdf, document_id, kind):
    link = f"<p><a href='{pdf}'>Download the PDF</a></p>" if pdf else ""
    result, _ = _page(title, link + "<p>Last Updated: 08/26/2024</p>", body=body)
    (pub,) = result.publications
    assert (pub.document_id, pub.kind) == (document_id, kind)
    assert pub.mentions_hart == ("HART" in f"{title} {body}")


def test_a_page_keeps_its_pdf_its_sorns_and_its_description_only():
    after = (
        "<p><a href='/sites/default/files/publications/privacy-pia-obim004-hart.pdf'>"
        "DHS/OBIM/PIA-004 HART Increment 1</a> (PDF, 62 pages)</p>"
        "<h2>Associated SORN(s):</h2><ul><li><a href='/publication/dhsall-041'>DHS/ALL-041 "
        "External Biometric Records (EBR)</a></li></ul>"
        "<p>Last Published Date: July 6, 2021</p><p>Back to Top</p>"
    )
    result, got = _page("DHS/OBIM/PIA-004 HART Increment 1", after)
    (pub,) = result.publications
    pdf = "https://www.dhs.gov/sites/default/files/publications/privacy-pia-obim004-hart.pdf"
    # its one link is its PDF (its body, to be read): the SORN links do not make it a listing
    assert got == "ok" and [link.url for link in result.links] == [pdf]
    assert pub.pdf_url == pdf and pub.body is None
    assert pub.sorns == ["DHS/ALL-041 External Biometric Records (EBR)"]
    assert pub.summary == HART_TEXT
    (report,) = result.reports
    assert (report.issued, report.issued_precision) == (date(2021, 7, 6), "day")


def test_a_date_in_the_text_only_dates_the_report_by_its_month():
    result, got = _page("DHS/OBIM/PIA-004 HART Increment 1", "", body=HART_TEXT + " August 2024")
    assert got == "layout_changed"
    assert (result.reports[0].issued, result.reports[0].issued_precision) == (
        date(2024, 8, 1),
        "month",
    )
    assert "only the date in its text, 2024-08-01" in result.problems[0].detail


def _listing(items: str, url: str = PRIVACY_LIBRARY):
    html = (
        "<html><body><h1>Privacy</h1><p>The DHS Privacy Office is responsible for evaluating "
        f"the Department programs.</p><ul>{items}</ul></body></html>"
    )
    result = validate(parse(Document(html.encode(), url, "text/html")))
    return result, outcome(result, SOURCE.listing_shape)


def test_the_listing_keeps_the_entries_about_hart_and_only_them():
    items = (
        "<li><a href='/publication/dhsobimpia-005'>DHS/OBIM/PIA-005 OBIM-NIST Data "
        "Transfer</a><p>HART will replace IDENT.</p></li>"
        "<li><a href='/publication/dhsobimpia-001'>DHS/OBIM/PIA-001 Automated Biometric "
        "Identification System (IDENT)</a></li>"
        "<li><a href='/publication/dhstsapia-052'>DHS/TSA/PIA-052 Checkpoint</a>"
        "<p>The Transportation Security Administration screens passengers.</p></li>"
        "<li><a href='/sites/default/files/x.pdf'>A PDF, not a publication page</a></li>"
    )
    result, got = _listing(items)
    assert got == "ok" and result.problems == []
    assert [link.url for link in result.links] == [
        "https://www.dhs.gov/publication/dhsobimpia-005",
        "https://www.dhs.gov/publication/dhsobimpia-001",
    ]


def test_a_listing_about_other_programmes_is_a_good_read_that_links_nothing():
    result, got = _listing("<li><a href='/publication/dhstsapia-052'>DHS/TSA/PIA-052</a></li>")
    assert got == "ok" and result.links == [] and result.problems == []


def test_an_empty_listing_and_an_unknown_page_are_typed_problems():
    result, got = _listing("")
    assert got == "empty" and [p.kind for p in result.problems] == ["empty"]
    html = b"<html><body><h1>Site maintenance</h1><p>Back soon.</p></body></html>"
    result = validate(parse(Document(html, HART_PAGE, "text/html")))
    assert [p.kind for p in result.problems] == ["layout_changed"]
    assert outcome(result, SOURCE.listing_shape) == "layout_changed"


def test_a_pdf_cover_names_the_document_its_id_and_date():
    text = (
        "Privacy Impact Assessment Update\nfor the\nHomeland Advanced Recognition Technology "
        "System (HART)\nDHS Reference No. DHS/OBIM/PIA-004(b)\nMarch 3, 2026\n"
        "Abstract\nThis update describes HART's information sharing partners.\nOverview\n..."
    )
    url = "https://www.dhs.gov/sites/default/files/2026-03/pia-obim-004b.pdf"
    result = validate(parse(Document(text.encode(), url, "text/plain")))
    (pub,) = result.publications
    assert (pub.document_id, pub.kind, pub.dated) == (
        "DHS/OBIM/PIA-004(b)",
        "pia_update",
        date(2026, 3, 3),
    )
    assert pub.pdf_url == url and pub.summary.startswith("This update describes")
    assert result.problems == []


def test_a_date_more_than_a_year_after_the_fetch_is_refused():
    html = (
        "<html><body><h1>DHS/OBIM/PIA-004 HART</h1><p>" + HART_TEXT + "</p>"
        "<p>Last Updated: 08/26/2031</p></body></html>"
    ).encode()
    result = validate(parse(Document(html, PAGE, "text/html")), fetched=date(2024, 9, 1))
    assert result.publications[0].last_updated is None
    assert "invalid_record" in result.problem_kinds()
