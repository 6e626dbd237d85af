"""Polite, bounded, conditional HTTP: the only way the monitor talks to the web.

One :class:`Fetcher` makes every request. It identifies itself (a User-Agent with a contact
address: government CDNs block anonymous clients), waits a minimum interval between requests to
the same host, retries connection errors, 429 and 5xx with backoff while honouring
``Retry-After`` (a server asking for more than ``retry_after_cap`` seconds is not waited for:
the answer is kept and classified), always verifies TLS, follows redirects itself one hop at a
time and only to hosts the caller allows, streams bodies with a size cap and an overall deadline
that abort the download, and sends ``If-None-Match``/``If-Modified-Since`` when the caller has
validators.

:meth:`Fetcher.fetch` never raises for what the network or a server does: every request ends in
a :class:`FetchResult` with a typed outcome (``ok``, ``not_modified``, ``http_error``,
``network_error``, ``blocked``, ``too_large``, ``wrong_type``) decided here and in
:mod:`scrapers.fetch.response_check`. Storage and parsing are the caller's business.

Clock and sleep are injectable so tests and benchmarks never wait for real.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from scrapers.fetch import response_check
from scrapers.redact import redact_text

RETRY_STATUSES = (429, 500, 502, 503, 504)
ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.5"
CHUNK = 64 * 1024


@dataclass(frozen=True)
class HttpConfig:
    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # longest silence between two bytes
    total_timeout: float = 300.0  # longest a whole response may take (slow-drip servers)
    retries: int = 3
    backoff: float = 1.0
    retry_after_cap: float = 120.0
    max_bytes: int = 50 * 1024 * 1024
    host_min_interval: float = 1.0
    max_redirects: int = 10
    secrets: tuple[str, ...] = ()  # values to blank out of error texts


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass
class FetchResult:
    url: str  # the canonical URL asked for
    requested_url: str  # where the first request went (differs under a rewrite)
    outcome: str
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # only for outcome "ok"
    content_type: str | None = None
    bytes_read: int = 0
    elapsed: float = 0.0
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    # the body as a fetch worker archived it (monitor.fetch_pool): the writer stores this
    # instead of archiving the body again; None when nobody did (or it could not be written)
    archived: Any = None
    # what a fetch worker started reading of the body elsewhere (monitor.parse_pool): a call
    # that answers the reading, or None when it cannot be had; None when nobody started one
    read_ahead: Any = None

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


@dataclass(frozen=True)
class MirrorRewrite:
    """Map ``https://www.dhs.gov/a/b.pdf`` to ``<base>/www.dhs.gov/a/b.pdf`` (the offline demo's
    layout: one loopback server standing in for every agency host). A class rather than a
    closure, so that a fetch process can be given it (monitor/fetch_process.py)."""

    base: str

    def __call__(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{self.base}/{parts.netloc.lower()}{parts.path or '/'}" + (
            f"?{parts.query}" if parts.query else ""
        )


def mirror_rewrite(base: str) -> Callable[[str], str]:
    """:class:`MirrorRewrite` of ``base`` (a trailing slash dropped)."""
    return MirrorRewrite(base.rstrip("/"))


class HostThrottle:
    """At least ``interval`` seconds between the end of one request to a host and the next, and
    (through :meth:`turn`) never two requests to one host at once, whichever threads make
    them."""

    def __init__(
        self, interval: float, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._last: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def turn(self, host: str) -> Iterator[None]:
        """Hold ``host`` for one request: wait for the host to be free and for its interval,
        then mark the end of the request on the way out (whatever happened inside)."""
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            self.wait(host)
            try:
                yield
            finally:
                self.done(host)

    def wait(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None and self.interval > 0:
            delay = last + self.interval - self.clock()
            if delay > 0:
                self.sleep(delay)

    def done(self, host: str) -> None:
        self._last[host] = self.clock()


class PoliteRetry(Retry):
    """urllib3's Retry with an injectable sleep and a cap on how long Retry-After may ask for."""

    sleeper: Callable[[float], None] = staticmethod(time.sleep)
    retry_after_cap: float = 120.0

    def new(self, **kw: Any) -> "PoliteRetry":
        fresh = super().new(**kw)
        fresh.sleeper = self.sleeper
        fresh.retry_after_cap = self.retry_after_cap
        return fresh

    def increment(
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ):
        if response is not None:
            try:
                wait = self.get_retry_after(response)
            except Exception:  # noqa: BLE001 - an unparseable Retry-After means "use backoff"
                wait = None
            if wait is not None and wait > self.retry_after_cap:
                # Waiting an hour inside one poll is worse than failing it: keep the answer.
                raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {wait:.0f}s"))
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response=None) -> None:
        """Wait before the next attempt through the injected sleeper: what the server's
        Retry-After asks for (``increment`` refused more than the cap), else the exponential
        backoff. Overrides urllib3's public ``Retry.sleep``, none of its private helpers."""
        wait = None
        if self.respect_retry_after_header and response is not None:
            try:
                wait = self.get_retry_after(response)
            except Exception:  # noqa: BLE001 - an unparseable Retry-After means "use backoff"
                wait = None
        if not wait:
            wait = self.get_backoff_time()
        if wait > 0:
            self.sleeper(wait)


class _Failure(Exception):
    """Internal: ends one fetch with a typed outcome."""

    def __init__(self, outcome: str, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.status = status


class Fetcher:
    """One per process or cycle, safe to share between threads: each thread gets its own HTTP
    session (unless one is injected), and the host throttle is shared, so that two threads
    never talk to one host at once and keep its interval. An injected ``session`` gets this
    fetcher's retrying adapters, User-Agent and Accept headers mounted on it (and is used by
    every thread); ``clock`` (monotonic seconds) and ``sleep`` drive the host interval, retries
    and deadlines."""

    def __init__(
        self,
        config: HttpConfig,
        *,
        rewrite: Callable[[str], str] | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.rewrite = rewrite
        self.clock = clock
        self.sleep = sleep
        self.throttle = HostThrottle(config.host_min_interval, clock, sleep)
        self._injected = session
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        if session is not None:
            self._equip(session)

    def _equip(self, session: requests.Session) -> requests.Session:
        config = self.config
        retry = PoliteRetry(
            total=config.retries,
            connect=config.retries,
            read=config.retries,
            status=config.retries,
            redirect=0,
            other=0,
            backoff_factor=config.backoff,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD"}),
            raise_on_status=False,
            raise_on_redirect=False,
            respect_retry_after_header=True,
        )
        retry.sleeper = self.sleep
        retry.retry_after_cap = config.retry_after_cap
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = config.user_agent
        session.headers["Accept"] = ACCEPT
        with self._sessions_lock:
            self._sessions.append(session)
        return session

    @property
    def session(self) -> requests.Session:
        """This thread's HTTP session (the injected one, if any)."""
        if self._injected is not None:
            return self._injected
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._equip(requests.Session())
        return session

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> "Fetcher":
        """Build from the monitor's Settings (read by attribute: this package stays shell-free)."""
        secrets = tuple(settings.secrets()) if hasattr(settings, "secrets") else ()
        config = HttpConfig(
            user_agent=settings.user_agent,
            connect_timeout=settings.http_connect_timeout,
            read_timeout=settings.http_read_timeout,
            total_timeout=max(60.0, 10 * settings.http_read_timeout),
            retries=settings.http_retries,
            backoff=settings.http_backoff,
            max_bytes=settings.http_max_bytes,
            host_min_interval=settings.host_min_interval,
            secrets=secrets,
        )
        return cls(config, **kwargs)

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def requested_url(self, url: str) -> str:
        return self.rewrite(url) if self.rewrite else url

    def redact(self, text: str) -> str:
        return redact_text(text, self.config.secrets)

    def fetch(
        self,
        url: str,
        *,
        allowed: Callable[[str], bool] | Iterable[str],
        validators: Validators | None = None,
        content_types: tuple[str, ...] = ("text/html", "application/pdf"),
        headers: dict[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """GET canonical ``url`` (rewritten if a rewrite is set); never raises for network or
        server behaviour. ``allowed`` says which hosts redirects may reach (a predicate or a list
        of hosts); the rewritten URL's own host is always allowed. ``headers`` are sent with
        every hop (an API key in ``X-Api-Key``: put its value in ``HttpConfig.secrets`` too, so
        that no error text can show it). ``max_bytes`` lowers the body cap for this request (a
        JSON page of an API is far smaller than a report)."""
        requested = self.requested_url(url)
        allow = _allow_predicate(allowed, extra=host_of(requested) if self.rewrite else None)
        result = FetchResult(url=url, requested_url=requested, outcome="network_error")
        start = self.clock()
        sent = dict(headers or {})
        sent.update(validators.headers() if validators else {})
        cap = self.config.max_bytes if max_bytes is None else min(max_bytes, self.config.max_bytes)
        try:
            self._fetch(result, requested, allow, sent, content_types, start, cap)
        except _Failure as failure:
            result.outcome = failure.outcome
            result.error = self.redact(failure.reason)
            if failure.status is not None:
                result.status = failure.status
            result.body = None
        result.elapsed = max(0.0, self.clock() - start)
        return result

    def _fetch(
        self,
        result: FetchResult,
        current: str,
        allow: Callable[[str], bool],
        conditional: dict[str, str],
        content_types: tuple[str, ...],
        start: float,
        cap: int,
    ) -> None:
        for hop in range(self.config.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise _Failure("http_error", f"not an http(s) URL: {current}")
            if hop:
                verdict = response_check.blocked_redirect(current)
                if verdict:
                    raise _Failure(verdict.outcome, verdict.reason, result.status)
                if not allow(parts.hostname.lower()):
                    raise _Failure(
                        "http_error",
                        f"redirected to a host this source does not allow: {parts.hostname}",
                        result.status,
                    )
            host = parts.hostname.lower()
            with self.throttle.turn(host):  # one request at a time to a host, spaced
                resp = self._request(current, conditional, host)
                result.status = resp.status_code
                if resp.status_code in response_check.REDIRECT_STATUSES and resp.headers.get(
                    "location"
                ):
                    location = urljoin(current, resp.headers["location"])
                    resp.close()
                    if location in result.redirects or location == result.requested_url:
                        raise _Failure(
                            "http_error", f"redirect loop at {location}", resp.status_code
                        )
                    result.redirects.append(location)
                    current = location
                    continue
                try:
                    self._finish(result, resp, current, conditional, content_types, start, cap)
                finally:
                    resp.close()
                return
        raise _Failure("http_error", f"more than {self.config.max_redirects} redirects")

    def _request(self, url: str, conditional: dict[str, str], host: str) -> requests.Response:
        try:
            return self.session.get(
                url,
                headers=conditional,
                stream=True,
                allow_redirects=False,
                verify=True,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
            )
        except requests.exceptions.SSLError as exc:
            raise _Failure("network_error", f"TLS verification failed for {host}: {_first(exc)}")
        except requests.exceptions.ConnectTimeout:
            raise _Failure(
                "network_error",
                f"connection to {host} timed out after {self.config.connect_timeout:g}s",
            )
        except requests.exceptions.ReadTimeout:
            raise _Failure(
                "network_error", f"{host} sent no response within {self.config.read_timeout:g}s"
            )
        except requests.exceptions.RetryError as exc:
            # "Retry-After Ns" (a wait longer than the cap) first, so a caller can read it
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            said = str(reason) if isinstance(reason, ResponseError) else _first(exc)
            raise _Failure("network_error", f"gave up on {host} after retries: {said}")
        except requests.exceptions.RequestException as exc:
            raise _Failure("network_error", f"{type(exc).__name__} for {host}: {_first(exc)}")

    def _finish(
        self,
        result: FetchResult,
        resp: requests.Response,
        final_url: str,
        conditional: dict[str, str],
        content_types: tuple[str, ...],
        start: float,
        cap: int,
    ) -> None:
        result.final_url = final_url
        result.headers = {k.lower(): v for k, v in resp.headers.items()}
        result.content_type = resp.headers.get("content-type")
        status = resp.status_code
        if status == 304:
            if not conditional:
                raise _Failure("http_error", "HTTP 304 to a request without validators", status)
            result.outcome = "not_modified"
            return
        declared = resp.headers.get("content-length")
        if 200 <= status < 300 and declared and declared.isdigit() and int(declared) > cap:
            raise _Failure(
                "too_large",
                f"Content-Length {int(declared):,} bytes exceeds the cap of {cap:,}",
                status,
            )
        # Error pages are only read far enough to recognise a denial page.
        limit = cap if 200 <= status < 300 else response_check.HEAD_BYTES
        body = self._read(resp, limit, start, result, truncate=not 200 <= status < 300)
        verdict = response_check.classify_response(
            status,
            result.headers,
            body[: response_check.HEAD_BYTES],
            url=result.url,
            final_url=final_url,
            allowed_types=content_types,
        )
        if verdict:
            raise _Failure(verdict.outcome, verdict.reason, status)
        result.body = body
        result.outcome = "ok"

    def _read(
        self,
        resp: requests.Response,
        limit: int,
        start: float,
        result: FetchResult,
        *,
        truncate: bool,
    ) -> bytes:
        """Stream the body; abort past ``limit`` bytes or the overall deadline."""
        chunks: list[bytes] = []
        size = 0
        raw = resp.raw
        try:
            while True:
                chunk = (
                    raw.read1(CHUNK, decode_content=True)
                    if hasattr(raw, "read1")
                    else raw.read(CHUNK, decode_content=True)
                )
                if not chunk:
                    break
                size += len(chunk)
                result.bytes_read = size
                if size > limit:
                    if truncate:
                        chunks.append(chunk)
                        break
                    raise _Failure(
                        "too_large",
                        f"body exceeds the cap of {limit:,} bytes (download aborted)",
                        resp.status_code,
                    )
                chunks.append(chunk)
                if self.clock() - start > self.config.total_timeout:
                    raise _Failure(
                        "network_error",
                        "response took longer than "
                        f"{self.config.total_timeout:g}s (download aborted after "
                        f"{size:,} bytes)",
                        resp.status_code,
                    )
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            raise _Failure(
                "network_error",
                f"read timed out after {self.config.read_timeout:g}s "
                f"without data ({size:,} bytes received)",
                resp.status_code,
            ) from None
        except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as exc:
            raise _Failure(
                "network_error",
                f"connection broke while reading the body: {_first(exc)}",
                resp.status_code,
            ) from None
        return b"".join(chunks)


def _allow_predicate(
    allowed: Callable[[str], bool] | Iterable[str], extra: str | None
) -> Callable[[str], bool]:
    if callable(allowed):
        base = allowed
    else:
        hosts = tuple(h.lower() for h in allowed)

        def base(host: str) -> bool:
            return any(host == h or host.endswith("." + h) for h in hosts)

    def allow(host: str) -> bool:
        return bool(host) and (host == extra or base(host))

    return allow


def _first(exc: BaseException) -> str:
    """One line of an exception, without the noise of nested reprs."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
