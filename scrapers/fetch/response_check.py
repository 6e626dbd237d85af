"""Is this response the document we asked for, or a page standing in for it?

Government CDNs answer clients they distrust with denial pages (Akamai, Cloudflare, F5, Imperva)
that are often served with status 200, sometimes by redirecting to an "unblock" host; content
management systems answer a vanished page with a friendly "Page not found" and status 200; and a
link to a PDF may return an HTML page. If any of these were parsed, the monitor would conclude
that an agency stopped publishing. Everything here is pure: status, headers and the first bytes
of a body in, a :class:`Verdict` (or ``None`` for "looks genuine") out.

Signatures are data so a new CDN's page is one line. Specific fingerprints (Akamai's reference
number, F5's support id) are searched in the whole head of the page; generic phrases ("Access
Denied", "Too Many Requests", "Page not found") only count in the title and headings, or when
the page has almost no text, so a report that quotes such a phrase is not mistaken for one.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapers.read import htmltext
from scrapers import sniff

# How much of a body the classifier reads: denial and error pages are small.
HEAD_BYTES = 64 * 1024
# Below this many characters of visible text a page is "almost empty" and generic phrases count.
SHORT_TEXT = 2000

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # blocked | http_error | wrong_type
    reason: str


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


# (vendor, pattern, words) searched anywhere in the (entity-decoded) head of the page. ``words``
# are lower-case literals of which every match of the pattern holds at least one: a page that
# holds none of them is not searched with the pattern (most pages hold none; searching is the
# costly part).
FINGERPRINTS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    ("Akamai", _rx(r"reference\s*#\s*\d+\.[0-9a-f]+\.\d+\.[0-9a-f]+"), ("reference",)),
    ("Akamai", _rx(r"errors\.edgesuite\.net"), ("errors.edgesuite.net",)),
    ("Cloudflare", _rx(r"attention required!?\s*\|\s*cloudflare"), ("cloudflare",)),
    (
        "Cloudflare",
        _rx(r"cf-error-details|/cdn-cgi/challenge-platform/|cf-chl-(?:bypass|opt|widget)"),
        ("cf-error-details", "/cdn-cgi/challenge-platform/", "cf-chl-"),
    ),
    ("Cloudflare", _rx(r"sorry, you have been blocked"), ("sorry, you have been blocked",)),
    (
        "Cloudflare",
        _rx(r"checking (?:if the site connection is secure|your browser before accessing)"),
        ("checking ",),
    ),
    (
        "F5 BIG-IP",
        _rx(r"the requested url was rejected\.\s*please consult with your administrator"),
        ("the requested url was rejected.",),
    ),
    ("F5 BIG-IP", _rx(r"your support id is:?\s*\d{6,}"), ("your support id is",)),
    ("Imperva Incapsula", _rx(r"incapsula incident id|_incapsula_resource"), ("incapsula",)),
    ("Imperva", _rx(r"pardon our interruption"), ("pardon our interruption",)),
    ("Sucuri", _rx(r"sucuri website firewall"), ("sucuri website firewall",)),
    ("CloudFront", _rx(r"the request could not be satisfied.{0,2000}cloudfront"), ("cloudfront",)),
    (
        "PerimeterX",
        _rx(r"press (?:&amp;|&|and) hold to confirm you are|px-captcha"),
        ("hold to confirm you are", "px-captcha"),
    ),
    ("DataDome", _rx(r"captcha-delivery\.com"), ("captcha-delivery.com",)),
)

# Generic phrases: only in the title/headings, or on a page with almost no text.
DENIAL_PHRASES = _rx(
    r"\b(?:access denied|access to this page has been denied|request (?:rejected|blocked)|"
    r"403 forbidden|^forbidden$|you have been blocked|just a moment\.*|attention required|"
    r"are you a (?:human|robot)|verify (?:that )?you are (?:a )?human|security check|"
    r"unusual traffic from your (?:computer )?network|bot (?:detection|protection))"
)
RATE_LIMIT_PHRASES = _rx(
    r"\b(?:too many requests|rate limit(?:ed| exceeded)?|request rate (?:is )?too high|"
    r"you have (?:exceeded|reached) (?:the|your) (?:request |rate )*limit|"
    r"temporarily (?:blocked|limited) (?:due to|for) (?:excessive|too many))"
)
NOT_FOUND_PHRASES = _rx(
    r"(?:\b(?:page|file|document|content|resource|url)s?\s+(?:was\s+|could\s+)?not\s+(?:be\s+)?found\b|"
    r"^\s*(?:error\s*)?404\b|\b404\b.{0,40}\bnot found|^\s*not found\s*$|"
    r"\b(?:cannot|can ?not|can't|could not|couldn't|unable to) (?:be )?(?:find|found|locate)\b|"
    r"\b(?:page|file|document) (?:does not|doesn't|no longer) exists?\b|"
    r"\bno longer (?:available|exists)\b)"
)

# Where a denial redirect goes: "unblock"-style hosts and paths, and the known challenge hosts.
BLOCK_HOST = _rx(r"(?:^|[.-])(?:unblock|blocked|captcha|challenge|denied|waf|botdefense)(?:[.-]|$)")
BLOCK_PATH = _rx(
    r"/(?:unblock|blocked|captcha|challenge|access-?denied|bot-?check|"
    r"distil_r_captcha|_incapsula_resource)(?:/|\.s?html?|\.aspx?|\.php|$)"
)
CHALLENGE_HOSTS = ("validate.perfdrive.com", "captcha-delivery.com", "errors.edgesuite.net")
NOT_FOUND_PATH = _rx(
    r"(?:^|/)(?:404|not-?found|page-?not-?found|pagenotfound|error-?404)"
    r"(?:\.s?html?|\.aspx?|\.php)?/?$"
)

_SPACE = re.compile(r"\s+")


def media_type(content_type: str | None) -> str | None:
    """``text/html; charset=utf-8`` -> ``text/html``."""
    return sniff.media_type(content_type)


def sniffed_type(content_type: str | None, head: bytes) -> str:
    """The type the body really is (``scrapers/sniff.py``): a recognised signature beats the
    header, HTML beats a vague one."""
    return sniff.effective_type(content_type, head)


# Python's re matches these non-ASCII letters to ASCII ones under IGNORECASE (i, i, s, k);
# ``str.lower()`` does not map all of them, so a text holding one is searched without the
# literal pre-check below.
_FOLDING = "\u0130\u0131\u017f\u212a"
_FOLDS_TO_ASCII = re.compile(f"[{_FOLDING}]")


class PageHead:
    """The parts of an HTML-ish page the classifier looks at, entity-decoded and squeezed.

    Built once per response and shared by every check. What is costly is computed only when a
    check needs it: the visible text (a walk of the whole tree) only for a page that may be
    short, since the generic phrases are searched in it only then; a fingerprint pattern only
    when the page holds the words it cannot match without (:data:`FINGERPRINT_WORDS`)."""

    def __init__(self, prominent: list[str], raw: str, root=None, text: str | None = None):
        self.prominent = prominent  # title and h1/h2 texts
        self.raw = raw  # decoded markup (fingerprints may sit in attributes or scripts)
        self._root = root
        self._text = text
        self._lower: str | None = None
        self._lower_bytes: bytes | None = None
        self._folds: bool | None = None
        self._short: bool | None = None

    @property
    def text(self) -> str:
        """Visible text of the head of the page."""
        if self._text is None:
            self._text = (
                _squeeze(htmltext.visible_text(self._root)) if self._root is not None else ""
            )
        return self._text

    @property
    def short(self) -> bool:
        if self._short is None:
            if (
                self._text is None
                and self._root is not None
                and htmltext.visible_letters(self._root, SHORT_TEXT) >= SHORT_TEXT
            ):
                self._short = False  # squeezing keeps every non-space character
            else:
                self._short = len(self.text) < SHORT_TEXT
        return self._short

    def may_hold(self, words: tuple[str, ...]) -> bool:
        """False only when ``raw`` cannot match a pattern that needs one of ``words``.

        An ASCII word is looked for in ``raw`` as UTF-8 bytes with only ASCII letters lowered:
        the same answer as in ``raw.lower()``, since the only characters that lower to ASCII
        ones are two of :data:`_FOLDS_TO_ASCII`, and a page holding one is searched with the
        pattern itself. Lowering bytes costs a third of ``str.lower()`` on a page of wide
        characters (one dash is enough to make it so)."""
        if self._folds is None:
            self._folds = any(c in self.raw for c in _FOLDING)
        if self._folds:
            return True  # a letter re folds differently: search with the pattern itself
        if not self.raw:
            return False
        for w in words:
            if w.isascii():
                if self._lower_bytes is None:
                    self._lower_bytes = self.raw.encode("utf-8", "surrogatepass").lower()
                if w.encode("ascii") in self._lower_bytes:
                    return True
            else:
                if self._lower is None:
                    self._lower = self.raw.lower()
                if w in self._lower:
                    return True
        return False


def _squeeze(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def page_head(head: bytes) -> PageHead:
    """Title, headings and visible text of the head of a page, read by ``scrapers/read/htmltext.py``."""
    head = head[:HEAD_BYTES]
    raw = head.decode("utf-8", errors="replace")
    prominent: list[str] = []
    if sniff.looks_like_html(head):
        try:
            root = htmltext.parse_html(head, lend=True)  # the parser may reuse the tree
        except ValueError:  # lxml: nothing to parse
            root = None
        if root is not None:
            for tags in (("title",), ("h1", "h2")):
                prominent += [_squeeze(htmltext.visible_text(el)) for el in root.iter(*tags)]
        page = PageHead(
            [p for p in prominent if p], html.unescape(raw), root, None if root is not None else ""
        )
    else:
        page = PageHead([], html.unescape(raw), None, _squeeze(htmltext.plain_text(head)))
    return page


def _phrase_in(page: PageHead, pattern: re.Pattern[str]) -> str | None:
    for part in page.prominent:
        m = pattern.search(part)
        if m:
            return part[:120]
    if page.short:
        m = pattern.search(page.text)
        if m:
            return m.group(0)[:120]
    return None


def denial(
    status: int, headers: dict[str, str], head: bytes, page: PageHead | None = None
) -> Verdict | None:
    """A firewall/CDN denial or a rate-limit answer, whatever the status code. ``page`` is
    ``page_head(head)`` when the caller has it already."""
    verdict = _header_denial(status, headers)
    if verdict or sniff.is_pdf(head):
        return verdict
    return _page_denial(status, page or page_head(head))


def _header_denial(status: int, headers: dict[str, str]) -> Verdict | None:
    lower = {k.lower(): v for k, v in headers.items()}
    if status == 429:
        return Verdict("blocked", "rate limited (HTTP 429)")
    if "challenge" in lower.get("cf-mitigated", "").lower():
        return Verdict("blocked", f"Cloudflare challenge (HTTP {status})")
    if lower.get("x-amzn-waf-action", "").lower() in ("block", "captcha", "challenge"):
        return Verdict("blocked", f"AWS WAF {lower['x-amzn-waf-action']} (HTTP {status})")
    return None


def _page_denial(status: int, page: PageHead) -> Verdict | None:
    for vendor, pattern, words in FINGERPRINTS:
        m = page.may_hold(words) and pattern.search(page.raw)
        if m:
            return Verdict(
                "blocked",
                f"{vendor} denial page (HTTP {status}): {_SPACE.sub(' ', m.group(0))[:100]}",
            )
    phrase = _phrase_in(page, RATE_LIMIT_PHRASES)
    if phrase:
        return Verdict("blocked", f"rate-limit page (HTTP {status}): {phrase}")
    phrase = _phrase_in(page, DENIAL_PHRASES)
    if phrase:
        return Verdict("blocked", f"denial page (HTTP {status}): {phrase}")
    return None


def blocked_redirect(location: str) -> Verdict | None:
    """A redirect to an "unblock"/captcha host or path is a denial, even on an allowed host."""
    parts = urlsplit(location)
    host = (parts.hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in CHALLENGE_HOSTS) or BLOCK_HOST.search(host):
        return Verdict("blocked", f"redirected to a denial host: {host}")
    if BLOCK_PATH.search(parts.path or ""):
        return Verdict("blocked", f"redirected to a denial page: {host}{parts.path}")
    return None


def soft_404(head: bytes, final_url: str, page: PageHead | None = None) -> Verdict | None:
    """A 2xx page that says the page does not exist (or a redirect that landed on /404).
    ``page`` is ``page_head(head)`` when the caller has it already."""
    if NOT_FOUND_PATH.search(urlsplit(final_url).path or ""):
        return Verdict("http_error", f"soft 404: redirected to {urlsplit(final_url).path}")
    if sniff.is_pdf(head) or not sniff.looks_like_html(head):
        return None
    phrase = _phrase_in(page or page_head(head), NOT_FOUND_PHRASES)
    if phrase:
        return Verdict("http_error", f"soft 404 (HTTP 200 page says: {phrase})")
    return None


def expected_types(url: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """A link that names a PDF must return a PDF; anything else may be any allowed type."""
    if (urlsplit(url).path or "").lower().endswith(".pdf"):
        return ("application/pdf",)
    return tuple(t.lower() for t in allowed)


def wrong_type(
    url: str, content_type: str | None, head: bytes, allowed: tuple[str, ...]
) -> Verdict | None:
    expected = expected_types(url, allowed)
    actual = sniffed_type(content_type, head)
    if expected and actual not in expected:
        declared = media_type(content_type)
        shown = actual if declared in (None, actual) else f"{actual} (declared {declared})"
        return Verdict("wrong_type", f"expected {' or '.join(expected)}, got {shown}")
    return None


def classify_response(
    status: int,
    headers: dict[str, str],
    head: bytes,
    *,
    url: str,
    final_url: str,
    allowed_types: tuple[str, ...],
) -> Verdict | None:
    """The verdict on a final (non-redirect, non-304) response; ``None`` means genuine.

    Order matters: a denial page at a PDF URL is ``blocked`` (not ``wrong_type``), and a soft 404
    is an ``http_error`` before its HTML is held against the expected type. The page is read
    once (:func:`page_head`) for both the denial and the soft-404 checks.
    """
    verdict = _header_denial(status, headers)
    page = None
    if verdict is None and not sniff.is_pdf(head):
        page = page_head(head)
        verdict = _page_denial(status, page)
    if verdict:
        return verdict
    if not 200 <= status < 300:
        return Verdict("http_error", f"HTTP {status}")
    lower = {k.lower(): v for k, v in headers.items()}
    return soft_404(head, final_url, page) or wrong_type(
        url, lower.get("content-type"), head, allowed_types
    )
