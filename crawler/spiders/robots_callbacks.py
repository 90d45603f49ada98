"""The news spider's robots.txt callbacks: the rules read (or not: then nothing from that
origin, RFC 9309), and the requests that waited for them released."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.middlewares.guard import RefusedRequest
from crawler.robots import origin
from crawler.spiders.responses import cut_short

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.utils.log import SpiderLoggerAdapter

    from crawler.items import PageItem
    from crawler.spiders.frontier import Frontier

# The kinds of request that are discovery documents, counted open until read.
DOCUMENTS = ("feed", "sitemap")


def _redirects_given_up(failure: Failure) -> int:
    """How many redirects a robots.txt request followed before Scrapy gave it up (0: it
    failed otherwise). Scrapy's RedirectMiddleware raises a bare IgnoreRequest then."""
    request = failure.request  # type: ignore[attr-defined]
    if type(failure.value) is not IgnoreRequest or not request.meta.get("redirect_urls"):
        return 0
    return int(request.meta.get("redirect_times", 0))


class RobotsCallbacks:
    """NewsSpider's robots.txt callbacks (a mixin: it uses the spider's frontier and requests)."""

    crawler: Crawler

    if TYPE_CHECKING:  # the spider's, declared for the type checker
        @property
        def frontier(self) -> Frontier: ...
        @property
        def logger(self) -> SpiderLoggerAdapter: ...
        @property
        def _crawl_delay_max(self) -> float: ...
        def _item(self, response: Response, kind: str, outcome: str | None = None) -> PageItem: ...
        def _refused(self, url: str, kind: str, reason: str) -> PageItem: ...
        def _if_allowed(self, request: Request) -> Iterator[Any]: ...
        def _document_done(self) -> Iterator[Any]: ...
        def on_error(self, failure: Failure) -> Iterable[Any]: ...

    def parse_robots(self, response: Response) -> Iterable[Any]:
        asked = response.meta["robots_origin"]
        # Only part of the file (a lost connection with DOWNLOAD_FAIL_ON_DATALOSS off, or a 206
        # answer): rules cut short may have lost their Disallow lines. As an unreachable
        # robots.txt: nothing. (One cut at NEWSARCHIVE_MAX_BODY holds far more than the
        # 500 KiB that learn() reads.)
        cut = cut_short(response) if "download_stopped" not in response.flags else None
        if cut is not None and self.frontier.robots.read_before(asked):
            self._keep_rules(asked, f"cut short by the server ({cut})")
        elif cut is not None:
            self.logger.warning("robots.txt at %s cut short by the server (%s): not crawling "
                                "that origin", response.url, cut)
            self._robots_unread(asked)
        else:
            self._learn(asked, response.body)
            self._log_crawl_delay(asked)
        yield self._item(response, "robots")
        for request in self.frontier.release(asked):
            yield from self._if_allowed(request)

    def on_robots_error(self, failure: Failure) -> Iterable[Any]:
        request = failure.request  # type: ignore[attr-defined]
        asked = request.meta["robots_origin"]
        response = failure.value.response if isinstance(failure.value, HttpError) else None
        if isinstance(failure.value, RefusedRequest):
            # The origin itself is refused (SSRF): so is everything waiting for it.
            yield from self.on_error(failure)
            for held in self.frontier.release(asked):
                self.frontier.scheduled -= 1
                yield self._refused(held.url, held.meta["kind"], f"refused {held.url}: {failure.value}")
                if held.meta["kind"] in DOCUMENTS:
                    yield from self._document_done()
            return
        redirects = _redirects_given_up(failure)
        if response is not None and 400 <= response.status < 500 and response.status != 429:
            self._learn(asked, None)
        elif self.frontier.robots.read_before(asked):
            self._keep_rules(asked, f"answered {response.status}" if response is not None
                             else f"redirected more than {redirects} times" if redirects
                             else f"unreachable: {failure.getErrorMessage()}")
        elif redirects:
            # The origin answered, with redirects only (a loop): as a 5xx, its rules unread.
            self.logger.warning("robots.txt at %s redirected more than %d times: not crawling "
                                "that origin", request.meta["redirect_urls"][0], redirects)
            self._robots_unread(asked)
        elif response is not None:
            # 429 too: the site asks us to slow down, it does not say it has no rules (Google
            # takes it as a 5xx); read as "allow all", the whole site was crawled, rules unread.
            self.logger.warning("robots.txt at %s answered %d: not crawling that origin",
                                request.url, response.status)
            self._robots_unread(asked)
        else:
            # No answer at all: the origin is down, and a run with no other answer fails as
            # such (RunGuard); one host of several down is its fetch errors, as without robots.
            self.logger.warning("robots.txt unreachable at %s: not crawling that origin", request.url)
            self.frontier.robots.forbid_all(asked)
        yield from self.on_error(failure)
        for held in self.frontier.release(asked):
            yield from self._if_allowed(held)

    def _keep_rules(self, asked: str, why: str) -> None:
        """A re-reading (NEWSARCHIVE_ROBOTS_MAX_AGE) that failed: RFC 9309 2.4 allows the
        cached rules longer while robots.txt is unreachable."""
        kept = ("keeping the origin closed, as since its first reading failed"
                if self.frontier.robots.unreachable(asked) else "keeping the rules read")
        self.logger.warning("robots.txt of %s could not be read again (%s): %s %.0f s ago",
                            origin(asked), why, kept, self.frontier.robots.age(asked))
        self.frontier.robots.keep(asked)

    def _learn(self, asked: str, body: bytes | None) -> None:
        """Rules read (None: none to read). A re-reading that succeeds after a first one failed
        opens the origin again, and the run no longer ends robots_unreachable for it."""
        self.frontier.robots.learn(asked, body)
        stats = self.crawler.stats
        unread = stats.get_value("newsarchive/robots_unreachable") if stats else None
        if stats and unread and origin(asked) in unread:
            stats.set_value("newsarchive/robots_unreachable", [o for o in unread if o != origin(asked)])

    def _robots_unread(self, asked: str) -> None:
        """The origin answered, but not its rules: nothing more from it (RFC 9309 2.3.1.4).
        Listed in the stats for RunGuard: the run ended `ok` with the site not crawled, a
        robots_disallowed count its only trace."""
        self.frontier.robots.forbid_all(asked)
        if self.crawler.stats:
            unread = self.crawler.stats.get_value("newsarchive/robots_unreachable", [])
            self.crawler.stats.set_value("newsarchive/robots_unreachable",
                                         sorted({*unread, origin(asked)}))

    def _log_crawl_delay(self, asked: str) -> None:
        delay = self.frontier.robots.crawl_delay(asked)
        if delay is None:
            return
        if delay > self._crawl_delay_max:
            self.logger.warning("robots.txt of %s asks for a Crawl-delay of %g s: waiting "
                                "NEWSARCHIVE_CRAWL_DELAY_MAX (%g s) between its requests instead",
                                origin(asked), delay, self._crawl_delay_max)
        else:
            self.logger.info("robots.txt of %s asks for a Crawl-delay of %g s: kept", origin(asked), delay)
