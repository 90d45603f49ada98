"""The news spider's own link checks, on a real spider built by Scrapy from a site config."""

from __future__ import annotations

from pathlib import Path

from scrapy.utils.test import get_crawler

from archive.config import load_site
from crawler.spiderloader import spider_class

SITE = """
allowed_domains = ["127.0.0.1"]
allow_private_networks = ["127.0.0.1/32"]
sitemaps = ["http://127.0.0.1:8799/sitemap.xml"]
article_patterns = ['/news/']
"""


def test_a_link_longer_than_urllength_limit_is_skipped_not_left_open(tmp_path: Path) -> None:
    (tmp_path / "local.toml").write_text(SITE)
    cls = spider_class(load_site(tmp_path / "local.toml"))
    crawler = get_crawler(cls, {"URLLENGTH_LIMIT": 100})
    spider = cls.from_crawler(crawler)
    crawler.spider = spider
    long_sitemap = "http://127.0.0.1:8799/sitemap-" + "x" * 100 + ".xml"
    # Scrapy's UrlLengthMiddleware would drop the request without a callback or errback: a
    # document counted open would never close, and nothing waiting for discovery was fetched.
    assert list(spider._request(long_sitemap, "sitemap", 0)) == []
    assert spider.frontier.open_documents == 0 and spider.frontier.scheduled == 0
    assert crawler.stats.get_value("newsarchive/long_links") == 1
    short = list(spider._request("http://127.0.0.1:8799/sitemap-2.xml", "sitemap", 0))
    assert len(short) == 1 and spider.frontier.open_documents == 1
