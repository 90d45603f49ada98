"""The demo site's HTTP/1.1 server: keep-alive, exact control of the bytes sent, and a log."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from archive.demosite.content import DemoManifest, build_manifest
from archive.demosite.routes import ROUTES, DemoRequest, DemoResponse, SiteState, parse_query

CHUNK_SIZE = 4096
SERVER_NAME = "DemoTimes/1.0"


@dataclass
class SentResponse:
    """One response as put on the wire (body after content-encoding, before chunk framing)."""

    method: str
    path: str                          # with query, exactly as requested
    status: int
    reason: str
    headers: list[tuple[str, str]]     # in order, repeats kept
    body: bytes
    chunked: bool
    received_at: float = 0.0           # time.time() when the request arrived


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = SERVER_NAME
    # Idle keep-alive connections close on their own so stop() never waits on a client.
    timeout = 10
    server: _DemoHTTPServer

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        site = self.server.site
        split = urlsplit(self.path)
        handler, match = ROUTES.resolve(split.path)
        request = DemoRequest(self.command, self.path, split.path, parse_query(split.query),
                              [(k, v) for k, v in self.headers.items()], match)
        received_at = time.time()
        response = handler(site.state, request)
        if site.delay:
            time.sleep(site.delay)
        if response.wait and site.state.stopping.wait(response.wait):
            self.close_connection = True   # shutting down: leave without a word
            return
        self._send(response, send_body, received_at)

    def _send(self, response: DemoResponse, send_body: bool, received_at: float) -> None:
        reason = _reason(response.status)
        headers: list[tuple[str, str]] = [("Server", SERVER_NAME), ("Date", formatdate(usegmt=True))]
        if response.content_type:
            headers.append(("Content-Type", response.content_type))
        headers += response.headers
        if response.chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        else:
            length = len(response.body) if response.content_length is None else response.content_length
            headers.append(("Content-Length", str(length)))
        headers.append(("Connection", "close" if self.close_connection else "keep-alive"))
        if response.content_length is not None or response.cut_at is not None:
            # The head promised a usable stream (keep-alive); the stream is broken: hang up after it.
            self.close_connection = True
        head = f"HTTP/1.1 {response.status} {reason}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        wire = head.encode("latin-1")
        body = response.body if send_body else b""
        if send_body and response.chunked:
            wire += _chunk_frame(body)
        else:
            wire += body
        if response.cut_at is not None:
            wire = wire[:len(head) + response.cut_at]
        self.server.site.record(SentResponse(self.command, self.path, response.status, reason,
                                             headers, body, response.chunked, received_at))
        self.wfile.write(wire)
        self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        pass   # the SentResponse log replaces stderr noise


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _chunk_frame(body: bytes) -> bytes:
    chunks = [body[i:i + CHUNK_SIZE] for i in range(0, len(body), CHUNK_SIZE)]
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


class _DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: DemoSite) -> None:
        self.site = site
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)  # type: ignore[arg-type]

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        # Crawlers hang up on slow or broken answers on purpose; that is not a server error.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def drop_connections(self) -> None:
        with self.connections_lock:
            live = list(self.connections)
        for conn in live:
            with contextlib.suppress(OSError):   # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)


class DemoSite:
    """A deterministic fake news site served on 127.0.0.1, with its ground-truth manifest."""

    def __init__(self, n_articles: int = 64, now: datetime | None = None, delay: float = 0.0,
                 seed: int = 1, host: str = "127.0.0.1", port: int = 0,
                 furniture: str = "light") -> None:
        self.now = (now or datetime.now(UTC)).astimezone(UTC)
        self.delay = delay
        self.host, self.port = host, port
        self.manifest: DemoManifest = build_manifest(n_articles, self.now, seed)
        self.manifest.furniture, self.manifest.seed = furniture, seed
        self.sent: list[SentResponse] = []
        self._hits: Counter[str] = Counter()
        self._log_lock = threading.Lock()
        self._server: _DemoHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.state = SiteState(self.manifest, "")

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the demo site is not running: call start() first")
        return self.state.base

    def start(self) -> str:
        if self._server is not None:
            return self.url
        self._server = _DemoHTTPServer((self.host, self.port), self)
        host, port = self._server.server_address[:2]
        self.state = SiteState(self.manifest, f"http://{host!s}:{port}")
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="demosite", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is None:
            return
        self.state.stopping.set()   # wakes the handlers that stall on purpose
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> DemoSite:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def record(self, sent: SentResponse) -> None:
        with self._log_lock:
            self.sent.append(sent)
            self._hits[sent.path] += 1

    def hits(self, path: str) -> int:
        """How many times a path (with its query) was requested."""
        with self._log_lock:
            return self._hits[path]

    def request_times(self, path: str) -> list[float]:
        """When each request for a path (with its query) arrived, as time.time() values."""
        with self._log_lock:
            return [s.received_at for s in self.sent if s.path == path]

    def requested_paths(self) -> list[str]:
        """Every requested path with query, in request order, repeats kept."""
        with self._log_lock:
            return [s.path for s in self.sent]
