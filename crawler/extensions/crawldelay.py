"""Extension: a robots.txt Crawl-delay kept as the least delay of its host's downloader slot."""

from __future__ import annotations

from typing import Self

from scrapy import Request, signals
from scrapy.core.downloader import Downloader
from scrapy.crawler import Crawler
from scrapy.http import Response


class CrawlDelay:
    """The spider puts an origin's Crawl-delay in each request's meta (`crawl_delay`, already
    capped at NEWSARCHIVE_CRAWL_DELAY_MAX). Scrapy's slot waits `slot.delay` between requests,
    ±50% at random, and AutoThrottle sets that delay again after every response, down to
    DOWNLOAD_DELAY: the floor is put back in both places, without the randomness (half the
    Crawl-delay is not what the site asked for). Scrapy internals, pinned at 2.19.0."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._floors: dict[str, float] = {}  # slot key -> least delay
        crawler.signals.connect(self.request_reached_downloader, signal=signals.request_reached_downloader)
        # Connected after AutoThrottle's (EXTENSIONS order): it runs after its adjustment.
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def request_reached_downloader(self, request: Request) -> None:
        delay = request.meta.get("crawl_delay")
        key = request.meta.get(Downloader.DOWNLOAD_SLOT)
        if delay and key is not None:
            self._floors[key] = max(self._floors.get(key, 0.0), float(delay))
            self._raise(key)

    def response_downloaded(self, response: Response, request: Request) -> None:
        key = request.meta.get(Downloader.DOWNLOAD_SLOT)
        if key in self._floors:
            self._raise(key)

    def _raise(self, key: str) -> None:
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(key) if engine is not None else None
        if slot is not None:
            slot.delay = max(slot.delay, self._floors[key])
            slot.jitter = 0.0
