"""One entry point from a body to readable pages. The bytes decide the reader
(``scrapers/sniff.py``), whatever the server's content type says: a PDF goes to the PDF reader,
an HTML page to the HTML reader, plain text saved from a mirror is read as it is.

Bad bodies become a typed :class:`~scrapers.records.Problem`, never an exception:

- ``empty``: 0 bytes, only whitespace, or no visible text;
- ``wrong_type``: bytes of a type no reader here reads (a PNG, a JPEG, a ZIP or Office file, a
  gzip archive, binary data of no known type), or an HTML page / text given as a PDF (declared
  ``application/pdf`` by the server, or by a saved file's ``.pdf`` name). Decided by the first
  bytes, before any reader runs, so such a body is never taken for a listing whose layout
  changed;
- ``parse_error``: bytes of the right type that cannot be read: a truncated, encrypted or
  corrupt PDF, markup the HTML parser rejects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapers import sniff
from scrapers.records import Document, Problem
from scrapers.read.tables import Table


@dataclass
class Loaded:
    kind: str  # "pdf" | "html" | "text"
    pages: list[tuple[int | None, str]]  # (page number or None for HTML, text)
    tables: list[Table] = field(default_factory=list)
    page_count: int | None = None
    root: object | None = None  # lxml root of an HTML page (for links)
    title: str | None = None  # HTML <h1>/<title>

    @property
    def text(self) -> str:
        return "\n".join(text for _n, text in self.pages)

    def first_page(self) -> str:
        return self.pages[0][1] if self.pages else ""


def wrong_type(doc: Document, found: sniff.Sniffed) -> Problem | None:
    """A body no reader here reads, or a page or text given as a PDF."""
    if found.is_pdf:
        return None
    if not found.is_text:
        return Problem(
            "wrong_type",
            f"the document is {found.description}, not a PDF, an HTML "
            "page or text: there is no reader for it",
        )
    if sniff.media_type(doc.content_type) == sniff.PDF:
        return Problem("wrong_type", f"the document was given as a PDF but is {found.description}")
    return None


def load(doc: Document) -> Loaded | Problem:
    body = doc.body or b""
    if not body.strip():
        return Problem("empty", f"the document is empty ({len(body)} bytes)")
    found = sniff.sniff(body)
    problem = wrong_type(doc, found)
    if problem is not None:
        return problem
    if found.is_pdf:
        from scrapers.read.pdftables import PdfUnreadable, read_pdf

        try:
            pdf = read_pdf(body)
        except PdfUnreadable as exc:
            return Problem(exc.kind, exc.detail)
        return Loaded("pdf", list(pdf.pages), pdf.tables, pdf.page_count)
    from scrapers.read.htmltables import read_html

    try:
        html = read_html(body, doc.content_type)
    except Exception as exc:  # noqa: BLE001 - lxml rejects some bodies outright
        return Problem(
            "parse_error", f"the page could not be parsed as HTML ({type(exc).__name__}: {exc})"
        )
    if not html.text.strip():
        return Problem("empty", "the page has no visible text")
    kind = "html" if html.root is not None else "text"
    return Loaded(kind, [(None, html.text)], html.tables, None, html.root, html.title)
