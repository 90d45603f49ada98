"""How the news spider hands Scrapy the articles its feeds and sitemaps named: a few at a time,
as the crawl has room for them, from start(), which stays open until they are all out.

When the last feed or sitemap was read, every article it named became a Request at once, all
of them queued in Scrapy's scheduler: ~2 KB of memory each until fetched, 190 MB by the
2,000th page of a 16,000-article sitemap (issue 4). Which articles are requested is still
decided then, all at once (dedup, `since`, robots.txt, max_pages: the budget goes to what the
feeds and sitemaps listed, before the links their articles add): only the Request is made
later. robots.txt is asked again as it is (a rule re-read after NEWSARCHIVE_ROBOTS_MAX_AGE
applies to the articles not yet out). As start() output they go without a Referer (it was the
last feed or sitemap read, whichever named them) and at Scrapy's depth 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals

from crawler.robots import origin

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.utils.log import SpiderLoggerAdapter

    from crawler.spiders.frontier import Frontier

# Released articles the scheduler may hold per request sent at once (CONCURRENT_REQUESTS):
# enough that the downloader never waits for the next one.
RELEASE_AHEAD = 4
# How long the release waits for news before it looks again: a robots.txt read (its held
# requests out), a stalled discovery. A request leaving the scheduler wakes it at once.
_POLL = 0.25


class ArticleRelease:
    """NewsSpider's release of the articles (a mixin: it uses the spider's frontier and requests)."""

    crawler: Crawler
    _releasing = False  # start() is releasing the articles: _document_done leaves them to it
    _room_event: asyncio.Event | None = None
    # Released articles not yet out of the scheduler (weakly: one dropped on a way no signal
    # tells, refused before the downloader, is gone with its last reference).
    _queued: weakref.WeakSet[Request]

    if TYPE_CHECKING:  # the spider's, declared for the type checker
        @property
        def frontier(self) -> Frontier: ...
        @property
        def logger(self) -> SpiderLoggerAdapter: ...
        def _start_pages(self) -> Iterator[Any]: ...
        def _release(self, url: str, depth: int, meta: dict[str, Any]) -> Iterator[Any]: ...

    async def _released(self) -> AsyncIterator[Any]:
        """The articles decided when discovery ended, one by one while fewer than its bound of
        them wait in the scheduler, then the start pages (after them, as their priority said when they were
        queued together). Open, start() keeps the spider from closing as idle."""
        self._releasing = True  # (set by start() already, before its seeds)
        self._room_event = asyncio.Event()
        self._queued = weakref.WeakSet()
        self.crawler.signals.connect(self._wake, signal=signals.request_reached_downloader)
        self.crawler.signals.connect(self._wake, signal=signals.request_dropped)
        try:
            frontier = self.frontier
            idle = 0  # looks in a row that found the crawl idle but for the release
            while True:
                self._room_event.clear()
                if frontier.open_documents == 0 and not frontier.ready:
                    for output in self._start_pages():
                        yield output
                    return
                # The last first: Scrapy queues start() output first in, first out, and what
                # callbacks yield last in, first out; fetched in the order they were when all
                # were yielded at once from the callback (the last named first). While its
                # origin's robots.txt is asked for (read again), an article waits: released,
                # it would be held, and all the others after it.
                if (frontier.open_documents == 0 and self._room()
                        and origin(frontier.ready.last_url()) not in frontier.held):
                    url, depth, meta = frontier.ready.pop()
                    idle = 0
                    try:
                        requests = list(self._release(url, depth, meta))
                    except Exception:  # one article nobody foresaw costs only itself
                        self.logger.exception("requesting %s failed", url)
                        continue
                    for request in requests:
                        if isinstance(request, Request) and request.meta.get("kind") == "article":
                            self._queued.add(request)
                        yield request
                    continue
                idle = idle + 1 if self._stalled() else 0
                if idle > 1:
                    # Nothing in flight will ever close the documents still open, or read the
                    # robots.txt waited for: the crawl ends, those articles not requested.
                    # (Twice, a wait apart: a response is out of the downloader a moment
                    # before the scraper has it.)
                    waited = (f"{frontier.open_documents} feeds or sitemaps never read"
                              if frontier.open_documents else "robots.txt never read")
                    self.logger.warning("%d articles not requested: %s", len(frontier.waiting_articles)
                                        + len(frontier.ready), waited)
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._room_event.wait(), _POLL)
        finally:
            self._releasing = False
            self.crawler.signals.disconnect(self._wake, signal=signals.request_reached_downloader)
            self.crawler.signals.disconnect(self._wake, signal=signals.request_dropped)

    def _wake(self, request: Request | None = None) -> None:
        if request is not None:
            self._queued.discard(request)
        if self._room_event is not None:
            self._room_event.set()

    def _room(self) -> bool:
        """Is the scheduler short of released articles? Counted among all it holds, the pages
        a sitemap listed (or their links) kept the articles back until they had all gone out,
        though a page's priority is below an article's."""
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        if scheduler is None:
            return False
        return (len(self._queued) < RELEASE_AHEAD * self.crawler.settings.getint("CONCURRENT_REQUESTS")
                or not scheduler.has_pending_requests())

    def _stalled(self) -> bool:
        """Is the crawl idle but for the release? (Scrapy's own test, less start().)"""
        engine = self.crawler.engine
        if engine is None or engine.scheduler is None or engine.scraper.slot is None:
            return False
        return (engine.scraper.slot.is_idle() and not engine.downloader.active
                and not engine.scheduler.has_pending_requests())
