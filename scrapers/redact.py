"""One redaction for every URL and text the monitor stores, prints or logs.

A URL can carry a secret in two places: credentials before the host (``user:password@``) and
query or fragment parameters whose name says they are one (``api_key=``, ``token=``, ``key=``,
``access_token=``, ``X-Amz-Signature=``, ``client_secret=``...). The monitor requests the real
URL, but every copy it keeps or shows is :func:`redact_url`'d: fetch runs, snapshots, reports,
listing links, capture records, HTTP validators, error texts, command output and logs.

Redaction is idempotent (redacting a redacted URL changes nothing) and keeps the parameter
names, so a stored URL still says what kind of secret was there. Two URLs that differ only in a
secret are stored as one: a source whose documents are told apart by a ``key=`` parameter would
need that parameter renamed here, never silently kept.
"""

from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***"

# A parameter name that marks a secret: one of these words, alone or as the last part of a
# longer name (``api_key``, ``x-amz-signature``, ``access_token``, ``client_secret``).
_SECRET_WORDS = (
    r"api_?key|apikey|key|token|secret|password|passwd|pwd|pass|signature|sig"
    r"|credential|credentials|auth|authorization"
)
_SECRET_NAME = re.compile(rf"(?:[\w.-]*[_.-])?(?:{_SECRET_WORDS})", re.IGNORECASE)
# ``name=value`` inside free text (an error message, a log line), not preceded by a word char.
_TEXT_PARAM = re.compile(
    rf"(?<![\w-])((?:[\w.-]*[_.-])?(?:{_SECRET_WORDS})=)[^&#\s'\"<>,;)]+", re.IGNORECASE
)
# Credentials in a URL inside free text: scheme://userinfo@
_TEXT_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/?#@\s'\"<>]+@", re.IGNORECASE)


def is_secret_param(name: str) -> bool:
    """Whether a query parameter of this name carries a secret."""
    return bool(_SECRET_NAME.fullmatch(name.strip()))


def _redact_params(part: str) -> str:
    if "=" not in part:
        return part
    out = []
    for piece in re.split(r"([&;])", part):
        name, eq, value = piece.partition("=")
        if eq and value and is_secret_param(name):
            piece = f"{name}={REDACTED}"
        out.append(piece)
    return "".join(out)


# A URL with nothing to redact and nothing splitting and joining it would change: a lower-case
# http(s) scheme, a plain host (no user information), a path of printable characters and no
# query or fragment. Most URLs a listing links are like that: they are returned as they are,
# without being taken apart (tests/test_redact.py holds this to the whole computation).
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]*)?(?:/[!$%&'()*+,\-./0-9:;=A-Z_a-z~]*)?")


def redact_url(url: str, *, keep_user: bool = False) -> str:
    """``url`` with credentials and secret parameters replaced by ``***``.

    Credentials become ``***@`` (``keep_user=True`` keeps a user name that has a password,
    ``user:***@``: right for a database URL, where the user is not the secret). Anything that is
    not a URL is redacted as text.
    """
    if not url:
        return url
    if _PLAIN_URL.fullmatch(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if not parts.scheme or not parts.netloc and not parts.query:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, colon, _password = userinfo.partition(":")
        if keep_user and colon:
            userinfo = f"{user}:{REDACTED}"
        elif not keep_user or userinfo != user:
            userinfo = REDACTED
        netloc = f"{userinfo}@{host}"
    return urlunsplit(
        parts._replace(
            netloc=netloc,
            query=_redact_params(parts.query),
            fragment=_redact_params(parts.fragment),
        )
    )


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text (an error, a log line) with every configured secret value, URL credentials and
    secret-looking ``name=value`` pairs replaced by ``***``."""
    if not text:
        return text
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _TEXT_USERINFO.sub(rf"\1{REDACTED}@", text)
    return _TEXT_PARAM.sub(rf"\1{REDACTED}", text)
