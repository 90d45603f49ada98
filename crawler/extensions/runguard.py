"""Extension: records each crawl in `crawl_runs` (and its end in the WARC files) and turns a run
that fetched nothing (or nothing from an origin whose robots.txt could not be read, or a host
that turned it away) into a failure."""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import sqlite3
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from archive.index import finish_run, start_run
from archive.index.leases import (
    Lease,
    LeaseHeld,
    lease_holder,
    release_lease,
    renew_lease,
    take_lease,
)
from archive.index.runrecords import write_run_record
from archive.index.runs import get_run, record_run_position
from crawler.session import ArchiveSession

logger = logging.getLogger(__name__)
# Seconds a hand-started crawl's lease lasts without renewal (renewed every quarter of it).
LEASE_TTL = 120.0
# The close reason (and outcome) of a hand-started crawl whose lease somebody else took.
LEASE_LOST = "lease_lost"


def run_outcome(reason: str, stats: dict[str, Any]) -> str:
    if reason in ("storage_error", "already_running", LEASE_LOST):
        return reason
    if stats.get("newsarchive/storage_error"):
        return "storage_error"  # found while the spider closed (ArchiveSession.storage_failed)
    if not stats.get("downloader/request_count") or not answered(stats):
        return "failed"
    if reason == "finished":
        # Its extraction pool broke beyond the restart it gets: its pages are archived, but the
        # later ones were not extracted (ExtractionPool).
        if stats.get("newsarchive/extraction_pool_unusable"):
            return "extraction_failed"
        # An origin that answered, but not with its robots.txt, was not crawled (RFC 9309).
        if stats.get("newsarchive/robots_unreachable"):
            return "robots_unreachable"
        # A host that turned us away (429/503, failed connections) until it was given up
        # (RetryAfterMiddleware).
        return "host_unavailable" if stats.get("newsarchive/hosts_unavailable") else "ok"
    return "interrupted" if reason == "shutdown" else reason


def answered(stats: dict[str, Any]) -> bool:
    """Whether the site answered at all. An origin whose robots.txt answered only with
    redirects (a loop) counts: Scrapy's response_received_count leaves out the redirects it
    followed, and the run was "failed", the site said to be down."""
    return bool(stats.get("response_received_count") or stats.get("newsarchive/robots_unreachable"))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_kb(usage: resource.struct_rusage) -> int:
    """This process's own peak RSS. ru_maxrss survives exec on Linux: a crawl started by a big
    parent would report the parent's size. VmHWM belongs to the process image itself."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return usage.ru_maxrss


class RunGuard:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.session = ArchiveSession.of(crawler)
        # A scheduled crawl gets its crawl_runs row from the scheduler, which records the run's
        # end itself when this process dies before spider_closed.
        self.given_run_id = crawler.settings.getint("NEWSARCHIVE_RUN_ID") or None
        self.run_id: int | None = None
        # The run's site and start as its crawl_runs row has them: its WARC record names it so.
        self.site = ""
        self.started: str | None = None
        self.lease: Lease | None = None
        self._renewal: task.LoopingCall | None = None
        self._closing: object = None
        self._finished = False  # the run's end is recorded
        # Scrapy closes a spider whose start failed (a pipeline's open_spider raised) without
        # sending spider_opened: it made no request because it never began.
        self._opened = False
        # CPU spent before the spider opened is start-up (imports, Scrapy's own set-up): a
        # constant, reported apart from what each page costs.
        self._cpu_at_open = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        guard = cls(crawler)
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_opened(self, spider: Spider) -> None:
        self._opened = True
        self._cpu_at_open = cpu_seconds()
        from twisted.internet import reactor

        # (The zope interface's signature has no self: mypy reads "before" as the phase's slot.)
        reactor.addSystemEventTrigger(
            "before", "shutdown", self._stopped_before_close, spider)  # type: ignore[arg-type]
        if self.given_run_id is not None:
            # The scheduler holds the lease for this run. Its end is ours to record all the
            # same, a stop in the moment before the engine starts included (the trigger above):
            # the scheduler, seeing no end recorded, called such a run failed, without stats.
            self.run_id = self.given_run_id
            try:
                run = get_run(self.session.index, self.run_id)
            except sqlite3.Error as exc:
                logger.warning("cannot read run %s in the index (%s): its end will be recorded "
                               "there only, not in the WARC files", self.run_id, exc)
                run = None
            if run is not None:
                self.site, self.started = run.site, run.started
            return
        # A crawl started by hand takes the same lease as a scheduled one: never two at once.
        try:
            self.lease = take_lease(self.session.index, f"crawl:{spider.name}", LEASE_TTL)
            started = datetime.now(UTC).isoformat()
            self.run_id = start_run(self.session.index, spider.name, started)
            self.site, self.started = spider.name, started
            # Our own pid as the lease's crawl pid: on this host a lease whose crawl is alive
            # is never taken over, expired or not. Without it a crawl suspended (Ctrl-Z, a
            # stalled disk) past LEASE_TTL lost its lease to the scheduler, which recorded
            # the run failed and started a second crawl of the site beside it.
            renew_lease(self.session.index, self.lease, LEASE_TTL, child_pid=os.getpid(),
                        run_id=self.run_id)
        except LeaseHeld as held:
            logger.error("another crawl of %s is running (%s): not starting this one",
                         spider.name, held.holder.owner)
            self._not_started(spider, "already_running")
            return
        except sqlite3.Error as exc:
            # A full disk or an index locked past the busy timeout: the crawl ran on with
            # neither a lease (a second crawl could start beside it) nor a crawl_runs row.
            logger.error("cannot take the lease of %s in the index (%s): not starting this crawl",
                         spider.name, exc)
            if self.lease is not None:
                with contextlib.suppress(sqlite3.Error):
                    release_lease(self.session.index, self.lease)
                self.lease = None
            self._not_started(spider, "storage_error")
            return
        self._renewal = task.LoopingCall(self._renew)
        self._renewal.start(LEASE_TTL / 4, now=False)

    def _not_started(self, spider: Spider, reason: str) -> None:
        spider.not_started = True  # type: ignore[attr-defined]
        assert self.crawler.engine is not None
        self._closing = deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

    def _stopped_before_close(self, spider: Spider) -> None:
        """The reactor stops and spider_closed never came: a stop signal landed in the moment
        between the spider's opening and the engine's start, and Scrapy then closes nothing.
        The run stayed "running" and its lease held by a dead pid until the site's next crawl."""
        if self.run_id is None or self._finished:
            return  # closed, or never started
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("newsarchive/outcome", "interrupted")
        self._finish("interrupted", {"newsarchive/failure": "stopped before the crawl began",
                                     **self.crawler.stats.get_stats()})

    def _archive_run(self, finished: str, outcome: str, stats: dict[str, Any]) -> None:
        """The run's end as a WARC record, so that an index built from the WARC files alone
        has the run. Written after the index row and while the session's writer is still
        open (it closes at engine_stopped, after spider_closed); a record that cannot be
        written costs neither the row nor the outcome."""
        assert self.run_id is not None  # _finish archives only a run it started
        writer = self.session.current_writer
        if self.started is None or writer is None:
            # Stopped before its WARC file was opened, or its row unreadable: the index alone
            # has the run (`newsarchive index --rebuild` carries it over).
            logger.warning("the end of run %s is recorded in the index only, not in the WARC "
                           "files", self.run_id)
            return
        try:
            position = write_run_record(writer, self.site, self.started, finished, outcome, stats)
        except OSError as exc:  # a full disk
            logger.error("could not write the end of run %s to the WARC files (%s): the index "
                         "has it (`newsarchive index --rebuild` carries it over)", self.run_id, exc)
            return
        try:
            record_run_position(self.session.index, self.run_id, position)
        except sqlite3.Error as exc:
            logger.warning("could not record where the WARC record of run %s is (%s): "
                           "`newsarchive index --rebuild` finds it", self.run_id, exc)

    def _renew(self) -> None:
        if self.lease is None:
            return
        try:
            kept = renew_lease(self.session.index, self.lease, LEASE_TTL)
        except sqlite3.Error as exc:  # busy or full: the next renewal tries again
            logger.warning("could not renew the crawl lease: %s", exc)
            return
        if not kept:
            # Another process holds the site's lease now (taken on another host after it
            # expired, or deleted by hand): it may be crawling the site already. Two crawls
            # of one site must not run on, so this one stops, cleanly.
            logger.error("lost the lease of %s to %s: stopping this crawl", self.lease.name,
                         self._holder_now())
            self.lease = None  # no longer ours: neither renewed nor released from now on
            assert self.crawler.engine is not None
            self._closing = deferred_from_coro(self.crawler.engine.close_spider_async(reason=LEASE_LOST))

    def _holder_now(self) -> str:
        assert self.lease is not None
        with contextlib.suppress(sqlite3.Error):
            holder = lease_holder(self.session.index, self.lease.name)
            if holder is not None:
                return holder.owner
        return "nobody (its row is gone)"

    def _scheduler_lost_lease(self) -> bool:
        """Whether this scheduled crawl's lease (its scheduler's) is no longer its run's: its
        row deleted or taken by another crawl. The scheduler then stopped it (JobRunner)."""
        if self.given_run_id is None or not self.site:
            return False
        try:
            holder = lease_holder(self.session.index, f"crawl:{self.site}")
        except sqlite3.Error:
            return False  # the scheduler records lease_lost over our row all the same
        if holder is not None and holder.run_id == self.given_run_id:
            return False
        logger.error("the scheduler of run %s lost the lease of %s (now held by %s): stopping",
                     self.given_run_id, self.site, holder.owner if holder else "nobody")
        return True

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        # The crawl process alone (extraction workers are separate): what the reactor costs.
        cpu = cpu_seconds()
        self.crawler.stats.set_value("newsarchive/main_cpu_seconds", round(cpu, 3))
        self.crawler.stats.set_value("newsarchive/main_cpu_seconds_open", round(cpu - self._cpu_at_open, 3))
        self.crawler.stats.set_value("newsarchive/main_peak_rss_kb", peak_rss_kb(usage))
        if reason == "shutdown" and self._scheduler_lost_lease():
            # The scheduler stops its crawl with SIGTERM, as it does when the service stops:
            # recorded `interrupted`, this crawl's WARC record said so, and an index built
            # from the WARC files had the run to be crawled again, not `lease_lost`.
            reason = LEASE_LOST
            self.crawler.stats.set_value("newsarchive/failure", "its scheduler lost the lease: stopped")
        stats = self.crawler.stats.get_stats()
        outcome = run_outcome(reason, stats)
        if reason in ("storage_error", "already_running", LEASE_LOST) or not self._opened:
            pass  # said when it happened; "sent no request at all" would blame the config
        elif not stats.get("downloader/request_count"):
            logger.error("crawl of %s sent no request at all: check its feeds, sitemaps and start_urls",
                         spider.name)
        elif not answered(stats):
            logger.error("crawl of %s got no response at all: is the site (or the network) down?",
                         spider.name)
        for unread in stats.get("newsarchive/robots_unreachable") or []:
            logger.error("crawl of %s: nothing fetched from %s: its robots.txt could not be read "
                         "(it answered 5xx or 429, cut it short, or redirected more than five "
                         "times), and RFC 9309 then allows "
                         "nothing",
                         spider.name, unread)
        if stats.get("newsarchive/extraction_pool_unusable"):
            logger.error("crawl of %s: its extraction pool broke for good (%s): the pages after "
                         "that are archived but not extracted; `newsarchive index --rebuild "
                         "--reextract` extracts them", spider.name,
                         stats["newsarchive/extraction_pool_unusable"])
        whys = stats.get("newsarchive/hosts_unavailable_why") or {}
        for host in stats.get("newsarchive/hosts_unavailable") or []:
            why = whys.get(host, f"{host} answered 429 or 503, or its connections failed")
            logger.error("crawl of %s: %s turned the crawl away (%s) until it was given up: the "
                         "rest of it was not fetched this run", spider.name, host,
                         why.removeprefix(f"{host} "))
        self.crawler.stats.set_value("newsarchive/outcome", outcome)
        self._finish(outcome, stats)

    def _finish(self, outcome: str, stats: dict[str, Any]) -> None:
        """Record the run's end (in the index, then in the WARC files) and give its lease
        back (once)."""
        self._finished = True
        if self.run_id is not None:
            finished = datetime.now(UTC).isoformat()
            summary = {
                "pages": stats.get("response_received_count", 0),
                "articles": stats.get("newsarchive/extraction/ok", 0),
                "errors": stats.get("log_count/ERROR", 0),
            }
            try:
                finish_run(self.session.index, self.run_id, finished, outcome, {**summary, **stats})
            except sqlite3.Error as exc:  # a full disk: the run stays "running" in the index
                logger.error("could not record the end of run %s: %s", self.run_id, exc)
            self._archive_run(finished, outcome, {**summary, **stats})
        if self._renewal is not None and self._renewal.running:
            self._renewal.stop()
        self._renewal = None
        if self.lease is not None:
            with contextlib.suppress(sqlite3.Error):  # a lease left behind goes stale with our pid
                release_lease(self.session.index, self.lease)
            self.lease = None
