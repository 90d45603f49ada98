"""A host that stops answering mid-run (connections refused, reset or timing out, its name no
longer resolving) is backed off as a host refusing with 429/503 is, and given up with an
outcome that says so."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Sequence
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import pytest
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from crawler.dns import PinnedHostsResolver
from tests.conftest import Crawl, scrapy_crawl
from tests.http_support import QuietHandler
from tests.test_crawl_robots import ARTICLE
from tests.test_hardening_politeness import _rounds

STORIES = 12


class _Failing(QuietHandler):
    """robots.txt and a feed of stories; then every story fails as `server.failure` says:
    "refused" (the server closes its socket: nothing listens on the port any more), "reset"
    (the connection is reset before any answer) or "timeout" (no answer before the crawl's
    DOWNLOAD_TIMEOUT)."""

    server: _FailingServer

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nAllow: /\n", [("Content-Type", "text/plain")])
        elif self.path == "/rss":
            items = "".join(f"<item><title>{n}</title><link>http://{self.server.name}:{port}/news/{n}</link>"
                            "</item>" for n in range(STORIES))
            self.send(200, f"<rss version='2.0'><channel>{items}</channel></rss>".encode(),
                      [("Content-Type", "application/rss+xml")])
            if self.server.failure == "refused":
                threading.Thread(target=self.server.go_down).start()
            elif self.server.failure == "dns":
                self.server.name_gone.touch()
        else:
            self.server.story_times.append(time.monotonic())
            if self.server.failure == "reset":
                # SO_LINGER 0: close sends RST.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
            else:
                time.sleep(1.5)
                self.close_connection = True


class _FailingServer(ThreadingHTTPServer):
    failure: str
    story_times: list[float]
    name = "127.0.0.1"  # the site's host name
    name_gone: Path

    def go_down(self) -> None:
        self.shutdown()
        self.server_close()


def _crawl_failing(tmp_path: Path, failure: str, settings: dict[str, str]) -> tuple[Crawl, _FailingServer]:
    httpd = _FailingServer(("127.0.0.1", 0), _Failing)
    httpd.failure, httpd.story_times = failure, []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        sites = tmp_path / "sites"
        sites.mkdir()
        (sites / "down.toml").write_text(
            f"base_url = 'http://127.0.0.1:{httpd.server_address[1]}'\n"
            "allowed_domains = ['127.0.0.1']\nallow_private_networks = ['127.0.0.1/32']\n"
            "feeds = ['/rss']\narticle_patterns = ['/news/']\n")
        crawl = scrapy_crawl("down", tmp_path / "data", sites=sites, timeout=60, settings={
            "CONCURRENT_REQUESTS_PER_DOMAIN": "2", "DOWNLOAD_DELAY": "0.05",
            "DOWNLOAD_TIMEOUT": "1", **settings})
    finally:
        if failure != "refused":
            httpd.go_down()
    return crawl, httpd


@pytest.mark.parametrize("failure", ["refused", "reset", "timeout"])
def test_a_host_that_stops_answering_is_backed_off_then_given_up(tmp_path: Path, failure: str) -> None:
    # Scrapy's RetryMiddleware retried connection errors and timeouts at once, RETRY_TIMES
    # over for every URL: a site gone down mid-run got every story three times in a burst
    # (36 connections for 12 stories), and the run ended `ok`. Now the host is paused as a
    # 503 without Retry-After pauses it (0.5, 1, 2 s here) and, still failing, given up.
    crawl, httpd = _crawl_failing(tmp_path, failure, {
        "NEWSARCHIVE_BACKOFF_BASE": "0.5", "NEWSARCHIVE_RETRY_AFTER_MAX": "2"})
    assert crawl.returncode == 1, crawl.log[-3000:]
    host = f"127.0.0.1:{httpd.server_address[1]}"
    assert crawl.stats()["newsarchive/outcome"] == "host_unavailable"
    assert f"backing off {host} for 0.5 s" in crawl.log
    assert f"backing off {host} for 2.0 s" in crawl.log
    assert f"not sending {host} more requests this run" in crawl.log
    assert any("ERROR" in line and f"{host} turned the crawl away" in line
               for line in crawl.log.splitlines()), crawl.log[-3000:]
    failed = [item for item in crawl.items if item["outcome"] == "fetch_error"]
    assert len(failed) == STORIES  # every story given up, none lost
    assert any(f"{host} kept failing" in (item["reason"] or "") for item in failed)
    attempts = sum(count for key, count in crawl.stats().items()
                   if key.startswith("downloader/exception_type_count/")
                   and not key.endswith("IgnoreRequest"))  # (those were never sent)
    assert attempts <= 16, attempts  # four rounds of two or three, and a few on their way
    if failure == "reset":  # (a refused connection never reaches the server; a timeout's
        # round lasts as long as the timeout)
        rounds = _rounds(httpd.story_times, gap=0.4)
        assert len(rounds) == 4, rounds



class _NameGone(PinnedHostsResolver):
    """The crawl's resolver, but once the file TEST_NAME_GONE exists no name resolves (a
    domain that lapsed, a name server gone): no DNS server is ever asked (the site's name is
    pinned, NEWSARCHIVE_HOSTS_ONLY is on)."""

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        resolver.gone = Path(crawler.settings["TEST_NAME_GONE"])  # type: ignore[attr-defined]
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        if self.gone.exists():  # type: ignore[attr-defined]
            return defer.fail(DNSLookupError(f"address {name!r} not found: [Errno -2] Name or "
                                             "service not known."))
        return super().getHostByName(name, timeout)


def test_a_host_whose_name_stops_resolving_is_backed_off_then_given_up(tmp_path: Path) -> None:
    # A DNS failure was no part of the back-off: Scrapy retried it at once, RETRY_TIMES over
    # for every URL, while the next ones went out beside them (36 lookups for 12 stories in
    # a burst), and the run ended `ok`. Now it is a failed connection like a refused one:
    # the host is paused, then given up, and the outcome says its name did not resolve.
    httpd = _FailingServer(("127.0.0.1", 0), _Failing)
    httpd.failure, httpd.story_times, httpd.name_gone = "dns", [], tmp_path / "name-gone"
    httpd.name = "news.invalid"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    try:
        sites = tmp_path / "sites"
        sites.mkdir()
        (sites / "gone.toml").write_text(
            f"base_url = 'http://news.invalid:{port}'\nallowed_domains = ['news.invalid']\n"
            "allow_private_networks = ['127.0.0.1/32']\nfeeds = ['/rss']\n"
            "article_patterns = ['/news/']\n")
        crawl = scrapy_crawl("gone", tmp_path / "data", sites=sites, timeout=60, settings={
            "NEWSARCHIVE_HOSTS": json.dumps({"news.invalid": "127.0.0.1"}),
            "NEWSARCHIVE_HOSTS_ONLY": "True",
            "TWISTED_DNS_RESOLVER": f"{__name__}._NameGone", "TEST_NAME_GONE": str(httpd.name_gone),
            "CONCURRENT_REQUESTS_PER_DOMAIN": "2", "DOWNLOAD_DELAY": "0.05",
            "NEWSARCHIVE_BACKOFF_BASE": "0.5", "NEWSARCHIVE_RETRY_AFTER_MAX": "2"})
    finally:
        httpd.go_down()
    assert crawl.returncode == 1, crawl.log[-3000:]
    host = f"news.invalid:{port}"
    assert crawl.stats()["newsarchive/outcome"] == "host_unavailable"
    assert f"backing off {host} for 0.5 s" in crawl.log
    assert f"not sending {host} more requests this run" in crawl.log
    assert any("ERROR" in line and f"{host} turned the crawl away (kept failing (DNS lookup "
               "failed) through a back-off of 2 s)" in line for line in crawl.log.splitlines())
    failed = [item for item in crawl.items if item["outcome"] == "fetch_error"]
    assert len(failed) == STORIES
    assert any(f"{host} kept failing (DNS lookup failed)" in (item["reason"] or "")
               for item in failed), [item["reason"] for item in failed]
    lookups = crawl.stats().get("downloader/exception_type_count/scrapy.exceptions.CannotResolveHostError")
    assert lookups <= 16, lookups  # four rounds of two or three, and a few on their way
    assert httpd.story_times == []


class _Restarting(QuietHandler):
    """A site restarting as the crawl reads its feed: the port refuses connections from the
    feed's answer on, and is served again `server.down_for` seconds later."""

    server: _RestartingServer

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nAllow: /\n", [("Content-Type", "text/plain")])
        elif self.path == "/rss":
            self.server.shutdown()
            self.server.server_close()  # nothing listens: refused before the feed is read
            threading.Thread(target=self.server.come_back, daemon=True).start()
            items = "".join(f"<item><title>{n}</title><link>http://127.0.0.1:{port}/news/{n}</link>"
                            "</item>" for n in range(1))
            self.send(200, f"<rss version='2.0'><channel>{items}</channel></rss>".encode(),
                      [("Content-Type", "application/rss+xml")])
        else:
            self.send(200, ARTICLE, [("Content-Type", "text/html; charset=utf-8")])


class _RestartingServer(ThreadingHTTPServer):
    block_on_close = False  # closed from inside a request
    down_for = 1.5  # the story is asked for well before
    again: ThreadingHTTPServer | None = None

    def come_back(self) -> None:
        time.sleep(self.down_for)
        self.again = ThreadingHTTPServer(self.server_address, _Restarting)
        self.again.serve_forever(poll_interval=0.05)


def test_a_refused_connection_waits_before_its_retry(tmp_path: Path) -> None:
    # The back-off began at the second failure in a row, as for a 500 (one broken page more
    # often than a host in trouble), so the first refused connection was retried at once:
    # refused again, for a site restarting for a moment, and with RETRY_TIMES 1 a story lost.
    # A refusal is the host's, never one page's: its retry now waits the back-off.
    httpd = _RestartingServer(("127.0.0.1", 0), _Restarting)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    port = httpd.server_address[1]
    try:
        sites = tmp_path / "sites"
        sites.mkdir()
        (sites / "restart.toml").write_text(
            f"base_url = 'http://127.0.0.1:{port}'\nallowed_domains = ['127.0.0.1']\n"
            "allow_private_networks = ['127.0.0.1/32']\nfeeds = ['/rss']\narticle_patterns = ['/news/']\n")
        crawl = scrapy_crawl("restart", tmp_path / "data", sites=sites, timeout=60, settings={
            "RETRY_TIMES": "1", "NEWSARCHIVE_BACKOFF_BASE": "3", "NEWSARCHIVE_RETRY_AFTER_MAX": "6"})
    finally:
        if httpd.again is not None:
            httpd.again.shutdown()
            httpd.again.server_close()
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert sorted(item["url"] for item in crawl.items if item["status"] == 200
                  and "/news/" in item["url"]) == [
        f"http://127.0.0.1:{port}/news/0"], crawl.log[-6000:]
    assert f"(1 in a row): backing off 127.0.0.1:{port} for 3.0 s" in crawl.log
