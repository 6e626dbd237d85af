"""The HTTP client against a real server on 127.0.0.1: streaming, the size cap aborting a body
that never ends, a server that sends one byte a second, the overall deadline, Retry-After,
backoff on refused connections, and TLS verification."""

from __future__ import annotations

import socket
import ssl
import time

import pytest
import trustme
from pytest_httpserver import HTTPServer
from werkzeug import Response

from fetch_fakes import USER_AGENT
from scrapers.fetch.http import Fetcher, HttpConfig

CHUNK = b"%PDF-1.4\n" + b"0" * (64 * 1024 - 9)


@pytest.fixture
def server():
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    srv.clear()
    if srv.is_running():
        srv.stop()


def fetcher(**overrides) -> tuple[Fetcher, list[float]]:
    slept: list[float] = []
    config = dict(
        user_agent=USER_AGENT,
        connect_timeout=2.0,
        read_timeout=2.0,
        total_timeout=20.0,
        retries=0,
        backoff=0.0,
        host_min_interval=0.0,
    )
    config.update(overrides)
    return Fetcher(HttpConfig(**config), sleep=slept.append), slept


def test_a_large_body_is_streamed_whole(server):
    def handler(_request):
        return Response((CHUNK for _ in range(48)), content_type="application/pdf")  # 3 MiB

    server.expect_request("/big.pdf").respond_with_handler(handler)
    client, _ = fetcher(max_bytes=10 * 1024 * 1024)
    result = client.fetch(server.url_for("/big.pdf"), allowed=["127.0.0.1"])
    assert result.outcome == "ok"
    assert result.body == CHUNK * 48 and result.bytes_read == len(CHUNK) * 48


def test_a_body_that_never_ends_is_cut_at_the_cap(server):
    produced = []

    def endless():
        for _ in range(100_000):  # 6 GiB if nobody stopped it
            produced.append(1)
            yield CHUNK

    server.expect_request("/endless.pdf").respond_with_handler(
        lambda _r: Response(endless(), content_type="application/pdf")
    )
    cap = 1024 * 1024
    client, _ = fetcher(max_bytes=cap)
    result = client.fetch(server.url_for("/endless.pdf"), allowed=["127.0.0.1"])
    assert result.outcome == "too_large" and result.body is None
    assert cap < result.bytes_read <= cap + len(CHUNK)
    assert "aborted" in result.error
    assert len(produced) < 1000  # the server was stopped long before the end


def test_a_server_sending_one_byte_a_second_hits_the_read_timeout(server):
    def drip():
        for _ in range(4):
            yield b"x"
            time.sleep(1.0)

    server.expect_request("/slow").respond_with_handler(
        lambda _r: Response(drip(), content_type="text/html")
    )
    client, _ = fetcher(read_timeout=0.3)
    result = client.fetch(server.url_for("/slow"), allowed=["127.0.0.1"])
    assert result.outcome == "network_error" and "read timed out" in result.error
    assert result.bytes_read < 4 and result.body is None


def test_a_drip_faster_than_the_read_timeout_still_meets_the_deadline(server):
    def drip():
        for _ in range(50):
            yield b"x"
            time.sleep(0.1)

    server.expect_request("/drip").respond_with_handler(
        lambda _r: Response(drip(), content_type="text/html")
    )
    client, _ = fetcher(read_timeout=1.0, total_timeout=0.5)
    result = client.fetch(server.url_for("/drip"), allowed=["127.0.0.1"])
    assert result.outcome == "network_error" and "longer than 0.5s" in result.error
    assert result.bytes_read < 50


def test_retry_after_is_honoured(server):
    answers = iter(
        [
            Response("busy", status=503, headers={"Retry-After": "2"}),
            Response("<html><body>ok</body></html>", content_type="text/html"),
        ]
    )
    server.expect_request("/r").respond_with_handler(lambda _r: next(answers))
    client, slept = fetcher(retries=2, backoff=0.0)
    result = client.fetch(server.url_for("/r"), allowed=["127.0.0.1"])
    assert result.outcome == "ok"
    assert slept == [2.0]  # waited what the server asked (recorded, not slept for real)
    assert len(server.log) == 2


def test_a_retry_after_too_long_to_wait_is_not_waited_for(server):
    server.expect_request("/r").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "3600"})
    )
    client, slept = fetcher(retries=3)
    result = client.fetch(server.url_for("/r"), allowed=["127.0.0.1"])
    assert (result.outcome, result.status) == ("blocked", 429)
    assert slept == [] and len(server.log) == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connections_are_retried_with_backoff():
    client, slept = fetcher(retries=2, backoff=0.5)
    result = client.fetch(f"http://127.0.0.1:{_closed_port()}/x", allowed=["127.0.0.1"])
    assert result.outcome == "network_error"
    assert slept and all(s > 0 for s in slept)  # urllib3 backed off between the tries


@pytest.fixture
def tls_server():
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    srv = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    srv.start()
    yield srv, ca
    srv.clear()
    srv.stop()


def test_tls_is_verified(tls_server, monkeypatch, tmp_path):
    srv, ca = tls_server
    srv.expect_request("/page").respond_with_data(
        "<html><body>hi</body></html>", content_type="text/html"
    )
    url = srv.url_for("/page")
    assert url.startswith("https://")
    client, _ = fetcher()
    untrusted = client.fetch(url, allowed=["127.0.0.1"])
    assert untrusted.outcome == "network_error" and "TLS verification failed" in untrusted.error
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))  # the operator's CA store
    trusted, _ = fetcher()
    assert trusted.fetch(url, allowed=["127.0.0.1"]).outcome == "ok"
