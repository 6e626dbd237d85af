"""Congress.gov API v3, House requirements: the reporting mandates the House Clerk keeps, and
the communications it matched to each (see docs/domain.md#congressgov-congresss-own-record).

Documents (JSON; the API's default is XML, so every URL asks ``format=json``):
    https://api.congress.gov/v3/house-requirement?format=json&limit=250&offset=0
        the list of requirements (number, updateDate, url), paged by ``limit``/``offset``; the
        list cannot be filtered, so every page is read and each requirement followed;
    https://api.congress.gov/v3/house-requirement/12478?format=json
        one requirement: parentAgency, submittingAgency, submittingOfficial, frequency
        ("Monthly."), nature, legalAuthority ("Public Law 114-287, section 13(c)(1); (130 Stat.
        1471)"), activeRecord, and matchingCommunications {count, url};
    https://api.congress.gov/v3/house-requirement/8070/matching-communications?format=json
        the communications matched to it (chamber, number, communicationType, congress, url).

What it yields: a :class:`scrapers.interpret.congress.CongressRequirement` per requirement (with the
public laws its legal authority cites), a communication mention per matched communication
(``detail: false``: the requirement number and the communication's identity; the
``congress_communications`` source reads the communication itself), and links: every
requirement of a list page, the next page, a requirement's matching communications.

Statutory hook: none of its own. An obligation's rule file names the requirement numbers that
are its own (``congress_requirements: [...]``); ``monitor check`` lists the requirements whose
legal authority cites a law an obligation cites and that no obligation claims.

Quirks: the key (setting ``congress_api_key``) goes in the ``X-Api-Key`` header, never in a
URL; an ``api_key`` the API echoes in ``pagination.next`` is dropped. The documentation spells
the list element ``houseReqirements``; the JSON answer says ``houseRequirements`` (both read).
An error answer (``{"error": {"code": "API_KEY_INVALID", ...}}``) is ``layout_changed``, never
an empty list.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from scrapers.interpret.congress import (
    API_HOST,
    PAGE_LIMIT,
    CongressCommunication,
    CongressRequirement,
    api_date,
    as_int,
    clean,
    communication_type,
    json_url,
    next_page,
    public_laws,
    read_answer,
    with_params,
)
from scrapers.records import Document, Link, ParseResult, Problem
from scrapers.source import Shape, Source

SOURCE = Source(
    id="congress_requirements",
    agency="Congress",
    title="Congress.gov: House reporting requirements and their matching communications",
    # walked page by page by monitor/congress_poll.py (polled only with congress_api_key set)
    start_urls=(
        with_params(
            f"https://{API_HOST}/v3/house-requirement", format="json", limit=PAGE_LIMIT, offset=0
        ),
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

_MATCHING = re.compile(r"/house-requirement/(\d+)/matching-communications")


def parse(doc: Document) -> ParseResult:
    result = ParseResult(SOURCE.parser_version)
    data, problem = read_answer(doc.body)
    if problem is not None:
        result.problems.append(Problem(*problem))
        return result
    listed = data.get("houseRequirements", data.get("houseReqirements"))
    if isinstance(listed, list):
        for item in listed:
            url = item.get("url") if isinstance(item, dict) else None
            number = as_int(item.get("number")) if isinstance(item, dict) else None
            if isinstance(url, str) and number is not None:
                result.links.append(
                    Link(
                        json_url(url),
                        title=f"House requirement {number}",
                        description=clean(item.get("updateDate")),
                    )
                )
        if listed and not result.links:
            result.problems.append(
                Problem("layout_changed", "a list of requirements with no number and url")
            )
    elif isinstance(data.get("houseRequirement"), dict):
        _requirement(data["houseRequirement"], doc, result)
    elif isinstance(data.get("matchingCommunications"), list):
        _matching(data["matchingCommunications"], doc, result)
    else:
        result.problems.append(
            Problem(
                "layout_changed",
                "neither a list of House requirements, a requirement nor its communications",
            )
        )
        return result
    nxt = next_page(data)
    if nxt:
        result.links.append(Link(nxt, title="next page"))
    return result


def _requirement(item: dict, doc: Document, result: ParseResult) -> None:
    number = as_int(item.get("number"))
    if number is None:
        result.problems.append(Problem("layout_changed", "a requirement without a number"))
        return
    matching = item.get("matchingCommunications")
    matching = matching if isinstance(matching, dict) else {}
    matching_url = matching.get("url") if isinstance(matching.get("url"), str) else None
    active = item.get("activeRecord")
    if isinstance(active, str):
        active = {"true": True, "false": False}.get(active.strip().lower())
    authority = clean(item.get("legalAuthority"))
    result.congress.append(
        CongressRequirement(
            number=number,
            url=doc.url,
            update_date=api_date(item.get("updateDate")),
            parent_agency=clean(item.get("parentAgency")),
            submitting_agency=clean(item.get("submittingAgency")),
            submitting_official=clean(item.get("submittingOfficial")),
            frequency=clean(item.get("frequency")),
            nature=clean(item.get("nature")),
            legal_authority=authority,
            active=active if isinstance(active, bool) else None,
            matching_count=as_int(matching.get("count")),
            matching_url=json_url(matching_url) if matching_url else None,
            laws=public_laws(authority),
        )
    )
    if matching_url and (as_int(matching.get("count")) or 0) > 0:
        result.links.append(
            Link(
                with_params(matching_url, format="json", limit=PAGE_LIMIT, offset=0),
                title=f"communications matching House requirement {number}",
            )
        )


def _matching(items: list, doc: Document, result: ParseResult) -> None:
    m = _MATCHING.search(urlsplit(doc.url).path)
    if m is None:
        result.problems.append(
            Problem(
                "layout_changed",
                "matching communications read from a URL that names no requirement",
            )
        )
        return
    requirement = int(m.group(1))
    for item in items:
        if not isinstance(item, dict):
            continue
        congress, number = as_int(item.get("congress")), as_int(item.get("number"))
        code = communication_type(item.get("communicationType"))
        if congress is None or number is None or code is None:
            result.problems.append(
                Problem(
                    "invalid_record",
                    f"a communication matching "
                    f"requirement {requirement} lacks "
                    "its congress, number or type",
                )
            )
            continue
        url = item.get("url")
        result.congress.append(
            CongressCommunication(
                chamber=clean(item.get("chamber")) or "House",
                congress=congress,
                type_code=code,
                number=number,
                url=json_url(url) if isinstance(url, str) else None,
                requirement_numbers=[requirement],
            )
        )
