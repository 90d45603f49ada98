"""Downloader middleware: undo Content-Encoding with the decoder a re-extraction uses."""

from __future__ import annotations

import logging
import sys
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes

from archive.index.content import DecodedTooLarge, undo_content_encoding

logger = logging.getLogger(__name__)


class ArchiveDecodingMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware (its Accept-Encoding and DOWNLOAD_MAXSIZE), decoding
    with archive.index.content, which `index --reextract` and the record view use on the same
    archived bytes.

    Scrapy's gunzip returns whatever inflated before an error: a page cut in transit became
    a short, complete-looking article that no later crawl fetched again (while a re-extraction
    refused its bytes), and a robots.txt cut the same way lost its last Disallow lines. A body
    that does not decode now fails its request (a fetch_error, fetched again by the next
    crawl; for a robots.txt, its origin is not crawled), as an invalid one already did. A
    body the crawl cut itself (NEWSARCHIVE_MAX_BODY) is decoded as far as it goes: it is
    archived and recorded as truncated, and a feed's or robots.txt's beginning is still read.
    """

    def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        codings = response.headers.getlist("Content-Encoding")
        # A redirect's body is never read, only its Location: an invalid one lost the redirect.
        if not codings or request.method == "HEAD" or 300 <= response.status < 400:
            return response
        max_size = request.meta.get("download_maxsize", self._max_size)
        try:
            body, left = undo_content_encoding(
                response.body, ",".join(c.decode("latin-1") for c in codings),
                max_size=max_size or sys.maxsize,  # 0 is Scrapy's "no limit"
                partial="download_stopped" in response.flags or "dataloss" in response.flags,
            )
        except DecodedTooLarge as exc:
            raise DecodedTooLarge(f"{len(response.body):,} bytes {exc} (DOWNLOAD_MAXSIZE)") from None
        cls = responsetypes.from_args(headers=response.headers, url=response.url, body=body)
        kwargs: dict[str, Any] = {"body": body}
        if issubclass(cls, TextResponse):
            kwargs["encoding"] = None  # as Scrapy: read the charset again from the decoded body
        response = response.replace(cls=cls, **kwargs)
        if left:
            logger.warning("%s: Content-Encoding %s is not one we know: body read as it came",
                           response.url, ", ".join(left))
            response.headers["Content-Encoding"] = [c.encode("latin-1") for c in left]
        else:
            del response.headers["Content-Encoding"]
        if self.stats:
            self.stats.inc_value("httpcompression/response_count")
        return response
