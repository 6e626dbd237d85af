"""Loopback sites that record how many requests are in flight, overall and per host.

Each site is its own loopback address (127.0.0.2, 127.0.0.3, ...: the whole 127.0.0.0/8 block is
loopback on Linux), so the fetcher sees one host per site. Every answer waits ``delay`` seconds
before it is sent, so that requests made at once are seen at once. ``fail`` names sites that
answer 500 to everything.
"""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = (
    '<html><head><title>Reports</title></head><body><h1>Reports</h1><ul>'
    '<li><a href="http://{host}:{port}/files/report-{n}.pdf">Report {n}</a></li></ul>'
    '</body></html>'
)


class Sites:
    def __init__(self, n: int, delay: float = 0.2, fail: tuple[int, ...] = ()) -> None:
        self.n, self.delay, self.fail = n, delay, set(fail)
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.max_per_host: dict[str, int] = {}
        self.max_overall = 0
        self.served: list[tuple[str, str, float, float]] = []  # host, path, start, end
        self.servers: list[ThreadingHTTPServer] = []

    def wait_served(self, n: int, timeout: float = 10.0) -> int:
        """How many requests were served, once at least ``n`` are (a request is recorded just
        after its answer is sent, so a client can hold the answer a moment before): waits up
        to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                served = len(self.served)
            if served >= n or time.monotonic() > deadline:
                return served
            time.sleep(0.01)

    def host(self, i: int) -> str:
        return f"127.0.0.{i + 2}"

    def url(self, i: int, path: str = "/reports") -> str:
        return f"http://{self.host(i)}:{self.port}{path}"

    def _handler(self):
        sites = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                host = self.connection.getsockname()[0]
                start = time.monotonic()
                with sites.lock:
                    sites.in_flight[host] = sites.in_flight.get(host, 0) + 1
                    sites.max_per_host[host] = max(
                        sites.max_per_host.get(host, 0), sites.in_flight[host]
                    )
                    sites.max_overall = max(sites.max_overall, sum(sites.in_flight.values()))
                done = False

                def answered() -> None:
                    """The request counts as served (and no longer in flight) just before
                    the last of its answer goes out: the client cannot have it whole, nor
                    send its next request, before that."""
                    nonlocal done
                    if not done:
                        done = True
                        with sites.lock:
                            sites.in_flight[host] -= 1
                            sites.served.append((host, self.path, start, time.monotonic()))

                try:
                    time.sleep(sites.delay)
                    index = int(host.rsplit(".", 1)[1]) - 2
                    if index in sites.fail:
                        body, status, ctype = b"server error", 500, "text/plain"
                    elif self.path.endswith(".pdf"):
                        body = f"%PDF-1.4\nTITLE Report {index}\nTOTAL {index}\n".encode()
                        status, ctype = 200, "application/pdf"
                    else:
                        body = PAGE.format(host=host, port=sites.port, n=index).encode()
                        status, ctype = 200, "text/html"
                    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    if status == 200 and self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        answered()
                        self.end_headers()  # sends the buffered status line and headers
                        return
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    if status == 200:
                        self.send_header("ETag", etag)
                    self.end_headers()
                    answered()
                    self.wfile.write(body)
                finally:
                    answered()

            def log_message(self, *_args) -> None:
                pass

        return Handler

    def __enter__(self) -> "Sites":
        handler = self._handler()
        first = ThreadingHTTPServer((self.host(0), 0), handler)
        self.port = first.server_address[1]
        self.servers = [first] + [
            ThreadingHTTPServer((self.host(i), self.port), handler) for i in range(1, self.n)
        ]
        for server in self.servers:
            server.daemon_threads = True
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            ).start()
        return self

    def __exit__(self, *_exc) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
