"""The declaration every source module makes: ``SOURCE = Source(...)`` beside ``parse(doc)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from scrapers.fetch.jsonapi import ApiListing, JsonApiSpec

from scrapers.redact import redact_url


@dataclass(frozen=True)
class Shape:
    """What a successful parse must yield; less is a ``layout_changed`` (or ``empty``) outcome.

    ``min_items`` counts links and reports together, because one URL can serve either: the HHS
    index page once carried a report body instead of a list of months. ``min_counts`` is a
    second line of defence behind the parser's own table checks. ``allow_empty`` lets a source
    legitimately yield nothing (a listing that may be empty yet).
    """

    min_items: int = 1
    min_counts: int = 0
    allow_empty: bool = False


@dataclass(frozen=True)
class LinkPeriods:
    """Which periods a listed document could cover, given the period its link names
    (:func:`scrapers.interpret.linkperiod.named_period`: "July 2022", ``july-2022/``). Used only for a
    document the monitor could not read: such a document keeps ``unknown`` the periods it could
    cover, and only those. Wide on purpose: a period it could cover and does not only costs an
    ``unknown``; one it covers and was left out would be a false ``missing``.

    ``months_before``: the month a link names may be the month of issue, the data that many
    months earlier. ``fiscal_year_to_date``: a named month may end a report covering its fiscal
    year from October (DHS names its cumulative reports by their last month).
    """

    months_before: int = 1
    fiscal_year_to_date: bool = False

    def could_cover(self, start: date, end: date) -> tuple[date, date]:
        month = start.year * 12 + start.month - 1 - self.months_before
        first = date(month // 12, month % 12 + 1, 1)
        if self.fiscal_year_to_date:
            fy_start = date(end.year if end.month >= 10 else end.year - 1, 10, 1)
            first = min(first, fy_start)
        return first, end


@dataclass(frozen=True)
class Source:
    id: str
    agency: str  # "DHS" | "HHS" | ...
    title: str
    start_urls: tuple[str, ...]  # listing pages polled on schedule (canonical URLs)
    allowed_hosts: tuple[str, ...]  # hosts a request or redirect may reach
    content_types: tuple[str, ...] = ("text/html", "application/pdf")
    poll_every: timedelta = timedelta(days=1)
    parser_version: str = "1"
    listing_shape: Shape = field(default_factory=Shape)
    report_shape: Shape = field(default_factory=Shape)
    follow_links: bool = True  # fetch the reports a listing page links to
    # and the links those reports yield in turn (one level more: a publication page's PDF)
    follow_document_links: bool = False
    # days before a linked document is fetched again (None: the recheck_days setting; 0: every
    # poll, conditionally: for documents whose revisions are what the source watches)
    recheck_days: int | None = None
    # API keys sent as headers, never in the URL: (header, secret setting), e.g.
    # (("X-Api-Key", "govinfo_api_key"),) for api.govinfo.gov or api.congress.gov. The monitor
    # reads the setting and sends its value with every request of this source; without it the
    # source is not polled at all ("not configured"), and each setting not configured is ONE
    # `access` operator finding, whichever sources share it (see monitor.api_keys).
    secret_headers: tuple[tuple[str, str], ...] = ()
    # How its listing pages name the period of a document (None: they do not, and a document
    # the monitor could not read could be any period).
    link_periods: LinkPeriods | None = field(default_factory=LinkPeriods)
    # A source read through a JSON API (scrapers/fetch/jsonapi.py) instead of start URLs: the API, the
    # listings one poll walks given the instant it reads from, and how far back the first poll
    # reads (monitor.apipoll.poll_api_source). Its key is one of its ``secret_headers``.
    api: "JsonApiSpec | None" = None
    api_listings: "Callable[[datetime], tuple[ApiListing, ...]] | None" = None
    api_lookback: timedelta = timedelta(days=90)

    @property
    def polled(self) -> bool:
        """Whether the monitor polls it (start URLs or an API); otherwise documents come in by
        hand (`monitor ingest`)."""
        return bool(self.start_urls or self.api is not None)

    def lists(self, url: str) -> bool:
        """Whether ``url`` is one of this source's listing pages (compared as stored, redacted:
        a start URL carrying a key is still itself)."""
        shown = redact_url(url)
        return any(shown == redact_url(start) for start in self.start_urls)

    def shape(self, *, listing: bool) -> Shape:
        return self.listing_shape if listing else self.report_shape

    def allows_host(self, host: str | None) -> bool:
        if not host:
            return False
        host = host.lower()
        return any(host == h or host.endswith("." + h) for h in self.allowed_hosts)
