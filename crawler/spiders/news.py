"""The news spider: discovers articles from feeds, sitemaps and section pages of one configured site."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive.config import SiteConfig, parse_duration, rebase
from archive.discovery import DiscoveredLink, FeedError, SitemapError, parse_feed, parse_sitemap
from archive.discovery.entries import as_utc
from archive.index import archived_articles
from archive.urls import canonical_url
from crawler.items import PageItem
from crawler.robots import RobotsRules, origin
from crawler.session import ArchiveSession

# Discovery documents first: they carry dates that decide what `since` skips.
_PRIORITY = {"robots": 100, "feed": 20, "sitemap": 20, "article": 0, "page": -10}


class NewsSpider(Spider):
    site: SiteConfig  # set on each per-site subclass by the spider loader

    def __init__(self, *args: Any, base_url: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if base_url is not None:
            # `-a base_url=http://127.0.0.1:PORT`: the same site served elsewhere (the demo site).
            self.site = rebase(self.site, base_url)
        self.robots: RobotsRules | None = None
        self._held: dict[str, list[Request]] = {}  # origin -> requests waiting for its robots.txt
        self.discovered: dict[str, list[DiscoveredLink]] = {}  # canonical URL -> how it was found
        self._requested: set[str] = set()
        self._too_old: set[str] = set()
        self._scheduled = 0
        self._since = self.site.since_datetime()
        self._open_documents = 0  # feeds and sitemaps scheduled and not yet read
        self._pages_started = False
        self._documents_seen: set[str] = set()
        self._archived: set[str] = set()

    @classmethod
    def handles_request(cls, request: Request) -> bool:
        return cls._on_site(request.url)

    @classmethod
    def _on_site(cls, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return any(host == d or host.endswith("." + d) for d in cls.site.allowed_domains)

    def _rules(self) -> RobotsRules:
        if self.robots is None:
            self.robots = RobotsRules(self.settings.get("USER_AGENT", "newsarchive"))
        return self.robots

    async def start(self) -> AsyncIterator[Request]:
        self._archived = self._already_archived()
        # Feeds and sitemaps first, pages once they are all read: their dates decide what
        # `since` skips, whichever source links an article.
        for url, kind in self.site.seeds:
            if kind != "page":
                for request in self._request(url, kind, depth=0):
                    yield request
        if not self._open_documents:
            for request in self._start_pages():
                yield request

    def _already_archived(self) -> set[str]:
        """Articles a previous run archived and that are not due for a revisit."""
        archived = archived_articles(ArchiveSession.of(self.crawler).index, self.site.name)
        if self.site.revisit_after is None:
            return set(archived)
        stale = (datetime.now(UTC) - parse_duration(self.site.revisit_after)).isoformat()
        return {url for url, fetched_at in archived.items() if fetched_at >= stale}

    def _start_pages(self) -> Iterator[Request]:
        if self._pages_started:
            return
        self._pages_started = True
        for url, kind in self.site.seeds:
            if kind == "page":
                yield from self._request(url, kind, depth=0)

    def _document_done(self) -> Iterator[Request]:
        """A feed or sitemap was read (or failed): start the pages after the last one."""
        self._open_documents -= 1
        if self._open_documents <= 0:
            yield from self._start_pages()

    # -- scheduling -------------------------------------------------------------------

    def _request(self, url: str, kind: str, depth: int, **meta: Any) -> Iterator[Request]:
        """A request for `url`, held back until its origin's robots.txt is known."""
        if urlsplit(url).scheme not in ("http", "https"):
            self._stat("refused_scheme")
            self.logger.warning("refused %s: only http and https are fetched", url)
            return
        if not self._on_site(url):
            self._stat("offsite_links")
            return
        if kind in ("feed", "sitemap"):
            # Counted until read (see start()), so never let Scrapy's dupe filter eat one.
            key = canonical_url(url)
            if key in self._documents_seen:
                return
            self._documents_seen.add(key)
        if self._scheduled >= self.site.max_pages:
            self._stat("max_pages_reached")
            return
        self._scheduled += 1
        if kind in ("feed", "sitemap"):
            self._open_documents += 1
        callback = getattr(self, f"parse_{kind}")
        if kind == "article":
            # Article redirects are followed by the spider (see _follow_redirect).
            meta = {"dont_redirect": True, "handle_httpstatus_list": [301, 302, 303, 307, 308], **meta}
        request = Request(
            url, callback=callback, errback=self.on_error, priority=_PRIORITY[kind],
            meta={"kind": kind, "depth": depth, **meta}, dont_filter=kind in ("feed", "sitemap"),
        )
        rules = self._rules()
        if rules.known(url):
            yield from self._if_allowed(request)
            return
        held = self._held.setdefault(origin(url), [])
        held.append(request)
        if len(held) == 1:
            yield Request(
                origin(url) + "/robots.txt", callback=self.parse_robots, errback=self.on_robots_error,
                priority=_PRIORITY["robots"], dont_filter=True, meta={"kind": "robots", "depth": 0},
            )

    def _if_allowed(self, request: Request) -> Iterator[Request]:
        if self._rules().allowed(request.url):
            yield request
        else:
            self._scheduled -= 1
            self._stat("robots_disallowed")
            self.logger.info("robots.txt disallows %s: not fetched", request.url)
            if request.meta["kind"] in ("feed", "sitemap"):
                yield from self._document_done()

    def _release(self, url: str) -> Iterator[Request]:
        for request in self._held.pop(origin(url), []):
            yield from self._if_allowed(request)

    def _article(self, link: DiscoveredLink, depth: int) -> Iterator[Request]:
        canonical = canonical_url(link.url)
        self.discovered.setdefault(canonical, []).append(link)
        published = as_utc(link.published)
        if self._since and published and published < self._since:
            self._too_old.add(canonical)
        if canonical in self._requested:
            self._stat("duplicate_links")
            return
        if canonical in self._too_old:
            self._stat("skipped_since")
            self._requested.add(canonical)
            return
        if canonical in self._archived:
            self._stat("already_archived")
            self._requested.add(canonical)
            return
        self._requested.add(canonical)
        self._stat("articles_discovered")
        yield from self._request(canonical, "article", depth, canonical=canonical)

    def _stat(self, key: str, count: int = 1) -> None:
        if self.crawler.stats:
            self.crawler.stats.inc_value(f"newsarchive/{key}", count)

    # -- callbacks ----------------------------------------------------------------------

    def _item(self, response: Response, kind: str, outcome: str | None = None) -> PageItem:
        return PageItem(
            site=self.site.name,
            url=response.url,
            canonical_url=canonical_url(response.url),
            kind=kind,
            status=response.status,
            content_type=_header(response, b"Content-Type"),
            fetched_at=datetime.now(UTC).isoformat(),
            captures=list(response.meta.get("warc_captures", [])),
            outcome=outcome or kind,
        )

    def parse_robots(self, response: Response) -> Iterable[Any]:
        self._rules().learn(response.url, response.body)
        yield self._item(response, "robots")
        yield from self._release(response.url)

    def on_robots_error(self, failure: Failure) -> Iterable[Any]:
        request = failure.request  # type: ignore[attr-defined]
        response = failure.value.response if isinstance(failure.value, HttpError) else None
        if response is not None and 400 <= response.status < 500:
            self._rules().learn(request.url, None)
        else:
            self.logger.warning("robots.txt unreachable at %s: not crawling that origin", request.url)
            self._rules().forbid_all(request.url)
        yield from self.on_error(failure)
        yield from self._release(request.url)

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
            yield from self._article(link, response.meta["depth"] + 1)
        yield from self._document_done()

    def parse_sitemap(self, response: Response) -> Iterable[Any]:
        item = self._item(response, "sitemap")
        try:
            sitemap = parse_sitemap(response.body, response.url)
        except SitemapError as exc:
            item.outcome, item.reason = "bad_sitemap", str(exc)
            self.logger.warning("%s", exc)
            yield item
            yield from self._document_done()
            return
        yield item
        depth = response.meta["depth"] + 1
        for link in sitemap.links:
            if sitemap.is_index:
                yield from self._request(link.url, "sitemap", depth)
            elif link.source == "news_sitemap" or self.site.is_article(link.url):
                yield from self._article(link, depth)
            elif self.site.is_followed(link.url) and depth <= self.site.max_depth:
                yield from self._request(link.url, "page", depth)
        yield from self._document_done()

    def parse_page(self, response: Response) -> Iterable[Any]:
        yield self._item(response, "page")
        if not isinstance(response, TextResponse):
            return
        depth = response.meta["depth"] + 1
        # Off-site links are dropped by _request (LinkExtractor's allow_domains misses IP hosts).
        for link in LinkExtractor(unique=True).extract_links(response):
            if self.site.is_article(link.url):
                yield from self._article(DiscoveredLink(url=link.url, source="page"), depth)
            elif self.site.is_followed(link.url) and depth <= self.site.max_depth:
                yield from self._request(link.url, "page", depth)

    def _follow_redirect(self, response: Response, item: PageItem) -> Iterator[Any]:
        """An article URL that redirects: record the hop, and request the target as a newly
        discovered article, so a target already fetched is not fetched twice."""
        location = _header(response, b"Location")
        item.outcome, item.reason = "redirect", f"redirects to {location}"
        yield item
        if location:
            target = response.urljoin(location)
            self._stat("article_redirects")
            yield from self._article(
                DiscoveredLink(url=target, source="redirect"), response.meta["depth"]
            )

    def parse_article(self, response: Response) -> Iterable[Any]:
        item = self._item(response, "article", outcome="article")
        if 300 <= response.status < 400:
            yield from self._follow_redirect(response, item)
            return
        canonical = response.meta.get("canonical", item.canonical_url)
        item.canonical_url = canonical
        item.discovery = [link.to_dict() for link in self.discovered.get(canonical, [])]
        item.body = response.body
        item.last_modified = _header(response, b"Last-Modified")
        yield item

    def on_error(self, failure: Failure) -> Iterable[Any]:
        request: Request = failure.request  # type: ignore[attr-defined]
        kind = request.meta.get("kind", "page")
        if isinstance(failure.value, HttpError):
            response = failure.value.response
            item = self._item(response, kind, outcome="http_error")
            item.reason = f"HTTP {response.status}"
            self.logger.warning("HTTP %s for %s", response.status, response.url)
        else:
            item = PageItem(
                site=self.site.name, url=request.url, canonical_url=canonical_url(request.url),
                kind=kind, status=None, content_type=None, fetched_at=datetime.now(UTC).isoformat(),
                captures=list(request.meta.get("warc_captures", [])), outcome="fetch_error",
                reason=f"{failure.type.__name__}: {failure.getErrorMessage()}" if failure.type else None,
            )
            self.logger.warning("fetch failed for %s: %s", request.url, item.reason)
        yield item
        if kind in ("feed", "sitemap"):
            yield from self._document_done()


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
