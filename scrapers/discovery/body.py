"""A GovInfo rendition (HTML, text or PDF bytes) as pages of text, keeping the layout that
paragraph boundaries are read from.

The bytes decide the reader (``scrapers/sniff.py``). GovInfo's HTML is the GPO text inside a
<pre>: it is taken as it is, indentation and all. Other HTML (congress.gov, committee sites) is
rebuilt with a blank line after every block element: ``scrapers/htmltext.visible_text`` keeps
one line per block and no blank lines, which is right for a report page's cover lines but
loses the paragraph breaks discovery needs. PDFs give one entry per page, numbered from 1.
What cannot be read is a typed :class:`~scrapers.records.Problem` (``empty``, ``wrong_type``,
``parse_error``), never an exception.
"""

from __future__ import annotations

import io

from scrapers import sniff
from scrapers.read.documents import wrong_type
from scrapers.read.htmltext import encoding_of, parse_html
from scrapers.records import Document, Problem

Pages = list[tuple[str | None, str]]
_BLOCKS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "hr",
    "caption",
}


def pages_of(body: bytes, content_type: str | None = None) -> Pages | Problem:
    if not (body or b"").strip():
        return Problem("empty", f"the document is empty ({len(body or b'')} bytes)")
    found = sniff.sniff(body)
    problem = wrong_type(Document(body, "", content_type), found)
    if problem is not None:
        return problem
    if found.is_pdf:
        return _pdf_pages(body)
    if not sniff.looks_like_html(body):
        return [(None, body.decode(encoding_of(body, content_type), errors="replace"))]
    try:
        root = parse_html(body, content_type)
    except Exception as exc:  # noqa: BLE001 - lxml rejects some bodies outright
        return Problem(
            "parse_error", f"the page could not be parsed as HTML ({type(exc).__name__})"
        )
    pres = root.findall(".//pre")
    text = "\n\n".join(pre.text_content() for pre in pres) if pres else _block_text(root)
    if not text.strip():
        return Problem("empty", "the page has no visible text")
    return [(None, text)]


def _block_text(root) -> str:
    out: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style", "noscript", "template", "head"):
            if el.tail:
                out.append(el.tail)
            return
        if el.text and tag:
            out.append(el.text)
        for child in el:
            walk(child)
        if tag in _BLOCKS:
            out.append("\n\n")
        elif tag == "br":
            out.append("\n")
        if el.tail:
            out.append(el.tail)

    walk(root)
    return "".join(out)


def _pdf_pages(body: bytes) -> Pages | Problem:
    import pdfplumber

    if b"%%EOF" not in body[-2048:]:
        return Problem("parse_error", "the PDF is truncated (no %%EOF at its end)")
    try:
        with pdfplumber.open(io.BytesIO(body)) as pdf:
            pages = [(str(n), page.extract_text() or "") for n, page in enumerate(pdf.pages, 1)]
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many types; all mean unreadable
        name = type(exc).__name__
        what = "encrypted" if "Password" in name or "Encrypt" in name else "corrupt or unreadable"
        return Problem("parse_error", f"the PDF is {what} ({name})")
    if not any(text.strip() for _n, text in pages):
        return Problem("empty", "the PDF has no text layer")
    return pages
