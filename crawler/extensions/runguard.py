"""Extension: records each crawl in `crawl_runs` and turns a run that fetched nothing into a failure."""

from __future__ import annotations

import logging
import resource
import sqlite3
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from archive.index import finish_run, start_run
from crawler.session import ArchiveSession

logger = logging.getLogger(__name__)


def run_outcome(reason: str, stats: dict[str, Any]) -> str:
    if reason == "storage_error":
        return "storage_error"
    if not stats.get("downloader/request_count") or not stats.get("response_received_count"):
        return "failed"
    if reason == "finished":
        return "ok"
    return "interrupted" if reason == "shutdown" else reason


class RunGuard:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.session = ArchiveSession.of(crawler)
        # A scheduled crawl gets its crawl_runs row from the scheduler, which records the run's
        # end itself when this process dies before spider_closed.
        self.given_run_id = crawler.settings.getint("NEWSARCHIVE_RUN_ID") or None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        guard = cls(crawler)
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_opened(self, spider: Spider) -> None:
        if self.given_run_id is not None:
            self.run_id = self.given_run_id
            return
        self.run_id = start_run(self.session.index, spider.name, datetime.now(UTC).isoformat())

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        # The crawl process alone (extraction workers are separate): what the reactor costs.
        cpu = round(usage.ru_utime + usage.ru_stime, 3)
        self.crawler.stats.set_value("newsarchive/main_cpu_seconds", cpu)
        self.crawler.stats.set_value("newsarchive/main_peak_rss_kb", usage.ru_maxrss)
        stats = self.crawler.stats.get_stats()
        outcome = run_outcome(reason, stats)
        if not stats.get("downloader/request_count"):
            logger.error("crawl of %s sent no request at all: check its feeds, sitemaps and start_urls",
                         spider.name)
        elif not stats.get("response_received_count"):
            logger.error("crawl of %s got no response at all: is the site (or the network) down?",
                         spider.name)
        self.crawler.stats.set_value("newsarchive/outcome", outcome)
        if self.run_id is not None:
            summary = {
                "pages": stats.get("response_received_count", 0),
                "articles": stats.get("newsarchive/extraction/ok", 0),
                "errors": stats.get("log_count/ERROR", 0),
            }
            try:
                finish_run(self.session.index, self.run_id, datetime.now(UTC).isoformat(), outcome,
                           {**summary, **stats})
            except sqlite3.Error as exc:  # a full disk: the run stays "running" in the index
                logger.error("could not record the end of run %s: %s", self.run_id, exc)
