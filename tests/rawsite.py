"""A web server on 127.0.0.1 that answers with exactly the bytes a test gives it, for HTTP
behaviours no well-behaved server library produces: a Content-Length that lies, a chunked body
cut off or never ending, a gzip bomb, a connection closed without a word. One thread per
connection; every answer ends by closing the connection."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from typing import Callable

Answer = bytes | Callable[[socket.socket], None]


def response(
    body: bytes,
    status: str = "200 OK",
    content_type: str | None = "text/html",
    headers: dict[str, str] | None = None,
    length: int | None = None,
) -> bytes:
    """An HTTP/1.1 answer; ``length`` overrides the Content-Length (to lie), -1 leaves it out."""
    lines = [f"HTTP/1.1 {status}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    size = len(body) if length is None else length
    if size >= 0:
        lines.append(f"Content-Length: {size}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class RawSite:
    def __init__(self) -> None:
        self.routes: dict[str, Answer] = {}
        self.hits: Counter[str] = Counter()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def route(self, path: str, answer: Answer) -> None:
        self.routes[path] = answer

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode("latin-1")
            self.hits[path] += 1
            answer = self.routes.get(path, response(b"no such page", "404 Not Found", "text/plain"))
            if callable(answer):
                answer(conn)
            else:
                conn.sendall(answer)
        except OSError:
            pass
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()
