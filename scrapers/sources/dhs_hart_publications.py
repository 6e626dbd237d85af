"""DHS privacy publications about HART (the Homeland Advanced Recognition Technology System).

Pages:
    https://www.dhs.gov/publication/dhsobimpia-004-homeland-advanced-recognition-technology-system-hart-increment-1
        the HART privacy impact assessment's page (DHS/OBIM/PIA-004); the same URL carried the
        2021 text and, later, the August 2024 update (PIA-004(a)): the page is one report whose
        readings are revisions
    https://www.dhs.gov/publications-library/privacy?sort_by=field_last_update_date_value&sort_order=DESC
        the DHS Privacy Office's publications library, newest update first (Drupal views
        parameters: ``items_per_page``, ``sort_by``, ``sort_order``, ``page`` from 0)
    Each publication has a page at /publication/<slug> and a PDF under /sites/default/files/.

What it lists: privacy impact assessments (PIA), their updates, system of records notices
(SORN), reports to Congress and other privacy publications. The listing keeps the entries that
concern HART (they name HART, OBIM, IDENT or Homeland Advanced Recognition Technology in their
title or description); the monitor follows them to their pages. Each page yields one report and
one publication record: title, document id (``DHS/OBIM/PIA-004(a)``), kind (``pia``,
``pia_update``, ``sorn``, ``report_to_congress``, ``other``), the "Created", "Last Published" and
"Last Updated" dates, a date printed in the text ("August 2024"), the PDF the page links, the
associated SORNs and whether the document mentions HART.

Statutory hook: the HART disclosure the DHS appropriations explanatory statements ask for
(docs/domain.md#dhs_hart_disclosure). A document here is only a candidate: a person confirms that
it is the disclosure (`monitor evidence dhs_hart_disclosure --from-report ID`).

Quirks:
- two site designs: the older Drupal theme prints "Created Date:" and "Last Published Date:"
  under the body; the newer (USWDS) theme prints "Last Updated: MM/DD/YYYY"; labels are read in
  several wordings ("Date Created", "Published", "Last Updated Date", "Last Modified") and dates
  in several formats ("July 6, 2021", "Sept. 6, 2021", "07/06/2021", "2021-07-06", "6 July 2021");
- the 2024 update kept the page's old title ("... Increment 1", "PIA-004" without "(a)"): its kind
  comes from the body ("issuing this Privacy Impact Assessment (PIA) update") and its id, when
  the page prints none with a letter, from the PDF's file name (``pia-obim-004a``);
- a page without any date label (a redesign, or a copy cut short) is ``layout_changed``, never a
  document without a date; a listing without entries is ``empty``; a listing whose entries link
  nowhere is ``layout_changed``; a listing whose entries concern other programmes is a good read
  that yields nothing (the absence of a HART document is what the rule needs to see);
- a page links its PDF (the document's body): the poll follows the library's pages and, one
  level more, their PDFs, and asks every one of them again at each daily poll (conditionally),
  so a changed "Last Published" date is seen the next day;
- the listing shows the most recently updated publications only: a document older than the
  monitor's first read is seen only through the HART page or when it is updated again.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from scrapers.interpret.dates import MONTHS, cover_date, normalise_space
from scrapers.read.documents import Loaded, load
from scrapers.read.listings import anchors, is_pdf_url, unique
from scrapers.records import Document, Link, ParseResult, Problem, PublicationRecord, ReportRecord
from scrapers.source import Shape, Source

HART_PAGE = (
    "https://www.dhs.gov/publication/"
    "dhsobimpia-004-homeland-advanced-recognition-technology-system-hart-increment-1"
)
PRIVACY_LIBRARY = (
    "https://www.dhs.gov/publications-library/privacy?"
    "sort_by=field_last_update_date_value&sort_order=DESC"
)

SOURCE = Source(
    id="dhs_hart_publications",
    agency="DHS",
    title="DHS privacy publications about HART (PIAs, SORNs, reports to Congress)",
    start_urls=(HART_PAGE, PRIVACY_LIBRARY),
    allowed_hosts=("dhs.gov",),
    content_types=("text/html", "application/pdf", "text/plain"),
    poll_every=timedelta(days=1),
    parser_version="2",  # 2: a PDF's text is its body; a page links its PDF
    # a listing whose entries all concern other programmes is a good read that yields nothing
    listing_shape=Shape(min_items=1, allow_empty=True),
    report_shape=Shape(min_items=1),
    link_periods=None,  # publications are not reports for a period
    follow_document_links=True,  # a library page's PDF: the document's body
    # every poll asks each HART page (and PDF) again, conditionally: a changed Last Published
    # date is a new observation the day DHS makes it, not a week later
    recheck_days=0,
)

# "DHS/OBIM/PIA-004(a)", "DHS/ALL/PIA-041", "DHS/TSA/PIA-052", "DHS/ALL-041" (a SORN),
# "DHS/USCIS-007", "DHS/OBIM/PIA-001(c)"
_DOC_ID = re.compile(r"\bDHS/[A-Z]+(?:/[A-Z]+)*[-/](?:PIA-)?\d{3}(?:\s?\([a-z]\))?")
_PIA_ID = re.compile(r"/PIA-\d{3}")
_UPDATE_ID = re.compile(r"\([a-z]\)$")
_HART = re.compile(r"\bHART\b|Homeland\s+Advanced\s+Recognition\s+Technology", re.I)
# entries of the library that concern HART: it, its office, the system it replaces
_RELEVANT = re.compile(
    r"\bHART\b|\bOBIM\b|\bIDENT\b|Homeland\s+Advanced\s+Recognition|"
    r"Biometric\s+Identity\s+Management"
)
_KIND_WORDS = re.compile(
    r"Privacy\s+Impact\s+Assessment|System\s+of\s+Records|"
    r"Report\s+to\s+Congress|Privacy\s+Threshold",
    re.I,
)
_UPDATE_WORDS = re.compile(
    r"Privacy\s+Impact\s+Assessment\s*(?:\(PIA\)\s*)?Update|"
    r"\bPIA\s+update\b",
    re.I,
)
_SORN_WORDS = re.compile(r"System\s+of\s+Records(?:\s+Notice)?|\bSORN\b", re.I)
_CONGRESS_WORDS = re.compile(r"Report\s+to\s+Congress|Congressional\s+Report", re.I)
# what surrounds the document on its page (and ends its description)
_BOILERPLATE = re.compile(
    r"^(?:You are here|Back to Top|Skip to main content|U\.S\. flag|"
    r"An official website of the United States government|Home|News|"
    r"Publications? Library|Privacy|Download:?|pdf\s*\|?)$",
    re.I,
)
_END_OF_BODY = re.compile(
    r"^(?:Associated\s+SORN|Related\s+|Attachments?\b|Keywords?\b|"
    r"Topics?\b|Back to Top|Created|Date Created|Last\s+(?:Published|Updated|"
    r"Modified|Reviewed)|Published|Publication Date|Updated)",
    re.I,
)
# the library's own introduction, kept by both designs
_LIBRARY = re.compile(r"DHS\s+Privacy\s+Office\s+is\s+responsible\s+for\s+evaluating", re.I)

# Date labels, in the wordings of the two designs and their likely successors.
_LABELS = (
    ("created", r"Created(?:\s+Date)?|Date\s+Created|Date\s+of\s+Creation"),
    (
        "last_published",
        r"Last\s+Published(?:\s+Date)?|Date\s+(?:Last\s+)?Published|"
        r"Publication\s+Date|Published(?:\s+Date)?|Original\s+Release\s+Date",
    ),
    (
        "last_updated",
        r"(?:Page\s+)?Last\s+(?:Updated|Modified|Reviewed)(?:\s+Date)?|"
        r"Date\s+(?:Last\s+)?(?:Updated|Modified)|Updated(?:\s+Date)?",
    ),
)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"  # July 6, 2021
    r"|\d{1,2}\s+" + _MONTH + r",?\s+\d{4}"  # 6 July 2021
    r"|\d{1,2}/\d{1,2}/\d{4}"  # 07/06/2021
    r"|\d{4}-\d{2}-\d{2}"  # 2021-07-06
    r"|" + _MONTH + r",?\s+\d{4})"
)  # July 2021 (month precision)
# "Last Published Date: July 6, 2021" anywhere in a line; "Last Updated 08/26/2024" as a line of
# its own; a label alone on its line with the date on the next (<dt>/<dd>). A word such as
# "published" inside a sentence is never a label: it needs the colon or a line of its own.
_LABELLED = [
    (
        name,
        re.compile(r"(?<![\w-])(?:" + words + r")\s*:\s*(" + _DATE + r")", re.I),
        re.compile(r"^\s*(?:" + words + r")\s*:?\s*(" + _DATE + r")?\s*$", re.I),
    )
    for name, words in _LABELS
]
# The text of a PDF kept as its body (a 72-page assessment is some 200,000 characters); what is
# cut is said in the text itself.
BODY_MAX = 400_000
_TRAILING_DATE = re.compile(r"(?:^|[.;)]\s+)(" + _MONTH + r",?\s+\d{4})\s*$", re.I)


def parse_date(text: str) -> tuple[date, str] | None:
    """(date, precision) of one printed date in any of the forms above; None when it is not one
    (or not a real day)."""
    text = normalise_space(text).rstrip(".")
    try:
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if m:
            return date(int(m.group(3)), int(m.group(1)), int(m.group(2))), "day"
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "day"
        m = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})", text)
        if m and MONTHS.get(m.group(2).lower()):
            return date(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1))), "day"
        m = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", text)
        if m and MONTHS.get(m.group(1).lower()):
            return date(int(m.group(3)), MONTHS[m.group(1).lower()], int(m.group(2))), "day"
        m = re.fullmatch(r"([A-Za-z]+)\.?,?\s+(\d{4})", text)
        if m and MONTHS.get(m.group(1).lower()):
            return date(int(m.group(2)), MONTHS[m.group(1).lower()], 1), "month"
    except ValueError:
        return None
    return None


def parse(doc: Document) -> ParseResult:
    loaded = load(doc)
    if isinstance(loaded, Problem):
        return ParseResult(SOURCE.parser_version, problems=[loaded])
    if loaded.kind == "pdf" or re.search(r"DHS\s+Reference\s+No\.", loaded.first_page()[:3000]):
        return _document(doc, loaded)
    entries, links = _entries(doc, loaded)
    library = bool(_LIBRARY.search(loaded.text)) or urlsplit(doc.url).path.startswith(
        "/publications-library"
    )
    title = None if library else _page_title(loaded)
    if title is not None:  # a page may link other publications (its SORNs): still one page
        return _page(doc, loaded, title)
    if library or entries:
        return _listing(loaded, entries, links)
    return ParseResult(
        SOURCE.parser_version,
        problems=[
            Problem(
                "layout_changed",
                "neither a publication page (a title naming a DHS privacy document) "
                "nor the privacy publications listing (its entries or introduction)",
            )
        ],
    )


# -- a publication's own page -----------------------------------------------------------------


def _lines(loaded: Loaded) -> list[str]:
    return [normalise_space(line) for line in loaded.text.splitlines() if line.strip()]


def _clean_title(text: str) -> str:
    text = normalise_space(re.sub(r"\s*\|\s*Homeland Security\s*$", "", text))
    return text.lstrip("\u2022-* ").strip()


def _page_title(loaded: Loaded) -> str | None:
    """The document's title: the page heading, else (saved text) the first line naming a DHS
    privacy document. None when the page names none."""
    candidates = [loaded.title] if loaded.title else []
    if loaded.kind == "text":
        candidates += [line for line in _lines(loaded)[:15] if not _BOILERPLATE.match(line)]
    for text in candidates:
        title = _clean_title(text or "")
        if title and len(title) < 300 and (_DOC_ID.search(title) or _KIND_WORDS.search(title)):
            return title
    return None


def _labelled_dates(text: str) -> dict[str, tuple[date, str]]:
    """The first date under each label (created, last_published, last_updated)."""
    found: dict[str, tuple[date, str]] = {}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        for name, inline, alone in _LABELLED:
            if name in found:
                continue
            m = inline.search(line) or alone.match(line)
            if m is None:
                continue
            printed = m.group(1)
            if printed is None and i + 1 < len(lines):  # the label alone; the date below it
                printed = lines[i + 1]
            parsed = parse_date(printed) if printed else None
            if parsed:
                found[name] = parsed
    return found


def _body(lines: list[str], title: str, attachments: list[str]) -> list[str]:
    """The description: the lines after the title up to the SORN list or the date labels,
    without the lines naming the page's attachments."""
    # after the last line naming the title (the <title>, the breadcrumb, the <h1>) before the
    # description's first long line
    prose = next(
        (i for i, line in enumerate(lines) if len(line) > 150 and title not in line), len(lines)
    )
    start = max(
        (i + 1 for i, line in enumerate(lines[:prose]) if _clean_title(line).endswith(title)),
        default=0,
    )
    out = []
    for line in lines[start:]:
        if _END_OF_BODY.match(line):
            break
        if (
            _BOILERPLATE.match(line)
            or _clean_title(line) == title
            or any(a and line.startswith(a) for a in attachments)
        ):
            continue
        out.append(line)
    return out


def _sorns(lines: list[str]) -> list[str]:
    at = next(
        (i for i, line in enumerate(lines) if re.match(r"Associated\s+SORN", line, re.I)), None
    )
    if at is None:
        return []
    out = []
    for line in lines[at + 1 : at + 20]:
        line = line.lstrip("\u2022-* ").strip()
        if not re.match(r"DHS/", line):
            break
        out.append(line)
    return out


def _pdf(doc: Document, loaded: Loaded) -> str | None:
    pdfs = [a for a in anchors(loaded.root, doc.url) if is_pdf_url(a.url)]
    preferred = [
        a for a in pdfs if re.search(r"pia|sorn|privacy|report", f"{a.text} {a.url}", re.I)
    ]
    chosen = (preferred or pdfs)[:1]
    return chosen[0].url if chosen else None


def _id_from_file(url: str | None, component: str | None) -> str | None:
    """``DHS/OBIM/PIA-004(a)`` from a PDF named ``..._pia-obim-004a-HART-update.pdf``."""
    if not url:
        return None
    m = re.search(r"pia[-_]([a-z]+)[-_](\d{3})([a-z])?(?![a-z0-9])", urlsplit(url).path, re.I)
    if not m or (component and m.group(1).upper() != component):
        return None
    return f"DHS/{m.group(1).upper()}/PIA-{m.group(2)}" + (
        f"({m.group(3).lower()})" if m.group(3) else ""
    )


def _kind(document_id: str | None, title: str, text: str) -> str:
    if document_id and _PIA_ID.search(document_id):
        if _UPDATE_ID.search(document_id) or _UPDATE_WORDS.search(text):
            return "pia_update"
        return "pia"
    if _CONGRESS_WORDS.search(title):
        return "report_to_congress"
    if _SORN_WORDS.search(title):
        return "sorn"
    if re.search(r"Privacy\s+Impact\s+Assessment", title, re.I):
        return "pia_update" if _UPDATE_WORDS.search(text) else "pia"
    if document_id:  # DHS/ALL-041: an id without PIA is a system of records
        return "sorn"
    return "other"


def _document_id(title: str, texts: list[str], pdf_url: str | None) -> str | None:
    """The id as printed in the title; a more specific one (an update's letter) printed in the
    text or named by the PDF wins over the title's."""
    in_title = _DOC_ID.search(title)
    base = in_title.group(0).replace(" (", "(") if in_title else None
    for text in texts:
        for m in _DOC_ID.finditer(text):
            found = m.group(0).replace(" (", "(")
            if base and found.startswith(base) and _UPDATE_ID.search(found):
                return found
    component = base.split("/")[1] if base and base.count("/") >= 2 else None
    from_file = _id_from_file(pdf_url, component)
    if from_file and (base is None or (from_file.startswith(base) and from_file != base)):
        return from_file
    return base


def _page(doc: Document, loaded: Loaded, title: str) -> ParseResult:
    lines = _lines(loaded)
    link_texts = [a.text for a in anchors(loaded.root, doc.url) if is_pdf_url(a.url)]
    body = _body(lines, title, link_texts)
    summary = normalise_space(" ".join(body))[:4000] or None
    dates = _labelled_dates(loaded.text)
    dated = None
    if summary:
        m = _TRAILING_DATE.search(summary)  # "... or its own authorities. August 2024"
        if m:
            dated = parse_date(m.group(1))
    pdf_url = _pdf(doc, loaded)
    document_id = _document_id(title, [summary or ""] + link_texts, pdf_url)
    pub = PublicationRecord(
        report=0,
        document_id=document_id,
        kind=_kind(document_id, title, summary or ""),
        title=title,
        created=dates.get("created", (None,))[0],
        last_published=dates.get("last_published", (None,))[0],
        last_updated=dates.get("last_updated", (None,))[0],
        dated=dated[0] if dated else None,
        dated_precision=dated[1] if dated else None,
        pdf_url=pdf_url,
        mentions_hart=bool(_HART.search(f"{title} {summary or ''}")),
        summary=summary,
        sorns=_sorns(lines),
    )
    problems = []
    if not dates:
        problems.append(
            Problem(
                "layout_changed",
                (
                    "no Created, Last Published or Last Updated date found on the publication page "
                    "(a redesign, or a copy cut short)"
                    + (f"; only the date in its text, {dated[0]}" if dated else "")
                ),
            )
        )
    result = _result(doc, pub, problems)
    if pdf_url:  # its PDF: the document's body, read when the monitor follows it
        result.links.append(Link(pdf_url, pub.title, "the PDF of this publication page"))
    return result


def _result(doc: Document, pub: PublicationRecord, problems: list[Problem]) -> ParseResult:
    precision = "day"
    if pub.published is not None and pub.published == pub.dated and pub.dated_precision:
        precision = pub.dated_precision
    report = ReportRecord(
        title=pub.title,
        url=doc.url,
        issued=pub.published,
        issued_precision=precision if pub.published else None,
    )
    return ParseResult(
        SOURCE.parser_version, reports=[report], publications=[pub], problems=problems
    )


# -- the document itself (its PDF, or the PDF's text) -------------------------------------------


def _document(doc: Document, loaded: Loaded) -> ParseResult:
    lines = _lines(loaded)[:80]
    ref = next(
        (i for i, line in enumerate(lines) if re.search(r"DHS\s+Reference\s+No\.", line)), None
    )
    start = next((i for i, line in enumerate(lines) if _KIND_WORDS.search(line)), None)
    title = None
    if start is not None:
        end = ref if ref is not None and ref > start else min(start + 4, len(lines))
        first = _KIND_WORDS.search(lines[start])
        title = normalise_space(" ".join([lines[start][first.start() :]] + lines[start + 1 : end]))
    id_match = _DOC_ID.search(lines[ref]) if ref is not None else None
    document_id = id_match.group(0).replace(" (", "(") if id_match else None
    dated = next(
        (cover_date(line) for line in lines[(ref or 0) : (ref or 0) + 6] if cover_date(line)), None
    )
    text = "\n".join(lines)
    body = _body_text(loaded)
    abstract = re.search(r"\bAbstract\b\s*(.+?)(?:\bOverview\b|$)", text, re.S)
    summary = normalise_space(abstract.group(1))[:4000] if abstract else None
    kind = _kind(document_id, title or "", " ".join(lines[: (ref or 0) + 8]))
    pub = PublicationRecord(
        report=0,
        document_id=document_id,
        kind=kind,
        title=title,
        dated=dated[0] if dated else None,
        dated_precision=dated[1] if dated else None,
        pdf_url=doc.url if is_pdf_url(doc.url) or loaded.kind == "pdf" else None,
        mentions_hart=bool(_HART.search(body)),
        summary=summary,
        body=body,
    )
    problems = []
    if title is None or document_id is None:
        problems.append(
            Problem(
                "layout_changed",
                "no DHS privacy document cover found (a title and \"DHS Reference No.\")",
            )
        )
    result = _result(doc, pub, problems)
    result.reports[0].page_count = loaded.page_count
    return result


def _body_text(loaded: Loaded) -> str:
    """The document's whole text, one line per printed line, cut at ``BODY_MAX`` characters
    (saying so)."""
    text = "\n".join(_lines(loaded))
    if len(text) <= BODY_MAX:
        return text
    return text[:BODY_MAX] + f"\n[cut: the first {BODY_MAX} of {len(text)} characters kept]"


# -- the publications library ---------------------------------------------------------------


def _entries(doc: Document, loaded: Loaded) -> tuple[list[str], list[Link]]:
    """(every entry listed, the links of the entries that concern HART). An entry is a link to
    a publication page, or (saved text, without links) a bullet naming a DHS privacy
    document."""
    here = urlsplit(doc.url).path.rstrip("/")
    entries, links = [], []
    for a in anchors(loaded.root, doc.url):
        path = urlsplit(a.url).path.rstrip("/")
        if "/publication/" not in path or path == here or is_pdf_url(a.url):
            continue
        entries.append(a.text)
        if _RELEVANT.search(f"{a.text} {a.context}"):
            description = a.context if a.context and a.context != a.text else None
            links.append(Link(a.url, a.text or None, description))
    if loaded.root is None:  # saved text: the entries are its bullet lines, linking nowhere
        entries = [
            line for line in loaded.text.splitlines() if re.match(r"\s*[\u2022*-]\s*DHS/", line)
        ]
    return entries, unique(links)


def _listing(loaded: Loaded, entries: list[str], links: list[Link]) -> ParseResult:
    problems = []
    if not entries:
        problems.append(Problem("empty", "the privacy publications listing lists no publication"))
    elif loaded.root is None:
        problems.append(
            Problem(
                "layout_changed",
                f"the listing shows {len(entries)} publications but links none of them",
            )
        )
    return ParseResult(SOURCE.parser_version, links=links, problems=problems)
