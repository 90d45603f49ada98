"""A base for the small HTTP servers some crawl tests run on 127.0.0.1 (port 0)."""

from __future__ import annotations

from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler


class QuietHandler(BaseHTTPRequestHandler):
    """Sends whole responses with an honest Content-Length, and logs nothing to stderr."""

    def send(self, status: int, body: bytes, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass
