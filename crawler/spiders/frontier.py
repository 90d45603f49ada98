"""What the spider has seen and may still request: dedup, `since`, robots holds, page budget."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import sqlite_utils
from scrapy import Request

from archive.config import SiteConfig, parse_duration, sites_sharing_a_domain
from archive.discovery import DiscoveredLink
from archive.discovery.entries import as_utc
from archive.index import archived_articles
from archive.urls import canonical_url
from crawler.robots import RobotsRules, origin
from crawler.spiders.found import ArticleQueue, FoundLinks


class Frontier:
    """The spider's memory of one run. Deciding here, before a request exists, is what makes
    robots.txt race-free and each article fetched once (DESIGN.md)."""

    def __init__(self, site: SiteConfig, user_agent: str,
                 archived: dict[str, str] | None = None, robots_max_age: float = math.inf):
        self.site = site
        self.robots = RobotsRules(user_agent, robots_max_age)
        self.since: datetime | None = site.since_datetime()
        self.zone = site.zone  # of the feeds' and sitemaps' times without an offset
        self.archived = archived or {}  # canonical URL -> its last fetch (ISO, UTC)
        self.unchanged: set[str] = set()  # archived articles skipped so far this run
        self.discovered = FoundLinks()  # canonical URL -> how it was found, until fetched
        self.held: dict[str, list[Request]] = {}  # origin -> requests waiting for its robots.txt
        self.requested: set[str] = set()  # canonical article URLs requested or skipped
        self.documents_seen: set[str] = set()
        self.pages_seen: set[str] = set()  # section and listing pages requested
        self.open_documents = 0  # feeds and sitemaps scheduled and not yet read
        self.waiting_articles = ArticleQueue(canonical_meta=False)
        # Articles decided on when discovery ended (counted in `scheduled`, robots.txt allowing
        # them), their Requests not made yet: released as the crawl has room (spiders.release).
        self.ready = ArticleQueue(canonical_meta=True)
        self.scheduled = 0

    def article_verdict(self, link: DiscoveredLink) -> tuple[str, str]:
        """(canonical URL, verdict): 'new', 'duplicate', 'already_archived', or 'changed': an
        archived article a feed or sitemap dates after its last fetch (a sitemap's lastmod
        after a correction), fetched again for its new version ('changed_after_skip' when
        an earlier link to it was found 'already_archived')."""
        canonical = canonical_url(link.url)
        self.discovered.add(canonical, link)
        # Every link to it counts: a redirect's target inherits the dates of the old URL.
        changed = canonical in self.archived and any(
            self._dated_after_fetch(each, canonical) for each in self.discovered.dated(canonical))
        if canonical in self.requested:
            if changed and canonical in self.unchanged:
                # Another source had it first, undated or older: this one says it changed.
                self.unchanged.discard(canonical)
                return canonical, "changed_after_skip"
            return canonical, "duplicate"
        self.requested.add(canonical)
        if changed:
            return canonical, "changed"
        if canonical in self.archived:
            self.unchanged.add(canonical)
            return canonical, "already_archived"
        return canonical, "new"

    def _dated_after_fetch(self, link: DiscoveredLink, canonical: str) -> bool:
        """Does the link's date (a sitemap's lastmod, a feed's date or updated) come after our
        last fetch? A date still to come says nothing yet: every fetch precedes it, so a
        lastmod of 2099 (or a local time labelled UTC, hours ahead) had the article fetched
        again on every run. It counts once the clock has passed it, if it is after the fetch."""
        fetched = as_utc(self.archived[canonical])  # the index's: always with an offset
        now = datetime.now(UTC)
        dates = (as_utc(link.published, self.zone), as_utc(link.modified, self.zone))
        return fetched is not None and any(
            d is not None and fetched < d <= now for d in dates)

    def dated_before_since(self, link: DiscoveredLink) -> bool:
        """A child sitemap whose lastmod is before `since` lists nothing newer: a site's
        monthly sitemaps back to 2019 used up max_pages before any article was fetched."""
        published = _latest_instant(link.published, self.zone)
        return self.since is not None and published is not None and published < self.since

    def too_old(self, canonical: str) -> bool:
        """Does any feed or sitemap date this article before `since`? Asked when the request
        is released, once every feed and sitemap has had its say."""
        if self.since is None:
            return False
        dates = (_latest_instant(link.published, self.zone) for link in self.discovered.dated(canonical))
        return any(d is not None and d < self.since for d in dates)

    def first_document(self, url: str) -> bool:
        """Feeds and sitemaps are counted until read, so none may be eaten by a dupe filter."""
        key = canonical_url(url)
        if key in self.documents_seen:
            return False
        self.documents_seen.add(key)
        return True

    def first_page(self, url: str) -> bool:
        """A page linked again is not counted against max_pages again: Scrapy's dupe filter
        would drop the request after it was counted (5 section pages linking each other
        used up a budget of 20 on 9 fetches)."""
        key = canonical_url(url)
        if key in self.pages_seen:
            return False
        self.pages_seen.add(key)
        return True

    def page_seen(self, url: str) -> bool:
        """Whether a page was requested already (first_page said so), asking nothing new."""
        return canonical_url(url) in self.pages_seen

    def hold(self, request: Request) -> bool:
        """Keep a request until its origin's robots.txt is read; True for the first one held."""
        held = self.held.setdefault(origin(request.url), [])
        held.append(request)
        return len(held) == 1

    def release(self, url: str) -> list[Request]:
        return self.held.pop(origin(url), [])


# A day without a time ("2026-11-28") lasts until noon UTC the next day where it ends last
# (UTC-12). Read as its first midnight in UTC, a sitemap's "yesterday" was older than a
# since = "1d", and most of the day's stories were skipped.
_DAY_ENDS_BY = timedelta(days=1, hours=12)


def _latest_instant(value: str | None, zone: tzinfo) -> datetime | None:
    """The latest moment a feed's or sitemap's date may mean, in UTC: a time without an offset
    is in the site's zone (a "09:00:00" lastmod of a Berlin site is 08:00 UTC in winter)."""
    moment = as_utc(value, zone)
    if moment is not None and value is not None and "T" not in value:
        try:
            return moment + _DAY_ENDS_BY
        except OverflowError:  # "9999-12-31" (a placeholder, a hostile sitemap): none later
            return datetime.max.replace(tzinfo=UTC)
    return moment


def already_archived(site: SiteConfig, sites_dir: Path, index: sqlite_utils.Database) -> dict[str, str]:
    """Articles a previous run archived and that are not due for a revisit, with their
    last fetch (a feed or sitemap dating one after it has it fetched again): this site's,
    and those of the sites it shares a domain with (two sites' configs on one domain
    fetched the articles both link on every run, and took the row from each other)."""
    archived = archived_articles(index, [site.name, *sites_sharing_a_domain(site, sites_dir)])
    if site.revisit_after is None:
        return archived
    stale = (datetime.now(UTC) - parse_duration(site.revisit_after)).isoformat()
    return {url: fetched_at for url, fetched_at in archived.items() if fetched_at >= stale}
