"""Listing pages with broken markup are read by lxml's recovering HTML parser (why the project
has no beautifulsoup4): unclosed tags, stray end tags and bad nesting lose no link."""

from __future__ import annotations

from scrapers.read.htmltext import parse_html
from scrapers.read.listings import anchors

BROKEN = (
    b"<html><body><div><ul>"
    b"<li><a href='/r/may-2022.pdf'>May 2022 report"  # <a> and <li> never closed
    b"<li><p><a href=\"june-2022.pdf\">June <b>2022</a></b> report</p>"  # misnested
    b"</td></span>"  # stray end tags
    b"<li><a href=https://www.dhs.gov/r/july-2022.pdf>July 2022</a>"  # unquoted href
    b"</div>"
)


def test_broken_listing_markup_keeps_every_link():
    links = anchors(parse_html(BROKEN, "text/html"), "https://www.dhs.gov/r/index.html")
    assert [a.url for a in links] == [
        "https://www.dhs.gov/r/may-2022.pdf",
        "https://www.dhs.gov/r/june-2022.pdf",
        "https://www.dhs.gov/r/july-2022.pdf",
    ]
    assert links[1].text == "June 2022"
