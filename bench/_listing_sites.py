"""Loopback "agency sites" for bench/poll_cycle.py: N listing pages, one host each.

Each page is a synthetic listing shaped like the HHS listing of monthly Reports to Congress on
Separated Children (about 27 KB: the site's navigation, breadcrumbs, a side menu, a footer, a
script, and 40 links to monthly pages ``.../<month>-<yyyy>/index.html``). The wording of the
links follows the real page; everything else is filler written for the benchmark, not a copy of
hhs.gov. Page ``i`` is served on its own loopback address (127.1.x.y, one port for all), as N
sources on N hosts would be, with an ETag and a Last-Modified so that a second poll is a 304.

Run it in its own process (``python bench/_listing_sites.py --pages N``): it prints
``READY <port>`` and serves until stdin closes, so neither the monitor nor urlwatch shares a
Python interpreter (and its lock) with the server. ``GET /__bench/stats`` on any of its
addresses answers ``{"requests": ..., "bytes": ...}``: requests served and bytes sent (status
lines, headers and bodies) so far, not counting the stats requests themselves. ``--latency S``
delays every answer by S seconds, as a distant server would.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import selectors
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTING_PATH = (
    "/programs/social-services/unaccompanied-children/"
    "report-to-congress-on-separated-children/index.html"
)
LINKS = 40
STATS_PATH = "/__bench/stats"
LAST_MODIFIED = format_datetime(datetime(2026, 3, 1, tzinfo=timezone.utc), usegmt=True)
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def host(i: int) -> str:
    """The loopback address of page ``i``: 127.1.0.1, 127.1.0.2, ... (250 per third octet)."""
    return f"127.1.{i // 250}.{i % 250 + 1}"


def url(i: int, port: int) -> str:
    return f"http://{host(i)}:{port}{LISTING_PATH}"


def _nav(prefix: str, items: list[str]) -> str:
    return "".join(
        f'<li class="{prefix}__item"><a class="{prefix}__link" '
        f'href="/{prefix}/{item.lower().replace(" ", "-")}/index.html">{item}</a></li>'
        for item in items
    )


NAV = [
    "About HHS",
    "Programs",
    "Grants",
    "Laws and Regulations",
    "Newsroom",
    "Agencies",
    "Careers",
    "Contact Us",
    "Budget and Performance",
    "Civil Rights",
    "Prevention",
    "Health Insurance",
    "Public Health",
    "Social Services",
    "Emergency Preparedness",
    "Research",
    "Reports",
    "Open Government",
    "Accessibility",
    "Privacy Policy",
    "Disclaimers",
    "FOIA",
    "Inspector General",
    "No FEAR Act",
    "Plain Writing",
    "Vulnerability Disclosure",
    "Nondiscrimination Notice",
    "Viewers and Players",
    "Digital Strategy",
    "Web Policies",
]
SIDE = [
    "Unaccompanied Children",
    "About the Program",
    "Fact Sheets",
    "Latest Data",
    "Policy Guide",
    "Sponsors",
    "Legal Services",
    "Home Study",
    "Post Release Services",
    "Reports to Congress",
]


def listing_page(i: int) -> bytes:
    """Page ``i``: 40 links to monthly pages (months differ from page to page), ~27 KB."""
    entries = []
    for k in range(LINKS):
        month = (i + k) % 12
        year = 2019 + (i + k) // 12 % 7
        name = MONTHS[month]
        entries.append(
            f'<li class="usa-collection__item"><div class="usa-collection__body">'
            f'<h3 class="usa-collection__heading"><a href="/programs/social-services/'
            f'unaccompanied-children/report-to-congress-on-separated-children/{name}-{year}/'
            f'index.html">Report to Congress on Separated Children \u2013 {name.title()} {year}'
            f'</a></h3><p class="usa-collection__description">Children separated from their '
            f'parents by DHS and referred to ORR.</p></div></li>'
        )
    filler = (
        "<p>HHS submits this report pursuant to the Department of Health and Human "
        "Services Emergency Supplemental Appropriations Act, 2019. The report includes "
        "the number and ages of children separated, by sector, and the documented cause "
        "of separation as reported by DHS when each child was referred.</p>"
    )
    script = (
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push("
        "arguments);}gtag('js',new Date());gtag('config','G-BENCH"
        + "0" * 8
        + "');"
        + "var menu={"
        + ",".join(f'"m{j}":"/programs/item-{j}/index.html"' for j in range(40))
        + "};</script>"
    )
    page = (
        '<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8">'
        f'<title>Report to Congress on Separated Children | HHS.gov (site {i})</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/themes/custom/hhs_uswds/dist/css/styles.css">'
        f'{script}</head><body class="path-node page-node-type-landing"><a class="usa-skipnav" '
        'href="#main-content">Skip to main content</a><header class="usa-header">'
        f'<nav class="usa-nav" aria-label="Primary navigation"><ul class="usa-nav__primary">'
        f'{_nav("nav", NAV)}</ul></nav></header><div class="grid-container">'
        '<nav class="usa-breadcrumb" aria-label="Breadcrumbs"><ol><li><a href="/">HHS Home'
        '</a></li><li><a href="/programs/index.html">Programs</a></li><li><a href="/programs/'
        'social-services/index.html">Social Services</a></li><li>Unaccompanied Children</li>'
        f'</ol></nav><aside class="usa-sidenav"><ul>{_nav("side", SIDE)}</ul></aside>'
        '<main id="main-content"><h1>Report to Congress on Separated Children</h1>'
        f'{filler * 3}<h2>Monthly Reports</h2><ul class="usa-collection">{"".join(entries)}'
        f'</ul>{filler * 2}</main></div><footer class="usa-footer"><ul>{_nav("footer", NAV)}'
        '</ul><p>U.S. Department of Health &amp; Human Services, 200 Independence Avenue, '
        'S.W., Washington, D.C. 20201</p></footer></body></html>'
    )
    return page.encode()


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes = 0


class _CountingWriter:
    def __init__(self, raw, stats: Stats) -> None:
        self._raw, self._stats, self.counting = raw, stats, True

    def write(self, data) -> int:
        if self.counting:
            with self._stats.lock:
                self._stats.bytes += len(data)
        return self._raw.write(data)

    def __getattr__(self, name):
        return getattr(self._raw, name)


def handler(pages: dict[str, bytes], stats: Stats, latency: float = 0.0):
    etags = {h: '"' + hashlib.sha256(body).hexdigest()[:20] + '"' for h, body in pages.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
        disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to every response

        def setup(self) -> None:
            super().setup()
            self.wfile = _CountingWriter(self.wfile, stats)

        def do_GET(self) -> None:
            if self.path == STATS_PATH:
                self.wfile.counting = False
                with stats.lock:
                    body = json.dumps({"requests": stats.requests, "bytes": stats.bytes}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.counting = True
                return
            with stats.lock:
                stats.requests += 1
            if latency:
                time.sleep(latency)  # a distant server: the answer starts this much later
            address = self.connection.getsockname()[0]
            body = pages.get(address) if self.path == LISTING_PATH else None
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = etags[address]
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    return Handler


def _bind_all(n: int, handler_class) -> list[ThreadingHTTPServer]:
    """One server per address, all on one port (a free one, found on the first address)."""
    for _attempt in range(20):
        probe = socket.socket()
        probe.bind((host(0), 0))
        port = probe.getsockname()[1]
        probe.close()
        servers: list[ThreadingHTTPServer] = []
        try:
            for i in range(n):
                server = ThreadingHTTPServer((host(i), port), handler_class)
                server.daemon_threads = True
                servers.append(server)
            return servers
        except OSError:
            for server in servers:
                server.server_close()
    raise SystemExit("no port free on every loopback address")


def serve(n: int, latency: float = 0.0) -> tuple[int, list[ThreadingHTTPServer]]:
    """Bind and start serving N pages; returns the port and the servers."""
    stats = Stats()
    pages = {host(i): listing_page(i) for i in range(n)}
    servers = _bind_all(n, handler(pages, stats, latency))
    selector = selectors.DefaultSelector()
    for server in servers:
        selector.register(server, selectors.EVENT_READ)

    def loop() -> None:  # one thread accepts on every address; each connection gets a thread
        while True:
            for key, _events in selector.select():
                key.fileobj._handle_request_noblock()

    threading.Thread(target=loop, daemon=True).start()
    return servers[0].server_address[1], servers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.0, help="Seconds before each answer.")
    args = ap.parse_args()
    port, _servers = serve(args.pages, args.latency)
    print(f"READY {port}", flush=True)
    sys.stdin.read()  # serve until the benchmark closes our stdin (or dies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
