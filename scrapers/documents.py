"""One entry point from a body to readable pages: PDF (sniffed by its magic bytes, whatever the
server's content type says), HTML, or plain text saved from a mirror.

Bad bodies become a typed :class:`~scrapers.records.Problem`, never an exception: 0 bytes or no
text is ``empty``; a truncated, encrypted or corrupt PDF is ``parse_error``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapers.records import Document, Problem
from scrapers.tables import Table


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


def load(doc: Document) -> Loaded | Problem:
    body = doc.body or b""
    if not body.strip():
        return Problem("empty", f"the document is empty ({len(body)} bytes)")
    if doc.is_pdf:
        from scrapers.pdftables import PdfUnreadable, read_pdf

        try:
            pdf = read_pdf(body)
        except PdfUnreadable as exc:
            return Problem(exc.kind, exc.detail)
        return Loaded("pdf", list(pdf.pages), pdf.tables, pdf.page_count)
    from scrapers.htmltables import looks_like_html, read_html

    try:
        html = read_html(body, doc.content_type)
    except Exception as exc:  # noqa: BLE001 - lxml rejects some bodies outright
        return Problem("parse_error", f"the page could not be parsed as HTML "
                                      f"({type(exc).__name__}: {exc})")
    if not html.text.strip():
        return Problem("empty", "the page has no visible text")
    kind = "html" if looks_like_html(body) else "text"
    return Loaded(kind, [(None, html.text)], html.tables, None, html.root, html.title)
