"""The cheaper response check and link reader say exactly what the plain versions said.

`scrapers/fetch/response_check.py` reads a page once for all its checks, builds the visible text only for a
page that may be short, and searches a fingerprint only in a page holding one of its words;
`scrapers/read/listings.py` finds each link's heading in one walk of the tree instead of one XPath
search per link. Here the plain versions (every fingerprint searched, the text always built, the
heading by XPath) are the reference, over every saved document, the junk and denial pages of
the other tests, and generated pages that hide fingerprints and phrases anywhere in the page
(in scripts, comments, attributes, past the first kilobytes, beside letters that Python's
case-insensitive matching folds to ASCII)."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import junk_bodies
from fetch_fakes import AKAMAI, CLOUDFLARE, F5, INCAPSULA, PARDON, RATE_PAGE, SOFT_404
from scrapers.fetch import response_check
from scrapers.read import htmltext, listings
from scrapers import sniff

FIXTURES = Path(__file__).resolve().parent / "fixtures"


# --- the reference: the checks as they were before they were made cheaper -----------------


def reference_page(head: bytes) -> response_check.PageHead:
    head = head[: response_check.HEAD_BYTES]
    raw = head.decode("utf-8", errors="replace")
    prominent, text = [], ""
    if sniff.looks_like_html(head):
        try:
            root = htmltext.parse_html(head)
        except ValueError:
            root = None
        if root is not None:
            for tags in (("title",), ("h1", "h2")):
                prominent += [
                    response_check._squeeze(htmltext.visible_text(el)) for el in root.iter(*tags)
                ]
            text = response_check._squeeze(htmltext.visible_text(root))
    else:
        text = response_check._squeeze(htmltext.plain_text(head))
    return response_check.PageHead([p for p in prominent if p], html.unescape(raw), None, text)


def reference_classify(status, headers, head, *, url, final_url, allowed_types):
    verdict = response_check._header_denial(status, headers)
    if verdict is None and not sniff.is_pdf(head):
        page = reference_page(head)
        for vendor, pattern, _words in response_check.FINGERPRINTS:  # every pattern, no pre-check
            m = pattern.search(page.raw)
            if m:
                verdict = response_check.Verdict(
                    "blocked",
                    f"{vendor} denial page (HTTP {status}): "
                    f"{response_check._SPACE.sub(' ', m.group(0))[:100]}",
                )
                break
        else:
            phrase = response_check._phrase_in(page, response_check.RATE_LIMIT_PHRASES)
            if phrase:
                verdict = response_check.Verdict(
                    "blocked", f"rate-limit page (HTTP {status}): {phrase}"
                )
            elif phrase := response_check._phrase_in(page, response_check.DENIAL_PHRASES):
                verdict = response_check.Verdict(
                    "blocked", f"denial page (HTTP {status}): {phrase}"
                )
    if verdict:
        return verdict
    if not 200 <= status < 300:
        return response_check.Verdict("http_error", f"HTTP {status}")
    path = urlsplit(final_url).path or ""
    if response_check.NOT_FOUND_PATH.search(path):
        return response_check.Verdict("http_error", f"soft 404: redirected to {path}")
    if not sniff.is_pdf(head) and sniff.looks_like_html(head):
        phrase = response_check._phrase_in(reference_page(head), response_check.NOT_FOUND_PHRASES)
        if phrase:
            return response_check.Verdict("http_error", f"soft 404 (HTTP 200 page says: {phrase})")
    return response_check.wrong_type(
        url, {k.lower(): v for k, v in headers.items()}.get("content-type"), head, allowed_types
    )


def reference_anchors(root, base_url):
    """The heading of each link by XPath, as the reader found it before."""
    found = listings.anchors(root, base_url)
    links = [
        a
        for a in root.iter("a")
        if (a.get("href") or "").strip()
        and not (a.get("href") or "").strip().startswith(listings._SKIPPED)
        and urlsplit((a.get("href") or "").strip()).scheme in ("http", "https", "file")
    ]
    assert len(links) == len(found)
    headings = []
    for a in links:
        h = a.xpath("preceding::*[self::h1 or self::h2 or self::h3 or self::h4][1]")
        headings.append(listings._squash(h[0].text_content()) if h else "")
    return found, headings


# --- the bodies -----------------------------------------------------------------------------


def saved_bodies() -> list[tuple[str, bytes]]:
    out = [
        (str(p.relative_to(FIXTURES)), p.read_bytes())
        for p in sorted(FIXTURES.rglob("*"))
        if p.is_file() and p.suffix in (".html", ".htm", ".txt", ".pdf", ".xml", ".json")
    ]
    out += [
        (name, getattr(junk_bodies, name))
        for name in dir(junk_bodies)
        if name.isupper() and isinstance(getattr(junk_bodies, name), bytes)
    ]
    out += [
        ("AKAMAI", AKAMAI),
        ("CLOUDFLARE", CLOUDFLARE),
        ("F5", F5),
        ("INCAPSULA", INCAPSULA),
        ("PARDON", PARDON),
        ("RATE_PAGE", RATE_PAGE),
        ("SOFT_404", SOFT_404),
    ]
    return out


BODIES = saved_bodies()
URLS = [
    ("https://www.agency.gov/reports/index.html", "https://www.agency.gov/reports/index.html"),
    ("https://www.agency.gov/r.pdf", "https://www.agency.gov/404.html"),
]


def both(body: bytes, status: int = 200, headers=None, urls=URLS[0]):
    headers = headers if headers is not None else {"content-type": "text/html"}
    kw = dict(url=urls[0], final_url=urls[1], allowed_types=("text/html", "application/pdf"))
    return response_check.classify_response(status, headers, body, **kw), reference_classify(
        status, headers, body, **kw
    )


@pytest.mark.parametrize("name,body", BODIES, ids=[n for n, _b in BODIES])
def test_every_saved_body_gets_the_verdict_it_got_before(name, body):
    for status in (200, 403, 503):
        for urls in URLS:
            new, old = both(body, status, urls=urls)
            assert new == old, (name, status, urls)
    if sniff.looks_like_html(body):
        page = response_check.page_head(body)
        assert page.text == reference_page(body).text and page.short == reference_page(body).short


def test_the_saved_corpus_holds_denial_pages_and_genuine_pages():
    verdicts = [both(body)[0] for _n, body in BODIES]
    assert any(v and v.outcome == "blocked" for v in verdicts)
    assert any(v is None for v in verdicts)


@pytest.mark.parametrize(
    "name,body",
    [(n, b) for n, b in BODIES if sniff.looks_like_html(b)],
    ids=[n for n, b in BODIES if sniff.looks_like_html(b)],
)
def test_every_saved_page_gets_the_link_headings_it_got_before(name, body):
    found, headings = reference_anchors(
        htmltext.parse_html(body), "https://www.agency.gov/reports/index.html"
    )
    assert [a.heading for a in found] == headings


# --- generated pages ------------------------------------------------------------------------

NEEDLES = [
    "Reference #18.2d351ab8.1557333295.a4e16ab",
    "errors.edgesuite.net",
    "Attention Required! | Cloudflare",
    "cf-error-details",
    "/cdn-cgi/challenge-platform/",
    "Sorry, you have been blocked",
    "Checking your browser before accessing",
    "The requested URL was rejected. Please consult with your administrator.",
    "Your support ID is: 1234567890",
    "Incapsula incident ID",
    "Pardon Our Interruption",
    "Sucuri WebSite Firewall",
    "The request could not be satisfied. CloudFront",
    "Press &amp; Hold to confirm you are",
    "px-captcha",
    "captcha-delivery.com",
    "Access Denied",
    "Too Many Requests",
    "Page not found",
    "Just a moment...",
    "\u017forry, you have been blocked",
    "\u0130ncapsula incident id",
    "s\u0131te blocked",
    "\u212aeep calm",
    "S\u0130te",
    "reference #",
    "cloudflare",
    "checking things",
]
FILLER = st.sampled_from(
    [
        "The Secretary shall report the number of children separated. ",
        "Monthly report. ",
        "\u00a0",
        "  \n\t",
        "<br>",
        "Total 7 ",
    ]
)


@st.composite
def pages(draw):
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(
            st.sampled_from(
                [
                    "text",
                    "needle",
                    "script",
                    "comment",
                    "attr",
                    "title",
                    "heading",
                    "filler",
                    "template",
                    "style",
                    "link",
                ]
            )
        )
        needle = draw(st.sampled_from(NEEDLES))
        words = "".join(draw(st.lists(FILLER, max_size=40)))
        parts.append(
            {
                "text": f"<p>{words}{needle}</p>",
                "needle": needle,
                "script": f"<script>var x='{needle}{words}';</script>",
                "comment": f"<!-- {needle} -->",
                "attr": f'<div data-x="{needle}">{words}</div>',
                "title": f"<title>{needle}</title>",
                "heading": f"<h{draw(st.integers(1, 4))}>{needle}</h1>",
                "filler": words * draw(st.integers(1, 60)),
                "template": f"<template><p>{needle}{words}</p></template>",
                "style": f"<style>/* {needle} */ p{{}}</style>",
                "link": f'<li><a href="/r/{len(parts)}.pdf">{needle}</a></li>',
            }[kind]
        )
    return ("<html><head></head><body>" + "".join(parts) + "</body></html>").encode()


@settings(max_examples=300, deadline=None)
@given(pages(), st.sampled_from([200, 403]))
def test_generated_pages_get_the_verdict_they_got_before(body, status):
    new, old = both(body, status)
    assert new == old
    assert response_check.page_head(body).short == reference_page(body).short


@settings(max_examples=200, deadline=None)
@given(pages())
def test_generated_pages_get_the_link_headings_they_got_before(body):
    found, headings = reference_anchors(htmltext.parse_html(body), "https://www.agency.gov/x/")
    assert [a.heading for a in found] == headings


def test_a_link_inside_a_heading_takes_the_heading_before_that_one():
    body = (
        b"<html><body><h2>Monthly Reports</h2><ul><li><h3><a href='/a.pdf'>A</a></h3></li>"
        b"<li><h3>B</h3><a href='/b.pdf'>B</a></li></ul><h1><h2>inner</h2><a href='/c'>C"
        b"</a></h1></body></html>"
    )
    found, headings = reference_anchors(htmltext.parse_html(body), "https://www.agency.gov/")
    assert [a.heading for a in found] == headings
    assert headings[:2] == ["Monthly Reports", "B"]


def test_a_fingerprint_is_searched_only_in_pages_holding_its_words():
    for vendor, pattern, words in response_check.FINGERPRINTS:
        assert words and all(w == w.lower() for w in words), vendor
        matching = [n for n in NEEDLES if pattern.search(html.unescape(n))]
        assert matching, f"no needle above matches the {vendor} pattern {pattern.pattern}"
        for needle in matching:
            if not response_check._FOLDS_TO_ASCII.search(needle):
                assert any(w in html.unescape(needle).lower() for w in words), (vendor, needle)


def test_a_fetched_page_is_parsed_once_for_the_check_and_the_parser(monkeypatch):
    """The check lends its tree to the parser of the same body: one lxml parse, not two, and
    the parser reads exactly what it read from a tree of its own."""
    import lxml.html

    from scrapers.records import Document
    from scrapers.sources.hhs_separated_children import parse

    body = (
        FIXTURES / "hhs_separated_children" / "listing_index_2022_reconstructed.html"
    ).read_bytes()
    url = (
        "https://www.hhs.gov/programs/social-services/unaccompanied-children/"
        "report-to-congress-on-separated-children/index.html"
    )
    alone = parse(Document(body, url, "text/html"))
    parses = []
    real = lxml.html.document_fromstring
    monkeypatch.setattr(
        lxml.html, "document_fromstring", lambda *a, **k: parses.append(1) or real(*a, **k)
    )
    assert (
        response_check.classify_response(
            200,
            {"content-type": "text/html"},
            body,
            url=url,
            final_url=url,
            allowed_types=("text/html",),
        )
        is None
    )
    shared = parse(Document(body, url, "text/html"))
    assert len(parses) == 1
    assert shared == alone
    parse(Document(body, url, "text/html"))  # lent once: a second reading parses again
    assert len(parses) == 2
    response_check.page_head(body)
    parse(Document(bytes(bytearray(body)), url, "text/html"))  # equal bytes, not the same: not lent
    assert len(parses) == 4
