"""HTML to text: the one way the monitor turns markup into the words a reader sees, through lxml.

Used by the document reader (``scrapers/htmltables.py``: a report page's text, beside its
tables) and by the response check (``scrapers/classify.py``: the title and text of a page that
may be a denial or "not found" page). Text is rebuilt with a line break after each block element
so that sentences and cover-like lines ("June 2022") survive; scripts and styles are not text.
Plain text (no markup, see ``scrapers/sniff.py``) is read as it is.
"""

from __future__ import annotations

import re

BLOCKS = {"p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "br",
          "section", "article", "header", "footer", "main", "nav", "dt", "dd", "caption",
          "blockquote", "title", "hr", "thead", "tbody"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
_SPACES = re.compile(r"[ \t\u00a0]+")


def encoding_of(body: bytes, content_type: str | None = None) -> str:
    """The HTTP header's charset, else the page's <meta> charset, else UTF-8 when the bytes
    decode as UTF-8, else cp1252 (what Windows-saved copies use). lxml alone would guess
    Latin-1 for a page without a declaration and garble every dash and quote."""
    for found in (re.search(r"charset=([\w-]+)", content_type or "", re.I),
                  _META_CHARSET.search(body[:4096])):
        if found:
            name = found.group(1)
            name = name.decode("ascii", "replace") if isinstance(name, bytes) else name
            try:
                "".encode(name)
                return name
            except LookupError:
                continue
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def parse_html(body: bytes, content_type: str | None = None):
    """The lxml root of an HTML page, decoded as :func:`encoding_of` says. Raises lxml's
    ``ParserError`` (a ``ValueError``) for a body with no markup at all."""
    import lxml.html

    parser = lxml.html.HTMLParser(encoding=encoding_of(body, content_type))
    return lxml.html.document_fromstring(body, parser=parser)


def visible_text(root) -> str:
    """Visible text with a line break after every block element."""
    out: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style", "noscript", "template"):
            if el.tail:
                out.append(el.tail)
            return
        if el.text and tag:
            out.append(el.text)
        for child in el:
            walk(child)
        if tag in BLOCKS:
            out.append("\n")
        elif tag in ("td", "th"):
            out.append("  ")
        if el.tail:
            out.append(el.tail)

    walk(root)
    return _lines("".join(out))


def plain_text(body: bytes, content_type: str | None = None) -> str:
    """A text body (a page saved without markup) as lines of text."""
    text = body.decode(encoding_of(body, content_type), errors="replace").replace("\r\n", "\n")
    return _lines(text)


def _lines(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
