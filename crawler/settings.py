"""Scrapy settings for newsarchive. Our own settings carry the NEWSARCHIVE_ / WARC_ prefixes."""

from __future__ import annotations

import os

import archive

# Scrapy's cookie middleware builds a tldextract at import, which downloads the public
# suffix list when no cache exists: a crawl must never fetch outside Scrapy. The
# snapshot shipped with tldextract is used instead.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

BOT_NAME = "newsarchive"

# Spiders are built from config/sites/*.toml, one per site.
SPIDER_LOADER_CLASS = "crawler.spiderloader.SiteSpiderLoader"
SPIDER_MODULES: list[str] = []
COMMANDS_MODULE = "crawler.commands"

# Where the archive lives and where site configs are read from (the CLI sets both too).
# (An empty variable is unset, as the CLI reads it: "" was the current directory, and
# `scrapy list` read pyproject.toml as a site config.)
NEWSARCHIVE_DATA = os.environ.get("NEWSARCHIVE_DATA") or "data"
NEWSARCHIVE_SITES = os.environ.get("NEWSARCHIVE_SITES") or "config/sites"
# The crawl_runs row to record this crawl in (set by the scheduler); 0: the crawl makes its own.
NEWSARCHIVE_RUN_ID = 0
# Extraction worker processes (0 = one per core) and the per-page time limit in seconds.
NEWSARCHIVE_EXTRACT_WORKERS = 0
NEWSARCHIVE_EXTRACT_TIMEOUT = 30.0
# Times a broken extraction pool (one of its own threads died) is started again in one crawl;
# after that the pages are archived but not extracted, and the run ends extraction_failed.
NEWSARCHIVE_EXTRACT_RESTARTS = 1
# Seconds of pages the index takes in one commit (each page still lands whole or not at all);
# 0 commits every page on its own. See pipelines/index.py.
NEWSARCHIVE_INDEX_COMMIT_INTERVAL = 1.0
# Bodies longer than this are cut and archived with WARC-Truncated: length.
NEWSARCHIVE_MAX_BODY = 20 * 1024 * 1024
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
# Longest Retry-After (seconds) we wait for, and how often per request, before giving up.
NEWSARCHIVE_RETRY_AFTER_MAX = 300.0
NEWSARCHIVE_RETRY_AFTER_TIMES = 3
# First pause (seconds) of a host answering 429 or 503 without Retry-After, refusing a connection
# or its name not resolving (or 5xx, or lost or timed-out connections, twice in a row), doubled
# at each refusal after a pause up to NEWSARCHIVE_RETRY_AFTER_MAX; refused past that, the host
# is sent nothing more this run. Any other answer starts it over. 5 s costs a one-off 503
# little, reaches a minute (a common rate-limit window) within four refusals and gives up on a
# site that is down after about 10 minutes (5+10+...+160+300 s). 0: no back-off.
NEWSARCHIVE_BACKOFF_BASE = 5.0
# Seconds a robots.txt is used before it is read again (RFC 9309 2.4: not more than 24 hours);
# a re-reading that fails keeps the rules read before, as the RFC allows.
NEWSARCHIVE_ROBOTS_MAX_AGE = 86400.0
# Longest robots.txt Crawl-delay (seconds) kept between requests to one host; a longer one
# is cut to this (logged): 86400 would hold the crawl for a day per page.
NEWSARCHIVE_CRAWL_DELAY_MAX = 60.0
# The crawl process's first-generation GC threshold, set at spider open after gc.freeze()
# (0: Python's defaults). See crawler/extensions/tuning.py.
NEWSARCHIVE_GC_THRESHOLD = 10_000
# glibc malloc arenas of the crawl process, shared by all its threads (0: glibc's default, up to
# 8 per core): one per thread let the crawl's memory grow with its pages. See
# crawler/extensions/tuning.py.
NEWSARCHIVE_MALLOC_ARENA_MAX = 1
# Who runs this crawl: goes into the User-Agent and the warcinfo records.
# One line: a CR or LF in it would end the User-Agent header and start another of its own.
NEWSARCHIVE_CONTACT = " ".join(
    os.environ.get("NEWSARCHIVE_CONTACT", "+https://github.com/newsarchive/newsarchive").split()
)

# Pinned host names (like curl --resolve), e.g. {"news.example": "203.0.113.7"}; with
# NEWSARCHIVE_HOSTS_ONLY, names not listed fail as DNS errors without any lookup.
NEWSARCHIVE_HOSTS: dict[str, str] = {}
NEWSARCHIVE_HOSTS_ONLY = False
TWISTED_DNS_RESOLVER = "crawler.dns.PinnedHostsResolver"

WARC_ENABLED = True
WARC_PREFIX = "newsarchive"
WARC_MAX_SIZE = 1_000_000_000
# zlib-ng at level 5: 0.83x the CPU of level 6 for 0.5% more bytes on real pages (1.69 vs
# 2.04 ms per 249 KB page); level 9 (warcio's default) is far slower for the same size.
# bench/bench_warc_writer.py --corpus DIR prints the levels side by side.
WARC_GZIP_LEVEL = 5
WARC_FSYNC = True
WARC_OPERATOR = os.environ.get("NEWSARCHIVE_OPERATOR", "")

def user_agent(contact: str) -> str:
    """Our User-Agent naming `contact`, on one line (the spider builds it again from the final
    settings: `-s NEWSARCHIVE_CONTACT=...` and schedule.toml's [settings] reach it that way)."""
    return f"newsarchive/{archive.__version__} (news archiving crawler; {' '.join(contact.split())})"


USER_AGENT = user_agent(NEWSARCHIVE_CONTACT)
# robots.txt is checked by our spider before a request is scheduled: Scrapy's
# middleware races under concurrency (DESIGN.md).
ROBOTSTXT_OBEY = False

# Off what we do not use: the telnet console, the remote-control endpoint, and the
# file/data/ftp/s3 handlers (URLs from feeds and sitemaps are untrusted).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Each response starts CONCURRENT_ITEMS tasks even when it yields nothing (DESIGN.md).
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 0.25
DOWNLOAD_TIMEOUT = 30
# A body cut short by the server reaches the WARC (WARC-Truncated: disconnect) and is recorded
# `truncated`, never extracted; Scrapy's default made it an error, archived nowhere. It is
# retried all the same (crawler.middlewares.dataloss).
DOWNLOAD_FAIL_ON_DATALOSS = False
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_TIMES = 2
# Metadata refreshes are not how news sites redirect articles; keep captures plain.
METAREFRESH_ENABLED = False
# robots.txt requests carry redirect_ttl on purpose (the five redirects of RFC 9309,
# crawler.robots.MAX_ROBOTS_REDIRECTS), not copied from a response by mistake.
META_COPY_WARN_SKIP_KEYS = ["redirect_ttl"]

DOWNLOADER_MIDDLEWARES = {
    # First on the way out: refuse other schemes and non-global addresses (SSRF).
    "crawler.middlewares.guard.AddressGuardMiddleware": 50,
    # Above RetryMiddleware (550): a body cut short retried as the error was (above).
    "crawler.middlewares.dataloss.DataLossRetryMiddleware": 555,
    # Above RetryMiddleware (550): honour Retry-After on 429/503 per host.
    "crawler.middlewares.retry_after.RetryAfterMiddleware": 560,
    # Content-Encoding undone strictly, as a re-extraction undoes it (in the place of
    # Scrapy's HttpCompressionMiddleware, which keeps what inflated before an error).
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.decoding.ArchiveDecodingMiddleware": 590,
    # Above the decoding (590), Redirect (600) and Retry (550): it sees the
    # response as received, and every hop of a redirect or retry.
    "crawler.middlewares.capture.WarcCaptureMiddleware": 950,
    # Last on the way out, first on the way back: a response from a refused address is
    # refused before the capture archives it.
    "crawler.middlewares.guard.AnsweringAddressGuardMiddleware": 990,
}
ITEM_PIPELINES = {
    "pipelines.extraction.ExtractionPipeline": 100,
    "pipelines.warc_metadata.WarcMetadataPipeline": 200,
    "pipelines.index.IndexPipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.runguard.RunGuard": 100,
    "crawler.extensions.tuning.ProcessTuning": 200,
    "crawler.extensions.stopsignal.RepeatedStopSignal": 300,
    # After AutoThrottle (0): its delay, lowered after each quick response, is raised again.
    "crawler.extensions.crawldelay.CrawlDelay": 400,
}

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
