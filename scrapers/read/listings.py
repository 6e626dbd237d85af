"""Links on listing pages, with the context that identifies them.

Agency listing pages are redesigned often; what survives a redesign is wording, not markup. So
every link is returned with its own text, the text of the list item / row / paragraph around it,
and the nearest heading before it, and each source decides from that wording which links are its
reports (DHS's OHSS pages, for one, keep an entry's description but drop its title). URLs are
made absolute against the page's canonical URL and normalised (scheme and host in lower case,
default port and fragment removed; the path is kept as printed, since it is case-sensitive).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapers.records import Link

_CONTEXT_TAGS = {"li", "tr", "dd", "dt", "p", "td"}
_HEADING_TAGS = ("h1", "h2", "h3", "h4")
_SKIPPED = ("#", "mailto:", "javascript:", "tel:")


@dataclass
class Anchor:
    url: str
    text: str
    context: str  # the enclosing list item / row / paragraph
    heading: str  # the nearest heading before the link


def canonical(url: str) -> str:
    return _canonical(url)


# A listing page links the same navigation, footer and report URLs at every poll, and the pages
# of one site share most of them: joined and normalised once per process (pure functions of
# their strings), not once per link per page.
@functools.lru_cache(maxsize=16384)
def _canonical(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = (
        parts.port
        if parts.port and (scheme, parts.port) not in (("http", 80), ("https", 443))
        else None
    )
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _squash(text: str) -> str:
    # str.split() splits on exactly the characters ``\s`` matches in a str pattern
    return " ".join((text or "").split()).lstrip("-\u2013\u2014\u2022 ").strip()


@functools.lru_cache(maxsize=16384)
def _followable(href: str) -> str | None:
    """``href`` (absolute) canonical, or None when it is not a link to follow."""
    if not href or href.startswith(_SKIPPED):
        return None
    if urlsplit(href).scheme not in ("http", "https", "file"):
        return None
    return _canonical(href)


@functools.lru_cache(maxsize=16384)
def _joined(base_href: str | None, base_url: str, href: str) -> str | None:
    """``href`` made absolute against the page's ``<base href>`` then its URL; None when it
    cannot be joined (a malformed one)."""
    try:
        if base_href:
            href = urljoin(base_href, href.strip())
        return urljoin(base_url, href.strip())
    except ValueError:
        return None


def anchors(root, base_url: str) -> list[Anchor]:
    """Every followable link of an HTML page, in document order.

    A link's heading is the nearest h1-h4 before it in document order that does not contain
    it (XPath's ``preceding::*[self::h1 or self::h2 or self::h3 or self::h4][1]``), found in the
    same single walk of the tree that finds the links, rather than by one XPath search per link
    (which read the whole page before each link again)."""
    if root is None:
        return []
    _absolute_hrefs(root, base_url)
    found = []
    headings: list = []  # every heading met so far, in document order
    heading_text: dict = {}
    for el in root.iter("a", *_HEADING_TAGS):
        if el.tag != "a":
            headings.append(el)
            continue
        url = _followable((el.get("href") or "").strip())
        if url is None:
            continue
        text = _squash(el.text_content()) or _squash(el.get("title") or el.get("aria-label") or "")
        ancestors = list(el.iterancestors())
        holder = next((p for p in ancestors if p.tag in _CONTEXT_TAGS), el.getparent())
        context = _squash(holder.text_content()) if holder is not None else ""
        heading = _heading_before(headings, ancestors)
        if heading is not None and heading not in heading_text:
            heading_text[heading] = _squash(heading.text_content())
        found.append(
            Anchor(url, text, context, heading_text[heading] if heading is not None else "")
        )
    return found


def _absolute_hrefs(root, base_url: str) -> None:
    """Make every link's href absolute, as lxml's ``make_links_absolute(base_url,
    resolve_base_href=True)`` does (against the page's ``<base href>``, then its URL; the
    ``<base>`` elements dropped), but only for ``<a>`` elements: the only links read here. A
    page holds two or three times as many other links (styles, scripts, images), and joining
    them was a third of reading a listing. An href that cannot be joined (a malformed one)
    stays as it is; lxml stopped at it, leaving every later link relative."""
    base_href = None
    for base in root.xpath("//base[@href]|//x:base[@href]", namespaces={"x": _XHTML}):
        base_href = base.get("href")
        base.drop_tree()
    for el in root.iter("a", f"{{{_XHTML}}}a"):
        href = el.get("href")
        if href is None:
            continue
        joined = _joined(base_href, base_url, href)
        if joined is None:  # a malformed href is left as it is
            continue
        try:
            el.set("href", joined)
        except ValueError:  # joined into what an attribute cannot hold (control characters)
            continue


_XHTML = "http://www.w3.org/1999/xhtml"


def _heading_before(headings: list, ancestors: list):
    """The last heading met before a link that is not one of its ancestors (a heading holding
    the link is not "before" it; one that started before it and does not hold it has ended)."""
    if not headings:
        return None
    holding = {id(a) for a in ancestors} if any(a.tag in _HEADING_TAGS for a in ancestors) else ()
    for heading in reversed(headings):
        if id(heading) not in holding:
            return heading
    return None


def is_pdf_url(url: str) -> bool:
    """Whether a link's path names a PDF (by its ``.pdf`` ending; the bytes are judged later,
    by ``scrapers.sniff.is_pdf``)."""
    return urlsplit(url).path.lower().endswith(".pdf")


def unique(links: list[Link]) -> list[Link]:
    """One link per URL, the first seen; a later title or description fills a missing one."""
    by_url: dict[str, Link] = {}
    for link in links:
        seen = by_url.get(link.url)
        if seen is None:
            by_url[link.url] = link
        else:
            seen.title = seen.title or link.title
            seen.description = seen.description or link.description
    return list(by_url.values())
