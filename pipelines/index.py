"""Item pipeline: apply each capture to the SQLite index, through the same function a rebuild uses.

Pages are applied in groups: each page in a savepoint of its own (it lands whole or not at
all), the group in one transaction, committed once NEWSARCHIVE_INDEX_COMMIT_INTERVAL seconds
have passed since its first page (and when the crawl closes). A commit per page cost ~0.8 ms
of the crawl process's CPU more per page (FTS5 writes a segment per commit); a crash loses
at most the last interval's rows, which the WARC files hold (`newsarchive index` adds them).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any, Self

from scrapy.crawler import Crawler
from twisted.internet import task

from archive.index import CaptureError, apply_capture, transaction
from crawler.items import PageItem
from crawler.session import ArchiveSession

logger = logging.getLogger(__name__)


class IndexPipeline:
    def __init__(self, crawler: Crawler, clock: Callable[[], float] = time.monotonic):
        self.session = ArchiveSession.of(crawler)
        self.stats = crawler.stats
        self.interval = crawler.settings.getfloat("NEWSARCHIVE_INDEX_COMMIT_INTERVAL")
        self.clock = clock
        # (url, capture docs) of the pages not yet written; the item itself (its body) is not kept.
        self.pending: list[tuple[str, list[Any]]] = []
        self.since: float | None = None
        self.timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        if self.interval > 0:
            # Pages that arrive slowly (or the last ones before a pause) are written all the same,
            # at most a quarter interval late.
            self.timer = task.LoopingCall(self.commit_if_due)
            self.timer.start(self.interval / 4, now=False)

    def close_spider(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        self.commit()

    def process_item(self, item: PageItem) -> PageItem:
        if self.since is None:
            self.since = self.clock()
        self.pending.append((item.url, item.capture_docs))
        self.commit_if_due()
        return item

    def commit_if_due(self) -> None:
        if self.since is not None and self.clock() - self.since >= self.interval:
            self.commit()

    def commit(self) -> None:
        """Write the pending pages in one transaction. Never raises: it also runs from a timer."""
        pages, self.pending, self.since = self.pending, [], None
        if not pages:
            return
        db = self.session.index
        try:
            with transaction(db):
                for url, docs in pages:
                    self._apply_page(db, url, docs)
        except sqlite3.Error as exc:
            # "database or disk is full", or the commit itself failed: the WARC has these
            # pages; `newsarchive index` adds them.
            self._inc("newsarchive/index/not_indexed", len(pages))
            what = f"the index rows of {pages[0][0]}" + (
                f" and {len(pages) - 1} other pages" if len(pages) > 1 else "")
            self.session.storage_failed(exc, what)

    def _apply_page(self, db: Any, url: str, docs: list[Any]) -> None:
        try:
            with transaction(db):  # a savepoint: a page that fails undoes only itself
                for doc in docs:
                    apply_capture(db, doc)
        except sqlite3.OperationalError:
            raise  # the disk, the file or its lock: SQLite may have undone the whole group
        except CaptureError as exc:
            self._inc("newsarchive/index/not_indexed")
            logger.error("not indexed: %s: %s", url, exc)
        except Exception:  # a constraint the page breaks, a bug: that page alone
            self._inc("newsarchive/index/not_indexed")
            logger.exception("not indexed: %s", url)
        else:
            self._inc("newsarchive/index/pages")

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)
