"""A loopback web server that stands in for dhs.gov and hhs.gov in the offline demo.

It serves the project's bundled documents (every source's fixtures, listed in
tests/fixtures/<source>/manifest.yaml and shipped in the wheel, see monitor.shipped) at paths that mirror their canonical URLs:
``https://www.dhs.gov/a/b.pdf`` is served at ``http://127.0.0.1:PORT/www.dhs.gov/a/b.pdf``.
URLs named in ``deny`` get a CDN-style denial page, the way government CDNs answer clients
they do not like, so the demo can show a source going ``broken``. It binds 127.0.0.1 only.

It also stands in for the Congress.gov API (api.congress.gov): the bundled answers
(tests/fixtures/congress_*/, documentation examples and reconstructed records) at their URLs,
each asked with an ``X-Api-Key`` header as the API requires (without one: the API's 403
``API_KEY_MISSING``), and a list of executive communications the bundle holds no page for (the
other Congresses') answered with an empty page: the bundle holds only the communications the
demo's obligations need.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import yaml

from monitor.shipped import demo_documents_dir
from scrapers.fetch.http import mirror_rewrite

CONGRESS_HOST = "api.congress.gov"
# A list of one Congress's executive communications, as the demo server's path names it.
_COMMUNICATION_LIST = re.compile(r"^/api\.congress\.gov/v3/(house|senate)-communication/\d+/ec$")
# The api.data.gov answer to a request without a key.
KEY_MISSING = json.dumps(
    {"error": {"code": "API_KEY_MISSING", "message": "No api_key was supplied."}}
).encode()

# Modelled on an Akamai edge denial, which dhs.gov's CDN serves with status 403.
DENIAL_PAGE = b"""<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>
You don't have permission to access this page on this server.<P>
Reference&#32;&#35;18&#46;5c2a1402&#46;1732600000&#46;1a2b3c4d
</BODY>
</HTML>
"""


@dataclass(frozen=True)
class Served:
    url: str  # canonical URL
    path: Path
    content_type: str
    reconstructed: bool


def mirror_path(url: str) -> str:
    """The path under which the demo server serves a canonical URL (scrapers.fetch.http's layout)."""
    return mirror_rewrite("")(url)


def load_manifests(root: Path | None = None) -> list[Served]:
    """Every fixture that has a canonical URL, from every source's manifest (by default the
    shipped demo documents: tests/fixtures in a checkout, see monitor.shipped)."""
    root = demo_documents_dir() if root is None else root
    served = []
    for manifest in sorted(root.glob("*/manifest.yaml")):
        data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
        entries = data.get("fixtures", data) if isinstance(data, dict) else data
        for entry in entries:
            if not entry.get("url") or entry.get("role") in ("bad", "revision"):
                continue
            served.append(
                Served(
                    entry["url"],
                    manifest.parent / entry["file"],
                    entry.get("content_type") or "application/octet-stream",
                    bool(entry.get("reconstructed")),
                )
            )
    return served


class DemoServer:
    def __init__(
        self, documents: list[Served], deny: set[str] = frozenset(), port: int = 0
    ) -> None:
        self.routes = {mirror_path(d.url): d for d in documents}
        self.deny = {mirror_path(u) for u in deny}
        self.requests: list[str] = []
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)  # 0: any free port
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rewrite(self):
        """Canonical URL -> the URL on this server (what the fetcher requests)."""
        return mirror_rewrite(self.base)

    def __enter__(self) -> "DemoServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (`monitor demo --serve-only`)."""
        self.httpd.serve_forever()

    def close(self) -> None:
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append(self.path)
                if self.path in server.deny:
                    return self._send(403, "text/html", DENIAL_PAGE)
                api = self.path.startswith(f"/{CONGRESS_HOST}/")
                if api and not self.headers.get("X-Api-Key"):
                    return self._send(403, "application/json", KEY_MISSING)
                doc = server.routes.get(self.path)
                if doc is None and api:
                    found = _COMMUNICATION_LIST.match(self.path.split("?", 1)[0])
                    if found:  # a Congress the bundle holds no communication of
                        page = {f"{found.group(1)}Communications": [], "pagination": {"count": 0}}
                        return self._send(200, "application/json", json.dumps(page).encode())
                if doc is None:
                    return self._send(
                        404, "text/html", b"<html><title>Page Not Found</title></html>"
                    )
                body = doc.path.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    return self._send(304, doc.content_type, b"", etag)
                return self._send(200, doc.content_type, body, etag)

            def _send(self, status: int, ctype: str, body: bytes, etag: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, *args) -> None:  # keep the demo's output readable
                pass

        return Handler
