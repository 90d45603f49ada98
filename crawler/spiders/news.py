"""The news spider: discovers articles from feeds, sitemaps and section pages of one configured site."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from archive.config import SiteConfig, rebase
from archive.discovery import DiscoveredLink, FeedError, SitemapError, parse_feed, parse_sitemap
from archive.discovery.sitemaps import MAX_SITEMAP_URLS
from archive.urls import canonical_url, with_ascii_host
from crawler.items import PageItem
from crawler.middlewares.capture import attempt_of
from crawler.middlewares.guard import RefusedRequest
from crawler.robots import MAX_ROBOTS_REDIRECTS, origin
from crawler.session import ArchiveSession
from crawler.settings import user_agent
from crawler.spiders.found import ArticleQueue
from crawler.spiders.frontier import Frontier, already_archived
from crawler.spiders.redirects import RedirectHops
from crawler.spiders.release import ArticleRelease
from crawler.spiders.responses import as_sent, cut_short, failure_reason, header
from crawler.spiders.robots_callbacks import DOCUMENTS, RobotsCallbacks

# Discovery documents first: they carry dates that decide what `since` skips.
_PRIORITY = {"robots": 100, "feed": 20, "sitemap": 20, "article": 0, "page": -10}
_REDIRECTS = [301, 302, 303, 307, 308]


class NewsSpider(ArticleRelease, RedirectHops, RobotsCallbacks, Spider):
    site: SiteConfig  # set on each per-site subclass by the spider loader

    def __init__(self, *args: Any, base_url: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if base_url is not None:
            # `-a base_url=http://127.0.0.1:PORT`: the same site served elsewhere (the demo site).
            self.site = rebase(self.site, base_url)
        self._frontier: Frontier | None = None
        self._pages_started = False

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # settings.py built USER_AGENT from the environment's contact when it was imported: a
        # contact given as a setting (-s, schedule.toml) never reached the requests. A
        # USER_AGENT set above the project's own settings stays as given. (At "spider"
        # priority: Scrapy applies the process's settings to the crawler again, and the
        # project's USER_AGENT would win back at "project".)
        if (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["project"]:
            contact = str(settings.get("NEWSARCHIVE_CONTACT") or "")
            settings.set("USER_AGENT", user_agent(contact), priority="spider")

    @classmethod
    def handles_request(cls, request: Request) -> bool:
        return cls.site.on_site(request.url)

    @property
    def frontier(self) -> Frontier:
        if self._frontier is None:
            # (The default again: a spider built without the project's settings read 0, and
            # asked for robots.txt before every request.)
            max_age = self.settings.getfloat("NEWSARCHIVE_ROBOTS_MAX_AGE", 86400.0)
            self._frontier = Frontier(self.site, self.settings.get("USER_AGENT", "newsarchive"),
                                      robots_max_age=max_age)
        return self._frontier

    async def start(self) -> AsyncIterator[Any]:
        if getattr(self, "not_started", False):  # another crawl of this site holds the lease
            return
        sites_dir = Path(self.settings.get("NEWSARCHIVE_SITES") or "config/sites")
        self.frontier.archived = already_archived(self.site, sites_dir, ArchiveSession.of(self.crawler).index)
        self._releasing = True  # a feed read before the last seed is out leaves its articles to it
        # Feeds and sitemaps first, pages once they are all read: their dates decide what
        # `since` skips, whichever source links an article.
        for url, kind in self.site.seeds:
            if kind != "page":
                for output in self._request(url, kind, depth=0):
                    yield output
        # Then the articles they name, as the crawl has room for them, and the start pages.
        async for output in self._released():
            yield output

    def _start_pages(self) -> Iterator[Any]:
        if self._pages_started:
            return
        self._pages_started = True
        for url, kind in self.site.seeds:
            if kind == "page":
                yield from self._request(url, kind, depth=0)

    def _document_done(self) -> Iterator[Any]:
        """A feed or sitemap was read (or failed): after the last one, decide on the articles
        they named (every source's date, title and keywords now known), for start() to
        release as the crawl has room for them, then the start pages."""
        self.frontier.open_documents -= 1
        if self.frontier.open_documents > 0:
            return
        waiting = self.frontier.waiting_articles
        self.frontier.waiting_articles = ArticleQueue(canonical_meta=False)
        while waiting:
            canonical, depth, meta = waiting.popleft()
            # One article nobody foresaw (a date past year 9999 met `since`) cost all the
            # others and the start pages: this runs outside parse()'s guard.
            try:
                requests = list(self._request_article(canonical, depth, meta, later=True))
            except Exception:
                self.logger.exception("requesting %s failed", canonical)
                continue
            yield from requests
        self._wake()
        if not self._releasing:  # start() is over (or the spider driven by hand): all now
            while self.frontier.ready:
                yield from self._release(*self.frontier.ready.popleft())
            yield from self._start_pages()

    # -- scheduling -------------------------------------------------------------------

    def _request(
        self, url: str, kind: str, depth: int, *, dont_filter: bool = False, later: bool = False,
        **meta: Any
    ) -> Iterator[Any]:
        """A request for `url`, held back until its origin's robots.txt is known. `later`: an
        article its origin's rules allow (or, but for the first, not read yet) goes to
        frontier.ready, its Request made at release."""
        url = with_ascii_host(url)  # what Scrapy would do to a non-ASCII host is IDNA 2003
        frontier = self.frontier
        if not self._readable(url):
            return
        if urlsplit(url).scheme not in ("http", "https"):
            yield self._refused(url, kind, f"refused {url}: scheme {urlsplit(url).scheme!r} is not fetched")
            return
        if not self.site.on_site(url):
            self._stat("offsite_links")
            return
        # dont_filter: asked for again on purpose (a server's own spelling of the same URL).
        if kind in DOCUMENTS and not dont_filter and not frontier.first_document(url):
            return
        if kind == "page" and not dont_filter and not frontier.first_page(url):
            return
        if frontier.scheduled >= self.site.max_pages:
            self._cap_reached("max_pages", self.site.max_pages, url, "the links after it are not fetched")
            return
        frontier.scheduled += 1
        if kind in DOCUMENTS:
            frontier.open_documents += 1
        # Of an origin whose robots.txt is unread, the first is held for it (and it is asked
        # for now), the others wait for release: all held, all were queued at once when it was.
        known = frontier.robots.known(url)
        if later and (frontier.robots.allowed(url) if known else origin(url) in frontier.held):
            frontier.ready.append(url, depth, meta)
            return
        yield from self._dispatch(self._new_request(url, kind, depth, dont_filter, meta))

    def _release(self, url: str, depth: int, meta: dict[str, Any]) -> Iterator[Any]:
        """The Request of an article from frontier.ready, robots.txt asked again."""
        yield from self._dispatch(self._new_request(url, "article", depth, False, meta))

    def _new_request(self, url: str, kind: str, depth: int, dont_filter: bool,
                     meta: dict[str, Any]) -> Request:
        return Request(
            url, callback=self.parse, errback=self.on_error, priority=_PRIORITY[kind],
            # Redirects are followed here, not by Scrapy: each hop is recorded, a target already
            # fetched is not fetched again, and a loop ends in the errback-free "redirect_loop".
            meta={"kind": kind, "hops": depth, "dont_redirect": True,
                  "handle_httpstatus_list": _REDIRECTS, **meta},
            # Documents and pages are deduplicated above (first_document, first_page): Scrapy's
            # filter dropped a section page already fetched as an "article" (a feed's topic
            # link, a withdrawn story's redirect), and the articles only it linked were missed.
            dont_filter=dont_filter or kind in DOCUMENTS or kind == "page",
        )

    def _dispatch(self, request: Request) -> Iterator[Any]:
        url = request.url
        if self.frontier.robots.known(url):
            yield from self._if_allowed(request)
        elif self.frontier.hold(request):
            # robots_origin: the origin it answers for, even if robots.txt redirects (http ->
            # https, www); redirect_ttl: the redirects RFC 9309 has it follow.
            meta = {"kind": "robots", "hops": 0, "robots_origin": origin(url),
                    "redirect_ttl": MAX_ROBOTS_REDIRECTS}
            yield Request(origin(url) + "/robots.txt", callback=self.parse_robots, meta=meta,
                          errback=self.on_robots_error, priority=_PRIORITY["robots"], dont_filter=True)

    def _if_allowed(self, request: Request) -> Iterator[Any]:
        if self.frontier.robots.allowed(request.url):
            delay = self.frontier.robots.crawl_delay(request.url)
            if delay is not None:  # kept by crawler.extensions.crawldelay
                request.meta["crawl_delay"] = min(delay, self._crawl_delay_max)
            yield request
            return
        self.frontier.scheduled -= 1
        self._stat("robots_disallowed")
        if self.frontier.robots.unreachable(request.url):
            # Not what the site's rules say: the log blamed them for a robots.txt never read.
            self.logger.info("%s not fetched: its origin's robots.txt could not be read", request.url)
        else:
            self.logger.info("robots.txt disallows %s: not fetched", request.url)
        if request.meta["kind"] in DOCUMENTS:
            yield from self._document_done()

    @functools.cached_property
    def _crawl_delay_max(self) -> float:
        return self.settings.getfloat("NEWSARCHIVE_CRAWL_DELAY_MAX")

    @functools.cached_property
    def _url_limit(self) -> int:
        return self.settings.getint("URLLENGTH_LIMIT")  # read once: every link of a page asks

    def _readable(self, url: str) -> bool:
        """A URL we can parse at all; a broken one ("http://[x", port 99999) is skipped, logged."""
        try:
            canonical_url(url)
        except ValueError as exc:
            self._stat("bad_links")
            self.logger.warning("skipped a malformed link: %s", exc)
            return False
        # Scrapy's UrlLengthMiddleware drops a longer request without a callback or errback:
        # a document counted as open would then never close, and the articles and start
        # pages waiting for discovery to end were never requested. It measures the URL as
        # requested, percent-encoded: 800 non-ASCII characters are 4,500 then. (A character
        # takes at most 12 encoded: shorter URLs are not encoded to be measured.)
        limit = self._url_limit
        length = len(safe_url_string(url)) if limit and len(url) * 12 > limit else len(url)
        if limit and length > limit:
            self._stat("long_links")
            self.logger.warning("skipped a link of %d characters (URLLENGTH_LIMIT %d): %s...",
                                length, limit, url[:200])
            return False
        return True

    def _article(self, link: DiscoveredLink, depth: int, **meta: Any) -> Iterator[Any]:
        if not self._readable(link.url):
            return
        canonical, verdict = self.frontier.article_verdict(link)
        if verdict in ("changed", "changed_after_skip"):
            self._stat("changed_since_archived")
            if verdict == "changed_after_skip":  # counted as already archived a moment ago
                self._stat("already_archived", -1)
            verdict = "new"
        if verdict != "new":
            self._stat("duplicate_links" if verdict == "duplicate" else verdict)
        elif self.frontier.open_documents > 0:
            self.frontier.waiting_articles.append(canonical, depth, meta)
        else:
            yield from self._request_article(canonical, depth, meta)

    def _request_article(self, canonical: str, depth: int, meta: dict[str, Any], *,
                         later: bool = False) -> Iterator[Any]:
        if self.frontier.too_old(canonical):
            self._stat("skipped_since")
            return
        self._stat("articles_discovered")
        yield from self._request(canonical, "article", depth, later=later, canonical=canonical, **meta)

    def _follows(self, url: str, depth: int) -> bool:
        """Whether a page at `depth` is followed; one past max_depth not fetched yet is a cap reached."""
        if not (followed := self.site.is_followed(url)) or depth <= self.site.max_depth:
            return followed
        if not self.frontier.page_seen(url):  # a site's nav links home: warned at every run
            self._cap_reached("max_depth", self.site.max_depth, url, "pages linked deeper are not followed")
        return False

    def _cap_reached(self, cap: str, value: int, url: str, consequence: str) -> None:
        """Count a link a cap left out, and say it at the first: the run still ends ok, and
        only the stats said its budget had cut it short."""
        if not self.crawler.stats or not self.crawler.stats.get_value(f"newsarchive/{cap}_reached"):
            self.logger.warning("%s (%d) reached: %s and %s this run", cap, value, url, consequence)
        self._stat(f"{cap}_reached")

    def _stat(self, key: str, count: int = 1) -> None:
        if self.crawler.stats:
            self.crawler.stats.inc_value(f"newsarchive/{key}", count)

    # -- callbacks ----------------------------------------------------------------------

    def _item(self, response: Response, kind: str, outcome: str | None = None) -> PageItem:
        return PageItem(
            site=self.site.name, timezone=self.site.timezone,
            url=response.url,
            canonical_url=response.meta.get("canonical") or canonical_url(response.url),
            kind=kind,
            status=response.status,
            content_type=header(response, b"Content-Type"),
            fetched_at=datetime.now(UTC).isoformat(),
            captures=list(response.meta.get("warc_captures", [])),
            outcome=outcome or kind,
        )

    def _refused(self, url: str, kind: str, reason: str) -> PageItem:
        self._stat("refused")
        self.logger.warning("%s", reason)
        return PageItem(site=self.site.name, url=url, canonical_url=url, kind=kind, status=None,
                        content_type=None, fetched_at=datetime.now(UTC).isoformat(),
                        outcome="refused", reason=reason, timezone=self.site.timezone)

    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        kind = response.meta["kind"]
        try:
            if response.status in _REDIRECTS:
                yield from self._redirect(response, kind)
            elif (cut := cut_short(response)) is not None:
                # Part of the page: archived, never extracted as if whole, and fetched again
                # by the next crawl.
                item = self._item(response, kind, outcome="truncated")
                item.reason = cut
                self.logger.warning("%s: %s", response.url, cut)
                yield item
            else:
                yield from getattr(self, f"parse_{kind}")(response)
        except Exception as exc:  # a page nobody foresaw: record it, keep crawling
            self.logger.exception("processing %s failed", response.url)
            item = self._item(response, kind, outcome="processing_error")
            item.reason = f"{type(exc).__name__}: {exc}"
            yield item
            if kind == "robots":
                # Its rules unread: nothing from that origin, as for an unreadable robots.txt.
                # What waited for them waited for ever, and the run ended `ok` having fetched
                # nothing.
                asked = response.meta["robots_origin"]
                self._robots_unread(asked)
                for request in self.frontier.release(asked):
                    yield from self._if_allowed(request)
        if kind in DOCUMENTS:  # once per feed or sitemap, whatever happened above
            yield from self._document_done()

    def parse_feed(self, response: Response) -> Iterable[Any]:
        item = self._item(response, "feed")
        try:
            links = parse_feed(response.body, response.url)
        except FeedError as exc:
            item.outcome, item.reason = "bad_feed", str(exc)
            self.logger.warning("%s", exc)
            links = []
        yield item
        self._stat("feed_links", len(links))
        for link in links:
            yield from self._article(link, response.meta["hops"] + 1)

    def parse_sitemap(self, response: Response) -> Iterable[Any]:
        item = self._item(response, "sitemap")
        try:
            sitemap = parse_sitemap(response.body, response.url)
        except SitemapError as exc:
            item.outcome, item.reason = "bad_sitemap", str(exc)
            self.logger.warning("%s", exc)
            yield item
            return
        if sitemap.dropped:
            more = "or more " if sitemap.dropped >= MAX_SITEMAP_URLS else ""
            item.reason = (f"{sitemap.dropped:,} {more}entries past the protocol's "
                           f"{MAX_SITEMAP_URLS:,} per file not read")
            self.logger.warning("%s: %s", response.url, item.reason)
        if sitemap.generated_lastmod:
            note = f"every entry's lastmod is {sitemap.generated_lastmod}: ignored as the file's date"
            item.reason = "; ".join(filter(None, (item.reason, note)))
            self.logger.info("%s: %s", response.url, note)
        yield item
        depth = response.meta["hops"] + 1
        # Each link let go of once read: all of a big sitemap's beside the frontier's memory of
        # them were the crawl's peak (most of them, undated, the frontier keeps in a few bytes).
        links = sitemap.links
        links.reverse()
        while links:
            link = links.pop()
            if sitemap.is_index:
                if self.frontier.dated_before_since(link):
                    self._stat("skipped_since_sitemaps")
                else:
                    yield from self._request(link.url, "sitemap", depth)
            elif link.source == "news_sitemap" or self.site.is_article(link.url):
                yield from self._article(link, depth)
            elif self._follows(link.url, depth):
                yield from self._request(link.url, "page", depth)

    def parse_page(self, response: Response) -> Iterable[Any]:
        yield self._item(response, "page")
        if not isinstance(response, TextResponse):
            return
        yield from self._links(response, response.meta["hops"] + 1)

    def _links(self, response: TextResponse, depth: int) -> Iterator[Any]:
        # Only hrefs matched against our patterns: Scrapy's LinkExtractor canonicalises every
        # link first and cost ~70 ms on a page with a mega menu (DESIGN.md: 31-35 ms).
        # Off-site links are dropped by _request.
        seen: set[str] = set()
        for href in response.selector.root.xpath("//a/@href"):  # lxml strings: no Selector per link
            try:
                url = response.urljoin(href.strip()).split("#", 1)[0]
            except ValueError:
                self._stat("bad_links")
                continue
            if url in seen:
                continue
            seen.add(url)
            if self.site.is_article(url):
                yield from self._article(DiscoveredLink(url=as_sent(url, response), source="page"), depth)
            elif self._follows(url, depth):
                yield from self._request(as_sent(url, response), "page", depth)

    def parse_article(self, response: Response) -> Iterable[Any]:
        item = self._item(response, "article", outcome="article")
        # Popped: the crawl's memory must not grow with every article it has archived.
        found = self.frontier.discovered.pop(item.canonical_url)
        item.discovery = [link.to_dict() for link in found]
        item.body = response.body
        item.last_modified = header(response, b"Last-Modified")
        yield item
        depth = response.meta["hops"] + 1
        if isinstance(response, TextResponse) and self._follows(response.url, depth):
            # Both patterns match it: archived as an article (extraction decides), and its
            # links read as follow_patterns ask (a section page matching a broad article
            # pattern was a dead end: its page 2 and its stories were never fetched).
            yield from self._links(response, depth)

    def on_error(self, failure: Failure) -> Iterable[Any]:
        request: Request = failure.request  # type: ignore[attr-defined]
        kind = request.meta.get("kind", "page")
        if isinstance(failure.value, HttpError):
            response = failure.value.response
            item = self._item(response, kind, outcome="http_error")
            item.reason = f"HTTP {response.status}"
            self.logger.warning("HTTP %s for %s", response.status, response.url)
        elif isinstance(failure.value, RefusedRequest):
            item = self._refused(request.url, kind, str(failure.value))
            item.captures = list(request.meta.get("warc_captures", []))
            item.unanswered = True  # refused before it was sent, or before it was archived
        else:
            item = PageItem(
                site=self.site.name, timezone=self.site.timezone,
                url=request.url, canonical_url=canonical_url(request.url),
                kind=kind, status=None, content_type=None, fetched_at=datetime.now(UTC).isoformat(),
                captures=list(request.meta.get("warc_captures", [])), outcome="fetch_error",
                reason=failure_reason(failure),
            )
            self.logger.warning("fetch failed for %s: %s", request.url, item.reason)
            item.unanswered = request.meta.get("_newsarchive_captured_attempt") != attempt_of(request)
        yield item
        if kind in DOCUMENTS:
            yield from self._document_done()
