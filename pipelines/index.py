"""Item pipeline: apply each capture to the SQLite index, through the same function a rebuild uses."""

from __future__ import annotations

import sqlite3
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

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
        try:
            with transaction(self.session.index):
                for doc in item.capture_docs:
                    apply_capture(self.session.index, doc)
        except sqlite3.OperationalError as exc:
            # "database or disk is full": the WARC has the page; `newsarchive index` adds it later.
            self.session.storage_failed(exc, f"the index row of {item.url}")
            raise DropItem(f"not indexed: {exc}") from exc
        return item
