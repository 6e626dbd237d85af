"""The JSON-API reader (scrapers/fetch/jsonapi.py) with `responses` and a server on 127.0.0.1: both
paging styles, duplicates across shifting pages, the hourly budget, the key in a header and
nowhere else, 429 with Retry-After, 401/403 once, malformed JSON and a huge body."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from werkzeug import Response

from fetch_fakes import make_fetcher
from scrapers.fetch.jsonapi import (
    CONGRESS,
    GOVINFO,
    ApiProblem,
    JsonApi,
    JsonApiSpec,
    RequestBudget,
    fetcher_transport,
    without_key,
)

KEY = "k3y-SECRET-0123456789"
BASE = "https://api.govinfo.gov/collections/PLAW/2024-01-01T00:00:00Z"


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


def api_for(spec=GOVINFO, budget=None, clock=lambda: 0.0, **fetcher_kw):
    fetcher, slept = make_fetcher(secrets=(KEY,), **fetcher_kw)
    transport = fetcher_transport(fetcher, spec, {spec.key_header: KEY})
    return JsonApi(spec, transport, budget=budget, clock=clock), slept


def page(ids, *, count=None, next_page=None):
    return {
        "count": count if count is not None else len(ids),
        "message": None,
        "nextPage": next_page,
        "previousPage": None,
        "packages": [
            {"packageId": i, "packageLink": f"https://api.govinfo.gov/packages/{i}/summary"}
            for i in ids
        ],
    }


def test_offset_mark_pages_with_the_key_in_a_header_and_duplicates_removed(rsps):
    second = "https://api.govinfo.gov/collections/PLAW/2024-01-01T00:00:00Z?offsetMark=AoJ2&pageSize=2&api_key=DEMO_KEY"
    third = (
        "https://api.govinfo.gov/collections/PLAW/2024-01-01T00:00:00Z?offsetMark=AoJ3&pageSize=2"
    )
    # results shift while paging: B is served again on the second page, D never arrives
    rsps.get(
        BASE,
        json=page(["A", "B"], count=5, next_page=second),
        match=[responses.matchers.query_param_matcher({"offsetMark": "*", "pageSize": "100"})],
    )
    rsps.get(
        BASE,
        json=page(["B", "C"], count=5, next_page=third),
        match=[responses.matchers.query_param_matcher({"offsetMark": "AoJ2", "pageSize": "2"})],
    )
    rsps.get(
        BASE,
        json=page(["E"], count=5),
        match=[responses.matchers.query_param_matcher({"offsetMark": "AoJ3", "pageSize": "2"})],
    )
    api, _ = api_for()
    got = api.items(BASE, "packages", key=lambda p: p.get("packageId"))
    assert [p["packageId"] for p in got.items] == ["A", "B", "C", "E"]
    assert (got.duplicates, got.expected, got.missing, got.pages) == (1, 5, 1, 3)
    for call in rsps.calls:
        assert call.request.headers["X-Api-Key"] == KEY
        assert "api_key" not in call.request.url and KEY not in call.request.url
    assert api.requests == 3


def test_limit_offset_pages_congress_style(rsps):
    url = "https://api.congress.gov/v3/committee-report/118"
    nxt = "https://api.congress.gov/v3/committee-report/118?offset=250&limit=250&format=json"
    rsps.get(
        url,
        json={"reports": [{"citation": "H. Rept. 118-1"}], "pagination": {"count": 2, "next": nxt}},
        match=[responses.matchers.query_param_matcher({"offset": "0", "limit": "250"})],
    )
    rsps.get(
        url,
        json={"reports": [{"citation": "H. Rept. 118-2"}], "pagination": {"count": 2}},
        match=[
            responses.matchers.query_param_matcher(
                {"offset": "250", "limit": "250", "format": "json"}
            )
        ],
    )
    api, _ = api_for(CONGRESS)
    got = api.items(url, "reports", key=lambda r: r.get("citation"))
    assert [r["citation"] for r in got.items] == ["H. Rept. 118-1", "H. Rept. 118-2"]
    assert (got.missing, got.duplicates) == (0, 0)
    assert all(c.request.headers["X-Api-Key"] == KEY for c in rsps.calls)


def test_401_is_one_access_problem_and_no_further_request(rsps):
    rsps.get(
        BASE,
        status=403,
        json={"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key was supplied."}},
    )
    api, _ = api_for()
    with pytest.raises(ApiProblem) as first:
        api.get(BASE)
    assert (first.value.kind, first.value.status) == ("access", 403)
    assert "govinfo_api_key" in first.value.detail and KEY not in str(first.value)
    with pytest.raises(ApiProblem) as second:
        api.get(BASE + "?other=1")
    assert second.value.kind == "access"
    assert len(rsps.calls) == 1  # no retry storm


def local_api(httpserver, clock=lambda: 0.0, **fetcher_kw):
    spec = JsonApiSpec(
        name="local", base_url=httpserver.url_for("/").rstrip("/"), key_setting="govinfo_api_key"
    )
    fetcher, slept = make_fetcher(secrets=(KEY,), **fetcher_kw)
    return (
        JsonApi(spec, fetcher_transport(fetcher, spec, {"X-Api-Key": KEY}), clock=clock),
        slept,
        spec,
    )


def slow_down(retry_after):
    return Response(
        json.dumps({"error": "slow down"}),
        status=429,
        headers={"Retry-After": retry_after},
        content_type="application/json",
    )


def test_429_with_a_short_retry_after_is_waited_for_and_retried(httpserver):
    httpserver.expect_ordered_request("/c").respond_with_response(slow_down("2"))
    httpserver.expect_ordered_request("/c").respond_with_json(page(["A"]))
    api, slept, spec = local_api(httpserver, retries=1)
    assert api.get(spec.url("/c")).data["packages"][0]["packageId"] == "A"
    assert slept == [2.0]
    assert len(httpserver.log) == 2


def test_429_with_a_long_retry_after_pauses_the_api_without_waiting(httpserver):
    httpserver.expect_request("/c").respond_with_response(slow_down("7200"))
    now = [0.0]
    api, slept, spec = local_api(httpserver, retries=2, clock=lambda: now[0])
    with pytest.raises(ApiProblem) as exc:
        api.get(spec.url("/c"))
    assert (exc.value.kind, exc.value.retry_after) == ("rate_limited", 7200.0)
    assert slept == []  # more than the fetcher's cap (120 s) is never slept through
    with pytest.raises(ApiProblem) as again:
        api.get(spec.url("/c"))
    assert again.value.kind == "rate_limited" and len(httpserver.log) == 1
    now[0] = 7201.0  # after the wait, requests go out again
    httpserver.clear()
    httpserver.expect_request("/c").respond_with_json(page(["A"]))
    assert api.get(spec.url("/c")).data["count"] == 1


def test_429_still_refused_after_retries_is_rate_limited(httpserver):
    httpserver.expect_request("/c").respond_with_response(slow_down("1"))
    api, slept, spec = local_api(httpserver, retries=2)
    with pytest.raises(ApiProblem) as exc:
        api.get(spec.url("/c"))
    assert (exc.value.kind, exc.value.status) == ("rate_limited", 429)
    assert slept == [1.0, 1.0] and len(httpserver.log) == 3  # bounded by the fetcher's retries


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b'{"count": 3, "packages": [', "application/json"),
        (b"\xff\xfe not utf-8 {", "application/json"),
    ],
)
def test_malformed_json_is_a_typed_problem(rsps, body, content_type):
    rsps.get(BASE, body=body, content_type=content_type)
    api, _ = api_for()
    with pytest.raises(ApiProblem) as exc:
        api.get(BASE)
    assert exc.value.kind == "malformed"


def test_a_listing_that_is_not_a_listing_is_malformed(rsps):
    rsps.get(BASE, json={"count": 3, "message": "maintenance"})
    api, _ = api_for()
    with pytest.raises(ApiProblem) as exc:
        list(api.pages(BASE, "packages"))
    assert exc.value.kind == "malformed" and "'packages'" in exc.value.detail


def test_a_pager_that_never_ends_is_a_problem(rsps):
    spec = JsonApiSpec(
        name="govinfo", base_url="https://api.govinfo.gov", key_setting="k", max_pages=3
    )
    n = [0]

    def callback(request):
        n[0] += 1
        nxt = f"{BASE}?offsetMark=m{n[0]}&pageSize=100"
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps(page([f"P{n[0]}"], count=99, next_page=nxt)),
        )

    rsps.add_callback(responses.GET, BASE, callback=callback)
    api, _ = api_for(spec)
    with pytest.raises(ApiProblem) as exc:
        api.items(BASE, "packages", key=lambda p: p["packageId"])
    assert exc.value.kind == "malformed" and len(rsps.calls) == 3


def test_next_page_on_another_host_is_refused(rsps):
    rsps.get(BASE, json=page(["A"], count=2, next_page="https://evil.example/next"))
    api, _ = api_for()
    with pytest.raises(ApiProblem) as exc:
        api.items(BASE, "packages", key=lambda p: p["packageId"])
    assert "another host" in exc.value.detail and len(rsps.calls) == 1


def test_hourly_budget_stops_requests_and_rolls_over(rsps):
    rsps.get(BASE, json=page(["A"]))
    now = [0.0]
    budget = RequestBudget(3, clock=lambda: now[0])
    budget.seed(1)  # a request made earlier this hour by another run
    api, _ = api_for(budget=budget, clock=lambda: now[0])
    api.get(BASE)
    api.get(BASE)
    with pytest.raises(ApiProblem) as exc:
        api.get(BASE)
    assert exc.value.kind == "budget" and len(rsps.calls) == 2
    now[0] = 3601.0
    assert budget.remaining == 3
    api.get(BASE)
    assert len(rsps.calls) == 3


def test_error_texts_never_show_the_key(rsps):
    rsps.get(BASE, status=500, body=f"internal error for key {KEY}")
    api, _ = api_for(retries=0)
    with pytest.raises(ApiProblem) as exc:
        api.get(BASE + f"?api_key={KEY}")
    assert KEY not in str(exc.value) and KEY not in exc.value.url
    assert exc.value.kind == "http_error"
    assert KEY not in rsps.calls[0].request.url  # the key parameter was taken out


def test_without_key_keeps_the_other_parameters():
    url = "https://api.govinfo.gov/x?offsetMark=*&api_key=abc&pageSize=10"
    assert parse_qs(urlsplit(without_key(url)).query) == {"offsetMark": ["*"], "pageSize": ["10"]}


def test_a_huge_answer_is_streamed_and_capped(httpserver):
    """Ten megabytes that never end up in memory: the download stops at the JSON cap."""
    chunk = b" " * 65536
    sent = [0]

    def stream():
        yield b'{"packages": ['
        for _ in range(160):  # 10 MiB
            sent[0] += len(chunk)
            yield chunk
        yield b"]}"

    httpserver.expect_request("/collections/PLAW/2024").respond_with_response(
        Response(stream(), content_type="application/json")
    )
    spec = JsonApiSpec(
        name="local",
        base_url=httpserver.url_for("/").rstrip("/"),
        key_setting="k",
        max_bytes=1024 * 1024,
    )
    fetcher, _ = make_fetcher(max_bytes=50 * 1024 * 1024, secrets=(KEY,))
    api = JsonApi(spec, fetcher_transport(fetcher, spec, {"X-Api-Key": KEY}))
    with pytest.raises(ApiProblem) as exc:
        api.get(spec.url("/collections/PLAW/2024"))
    assert exc.value.kind == "too_large"
    assert exc.value.status == 200
    assert api.requests == 1
