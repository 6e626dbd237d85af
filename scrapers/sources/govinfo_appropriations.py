"""Appropriations texts on GovInfo: public laws, committee reports, committee prints (the joint
explanatory statements), the Congressional Record and enrolled bills, read for new reporting
requirements on the monitor's topics (``scrapers/discovery``).

Documents:
    a package's text rendition, e.g.
    https://www.govinfo.gov/content/pkg/CPRT-117HPRT50347/html/CPRT-117HPRT50347.htm or
    https://api.govinfo.gov/packages/PLAW-117publ103/htm (GPO text in a <pre>), or its PDF;
    the API's package summary (JSON: title, dateIssued, download links) and its collection
    listings (JSON: ``packages`` with ``packageId`` and ``packageLink``, paged by ``nextPage``).

What a text yields: one report (the package: its title, URL, page count) and its requirement
candidates, each with its quote and citation. A text on other subjects legitimately yields no
candidate. What is not an official text at all (no section, title, page or Record markers, no
"Appropriations") is ``layout_changed``: an error page or a redesigned site, not silence.

Polling the API (the ``published`` and ``collections`` endpoints with ``offsetMark`` paging and
the ``govinfo_api_key`` header) is not wired yet: the source has no start URLs, and texts come
in by hand through ``monitor ingest govinfo_appropriations FILE --url URL``.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from scrapers.discovery import context_for, discover_document
from scrapers.discovery.body import pages_of
from scrapers.htmltext import parse_html
from scrapers.records import Document, Link, ParseResult, Problem, ReportRecord
from scrapers.source import Shape, Source
from scrapers import sniff

SOURCE = Source(
    id="govinfo_appropriations",
    agency="Congress",
    title="GovInfo: appropriations acts, committee reports and explanatory statements",
    start_urls=(),
    allowed_hosts=("govinfo.gov",),
    content_types=("text/html", "text/plain", "application/pdf", "application/json"),
    poll_every=timedelta(days=1),
    parser_version="1",
    listing_shape=Shape(min_items=1, allow_empty=True),
    report_shape=Shape(min_items=1),
)

# The collections read: public laws, committee reports and prints, the Record, enrolled bills.
COLLECTIONS = ("PLAW", "CRPT", "CPRT", "CREC", "BILLS")
_PACKAGE = re.compile(r"\b((?:PLAW|CRPT|CPRT|CREC|BILLS|CHRG|CDOC|STATUTE)-[0-9A-Za-z-]+?)"
                      r"(?=/|\.htm|\.html|\.pdf|\.txt|$)")
# What an official text carries somewhere: a section or title heading, a GPO page marker, a
# Statutes at Large page, the Record's masthead, or the word the whole family is about.
_OFFICIAL = re.compile(r"\bSEC(?:TION)?\.\s*\d|\[\[Page|\d+\s+STAT\.\s+\d|Congressional\s+Record|"
                       r"\bTITLE\s+[IVXL]+\b|Appropriations|\bPublic\s+Law\s+\d", re.I)
# Titles of the packages this monitor reads: appropriations for Homeland Security or
# Labor-HHS, including the omnibus and consolidated acts that carry them.
_RELEVANT_TITLE = re.compile(r"appropriations?|explanatory\s+statement", re.I)


def package_id_of(url: str) -> str:
    """The GovInfo package id a URL names (``CPRT-117HPRT50347``), else the file's stem."""
    path = urlsplit(url).path
    m = _PACKAGE.search(path)
    if m:
        return m.group(1)
    stem = path.rstrip("/").rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0] or urlsplit(url).netloc or "unknown"


def parse(doc: Document) -> ParseResult:
    result = ParseResult(SOURCE.parser_version)
    found = sniff.sniff(doc.body)
    if (doc.body or b"").lstrip()[:1] in (b"{", b"[") and not found.is_pdf:
        return _parse_json(doc, result)
    pages = pages_of(doc.body, doc.content_type)
    if isinstance(pages, Problem):
        result.problems.append(pages)
        return result
    text = "\n".join(t for _p, t in pages)
    title = _title(doc)
    result.reports.append(ReportRecord(title=title, url=doc.url,
                                       page_count=len(pages) if found.is_pdf else None))
    if not _OFFICIAL.search(text):
        result.problems.append(Problem(
            "layout_changed", "not an official text: no section, title, page or Record markers "
                              "and no mention of appropriations", report=0))
        return result
    package = package_id_of(doc.url)
    discovery = discover_document(doc.body, context_for(package, url=doc.url, title=title),
                                  content_type=doc.content_type)
    if discovery.problem is not None:
        result.problems.append(discovery.problem)
    result.candidates.extend(discovery.candidates)
    return result


def _title(doc: Document) -> str | None:
    if not sniff.looks_like_html(doc.body):
        return None
    try:
        root = parse_html(doc.body, doc.content_type)
    except Exception:  # noqa: BLE001 - no title is not a problem; the text is read anyway
        return None
    found = root.findtext(".//title")
    return " ".join(found.split()) if found and found.strip() else None


def _parse_json(doc: Document, result: ParseResult) -> ParseResult:
    try:
        data = json.loads(doc.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        result.problems.append(Problem("parse_error", f"malformed JSON: {exc}"[:300]))
        return result
    if not isinstance(data, dict):
        result.problems.append(Problem("layout_changed", "a GovInfo answer is a JSON object"))
        return result
    if isinstance(data.get("packages"), list):  # a collection or published listing
        for item in data["packages"]:
            if not isinstance(item, dict):
                continue
            package, link = item.get("packageId"), item.get("packageLink")
            if isinstance(package, str) and isinstance(link, str) and \
                    package.split("-", 1)[0] in COLLECTIONS:
                result.links.append(Link(link, title=item.get("title") or package))
        if not data["packages"]:
            return result  # an empty page of a listing: nothing new, not an error
        if not result.links:
            result.problems.append(Problem("layout_changed",
                                           "no package of the watched collections listed"))
        return result
    if isinstance(data.get("packageId"), str):  # a package summary
        title = data.get("title") if isinstance(data.get("title"), str) else None
        issued = _date(data.get("dateIssued"))
        result.reports.append(ReportRecord(title=title, url=doc.url, issued=issued,
                                           issued_precision="day" if issued else None))
        download = data.get("download") if isinstance(data.get("download"), dict) else {}
        text_link = download.get("txtLink") or download.get("pdfLink")
        if isinstance(text_link, str) and title and _RELEVANT_TITLE.search(title):
            result.links.append(Link(text_link, title=title))
        return result
    result.problems.append(Problem("layout_changed",
                                   "neither a package listing nor a package summary"))
    return result


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) else None
    except ValueError:
        return None
