"""Appropriations texts on GovInfo: public laws, committee reports, committee prints (the joint
explanatory statements), the Congressional Record and enrolled bills, read for new reporting
requirements on the monitor's topics (``scrapers/discovery``).

Polling (the GovInfo API, ``scrapers/fetch/jsonapi.py``, key ``govinfo_api_key`` in ``X-Api-Key``):
    each poll walks ``published/{since}?collection=PLAW,CRPT,CPRT,CREC,BILLS`` (packages by date
    issued) and ``collections/{collection}/{since}`` for each of the five (packages added or
    modified), with ``offsetMark`` paging; ``since`` is the last successful poll less two days
    (the first poll looks back 90 days; older texts come in by hand, below). Then, for each
    package listed that may be an appropriations text for Homeland Security or Labor-HHS
    (:func:`relevant_title`; an enrolled bill only, ``BILLS-...enr``): its summary (JSON), then
    its text rendition (``download.txtLink``, GPO text in a ``<pre>``; the PDF when there is no
    text). A Congressional Record issue's title says nothing of its contents, so its summary
    leads to its granules, whose titles are filtered the same way (the explanatory statements
    are printed there: "EXPLANATORY STATEMENT SUBMITTED BY ... REGARDING H.R. 2617,
    CONSOLIDATED APPROPRIATIONS ACT, 2023"). Every answer is archived and recorded like any
    fetch; the texts' requirement candidates are stored by ``monitor/candidates.py``.

Documents:
    a package's text rendition, e.g.
    https://www.govinfo.gov/content/pkg/CPRT-117HPRT50347/html/CPRT-117HPRT50347.htm or
    https://api.govinfo.gov/packages/PLAW-117publ103/htm, or its PDF; the API's package and
    granule summaries (JSON: title, dateIssued, download links), its collection and published
    listings (JSON: ``packages``) and a Record issue's granules (JSON: ``granules``).

What a text yields: one report (the package: its title, URL, page count) and its requirement
candidates, each with its quote and citation. A text on other subjects legitimately yields no
candidate. What is not an official text at all (no section, title, page or Record markers, no
"Appropriations") is ``layout_changed``: an error page or a redesigned site, not silence. A
relevant package whose summary offers no text rendition at all is a ``layout_changed`` problem
naming the package.

Quirks: a vehicle bill keeps its original long title ("An Act To amend the State Department
Basic Authorities Act of 1956 ...": the enrolled Consolidated Appropriations Act, 2018, whose
summary even says ``isAppropriation: false``); its public law (``PLAW-115publ141``) carries the
short title and is read instead. Titles are upper case in reports and granules.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from scrapers import sniff
from scrapers.discovery import context_for, discover_document
from scrapers.discovery.body import pages_of
from scrapers.read.htmltext import parse_html
from scrapers.fetch.jsonapi import GOVINFO, ApiListing, with_params, without_params
from scrapers.records import Document, Link, ParseResult, Problem, ReportRecord
from scrapers.source import Shape, Source

# The collections read: public laws, committee reports and prints, the Record, enrolled bills.
COLLECTIONS = ("PLAW", "CRPT", "CPRT", "CREC", "BILLS")
API = replace(GOVINFO, page_size=1000)  # the API's largest page


def api_listings(since: datetime) -> tuple[ApiListing, ...]:
    """The listings one poll walks, for packages issued or modified since ``since``."""
    since = since.astimezone(timezone.utc)
    stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    published = ApiListing(
        API.url(f"published/{since:%Y-%m-%d}", collection=",".join(COLLECTIONS)),
        "packages",
        "packageId",
    )
    return (
        published,
        *(
            ApiListing(API.url(f"collections/{c}/{stamp}"), "packages", "packageId")
            for c in COLLECTIONS
        ),
    )


SOURCE = Source(
    id="govinfo_appropriations",
    agency="Congress",
    title="GovInfo: appropriations acts, committee reports and explanatory statements",
    start_urls=(),
    allowed_hosts=("govinfo.gov",),
    content_types=("text/html", "text/plain", "application/pdf", "application/json"),
    poll_every=timedelta(days=1),
    parser_version="2",
    listing_shape=Shape(min_items=1, allow_empty=True),
    # a summary or a granule page of no interest legitimately leads nowhere
    report_shape=Shape(min_items=1, allow_empty=True),
    secret_headers=((API.key_header, API.key_setting),),
    api=API,
    api_listings=api_listings,
    api_lookback=timedelta(days=90),
)

_PACKAGE = re.compile(
    r"\b((?:PLAW|CRPT|CPRT|CREC|BILLS|CHRG|CDOC|STATUTE)-[0-9A-Za-z-]+?)"
    r"(?=/|\.htm|\.html|\.pdf|\.txt|$)"
)
_GRANULE = re.compile(r"/granules/((?:CREC|CHRG|CDOC)-[0-9A-Za-z-]+)(?=/|$)")
# What an official text carries somewhere: a section or title heading, a GPO page marker (in
# HTML, or a PDF's "VerDate ... Jkt" imprint), a Statutes at Large page, the Record's masthead,
# or the word the whole family is about.
_OFFICIAL = re.compile(
    r"\bSEC(?:TION)?\.\s*\d|\[\[Page|\d+\s+STAT\.\s+\d|Congressional\s+Record|"
    r"\bTITLE\s+[IVXL]+\b|Appropriations|\bPublic\s+Law\s+\d|"
    r"\bVerDate\b.{0,80}\bJkt\b",
    re.I,
)

# The family of titles read: an appropriations measure (act, bill, report, print, statement)
# that carries Homeland Security or Labor-HHS money: the subcommittee bills themselves, the
# omnibus, consolidated, minibus, continuing and supplemental acts that carry them, and the
# explanatory statements printed for them. A regular bill of another subcommittee (Defense,
# Energy and Water, Agriculture...) is not read.
_APPROPRIATION = re.compile(r"\bappropriations?\b", re.I)
_OURS = re.compile(
    r"homeland\s+security|health\s+and\s+human\s+services|\blabor\b|"
    r"\b(?:consolidated|omnibus|minibus|continuing|supplemental)\b|"
    r"southern\s+border|humanitarian|explanatory\s+statement",
    re.I,
)


def relevant_title(title: str | None) -> bool:
    """Whether a package or granule title names an appropriations measure this source reads."""
    if not title:
        return False
    title = " ".join(title.split())
    return bool(_APPROPRIATION.search(title) and _OURS.search(title))


def wanted(item: dict) -> bool:
    """Whether a listed package may be one to read (its summary then decides): a watched
    collection, an enrolled bill only, and a title of the family when the listing gives one
    (a Record issue's title says nothing: its granules decide)."""
    package = item.get("packageId")
    if not isinstance(package, str):
        return False
    collection = package.split("-", 1)[0]
    if collection not in COLLECTIONS:
        return False
    if collection == "BILLS" and not package.endswith("enr"):
        return False
    title = item.get("title")
    if collection == "CREC" or not isinstance(title, str) or not title.strip():
        return True
    return relevant_title(title)


def package_id_of(url: str) -> str:
    """The GovInfo package (or Record granule) id a URL names (``CPRT-117HPRT50347``,
    ``CREC-2022-12-20-pt2-PgS8553``), else the file's stem."""
    path = urlsplit(url).path
    m = _GRANULE.search(path) or _PACKAGE.search(path)
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
    result.reports.append(
        ReportRecord(title=title, url=doc.url, page_count=len(pages) if found.is_pdf else None)
    )
    if not _OFFICIAL.search(text):
        result.problems.append(
            Problem(
                "layout_changed",
                "not an official text: no section, title, page or Record markers "
                "and no mention of appropriations",
                report=0,
            )
        )
        return result
    package = package_id_of(doc.url)
    discovery = discover_document(
        doc.body, context_for(package, url=doc.url, title=title), content_type=doc.content_type
    )
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
            if isinstance(item, dict) and isinstance(item.get("packageLink"), str) and wanted(item):
                result.links.append(
                    Link(item["packageLink"], title=item.get("title") or item["packageId"])
                )
        return result  # a page with nothing of interest is not an error
    if isinstance(data.get("granules"), list):  # a Record issue's granules
        for item in data["granules"]:
            if (
                isinstance(item, dict)
                and isinstance(item.get("granuleLink"), str)
                and relevant_title(item.get("title"))
            ):
                result.links.append(Link(item["granuleLink"], title=item.get("title")))
        nxt = data.get("nextPage")
        if isinstance(nxt, str) and nxt.strip():
            result.links.append(Link(nxt, title="granules, next page"))
        return result
    if isinstance(data.get("packageId"), str):  # a package or granule summary
        return _summary(doc, data, result)
    result.problems.append(
        Problem("layout_changed", "neither a package listing nor a package summary")
    )
    return result


def _titles(data: dict) -> list[str]:
    """A summary's title and short titles (``shortTitle``: a string or a list of objects)."""
    out = [data["title"]] if isinstance(data.get("title"), str) else []
    short = data.get("shortTitle")
    for entry in short if isinstance(short, list) else [short]:
        if isinstance(entry, str):
            out.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("title"), str):
            out.append(entry["title"])
    return out


def _summary(doc: Document, data: dict, result: ParseResult) -> ParseResult:
    package = data.get("granuleId") if isinstance(data.get("granuleId"), str) else data["packageId"]
    title = data.get("title") if isinstance(data.get("title"), str) else None
    issued = _date(data.get("dateIssued"))
    result.reports.append(
        ReportRecord(
            title=title, url=doc.url, issued=issued, issued_precision="day" if issued else None
        )
    )
    collection = str(data.get("collectionCode") or data["packageId"].split("-", 1)[0])
    if collection == "CREC" and "granuleId" not in data:  # an issue: its granules decide
        link = data.get("granulesLink") or API.url(f"packages/{data['packageId']}/granules")
        link = with_params(
            without_params(link, ("offset", "offsetMark", "pageSize")),
            offsetMark="*",
            pageSize=API.page_size,
        )
        result.links.append(Link(link, title=title))
        return result
    if collection == "BILLS" and not data["packageId"].endswith("enr"):
        return result
    relevant = (
        any(relevant_title(t) for t in _titles(data))
        or str(data.get("isAppropriation", "")).lower() == "true"
    )
    if not relevant:
        return result
    download = data.get("download") if isinstance(data.get("download"), dict) else {}
    text_link = download.get("txtLink") or download.get("htmLink") or download.get("pdfLink")
    if isinstance(text_link, str) and text_link.strip():
        result.links.append(Link(text_link, title=title))
    else:
        result.problems.append(
            Problem(
                "layout_changed",
                f"{package}: no text rendition (its summary offers no txtLink "
                f"or pdfLink); the text cannot be read for requirements",
                report=0,
            )
        )
    return result


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) else None
    except ValueError:
        return None
