"""How the news spider follows a redirect: the hop is recorded, and the target requested
unless it closes a loop, leaves the site, or was fetched already (a cookie check and the
server's own spelling of the URL are asked for once more)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.http import Response
from scrapy.settings import BaseSettings

from archive.capture import redirect_reason
from archive.config import SiteConfig
from archive.discovery import DiscoveredLink
from archive.urls import canonical_url, without_credentials
from crawler.spiders.responses import header, location

if TYPE_CHECKING:
    from scrapy.utils.log import SpiderLoggerAdapter

    from crawler.items import PageItem
    from crawler.spiders.frontier import Frontier


class RedirectHops:
    """NewsSpider's redirect handling (a mixin: it uses the spider's frontier and requests)."""

    site: SiteConfig
    settings: BaseSettings

    if TYPE_CHECKING:  # the spider's, declared for the type checker
        @property
        def frontier(self) -> Frontier: ...
        @property
        def logger(self) -> SpiderLoggerAdapter: ...
        def _item(self, response: Response, kind: str, outcome: str | None = None) -> PageItem: ...
        def _request(self, url: str, kind: str, depth: int, *, dont_filter: bool = False,
                     **meta: Any) -> Iterator[Any]: ...
        def _article(self, link: DiscoveredLink, depth: int, **meta: Any) -> Iterator[Any]: ...
        def _stat(self, key: str, count: int = 1) -> None: ...

    def _redirect(self, response: Response, kind: str) -> Iterator[Any]:
        """Record the hop; request the target unless it closes a loop or was fetched already."""
        item = self._item(response, kind, outcome="redirect")
        chain = [*response.meta.get("redirect_chain", []), canonical_url(response.url)]
        target = location(response)
        if target is None:
            item.outcome = "bad_redirect"
            item.reason = f"redirect without a usable Location: {header(response, b'Location')!r}"
            self.logger.warning("%s at %s", item.reason, response.url)
            yield item
            return
        # A Location's credentials ("http://user:secret@host/a") are dropped: the index, the
        # metadata records and the log, read by researchers, must not keep them, and a feed's
        # or a page's next hop asked for with them was a fetch_error (Scrapy's client took
        # them for part of the host name), the feed never read. (An article's link drops them
        # too: DiscoveredLink.)
        target = without_credentials(target)
        item.reason = redirect_reason(target)
        too_many = len(chain) > self.settings.getint("REDIRECT_MAX_TIMES", 20)
        # What the next hop carries: the chain, and whether a hop of it set a cookie (Scrapy's
        # cookie middleware keeps it) or was asked for again with one.
        carried: dict[str, Any] = {
            "redirect_chain": chain, "cookie_check": response.meta.get("cookie_check", False),
            "cookies_set": bool(response.meta.get("cookies_set") or response.headers.getlist(b"Set-Cookie")),
        }
        if canonical_url(target) == chain[-1] and target != response.url and not too_many \
                and not response.meta.get("respelled"):
            # The server's own spelling of the URL asked for ("caf%c3%a9" for "caf%C3%A9",
            # another query order): one URL to us, so the hop looked like a loop and the
            # story was never archived. Asked for once as spelled, past Scrapy's filter
            # (its fingerprint spells both alike).
            yield item
            yield from self._ask_again(response, kind, target, {**carried, "respelled": True})
        elif canonical_url(target) in chain and carried["cookies_set"] and not too_many \
                and not carried["cookie_check"]:
            # A cookie check: the site sets a cookie and sends the reader back (to the same
            # URL, or through a "cookie test" page). It was taken for a loop, and the story
            # never archived. Asked for once again, with the cookie.
            yield item
            if "canonical" in response.meta:  # an article
                yield from self._after_cookie_check(chain, canonical_url(target), response.meta["hops"])
            yield from self._ask_again(response, kind, target, {**carried, "cookie_check": True})
        elif canonical_url(target) in chain or too_many:
            item.outcome = "redirect_loop"
            item.reason = f"redirect loop: {' -> '.join(chain)} -> {target}"
            self.logger.warning("%s", item.reason)
            yield item
        elif urlsplit(target).scheme in ("http", "https") and not self.site.on_site(target):
            # A consent or login wall on another host, a feed moved to another service: what
            # was asked for is not archived, and only a count of off-site links said so.
            # (Another scheme is refused, and recorded so, by _request.)
            item.reason = f"redirects off-site to {target}: not followed"
            self.logger.warning("%s %s", response.url, item.reason)
            self._stat("offsite_redirects")
            yield item
        else:
            yield item
            depth: int = response.meta["hops"]
            if kind == "article":
                # How the old URL was found (a feed's date, a news sitemap's title) goes with it,
                # before the target is judged: a lastmod newer than the target's last fetch is
                # what had the old URL fetched again.
                found = self.frontier.discovered.pop(chain[-1])
                self.frontier.discovered.prepend(canonical_url(target), found)
                yield from self._article(DiscoveredLink(url=target, source="redirect"), depth, **carried)
            else:
                yield from self._request(target, kind, depth, **carried)

    def _after_cookie_check(self, chain: list[str], article: str, depth: int) -> Iterator[Any]:
        """Sort the links a cookie check's hop gathered before `article` is asked for again.
        Other stories sent to the same check page (one URL for all) before the cookie was set
        had their links moved to it, and were dropped as duplicates of that hop: their URLs
        became aliases of this article, taken for archived by every later run. They are asked
        for again (the cookie is set now); the hops after the article are no URLs of it."""
        hop = chain[-1]
        found = self.frontier.discovered.pop(hop)
        ours = set(chain[: chain.index(article) + 1])
        self.frontier.discovered.put(hop, [link for link in found if canonical_url(link.url) in ours])
        for other in dict.fromkeys(canonical_url(link.url) for link in found):
            if other in chain:
                continue
            self.frontier.discovered.put(other, [link for link in found if canonical_url(link.url) == other])
            yield from self._request(other, "article", depth, dont_filter=True, canonical=other,
                                     cookie_check=True)

    def _ask_again(self, response: Response, kind: str, target: str,
                   again: dict[str, Any]) -> Iterator[Any]:
        """Request a URL of the redirect chain once more, past the frontier's and Scrapy's
        filters, as the same article (with how it was found)."""
        if "canonical" in response.meta:  # an article
            again["canonical"] = canonical_url(target)
            found = self.frontier.discovered.pop(again["redirect_chain"][-1])
            self.frontier.discovered.prepend(again["canonical"], found)
        yield from self._request(target, kind, response.meta["hops"], dont_filter=True, **again)
