"""Downloader middleware that refuses non-http(s) URLs and addresses a site did not opt into (SSRF)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.internet.error import DNSLookupError

from archive.config import SiteConfig
from archive.urls import without_credentials
from crawler.dns import PinnedHosts

_CACHE_SECONDS = 60.0


class RefusedRequest(IgnoreRequest):
    """A request the crawl will not make; the message says why, naming the URL."""


class AddressGuardMiddleware:
    """Checks every request, redirects and retries included, before it is sent.

    URLs from feeds and sitemaps are untrusted: a link or a redirect to a loopback, private,
    link-local or otherwise non-global address is refused unless the site config lists the
    network in `allow_private_networks`. The address the response came from is checked again,
    by AnsweringAddressGuardMiddleware, before the response is archived."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.pinned = PinnedHosts.from_settings(crawler)
        self._resolved: dict[tuple[str, int], tuple[float, list[str]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _site(self) -> SiteConfig | None:
        return getattr(self.crawler.spider, "site", None)

    async def process_request(self, request: Request) -> Request | None:
        parts = urlsplit(request.url)
        if "@" in parts.netloc:
            # Scrapy's redirects (robots.txt's) keep a Location's "user:secret@": its client
            # took them for part of the host name, a fetch_error, and the origin was closed
            # with the URL, credentials included, in the log and the index. Asked for without
            # them, as the spider's own hops are (RedirectHops).
            return request.replace(url=without_credentials(request.url))
        if parts.scheme not in ("http", "https"):
            raise RefusedRequest(f"refused {request.url}: scheme {parts.scheme!r} is not fetched")
        site = self._site()
        if site is None or not parts.hostname:
            return None
        port = parts.port or (443 if parts.scheme == "https" else 80)
        for address in await self._addresses(parts.hostname, port):
            if not site.allows_address(address):
                raise RefusedRequest(
                    f"refused {request.url}: {parts.hostname} is the non-global address {address} "
                    "(allow it with allow_private_networks in the site config)"
                )
        return None


    async def _addresses(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        try:
            pinned = self.pinned.lookup(host)
        except DNSLookupError:
            return []  # the download fails with the same DNS error, recorded as fetch_error
        if pinned is not None:
            return [pinned]
        cached = self._resolved.get((host, port))
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            return []  # the download fails with a DNS error of its own, recorded as fetch_error
        addresses = sorted({str(info[4][0]) for info in infos})
        self._resolved[(host, port)] = (time.monotonic() + _CACHE_SECONDS, addresses)
        return addresses


class AnsweringAddressGuardMiddleware:
    """The address a response came from, checked again (a DNS answer can change between our
    lookup and Twisted's). Ordered above the WARC capture (950): process_response runs from
    the highest order down, and at the guard's own 50 the capture had already archived what
    the refused address sent."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        site, address = getattr(self.crawler.spider, "site", None), response.ip_address
        if site is not None and address is not None and not site.allows_address(str(address)):
            raise RefusedRequest(f"refused {request.url}: answered from the non-global address {address}")
        return response
