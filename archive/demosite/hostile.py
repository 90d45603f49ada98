"""Hostile endpoints under /hostile/: what real and malicious servers send a crawler, one path each.

Nothing on the normal demo pages links here, so the demo crawl never sees them. A crawl reaches
them through /hostile/feed.xml and /hostile/links (optionally `?theme=<name>`, one of THEMES),
which tests/test_hardening_*.py point a site config at.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from email.utils import formatdate
from urllib.parse import urlsplit

from archive.demosite import hostile_pages as pages
from archive.demosite.routes import HTML, ROUTES, DemoRequest, DemoResponse, SiteState, not_found

Story = Callable[[SiteState, DemoRequest, str], DemoResponse]   # (state, request, path) -> response

GZIP_BOMB_INFLATED = 110 * 1024 * 1024
OVERSIZED_BYTES = 3 * 1024 * 1024
LYING_LENGTH = 10_000
LYING_SENT = 100
SLOW_SECONDS = 30.0
NESTED_DEPTH = 100_000
ATTRIBUTES = 100_000
FRONT_PAGE_LINKS = 2_000
PRIVATE_LINKS = 40
RETRY_AFTER_SECONDS = 1
LONG_RETRY_AFTER_SECONDS = 250  # under NEWSARCHIVE_RETRY_AFTER_MAX: a crawl waits it out

# Articles are /hostile/a/<slug>; a site config's article pattern for all of them:
ARTICLE_PATTERN = r"/hostile/(?:private/)?a/[a-z0-9-]+"
FOLLOW_PATTERNS = [r"/hostile/calendar/\d{4}/\d{2}$", r"/hostile/archive\?page=\d+$"]

# What each theme's feed links: paths on this site, or absolute URLs ({internal} is this
# server's port on another loopback address, 127.0.0.2: the SSRF guard must refuse it).
FEED_LINKS: dict[str, list[str]] = {
    "politeness": ["/hostile/a/rate-limited", "/hostile/a/overloaded", "/hostile/a/quiet-harbour"],
    "security": [
        "file:///etc/passwd", "data:text/html,<h1>Injected headline</h1>", "ftp://127.0.0.1/x",
        "s3://bucket/key", "{internal}/hostile/a/internal-direct", "/hostile/a/to-internal",
        "/hostile/a/to-file", "/hostile/a/quiet-harbour",
    ],
    "bad_input": [
        "/hostile/a/gzip-bomb", "/hostile/a/oversized", "/hostile/a/lying-length",
        "/hostile/a/dropped", "/hostile/a/slow", "/hostile/a/flaky-then-slow", "/hostile/loop/a",
        "/hostile/a/png-as-html",
        "/hostile/a/pdf-as-html", "/hostile/a/nested-divs", "/hostile/a/many-attributes",
        "/hostile/a/cp1251-no-charset", "/hostile/a/cp1251-wrong-header",
        "/hostile/a/cp1251-wrong-meta", "/hostile/a/koi8r", "/hostile/a/utf16-bom",
        "/hostile/a/empty", "/hostile/a/soft-404", "/hostile/a/paywall", "/hostile/a/js-shell",
        "/hostile/a/front-page", "/hostile/a/quiet-harbour",
    ],
    "long_pause": ["/hostile/a/long-pause"],
    "duplicates": [
        "/hostile/a/duplicate-story?utm_source=feed&utm_medium=rss&utm_campaign=morning",
        "/hostile/a/duplicate-story?fbclid=IwAR0hostileHerald",
        "/hostile/a/duplicate-story#comments",
        "/amp/hostile/a/duplicate-story",
        "/hostile/a/syndicated-one", "/hostile/a/syndicated-two", "/hostile/a/quiet-harbour",
    ],
}
PAGE_LINKS: dict[str, list[str]] = {
    "politeness": [f"/hostile/private/a/draft-{n:02d}" for n in range(1, PRIVATE_LINKS + 1)],
    "security": [],
    "bad_input": ["/hostile/calendar/2026/03", "/hostile/archive?page=1"],
    "long_pause": [],
    "duplicates": [],
}
THEMES = tuple(FEED_LINKS)
# Feeds that attack the XML parser itself (a site config lists them as feeds of their own).
XML_FEEDS = ["/hostile/xml/external-entity.xml", "/hostile/xml/entity-bomb.xml"]


def internal_origin(base: str) -> str:
    """This server's port on 127.0.0.2: loopback, but not the address a site config allows."""
    return f"http://127.0.0.2:{urlsplit(base).port}"


def absolute(link: str, base: str) -> str:
    link = link.replace("{internal}", internal_origin(base))
    return base + link if link.startswith("/") else link


def _themes(request: DemoRequest) -> list[str] | None:
    wanted = request.query.get("theme")
    if not wanted:
        return list(THEMES)
    return wanted if all(t in THEMES for t in wanted) else None


@ROUTES.add(r"/hostile/feed\.xml")
def feed(state: SiteState, request: DemoRequest) -> DemoResponse:
    themes = _themes(request)
    if themes is None:
        return not_found(state, request)
    links = [absolute(link, state.base) for t in themes for link in FEED_LINKS[t]]
    return DemoResponse(200, pages.rss(f"{pages.SITE}: {', '.join(themes)}", links),
                        "application/rss+xml; charset=utf-8")


@ROUTES.add(r"/hostile/links")
def links(state: SiteState, request: DemoRequest) -> DemoResponse:
    themes = _themes(request)
    if themes is None:
        return not_found(state, request)
    hrefs = [link for t in themes for link in PAGE_LINKS[t]]
    return DemoResponse(200, pages.links_page("Links a careful crawler must survive", hrefs))


@ROUTES.add(r"/hostile/xml/external-entity\.xml")
def external_entity(state: SiteState, request: DemoRequest) -> DemoResponse:
    return DemoResponse(200, pages.external_entity_feed(state.base), "application/rss+xml")


@ROUTES.add(r"/hostile/xml/entity-bomb\.xml")
def entity_bomb(state: SiteState, request: DemoRequest) -> DemoResponse:
    return DemoResponse(200, pages.entity_bomb_feed(), "application/rss+xml")


# -- articles: /hostile/a/<slug> ------------------------------------------------------------

_STORIES: dict[str, Story] = {}


def story(slug: str) -> Callable[[Story], Story]:
    def register(handler: Story) -> Story:
        _STORIES[slug] = handler
        return handler
    return register


def _serve(state: SiteState, request: DemoRequest) -> DemoResponse:
    handler = _STORIES.get(request.match["slug"])
    if handler is None:
        return not_found(state, request)
    return handler(state, request, f"/hostile/a/{request.match['slug']}")


ROUTES.add(r"/hostile/a/(?P<slug>[a-z0-9-]+)", _serve)
# The AMP copy of any story: the same page under /amp/, as many news sites publish them.
ROUTES.add(r"/amp/hostile/a/(?P<slug>[a-z0-9-]+)", _serve)


def _cached(state: SiteState, key: str, render: Callable[[], bytes]) -> bytes:
    body = state.cached(f"hostile:{key}", render)
    assert body is not None
    return body


def _english(state: SiteState, path: str, title: str, lead: str, canonical: str | None = None,
             ) -> bytes:
    return _cached(state, path, lambda: pages.article(
        title=title, paragraphs=[lead, *pages.ENGLISH_BODY], base=state.base, path=path,
        canonical=canonical).encode())


def _control(state: SiteState, path: str) -> bytes:
    return _english(state, path, pages.CONTROL_TITLE, pages.CONTROL_LEAD)


@story("quiet-harbour")
def quiet_harbour(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    return DemoResponse(200, _control(state, path))


# Politeness: 429 and 503, each once, with Retry-After in both of its forms (RFC 9110 10.2.3).

@story("rate-limited")
def rate_limited(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    if state.count(path) == 1:
        return DemoResponse(429, pages.links_page("Too many requests", []), HTML,
                            [("Retry-After", str(RETRY_AFTER_SECONDS))])
    return DemoResponse(200, _control(state, path))


@story("long-pause")
def long_pause(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    # Always 429, asking for minutes: a crawl stopped meanwhile must not wait them out.
    return DemoResponse(429, pages.links_page("Too many requests", []), HTML,
                        [("Retry-After", str(LONG_RETRY_AFTER_SECONDS))])


@story("overloaded")
def overloaded(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    if state.count(path) == 1:
        # An HTTP-date has whole seconds: the next full second plus one is 1-2 s ahead.
        when = formatdate(math.floor(time.time()) + 2, usegmt=True)
        return DemoResponse(503, pages.links_page("Down for maintenance", []), HTML,
                            [("Retry-After", when)])
    return DemoResponse(200, _control(state, path))


@ROUTES.add(r"/hostile/private/a/draft-\d{2}")
def private_draft(state: SiteState, request: DemoRequest) -> DemoResponse:
    # Behind `Disallow: /hostile/private/` in robots.txt: a polite crawl never gets here.
    return DemoResponse(200, _english(state, "/hostile/private", "Draft: not for publication",
                                      "This draft sits behind robots.txt and must never be fetched."))


# Security: redirects towards another loopback address and towards file://.

@story("internal-direct")
@story("internal-secret")
def internal(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    return DemoResponse(200, _english(state, path, "Internal only", "Nobody outside should read this."))


@story("to-internal")
def to_internal(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    location = internal_origin(state.base) + "/hostile/a/internal-secret"
    return DemoResponse(302, b"", None, [("Location", location)])


@story("to-file")
def to_file(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    # A target no feed or page links: only the redirect leads there.
    return DemoResponse(302, b"", None, [("Location", "file:///etc/hostname")])


# Bad input on the wire.

@story("gzip-bomb")
def gzip_bomb(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    # Sent whatever the client accepts: a hostile server does not ask.
    return DemoResponse(200, pages.gzip_bomb(GZIP_BOMB_INFLATED), HTML,
                        [("Content-Encoding", "gzip")])


@story("oversized")
def oversized(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    return DemoResponse(200, _cached(state, path,
                                     lambda: pages.oversized(OVERSIZED_BYTES, state.base, path)))


@story("lying-length")
def lying_length(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    return DemoResponse(200, _control(state, path)[:LYING_SENT], content_length=LYING_LENGTH)


@story("dropped")
def dropped(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    body = _control(state, path)
    return DemoResponse(200, body, chunked=True, cut_at=len(body) // 2)


@story("slow")
def slow(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    return DemoResponse(200, _control(state, path), wait=SLOW_SECONDS)


@story("flaky-then-slow")
def flaky_then_slow(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    # A 500, then retries that time out: the timeouts archive nothing of their own.
    if state.count(path) == 1:
        return DemoResponse(500, pages.links_page("Server error", []), HTML)
    return DemoResponse(200, _control(state, path), wait=SLOW_SECONDS)


@ROUTES.add(r"/hostile/loop/(?P<step>[ab])")
def loop(state: SiteState, request: DemoRequest) -> DemoResponse:
    other = "b" if request.match["step"] == "a" else "a"
    return DemoResponse(302, b"", None, [("Location", f"{state.base}/hostile/loop/{other}")])


# Bad input in the body: bytes that are not HTML, HTML that is not an article.

_BODIES: dict[str, tuple[str, Callable[[str, str], bytes]]] = {
    # slug: (Content-Type, render(base, path))
    "png-as-html": ("text/html", lambda b, p: pages.png()),
    "pdf-as-html": ("text/html", lambda b, p: pages.pdf()),
    "nested-divs": (HTML, lambda b, p: pages.nested_divs(NESTED_DEPTH)),
    "many-attributes": (HTML, lambda b, p: pages.many_attributes(ATTRIBUTES, b, p)),
    "empty": (HTML, lambda b, p: b""),
    "soft-404": (HTML, lambda b, p: pages.soft_404()),
    "paywall": (HTML, pages.paywall_stub),
    "js-shell": (HTML, lambda b, p: pages.js_shell()),
    "front-page": (HTML, lambda b, p: pages.front_page(FRONT_PAGE_LINKS)),
    # Encodings: cp1251 with no charset anywhere, with a header that says utf-8, with a meta
    # tag that says windows-1252; KOI8-R declared; UTF-16 with only its byte order mark.
    "cp1251-no-charset": (
        "text/html", lambda b, p: pages.russian_article("cp1251-no-charset", b, p).encode("cp1251")),
    "cp1251-wrong-header": (
        HTML, lambda b, p: pages.russian_article("cp1251-wrong-header", b, p).encode("cp1251")),
    "cp1251-wrong-meta": ("text/html", lambda b, p: pages.russian_article(
        "cp1251-wrong-meta", b, p, head='<meta charset="windows-1252">\n').encode("cp1251")),
    "koi8r": ("text/html; charset=koi8-r", lambda b, p: pages.russian_article(
        "koi8r", b, p,
        head='<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">\n',
    ).encode("koi8-r")),
    "utf16-bom": ("text/html", lambda b, p: b"\xff\xfe" + pages.article(
        title=pages.UNICODE_TITLE, paragraphs=[pages.UNICODE_LEAD, *pages.ENGLISH_BODY],
        base=b, path=p).encode("utf-16-le")),
}


def _body_story(slug: str, content_type: str, render: Callable[[str, str], bytes]) -> None:
    def handler(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
        return DemoResponse(200, _cached(state, path, lambda: render(state.base, path)),
                            content_type)
    story(slug)(handler)


for _slug, (_type, _render) in _BODIES.items():
    _body_story(_slug, _type, _render)


# Traps: pages that link onwards forever.

@ROUTES.add(r"/hostile/calendar/(?P<year>\d{4})/(?P<month>\d{2})")
def calendar(state: SiteState, request: DemoRequest) -> DemoResponse:
    year, month = int(request.match["year"]), int(request.match["month"])
    if not 1 <= month <= 12:
        return not_found(state, request)
    return DemoResponse(200, pages.calendar(year, month))


@ROUTES.add(r"/hostile/archive")
def archive(state: SiteState, request: DemoRequest) -> DemoResponse:
    raw = request.query.get("page", ["1"])[0]
    if not raw.isdigit() or int(raw) < 1:
        return not_found(state, request)
    return DemoResponse(200, pages.archive_page(int(raw)))


# Duplicates: one story under many URLs, and two URLs that name one canonical.

@story("duplicate-story")
def duplicate_story(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    return DemoResponse(200, _english(state, path, pages.DUPLICATE_TITLE, pages.DUPLICATE_LEAD))


@story("syndicated-one")
@story("syndicated-two")
@story("original-story")
def syndicated(state: SiteState, request: DemoRequest, path: str) -> DemoResponse:
    canonical = state.base + "/hostile/a/original-story"
    return DemoResponse(200, _english(state, path, pages.SYNDICATED_TITLE, pages.SYNDICATED_LEAD,
                                      canonical=canonical))
