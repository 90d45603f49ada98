"""Downloader middleware: a body cut short by the server (shorter than its Content-Length, or a
chunked body without its last chunk) is retried, every attempt archived as it came."""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response


class DataLossRetryMiddleware:
    """With Scrapy's default DOWNLOAD_FAIL_ON_DATALOSS (on) a cut body is an error: retried,
    then given up as a fetch_error whose reason was "ResponseDataLossError: " (no word of what
    happened), and not one of the attempts was archived. The crawl turns the setting off, so
    that the response reaches the WARC capture (above this, WARC-Truncated: disconnect) and
    the spider records it `truncated`, never extracted (fetched again by the next crawl); this
    retries it as Scrapy retried the error, within RETRY_TIMES. Ordered just above
    RetryMiddleware (550), whose place it takes for these responses."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if "dataloss" not in response.flags or request.meta.get("dont_retry", False):
            return response
        assert self.crawler.spider is not None
        retry = get_retry_request(request, spider=self.crawler.spider,
                                  reason=f"connection lost after {len(response.body)} bytes of the body",
                                  stats_base_key="newsarchive/dataloss_retry")
        return retry or response
