"""A GovInfo rendition (HTML, text or PDF bytes) as pages of text, keeping the layout that
paragraph boundaries are read from.

GovInfo's HTML is the GPO text inside a <pre>: it is taken as it is, indentation and all. Other
HTML (congress.gov, committee sites) is rebuilt with a blank line after every block element.
PDFs give one entry per page, numbered from 1. What cannot be read is a typed
:class:`~scrapers.records.Problem` (``empty``, ``parse_error``), never an exception.
"""

from __future__ import annotations

import io

from scrapers.htmltables import encoding_of, looks_like_html
from scrapers.records import Problem

Pages = list[tuple[str | None, str]]
_BLOCKS = {"p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
           "section", "article", "header", "footer", "main", "dt", "dd", "blockquote", "pre",
           "hr", "caption"}


def pages_of(body: bytes, content_type: str | None = None) -> Pages | Problem:
    if not (body or b"").strip():
        return Problem("empty", f"the document is empty ({len(body or b'')} bytes)")
    if body[:1024].lstrip().startswith(b"%PDF"):
        return _pdf_pages(body)
    encoding = encoding_of(body, content_type)
    if not looks_like_html(body):
        return [(None, body.decode(encoding, errors="replace"))]
    try:
        import lxml.html

        root = lxml.html.document_fromstring(body, parser=lxml.html.HTMLParser(encoding=encoding))
    except Exception as exc:  # noqa: BLE001 - lxml rejects some bodies outright
        return Problem("parse_error", f"the page could not be parsed as HTML ({type(exc).__name__})")
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
