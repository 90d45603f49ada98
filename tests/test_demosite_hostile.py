"""The demo site's /hostile/ endpoints misbehave exactly as named, and only when asked for."""

from __future__ import annotations

import socket
import threading
import time
import zlib
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pytest

from archive.demosite import DemoSite
from archive.demosite import hostile_pages as pages
from archive.demosite.hostile import (
    FEED_LINKS,
    GZIP_BOMB_INFLATED,
    LYING_LENGTH,
    LYING_SENT,
    PAGE_LINKS,
    THEMES,
    XML_FEEDS,
)
from tests.test_demosite import fetch


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with DemoSite(n_articles=16) as running:
        yield running


def raw(site: DemoSite, path: str, timeout: float = 5) -> tuple[bytes, bytes, bool]:
    """(head, body, closed): everything the server sent until it closed or went quiet."""
    address = urlsplit(site.url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode("ascii"))
        data, closed = b"", False
        try:
            while chunk := sock.recv(65536):
                data += chunk
            closed = True
        except TimeoutError:
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body, closed


def test_normal_pages_never_link_the_hostile_ones(site: DemoSite) -> None:
    paths = [*site.manifest.non_article_paths, *(a.path for a in site.manifest.articles),
             *site.manifest.feeds.values(), "/sitemap.xml", "/sitemaps/news.xml",
             "/sitemaps/articles.xml"]
    for path in paths:
        assert b"/hostile" not in fetch(site, path)[2], path
    assert b"Disallow: /hostile/private/" in fetch(site, "/robots.txt")[2]


def test_feeds_and_link_pages_per_theme(site: DemoSite) -> None:
    for theme in THEMES:
        status, _, body = fetch(site, f"/hostile/feed.xml?theme={theme}")
        assert status == 200 and body.count(b"<item>") == len(FEED_LINKS[theme])
        status, _, body = fetch(site, f"/hostile/links?theme={theme}")
        assert status == 200 and body.count(b"<a href=") == len(PAGE_LINKS[theme])
    assert fetch(site, "/hostile/feed.xml")[2].count(b"<item>") == sum(map(len, FEED_LINKS.values()))
    assert fetch(site, "/hostile/feed.xml?theme=nope")[0] == 404


def test_xml_feeds_attack_the_parser(site: DemoSite) -> None:
    leaky, bomb = (fetch(site, path)[2] for path in XML_FEEDS)
    assert b'<!ENTITY secret SYSTEM "file:///etc/passwd">' in leaky and b"&secret;" in leaky
    assert bomb.count(b"<!ENTITY") == 10 and len(bomb) < 2000


def test_gzip_bomb_is_small_and_inflates_past_100_mb(site: DemoSite) -> None:
    status, headers, body = fetch(site, "/hostile/a/gzip-bomb")
    assert ("Content-Encoding", "gzip") in headers and len(body) < 200_000
    inflater, pending, inflated = zlib.decompressobj(31), body, 0
    while pending:   # a megabyte at a time: the test must not hold 110 MB itself
        chunk = inflater.decompress(pending, 1 << 20)
        assert chunk == bytes(len(chunk))
        inflated, pending = inflated + len(chunk), inflater.unconsumed_tail
    assert inflater.eof and inflated == GZIP_BOMB_INFLATED > 100 * 1024 * 1024


def test_lying_content_length_then_close(site: DemoSite) -> None:
    head, body, closed = raw(site, "/hostile/a/lying-length")
    assert f"Content-Length: {LYING_LENGTH}".encode() in head
    assert len(body) == LYING_SENT and closed


def test_dropped_connection_mid_chunk(site: DemoSite) -> None:
    head, body, closed = raw(site, "/hostile/a/dropped")
    assert b"Transfer-Encoding: chunked" in head and b"Connection: keep-alive" in head
    assert closed and not body.endswith(b"0\r\n\r\n") and b"</html>" not in body


def test_slow_endpoint_does_not_hold_up_shutdown() -> None:
    with DemoSite(n_articles=16) as slow_site:
        before = set(threading.enumerate())
        head, _, closed = raw(slow_site, "/hostile/a/slow", timeout=0.5)
        assert head == b"" and not closed
        stalled = set(threading.enumerate()) - before  # the handler, still holding the answer
        serving = slow_site._thread
    assert stalled and serving is not None
    # stop() woke the stalled handler and ended the server's thread; neither is left waiting.
    assert not serving.is_alive()
    for thread in stalled:
        thread.join(timeout=30)  # a hang guard, not a measure: it wakes at once
        assert not thread.is_alive(), thread


def test_redirect_loop(site: DemoSite) -> None:
    for step, other in (("a", "b"), ("b", "a")):
        status, headers, _ = fetch(site, f"/hostile/loop/{step}")
        assert status == 302 and dict(headers)["Location"] == f"{site.url}/hostile/loop/{other}"


def test_ssrf_redirect_points_at_another_loopback_address(site: DemoSite) -> None:
    status, headers, _ = fetch(site, "/hostile/a/to-internal")
    location = urlsplit(dict(headers)["Location"])
    assert status == 302 and location.hostname == "127.0.0.2"
    assert location.port == urlsplit(site.url).port


def test_retry_after_once_then_ok() -> None:
    with DemoSite(n_articles=16) as fresh:
        status, headers, _ = fetch(fresh, "/hostile/a/rate-limited")
        assert status == 429 and dict(headers)["Retry-After"] == "1"
        assert fetch(fresh, "/hostile/a/rate-limited")[0] == 200
        status, headers, _ = fetch(fresh, "/hostile/a/overloaded")
        ahead = parsedate_to_datetime(dict(headers)["Retry-After"]).timestamp() - time.time()
        assert status == 503 and 0.9 < ahead <= 2.1
        assert fetch(fresh, "/hostile/a/overloaded")[0] == 200
        first, second = fresh.request_times("/hostile/a/overloaded")
        assert first <= second


def test_bodies_served_as_html(site: DemoSite) -> None:
    for slug, magic in (("png-as-html", b"\x89PNG"), ("pdf-as-html", b"%PDF-")):
        status, headers, body = fetch(site, f"/hostile/a/{slug}")
        assert dict(headers)["Content-Type"] == "text/html" and body.startswith(magic)
    assert fetch(site, "/hostile/a/empty")[2] == b""
    assert fetch(site, "/hostile/a/nested-divs")[2].count(b"<div>") == 100_000


def test_encodings_on_the_wire(site: DemoSite) -> None:
    _, headers, body = fetch(site, "/hostile/a/cp1251-no-charset")
    assert dict(headers)["Content-Type"] == "text/html" and b"charset=" not in body
    assert pages.RUSSIAN_STORIES["cp1251-no-charset"][1] in body.decode("cp1251")
    _, headers, body = fetch(site, "/hostile/a/cp1251-wrong-header")
    assert "utf-8" in dict(headers)["Content-Type"]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert b'charset="windows-1252"' in fetch(site, "/hostile/a/cp1251-wrong-meta")[2]
    assert pages.RUSSIAN_STORIES["koi8r"][1] in fetch(site, "/hostile/a/koi8r")[2].decode("koi8-r")
    body = fetch(site, "/hostile/a/utf16-bom")[2]
    assert body.startswith(b"\xff\xfe") and pages.UNICODE_LEAD in body.decode("utf-16")


def test_duplicates_share_one_page(site: DemoSite) -> None:
    plain = fetch(site, "/hostile/a/duplicate-story")[2]
    assert fetch(site, "/amp/hostile/a/duplicate-story")[2] == plain
    assert fetch(site, "/hostile/a/duplicate-story?fbclid=x")[2] == plain
    one, two = (fetch(site, f"/hostile/a/syndicated-{n}")[2] for n in ("one", "two"))
    canonical = f'<link rel="canonical" href="{site.url}/hostile/a/original-story">'.encode()
    assert canonical in one and canonical in two
