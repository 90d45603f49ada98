"""A host that stops answering mid-run (connections refused, reset or timing out) is backed off
as a host refusing with 429/503 is, and given up with an outcome that says so."""

from __future__ import annotations

import socket
import struct
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import Crawl, scrapy_crawl
from tests.http_support import QuietHandler
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
            items = "".join(f"<item><title>{n}</title><link>http://127.0.0.1:{port}/news/{n}</link>"
                            "</item>" for n in range(STORIES))
            self.send(200, f"<rss version='2.0'><channel>{items}</channel></rss>".encode(),
                      [("Content-Type", "application/rss+xml")])
            if self.server.failure == "refused":
                threading.Thread(target=self.server.go_down).start()
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

