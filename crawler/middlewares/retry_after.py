"""Downloader middleware: 429 and 503 with Retry-After pause that host, then retry; a wait
longer than NEWSARCHIVE_RETRY_AFTER_MAX closes the host for that long (for the run, in effect).
Without Retry-After, 429, 503, a refused connection or a name that does not resolve, and
repeated 5xx or lost or timed-out connections pause the host for a back-off that doubles from
NEWSARCHIVE_BACKOFF_BASE up to NEWSARCHIVE_RETRY_AFTER_MAX; refused past that, it is closed."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.utils.asyncio import call_later
from twisted.internet import error
from twisted.python.failure import Failure
from twisted.web.client import ResponseNeverReceived

logger = logging.getLogger(__name__)
# How often a host's pause checks whether the crawl is stopping.
STOP_CHECK_S = 0.5


# Failures that are the host's, never one page's: its retry, sent at once, failed the same (and
# with RETRY_TIMES 1 a site restarting for a second lost the story). A timeout or a lost
# connection may be one slow or broken page, as a 500 may: the back-off starts at the second.
HOST_FAILURES = frozenset({"connection refused", "could not connect", "DNS lookup failed"})


def connection_failure(exception: BaseException) -> str | None:
    """What a download error says about its host, or None when it says nothing (a body cut
    short: the host answered)."""
    if isinstance(exception, (DownloadConnectionRefusedError, error.ConnectionRefusedError)):
        return "connection refused"
    # A name that stopped resolving (a lapsed domain, its name servers down) fails every URL of
    # the host alike: it was retried at once, RETRY_TIMES over for each, all in a burst. (Our
    # resolver refusing a name that now resolves to an address the site did not allow fails
    # the same way: Twisted reports either as "no results for hostname lookup".)
    if isinstance(exception, (CannotResolveHostError, error.DNSLookupError)):
        return "DNS lookup failed"
    if isinstance(exception, (DownloadTimeoutError, error.TimeoutError, error.TCPTimedOutError)):
        return "timed out"
    if isinstance(exception, (DownloadFailedError, ResponseNeverReceived, error.ConnectionLost,
                              error.ConnectionDone)):
        return "connection lost"
    # The plain ConnectError (Twisted raises it for a refused connection too), not its other
    # kinds: a TLS failure or a cancelled connection says nothing about the host's load.
    if type(exception) is error.ConnectError or isinstance(exception, error.NoRouteError):
        return "could not connect"
    return None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    # ASCII digits only (delta-seconds is 1*DIGIT): str.isdigit() takes "²", which float()
    # refuses, and the ValueError gave up the request as a fetch error.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """Scrapy's RetryMiddleware retries 429/503 at once and ignores Retry-After (DESIGN.md).
    Ordered above it (550) so it sees these responses first."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.max_wait = settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX")
        self.max_times = settings.getint("NEWSARCHIVE_RETRY_AFTER_TIMES")
        self.backoff_base = settings.getfloat("NEWSARCHIVE_BACKOFF_BASE")
        # The server errors Scrapy retries: a pause before their retries. (A 501 is not
        # retried, and says nothing about load.)
        self.server_errors = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")
                              if int(code) >= 500} | {503}
        self.stats = crawler.stats
        self._paused_until: dict[str, float] = {}  # host -> monotonic time
        # Hosts that asked for longer than max_wait: not asked again until then (this run).
        self._closed: dict[str, tuple[float, str]] = {}  # host -> (monotonic time, why)
        # Refusals without Retry-After since the host's last other answer, and its last back-off.
        self._refusals: dict[str, int] = {}
        self._backoff: dict[str, float] = {}
        # Retry-After pauses in a row, without another answer between them.
        self._waits: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).netloc
        if (closed := self._closed_reason(host)) is not None:
            raise IgnoreRequest(closed)
        # Waited in short steps: a crawl told to stop (SIGTERM) sat out the whole pause, up to
        # NEWSARCHIVE_RETRY_AFTER_MAX, first; the scheduler SIGKILLs after 60 s of grace.
        while (left := self._paused_until.get(host, 0.0) - time.monotonic()) > 0:
            if not self._running():
                raise IgnoreRequest(_stopped(host))
            await asyncio.sleep(min(left, STOP_CHECK_S))

    def _hold_slot(self, request: Request, host: str) -> None:
        """Hold the host's downloader slot too. Requests that passed process_request before the
        429 wait in the slot's queue (up to CONCURRENT_REQUESTS of them), and went out during
        the pause: 14 in 5 s at the default settings. Scrapy's slot waits while its `latercall`
        is set (it is how DOWNLOAD_DELAY waits; Scrapy internals, pinned at 2.19.0 in
        pyproject.toml); ours checks the pause and whether the crawl is stopping."""
        if self.crawler.engine is None:
            return
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(request.meta.get(Downloader.DOWNLOAD_SLOT, ""))
        if slot is None:
            return
        if slot.latercall:
            slot.latercall.cancel()
        slot.latercall = call_later(0, self._check_slot, downloader, slot, host)

    def _check_slot(self, downloader: Downloader, slot: Slot, host: str) -> None:
        slot.latercall = None
        left = self._paused_until.get(host, 0.0) - time.monotonic()
        closed = self._closed_reason(host)
        if closed is None and left > 0 and self._running():
            slot.latercall = call_later(min(left, STOP_CHECK_S), self._check_slot, downloader, slot, host)
            return
        if closed is not None or left > 0:  # what waits is not sent against the host's wish
            while slot.queue:
                _, waiting = slot.queue.popleft()
                waiting.errback(Failure(IgnoreRequest(closed or _stopped(host))))
        downloader._process_queue(slot)

    def _closed_reason(self, host: str) -> str | None:
        until, why = self._closed.get(host, (0.0, ""))
        return why if until > time.monotonic() else None

    def _running(self) -> bool:
        """The crawl goes on: neither stopping (SIGTERM) nor its spider closing. A closing spider
        (CLOSESPIDER_TIMEOUT, a lost lease) waits for every request in progress, a paused one
        too: a crawl past its time limit sat out the whole pause, up to
        NEWSARCHIVE_RETRY_AFTER_MAX. (The engine's `_slot`: Scrapy internals, as above.)"""
        engine = self.crawler.engine
        if engine is None or not engine.running:
            return False
        slot = getattr(engine, "_slot", None)
        return slot is None or slot.closing is None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        host = urlsplit(request.url).netloc
        if response.status != 429 and response.status not in self.server_errors:
            # The host answers again: its next refusal starts the back-off over.
            self._refusals.pop(host, None)
            self._backoff.pop(host, None)
            self._waits.pop(host, None)
            return response
        header = response.headers.get(b"Retry-After") if response.status in (429, 503) else None
        wait = retry_after_seconds(header.decode("latin-1") if header else None)
        if wait is None:
            self._back_off(request, host, f"{response.status} for {request.url} without Retry-After",
                           f"answering {response.status}", at_once=response.status in (429, 503))
            return response
        times = request.meta.get("retry_after_times", 0)
        if wait > self.max_wait > 0:
            # The host is down for longer than we wait (maintenance): every other URL of it
            # was asked for all the same, each answered the same. (0 is "never wait": only
            # the request told to is given up, below, and the host closed to none.)
            if self._closed_reason(host) is None:
                logger.warning("%s for %s asks to wait %.0f s, past NEWSARCHIVE_RETRY_AFTER_MAX "
                               "(%.0f s): not sending it more requests this run", response.status,
                               request.url, wait, self.max_wait)
            self._close_host(request, host, time.monotonic() + wait,
                             f"{host} asked to wait {wait:.0f} s (Retry-After, {response.status})")
            return response
        if wait > self.max_wait or times >= self.max_times:
            logger.warning("%s for %s asks to wait %.0f s (try %d): giving up on it",
                           response.status, request.url, wait, times + 1)
            request.meta["dont_retry"] = True
            return response
        if self._paused_until.get(host, 0.0) <= time.monotonic():  # a pause, not one in flight
            waits = self._waits[host] = self._waits.get(host, 0) + 1
            if waits > self.max_times:
                # Each URL gave up after max_times, the host never: a burst after each pause,
                # three more tries each, max_pages URLs of waits up to max_wait (days).
                logger.warning("%s for %s after %d Retry-After pauses in a row: not sending %s "
                               "more requests this run", response.status, request.url,
                               waits - 1, host)
                self._close_host(request, host, math.inf, f"{host} kept answering "
                                 f"{response.status} through {waits - 1} Retry-After pauses")
                return response
        self._paused_until[host] = max(self._paused_until.get(host, 0.0), time.monotonic() + wait)
        self._hold_slot(request, host)
        logger.info("%s for %s: pausing %s for %.1f s as Retry-After asks", response.status,
                    request.url, host, wait)
        if self.stats:
            self.stats.inc_value("newsarchive/retry_after")
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = times + 1
        return retry

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A connection refused, lost or timed out, a name not resolved: RetryMiddleware (550,
        after this) retried it at once, RETRY_TIMES over for every URL: a site gone down mid-run
        got each story three times in a burst, and the run ended `ok`. The host is backed off (at
        once for a failure that is the host's, as for a 503; at the second in a row otherwise,
        as for a 500); the retry, still RetryMiddleware's, waits in process_request."""
        if (failure := connection_failure(exception)) is not None:
            self._back_off(request, urlsplit(request.url).netloc, f"{failure} for {request.url}",
                           f"failing ({failure})", at_once=failure in HOST_FAILURES)

    def _back_off(self, request: Request, host: str, said: str, kept: str, *, at_once: bool) -> None:
        """A refusal without (a usable) Retry-After, `said` in the log: Scrapy's RetryMiddleware
        retried it at once, RETRY_TIMES over for every URL, and the next URLs went out beside
        them: a site answering 429 to ten articles got 32 requests in 10 s. The host is paused
        instead (`at_once`, or at the second refusal in a row); its retry (still
        RetryMiddleware's, within RETRY_TIMES) waits in process_request. Still refused after
        the longest pause, the host "kept `kept`" and is closed."""
        if self.backoff_base <= 0 or self.max_wait <= 0:
            return  # back-off turned off
        now = time.monotonic()
        if self._paused_until.get(host, 0.0) > now or self._closed_reason(host) is not None:
            # Sent before the pause began (in flight beside the request that started it): the
            # same refusal again, not a sign that the pause was too short.
            if self._closed_reason(host) is not None:
                request.meta["dont_retry"] = True
            return
        refusals = self._refusals[host] = self._refusals.get(host, 0) + 1
        if not at_once and refusals < 2:
            return  # one 500 is a broken page more often than a host in trouble
        last = self._backoff.get(host)
        if last is not None and last >= self.max_wait:
            logger.warning("%s after a back-off of %.0f s (NEWSARCHIVE_RETRY_AFTER_MAX): "
                           "not sending %s more requests this run", said, last, host)
            self._close_host(request, host, math.inf,
                             f"{host} kept {kept} through a back-off of {last:.0f} s")
            return
        wait = min(self.max_wait, self.backoff_base if last is None else last * 2)
        self._backoff[host] = wait
        self._paused_until[host] = now + wait
        self._hold_slot(request, host)
        logger.info("%s (%d in a row): backing off %s for %.1f s", said, refusals, host, wait)
        if self.stats:
            self.stats.inc_value("newsarchive/backoff")

    def _close_host(self, request: Request, host: str, until: float, why: str) -> None:
        """Nothing more to `host` until `until` (this run, in effect): this request is given up,
        the queued ones are recorded "not fetched: WHY", and the run says so (RunGuard)."""
        self._closed[host] = (until, f"not fetched: {why}")
        self._note_closed(host, why)
        self._hold_slot(request, host)
        request.meta["dont_retry"] = True

    def _note_closed(self, host: str, why: str) -> None:
        """Listed in the stats for RunGuard: a run turned away by its site ended `ok`. With
        why, for its error line: that named every cause a closed host can have, and not which
        one (a name that stopped resolving, or a 429)."""
        if self.stats:
            closed = self.stats.get_value("newsarchive/hosts_unavailable", [])
            if host not in closed:
                self.stats.set_value("newsarchive/hosts_unavailable", [*closed, host])
                whys = self.stats.get_value("newsarchive/hosts_unavailable_why", {})
                self.stats.set_value("newsarchive/hosts_unavailable_why", {**whys, host: why})


def _stopped(host: str) -> str:
    return (f"not fetched: the crawl stopped while {host} was paused (for its Retry-After "
            "or a back-off)")
