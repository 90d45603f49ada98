"""Item pipeline: extract each article in the worker pool, never in the reactor thread."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Self

from scrapy.crawler import Crawler

from archive.capture import adopted_canonical, hints_from_discovery, outcome_for
from crawler.items import PageItem
from crawler.session import ArchiveSession

logger = logging.getLogger(__name__)

def adopt_canonical(item: PageItem, declared: str, is_article: Callable[[str], bool]) -> None:
    """Store the article under the URL its rel=canonical declares, when adopted_canonical
    takes it (as re-extraction does); the URL it was fetched by becomes an alias."""
    target = adopted_canonical(item.url, item.canonical_url, declared, is_article)
    if target is not None:
        item.aliases.append(item.canonical_url)
        item.canonical_url = target


class ExtractionPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.session = ArchiveSession.of(crawler)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        _ = self.session.pool  # the workers start and warm up while the first pages download

    async def process_item(self, item: PageItem) -> PageItem:
        if item.kind != "article" or item.outcome != "article" or item.body is None:
            return item
        fetched_at = item.captures[-1].fetched_at if item.captures else item.fetched_at
        hints = hints_from_discovery(item.discovery, item.last_modified, fetched_at)
        future = self.session.pool.submit(item.body, item.url, hints)
        result = await asyncio.wrap_future(future)
        item.article = result.to_dict()
        item.outcome = outcome_for(result.status)
        item.reason = result.reason
        if result.status == "ok" and result.canonical_url:
            site = getattr(self.crawler.spider, "site", None)
            adopt_canonical(item, result.canonical_url, site.is_article if site else lambda _: True)
        item.body = None  # the WARC has it; do not carry it through the other pipelines
        if item.outcome != "article":
            logger.info("%s: %s (%s)", item.url, item.outcome.replace("_", " "), item.reason or "no reason")
        if self.stats:
            self.stats.inc_value(f"newsarchive/extraction/{result.status}")
        self._record_pool()
        return item

    def close_spider(self) -> None:
        self._record_pool()

    def _record_pool(self) -> None:
        """A broken pool, for the run's outcome: one that stays unusable ends it
        extraction_failed (crawler/extensions/runguard.py)."""
        pool = self.session.current_pool
        if self.stats is None or pool is None or not pool.breaks:
            return
        self.stats.set_value("newsarchive/extraction_pool_breaks", pool.breaks)
        if pool.unusable:
            self.stats.set_value("newsarchive/extraction_pool_unusable", pool.unusable)
