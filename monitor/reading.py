"""The pure half of the one document path: a body read by its source's parser, validated, and
given its outcome against the shape of the document it is. No database, no archive, no clock.

Every way a document comes in goes ``read`` -> ``store``:

* :func:`read_document` (here) parses and validates a body and decides its outcome. It needs
  nothing but the body, so it can run anywhere (`monitor parse`, a worker thread of a poll);
* :func:`monitor.document_path.store_document` archives the body and writes its rows (snapshot,
  parse, reports, counts, statements, problems, the listing's links), in the one writer.

Fetching, `monitor ingest` and `monitor reparse` are callers of those two functions and differ
only in where the body comes from and when it is dated. `monitor parse` stops after the first.

What a document is (a listing page or a report) decides the shape it must have
(``Source.listing_shape``/``report_shape``) and whether its links are recorded; one rule,
:func:`is_listing`, decides it for every caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from scrapers.records import Document, ParseResult, Problem
from scrapers.registry import RegisteredSource
from scrapers.source import Source
from scrapers.validate import outcome as judge
from scrapers.validate import validate

log = logging.getLogger(__name__)


def is_listing(
    source: Source, url: str, *, declared: bool | None = None, result: ParseResult | None = None
) -> bool:
    """The one rule for what a document is, hence the shape it is judged by.

    1. The caller's word, when it has one: a link a listing led to is a report; `--listing`
       (`monitor ingest`, `monitor fetch`) says a listing.
    2. Otherwise a URL that is one of the source's start URLs is a listing, any other a report.
    3. A caller that stores nothing and knows nothing of the document (`monitor parse` of a
       saved file) passes the ``result``: a document that yielded a report is a report, one
       that yielded none a listing (rule 2 still wins for a start URL).
    """
    if declared is not None:
        return declared
    if source.lists(url):
        return True
    if result is not None:
        return not result.reports
    return False


def run_parser(
    registered: RegisteredSource,
    doc: Document,
    fetched: date | None = None,
    max_links: int | None = None,
) -> ParseResult:
    """Parse and validate (against the day the document was obtained, when known: no period
    starts and no report is issued after it; at most ``max_links`` links); a parser that
    raises is a ``parse_error``, never a crash."""
    try:
        result = registered.parse(doc)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the pipeline
        log.exception("parser raised", extra={"source": registered.id, "url": doc.url})
        return ParseResult(
            registered.source.parser_version,
            problems=[Problem("parse_error", f"parser raised {type(exc).__name__}: {exc}")],
        )
    return validate(result, fetched=fetched, max_links=max_links)


@dataclass(frozen=True)
class Reading:
    """One body read by its source's parser: what :func:`monitor.document_path.store_document`
    stores. ``url`` is the URL the parser read links against (the real one, secrets included:
    never stored as such)."""

    url: str
    listing: bool
    result: ParseResult
    outcome: str  # ok | layout_changed | empty | parse_error | wrong_type
    fetched: date | None = None  # the day it was judged against (see validate)
    max_links: int | None = None  # the cap on its links it was read with
    # a listing's links' named periods (:func:`link_periods`), worked out where it was read
    link_periods: tuple | None = None

    @property
    def parser_version(self) -> str:
        return self.result.parser_version


def read_document(
    registered: RegisteredSource,
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    listing: bool | None = None,
    fetched: date | None = None,
    infer: bool = False,
    max_links: int | None = None,
) -> Reading:
    """Parse, validate and judge one body; pure. ``listing`` is the caller's word on what the
    document is (:func:`is_listing`); ``infer`` lets the document say it when nobody can
    (`monitor parse`). ``fetched`` is the day it was obtained; ``max_links`` caps the links
    taken from it (``max_links_per_listing``: a poll caps its listing pages)."""
    result = run_parser(registered, Document(body, url, content_type), fetched, max_links)
    source = registered.source
    kind = is_listing(source, url, declared=listing, result=result if infer else None)
    outcome = judge(result, source.shape(listing=kind))
    periods = link_periods(result.links) if kind and outcome == "ok" else None
    return Reading(url, kind, result, outcome, fetched, max_links, periods)


def link_periods(links) -> tuple:
    """The period each link names (its text and its URL as stored, redacted), in link order:
    what a listing's store records of each report it links (monitor.store.record_listing).
    Pure, so it is worked out wherever the page is read (a parse process, not the writer)."""
    from scrapers.interpret.linkperiod import named_period
    from scrapers.redact import redact_url

    return tuple(named_period(link.title, redact_url(link.url)) for link in links)
