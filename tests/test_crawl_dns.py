"""DNS failure without asking any DNS server: pinned hosts resolve, every other name fails."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Crawl, scrapy_crawl
from tests.test_crawl_robots import ARTICLE, _Handler, _serve


class _Feed(_Handler):
    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path == "/rss":
            items = "".join(f"<item><title>{host}</title><link>http://{host}:{port}/news/story</link></item>"
                            for host in ("news.test", "missing.test"))
            self.send(200, f"<rss version='2.0'><channel>{items}</channel></rss>".encode(), [])
        elif self.path == "/news/story":
            self.send(200, ARTICLE, [("Content-Type", "text/html; charset=utf-8")])
        else:
            self.send(404, b"", [])


def _crawl_pinned(tmp_path: Path, handler: type[_Handler], host: str, config: str,
                  pins: dict[str, str] | None = None) -> tuple[Crawl, int, Any]:
    """Crawl site `pinned` (base_url http://HOST:PORT plus `config`) with HOST pinned to the
    local server (and the names of `pins` to their addresses), every other name failing DNS;
    returns the crawl, the port and the server."""
    server = _serve("")
    server.RequestHandlerClass = handler
    server.hosts = []  # type: ignore[attr-defined]
    port = server.server_address[1]
    try:
        sites = tmp_path / "sites"
        sites.mkdir()
        (sites / "pinned.toml").write_text(
            f"base_url = 'http://{host}:{port}'\nallow_private_networks = ['127.0.0.1/32']\n{config}")
        crawl = scrapy_crawl("pinned", tmp_path / "data", sites=sites, settings={
            "NEWSARCHIVE_HOSTS": json.dumps({host: "127.0.0.1", **(pins or {})}),
            "NEWSARCHIVE_HOSTS_ONLY": "True", "RETRY_TIMES": "0"})
    finally:
        server.shutdown()
        server.server_close()
    assert crawl.returncode == 0, crawl.log[-3000:]
    return crawl, port, server


def test_dns_failure_is_recorded_and_the_crawl_goes_on(tmp_path: Path) -> None:
    crawl, port, _ = _crawl_pinned(
        tmp_path, _Feed, "news.test",
        "allowed_domains = ['news.test', 'missing.test']\nfeeds = ['/rss']\narticle_patterns = ['/news/']\n")
    with closing(sqlite3.connect(crawl.index)) as db:
        rows = dict(db.execute("select url, outcome || ': ' || coalesce(reason, '') from captures"))
        fetched = db.execute("select status from captures where url = ?",
                             [f"http://news.test:{port}/news/story"]).fetchone()
    assert fetched == (200,)  # the pinned name resolved to the local server
    missing = rows[f"http://missing.test:{port}/robots.txt"]
    assert missing.startswith("fetch_error: ")
    assert "DNS lookup failed" in missing and "missing.test" in missing
    assert "missing.test" in crawl.log


# Names of a hostile feed's links, pinned to IPv6 addresses that carry 127.0.0.1: each is
# loopback behind a NAT64 gateway or a 6to4 relay, and Python calls all of them global.
_CARRIERS = {"nat64.test": "64:ff9b::7f00:1", "sixtofour.test": "2002:7f00:1::",
             "compatible.test": "::127.0.0.1", "translated.test": "::ffff:0:7f00:1"}


class _CarrierFeed(_Handler):
    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path == "/rss":
            items = "".join(f"<item><title>{host}</title><link>http://{host}:{port}/news/story</link></item>"
                            for host in _CARRIERS)
            self.send(200, f"<rss version='2.0'><channel>{items}</channel></rss>".encode(), [])
        else:
            self.send(404, b"", [])


def test_an_ipv6_address_carrying_a_loopback_one_is_refused(tmp_path: Path) -> None:
    # The guard asked Python's is_global, which is True for 64:ff9b::7f00:1 and the like:
    # a feed could send the crawl to the loopback of a network's NAT64 gateway or 6to4 relay.
    crawl, port, _ = _crawl_pinned(
        tmp_path, _CarrierFeed, "news.test",
        f"allowed_domains = {['news.test', *_CARRIERS]}\nfeeds = ['/rss']\narticle_patterns = ['/news/']\n",
        pins=_CARRIERS)
    with closing(sqlite3.connect(crawl.index)) as db:
        reasons = dict(db.execute("select url, reason from captures where url like '%/news/story'"))
    for host, address in _CARRIERS.items():
        reason = reasons[f"http://{host}:{port}/news/story"]
        assert reason and f"is the non-global address {address}" in reason, (host, reason)


class _IdnFeed(_Handler):
    """A site named "faß.test": its feed and a section page link stories by the Unicode name,
    and one story redirects by it."""

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        self.server.hosts.append(self.headers.get("Host", ""))  # type: ignore[attr-defined]
        if self.path == "/rss":
            item = f"<item><title>one</title><link>http://faß.test:{port}/news/one</link></item>"
            self.send(200, f"<rss version='2.0'><channel>{item}</channel></rss>".encode(), [])
        elif self.path == "/section":
            links = f"<a href='http://faß.test:{port}/news/two'>two</a>"
            self.send(200, f"<html><body>{links}</body></html>".encode(),
                      [("Content-Type", "text/html; charset=utf-8")])
        elif self.path == "/news/two":
            self.send(301, b"", [("Location", f"http://faß.test:{port}/news/three".encode().decode("latin-1"))])
        elif self.path in ("/news/one", "/news/three"):
            self.send(200, ARTICLE, [("Content-Type", "text/html; charset=utf-8")])
        else:
            self.send(404, b"", [])


def test_a_unicode_host_is_requested_as_browsers_spell_it(tmp_path: Path) -> None:
    # IDNA 2003 (Python's codec, w3lib's, Scrapy's) writes "faß" as "fass", another domain:
    # the crawl asked fass.test, a name the site does not have. UTS 46 (browsers) keeps ß.
    crawl, port, server = _crawl_pinned(
        tmp_path, _IdnFeed, "faß.test",
        "allowed_domains = ['faß.test']\nfeeds = ['/rss']\nstart_urls = ['/section']\n"
        "article_patterns = ['/news/']\nfollow_patterns = ['/section']\n")
    assert set(server.hosts) == {f"xn--fa-hia.test:{port}"}
    with closing(sqlite3.connect(crawl.index)) as db:
        fetched = {url for (url,) in db.execute("select url from captures where status = 200")}
    assert {f"http://xn--fa-hia.test:{port}/news/{n}" for n in ("one", "three")} <= fetched


# Loaded into the crawl process by PYTHONPATH: a DNS server that answers 127.0.0.1 to the
# first lookup (the SSRF guard's, asyncio's getaddrinfo) and 127.0.0.2 to the next (Twisted's,
# gethostbyname), as a hostile name server with a TTL of 0 does (DNS rebinding).
_REBINDING = '''
import socket
_getaddrinfo, _gethostbyname = socket.getaddrinfo, socket.gethostbyname
def getaddrinfo(host, *args, **kwargs):
    return _getaddrinfo("127.0.0.1" if host == "rebind.test" else host, *args, **kwargs)
def gethostbyname(host):
    return "127.0.0.2" if host == "rebind.test" else _gethostbyname(host)
socket.getaddrinfo, socket.gethostbyname = getaddrinfo, gethostbyname
'''


def test_a_name_that_changes_its_address_after_the_guard_checked_it_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The guard checked the address of its own lookup, and Twisted connected to the address of
    # another: the request reached 127.0.0.2, which the site never allowed (only the response
    # was refused, by the answering-address check, once the request had been sent).
    from tests.hardening_support import Tripwire

    (tmp_path / "rebinding").mkdir()
    (tmp_path / "rebinding" / "sitecustomize.py").write_text(_REBINDING)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(tmp_path / "rebinding"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    server = _serve("")
    server.RequestHandlerClass = _Feed
    port = server.server_address[1]
    try:
        with Tripwire("127.0.0.2", port).armed() as tripwire:
            sites = tmp_path / "sites"
            sites.mkdir()
            (sites / "rebind.toml").write_text(
                f"base_url = 'http://rebind.test:{port}'\nallowed_domains = ['rebind.test']\n"
                "allow_private_networks = ['127.0.0.1/32']\nfeeds = ['/rss']\n"
                "article_patterns = ['/news/']\n")
            crawl = scrapy_crawl("rebind", tmp_path / "data", sites=sites,
                                 settings={"RETRY_TIMES": "0"})
    finally:
        server.shutdown()
        server.server_close()
    assert tripwire.connections == 0, "a request reached 127.0.0.2, an address the site did not allow"
    assert "refused rebind.test: it now resolves to the non-global address 127.0.0.2" in crawl.log
    with closing(sqlite3.connect(crawl.index)) as db:
        [(outcome, reason)] = db.execute("select outcome, reason from captures where url = ?",
                                         [f"http://rebind.test:{port}/robots.txt"]).fetchall()
    assert outcome == "fetch_error" and "rebind.test" in reason, (outcome, reason)
