"""Extension: the crawl process set up for a long run: its malloc arenas, its cycle collector,
its loggers, and the header lines its HTTP client reads.

Malloc arenas. glibc gives each thread an arena of its own, up to 8 per core: the WARC and
index writes (asyncio.to_thread, 6 threads), pebble's and Twisted's threads had 10 besides the
main one. The page-sized buffers (~240 KB a page) freed in each left holes that arena kept
(malloc_info: 14 of one arena's 17 MB free after 4,000 pages), so the crawl's memory grew
with the pages it fetched. With one arena for the crawl's 11 threads
(NEWSARCHIVE_MALLOC_ARENA_MAX = 1), peak RSS of the crawl process on bench/corpus_site.py's
real pages: 500 pages 143 -> 128 MB, 4,000 pages 177-181 -> 158-161, 16,000 pages 229-233
-> 207-208; pages per second unchanged. The limit holds for arenas made after it: it is set
when the crawler is built, before any of those threads exists. (What the crawl knows of each
URL until it is fetched is ~0.25 KB (crawler.spiders.found), and its Requests are made as
the crawl has room for them (crawler.spiders.release): 190 -> 157 MB at 16,000 pages. What is
left growing with the pages is this one arena's free space: mallinfo2 on the corpus site, its
free bytes 18 -> 36 MB over 6,000 pages while those in use stay ~34 MB and pymalloc's 48 MB.
malloc_trim every 2 s did not lower the peak: 4,000 pages 146 -> 142 MB, within a run's noise.)

Garbage collection. At spider open, everything alive (Scrapy, Twisted, the settings, the site configs) is
moved out of the collector's sight with gc.freeze(): every full collection walked it
again. The first generation's threshold is raised from Python's 700 allocations: each
response makes thousands of short-lived objects, nearly all freed by reference counting.
Measured on 2,000 real pages (crawl-only, thread time in gc.callbacks): collections took
0.70-0.80 s with Python's defaults and 0.26 s with freeze and (10000, 10, 10), peak RSS
unchanged (159 MB); (50000, 20, 20) took 0.23 s but peaked 25 MB higher.

Logging. Scrapy sets the root logger to NOTSET and filters by LOG_LEVEL in its handler, so
the two DEBUG lines of every response ("Crawled", "Scraped from") were built as records
and then dropped: 0.31 s of a 2,000-page crawl. Scrapy's loggers now drop them unbuilt.

Header lines. Twisted's HTTP client drops the connection at a response header line over
16 KiB (LineReceiver.MAX_LENGTH; Twisted issue 8570): every page of a site sending a long
Content-Security-Policy or Link header failed as "Connection was closed cleanly.", retried,
and nothing of it was archived. Browsers take up to 256 KiB of headers (Chrome): so do we,
in one line. The limit is a class attribute, set once for the process. Their total had no
limit at all (nor had a header continued on more lines): a server sending 300 MB of header
lines had its page archived, the crawl at 1.27 GB of memory, and a few GB in the 30 s of
DOWNLOAD_TIMEOUT would have ended it. Past 1 MiB (four times what Chrome takes) the
connection is dropped, as at a line too long.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler

M_ARENA_MAX = -8  # glibc's malloc.h
HEADER_LINE_MAX = 256 * 1024
HEADERS_MAX = 1024 * 1024


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas (mallopt M_ARENA_MAX); False where there is no glibc."""
    if arenas <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_ARENA_MAX, arenas))


def allow_long_header_lines(limit: int = HEADER_LINE_MAX, total: int = HEADERS_MAX) -> None:
    """Let Twisted's HTTP client read response header lines up to `limit` bytes, and
    `total` bytes of them in all."""
    from twisted.web._newclient import HTTPClientParser

    HTTPClientParser.MAX_LENGTH = max(HTTPClientParser.MAX_LENGTH, limit)
    if getattr(HTTPClientParser.dataReceived, "bounded", False):
        return
    receive = HTTPClientParser.dataReceived

    def dataReceived(parser: HTTPClientParser, data: bytes) -> None:  # noqa: N802 (Twisted's)
        # In line mode until the headers end (the body is read raw): the chunk that ends them
        # may bring some of the body, counted too (a socket read, 64 KiB at most).
        if parser.line_mode:
            read = parser._header_bytes = getattr(parser, "_header_bytes", 0) + len(data)  # type: ignore[attr-defined]
            if read > total:
                parser.lineLengthExceeded(data)  # drops the connection, as a line too long
                return
        receive(parser, data)

    dataReceived.bounded = True  # type: ignore[attr-defined]
    # On the class Scrapy's own parser (a subclass, lenient about header lines) inherits from.
    HTTPClientParser.dataReceived = dataReceived  # type: ignore[method-assign]


class ProcessTuning:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.threshold = crawler.settings.getint("NEWSARCHIVE_GC_THRESHOLD")
        # Now, not at spider open: by then the resolver's threads have their arenas.
        arenas = crawler.settings.getint("NEWSARCHIVE_MALLOC_ARENA_MAX")
        if limit_malloc_arenas(arenas) and crawler.stats is not None:
            crawler.stats.set_value("newsarchive/malloc_arena_max", arenas)
        allow_long_header_lines()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_opened(self) -> None:
        scrapy_logger = logging.getLogger("scrapy")
        if scrapy_logger.level == logging.NOTSET:  # (a level set on purpose stays)
            scrapy_logger.setLevel(self.crawler.settings.get("LOG_LEVEL") or logging.DEBUG)
        if self.threshold <= 0:  # 0: Python's defaults
            return
        # No gc.collect() first: at spider open it took 65 ms of CPU to find 20 objects of
        # garbage among the 105,000 frozen (a 2,000-page crawl on bench/corpus_site.py).
        gc.freeze()
        gc.set_threshold(self.threshold, 10, 10)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("newsarchive/gc_frozen_objects", gc.get_freeze_count())
