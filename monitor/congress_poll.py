"""Polling the Congress.gov sources (``congress_requirements``, ``congress_communications``)
through the JSON-API reader (:mod:`scrapers.fetch.jsonapi`, :mod:`monitor.apipoll`).

One poll walks each list the source reads (``limit``/``offset`` paging, every page archived,
parsed and recorded like any fetch) and then reads each item the monitor has not read since the
list says it was updated (``updateDate``), and for a requirement with matching communications
their list too. What the API limits, the reader enforces: at most 5,000 requests in any hour
(shared with earlier runs), a 429's Retry-After, a refused key stopping the API at once (one
``access`` operator finding, no retry storm), JSON answers capped and streamed. Items that
results shifting under the pager made the API count but never serve are logged as a shortfall;
nothing is marked read that was not, so the next poll reads them.

Without ``congress_api_key`` the sources are not polled at all (:func:`pollable`): the API
refuses every request without a key. That is ONE ``access`` operator finding for the key
(:mod:`monitor.api_keys`), and a monitor that never asked Congress.gov says so in every period's
evidence ("Congress.gov never read: is congress_api_key set?").
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from monitor.apipoll import ApiPoll
from monitor.fetching import last_retrieved
from scrapers.interpret.congress import api_date, as_int, communication_type, json_url
from scrapers.fetch.jsonapi import CONGRESS

log = logging.getLogger(__name__)

REQUIREMENTS, COMMUNICATIONS = "congress_requirements", "congress_communications"
CONGRESS_SOURCES = (REQUIREMENTS, COMMUNICATIONS)


def pollable(registered, settings: Any) -> bool:
    """Whether a source with start URLs is polled: the Congress.gov ones only with their key
    configured (:func:`monitor.api_keys.missing_keys`, as for every source that sends a key)."""
    from monitor.api_keys import missing_keys

    return bool(registered.source.start_urls) and not missing_keys(registered.source, settings)


def poll_congress(session: Session, poll, *, now: datetime) -> ApiPoll:
    """Walk the source's lists and read what is new (see the module docstring)."""
    api = ApiPoll(session, poll, CONGRESS, now=now)
    for url in poll.source.start_urls:
        if api.stopped:
            break
        if poll.source.id == REQUIREMENTS:
            _requirements(session, api, url)
        else:
            _communications(session, api, url)
    api.finish()
    return api


def _listing(api: ApiPoll, url: str, items_key: str, key):
    items, _links = api.listing(url, items_key, key)
    if items is not None and items.missing:
        log.warning(
            "%s: %d of %d items the API counted never arrived (the list changed while "
            "it was paged); they are read on the next poll",
            url,
            items.missing,
            items.expected,
        )
    return items


def _due(session: Session, url: str, updated: date | None) -> bool:
    """An item is read when the monitor never read it, or read it before its update day."""
    last = last_retrieved(session, url)
    return last is None or (updated is not None and last.date() <= updated)


def _requirements(session: Session, api: ApiPoll, url: str) -> None:
    items = _listing(api, url, "houseRequirements", lambda i: as_int(i.get("number")))
    for item in items.items if items is not None else ():
        if api.stopped:
            return
        if not isinstance(item.get("url"), str):
            continue
        detail = json_url(item["url"])
        if not _due(session, detail, api_date(item.get("updateDate"))):
            continue
        got = api.document(detail)
        intake = got[1] if got else None
        for link in intake.links if intake is not None else ():
            if "/matching-communications" in link.url and not api.stopped:
                _listing(api, link.url, "matchingCommunications", _communication_key)


def _communication_key(item: dict):
    number = as_int(item.get("number"))
    code = communication_type(item.get("communicationType"))
    congress = as_int(item.get("congress", item.get("congressNumber")))
    return (congress, code, number) if None not in (number, code, congress) else None


def _communications(session: Session, api: ApiPoll, url: str) -> None:
    items_key = "senateCommunications" if "/senate-communication/" in url else "houseCommunications"
    items = _listing(api, url, items_key, _communication_key)
    for item in items.items if items is not None else ():
        if api.stopped:
            return
        if not isinstance(item.get("url"), str):
            continue
        detail = json_url(item["url"])
        if _due(session, detail, api_date(item.get("updateDate"))):
            api.document(detail)
