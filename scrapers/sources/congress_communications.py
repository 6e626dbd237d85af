"""Congress.gov API v3, executive communications received by the House and the Senate: the
official record that an agency's report reached Congress (see
docs/domain.md#congressgov-congresss-own-record).

Documents (JSON; every URL asks ``format=json``):
    https://api.congress.gov/v3/house-communication/118/ec?format=json&limit=250&offset=0
    https://api.congress.gov/v3/senate-communication/118/ec?format=json&limit=250&offset=0
        the executive communications (``ec``) of one Congress, paged by ``limit``/``offset``:
        chamber, number, communicationType, congress (``congressNumber`` in the House list),
        url, updateDate;
    https://api.congress.gov/v3/house-communication/117/ec/1234?format=json
        one communication: abstract ("A letter from the Secretary, Department of ...,
        transmitting ... pursuant to ...; to the Committee on Appropriations."),
        congressionalRecordDate, committees (name, referralDate), and for the House
        matchingRequirements, submittingAgency, legalAuthority, reportNature;
    https://api.congress.gov/v3/senate-communication/117/ec/2561?format=json
        the same for the Senate: abstract, congressionalRecordDate, committees (no requirement
        numbers: a Senate communication is matched by the law and the period its text names).

What it yields: a :class:`scrapers.interpret.congress.CongressCommunication` per communication read: the
day Congress received it (the Congressional Record date, else the earliest referral to a
committee), the agency (``submittingAgency``, else the sender its abstract names), the public
laws cited (legal authority and abstract), the requirement numbers the House matched it to, and
the period its text names ("for May 2021"; none when it names two or none). List pages yield
links to each communication and to the next page.

Statutory hook: none of its own; a communication is evidence that an obligation's report reached
Congress (rules/congress.py says when one matches a period).

Quirks: the key (``congress_api_key``) goes in the ``X-Api-Key`` header; the documentation
names the House item ``house-communication`` (XML) where the JSON says ``houseCommunication``
(both read); the Senate has no requirement numbers.
"""

from __future__ import annotations

from datetime import timedelta

from scrapers.interpret.congress import (
    API_HOST,
    PAGE_LIMIT,
    CongressCommunication,
    api_date,
    as_int,
    clean,
    communication_type,
    json_url,
    named_text_period,
    next_page,
    public_laws,
    read_answer,
    sender_agency,
    with_params,
)
from scrapers.records import Document, Link, ParseResult, Problem
from scrapers.source import Shape, Source

# The Congresses whose communications are read: the monitor's obligations run from 2019 (the
# 116th Congress) on. A new Congress is one more pair of start URLs.
CONGRESSES = (116, 117, 118, 119)

SOURCE = Source(
    id="congress_communications",
    agency="Congress",
    title="Congress.gov: executive communications received by the House and the Senate",
    # walked page by page by monitor/congress_poll.py (polled only with congress_api_key set)
    start_urls=tuple(
        with_params(
            f"https://{API_HOST}/v3/{chamber}-communication/{c}/ec",
            format="json",
            limit=PAGE_LIMIT,
            offset=0,
        )
        for c in CONGRESSES
        for chamber in ("house", "senate")
    ),
    allowed_hosts=(API_HOST,),
    content_types=("application/json",),
    poll_every=timedelta(days=1),
    parser_version="1",
    listing_shape=Shape(min_items=1, allow_empty=True),
    report_shape=Shape(min_items=1),
    secret_headers=(("X-Api-Key", "congress_api_key"),),
    link_periods=None,
)

_LISTS = ("houseCommunications", "senateCommunications")
_ITEMS = (
    "houseCommunication",
    "senateCommunication",
    "house-communication",
    "senate-communication",
)


def parse(doc: Document) -> ParseResult:
    result = ParseResult(SOURCE.parser_version)
    data, problem = read_answer(doc.body)
    if problem is not None:
        result.problems.append(Problem(*problem))
        return result
    listed = next((data[k] for k in _LISTS if isinstance(data.get(k), list)), None)
    item = next((data[k] for k in _ITEMS if isinstance(data.get(k), dict)), None)
    if listed is not None:
        for entry in listed:
            url = entry.get("url") if isinstance(entry, dict) else None
            if isinstance(url, str):
                code = communication_type(entry.get("communicationType")) or "?"
                result.links.append(
                    Link(
                        json_url(url),
                        title=f"{entry.get('chamber') or ''} {code} {entry.get('number')}".strip(),
                        description=clean(entry.get("updateDate")),
                    )
                )
        if listed and not result.links:
            result.problems.append(
                Problem("layout_changed", "a list of communications with no url")
            )
    elif item is not None:
        _communication(item, doc, result)
    else:
        result.problems.append(
            Problem("layout_changed", "neither a list of communications nor a communication")
        )
        return result
    nxt = next_page(data)
    if nxt:
        result.links.append(Link(nxt, title="next page"))
    return result


def _communication(item: dict, doc: Document, result: ParseResult) -> None:
    congress, number = (
        as_int(item.get("congress", item.get("congressNumber"))),
        as_int(item.get("number", item.get("communicationNumber"))),
    )
    code = communication_type(item.get("communicationType"))
    chamber = clean(item.get("chamber"))
    if congress is None or number is None or code is None or chamber not in ("House", "Senate"):
        result.problems.append(
            Problem(
                "layout_changed", "a communication without its chamber, congress, number or type"
            )
        )
        return
    committees = (
        [c for c in item.get("committees") or [] if isinstance(c, dict)]
        if isinstance(item.get("committees"), list)
        else []
    )
    referred = sorted(d for d in (api_date(c.get("referralDate")) for c in committees) if d)
    record_date = api_date(item.get("congressionalRecordDate"))
    abstract = clean(item.get("abstract"))
    authority = clean(item.get("legalAuthority"))
    requirements = item.get("matchingRequirements")
    numbers = (
        [
            n
            for n in (as_int(r.get("number")) for r in requirements if isinstance(r, dict))
            if n is not None
        ]
        if isinstance(requirements, list)
        else []
    )
    laws = public_laws(authority)
    laws += [law for law in public_laws(abstract) if law not in laws]
    period = named_text_period(abstract)
    result.congress.append(
        CongressCommunication(
            chamber=chamber,
            congress=congress,
            type_code=code,
            number=number,
            url=doc.url,
            detail=True,
            received_on=record_date or (referred[0] if referred else None),
            congressional_record_date=record_date,
            agency=clean(item.get("submittingAgency")) or sender_agency(abstract),
            abstract=abstract,
            legal_authority=authority,
            report_nature=clean(item.get("reportNature")),
            requirement_numbers=numbers,
            laws=laws,
            period_start=period[0] if period else None,
            period_end=period[1] if period else None,
            period_text=period[2] if period else None,
            committees=[n for n in (clean(c.get("name")) for c in committees) if n],
        )
    )
