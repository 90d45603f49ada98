"""Extension: the crawl process set up for a long run: its cycle collector and its loggers.

Garbage collection. At spider open, everything alive (Scrapy, Twisted, the settings, the site configs) is
moved out of the collector's sight with gc.freeze(): every full collection walked it
again. The first generation's threshold is raised from Python's 700 allocations: each
response makes thousands of short-lived objects, nearly all freed by reference counting.
Measured on 2,000 real pages (crawl-only, thread time in gc.callbacks): collections took
0.70-0.80 s with Python's defaults and 0.26 s with freeze and (10000, 10, 10), peak RSS
unchanged (159 MB); (50000, 20, 20) took 0.23 s but peaked 25 MB higher.

Logging. Scrapy sets the root logger to NOTSET and filters by LOG_LEVEL in its handler, so
the two DEBUG lines of every response ("Crawled", "Scraped from") were built as records
and then dropped: 0.31 s of a 2,000-page crawl. Scrapy's loggers now drop them unbuilt.
"""

from __future__ import annotations

import gc
import logging
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler


class ProcessTuning:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.threshold = crawler.settings.getint("NEWSARCHIVE_GC_THRESHOLD")
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_opened(self) -> None:
        scrapy_logger = logging.getLogger("scrapy")
        if scrapy_logger.level == logging.NOTSET:  # (a level set on purpose stays)
            scrapy_logger.setLevel(self.crawler.settings.get("LOG_LEVEL") or logging.DEBUG)
        if self.threshold <= 0:  # 0: Python's defaults
            return
        gc.collect()  # what start-up left as garbage is not frozen with the rest
        gc.freeze()
        gc.set_threshold(self.threshold, 10, 10)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("newsarchive/gc_frozen_objects", gc.get_freeze_count())
