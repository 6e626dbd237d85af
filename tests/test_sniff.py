"""One content sniffer: what a body is by its first bytes, whatever a header or a file name says,
and the one HTML-to-text. The fetcher's response check and the document reader agree on it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from junk_bodies import GZIP, HTML_PAGE, JPEG, PNG, RANDOM, XLSX, ZIP, zip_of
from scrapers.fetch import response_check
from scrapers.read import htmltext
from scrapers import sniff
from scrapers.read.documents import load
from scrapers.records import Document, Problem


BODIES = [
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf"),
    ("pdf after whitespace", b"\r\n  %PDF-1.4\n", "application/pdf"),
    ("png", PNG, "image/png"),
    ("jpeg", JPEG, "image/jpeg"),
    ("gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "image/gif"),
    ("tiff", b"II*\x00\x08\x00\x00\x00", "image/tiff"),
    ("zip", ZIP, "application/zip"),
    (
        "docx",
        zip_of("[Content_Types].xml", "word/document.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (
        "legacy office",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        "application/x-ole-storage",
    ),
    ("gzip", GZIP, "application/gzip"),
    ("random bytes", RANDOM, "application/octet-stream"),
    ("nul bytes", b"\x00" * 300, "application/octet-stream"),
    ("html", HTML_PAGE, "text/html"),
    ("html without doctype", b"<p>Reports</p><a href='/r.pdf'>r</a>", "text/html"),
    ("html after a byte-order mark", b"\xef\xbb\xbf<html><body>x</body></html>", "text/html"),
    ("xml", b'<?xml version="1.0"?><rss><channel/></rss>', "application/xml"),
    ("utf-8 text", "Family Unit Actions Report \u2013 June 2022\n".encode(), "text/plain"),
    ("cp1252 text", "Unaccompanied ni\xf1os \u2013 report".encode("cp1252"), "text/plain"),
    ("text starting like BMP", b"BMI of the children\n", "text/plain"),
]


@pytest.mark.parametrize(
    "body,expected", [(b, e) for _n, b, e in BODIES], ids=[n for n, _b, _e in BODIES]
)
def test_the_bytes_say_what_a_body_is(body, expected):
    assert sniff.sniff(body).media_type == expected


def test_a_recognised_signature_beats_the_header_and_a_specific_header_stands():
    assert sniff.effective_type("text/html; charset=utf-8", PNG) == "image/png"
    assert sniff.effective_type("application/pdf", RANDOM) == "application/octet-stream"
    assert sniff.effective_type("application/pdf", b"Plain words\n") == "text/plain"
    assert sniff.effective_type("application/pdf", HTML_PAGE) == "text/html"
    assert sniff.effective_type("text/plain", HTML_PAGE) == "text/html"
    assert sniff.effective_type("application/octet-stream", b"  %PDF-1.4") == "application/pdf"
    assert sniff.effective_type("application/json", b'{"a": 1}') == "application/json"
    assert sniff.effective_type("text/html", b"Plain words") == "text/html"


JUNK = [
    (n, b)
    for n, b, e in BODIES
    if e not in ("application/pdf", "text/html", "application/xml", "text/plain")
]
PDF_URL = "https://www.dhs.gov/sites/default/files/2022-10/report.pdf"


@pytest.mark.parametrize(
    "body",
    [b for _n, b in JUNK] + [HTML_PAGE, b"Plain words\n"],
    ids=[n for n, _b in JUNK] + ["html", "text"],
)
def test_fetch_and_parse_agree_that_junk_at_a_pdf_address_is_wrong_type(body):
    """The same body served as a PDF is wrong_type to the fetcher's check and to the reader."""
    verdict = response_check.classify_response(
        200,
        {"Content-Type": "application/pdf"},
        body[: response_check.HEAD_BYTES],
        url=PDF_URL,
        final_url=PDF_URL,
        allowed_types=("text/html", "application/pdf"),
    )
    assert verdict is not None and verdict.outcome == "wrong_type"
    loaded = load(Document(body, PDF_URL, "application/pdf"))
    assert isinstance(loaded, Problem) and loaded.kind == "wrong_type"
    assert sniff.sniff(body).description in loaded.detail


@pytest.mark.parametrize("name,body", JUNK, ids=[n for n, _b in JUNK])
def test_junk_is_wrong_type_whatever_it_is_declared(name, body):
    for declared in (None, "text/html", "text/plain", "application/octet-stream"):
        loaded = load(Document(body, "https://www.hhs.gov/listing/index.html", declared))
        assert isinstance(loaded, Problem) and loaded.kind == "wrong_type", (name, declared)


def test_text_and_pages_not_given_as_pdf_are_read():
    """A page saved as text from a mirror is a supported input, whatever address it had."""
    loaded = load(Document(b"Family Unit Actions Report\nJune 2022\n", PDF_URL, "text/plain"))
    assert not isinstance(loaded, Problem) and loaded.kind == "text"
    loaded = load(Document(HTML_PAGE, "https://www.dhs.gov/x", None))
    assert not isinstance(loaded, Problem) and loaded.kind == "html"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_get_a_type_and_a_typed_reading(body):
    found = sniff.sniff(body)
    assert found.media_type and found.description
    loaded = load(Document(body, PDF_URL, None))
    if isinstance(loaded, Problem):
        assert loaded.kind in ("empty", "wrong_type", "parse_error")
    else:
        assert found.is_text or found.is_pdf


def test_one_html_to_text_for_the_reader_and_the_response_check():
    page = (
        b"<html><head><title>Report &amp; Data</title><style>p{}</style></head><body>"
        b"<h1>Family Unit Actions Report</h1><script>var x;</script><p>June 2022</p>"
        b"<table><tr><td>Total</td><td>7</td></tr></table></body></html>"
    )
    text = htmltext.visible_text(htmltext.parse_html(page))
    assert text.splitlines() == [
        "Report & Data",
        "Family Unit Actions Report",
        "June 2022",
        "Total 7",
    ]
    seen = response_check.page_head(page)
    assert seen.prominent == ["Report & Data", "Family Unit Actions Report"]
    assert seen.text == "Report & Data Family Unit Actions Report June 2022 Total 7"
    assert htmltext.plain_text(b"  Plain\r\n  words \n") == "Plain\nwords"
