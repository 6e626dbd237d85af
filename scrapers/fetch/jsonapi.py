"""JSON APIs (GovInfo, Congress.gov) read through the monitor's one HTTP client.

An API is declared once as a :class:`JsonApiSpec`: its base URL, the header its key goes in and
the secret setting that holds the key, how it pages, its published hourly limit and how large
one JSON answer may be. :class:`JsonApi` then makes every request of one poll:

* **Transport.** Each request goes through a ``transport(url) -> FetchResult`` the caller gives
  (the monitor's: :class:`scrapers.fetch.http.Fetcher` plus the archive and a ``fetch_runs`` row, so an
  API answer is archived like any body). :func:`fetcher_transport` is the plain one. The key is
  the caller's header (``X-Api-Key``), never a URL parameter: a ``api_key=`` a server puts in a
  next-page link is taken out before the link is requested, and every URL a problem names is
  redacted.
* **Paging.** ``offset_mark`` (GovInfo: ``offsetMark=*`` then the ``nextPage`` URL) and
  ``limit_offset`` (Congress.gov: ``limit``/``offset`` then ``pagination.next``).
  :meth:`JsonApi.items` walks the pages and removes by key what results shifting under the
  pager served twice; when fewer distinct items arrive than the API counted, the shortfall is
  reported (``ItemsPage.missing``), never silently lost: the caller keeps its watermark.
* **Budget.** At most ``hourly_limit`` requests in any rolling hour (:class:`RequestBudget`,
  seeded by the caller with the requests already made this hour); past it, a ``budget``
  problem and no request.
* **Bad answers are typed** (:class:`ApiProblem`, ``kind`` one of :data:`PROBLEM_KINDS`):
  ``access`` (401/403: a missing, expired or refused key; no further request to that API in
  this poll, so no retry storm), ``rate_limited`` (429; a ``Retry-After`` within the fetcher's
  cap was already waited for and retried by :mod:`scrapers.fetch.http`; a longer one pauses the API
  for this poll), ``malformed`` (not JSON, or not the object the API promises), ``too_large``
  (the body passed ``max_bytes``: the download is streamed and aborted, never held whole),
  ``http_error``, ``network_error`` and ``blocked``.

Pure of the database and the clock of the wall: ``clock`` is injectable (monotonic seconds).
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapers.fetch.http import Fetcher, FetchResult
from scrapers.redact import redact_text, redact_url

PROBLEM_KINDS = (
    "access",
    "rate_limited",
    "budget",
    "malformed",
    "too_large",
    "http_error",
    "network_error",
    "blocked",
)
PAGING_STYLES = ("offset_mark", "limit_offset")
JSON_TYPES = ("application/json", "text/json", "text/plain")
_RETRY_AFTER_TEXT = re.compile(r"Retry-After (\d+(?:\.\d+)?)s")


@dataclass(frozen=True)
class JsonApiSpec:
    """One JSON API. ``hourly_limit`` is the budget the monitor keeps to (the API's published
    limit, or less); ``max_bytes`` caps one JSON answer; ``max_pages`` bounds one listing walk
    (a pager that never ends is a problem, not a loop); ``key_params`` are the URL parameters
    that would carry a key and are taken out of next-page links."""

    name: str
    base_url: str
    key_setting: str
    key_header: str = "X-Api-Key"
    hourly_limit: int = 1000
    paging: str = "offset_mark"
    page_size: int = 100
    max_bytes: int = 8 * 1024 * 1024
    max_pages: int = 200
    key_params: tuple[str, ...] = ("api_key",)

    def __post_init__(self) -> None:
        if self.paging not in PAGING_STYLES:
            raise ValueError(f"paging {self.paging!r}: one of {', '.join(PAGING_STYLES)}")

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    def url(self, path: str, **params: Any) -> str:
        """``base_url`` + ``path`` with ``params`` (None values left out) as the query."""
        query = urlencode({k: v for k, v in params.items() if v is not None}, safe="*:,")
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}" + (f"?{query}" if query else "")


# The published limits (GovInfo: api.data.gov's 36,000 an hour per key; Congress.gov: 5,000).
GOVINFO = JsonApiSpec(
    name="govinfo",
    base_url="https://api.govinfo.gov",
    key_setting="govinfo_api_key",
    hourly_limit=36_000,
    paging="offset_mark",
    page_size=100,
)
CONGRESS = JsonApiSpec(
    name="congress",
    base_url="https://api.congress.gov/v3",
    key_setting="congress_api_key",
    hourly_limit=5_000,
    paging="limit_offset",
    page_size=250,
)


@dataclass(frozen=True)
class ApiListing:
    """One listing a source walks: its first URL (paging parameters are added), the key of the
    list of items in each page, and the item field that identifies an item."""

    url: str
    items_key: str
    key: str


class ApiProblem(Exception):
    """A request that gave no usable JSON. ``url`` is redacted; ``detail`` never holds a key."""

    def __init__(
        self,
        kind: str,
        url: str,
        detail: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        api: str | None = None,
    ) -> None:
        if kind not in PROBLEM_KINDS:
            raise ValueError(f"unknown API problem kind {kind!r}")
        self.kind, self.url, self.detail = kind, redact_url(url), redact_text(detail)
        self.status, self.retry_after, self.api = status, retry_after, api
        super().__init__(f"{api or 'API'} {kind}: {self.detail} ({self.url})")


@dataclass
class JsonResponse:
    url: str  # as requested (may hold no key: keys go in headers)
    data: Any
    result: FetchResult


@dataclass
class ItemsPage:
    """What a listing walk collected: distinct items in the order first seen, the duplicates
    removed, how many the API said there were, and how many pages were read."""

    items: list[dict] = field(default_factory=list)
    duplicates: int = 0
    expected: int | None = None
    pages: int = 0
    skipped: int = 0  # entries that were not objects or had no key

    @property
    def missing(self) -> int:
        """Items the API counted that never arrived (results shifted while paging)."""
        if self.expected is None:
            return 0
        return max(0, self.expected - len(self.items) - self.skipped)


class RequestBudget:
    """At most ``limit`` requests in any ``window`` seconds (rolling). ``seed(n)`` counts
    requests made before this process (another run within the hour) as made just now, which
    errs on the side of fewer requests."""

    def __init__(
        self, limit: int, *, window: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._times: deque[float] = deque()

    def seed(self, count: int) -> None:
        now = self.clock()
        self._times.extend([now] * max(0, count))

    def _expire(self) -> None:
        horizon = self.clock() - self.window
        while self._times and self._times[0] <= horizon:
            self._times.popleft()

    @property
    def remaining(self) -> int:
        self._expire()
        return max(0, self.limit - len(self._times))

    def take(self) -> bool:
        """Spend one request; False (nothing spent) when the hour's budget is used up."""
        if self.remaining <= 0:
            return False
        self._times.append(self.clock())
        return True


# transport(url, *, listing, max_bytes) -> FetchResult: ``listing`` says whether the answer is a
# page of a listing (the monitor records it so), ``max_bytes`` the cap (None: the fetcher's own).
Transport = Callable[..., FetchResult]


def fetcher_transport(
    fetcher: Fetcher,
    spec: JsonApiSpec,
    headers: dict[str, str],
    *,
    content_types: tuple[str, ...] = JSON_TYPES,
) -> Transport:
    """The plain transport: ``fetcher`` with the key header, on the API's host only."""

    def transport(url: str, *, listing: bool = True, max_bytes: int | None = None) -> FetchResult:
        return fetcher.fetch(
            url,
            allowed=(spec.host,),
            content_types=content_types,
            headers=headers,
            max_bytes=max_bytes,
        )

    return transport


def without_key(url: str, names: tuple[str, ...] = ("api_key",)) -> str:
    """``url`` without the query parameters that would carry a key."""
    return without_params(url, names)


def without_params(url: str, names: tuple[str, ...]) -> str:
    """``url`` without the query parameters ``names`` (case-insensitive)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    lowered = {n.lower() for n in names}
    kept = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in lowered
    ]
    return urlunsplit(parts._replace(query=urlencode(kept, safe="*:,")))


def with_params(url: str, **params: Any) -> str:
    """``url`` with ``params`` set (replacing any of the same name)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items() if v is not None})
    return urlunsplit(parts._replace(query=urlencode(query, safe="*:,")))


class JsonApi:
    """The requests of one poll to one API (see the module docstring)."""

    def __init__(
        self,
        spec: JsonApiSpec,
        transport: Transport,
        *,
        budget: RequestBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec, self.transport, self.clock = spec, transport, clock
        self.budget = budget or RequestBudget(spec.hourly_limit, clock=clock)
        self.requests = 0
        self.denied: ApiProblem | None = None  # a 401/403: no further request this poll
        self.paused_until: float | None = None  # a Retry-After longer than the fetcher waits
        self._paused_by: ApiProblem | None = None

    # -- one request ---------------------------------------------------------------------------

    def get(self, url: str, *, listing: bool = True) -> JsonResponse:
        """One JSON answer (capped at ``max_bytes``), or :class:`ApiProblem`."""
        result = self.fetch(url, listing=listing, max_bytes=self.spec.max_bytes)
        return JsonResponse(result.url, self._decode(result.url, result), result)

    def fetch(
        self, url: str, *, listing: bool = False, max_bytes: int | None = None
    ) -> FetchResult:
        """One request of any type (a package's text rendition) under the same gate: the budget,
        a refused key and a pause stop it (:class:`ApiProblem`), and a 401/403 or 429 answer
        raises one. Any other outcome (``ok``, ``http_error``, ``too_large``...) is returned for
        the caller to record. ``max_bytes`` None: the fetcher's own cap."""
        url = without_key(url, self.spec.key_params)
        self._may_request(url)
        self.requests += 1
        result = self.transport(url, listing=listing, max_bytes=max_bytes)
        self._gatekeep(url, result)
        return result

    def _may_request(self, url: str) -> None:
        if self.denied is not None:
            raise ApiProblem(
                "access",
                url,
                f"not requested: {self.denied.detail}",
                status=self.denied.status,
                api=self.spec.name,
            )
        if self.paused_until is not None and self.clock() < self.paused_until:
            raise ApiProblem(
                "rate_limited",
                url,
                f"not requested: the API asked to wait {self._paused_by.retry_after:g}s",
                status=429,
                retry_after=self._paused_by.retry_after,
                api=self.spec.name,
            )
        if not self.budget.take():
            raise ApiProblem(
                "budget",
                url,
                f"the hourly budget of {self.budget.limit:,} requests to {self.spec.name} is spent",
                api=self.spec.name,
            )

    def _gatekeep(self, url: str, result: FetchResult) -> None:
        """A refused key or a rate limit ends this API's requests (for the poll, or the wait)."""
        name = self.spec.name
        status, error = result.status, result.error or result.outcome
        if status in (401, 403):
            self.denied = ApiProblem(
                "access",
                url,
                f"HTTP {status}: the API key ({self.spec.key_setting}) is "
                "missing, expired or refused",
                status=status,
                api=name,
            )
            raise self.denied
        retry_after = _retry_after(result)
        if status == 429 or (result.outcome == "network_error" and retry_after is not None):
            problem = ApiProblem(
                "rate_limited",
                url,
                f"rate limited: {error}",
                status=status,
                retry_after=retry_after,
                api=name,
            )
            if retry_after:
                self.paused_until, self._paused_by = self.clock() + retry_after, problem
            raise problem

    def _decode(self, url: str, result: FetchResult) -> Any:
        name = self.spec.name
        status, error = result.status, result.error or result.outcome
        if result.outcome in ("too_large", "network_error", "http_error", "blocked"):
            raise ApiProblem(result.outcome, url, error, status=status, api=name)
        if result.outcome == "wrong_type":
            raise ApiProblem("malformed", url, f"not JSON: {error}", status=status, api=name)
        if result.outcome != "ok" or result.body is None:
            raise ApiProblem(
                "http_error", url, f"unexpected outcome {result.outcome}", status=status, api=name
            )
        try:
            return json.loads(result.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiProblem(
                "malformed", url, f"malformed JSON: {str(exc)[:200]}", status=status, api=name
            ) from None

    # -- paging --------------------------------------------------------------------------------

    def first_page_url(self, url: str) -> str:
        if self.spec.paging == "offset_mark":
            return with_params(url, offsetMark="*", pageSize=self.spec.page_size)
        return with_params(url, offset=0, limit=self.spec.page_size)

    def next_page_url(self, data: dict) -> str | None:
        if self.spec.paging == "offset_mark":
            nxt = data.get("nextPage")
        else:
            pagination = data.get("pagination")
            nxt = pagination.get("next") if isinstance(pagination, dict) else None
        return nxt if isinstance(nxt, str) and nxt.strip() else None

    def pages(self, url: str, items_key: str) -> Iterator[JsonResponse]:
        """The pages of a listing from its first; stops at the last page, an empty page, a
        next-page link off the API's host or seen before, or ``max_pages`` (a problem)."""
        current: str | None = self.first_page_url(url)
        seen: set[str] = set()
        for _ in range(self.spec.max_pages):
            current = without_key(current, self.spec.key_params)
            seen.add(current)
            page = self.get(current)
            data = page.data
            if not isinstance(data, dict) or not isinstance(data.get(items_key), list):
                raise ApiProblem(
                    "malformed",
                    current,
                    f"a listing page is an object with a {items_key!r} list",
                    status=page.result.status,
                    api=self.spec.name,
                )
            yield page
            nxt = self.next_page_url(data)
            if not data[items_key] or nxt is None:
                return
            nxt = without_key(nxt, self.spec.key_params)
            host = (urlsplit(nxt).hostname or "").lower()
            if host != self.spec.host:
                raise ApiProblem(
                    "malformed", current, f"next page on another host: {host}", api=self.spec.name
                )
            if nxt in seen:
                return  # a pager pointing back: everything was read
            current = nxt
        raise ApiProblem(
            "malformed", url, f"more than {self.spec.max_pages} pages", api=self.spec.name
        )

    def items(self, url: str, items_key: str, key: Callable[[dict], Any]) -> ItemsPage:
        """Every item of a listing, each once (by ``key``), with the shortfall counted."""
        out = ItemsPage()
        seen: set[Any] = set()
        for page in self.pages(url, items_key):
            out.pages += 1
            if out.expected is None:
                out.expected = _count(page.data)
            for item in page.data[items_key]:
                ident = key(item) if isinstance(item, dict) else None
                if ident is None:
                    out.skipped += 1
                    continue
                if ident in seen:
                    out.duplicates += 1
                    continue
                seen.add(ident)
                out.items.append(item)
        return out


def _count(data: dict) -> int | None:
    count = data.get("count")
    if count is None and isinstance(data.get("pagination"), dict):
        count = data["pagination"].get("count")
    return count if isinstance(count, int) and count >= 0 else None


def _retry_after(result: FetchResult) -> float | None:
    raw = result.headers.get("retry-after") if result.headers else None
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:  # an HTTP date: counted from the answer's own Date header
            from email.utils import parsedate_to_datetime

            try:
                when = parsedate_to_datetime(raw)
                sent = parsedate_to_datetime(result.headers.get("date", ""))
            except (TypeError, ValueError):
                return None
            return max(0.0, (when - sent).total_seconds())
    m = _RETRY_AFTER_TEXT.search(result.error or "")
    return float(m.group(1)) if m else None
