"""One redaction for URLs and texts: credentials and secret parameters never survive it, the
rest of the URL does, and redacting twice changes nothing."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrapers.redact import is_secret_param, redact_text, redact_url


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "https://api.govinfo.gov/collections/BILLS?offset=0&api_key=DEMO_KEY",
            "https://api.govinfo.gov/collections/BILLS?offset=0&api_key=***",
        ),
        (
            "https://api.congress.gov/v3/bill?format=json&api_key=abc123&limit=20",
            "https://api.congress.gov/v3/bill?format=json&api_key=***&limit=20",
        ),
        ("https://www.agency.gov/r.pdf?token=t0k3n", "https://www.agency.gov/r.pdf?token=***"),
        (
            "https://www.agency.gov/r.pdf?key=k&page=2",
            "https://www.agency.gov/r.pdf?key=***&page=2",
        ),
        ("https://ops:hunter2@www.agency.gov/r.pdf", "https://***@www.agency.gov/r.pdf"),
        ("https://ghp_abcdef@www.agency.gov/r.pdf", "https://***@www.agency.gov/r.pdf"),
        (
            "https://b.s3.amazonaws.com/r.pdf?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=deadbeef"
            "&X-Amz-Expires=60",
            "https://b.s3.amazonaws.com/r.pdf?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60",
        ),
        (
            "https://www.agency.gov/cb#access_token=xyz&state=1",
            "https://www.agency.gov/cb#access_token=***&state=1",
        ),
        (
            "https://www.agency.gov/r.pdf?APIKEY=x;client_secret=y",
            "https://www.agency.gov/r.pdf?APIKEY=***;client_secret=***",
        ),
        # what is not a secret stays as it was
        (
            "https://www.dhs.gov/immigration-statistics/special-reports/FUAR",
            "https://www.dhs.gov/immigration-statistics/special-reports/FUAR",
        ),
        (
            "https://www.agency.gov/search?monkey=1&turkey=2&keyword=fuar&page=3",
            "https://www.agency.gov/search?monkey=1&turkey=2&keyword=fuar&page=3",
        ),
        ("https://www.agency.gov/r.pdf?token=", "https://www.agency.gov/r.pdf?token="),
        ("file:///home/ana/report.pdf", "file:///home/ana/report.pdf"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected
    assert redact_url(expected) == expected


def test_a_database_url_keeps_its_user():
    assert (
        redact_url("postgresql+psycopg://monitor:s3cret@db.example.org/monitor", keep_user=True)
        == "postgresql+psycopg://monitor:***@db.example.org/monitor"
    )
    assert (
        redact_url("postgresql+psycopg://monitor@db/monitor", keep_user=True)
        == "postgresql+psycopg://monitor@db/monitor"
    )


def test_redact_text_blanks_configured_secrets_and_urls_in_prose():
    text = (
        "GET https://ops:pw@api.agency.gov/x?api_key=K1&page=2 failed: token=abc, "
        "header said s3cr3t-value; monkey=1"
    )
    assert redact_text(text, ["s3cr3t-value"]) == (
        "GET https://***@api.agency.gov/x?api_key=***&page=2 failed: token=***, "
        "header said ***; monkey=1"
    )


@pytest.mark.parametrize(
    "name, secret",
    [
        ("api_key", True),
        ("apikey", True),
        ("API-KEY", True),
        ("x-api-key", True),
        ("key", True),
        ("token", True),
        ("access_token", True),
        ("id_token", True),
        ("client_secret", True),
        ("password", True),
        ("X-Amz-Signature", True),
        ("sig", True),
        ("keyword", False),
        ("monkey", False),
        ("page", False),
        ("format", False),
        ("id", False),
    ],
)
def test_which_parameters_are_secret(name, secret):
    assert is_secret_param(name) is secret


# A secret always holds a "Q", which nothing else in the generated URLs does.
_VALUE = st.text(string.ascii_letters + string.digits + "-_.~%", min_size=5, max_size=30).map(
    lambda v: "Q" + v
)
_PLAIN = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    secret=_VALUE,
    name=st.sampled_from(
        ["api_key", "token", "key", "access_token", "X-Amz-Signature", "password"]
    ),
    before=st.lists(st.tuples(_PLAIN.filter(lambda n: not is_secret_param(n)), _PLAIN), max_size=3),
    path=_PLAIN,
    user=st.booleans(),
)
def test_no_secret_survives_redaction_and_redaction_is_idempotent(secret, name, before, path, user):
    query = "&".join([f"{k}={v}" for k, v in before] + [f"{name}={secret}"])
    netloc = f"ana:{secret}@api.agency.gov" if user else "api.agency.gov"
    url = f"https://{netloc}/{path}?{query}"
    once = redact_url(url)
    assert secret not in once.replace("***", "")
    assert redact_url(once) == once
    assert once.startswith("https://") and f"/{path}?" in once
    for k, v in before:  # the rest of the query is kept as it was
        assert f"{k}={v}" in once
    assert secret not in redact_text(f"fetching {url} failed").replace("***", "")


def test_urls_returned_as_they_are_are_exactly_what_the_whole_redaction_gives(monkeypatch):
    """The fast path (a plain http(s) URL returned untouched) never differs from splitting,
    redacting and joining the URL: over edge cases and thousands of random URLs built from the
    characters that matter (credentials, ports, queries, fragments, brackets, case, spaces)."""
    import random
    import re

    import scrapers.redact as redact

    cases = [
        "http://e.gov",
        "https://e.gov/",
        "HTTPS://e.gov/a",
        "https://e.gov:/a",
        "https://e.gov:8443/a//b/",
        "https://user:pw@e.gov/a",
        "https://e.gov/a?",
        "https://e.gov/a#",
        "https://e.gov/a?key=1",
        "https://e.gov/a b",
        " https://e.gov/a",
        "https://e.gov/a\tb",
        "https://[::1]/a",
        "https://e.gov/%7Euser/a;b=c",
        "https://e.gov/a@b",
        "https:/e.gov/a",
        "https:e.gov",
        "ftp://e.gov/a",
    ]
    rng = random.Random(13)
    alphabet = "aZ09.-/:@?#&=;%~ _!$'()*+,[]\t" + "é"
    heads = ["http://", "https://", "HTTP://", "https:/", "https://u:p@", "ftp://", ""]
    for _ in range(4000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        cases.append(rng.choice(heads) + rng.choice(["e.gov", "a-b.c", "x", ""]) + body)
    fast = {url: redact.redact_url(url) for url in cases}
    monkeypatch.setattr(redact, "_PLAIN_URL", re.compile(r"(?!)"))  # never plain: the whole way
    assert {url: redact.redact_url(url) for url in cases} == fast
    assert sum(redact.redact_url(u) is u for u in cases) > 100  # the fast path was taken
