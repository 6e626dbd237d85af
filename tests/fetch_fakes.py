"""A fake agency website and a fake source for the fetching tests.

The site is served through ``responses`` (no network): pages by URL, an ETag per body honoured
with 304 like a real server, and a count of requests per URL so a test can prove a request was
never made. The source parses a tiny HTML listing (its links) and a tiny "PDF" (a title and one
count), enough to see reports, snapshots and observations appear, or not.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import responses
from sqlalchemy import func, select

from monitor.models import (
    CountObservation,
    HttpValidator,
    Parse,
    Report,
    Snapshot,
    Statement,
)
from scrapers.fetch.http import Fetcher, HttpConfig
from scrapers.records import CountRecord, Link, ParseResult, ReportRecord
from scrapers.registry import RegisteredSource
from scrapers.source import Source

LISTING = "https://www.agency.gov/reports"
R1 = "https://www.agency.gov/files/r1.pdf"
R2 = "https://www.agency.gov/files/r2.pdf"
R3 = "https://www.agency.gov/files/r3.pdf"
USER_AGENT = "separation-reporting-monitor/test (+ops@example.org)"

# Pages that stand in for a document: what CDNs and content systems really serve.
AKAMAI = b"""<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>
You don't have permission to access "http&#58;&#47;&#47;www&#46;agency&#46;gov&#47;reports" on this server.<P>
Reference&#32;&#35;18&#46;3c6c2217&#46;1732600000&#46;5a1b2c3
</BODY>
</HTML>"""
CLOUDFLARE = (
    b'<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>'
    b'<body><div id="cf-wrapper"><div id="cf-error-details"><h1>Sorry, you have been '
    b'blocked</h1><p>Cloudflare Ray ID: 8a1b2c3d4e5f6789</p></div></div></body></html>'
)
F5 = (
    b"<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. "
    b"Please consult with your administrator.<br><br>Your support ID is: 1234567890123456789"
    b"<br><br><a href='javascript:history.back();'>[Go Back]</a></body></html>"
)
INCAPSULA = (
    b'<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW">'
    b'</head><body style="margin:0px;height:100%"><iframe id="main-iframe" '
    b'src="/_Incapsula_Resource?CWUDNSAI=24&xinfo=8-1234&incident_id=1-2-3" '
    b'frameborder=0>Request unsuccessful. Incapsula incident ID: 123000-456</iframe>'
    b'</body></html>'
)
PARDON = (
    b"<!DOCTYPE html><html><head><title>Pardon Our Interruption</title></head><body>"
    b"<h1>Pardon Our Interruption</h1><p>As you were browsing something about your "
    b"browser made us think you were a bot.</p></body></html>"
)
RATE_PAGE = (
    b"<html><head><title>Too Many Requests</title></head><body><h1>Too Many Requests"
    b"</h1><p>Please slow down.</p></body></html>"
)
SOFT_404 = (
    b"<!DOCTYPE html><html><head><title>Page Not Found | Agency</title></head><body>"
    b"<h1>Page Not Found</h1><p>The page you requested may have moved.</p></body></html>"
)


SOURCE = Source(
    id="fake_agency",
    agency="DHS",
    title="Fake agency reports",
    start_urls=(LISTING,),
    allowed_hosts=("agency.gov",),
)


def listing_html(*urls: str) -> bytes:
    items = "".join(f'<li><a href="{u}">Report {i}</a></li>' for i, u in enumerate(urls, 1))
    return (
        f"<!DOCTYPE html><html><head><title>Reports | Agency</title></head><body>"
        f"<h1>Family Unit Actions Reports</h1><ul>{items}</ul></body></html>"
    ).encode()


def pdf(title: str, total: int) -> bytes:
    return f"%PDF-1.4\nTITLE {title}\nTOTAL {total}\n%%EOF\n".encode()


def parse(doc) -> ParseResult:
    """Listing: its links. PDF: one report with a title and a total; garbage: layout_changed."""
    from scrapers.records import Problem

    if doc.is_pdf:
        text = doc.body.decode("latin-1")
        title = re.search(r"TITLE (.+)", text)
        total = re.search(r"TOTAL (\d+)", text)
        if not title or not total:
            return ParseResult(
                "1",
                reports=[ReportRecord(title=None, url=doc.url)],
                problems=[Problem("layout_changed", "no TOTAL line", report=0)],
            )
        return ParseResult(
            "1",
            reports=[ReportRecord(title=title.group(1), url=doc.url)],
            counts=[CountRecord(0, "separations", "total", "total", "Total", int(total.group(1)))],
        )
    links = re.findall(r'href="([^"]+)"', doc.body.decode("utf-8", "replace"))
    return ParseResult("1", links=[Link(u) for u in links])


def registered(source: Source = SOURCE, parser=parse) -> RegisteredSource:
    return RegisteredSource(source, parser)


def make_fetcher(**overrides) -> tuple[Fetcher, list[float]]:
    """A fetcher with tiny timeouts, one retry, no backoff and a recorded (not real) sleep."""
    slept: list[float] = []
    rewrite = overrides.pop("rewrite", None)
    settings = dict(
        user_agent=USER_AGENT,
        connect_timeout=2.0,
        read_timeout=2.0,
        total_timeout=10.0,
        retries=1,
        backoff=0.0,
        host_min_interval=0.0,
        max_bytes=100_000,
    )
    settings.update(overrides)
    fetcher = Fetcher(
        HttpConfig(**settings), rewrite=rewrite, clock=lambda: 0.0, sleep=slept.append
    )
    return fetcher, slept


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    error: Exception | None = None


class Site:
    """Pages by URL, served through ``responses``; unknown URLs are 404."""

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.pages: dict[str, Page] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list = []
        rsps.add_callback(responses.GET, re.compile(r"https?://.*"), callback=self._serve)

    def page(self, url: str, body: bytes = b"", **kwargs) -> None:
        self.pages[url] = Page(body, **kwargs)

    def _serve(self, request):
        self.hits[request.url] += 1
        self.requests.append(request)
        page = self.pages.get(request.url)
        if page is None:
            return 404, {"Content-Type": "text/plain"}, b"no such page"
        if page.error is not None:
            return page.error
        headers = dict(page.headers)
        if page.content_type:
            headers["Content-Type"] = page.content_type
        if page.etag and page.status == 200:
            tag = '"' + hashlib.sha256(page.body).hexdigest()[:16] + '"'
            headers["ETag"] = tag
            if request.headers.get("If-None-Match") == tag:
                return 304, {"ETag": tag}, b""
        return page.status, headers, page.body


def good_site(site: Site) -> None:
    site.page(LISTING, listing_html(R1, R2))
    site.page(R1, pdf("Report one", 7), content_type="application/pdf")
    site.page(R2, pdf("Report two", 9), content_type="application/pdf")


def archive_files(root: Path) -> list[str]:
    return (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


def stored_state(session, archive, *, with_last_seen: bool = True) -> dict:
    """Everything a hostile response must leave untouched."""

    def count(model) -> int:
        return session.scalar(select(func.count()).select_from(model))

    session.expire_all()
    reports = sorted(
        (
            r.url,
            r.title,
            r.snapshot_id,
            r.removed_at,
            r.last_seen if with_last_seen else None,
            r.first_seen,
        )
        for r in session.scalars(select(Report))
    )
    return {
        "reports": reports,
        "counts": {
            m.__name__: count(m)
            for m in (Report, Snapshot, CountObservation, Statement, Parse, HttpValidator)
        },
        "validators": sorted(
            session.execute(
                select(HttpValidator.url, HttpValidator.etag, HttpValidator.sha256)
            ).all()
        ),
        "archive": archive_files(archive.root),
    }
