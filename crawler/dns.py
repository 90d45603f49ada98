"""DNS resolver with pinned hosts (like curl --resolve): NEWSARCHIVE_HOSTS maps a name to an
address; with NEWSARCHIVE_HOSTS_ONLY no other name is looked up at all (a DNS error instead)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.base import ReactorBase
from twisted.internet.error import DNSLookupError

from archive.urls import ascii_host


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


class PinnedHostsResolver(CachingThreadedResolver):
    def __init__(self, reactor: ReactorBase, cache_size: int, timeout: float,
                 pinned: PinnedHosts | None = None):
        super().__init__(reactor, cache_size, timeout)
        self.pinned = pinned or PinnedHosts({}, only=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        resolver.pinned = PinnedHosts.from_settings(crawler)
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        try:
            address = self.pinned.lookup(name)
        except DNSLookupError as exc:
            return defer.fail(exc)
        return defer.succeed(address) if address else super().getHostByName(name, timeout)
