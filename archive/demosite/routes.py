"""The demo site's endpoints: a registry of path patterns, each with a small handler."""

from __future__ import annotations

import gzip
import re
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from archive.demosite import feeds, pages
from archive.demosite.content import DemoManifest

HTML = "text/html; charset=utf-8"


@dataclass
class DemoRequest:
    method: str
    target: str                          # path with query, exactly as requested
    path: str
    query: dict[str, list[str]]
    headers: list[tuple[str, str]]
    match: re.Match[str]

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")


@dataclass
class DemoResponse:
    status: int = 200
    body: bytes = b""
    content_type: str | None = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)   # beyond the standard ones
    chunked: bool = False
    # Misbehaviour on the wire, for the hostile endpoints (archive/demosite/hostile.py):
    wait: float = 0.0                  # seconds to stall before answering (cut short by stop())
    content_length: int | None = None  # a Content-Length that lies; the connection closes after
    cut_at: int | None = None          # send only this many bytes after the head, then close


@dataclass
class SiteState:
    """What handlers share: the manifest, the base URL, and per-instance memory."""

    manifest: DemoManifest
    base: str
    cache: dict[str, bytes] = field(default_factory=dict)
    flaky_seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: Counter[str] = field(default_factory=Counter)
    stopping: threading.Event = field(default_factory=threading.Event)

    def count(self, key: str) -> int:
        """How many times `key` was counted, this time included (thread-safe)."""
        with self.lock:
            self.requests[key] += 1
            return self.requests[key]

    def cached(self, key: str, render: Callable[[], bytes | None]) -> bytes | None:
        # Rendering is deterministic, so each page is built once per server instance.
        if key not in self.cache:
            body = render()
            if body is None:
                return None
            self.cache[key] = body
        return self.cache[key]


Handler = Callable[[SiteState, DemoRequest], DemoResponse]


class Routes:
    """Ordered (pattern -> handler) table; the first full match answers."""

    def __init__(self, fallback: Handler) -> None:
        self._routes: list[tuple[re.Pattern[str], Handler]] = []
        self.fallback = fallback

    def add(self, pattern: str, handler: Handler | None = None) -> Callable[[Handler], Handler]:
        def register(h: Handler) -> Handler:
            self._routes.append((re.compile(pattern), h))
            return h
        if handler is not None:
            register(handler)
        return register

    def resolve(self, path: str) -> tuple[Handler, re.Match[str]]:
        for pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match:
                return handler, match
        return self.fallback, _ANY.fullmatch(path)  # type: ignore[return-value]


_ANY = re.compile(r".*", re.DOTALL)


def not_found(state: SiteState, request: DemoRequest) -> DemoResponse:
    body = state.cached("404", lambda: pages.render_message(
        state.manifest, "Page not found", "The page you asked for does not exist or has moved."))
    return DemoResponse(404, body or b"")


ROUTES = Routes(fallback=not_found)


def _page(state: SiteState, request: DemoRequest, key: str,
          render: Callable[[], bytes | None], content_type: str = HTML) -> DemoResponse:
    body = state.cached(key, render)
    if body is None:
        return not_found(state, request)
    return DemoResponse(200, body, content_type)


@ROUTES.add(r"/")
def home(state: SiteState, request: DemoRequest) -> DemoResponse:
    return _page(state, request, "/", lambda: pages.render_home(state.manifest))


@ROUTES.add(r"/about")
def about(state: SiteState, request: DemoRequest) -> DemoResponse:
    return _page(state, request, "/about", lambda: pages.render_about(state.manifest))


@ROUTES.add(r"/section/(?P<slug>[a-z-]+)")
def section(state: SiteState, request: DemoRequest) -> DemoResponse:
    raw = request.query.get("page", ["1"])[0]
    if not raw.isdigit():
        return not_found(state, request)
    slug, page = request.match["slug"], int(raw)
    return _page(state, request, f"section:{slug}:{page}",
                 lambda: pages.render_section(state.manifest, slug, page))


@ROUTES.add(r"/tag/(?P<slug>[a-z0-9-]+)")
def tag(state: SiteState, request: DemoRequest) -> DemoResponse:
    slug = request.match["slug"]
    return _page(state, request, f"tag:{slug}", lambda: pages.render_tag(state.manifest, slug))


@ROUTES.add(r"/author/(?P<slug>[a-z0-9-]+)")
def author(state: SiteState, request: DemoRequest) -> DemoResponse:
    slug = request.match["slug"]
    return _page(state, request, f"author:{slug}",
                 lambda: pages.render_author(state.manifest, slug))


@ROUTES.add(r"/news/embargoed/.+")
def embargoed(state: SiteState, request: DemoRequest) -> DemoResponse:
    if request.path not in state.manifest.disallowed_paths:
        return not_found(state, request)
    return _page(state, request, request.path, lambda: pages.render_message(
        state.manifest, "Embargoed story", "This story is not to be published before its "
        "embargo lifts. Crawlers that honour robots.txt never see this page."))


@ROUTES.add(r"/news/\d{4}/\d{2}/\d{2}/[a-z0-9-]+")
def article(state: SiteState, request: DemoRequest) -> DemoResponse:
    manifest, special = state.manifest, state.manifest.special
    try:
        item = manifest.article(request.path)
    except KeyError:
        return not_found(state, request)
    body = state.cached(request.path, lambda: pages.render_article(manifest, item, state.base))
    assert body is not None
    response = DemoResponse(200, body)
    if request.path == special["flaky"]:
        with state.lock:
            first = request.path not in state.flaky_seen
            state.flaky_seen.add(request.path)
        if first:
            return DemoResponse(500, pages.render_message(
                manifest, "Something went wrong", "Our servers are having a moment. Try again."))
    if request.path == special["cp1251"]:
        # The header lies (utf-8); only the page's <meta charset> tells the truth.
        response.content_type = HTML
    if request.path == special["gzip"] and "gzip" in request.header("Accept-Encoding").lower():
        # mtime=0 keeps the compressed bytes identical from run to run.
        response.body = gzip.compress(body, mtime=0)
        response.headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
    if request.path == special["chunked"]:
        response.chunked = True
    if request.path == special["cookies"]:
        response.headers += [
            ("Set-Cookie", "dt_session=5f1c2a9e; Path=/; HttpOnly; SameSite=Lax"),
            ("Set-Cookie", "dt_consent=necessary; Path=/; Max-Age=31536000"),
        ]
    return response


@ROUTES.add(r"/old/(?P<id>\d+)")
def old_url(state: SiteState, request: DemoRequest) -> DemoResponse:
    special = state.manifest.special
    if request.path != special["redirect_from"]:
        return not_found(state, request)
    location = state.base + special["redirect_to"]
    return DemoResponse(301, b"", None, [("Location", location)])


def _document(pattern: str, key: str, content_type: str,
              render: Callable[[DemoManifest, str], bytes]) -> None:
    def handler(state: SiteState, request: DemoRequest) -> DemoResponse:
        return _page(state, request, key, lambda: render(state.manifest, state.base), content_type)
    ROUTES.add(pattern, handler)


_document(r"/robots\.txt", "robots", "text/plain; charset=utf-8", feeds.render_robots)
_document(r"/feeds/rss\.xml", "rss", "application/rss+xml; charset=utf-8", feeds.render_rss)
_document(r"/feeds/atom\.xml", "atom", "application/atom+xml; charset=utf-8", feeds.render_atom)
_document(r"/feeds/feed\.json", "json", "application/feed+json; charset=utf-8",
          feeds.render_json_feed)
_document(r"/sitemap\.xml", "sitemap", "application/xml; charset=utf-8",
          feeds.render_sitemap_index)
_document(r"/sitemaps/news\.xml", "news", "application/xml; charset=utf-8",
          feeds.render_news_sitemap)
_document(r"/sitemaps/articles\.xml", "articles", "application/xml; charset=utf-8",
          feeds.render_articles_sitemap)


def parse_query(query: str) -> dict[str, list[str]]:
    return parse_qs(query, keep_blank_values=True)


def _png_pixel() -> bytes:
    """A valid 1x1 grey PNG, so image URLs on the site answer with a real image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


PIXEL = _png_pixel()
STYLESHEET = b"body{font-family:Georgia,serif;max-width:52rem;margin:auto}.ad-slot{min-height:90px}\n"


@ROUTES.add(r"/static/images/\d+\.png|/static/logo\.png")
def image(state: SiteState, request: DemoRequest) -> DemoResponse:
    return DemoResponse(200, PIXEL, "image/png")


@ROUTES.add(r"/static/site\.css")
def stylesheet(state: SiteState, request: DemoRequest) -> DemoResponse:
    return DemoResponse(200, STYLESHEET, "text/css; charset=utf-8")
