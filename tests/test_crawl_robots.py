"""robots.txt that redirects to another origin (http -> https, apex -> www) still governs the
origin it was asked for, and releases what waited for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.conftest import Crawl, scrapy_crawl
from tests.http_support import QuietHandler

ARTICLE = b"""<html><head><title>A story</title></head><body><article><h1>A story</h1>
<p>The harbour council voted on Tuesday to extend the ferry service for another year.</p>
<p>Residents had campaigned for the extension since the spring, citing the long detour.</p>
<p>The council said the cost would be covered by the regional transport budget.</p>
</article></body></html>"""


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        port = self.server.server_address[1]
        rules_at = self.server.rules_at  # type: ignore[attr-defined]
        robots_status = getattr(self.server, "robots_status", 200)
        robots_body = getattr(self.server, "robots_body", None)
        if self.path != "/robots.txt":
            self.server.requested.append(self.path)  # type: ignore[attr-defined]
            self.server.times.append(time.monotonic())  # type: ignore[attr-defined]
        else:
            self.server.robots_asked += 1  # type: ignore[attr-defined]
        if self.path == "/robots.txt" and robots_body:
            self.send(robots_status, robots_body,
                      [("Content-Type", "text/plain"), *getattr(self.server, "robots_headers", [])])
        elif self.path == "/robots.txt" and robots_status != 200:
            self.send(robots_status, b"Too many requests", [("Content-Type", "text/plain")])
        elif self.path == "/robots.txt" and rules_at:
            # Another origin (another port): like http -> https or example.com -> www.
            self.send(301, b"", [("Location", f"{rules_at}/robots.txt")])
        elif self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nDisallow: /private/\n", [("Content-Type", "text/plain")])
        elif self.path == "/rss":
            items = "".join(f"<item><title>{p}</title><link>http://127.0.0.1:{port}{p}</link></item>"
                            for p in ("/news/story", "/private/secret"))
            self.send(200, f"<rss version='2.0'><channel>{items}</channel></rss>".encode(),
                       [("Content-Type", "application/rss+xml")])
        elif self.path in ("/news/story", "/private/secret"):
            self.server.hits.append(self.path)  # type: ignore[attr-defined]
            self.send(200, ARTICLE, [("Content-Type", "text/html; charset=utf-8")])
        else:
            self.send(404, b"not found", [])


class _Dropping(QuietHandler):
    def do_GET(self) -> None:
        self.close_connection = True  # no status line: a connection closed without an answer


def _serve(rules_at: str) -> ThreadingHTTPServer:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.hits = []  # type: ignore[attr-defined]
    httpd.requested = []  # type: ignore[attr-defined]
    httpd.times = []  # type: ignore[attr-defined]
    httpd.rules_at = rules_at  # type: ignore[attr-defined]
    httpd.robots_asked = 0  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    rules = _serve("")
    site = _serve(f"http://127.0.0.1:{rules.server_address[1]}")
    yield site
    for httpd in (site, rules):
        httpd.shutdown()
        httpd.server_close()


def _site(server: ThreadingHTTPServer, tmp_path: Path) -> Path:
    port = server.server_address[1]
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "moved.toml").write_text(
        f"base_url = 'http://127.0.0.1:{port}'\nallowed_domains = ['127.0.0.1']\n"
        "allow_private_networks = ['127.0.0.1/32']\nfeeds = ['/rss']\n"
        "article_patterns = ['/(news|private)/']\n")
    return sites


def _crawl(server: ThreadingHTTPServer, tmp_path: Path, settings: dict[str, str] | None = None) -> Crawl:
    """One crawl of the site, then its server stopped (what it was asked is kept on it)."""
    try:
        return scrapy_crawl("moved", tmp_path / "data", sites=_site(server, tmp_path), settings=settings)
    finally:
        server.shutdown()
        server.server_close()


def test_redirected_robots_txt_releases_its_origin(server: ThreadingHTTPServer, tmp_path: Path) -> None:
    crawl = scrapy_crawl("moved", tmp_path / "data", sites=_site(server, tmp_path))
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert server.hits == ["/news/story"]  # fetched; /private/ kept out by the redirected rules
    assert crawl.stats()["newsarchive/robots_disallowed"] == 1
    assert crawl.stats()["newsarchive/outcome"] == "ok"  # rules read and kept: a good run


def test_robots_txt_answered_429_keeps_the_crawl_off_its_origin(tmp_path: Path) -> None:
    # 429 says "too many requests", not "no robots.txt": the site is asking us to go away,
    # and was crawled whole, its Disallow lines unread (as Google does, like a 5xx).
    server = _serve("")
    server.robots_status = 429  # type: ignore[attr-defined]
    # Its retries back off from this (5 s by default).
    crawl = _crawl(server, tmp_path, {"NEWSARCHIVE_BACKOFF_BASE": "0.1"})
    assert crawl.returncode == 1, crawl.log[-3000:]  # the site was not crawled
    assert server.requested == []  # type: ignore[attr-defined]
    assert "robots.txt at http://127.0.0.1" in crawl.log and "answered 429" in crawl.log
    assert crawl.stats()["newsarchive/robots_disallowed"] == 1  # the feed
    assert crawl.stats()["newsarchive/outcome"] == "robots_unreachable"


@pytest.mark.parametrize("robots_status", [503, None])
def test_a_run_kept_off_its_site_by_robots_txt_is_not_ok(tmp_path: Path,
                                                         robots_status: int | None) -> None:
    # RFC 9309: robots.txt answering 5xx closes its origin, and nothing else was fetched; the
    # run ended `ok` all the same, a robots_disallowed stat its only trace.
    server = _serve("")
    if robots_status is None:  # the connection drops on every request
        server.RequestHandlerClass = _Dropping
    server.robots_status = robots_status  # type: ignore[attr-defined]
    port = server.server_address[1]
    crawl = _crawl(server, tmp_path, {"NEWSARCHIVE_BACKOFF_BASE": "0.1"})
    assert crawl.returncode == 1, crawl.log[-3000:]
    assert server.requested == []  # type: ignore[attr-defined]
    origin = f"http://127.0.0.1:{port}"
    said = "nothing fetched from" if robots_status else "robots.txt unreachable at"
    assert any(said in line and origin in line and ("ERROR" in line or not robots_status)
               for line in crawl.log.splitlines()), crawl.log[-3000:]
    runs = CliRunner().invoke(main, ["runs", "--data", str(tmp_path / "data")])
    assert runs.exit_code == 0, runs.output
    # No answer at all: the site is down, and the run `failed` as one that got no response.
    outcome = "robots_unreachable" if robots_status else "failed"
    assert runs.output.splitlines()[-1].split()[-1] == outcome, runs.output


def test_robots_txt_redirecting_in_a_loop_keeps_the_crawl_off_its_origin(tmp_path: Path) -> None:
    # robots.txt redirecting to itself was asked for 21 times (Scrapy's REDIRECT_MAX_TIMES;
    # RFC 9309 asks for five), then the run was `failed`, logged as "got no response at all:
    # is the site (or the network) down?": redirects are no response to Scrapy's count.
    server = _serve("")
    port = server.server_address[1]
    server.rules_at = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    crawl = _crawl(server, tmp_path)
    assert crawl.returncode == 1, crawl.log[-3000:]
    assert server.robots_asked == 6  # type: ignore[attr-defined]  # the first and five redirects
    assert server.requested == []  # type: ignore[attr-defined]
    assert crawl.stats()["newsarchive/outcome"] == "robots_unreachable"
    assert (f"robots.txt at http://127.0.0.1:{port}/robots.txt redirected more than 5 times: "
            "not crawling that origin") in crawl.log
    assert "no response at all" not in crawl.log


def test_robots_txt_answered_206_keeps_the_crawl_off_its_origin(tmp_path: Path) -> None:
    # A 206 is part of the file (we never ask for a range, yet a server or cache may send one):
    # its rules were read as the whole of them, and what the rest disallowed was crawled.
    # As a robots.txt cut short by a lost connection: that origin is not crawled.
    server = _serve("")
    server.robots_status = 206  # type: ignore[attr-defined]
    server.robots_body = b"User-agent: *\nAllow: /news/\n"  # type: ignore[attr-defined]
    server.robots_headers = [("Content-Range", "bytes 0-27/60")]  # type: ignore[attr-defined]
    crawl = _crawl(server, tmp_path)
    # The site was not crawled: the run says so (its exit status too).
    assert crawl.returncode == 1, crawl.log[-3000:]
    assert crawl.stats()["newsarchive/outcome"] == "robots_unreachable"
    assert server.requested == []  # type: ignore[attr-defined]
    assert "robots.txt at http://127.0.0.1" in crawl.log and "HTTP 206" in crawl.log
    assert crawl.stats()["newsarchive/robots_disallowed"] == 1  # the feed


def test_crawl_delay_of_our_group_spaces_the_requests_to_its_origin(tmp_path: Path) -> None:
    # Crawl-delay is not in RFC 9309 but site operators set it and expect it kept; it was
    # not read at all, and AutoThrottle (on by default) lowers a slot's delay to
    # DOWNLOAD_DELAY (0 here) after every quick response.
    server = _serve("")
    server.robots_body = (b"User-agent: *\nDisallow: /\n\n"  # type: ignore[attr-defined]
                          b"User-agent: newsarchive\nCrawl-delay: 1\nDisallow: /private/\n")
    crawl = _crawl(server, tmp_path, {"AUTOTHROTTLE_ENABLED": "True"})
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert server.requested == ["/rss", "/news/story"]  # type: ignore[attr-defined]
    first, second = server.times  # type: ignore[attr-defined]
    assert second - first >= 0.95
    assert "Crawl-delay of 1 s" in crawl.log


def test_a_request_rate_past_any_float_is_the_longest_crawl_delay(tmp_path: Path) -> None:
    # Protego keeps Request-rate's numbers as Python ints of any size: "1/9999…s" (400 digits)
    # made seconds / requests raise OverflowError in the robots.txt callback and at every
    # request of the origin after it, and nothing of the site was crawled.
    server = _serve("")
    server.robots_body = (b"User-agent: *\nRequest-rate: 1/"  # type: ignore[attr-defined]
                          + b"9" * 400 + b"s\nDisallow: /private/\n")
    crawl = _crawl(server, tmp_path, {"NEWSARCHIVE_CRAWL_DELAY_MAX": "1"})
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert server.requested == ["/rss", "/news/story"]  # type: ignore[attr-defined]
    first, second = server.times  # type: ignore[attr-defined]
    assert second - first >= 0.95  # NEWSARCHIVE_CRAWL_DELAY_MAX, the longest kept
    assert "Crawl-delay of inf s: waiting NEWSARCHIVE_CRAWL_DELAY_MAX (1 s)" in crawl.log
    assert "Traceback" not in crawl.log



class _ChangingRules(QuietHandler):
    """A chain of slow section pages, each linking one story and the next page. Its robots.txt
    disallows /news/three from its second reading on (or answers `server.reread_status`)."""

    def do_GET(self) -> None:
        readings: list[float] = self.server.robots_read  # type: ignore[attr-defined]
        if self.path == "/robots.txt":
            readings.append(time.monotonic())
            status = 200 if len(readings) == 1 else self.server.reread_status  # type: ignore[attr-defined]
            rules = b"Allow: /\n" if len(readings) == 1 else b"Disallow: /news/three\n"
            self.send(status, b"User-agent: *\n" + rules, [("Content-Type", "text/plain")])
            return
        self.server.requested.append(self.path)  # type: ignore[attr-defined]
        pages = {"/section/1": ("/news/one", "/section/2"), "/section/2": ("/news/two", "/section/3"),
                 "/section/3": ("/news/three",)}
        if self.path in pages:
            time.sleep(0.7)  # the run outlives NEWSARCHIVE_ROBOTS_MAX_AGE (1 s)
            links = "".join(f"<a href='{link}'>{link}</a>" for link in pages[self.path])
            self.send(200, f"<html><body>{links}</body></html>".encode(),
                      [("Content-Type", "text/html")])
        else:
            self.send(200, ARTICLE, [("Content-Type", "text/html; charset=utf-8")])


def _crawl_changing_rules(tmp_path: Path, reread_status: int) -> tuple[Crawl, list[float], list[str]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ChangingRules)
    httpd.robots_read, httpd.requested = [], []  # type: ignore[attr-defined]
    httpd.reread_status = reread_status  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "changing.toml").write_text(
        f"base_url = 'http://127.0.0.1:{httpd.server_address[1]}'\nallowed_domains = ['127.0.0.1']\n"
        "allow_private_networks = ['127.0.0.1/32']\nstart_urls = ['/section/1']\n"
        "follow_patterns = ['/section/']\narticle_patterns = ['/news/']\n")
    try:
        crawl = scrapy_crawl("changing", tmp_path / "data", sites=sites, settings={
            "NEWSARCHIVE_ROBOTS_MAX_AGE": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
            "NEWSARCHIVE_BACKOFF_BASE": "0.1"})
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert crawl.returncode == 0, crawl.log[-3000:]
    return crawl, httpd.robots_read, httpd.requested  # type: ignore[attr-defined]


def test_robots_txt_is_read_again_once_older_than_its_max_age(tmp_path: Path) -> None:
    # RFC 9309 2.4: a cached robots.txt should not be used for more than 24 hours. It was
    # read once per run: a run of days kept the rules of its first hour, and fetched what the
    # site had disallowed since.
    crawl, robots_read, requested = _crawl_changing_rules(tmp_path, 200)
    assert len(robots_read) >= 2
    assert "/news/three" not in requested
    assert {"/news/one", "/news/two", "/section/3"} <= set(requested)
    assert "robots.txt disallows http://127.0.0.1" in crawl.log


def test_robots_txt_that_cannot_be_read_again_keeps_its_rules(tmp_path: Path) -> None:
    # RFC 9309 2.4: the cached rules may be used longer while robots.txt is unreachable. (A
    # 503 to a second reading is no reason to close the origin for the rest of the run.)
    crawl, robots_read, requested = _crawl_changing_rules(tmp_path, 503)
    assert len(robots_read) >= 2
    assert {"/news/one", "/news/two", "/news/three"} <= set(requested)
    assert "keeping the rules read" in crawl.log
    assert crawl.stats()["newsarchive/outcome"] == "ok"


def test_the_robots_txt_of_an_origin_found_while_crawling_is_read_without_a_warning(
    tmp_path: Path
) -> None:
    # Its request carries redirect_ttl (five redirects, RFC 9309) on purpose: Scrapy's
    # MetaCopyDetectionMiddleware warned that it was "likely copied from response.meta".
    from tests.test_crawl_frontier import article, crawl, serving, site

    with serving() as httpd:
        port = httpd.server_address[1]
        httpd.routes = {"/rss": (200, f"<rss version='2.0'><channel><item><title>s</title><link>"
                                      f"http://localhost:{port}/news/story</link></item></channel>"
                                      "</rss>".encode(), []),
                        "/news/story": (200, article("Story"), [])}
        site(tmp_path, httpd, feeds="['/rss']", allowed_domains="['127.0.0.1', 'localhost']",
             allow_private_networks="['127.0.0.1/32', '::1/128']")
        result = crawl(tmp_path)
    assert httpd.hits.count("/robots.txt") == 2  # one per origin
    assert result.stats()["newsarchive/outcome"] == "ok"
    assert "internal meta keys" not in result.log, result.log[-2000:]



def test_robots_txt_redirecting_to_a_url_with_credentials_is_read_without_them(
    tmp_path: Path
) -> None:
    # Scrapy follows robots.txt's redirects, and kept a Location's "user:secret@": its client
    # took them for part of the host name, the origin was closed as unreachable, the run
    # `failed` ("is the site down?"), the URL with its credentials in the log and the index.
    from tests.hardening_support import query
    from tests.test_crawl_frontier import _Handler, article, crawl, serving, site

    class Routed(_Handler):
        def do_GET(self) -> None:
            self.server.hits.append(self.path)
            status, body, headers = self.server.routes.get(self.path, (404, b"not found", []))
            self.send(status, body, headers)

    with serving(Routed) as httpd:
        port = httpd.server_address[1]
        httpd.routes = {
            "/robots.txt": (301, b"", [("Location", f"http://user:secret@127.0.0.1:{port}/rules.txt")]),
            "/rules.txt": (200, b"User-agent: *\nDisallow: /news/private\n", []),
            "/rss": (200, f"<rss version='2.0'><channel><item><title>s</title><link>"
                          f"http://127.0.0.1:{port}/news/story</link></item></channel>"
                          "</rss>".encode(), [("Content-Type", "application/rss+xml")]),
            "/news/story": (200, article("Story"), [("Content-Type", "text/html")])}
        site(tmp_path, httpd, feeds="['/rss']")
        result = crawl(tmp_path)
    assert httpd.hits == ["/robots.txt", "/rules.txt", "/rss", "/news/story"]
    assert result.stats()["newsarchive/outcome"] == "ok"
    assert "secret" not in result.log
    base = f"http://127.0.0.1:{port}"
    assert query(result, "select url, outcome from captures order by 1") == [
        (f"{base}/news/story", "article"), (f"{base}/robots.txt", "redirect"),
        (f"{base}/rss", "feed"), (f"{base}/rules.txt", "robots")]
