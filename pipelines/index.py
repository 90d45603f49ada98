"""Item pipeline: apply each capture to the SQLite index, through the same function a rebuild uses."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler

from archive.index import apply_capture, transaction
from crawler.items import PageItem
from crawler.session import ArchiveSession


class IndexPipeline:
    def __init__(self, crawler: Crawler):
        self.session = ArchiveSession.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: PageItem) -> PageItem:
        # A page's whole chain (retries, then the final capture) lands in one transaction.
        with transaction(self.session.index):
            for doc in item.capture_docs:
                apply_capture(self.session.index, doc)
        return item
