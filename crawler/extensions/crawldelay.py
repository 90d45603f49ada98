"""Extension: the least delay of each host's downloader slot: its robots.txt Crawl-delay, and
never none at all (without a delay, Scrapy ignores CONCURRENT_REQUESTS_PER_DOMAIN)."""

from __future__ import annotations

from typing import Self

from scrapy import Request, signals
from scrapy.core.downloader import Downloader
from scrapy.crawler import Crawler
from scrapy.http import Response

# Scrapy 2.19 starts a slot's downloads as tasks and counts them as transferring only once
# they run: with a delay of 0 its loop started every queued request for the host at once
# (7 of 12 with CONCURRENT_REQUESTS_PER_DOMAIN=2). Any delay makes it start one per pass.
LEAST_DELAY = 0.001


class CrawlDelay:
    """The spider puts an origin's Crawl-delay in each request's meta (`crawl_delay`, already
    capped at NEWSARCHIVE_CRAWL_DELAY_MAX). Scrapy's slot waits `slot.delay` between requests,
    ±50% at random, and AutoThrottle sets that delay again after every response, down to
    DOWNLOAD_DELAY: the floor is put back in both places, without the randomness (half the
    Crawl-delay is not what the site asked for). Scrapy internals, pinned at 2.19.0."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._floors: dict[str, float] = {}  # slot key -> its Crawl-delay
        crawler.signals.connect(self.request_reached_downloader, signal=signals.request_reached_downloader)
        # Connected after AutoThrottle's (EXTENSIONS order): it runs after its adjustment.
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def request_reached_downloader(self, request: Request) -> None:
        # Sent by the downloader once the slot exists, before the request is queued in it.
        key = request.meta.get(Downloader.DOWNLOAD_SLOT)
        if key is None:
            return
        delay = request.meta.get("crawl_delay")
        if delay:
            self._floors[key] = max(self._floors.get(key, 0.0), float(delay))
        self._raise(key)

    def response_downloaded(self, response: Response, request: Request) -> None:
        key = request.meta.get(Downloader.DOWNLOAD_SLOT)
        if key in self._floors:
            self._raise(key)

    def _raise(self, key: str) -> None:
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(key) if engine is not None else None
        if slot is None:
            return
        if key in self._floors:
            slot.delay = max(slot.delay, self._floors[key])
            slot.jitter = 0.0
        elif slot.delay <= 0:
            slot.delay = LEAST_DELAY
