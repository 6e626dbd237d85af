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
import re
from dataclasses import dataclass, field
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
    # ``urlsplit(url).path``, when the reader knew it already (a plain href's)
    _path: str | None = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> str:
        """The path of :attr:`url` (``urlsplit(url).path``)."""
        if self._path is None:
            self._path = urlsplit(self.url).path
        return self._path

    @property
    def names_pdf(self) -> bool:
        """:func:`is_pdf_url` of :attr:`url`."""
        return self.path.lower().endswith(".pdf")


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
    """``href`` (absolute) canonical, or None when it is not a link to follow (a malformed
    one among them: "http://[::1/x", an out-of-range port; one bad link does not make the
    rest of the page unreadable)."""
    if not href or href.startswith(_SKIPPED):
        return None
    try:
        if urlsplit(href).scheme not in ("http", "https", "file"):
            return None
        return _canonical(href)
    except ValueError:
        return None


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
    (which read the whole page before each link again); a heading holding links is known by
    them. Its context is the text of the innermost list item, row, cell, term or paragraph
    holding it (else of its parent), found by walking up its parents.

    The same walk makes each link's href absolute, as lxml's ``make_links_absolute(base_url,
    resolve_base_href=True)`` does (against the page's ``<base href>``, then its URL; the
    ``<base>`` elements dropped), but only for ``<a>`` elements: the only links read here (a
    page holds two or three times as many other links: styles, scripts, images). A plain href
    is joined without ``urljoin`` (:func:`_plain_url`). An href that cannot be joined (a
    malformed one) stays as it is; lxml stopped at it, leaving every later link relative."""
    if root is None:
        return []
    base_href = _drop_bases(root)
    plain = base_href is None  # with a <base href>, every href is joined by urljoin
    for el in root.iter(f"{{{_XHTML}}}a"):
        _make_absolute(el, base_href, base_url)
    string = _string_of()
    found = []
    headings: list = []  # every heading met so far, in document order
    heading_text: dict = {}
    heading_links: dict = {}  # heading -> the links inside it (which it is not "before")
    for el in root.iter("a", *_HEADING_TAGS):
        if el.tag != "a":
            headings.append(el)
            inside = set(el.iter("a"))
            if inside:
                heading_links[el] = inside
            continue
        href = el.get("href")
        if href is None:
            continue
        url, path = _plain_url(el, href.strip(), base_url) if plain else (None, None)
        if url is None:
            _make_absolute(el, base_href, base_url, href)
            url = _followable((el.get("href") or "").strip())
            if url is None:
                continue
        own = _squash(string(el) if len(el) else el.text or "")
        text = own or _squash(el.get("title") or el.get("aria-label") or "")
        parent = holder = el.getparent()
        while holder is not None and holder.tag not in _CONTEXT_TAGS:
            holder = holder.getparent()
        if holder is None:
            holder = parent
        if holder is None:
            context = ""
        elif holder is parent and len(parent) == 1 and not parent.text and not el.tail:
            context = own  # an item holding nothing but the link: its text is the link's
        else:
            context = _squash(string(holder) if len(holder) else holder.text or "")
        heading = _heading_before(headings, heading_links, el)
        if heading is not None and heading not in heading_text:
            heading_text[heading] = _squash(string(heading) if len(heading) else heading.text or "")
        found.append(
            Anchor(url, text, context, heading_text[heading] if heading is not None else "", path)
        )
    return found


def _string_of():
    """lxml's ``text_content()`` (XPath's ``string()``), giving a plain ``str``. An element
    without children (no element, comment or instruction) is read from its ``.text``: all its
    text is that one text node, and the attribute costs a tenth of an XPath call."""
    global _STRING
    if _STRING is None:
        from lxml import etree

        _STRING = etree.XPath("string()", smart_strings=False)
    return _STRING


_STRING = None


def _drop_bases(root) -> str | None:
    """The href of the page's last ``<base href>`` (None without one); every such element
    dropped."""
    base_href = None
    for base in root.xpath("//base[@href]|//x:base[@href]", namespaces={"x": _XHTML}):
        base_href = base.get("href")
        base.drop_tree()
    return base_href


def _make_absolute(el, base_href: str | None, base_url: str, href: str | None = None) -> None:
    href = el.get("href") if href is None else href
    if href is None:
        return
    joined = _joined(base_href, base_url, href)
    if joined is None:  # a malformed href is left as it is
        return
    try:
        el.set("href", joined)
    except ValueError:  # joined into what an attribute cannot hold (control characters)
        return


# Most hrefs on a listing are plain paths ("/programs/.../june-2022/index.html",
# "june-2022/index.html"): only letters, digits and the characters below, no ".", ".." or empty
# segment, no query, fragment or ";params". Such an href joins onto the page's URL by
# concatenation (``urljoin`` keeps a root-relative one as it is and appends a relative one to the
# page's directory), and its canonical URL is the canonical origin or directory followed by it:
# both prefixes are worked out once per page URL by ``urljoin`` and ``canonical`` themselves, so
# the per-link urllib round trips (two thirds of reading a listing) are left to other hrefs.
_PLAIN_HREF = re.compile(r"[A-Za-z0-9\-_~%!$&'()*+,=@/.]+")


@functools.lru_cache(maxsize=1024)
def _plain_prefix(base_url: str, rooted: bool) -> tuple[str, str, str] | None:
    """(joined, canonical, path) prefixes of a root-relative (``rooted``) or of a relative plain
    href against ``base_url``: what ``urljoin``, :func:`_followable` and ``urlsplit(...).path``
    put before such an href, worked out on a sample href and checked on another; None when the
    page's URL does not join plain hrefs that way (not http(s), malformed)."""
    first, sample = ("/p", "/p/q.html") if rooted else ("p", "p/q.html")
    try:
        joined = urljoin(base_url, first)
        url = _followable(joined.strip())
        if url is None or not joined.endswith(first) or not url.endswith(first):
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.path.endswith(first):
            return None
        prefix = (joined[: -len(first)], url[: -len(first)], parts.path[: -len(first)])
        if (
            urljoin(base_url, sample) != prefix[0] + sample
            or _followable(prefix[0] + sample) != prefix[1] + sample
            or urlsplit(prefix[1] + sample).path != prefix[2] + sample
        ):
            return None
    except ValueError:
        return None
    return prefix


def _plain_url(el, href: str, base_url: str) -> tuple[str | None, str | None]:
    """The canonical URL of a plain ``href`` (stripped) and its path, its absolute form set on
    ``el``; (None, None) for any other href (or page)."""
    if not href or not _PLAIN_HREF.fullmatch(href) or href[0] == ".":
        return None, None
    rooted = href[0] == "/"
    if "/." in href or ("//" in href if not rooted else href[1:2] == "/"):
        return None, None
    prefix = _plain_prefix(base_url, rooted)
    if prefix is None:
        return None, None
    joined, url, path = prefix
    try:
        el.set("href", joined + href)
    except ValueError:  # what an attribute cannot hold (a control character in the page URL)
        return None, None  # left to the plain reading, which leaves the href as it is
    return url + href, path + href


_XHTML = "http://www.w3.org/1999/xhtml"


def _heading_before(headings: list, heading_links: dict, link):
    """The last heading met before a link that is not one of its ancestors (a heading holding
    the link is not "before" it; one that started before it and does not hold it has ended)."""
    for heading in reversed(headings):
        inside = heading_links.get(heading)
        if inside is None or link not in inside:
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
