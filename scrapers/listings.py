"""Links on listing pages, with the context that identifies them.

Agency listing pages are redesigned often; what survives a redesign is wording, not markup. So
every link is returned with its own text, the text of the list item / row / paragraph around it,
and the nearest heading before it, and each source decides from that wording which links are its
reports (DHS's OHSS pages, for one, keep an entry's description but drop its title). URLs are
made absolute against the page's canonical URL and normalised (scheme and host in lower case,
default port and fragment removed; the path is kept as printed, since it is case-sensitive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from scrapers.records import Link

_CONTEXT_TAGS = {"li", "tr", "dd", "dt", "p", "td"}
_HEADINGS = "preceding::*[self::h1 or self::h2 or self::h3 or self::h4][1]"


@dataclass
class Anchor:
    url: str
    text: str
    context: str  # the enclosing list item / row / paragraph
    heading: str  # the nearest heading before the link


def canonical(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port if parts.port and (scheme, parts.port) not in (("http", 80), ("https", 443)) else None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lstrip("-\u2013\u2014\u2022 ").strip()


def anchors(root, base_url: str) -> list[Anchor]:
    """Every followable link of an HTML page, in document order."""
    if root is None:
        return []
    try:
        root.make_links_absolute(base_url, resolve_base_href=True)
    except ValueError:  # a malformed href somewhere: keep the links as they are
        pass
    found = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        if urlsplit(href).scheme not in ("http", "https", "file"):
            continue
        text = _squash(a.text_content()) or _squash(a.get("title") or a.get("aria-label") or "")
        holder = next((p for p in a.iterancestors() if p.tag in _CONTEXT_TAGS), a.getparent())
        context = _squash(holder.text_content()) if holder is not None else ""
        heading = a.xpath(_HEADINGS)
        found.append(Anchor(canonical(href), text, context,
                            _squash(heading[0].text_content()) if heading else ""))
    return found


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
