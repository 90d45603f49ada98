"""Downloader middleware that archives every request and response exactly as exchanged."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http import Headers, Response

from archive.discovery.sitemaps import MAX_SITEMAP_BYTES
from archive.warc.records import HttpRequestData, HttpResponseData
from crawler.items import CaptureRef
from crawler.robots import MAX_ROBOTS
from crawler.session import ArchiveSession
from crawler.spiders.responses import cut_short

# Where a request keeps its own download_maxsize while the capture has lifted it (None: it
# had none, DOWNLOAD_MAXSIZE applied).
_LIFTED_MAXSIZE = "_newsarchive_lifted_maxsize"


def _header_list(headers: Headers) -> list[tuple[str, str]]:
    # getlist semantics: repeated headers (two Set-Cookie) each keep their own line.
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


def _reason(status: int) -> str:
    # Scrapy's Response does not keep the server's reason phrase; use the standard one.
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def request_data(request: Request) -> HttpRequestData:
    headers = _header_list(request.headers)
    if not any(name.lower() == "host" for name, _ in headers):
        # Twisted adds Host when sending; archive it as sent.
        headers.insert(0, ("Host", urlsplit(request.url).netloc))
    return HttpRequestData(method=request.method, url=request.url, headers=headers, body=request.body)


def response_data(response: Response, fetched_at: datetime) -> HttpResponseData:
    # WARC 1.1's reasons: cut at our limit ("length"), or the server's connection lost
    # mid-body (Scrapy's "dataloss", when DOWNLOAD_FAIL_ON_DATALOSS is off: "disconnect").
    truncated = (
        "length" if "download_stopped" in response.flags
        else "disconnect" if "dataloss" in response.flags else None
    )
    return HttpResponseData(
        url=response.url,
        status=response.status,
        reason=_reason(response.status),
        headers=_header_list(response.headers),
        body=response.body,
        fetched_at=fetched_at,
        http_version=response.protocol or "HTTP/1.1",
        ip_address=str(response.ip_address) if response.ip_address else None,
        truncated=truncated,
    )


def attempt_of(request: Request) -> tuple[int, int]:
    """Which attempt of a URL this request is: each retry (Scrapy's, or after a Retry-After)
    counts one up. An error's item asks whether its own attempt was archived (a 500, then a
    timeout: the timeout archived nothing, and was booked onto the 500's record)."""
    return request.meta.get("retry_times", 0), request.meta.get("retry_after_times", 0)


def _restore_maxsize(request: Request) -> None:
    if _LIFTED_MAXSIZE not in request.meta:
        return
    if (maxsize := request.meta.pop(_LIFTED_MAXSIZE)) is None:
        request.meta.pop("download_maxsize", None)
    else:
        request.meta["download_maxsize"] = maxsize


class WarcCaptureMiddleware:
    """Ordered above the decoding middleware (590), so bodies are archived still encoded."""

    def __init__(self, crawler: Crawler):
        self.session = ArchiveSession.of(crawler)
        self.max_body = crawler.settings.getint("NEWSARCHIVE_MAX_BODY")
        self.download_maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        middleware = cls(crawler)
        crawler.signals.connect(middleware.headers_received, signal=signals.headers_received)
        if middleware.max_body:
            crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def process_request(self, request: Request) -> None:
        # Retries copy meta: each attempt counts its own bytes against NEWSARCHIVE_MAX_BODY,
        # and has its own start.
        request.meta["_newsarchive_bytes"] = 0
        request.meta.pop("_newsarchive_started", None)
        _restore_maxsize(request)  # a retry copies the meta of an attempt that lifted it

    def headers_received(self, request: Request, body_length: object = None, **kwargs: Any) -> None:
        """When the exchange began: WARC-Date is "the instant that data capture for record
        creation began" (WARC 1.1), and stamping the end of the download put a slow body's
        records its whole download time late. Scrapy's download_latency, set just before this
        signal, runs from the request's start (its connection included) to the headers."""
        request.meta["_newsarchive_started"] = time.time() - request.meta.get("download_latency", 0.0)
        self._lift_maxsize(request, body_length)

    def _lift_maxsize(self, request: Request, declared: object) -> None:
        """Scrapy cancels a body whose Content-Length is past DOWNLOAD_MAXSIZE before reading a
        byte of it: nothing was archived, where a body as long without the header is cut at our
        limit and archived as truncated. Our limit stops this transfer first, so Scrapy's check
        is lifted for it; process_response puts it back before the body is decoded, which
        DOWNLOAD_MAXSIZE still bounds (a gzip bomb)."""
        maxsize = request.meta.get("download_maxsize", self.download_maxsize)
        if (self.max_body and isinstance(declared, int) and maxsize
                and 0 < self.limit(request) < maxsize < declared):
            request.meta[_LIFTED_MAXSIZE] = request.meta.get("download_maxsize")
            request.meta["download_maxsize"] = 0

    def limit(self, request: Request) -> int:
        """NEWSARCHIVE_MAX_BODY, but never under what the sitemap protocol allows for a feed or
        sitemap (a 25 MB sitemap was cut at 20 MiB and gave no links at all), nor under the
        500 KiB of a robots.txt that RFC 9309 says to read (a lower limit cut its rules short:
        a Disallow past the cut was not obeyed)."""
        if request.meta.get("kind") in ("feed", "sitemap"):
            return max(self.max_body, MAX_SITEMAP_BYTES)
        if request.meta.get("kind") == "robots":
            return max(self.max_body, MAX_ROBOTS)
        return self.max_body

    def bytes_received(self, data: bytes, request: Request, **kwargs: Any) -> None:
        """Cut a body at its limit and keep what arrived (archived as truncated)."""
        received = request.meta.get("_newsarchive_bytes", 0) + len(data)
        request.meta["_newsarchive_bytes"] = received
        if received > self.limit(request):
            raise StopDownload(fail=False)

    async def process_response(self, request: Request, response: Response) -> Response:
        _restore_maxsize(request)
        started = request.meta.get("_newsarchive_started")
        fetched_at = datetime.fromtimestamp(started, UTC) if started else datetime.now(UTC)
        # The write ends with an fsync (~5 ms here): in a thread, so the reactor keeps going.
        # The response moves on only once its records are on disk.
        if self.session.failed:
            raise IgnoreRequest(self.session.failed)
        if "download_stopped" in response.flags and 0 < self.limit(request) < len(response.body):
            # The chunk that crossed the limit arrived whole: keep exactly NEWSARCHIVE_MAX_BODY
            # bytes, as documented (a body that had all arrived was archived whole, yet
            # marked truncated, "cut at" its full length).
            response = response.replace(body=response.body[: self.limit(request)])
        try:
            positions = await asyncio.to_thread(
                self.session.writer.write_exchange, request_data(request), response_data(response, fetched_at)
            )
        except OSError as exc:
            # Not archived means not processed: the page is fetched again by a later run.
            self.session.storage_failed(exc, f"the WARC record of {response.url}")
            raise IgnoreRequest(f"not archived: {exc}") from exc
        content_type = response.headers.get(b"Content-Type")
        capture = CaptureRef(
            url=response.url,
            status=response.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            fetched_at=fetched_at.isoformat(),
            response=positions.response,
            request=positions.request,
            cut=cut_short(response),
        )
        # A new list, not append: redirect and retry copies share the original meta's list.
        request.meta["warc_captures"] = [*request.meta.get("warc_captures", []), capture]
        request.meta["_newsarchive_captured_attempt"] = attempt_of(request)
        if self.crawler.stats:
            self.crawler.stats.inc_value("newsarchive/warc_records", 2)
        return response
