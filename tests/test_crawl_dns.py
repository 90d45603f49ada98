"""DNS failure without asking any DNS server: pinned hosts resolve, every other name fails."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.conftest import scrapy_crawl
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


def test_dns_failure_is_recorded_and_the_crawl_goes_on(tmp_path: Path) -> None:
    server = _serve("")
    server.RequestHandlerClass = _Feed
    port = server.server_address[1]
    try:
        sites = tmp_path / "sites"
        sites.mkdir()
        (sites / "pinned.toml").write_text(
            f"base_url = 'http://news.test:{port}'\nallowed_domains = ['news.test', 'missing.test']\n"
            "allow_private_networks = ['127.0.0.1/32']\nfeeds = ['/rss']\narticle_patterns = ['/news/']\n")
        crawl = scrapy_crawl("pinned", tmp_path / "data", sites=sites, settings={
            "NEWSARCHIVE_HOSTS": json.dumps({"news.test": "127.0.0.1"}),
            "NEWSARCHIVE_HOSTS_ONLY": "True", "RETRY_TIMES": "0"})
    finally:
        server.shutdown()
        server.server_close()
    assert crawl.returncode == 0, crawl.log[-3000:]
    with closing(sqlite3.connect(crawl.index)) as db:
        rows = dict(db.execute("select url, outcome || ': ' || coalesce(reason, '') from captures"))
        fetched = db.execute("select status from captures where url = ?",
                             [f"http://news.test:{port}/news/story"]).fetchone()
    assert fetched == (200,)  # the pinned name resolved to the local server
    missing = rows[f"http://missing.test:{port}/robots.txt"]
    assert missing.startswith("fetch_error: ")
    assert "DNS lookup failed" in missing and "missing.test" in missing
    assert "missing.test" in crawl.log
