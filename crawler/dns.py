"""DNS resolver with pinned hosts (like curl --resolve): NEWSARCHIVE_HOSTS maps a name to an
address; with NEWSARCHIVE_HOSTS_ONLY no other name is looked up at all (a DNS error instead).
The address a connection is made to is checked against the site's networks here too."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.base import ReactorBase
from twisted.internet.error import DNSLookupError

from archive.urls import ascii_host

logger = logging.getLogger(__name__)


class PinnedHosts:
    """The pinned names of a crawl, shared by the resolver and the SSRF guard."""

    def __init__(self, hosts: dict[str, str], only: bool):
        # As requests carry the name (IDNA, lowercase, no trailing dot): a pin written
        # "bücher.example" was never looked up, the request asking for "xn--bcher-kva.example".
        self.hosts = {ascii_host(name): address for name, address in hosts.items()}
        self.only = only

    @classmethod
    def from_settings(cls, crawler: Crawler) -> PinnedHosts:
        settings = crawler.settings
        return cls(settings.getdict("NEWSARCHIVE_HOSTS"), settings.getbool("NEWSARCHIVE_HOSTS_ONLY"))

    def lookup(self, name: str) -> str | None:
        """The pinned address, None to resolve normally; DNSLookupError when only pins count."""
        address = self.hosts.get(ascii_host(name))
        if address is None and self.only:
            raise DNSLookupError(f"{name}: not in NEWSARCHIVE_HOSTS (NEWSARCHIVE_HOSTS_ONLY is on)")
        return address


class RefusedAddress(DNSLookupError):
    """The name resolved to an address the site did not allow: never connected to."""


class PinnedHostsResolver(CachingThreadedResolver):
    """Resolves for Twisted, which connects to the address it returns: the SSRF guard's own
    lookup is another one, and a name server may answer it with a global address and this
    one with an internal address (DNS rebinding), so the site's networks are checked here too."""

    def __init__(self, reactor: ReactorBase, cache_size: int, timeout: float,
                 pinned: PinnedHosts | None = None):
        super().__init__(reactor, cache_size, timeout)
        self.pinned = pinned or PinnedHosts({}, only=False)
        # What from_crawler was given: Scrapy builds the resolver with the crawler *process*
        # (one resolver for the reactor), whose crawlers come later.
        self.owner: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        resolver.pinned = PinnedHosts.from_settings(crawler)
        resolver.owner = crawler
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        try:
            address = self.pinned.lookup(name)
        except DNSLookupError as exc:
            return defer.fail(exc)
        found = defer.succeed(address) if address else super().getHostByName(name, timeout)
        return found.addCallback(self._allowed, name)

    def _allowed(self, address: str, name: str) -> str:
        crawlers = getattr(self.owner, "crawlers", None) or [self.owner]
        sites = [site for crawler in crawlers
                 if (site := getattr(getattr(crawler, "spider", None), "site", None)) is not None]
        if sites and not any(site.allows_address(address) for site in sites):
            message = (f"refused {name}: it now resolves to the non-global address {address} "
                       "(allow it with allow_private_networks in the site config)")
            # Twisted reports every failed lookup as "no results for hostname lookup": the
            # reason is told here.
            logger.warning("%s", message)
            raise RefusedAddress(message)
        return address
