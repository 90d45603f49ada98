"""Article URLs that answer with something other than a whole article page: what is archived,
what the index and researchers see, and that such an answer never replaces a good version."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from datetime import datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.conftest import Crawl, scrapy_crawl
from tests.http_support import QuietHandler
from tests.test_crawl_frontier import _Server, article, crawl, feed, listing, server, site

__all__ = ["server"]  # the fixture, used by name


def query(result: Crawl, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(result.index)) as db:
        return db.execute(sql).fetchall()


def test_a_206_partial_answer_never_replaces_the_whole_article(
    server: _Server, tmp_path: Path
) -> None:
    # We never ask for a range, yet a server or cache may answer 206 with part of the page:
    # it was extracted as if whole, and its stub became the article's latest version.
    port = server.server_address[1]
    whole = article("Harbour plan")
    part = whole[: len(whole) * 2 // 3]
    server.routes = {"/feed.xml": (200, feed(port, "/news/story"), []),
                     "/news/story": (200, whole, [])}
    site(tmp_path, server, feeds="['/feed.xml']", revisit_after="'1s'")
    first = crawl(tmp_path)
    [(words,)] = query(first, "select word_count from articles")
    time.sleep(1.2)  # past revisit_after
    server.routes["/news/story"] = (206, part, [("Content-Range", f"bytes 0-{len(part) - 1}/{len(whole)}")])
    result = crawl(tmp_path)
    assert query(result, "select word_count, versions from articles") == [(words, 1)]
    assert query(result, "select status, outcome, reason from captures where url like '%story' "
                         "order by fetched_at")[1:] == [
        (206, "truncated", f"HTTP 206: only part of the page was sent "
                           f"(Content-Range bytes 0-{len(part) - 1}/{len(whole)})")]
    assert "/news/story: HTTP 206: only part of the page" in result.log


def test_an_article_redirected_off_site_to_a_consent_wall_is_logged(
    server: _Server, tmp_path: Path
) -> None:
    # European sites send a reader without a cookie to a consent page on another host: the
    # article was never archived, and neither the log nor the stats said why.
    port = server.server_address[1]
    wall = f"http://localhost:{port}/consent?continue=/news/story"
    server.routes = {"/feed.xml": (200, feed(port, "/news/story"), []),
                     "/news/story": (302, b"", [("Location", wall)])}
    site(tmp_path, server, feeds="['/feed.xml']")
    result = crawl(tmp_path)
    reason = f"redirects off-site to {wall}: not followed"
    assert query(result, "select status, outcome, reason from captures where url like '%story'") == [
        (302, "redirect", reason)]
    assert f"http://127.0.0.1:{port}/news/story {reason}" in result.log
    assert result.stats()["newsarchive/offsite_redirects"] == 1


class _CookieCheck(QuietHandler):
    """A story sent only to a reader with the site's cookie; one without it is sent to a page
    that sets it and back (`/news/self` sets it and redirects to itself)."""

    server: _Server

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        self.server.hits.append(self.path)
        if self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nAllow: /\n", [("Content-Type", "text/plain")])
        elif self.path == "/feed.xml":
            self.send(200, feed(port, "/news/story", "/news/self", "/news/loop"),
                      [("Content-Type", "application/rss+xml")])
        elif self.path.startswith("/cookie-check"):
            self.send(302, b"", [("Set-Cookie", "seen=1; Path=/"), ("Location", "/news/story")])
        elif self.path in ("/news/loop", "/news/loop-b"):  # a loop that sets a cookie each time
            other = "/news/loop-b" if self.path == "/news/loop" else "/news/loop"
            self.send(302, b"", [("Set-Cookie", "seen=1; Path=/"), ("Location", other)])
        elif "seen=1" in (self.headers.get("Cookie") or ""):
            self.send(200, article(self.path), [("Content-Type", "text/html")])
        elif self.path == "/news/self":
            self.send(302, b"", [("Set-Cookie", "seen=1; Path=/"), ("Location", "/news/self")])
        elif self.path == "/news/story":
            self.send(302, b"", [("Location", "/cookie-check?next=/news/story")])
        else:
            self.send(404, b"")


def test_a_redirect_back_with_a_cookie_set_is_followed_not_a_loop(tmp_path: Path) -> None:
    # Sites check for a cookie by setting it and redirecting back: the return to a URL of the
    # chain was taken for a loop, and the story never archived.
    httpd = _Server(("127.0.0.1", 0), _CookieCheck)
    httpd.routes, httpd.hits = {}, []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        site(tmp_path, httpd, feeds="['/feed.xml']")
        result = crawl(tmp_path)
    finally:
        httpd.shutdown()
        httpd.server_close()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    assert query(result, "select canonical_url, title from articles order by 1") == [
        (f"{base}/news/self", "/news/self"), (f"{base}/news/story", "/news/story")]
    assert query(result, "select outcome, count(*) from captures group by 1 order by 1") == [
        ("article", 2), ("feed", 1), ("redirect", 5), ("redirect_loop", 1), ("robots", 1)]
    assert httpd.hits.count("/news/loop") == 2 and httpd.hits.count("/news/loop-b") == 1
    # Found by the feed: the story keeps that as it was asked for again.
    assert query(result, "select discovery_source from captures where outcome = 'article'") == [
        ("feed",), ("feed",)]


class _SharedCookieCheck(QuietHandler):
    """Every story sends a reader without the cookie to one check page, `/cookie-check`,
    which sets it and sends the reader back where it came from (its Referer)."""

    server: _Server

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nAllow: /\n", [("Content-Type", "text/plain")])
        elif self.path == "/feed.xml":
            self.send(200, feed(port, "/news/alpha", "/news/beta"),
                      [("Content-Type", "application/rss+xml")])
        elif self.path == "/cookie-check":
            back = self.headers.get("Referer") or "/"
            self.send(302, b"", [("Set-Cookie", "seen=1; Path=/"), ("Location", back)])
        elif "seen=1" in (self.headers.get("Cookie") or ""):
            self.send(200, article(self.path), [("Content-Type", "text/html")])
        else:
            self.send(302, b"", [("Location", "/cookie-check")])


def test_stories_sent_to_one_cookie_check_page_are_each_archived(tmp_path: Path) -> None:
    # The second story sent to the check page before the cookie was set was dropped as a
    # duplicate of that hop, and its feed link, carried through the hop, made its URL an
    # alias of the first story: taken for archived, it was never fetched by any later run.
    httpd = _Server(("127.0.0.1", 0), _SharedCookieCheck)
    httpd.routes, httpd.hits = {}, []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        site(tmp_path, httpd, feeds="['/feed.xml']")
        result = crawl(tmp_path)
    finally:
        httpd.shutdown()
        httpd.server_close()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    assert query(result, "select canonical_url, title from articles order by 1") == [
        (f"{base}/news/alpha", "/news/alpha"), (f"{base}/news/beta", "/news/beta")]
    assert query(result, "select * from article_aliases") == []
    assert query(result, "select discovery_source from captures where outcome = 'article'") == [
        ("feed",), ("feed",)]


class _SlowBody(QuietHandler):
    """Sends an article's headers at once and the rest of its body 1.5 s later."""

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path == "/feed.xml":
            self.send(200, feed(port, "/news/slow"), [("Content-Type", "application/rss+xml")])
            return
        if self.path != "/news/slow":
            self.send(404, b"not found")
            return
        self.server.asked_at = time.time()  # type: ignore[attr-defined]
        body = article("Slow story")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:100])
        self.wfile.flush()
        time.sleep(1.5)
        self.wfile.write(body[100:])


def test_the_warc_date_of_a_slow_page_is_when_its_capture_began(tmp_path: Path) -> None:
    # WARC 1.1: WARC-Date is "the instant that data capture for record creation began". The
    # records were stamped when the download ended, a slow body's whole download time late.
    from archive.warc import iter_records, warc_files

    slow = ThreadingHTTPServer(("127.0.0.1", 0), _SlowBody)
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    try:
        site(tmp_path, slow, feeds="['/feed.xml']")  # type: ignore[arg-type]
        result = crawl(tmp_path)
    finally:
        slow.shutdown()
        slow.server_close()
    asked_at: float = slow.asked_at  # type: ignore[attr-defined]
    [record] = [r for path in warc_files(result.warc_dir) for r in iter_records(path)
                if r.rec_type == "response" and (r.target_uri or "").endswith("/news/slow")]
    began = datetime.fromisoformat(record.date.replace("Z", "+00:00")).timestamp()
    assert asked_at - 1.0 < began <= asked_at + 0.5, (record.date, asked_at)
    [(fetched_at,)] = query(result, "select fetched_at from captures where url like '%/news/slow'")
    assert datetime.fromisoformat(fetched_at).timestamp() == began


def test_a_story_redirected_to_the_home_page_or_its_section_is_taken_down(
    server: _Server, tmp_path: Path
) -> None:
    # Many sites remove a story by redirecting its URL to the home page (or to the section it
    # was in): taken_down listed 404, 410, 451 and soft 404s, and never these removals.
    # A story moved to a new URL, or to its own URL with a slash, is no removal.
    from tests.datasette_support import get

    port = server.server_address[1]
    stories = ["/news/home", "/news/section", "/news/moved", "/news/slash", "/news/kept"]
    server.routes = {"/feed.xml": (200, feed(port, *stories), []),
                     **{path: (200, article(path), []) for path in stories}}
    site(tmp_path, server, feeds="['/feed.xml']", revisit_after="'1s'")
    crawl(tmp_path)
    time.sleep(1.2)  # past revisit_after
    server.routes.update({
        "/": (200, b"<html><body><h1>Front page</h1></body></html>", []),
        "/news/home": (302, b"", [("Location", f"http://127.0.0.1:{port}/?removed=1")]),
        "/news/section": (301, b"", [("Location", "/news/")]),
        "/news/": (200, listing(), []),
        "/news/moved": (301, b"", [("Location", "/news/moved-on")]),
        "/news/moved-on": (200, article("/news/moved"), []),
        "/news/slash": (301, b"", [("Location", "/news/slash/")]),
        "/news/slash/": (200, article("/news/slash"), []),
    })
    result = crawl(tmp_path)
    (gone,) = get(result.data, "/index/taken_down.json?_shape=array")
    base = f"http://127.0.0.1:{port}"
    assert [(row["canonical_url"], row["status"]) for row in gone.json()] == [
        (f"{base}/news/home", 302), (f"{base}/news/section", 301)]


def test_a_story_removed_through_its_url_with_a_slash_is_taken_down_a_login_wall_is_not(
    server: _Server, tmp_path: Path
) -> None:
    # A story removed in two hops (/news/story -> /news/story/ -> /, or the other way) was
    # missed: the removal is the other URL's capture, which no article has; so was one sent
    # to its section's index file ("/news/index.html" is the section). A login wall on the
    # home page ("/?login", "/?redirect=/news/story") was listed as a removal: the story is
    # still there.
    from tests.datasette_support import get

    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    stories = ["/news/twohop", "/news/slashed/", "/news/login", "/news/wall", "/news/gone",
               "/news/indexed"]
    server.routes = {"/feed.xml": (200, feed(port, *stories), []),
                     **{path: (200, article(path), []) for path in stories}}
    site(tmp_path, server, feeds="['/feed.xml']", revisit_after="'1s'")
    crawl(tmp_path)
    time.sleep(1.2)  # past revisit_after
    server.routes.update({
        "/": (200, b"<html><body><h1>Front page</h1></body></html>", []),
        "/news/twohop": (301, b"", [("Location", "/news/twohop/")]),
        "/news/twohop/": (302, b"", [("Location", "/")]),
        "/news/slashed/": (301, b"", [("Location", "/news/slashed")]),
        "/news/slashed": (302, b"", [("Location", "/news/")]),
        "/news/": (200, listing(), []),
        "/news/login": (302, b"", [("Location", "/?login")]),
        "/news/wall": (302, b"", [("Location", "/?redirect=%2Fnews%2Fwall")]),
        "/news/gone": (302, b"", [("Location", "/?utm_source=gone")]),
        "/news/indexed": (301, b"", [("Location", "/news/index.html")]),
        "/news/index.html": (200, listing(), []),
    })
    result = crawl(tmp_path)
    (gone,) = get(result.data, "/index/taken_down.json?_shape=array")
    assert sorted((row["canonical_url"], row["url"], row["status"]) for row in gone.json()) == [
        (f"{base}/news/gone", f"{base}/news/gone", 302),
        (f"{base}/news/indexed", f"{base}/news/indexed", 301),
        (f"{base}/news/slashed/", f"{base}/news/slashed", 302),
        (f"{base}/news/twohop", f"{base}/news/twohop/", 302)]


class _Overclaiming(QuietHandler):
    """An article whose Content-Length claims 1 MB (past DOWNLOAD_MAXSIZE, as a video or a
    broken server may), then sends 30 KB of it and closes."""

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path == "/feed.xml":
            self.send(200, feed(port, "/news/huge"), [("Content-Type", "application/rss+xml")])
        elif self.path == "/news/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self.wfile.write((article("Huge story") * 20)[:30_000])
        else:
            self.send(404, b"not found")


def test_a_body_declared_past_download_maxsize_is_archived_cut_at_max_body(tmp_path: Path) -> None:
    # NEWSARCHIVE_MAX_BODY cuts a long body and archives what it read; one whose Content-Length
    # said it was past DOWNLOAD_MAXSIZE was cancelled by Scrapy before a byte of it was read:
    # nothing archived, a fetch_error naming Scrapy's DownloadCancelledError at every run.
    from archive.warc import iter_records, warc_files

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Overclaiming)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        site(tmp_path, httpd, feeds="['/feed.xml']")  # type: ignore[arg-type]
        result = scrapy_crawl("edge", tmp_path / "data", sites=tmp_path / "sites",
                              settings={"NEWSARCHIVE_MAX_BODY": "5000",
                                        "DOWNLOAD_MAXSIZE": "100000"})
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.returncode == 0, result.log[-3000:]
    assert query(result, "select status, outcome, reason from captures where url like '%huge'") == [
        (200, "truncated", "body cut at 5000 bytes (NEWSARCHIVE_MAX_BODY)")]
    [record] = [r for path in warc_files(result.warc_dir) for r in iter_records(path)
                if r.rec_type == "response" and (r.target_uri or "").endswith("/news/huge")]
    assert record.warc_header("WARC-Truncated") == "length"
    assert record.payload == (article("Huge story") * 20)[:5000]


def test_a_redirects_credentials_reach_neither_the_index_nor_the_metadata(
    server: _Server, tmp_path: Path
) -> None:
    # As a feed link's (test_crawl_frontier): the request never carries them, but the reason
    # of the redirect's capture, in the index and its metadata record, kept "user:secret@".
    port = server.server_address[1]
    server.routes = {
        "/feed.xml": (200, feed(port, "/news/moved", "/news/away"), []),
        "/news/moved": (302, b"", [("Location", f"http://user:secret@127.0.0.1:{port}/news/story")]),
        "/news/away": (302, b"", [("Location", f"http://user:secret@localhost:{port}/news/story")]),
        "/news/story": (200, article("Story"), []),
    }
    site(tmp_path, server, feeds="['/feed.xml']")
    result = crawl(tmp_path)
    base = f"http://127.0.0.1:{port}"
    assert query(result, "select url, reason from captures where outcome = 'redirect' order by 1") == [
        (f"{base}/news/away", f"redirects off-site to http://localhost:{port}/news/story: not followed"),
        (f"{base}/news/moved", f"redirects to {base}/news/story")]
    assert "secret" not in result.log
    from archive.warc import iter_records, warc_files

    records = [r for path in warc_files(result.warc_dir) for r in iter_records(path)]
    assert not any(b"secret" in r.payload for r in records if r.rec_type == "metadata")
    # The redirects themselves are archived as they were served, Location included.
    assert sum("user:secret@" in (r.http_header("Location") or "") for r in records) == 2


def test_a_header_line_browsers_take_is_read_and_archived_whole(
    server: _Server, tmp_path: Path
) -> None:
    # Twisted's HTTP client drops the connection at a header line over 16 KiB (a long
    # Content-Security-Policy or Link header; browsers take up to 256 KiB of headers): every
    # page of such a site was a fetch_error, "Connection was closed cleanly.", retried, and
    # the run ended `ok` with nothing archived.
    from archive.warc import iter_records, warc_files

    port = server.server_address[1]
    policy = "default-src 'self'" + " https://cdn.example.com" * 3000  # 72 KB
    server.routes = {"/feed.xml": (200, feed(port, "/news/story"), []),
                     "/news/story": (200, article("Story"), [("Content-Security-Policy", policy)])}
    site(tmp_path, server, feeds="['/feed.xml']")
    result = crawl(tmp_path)
    assert query(result, "select title from articles") == [("Story",)]
    [record] = [r for path in warc_files(result.warc_dir) for r in iter_records(path)
                if r.rec_type == "response" and (r.target_uri or "").endswith("/news/story")]
    assert record.http_header("Content-Security-Policy") == policy


def test_a_response_twisted_refuses_is_a_fetch_error_saying_why_in_words(
    server: _Server, tmp_path: Path
) -> None:
    # Its reason, in the index and the log, was the repr of a list of Twisted Failures:
    # "DownloadFailedError: [<twisted.python.failure.Failure builtins.ValueError: ...>]".
    port = server.server_address[1]
    server.routes = {"/feed.xml": (200, feed(port, "/news/story"), []),
                     "/news/story": (200, article("Story"), [("Content-Length", "10")])}
    site(tmp_path, server, feeds="['/feed.xml']")
    result = crawl(tmp_path)
    [(outcome, reason)] = query(result, "select outcome, reason from captures where url like '%story'")
    assert outcome == "fetch_error"
    assert reason.startswith("DownloadFailedError: ValueError: Invalid response: conflicting "
                             "Content-Length headers"), reason
    assert f"fetch failed for http://127.0.0.1:{port}/news/story: {reason}" in result.log


def test_a_feeds_redirect_with_credentials_is_followed_without_them(
    server: _Server, tmp_path: Path
) -> None:
    # An article's link drops them (DiscoveredLink), but a feed's, a sitemap's or a page's
    # redirect target kept them: the next hop was a fetch_error, "ValueError: invalid hostname:
    # user:secret@127.0.0.1", the feed never read, its URL with "user:secret@" in the index.
    from archive.warc import iter_records, warc_files

    port = server.server_address[1]
    server.routes = {
        "/feed.xml": (302, b"", [("Location", f"http://user:secret@127.0.0.1:{port}/feed2.xml")]),
        "/feed2.xml": (200, feed(port, "/news/story"), []),
        "/news/story": (200, article("Story"), []),
    }
    site(tmp_path, server, feeds="['/feed.xml']")
    result = crawl(tmp_path)
    base = f"http://127.0.0.1:{port}"
    assert query(result, "select url, outcome from captures where outcome != 'robots' order by 1") == [
        (f"{base}/feed.xml", "redirect"), (f"{base}/feed2.xml", "feed"), (f"{base}/news/story", "article")]
    assert query(result, "select title from articles") == [("Story",)]
    records = [r for path in warc_files(result.warc_dir) for r in iter_records(path)]
    assert not any("secret" in (r.target_uri or "") for r in records)


class _HeaderFlood(QuietHandler):
    """An article whose response sends 3 MB of header lines, each one a browser would take."""

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path != "/news/flood":
            self.send(200, feed(port, "/news/flood"), [("Content-Type", "application/rss+xml")])
            return
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
        try:
            for i in range(15):
                self.wfile.write(b"X-Pad-%d: %s\r\n" % (i, b"a" * 200_000))
            self.wfile.write(b"Content-Length: %d\r\n\r\n%s" % (len(article("Flood")), article("Flood")))
        except OSError:
            pass  # the crawler hung up


def test_a_response_with_megabytes_of_headers_is_dropped_not_read_whole(tmp_path: Path) -> None:
    # The header lines' total had no limit: 300 MB of them were read, the page archived with
    # them, the crawl at 1.27 GB of memory; a few GB more and it was killed.
    from archive.warc import iter_records, warc_files

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _HeaderFlood)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        site(tmp_path, httpd, feeds="['/feed.xml']")  # type: ignore[arg-type]
        result = scrapy_crawl("edge", tmp_path / "data", sites=tmp_path / "sites")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert query(result, "select outcome from captures where url like '%flood'") == [("fetch_error",)]
    assert not [r for path in warc_files(result.warc_dir) for r in iter_records(path)
                if r.rec_type == "response" and (r.target_uri or "").endswith("/news/flood")]
