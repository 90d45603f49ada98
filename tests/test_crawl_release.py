"""The articles a sitemap names are handed to Scrapy as the crawl has room for them (issue 4:
memory flat in the number of pages): few queued at any moment, each still fetched once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

from scrapy import Request, signals
from scrapy.crawler import Crawler

from crawler import settings as project
from crawler.spiders.release import RELEASE_AHEAD
from tests.conftest import scrapy_crawl
from tests.test_crawl_frontier import _Server, article, listing, server, site, sitemap  # noqa: F401

STORIES = 150
CONCURRENT = 2


class SchedulerHighWater:
    """Extension (test only): the most requests Scrapy's scheduler held at once, as a stat."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def request_scheduled(self, request: Request) -> None:
        engine = self.crawler.engine
        if engine is not None and engine.scheduler is not None and self.crawler.stats is not None:
            # Sent before the request is queued: it counts too.
            self.crawler.stats.max_value("test/scheduler_high_water", len(engine.scheduler) + 1)  # type: ignore[arg-type]


def test_a_sitemaps_articles_are_queued_a_few_at_a_time_and_each_fetched_once(
    server: _Server, tmp_path: Path  # noqa: F811
) -> None:
    # When the sitemap was read, all its articles became Requests queued at once: ~2 KB of
    # memory each until fetched, 190 MB by the 2,000th page of a 16,000-article sitemap.
    port = server.server_address[1]
    stories = [f"/news/story-{'abcdefghij'[n // 100]}{'abcdefghij'[n // 10 % 10]}{'abcdefghij'[n % 10]}"
               for n in range(STORIES)]
    server.routes = {"/sitemap.xml": (200, sitemap(port, dict.fromkeys(stories, "2026-11-01")), []),
                     "/": (200, listing("/section/world"), []),
                     "/section/world": (200, listing("/news/from-the-section"), []),
                     "/news/from-the-section": (200, article("From the section"), []),
                     **{path: (200, article(path), []) for path in stories}}
    site(tmp_path, server, sitemaps="['/sitemap.xml']", start_urls="['/']",
         follow_patterns=r"['/section/']")
    extensions = {**project.EXTENSIONS, f"{__name__}.SchedulerHighWater": 900}
    result = scrapy_crawl("edge", tmp_path / "data", sites=tmp_path / "sites", settings={
        "CONCURRENT_REQUESTS": str(CONCURRENT), "EXTENSIONS": json.dumps(extensions)})
    assert result.returncode == 0, result.log[-3000:]
    stats = result.stats()
    # The bound, and the start page or a robots.txt on top: not the 150 the sitemap listed.
    assert stats["test/scheduler_high_water"] <= RELEASE_AHEAD * CONCURRENT + 2
    assert sorted(hit for hit in server.hits if hit.startswith("/news/story-")) == stories
    # The start page and what it links are still fetched, after the sitemap's articles (but
    # those sent at the same moment).
    pages = ("/", "/section/world", "/news/from-the-section")
    assert [server.hits.count(page) for page in pages] == [1, 1, 1]
    before = server.hits[:server.hits.index("/")]
    assert len([hit for hit in before if hit.startswith("/news/story-")]) >= STORIES - CONCURRENT
    assert stats["newsarchive/articles_discovered"] == STORIES + 1
    assert stats["item_scraped_count"] == STORIES + 5  # with robots.txt, the sitemap, two pages
